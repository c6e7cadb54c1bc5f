"""A local HTTPS stand-in of Microsoft Graph v1.0 (with the identity platform's token endpoint of
oauth_helpers.Cloud): it checks each request against the documented shape ("user: sendMail",
"Attach large files to Outlook messages") and can inject ``429`` with ``Retry-After``, ``503``,
an expired token and a dropped connection, per kind of request."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
import uuid

from oauth_helpers import Cloud

MAX_REQUEST = 4 * 1024 * 1024  # Graph's request size limit
MAX_CHUNK = 4 * 1024 * 1024  # an upload session's PUT must be smaller


class GraphCloud(Cloud):
    """``delivered`` holds each sent message (to, subject, internetMessageId, attachments by
    name); ``inject[kind]`` is a list of actions taken by the next requests of that kind
    (``"429"``, ``"503"``, ``"401"``, ``"drop"``, ``""`` for normal), kinds being ``sendMail``,
    ``draft``, ``attach``, ``session``, ``put``, ``send``."""

    def __init__(self, mailbox: str) -> None:
        super().__init__()
        self.mailbox = mailbox
        self.delivered: list[dict] = []
        self.drafts: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.inject: dict[str, list[str]] = {}
        self.expired: set[str] = set()
        self.calls: list[tuple[str, str]] = []  # (kind, detail) in order
        self.retry_after = "1"

    def _check_message(self, msg: dict, where: str) -> None:
        problems = self.problems
        if not isinstance(msg.get("subject"), str):
            problems.append(f"{where}: subject")
        body = msg.get("body") or {}
        if body.get("contentType") not in ("HTML", "Text") or not body.get("content"):
            problems.append(f"{where}: body")
        to = msg.get("toRecipients") or []
        if not to or not all("@" in r.get("emailAddress", {}).get("address", "") for r in to):
            problems.append(f"{where}: toRecipients")
        if not re.fullmatch(r"<[^<>@\s]+@[^<>\s]+>", msg.get("internetMessageId", "")):
            problems.append(f"{where}: internetMessageId")
        for att in msg.get("attachments", []):
            self._check_attachment(att, where)

    def _check_attachment(self, att: dict, where: str) -> bytes:
        if att.get("@odata.type") != "#microsoft.graph.fileAttachment" or not att.get("name"):
            self.problems.append(f"{where}: attachment type/name")
        try:
            return base64.b64decode(att.get("contentBytes", ""), validate=True)
        except ValueError:
            self.problems.append(f"{where}: contentBytes")
            return b""

    def _deliver(self, msg: dict, files: dict[str, bytes]) -> None:
        self.delivered.append({
            "to": [r["emailAddress"]["address"] for r in msg["toRecipients"]],
            "subject": msg["subject"], "internetMessageId": msg["internetMessageId"],
            "attachments": files})

    def _fault(self, kind: str, handler) -> tuple[int, dict, dict] | None | str:
        actions = self.inject.get(kind)
        action = actions.pop(0) if actions else ""
        if action == "429":
            return 429, {"error": {"code": "TooManyRequests", "message": "Please retry"}}, {
                "Retry-After": self.retry_after}
        if action == "503":
            return 503, {"error": {"code": "ServiceUnavailable", "message": "busy"}}, {
                "Retry-After": self.retry_after}
        if action == "401":
            self.expired.add(self._bearer(handler))
        if action == "drop":
            return "drop"
        return None

    @staticmethod
    def _bearer(handler) -> str:
        return (handler.headers.get("Authorization") or "").removeprefix("Bearer ")

    def route(self, handler, method: str, path: str, body: bytes):
        if not path.startswith(("/v1.0/", "/upload/")):
            return super().route(handler, method, path, body)
        kind = self._kind(method, path)
        self.calls.append((kind, handler.headers.get("Content-Range", "")))
        fault = self._fault(kind, handler)
        if fault == "drop":
            return None  # the handler closes the connection without an answer
        if fault is not None:
            return fault
        if kind == "put":
            if "Authorization" in handler.headers:
                self.problems.append("PUT to an upload session carried Authorization")
            return self._put(path, handler, body)
        token = self._bearer(handler)
        if token not in self.issued or token in self.expired:
            return 401, {"error": {"code": "InvalidAuthenticationToken",
                                   "message": "Lifetime validation failed, the token is "
                                              "expired."}}, {}
        if len(body) > MAX_REQUEST:
            return 413, {"error": {"code": "RequestEntityTooLarge", "message": "too large"}}, {}
        mailbox = urllib.parse.unquote(path.split("/")[3])
        if mailbox != self.mailbox:
            return 404, {"error": {"code": "ErrorInvalidUser", "message":
                                   f"The requested user '{mailbox}' is invalid."}}, {}
        data = json.loads(body or b"{}")
        if kind == "sendMail":
            self._check_message(data.get("message", {}), "sendMail")
            if data.get("saveToSentItems") not in (True, False, None):
                self.problems.append("saveToSentItems")
            msg = data["message"]
            self._deliver(msg, {a["name"]: base64.b64decode(a["contentBytes"])
                                for a in msg.get("attachments", [])})
            return 202, None, {}
        draft_id = path.split("/")[5] if len(path.split("/")) > 5 else None
        if kind == "draft":
            self._check_message(data, "draft")
            new = f"AAMk{uuid.uuid4().hex}"
            self.drafts[new] = {"message": data, "files": {}}
            return 201, {"id": new, **data}, {}
        if draft_id not in self.drafts:
            return 404, {"error": {"code": "ErrorItemNotFound", "message": "no such draft"}}, {}
        draft = self.drafts[draft_id]
        if kind == "attach":
            content = self._check_attachment(data, "attach")
            if len(content) >= 3_000_000:
                self.problems.append("a POSTed attachment of 3 MB or more")
            draft["files"][data["name"]] = content
            return 201, {"id": uuid.uuid4().hex}, {}
        if kind == "session":
            item = data.get("AttachmentItem") or {}
            if item.get("attachmentType") != "file" or not item.get("name") or \
                    not isinstance(item.get("size"), int):
                self.problems.append("createUploadSession AttachmentItem")
            session = uuid.uuid4().hex
            self.sessions[session] = {"draft": draft, "name": item.get("name"),
                                      "size": item.get("size"), "data": b""}
            return 201, {"uploadUrl": f"{self.base}/upload/{session}?authtoken=opaque",
                         "expirationDateTime": "2026-12-31T00:00:00Z",
                         "nextExpectedRanges": ["0-"]}, {}
        if kind == "delete":
            del self.drafts[draft_id]
            return 204, None, {}
        if kind == "send":
            msg = draft["message"]
            self._deliver(msg, dict(draft["files"]))
            del self.drafts[draft_id]
            return 202, None, {}
        return 400, {"error": {"code": "BadRequest", "message": path}}, {}

    def _kind(self, method: str, path: str) -> str:
        if path.startswith("/upload/"):
            return "put"
        parts = path.split("/")  # '', v1.0, users, {mailbox}, ...
        tail = parts[4:]
        if tail == ["sendMail"]:
            return "sendMail"
        if tail == ["messages"]:
            return "draft"
        if method == "DELETE":
            return "delete"
        if tail[-1:] == ["send"]:
            return "send"
        if tail[-1:] == ["createUploadSession"]:
            return "session"
        if tail[-1:] == ["attachments"]:
            return "attach"
        return "other"

    def _put(self, path: str, handler, body: bytes):
        session = self.sessions.get(path.split("/")[2])
        if session is None:
            return 404, {"error": {"code": "NotFound", "message": "no session"}}, {}
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", handler.headers.get("Content-Range",
                                                                              ""))
        if not match:
            self.problems.append("Content-Range")
            return 400, {"error": {"code": "InvalidRange", "message": "range"}}, {}
        start, end, total = map(int, match.groups())
        if start != len(session["data"]) or end - start + 1 != len(body) or \
                total != session["size"] or len(body) >= MAX_CHUNK:
            self.problems.append(f"range {start}-{end}/{total} after {len(session['data'])}")
            return 416, {"error": {"code": "InvalidRange", "message": "range"}}, {}
        session["data"] += body
        if len(session["data"]) == total:
            session["draft"]["files"][session["name"]] = session["data"]
            return 201, None, {}
        return 200, {"expirationDateTime": "2026-12-31T00:00:00Z",
                     "nextExpectedRanges": [f"{len(session['data'])}-"]}, {}
