"""Microsoft Graph ``sendMail``: for tenants that turn SMTP AUTH off entirely.

An app-only MSAL token (application permission ``Mail.Send``, admin consent) sends as the
sender mailbox (Microsoft Graph v1.0 reference: "user: sendMail", "Attach large files to
Outlook messages", "Microsoft Graph throttling guidance"):

- a message whose attachments fit one request (:data:`INLINE_LIMIT` bytes of attachments, so
  the base64 JSON stays under Graph's 4 MB request limit) is one
  ``POST /users/{sender}/sendMail`` with the attachments inline; ``202 Accepted``;
- a larger one is a draft (``POST /users/{sender}/messages``), each attachment under 3 MB
  ``POST``ed to it, each larger one through an upload session
  (``POST .../attachments/createUploadSession``, then ``PUT`` chunks of :data:`CHUNK` bytes
  with ``Content-Range`` to the session's URL, without the Authorization header as the
  documentation asks), then ``POST .../send``;
- ``429`` and ``503`` are retried after ``Retry-After`` seconds (else the backoff); a ``401``
  is retried once with a fresh token; a chunk whose connection dropped is sent again (the
  message is not sent until ``send``);
- the message keeps its Message-ID (``internetMessageId``), so a re-send of a message in doubt
  is recognisably the same message.

Outcomes map to SMTP's: a ``202`` is sent; a ``400`` fails the message
(:class:`RecipientFailed`); a ``403``/``404`` of the sender mailbox or a token refused twice
fails the run (:class:`ServerFailed`); no answer (or a ``5xx`` other than ``503``) to the request
that sends is :class:`InDoubt`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import quote

from addin.mail.transport import InDoubt, MailSetupError, RecipientFailed, ServerFailed

INLINE_LIMIT = 3_000_000  # attachment bytes that go inline (base64 + JSON stay under 4 MB)
ATTACH_LIMIT = 3_000_000  # Graph: a file attachment POSTed to a draft must be under 3 MB
CHUNK = 10 * 327_680  # 3,276,800 bytes per PUT: a multiple of 320 KiB, under 4 MB
MAX_WAIT = 300.0  # seconds: a longer Retry-After is honoured up to this


def graph_message(message: EmailMessage, with_attachments: bool = True) -> dict:
    """The Graph ``message`` resource for a composed message: subject, HTML body, recipients,
    Message-ID and (optionally) its attachments as ``fileAttachment``s."""
    body = message.get_body(("html", "plain"))
    out = {
        "subject": str(message["Subject"]),
        "body": {"contentType": "HTML" if body.get_content_subtype() == "html" else "Text",
                 "content": body.get_content()},
        "toRecipients": [{"emailAddress": {"address": a.addr_spec, "name": a.display_name}}
                         for a in message["To"].addresses],
        "internetMessageId": str(message["Message-ID"]),
    }
    if with_attachments:
        out["attachments"] = [file_attachment(name, data, kind)
                              for name, data, kind in attachments(message)]
    return out


def attachments(message: EmailMessage) -> list[tuple[str, bytes, str]]:
    return [(part.get_filename(), part.get_content(), part.get_content_type())
            for part in message.iter_attachments()]


def file_attachment(name: str, data: bytes, kind: str) -> dict:
    return {"@odata.type": "#microsoft.graph.fileAttachment", "name": name,
            "contentType": kind, "contentBytes": base64.b64encode(data).decode()}


def _answer(resp) -> str:
    try:
        error = resp.json().get("error", {})
        detail = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except ValueError:
        detail = resp.text[:200]
    return f"{resp.status_code} {' '.join(detail.split())}".strip()


class GraphTransport:
    """Sends through Microsoft Graph as ``token.user`` (module docstring). ``sleep`` and
    ``session`` (a requests.Session) are injectable; waits are kept in ``waits``."""

    name = "graph"
    logs = True
    URL = "https://graph.microsoft.com/v1.0"

    def __init__(self, url: str, token, *, session=None, attempts: int = 5,
                 backoff: float = 2.0, timeout: float = 60,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import requests

        self.url, self.token_source = url.rstrip("/"), token
        self.session = session or requests.Session()
        self.attempts, self.backoff, self.timeout, self.sleep = attempts, backoff, timeout, sleep
        self.waits: list[float] = []
        self._token: str | None = None

    def where(self) -> str:
        return f"Microsoft Graph as {self.token_source.user}"

    def check(self) -> None:
        self._token = self.token_source.token()

    def close(self) -> None:
        self.session.close()

    def _mailbox(self, sender: str) -> str:
        return f"{self.url}/users/{quote(sender, safe='@')}"

    def _request(self, method: str, url: str, *, sends: bool = False, auth: bool = True,
                 **kwargs):
        """One Graph call with the retry rules of the module docstring; the response of a
        2xx, else the outcome raised. ``sends``: this request sends the message, so no answer
        means in doubt."""
        import requests

        refreshed = False
        for attempt in range(1, self.attempts + 1):
            headers = dict(kwargs.pop("headers", None) or {})
            if auth:
                if self._token is None:
                    self._token = self.token_source.token()
                headers["Authorization"] = f"Bearer {self._token}"
            try:
                resp = self.session.request(method, url, headers=headers,
                                            timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                unsent = isinstance(exc, requests.ConnectTimeout) or \
                    "NewConnectionError" in repr(exc)
                if sends and not unsent:
                    raise InDoubt(f"no answer from Graph after the message was sent "
                                  f"({type(exc).__name__})") from None
                if attempt == self.attempts:
                    raise ServerFailed(f"Graph unreachable after {attempt} attempts "
                                       f"({type(exc).__name__})") from None
                self._wait(self.backoff * 2 ** (attempt - 1))
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
            if resp.status_code < 300:
                return resp
            if resp.status_code == 401 and auth and not refreshed:
                refreshed = True  # an expired or revoked token: once, with a fresh one
                self._token = self.token_source.token(refresh=True)
                continue
            if resp.status_code in (429, 503) and attempt < self.attempts:
                after = resp.headers.get("Retry-After", "")
                wait = float(after) if after.isdigit() else self.backoff * 2 ** (attempt - 1)
                self._wait(min(wait, MAX_WAIT))
                continue
            raise self._failure(resp, sends)
        raise AssertionError("unreachable")

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(seconds)

    def _failure(self, resp, sends: bool) -> Exception:
        said = _answer(resp)
        sender = self.token_source.user
        if resp.status_code == 401:
            return ServerFailed(f"Graph refused the app's token twice ({said}): check the "
                                "app's Mail.Send application permission and admin consent")
        if resp.status_code == 403:
            return ServerFailed(f"the app may not send as {sender} ({said}): grant the Mail.Send "
                                "application permission with admin consent, and check any "
                                "application access policy of the tenant")
        if resp.status_code == 404 and any(code in said for code in (
                "ErrorInvalidUser", "MailboxNotEnabledForRESTAPI", "ResourceNotFound",
                "MailboxNotFound")):
            return ServerFailed(f"the sender mailbox {sender} does not exist in the tenant "
                                f"({said}): check Settings sender_email")
        if resp.status_code in (429, 503):
            return RecipientFailed(f"Graph still throttling after {self.attempts} attempts "
                                   f"({said})")
        if sends and resp.status_code >= 500:
            return InDoubt(f"Graph answered {said} to the request that sends")
        return RecipientFailed(f"Graph answered {said}")

    def deliver(self, message: EmailMessage, sender: str, recipient: str, name: str) -> str:
        """Send ``message`` as ``sender`` (module docstring); returns ``"sent"``."""
        try:
            files = attachments(message)
            if sum(len(data) for _, data, _ in files) <= INLINE_LIMIT:
                self._request("POST", f"{self._mailbox(sender)}/sendMail", sends=True,
                              json={"message": graph_message(message),
                                    "saveToSentItems": True})
                return "sent"
            return self._deliver_large(message, sender, files)
        except MailSetupError as exc:  # a fresh token could not be had
            raise ServerFailed(str(exc)) from None

    def _deliver_large(self, message: EmailMessage, sender: str,
                       files: list[tuple[str, bytes, str]]) -> str:
        draft = self._request("POST", f"{self._mailbox(sender)}/messages",
                              json=graph_message(message, with_attachments=False)).json()
        where = f"{self._mailbox(sender)}/messages/{quote(draft['id'])}"
        try:
            for file, data, kind in files:
                if len(data) < ATTACH_LIMIT:
                    self._request("POST", f"{where}/attachments",
                                  json=file_attachment(file, data, kind))
                else:
                    self._upload(where, file, data, kind)
        except (RecipientFailed, ServerFailed):
            try:  # not sent: leave no half-built draft behind
                self._request("DELETE", where)
            except (RecipientFailed, ServerFailed, InDoubt):
                pass
            raise
        self._request("POST", f"{where}/send", sends=True)
        return "sent"

    def _upload(self, where: str, file: str, data: bytes, kind: str) -> None:
        session = self._request("POST", f"{where}/attachments/createUploadSession", json={
            "AttachmentItem": {"attachmentType": "file", "name": file, "size": len(data),
                               "contentType": kind}}).json()
        url, total = session["uploadUrl"], len(data)
        for start in range(0, total, CHUNK):
            chunk = data[start:start + CHUNK]
            end = start + len(chunk) - 1
            self._request("PUT", url, auth=False, data=chunk, headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"bytes {start}-{end}/{total}",
                "Content-Length": str(len(chunk))})


__all__ = ["GraphTransport", "graph_message", "INLINE_LIMIT", "CHUNK"]
