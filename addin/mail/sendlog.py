"""The send log, ``mail_log.jsonl`` in the reports folder: the source of truth for what was sent
to whom, across processes and crashes, so a re-run of the month sends nothing twice.

One JSON line per change of a message's state, keyed by month, recipient address and the
message's content hash (:class:`~addin.mail.compose.Outgoing`); the last line of a key wins:

- ``sending``: written (and fsync'ed) with the message's Message-ID before the transport is
  called, so before ``DATA``;
- ``sent``: after the server's ``250`` (Graph's ``202``, Outlook's ``Send``);
- ``displayed``: handed to Outlook and opened for review (the user sends it);
- ``in-doubt``: the answer never came after the message went out;
- ``failed``: the server's answer proved the message was not accepted, so a re-run may send it.

A message whose last state is ``sending`` (the process died) or ``in-doubt`` is **in doubt**: a
re-run does not send it again unless told to (``--resend-in-doubt``), and then with the logged
Message-ID, so mail systems that de-duplicate by Message-ID can. Lines written before states
existed (no ``state``) mean ``sent``. A torn last line is ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from addin.mail.compose import Outgoing

LOG_NAME = "mail_log.jsonl"
DONE = ("sent", "displayed")
DOUBT = ("sending", "in-doubt")


class SendLog:
    """``mail_log.jsonl`` (module docstring). Every line is flushed and fsync'ed before the
    next step, so a crash loses nothing but the line being written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[tuple[str, str, str], dict] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    entry.setdefault("state", "sent")
                    self.entries[self.key(entry["month"], entry["recipient"],
                                          entry["hash"])] = entry
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue

    @staticmethod
    def key(month: str, recipient: str, digest: str) -> tuple[str, str, str]:
        return month, recipient.casefold(), digest

    def find(self, month: str, item: Outgoing) -> dict | None:
        """The last entry of ``item`` in any state, or None."""
        return self.entries.get(self.key(month, item.recipient.email, item.digest))

    def done(self, month: str, item: Outgoing) -> dict | None:
        """The entry of ``item`` if it was sent (or handed to Outlook for review)."""
        entry = self.find(month, item)
        return entry if entry and entry["state"] in DONE else None

    def in_doubt(self, month: str, item: Outgoing) -> dict | None:
        """The entry of ``item`` if it may or may not have reached the server."""
        entry = self.find(month, item)
        return entry if entry and entry["state"] in DOUBT else None

    def record(self, month: str, item: Outgoing, state: str = "sent", detail: str = "",
               transport: str = "") -> dict:
        entry = {"month": month, "recipient": item.recipient.email.casefold(),
                 "hash": item.digest, "state": state, "part": item.part, "parts": item.parts,
                 "name": item.recipient.name, "message_id": item.message["Message-ID"],
                 "attachments": item.files,
                 "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        if transport:
            entry["transport"] = transport
        if detail:
            entry["detail"] = detail
        if state in DONE:
            entry["sent_at"] = entry["at"]
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.entries[self.key(month, item.recipient.email, item.digest)] = entry
        return entry
