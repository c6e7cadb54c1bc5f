"""The monthly email: one message per executive of the Distribution sheet, with the portfolio
summary and the key-account reviews of their scope attached, sent over SMTP (or written as
``.eml`` files in a dry run).

Reads what ``crm-addin report`` left in the reports folder (``manifest.json``, see
:mod:`addin.reports.manifest`) and the workbook's Distribution and Settings sheets. Which reviews
each executive gets is their scope (:mod:`addin.scope`); every message carries the portfolio
summary. Delivery, retries and failure kinds are :mod:`addin.smtp`'s.

**Send log**: ``mail_log.jsonl`` in the reports folder, one JSON line per message sent, keyed by
month, recipient address and a hash of the message's content (subject, bodies, attachment
names, not the PDF bytes, which change with every render); a re-run of the month skips each
message already logged, so nobody gets a message twice, and sends what is missing or changed.
**Size**: a message whose encoded size would pass the limit (10 MB = 10,000,000 bytes by
default) is split into numbered parts, the summary in part 1, each part under the limit.
**Headers**: names and addresses with line breaks or control characters are refused before
anything is sent; names go through ``email.headerregistry.Address`` (quoted, RFC 2047).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from addin.errors import InputError, Problem
from addin.reports.i18n import normalise_language
from addin.reports.manifest import (
    ACCOUNT_HEADLINES,
    PORTFOLIO_HEADLINES,
    AccountReport,
    Manifest,
    read_manifest,
)
from addin.scope import Scope, ScopeClause, parse_scope
from addin.smtp import (
    DryRunTransport,
    RecipientFailed,
    ServerFailed,
    SMTPTransport,
    classify,
)

if TYPE_CHECKING:
    from addin.workbook import CRMWorkbook

LOG_NAME = "mail_log.jsonl"
DEFAULT_MAX_BYTES = 10_000_000
_MARGIN = 4096  # bytes kept free per message for part notes and header growth


# ---------------------------------------------------------------------------------------------
# recipients


@dataclass(frozen=True)
class Recipient:
    row: int  # Excel row of the Distribution sheet
    name: str
    email: str
    language: str
    scope: Scope

    @property
    def address(self) -> Address:
        return Address(display_name=self.name, addr_spec=self.email)

    def __str__(self) -> str:
        return str(self.address)  # quoted where needed: "Carter, Sam" <sam@example.com>


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot go into an email header, or None. Line breaks and other control
    characters could end the header and start another (a ``Bcc:`` smuggled into a name)."""
    bad = _UNSAFE.search(value)
    if bad:
        return (f"text without line breaks or control characters (found {bad.group()!r} at "
                f"position {bad.start() + 1})")
    return None


def recipients_from(distribution: pd.DataFrame, manifest: Manifest,
                    default_language: str = "en") -> list[Recipient]:
    """The Distribution sheet (as read by :func:`addin.workbook.read_sheet`) as recipients,
    checked against the month's manifest; every problem raised at once as an InputError."""
    problems: list[Problem] = []
    out: list[Recipient] = []

    def bad(row: int, column: str, expected: str, value: object) -> None:
        problems.append(Problem(expected, "Distribution", int(row), column, value=value,
                                has_value=True))

    for row, rec in distribution.iterrows():  # a few executives, not a big frame
        name, email = str(rec["name"]), str(rec["email"])
        ok = True
        for column, value in (("name", name), ("email", email)):
            why = header_problem(value)
            if why:
                bad(row, column, why, value)
                ok = False
        if ok and not email.isascii():
            bad(row, "email", "an address in ASCII (write an international domain in its xn-- "
                              "form)", email)
            ok = False
        lang = rec.get("language")
        lang = default_language if lang is None or pd.isna(lang) else str(lang)
        if lang not in manifest.languages:
            bad(row, "language", f"a language the reports were rendered in "
                                 f"({', '.join(manifest.languages)}); run crm-addin report "
                                 f"--lang {lang}", lang)
            ok = False
        try:
            scope = parse_scope(rec.get("scope"), manifest.accounts)
        except ValueError as exc:
            bad(row, "scope", str(exc), rec.get("scope"))
            ok = False
        if ok:
            out.append(Recipient(int(row), name, email, lang, scope))
    if problems:
        raise InputError.from_problems(problems)
    if not out:
        raise InputError("the Distribution sheet lists nobody to send to", sheet="Distribution")
    return out


