"""The send log, ``mail_log.jsonl`` in the reports folder: what was sent to whom, so a re-run of
the month sends nothing twice."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from addin.mail.compose import Outgoing

LOG_NAME = "mail_log.jsonl"


class SendLog:
    """``mail_log.jsonl``: one JSON object per line for each message sent (month, recipient,
    hash, part, parts, message id, attachments, time). Appended and flushed to disk after every
    message, so a crash loses at most the message being sent; a torn last line is ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[tuple[str, str, str], dict] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self.entries[self.key(entry["month"], entry["recipient"],
                                          entry["hash"])] = entry
                except (ValueError, KeyError, TypeError):
                    continue

    @staticmethod
    def key(month: str, recipient: str, digest: str) -> tuple[str, str, str]:
        return month, recipient.casefold(), digest

    def find(self, month: str, item: Outgoing) -> dict | None:
        return self.entries.get(self.key(month, item.recipient.email, item.digest))

    def record(self, month: str, item: Outgoing) -> None:
        entry = {"month": month, "recipient": item.recipient.email.casefold(),
                 "hash": item.digest, "part": item.part, "parts": item.parts,
                 "name": item.recipient.name, "message_id": item.message["Message-ID"],
                 "attachments": item.files,
                 "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.entries[self.key(month, item.recipient.email, item.digest)] = entry
