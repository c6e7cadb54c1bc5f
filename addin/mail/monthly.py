"""The monthly mail workflow: plan (who would get how many messages) and send (through a
transport, keeping the send log), over the reports folder and the workbook's Distribution and
Settings sheets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from addin.errors import InputError
from addin.mail.compose import DEFAULT_MAX_BYTES, Sender, TooLarge, compose, read_sender
from addin.mail.recipients import Recipient, recipients_from
from addin.mail.sendlog import LOG_NAME, SendLog
from addin.mail.smtp import DryRunTransport, RecipientFailed, ServerFailed
from addin.reports.manifest import Manifest, read_manifest

if TYPE_CHECKING:
    from addin.workbook import CRMWorkbook


@dataclass
class Outcome:
    recipient: Recipient
    status: Literal["sent", "skipped", "failed", "written"]
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

    @property
    def to_send(self) -> int:
        return self.messages - self.already_sent


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
        done = sum(log.find(manifest.month, i) is not None for i in items)
        out.append(Planned(recipient, len(items), sum(len(i.files) for i in items), done))
    return out


def send_monthly_mail(workbook: Path | CRMWorkbook, reports: Path, month: str, transport,
                      *, max_bytes: int = DEFAULT_MAX_BYTES,
                      on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Mail the month's reports in ``reports`` to everyone on WORKBOOK's Distribution sheet
    through ``transport`` (:class:`SMTPTransport` or :class:`DryRunTransport`). Bad input
    (manifest, Distribution, Settings) raises InputError before anything is sent."""
    manifest, sender, recipients = _prepare(workbook, reports, month)
    log = SendLog(reports / LOG_NAME)
    dry = isinstance(transport, DryRunTransport)
    outcomes: list[Outcome] = []
    stopped: str | None = None  # why the server cannot be used any more
    try:
        for recipient in recipients:
            if stopped:
                outcome = Outcome(recipient, "failed", f"not sent, the server failed: {stopped}")
            else:
                try:
                    outcome = _send_one(recipient, manifest, reports, sender, transport, log,
                                        max_bytes, dry)
                except ServerFailed as exc:
                    stopped = str(exc)
                    outcome = Outcome(recipient, "failed", stopped)
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    finally:
        transport.close()
    return outcomes


def _send_one(recipient: Recipient, manifest: Manifest, reports: Path, sender: Sender,
              transport, log: SendLog, max_bytes: int, dry: bool) -> Outcome:
    try:
        items = compose(recipient, manifest, reports, sender, max_bytes)
    except TooLarge as exc:
        return Outcome(recipient, "failed", str(exc))
    todo = [i for i in items if log.find(manifest.month, i) is None]
    pdfs = sum(len(i.files) for i in todo)
    if not todo:
        when = log.find(manifest.month, items[-1])["sent_at"]
        return Outcome(recipient, "skipped", f"logged {when}", len(items),
                       sum(len(i.files) for i in items))
    failures, written = [], []
    for item in todo:
        where = f"part {item.part} of {item.parts}: " if item.parts > 1 else ""
        try:
            written.append(transport.deliver(item.data, sender.email, item.recipient.email,
                                              item.stem(manifest.month)))
        except RecipientFailed as exc:
            failures.append(f"{where}{exc}")
            continue
        except ServerFailed as exc:
            raise ServerFailed(f"{where}{exc}") from exc
        if not dry:
            log.record(manifest.month, item)
    if failures:
        sent = len(todo) - len(failures)
        note = f" ({sent} of {len(todo)} messages sent)" if sent else ""
        return Outcome(recipient, "failed", "; ".join(failures) + note)
    if dry:
        return Outcome(recipient, "written", "", len(todo), pdfs, written)
    detail = f"{len(items) - len(todo)} already sent before" if len(todo) < len(items) else ""
    return Outcome(recipient, "sent", detail, len(todo), pdfs)