# ---------------------------------------------------------------------------------------------
# composing


@cache
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from addin.reports import TEMPLATE_DIR
    from addin.reports.i18n import install

    # HTML escaped; the plain-text body is not HTML, so escaping it would print &amp;.
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR / "email"),
                      autoescape=select_autoescape(["html"], default_for_string=True,
                                                   default=False),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    return install(env)


@dataclass
class Attachment:
    file: str
    data: bytes
    account: AccountReport | None  # None: the portfolio summary

    @property
    def size(self) -> int:
        """Bytes this attachment adds to a message (its MIME part, base64, plus a boundary)."""
        part = MIMEPart(policy=SMTP)
        part.set_content(self.data, maintype="application", subtype="pdf",
                         disposition="attachment", filename=self.file)
        return len(part.as_bytes()) + 80


@dataclass
class Sender:
    email: str
    name: str | None = None
    name_zh: str | None = None

    def address(self, lang: str) -> Address:
        name = (self.name_zh if lang == "zh" and self.name_zh else self.name) or ""
        return Address(display_name=name, addr_spec=self.email)


@dataclass
class Outgoing:
    """One message to send: part ``part`` of ``parts`` for a recipient."""

    recipient: Recipient
    part: int
    parts: int
    message: EmailMessage
    digest: str  # content hash: the send log's key with the month and the address
    files: list[str]

    @property
    def data(self) -> bytes:
        return self.message.as_bytes(policy=SMTP)

    def stem(self, month: str) -> str:
        """File name for a dry run: ``MONTH_ADDRESS[_part-K-of-N]``."""
        stem = f"{month}_{re.sub(r'[^A-Za-z0-9@._+-]', '_', self.recipient.email)}"
        return stem + (f"_part-{self.part}-of-{self.parts}" if self.parts > 1 else "")


def _context(recipient: Recipient, manifest: Manifest, accounts: list[AccountReport],
             attachments: list[Attachment], part: int, parts: int) -> dict:
    columns = [{"key": k, "kind": kind} for k, kind in ACCOUNT_HEADLINES.items()
               if any(k in a.headline for a in accounts)]
    scope = recipient.scope
    return {
        "lang": recipient.language, "currency": manifest.currency, "month": manifest.month,
        "name": recipient.name, "part": part, "parts": parts,
        "scope": {"everything": scope.everything,
                  "clauses": [{"kind": c.kind, "values": list(c.values)} for c in scope.clauses]},
        "headline": [{"key": k, "kind": kind, "value": manifest.headline[k]}
                     for k, kind in PORTFOLIO_HEADLINES.items() if k in manifest.headline],
        "columns": columns,
        "accounts": [{"customer_id": a.customer_id, "name": a.name, "tier": a.tier,
                      "region": a.region, "segment": a.segment,
                      "headline": {c["key"]: a.headline.get(c["key"]) for c in columns}}
                     for a in accounts],
        "attention": [{"customer_id": a.customer_id, "name": a.name, "tier": a.tier,
                       "region": a.region,
                       "items": [{"rule": i.rule, "value": i.value, "threshold": i.threshold,
                                  "value_kind": i.kinds[0], "threshold_kind": i.kinds[1]}
                                 for i in a.attention]}
                      for a in accounts if a.attention],
        "attachments": [{"file": f.file, "name": f.account.name if f.account else None,
                         "customer_id": f.account.customer_id if f.account else None}
                        for f in attachments],
    }


