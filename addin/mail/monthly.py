"""The monthly mail workflow: plan (who would get how many messages) and send (through a
transport, keeping the send log), over the reports folder and the workbook's Distribution and
Settings sheets."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from addin.errors import InputError
from addin.mail.compose import DEFAULT_MAX_BYTES, Sender, TooLarge, compose, read_sender
from addin.mail.lock import month_lock
from addin.mail.recipients import Recipient, recipients_from
from addin.mail.sendlog import LOG_NAME, SendLog
from addin.mail.transport import InDoubt, RecipientFailed, ServerFailed
from addin.reports.manifest import Manifest, read_manifest

if TYPE_CHECKING:
    from addin.workbook import CRMWorkbook


@dataclass
class Outcome:
    recipient: Recipient
    status: Literal["sent", "skipped", "failed", "written", "in doubt", "displayed"]
    detail: str = ""
    messages: int = 0
    attachments: int = 0
    files: list[str] = field(default_factory=list)

    def line(self) -> str:
        pdfs = f"{self.attachments} PDF{'s' * (self.attachments != 1)}"
        msgs = f"{self.messages} message{'s' * (self.messages != 1)}"
        if self.status == "failed":
            return f"{self.recipient}: failed: {self.detail}"
        if self.status == "skipped":
            return f"{self.recipient}: skipped, already sent ({self.detail})"
        if self.status == "in doubt":
            return (f"{self.recipient}: IN DOUBT, not re-sent (the server may have it): "
                    f"{self.detail}; check the recipient's mailbox, then run again with "
                    "--resend-in-doubt to send it with the same Message-ID")
        if self.status == "displayed":
            return f"{self.recipient}: opened in Outlook for review ({msgs}, {pdfs})"
        if self.status == "written":
            return f"{self.recipient}: written {', '.join(self.files)} ({pdfs})"
        extra = f"; {self.detail}" if self.detail else ""
        return f"{self.recipient}: sent ({msgs}, {pdfs}{extra})"



def _sheet(workbook: Path | CRMWorkbook, sheet: str) -> pd.DataFrame:
    """One contract sheet of a workbook file, or of a workbook already loaded (the live one
    of a ribbon macro, whose unsaved edits the file on disk lacks)."""
    from addin.workbook import CRMWorkbook, read_sheet

    if not isinstance(workbook, CRMWorkbook):
        return read_sheet(workbook, sheet)
    frame = workbook.get(sheet)
    if frame is None:
        raise InputError(f"{workbook.path.name} has no {sheet} sheet", sheet=sheet)
    return frame


def _prepare(workbook: Path | CRMWorkbook, reports: Path, month: str
             ) -> tuple[Manifest, Sender, list[Recipient]]:
    """The month's manifest, the sender from Settings and the Distribution's recipients;
    InputError for any bad input, before anything is sent."""
    from addin.contract.settings import read_settings

    manifest = read_manifest(reports, month)
    settings = read_settings(_sheet(workbook, "Settings"))
    sender = read_sender(settings)
    default_lang = settings.get("report_language")
    return manifest, sender, recipients_from(_sheet(workbook, "Distribution"), manifest,
                                             default_lang)


@dataclass(frozen=True)
class Planned:
    """What :func:`send_monthly_mail` would do for one recipient: ``messages`` messages (parts)
    carrying ``attachments`` PDFs, of which ``already_sent`` messages are in the send log."""
    recipient: Recipient
    messages: int
    attachments: int
    already_sent: int
    in_doubt: int = 0  # logged "sending" or "in-doubt": not sent without --resend-in-doubt

    @property
    def to_send(self) -> int:
        return self.messages - self.already_sent - self.in_doubt


def plan(workbook: Path | CRMWorkbook, reports: Path, month: str, *,
         max_bytes: int = DEFAULT_MAX_BYTES) -> list[Planned]:
    """How many messages would go to whom, without sending (for a confirmation prompt such as
    the ribbon's): the same composition and send-log check as :func:`send_monthly_mail`.
    A recipient whose one attachment passes ``max_bytes`` is planned with 0 messages."""
    manifest, sender, recipients = _prepare(workbook, reports, month)
    log = SendLog(reports / LOG_NAME)
    out = []
    for recipient in recipients:
        try:
            items = compose(recipient, manifest, reports, sender, max_bytes)
        except TooLarge:
            out.append(Planned(recipient, 0, 0, 0))
            continue
        done = sum(log.done(manifest.month, i) is not None for i in items)
        doubt = sum(log.in_doubt(manifest.month, i) is not None for i in items)
        out.append(Planned(recipient, len(items), sum(len(i.files) for i in items), done,
                           doubt))
    return out


def send_monthly_mail(workbook: Path | CRMWorkbook, reports: Path, month: str, transport,
                      *, max_bytes: int = DEFAULT_MAX_BYTES, resend_in_doubt: bool = False,
                      on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Mail the month's reports in ``reports`` to everyone on WORKBOOK's Distribution sheet
    through ``transport`` (any :mod:`addin.mail.transport`). Bad input (manifest,
    Distribution, Settings) raises InputError, a transport that cannot start MailSetupError,
    and another send of the same month SendBusy, all before anything is sent.

    Exactly once: under the month's lock (:mod:`addin.mail.lock`), each message is logged
    ``sending`` before the transport gets it and ``sent`` after the server accepted it
    (:mod:`addin.mail.sendlog`); messages in doubt are listed and only re-sent, with their
    logged Message-ID, when ``resend_in_doubt``."""
    manifest, sender, recipients = _prepare(workbook, reports, month)
    outcomes: list[Outcome] = []
    stopped: str | None = None  # why the server cannot be used any more
    try:
        with contextlib.ExitStack() as stack:
            if transport.logs:
                stack.enter_context(month_lock(reports, manifest.month))
            transport.check()
            log = SendLog(reports / LOG_NAME)
            for recipient in recipients:
                if stopped:
                    outcome = Outcome(recipient, "failed",
                                      f"not sent, the server failed: {stopped}")
                else:
                    try:
                        outcome = _send_one(recipient, manifest, reports, sender, transport,
                                            log, max_bytes, resend_in_doubt)
                    except ServerFailed as exc:
                        stopped = str(exc)
                        outcome = Outcome(recipient, "failed", stopped)
                outcomes.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
    finally:
        transport.close()
    return outcomes


def _doubt_note(item, entry: dict) -> str:
    where = f"part {item.part} of {item.parts} " if item.parts > 1 else ""
    why = f": {entry['detail']}" if entry.get("detail") else ""
    return f"{where}{entry['message_id']} ({entry['state']} since {entry['at']}{why})"


def _send_one(recipient: Recipient, manifest: Manifest, reports: Path, sender: Sender,
              transport, log: SendLog, max_bytes: int, resend_in_doubt: bool) -> Outcome:
    month = manifest.month
    try:
        items = compose(recipient, manifest, reports, sender, max_bytes)
    except TooLarge as exc:
        return Outcome(recipient, "failed", str(exc))
    logs = transport.logs
    todo, doubts = [], []
    for item in items:
        if log.done(month, item):
            continue
        entry = log.in_doubt(month, item)
        if entry and not resend_in_doubt:
            doubts.append(_doubt_note(item, entry))
            continue
        if entry and logs:  # re-sent as the same message, so a de-duplicating server can drop it
            item.message.replace_header("Message-ID", entry["message_id"])
        todo.append(item)
    pdfs = sum(len(i.files) for i in todo)
    if not todo and not doubts:
        last = log.done(month, items[-1])
        when = last.get("at") or last.get("sent_at")
        return Outcome(recipient, "skipped", f"logged {when}", len(items),
                       sum(len(i.files) for i in items))
    failures, written, sent = [], [], 0
    for item in todo:
        where = f"part {item.part} of {item.parts}: " if item.parts > 1 else ""
        if logs:
            log.record(month, item, "sending", transport=transport.name)
        try:
            result = transport.deliver(item.message, sender.email, item.recipient.email,
                                       item.stem(month))
        except RecipientFailed as exc:
            if logs:
                log.record(month, item, "failed", str(exc), transport.name)
            failures.append(f"{where}{exc}")
            continue
        except InDoubt as exc:
            if logs:
                entry = log.record(month, item, "in-doubt", str(exc), transport.name)
                doubts.append(_doubt_note(item, entry))
            continue
        except ServerFailed as exc:
            if logs:
                log.record(month, item, "failed", str(exc), transport.name)
            raise ServerFailed(f"{where}{exc}") from exc
        if logs:
            log.record(month, item, "displayed" if result == "displayed" else "sent",
                       transport=transport.name)
        sent += 1
        written.append(result)
    if failures:
        note = f" ({sent} of {len(todo)} messages sent)" if sent else ""
        return Outcome(recipient, "failed", "; ".join(failures) + note, sent)
    if doubts:
        note = f"; {sent} other message{'s' * (sent != 1)} sent" if sent else ""
        return Outcome(recipient, "in doubt", "; ".join(doubts) + note, sent)
    if not logs:
        return Outcome(recipient, "written", "", len(todo), pdfs, written)
    detail = f"{len(items) - len(todo)} already sent before" if len(todo) < len(items) else ""
    status = "displayed" if written and all(w == "displayed" for w in written) else "sent"
    return Outcome(recipient, status, detail, len(todo), pdfs)