def _message(recipient: Recipient, manifest: Manifest, sender: Sender,
             accounts: list[AccountReport], attachments: list[Attachment], part: int,
             parts: int, with_files: bool = True) -> tuple[EmailMessage, str]:
    from addin.reports.i18n import label, month

    env = _environment()
    context = _context(recipient, manifest, accounts, attachments, part, parts)
    text = env.get_template("message.txt").render(context)
    html = env.get_template("message.html").render(context)
    lang = recipient.language
    subject = (label("email_subject", lang, month=month(manifest.month, lang)) if parts == 1
               else label("email_subject_part", lang, month=month(manifest.month, lang),
                          part=part, parts=parts))
    digest = hashlib.sha256(json.dumps(
        [manifest.month, recipient.email.casefold(), recipient.name, lang, subject, text, html,
         [a.file for a in attachments]], ensure_ascii=False).encode()).hexdigest()
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["From"] = sender.address(lang)
    msg["To"] = recipient.address
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid("crm-addin", domain=sender.email.rpartition("@")[2])
    msg["Content-Language"] = "zh-CN" if lang == "zh" else "en"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    if with_files:
        for item in attachments:
            msg.add_attachment(item.data, maintype="application", subtype="pdf",
                               filename=item.file)
    return msg, digest


class TooLarge(Exception):
    """One attachment alone does not fit under the size limit."""


def compose(recipient: Recipient, manifest: Manifest, folder: Path, sender: Sender,
            max_bytes: int = DEFAULT_MAX_BYTES) -> list[Outgoing]:
    """The messages for one recipient: the summary and the reviews of their scope, split into
    numbered parts when one message would pass ``max_bytes`` (greedy, in manifest order)."""
    lang = recipient.language
    accounts = recipient.scope.select(manifest.accounts)
    files = [Attachment(manifest.summary[lang], b"", None)]
    files += [Attachment(a.files[lang], b"", a) for a in accounts]
    for item in files:
        item.data = (folder / item.file).read_bytes()
    # The body lists the files, so measure it with all of them listed (an upper bound).
    bare, _ = _message(recipient, manifest, sender, accounts, files, 1, 2, with_files=False)
    room = max_bytes - len(bare.as_bytes(policy=SMTP)) - _MARGIN
    groups: list[list[Attachment]] = [[]]
    used = 0
    for item in files:
        size = item.size
        if size > room:
            raise TooLarge(f"{item.file} needs {size / 1e6:.1f} MB encoded, more than the "
                           f"{max_bytes / 1e6:g} MB limit allows; raise --max-size")
        if groups[-1] and used + size > room:
            groups.append([])
            used = 0
        groups[-1].append(item)
        used += size
    out = []
    for number, group in enumerate(groups, start=1):
        msg, digest = _message(recipient, manifest, sender, accounts, group, number, len(groups))
        out.append(Outgoing(recipient, number, len(groups), msg, digest, [f.file for f in group]))
    return out


# ---------------------------------------------------------------------------------------------
# the send log


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


# ---------------------------------------------------------------------------------------------
# the workflow


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


def read_sender(settings: dict[str, str]) -> Sender:
    email = (settings.get("sender_email") or "").strip()
    if not email or "@" not in email or not email.isascii() or header_problem(email):
        raise InputError("a sender_email setting: the From address of the monthly email, "
                         "such as crm-reports@example.com", sheet="Settings", column="key",
                         value=email or None, has_value=bool(email))
    names = {k: (settings.get(k) or "").strip() or None for k in ("company_name",
                                                                  "company_name_zh")}
    for key, name in names.items():
        if name and header_problem(name):
            raise InputError(f"{key}: {header_problem(name)}", sheet="Settings",
                             column="value", value=name, has_value=True)
    return Sender(email, names["company_name"], names["company_name_zh"])


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
PASSWORD_ENV = "CRM_SMTP_PASSWORD"  # the Settings smtp_password_env default
_YES = {"yes": True, "y": True, "true": True, "1": True, "on": True, "是": True,
        "no": False, "n": False, "false": False, "0": False, "off": False, "否": False}


def parse_smtp_address(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:25`` for IPv6) as ``(host, port)``; ValueError otherwise."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r}: expected HOST:PORT, for example smtp.example.com:587")
    return host, int(port)


def smtp_transport(address: str, *, starttls: bool = False, user: str | None = None,
                   password_env: str | None = None,
                   environ: Mapping[str, str] | None = None) -> SMTPTransport:
    """An (unconnected) :class:`SMTPTransport` to ``address`` (HOST:PORT). With ``user``, the
    password is read from the environment variable ``password_env`` (never from a file or the
    workbook), and it may only travel unencrypted to this machine. ValueError says what is
    wrong; the callers add whose option or setting it was."""
    host, port = parse_smtp_address(address)
    password = None
    if user is not None:
        environ = os.environ if environ is None else environ
        password_env = password_env or PASSWORD_ENV
        password = environ.get(password_env)
        if password is None:
            raise ValueError(f"the environment variable {password_env} is not set")
        if not starttls and host not in LOCAL_HOSTS:
            raise ValueError("the password would be sent unencrypted: use STARTTLS")
    return SMTPTransport(host, port, starttls=starttls, user=user, password=password)


def transport_from_settings(settings: Mapping[str, str],
                            environ: Mapping[str, str] | None = None) -> SMTPTransport:
    """The SMTP server of the Settings sheet, for the ribbon's Email executives button:
    ``smtp_server`` (HOST:PORT, required), ``smtp_starttls`` (yes/no, default yes),
    ``smtp_user`` (optional) and ``smtp_password_env``, the environment variable holding the
    password (default ``CRM_SMTP_PASSWORD``; a password is never kept in the workbook).
    InputError names the Settings key."""
    def bad(key: str, what: str, value: str | None = None) -> InputError:
        return InputError(f"{key}: {what}", sheet="Settings", column="value", value=value,
                          has_value=bool(value))

    address = (settings.get("smtp_server") or "").strip()
    if not address:
        raise InputError("a smtp_server setting: the SMTP server as HOST:PORT, such as "
                         "smtp.example.com:587", sheet="Settings", column="key")
    flag = (settings.get("smtp_starttls") or "yes").strip().lower()
    if flag not in _YES:
        raise bad("smtp_starttls", "expected yes or no", flag)
    user = (settings.get("smtp_user") or "").strip() or None
    password_env = (settings.get("smtp_password_env") or "").strip() or None
    try:
        return smtp_transport(address, starttls=_YES[flag], user=user,
                              password_env=password_env, environ=environ)
    except ValueError as exc:
        key = "smtp_server" if "HOST:PORT" in str(exc) else \
            "smtp_starttls" if "STARTTLS" in str(exc) else "smtp_password_env"
        raise bad(key, str(exc), settings.get(key)) from exc


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
    from addin.workbook.reader import settings_dict

    manifest = read_manifest(reports, month)
    settings = settings_dict(_sheet(workbook, "Settings"))
    sender = read_sender(settings)
    try:
        default_lang = normalise_language(settings.get("report_language") or "en")
    except ValueError as exc:
        raise InputError(f"report_language: {exc}", sheet="Settings", column="value") from exc
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


__all__ = [
    "LOG_NAME", "DEFAULT_MAX_BYTES", "Scope", "ScopeClause", "parse_scope", "Recipient",
    "recipients_from", "header_problem", "Sender", "read_sender", "Outgoing", "compose",
    "SendLog", "SMTPTransport", "DryRunTransport", "classify", "RecipientFailed",
    "ServerFailed", "Outcome", "send_monthly_mail", "Planned", "plan",
]
