"""Composing: one message per executive (split into numbered parts above the size limit) with
the portfolio summary and the reviews of their scope attached, its bodies rendered from
``report_templates/email``; and the sender, read from the Settings sheet."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path

from addin.contract.settings import read_settings
from addin.errors import InputError
from addin.mail.recipients import (
    MAX_HEADER_LINE,
    Recipient,
    header_name,
    header_problem,
    longest_header_line,
    name_problem,
)
from addin.reports.manifest import (
    ACCOUNT_HEADLINES,
    PORTFOLIO_HEADLINES,
    SURVEY_COMPANIONS,
    AccountReport,
    Manifest,
)

DEFAULT_MAX_BYTES = 10_000_000
_MARGIN = 4096  # bytes kept free per message for part notes and header growth


@cache
def _environment():
    from jinja2 import (
        Environment,
        FileSystemLoader,
        StrictUndefined,
        pass_context,
        select_autoescape,
    )

    from addin.reports import TEMPLATE_DIR
    from addin.reports import labels as _labels  # noqa: F401  (the pack's labels)
    from addin.reports.i18n import install

    # HTML escaped; the plain-text body is not HTML, so escaping it would print &amp;.
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR / "email"),
                      autoescape=select_autoescape(["html"], default_for_string=True,
                                                   default=False),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env = install(env)

    @pass_context
    def word(ctx, domain, value):  # a workbook value in the message's language
        return _labels.term(domain, value, ctx.get("lang", "en"))

    env.globals["word"] = word

    @pass_context
    def term(ctx, value, domain):
        return _labels.term(domain, value, ctx.get("lang", "en"))

    env.filters["term"] = term
    return env


@dataclass
class Attachment:
    file: str
    data: bytes
    account: AccountReport | None  # None: the portfolio summary (or the pack)
    pack: bool = False  # the executive's pack: summary and reviews in one PDF

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
        return Address(display_name=header_name(name), addr_spec=self.email)


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
             attachments: list[Attachment], part: int, parts: int,
             pages: dict[str, int | None] | None = None) -> dict:
    companions = {c for pair in SURVEY_COMPANIONS.values() for c in pair}
    columns = [{"key": k, "kind": kind} for k, kind in ACCOUNT_HEADLINES.items()
               if k not in companions and any(k in a.headline for a in accounts)]

    def figure(key: str, kind: str, values: dict) -> dict:
        """A headline value with, for a survey score, its n and margin (the template writes
        "too few answers (n = 3)" when the score is None and n is not 0)."""
        n_key, moe_key = SURVEY_COMPANIONS.get(key, (None, None))
        return {"key": key, "kind": kind, "value": values.get(key),
                "n": values.get(n_key) if n_key else None,
                "moe": values.get(moe_key) if moe_key else None,
                "survey": n_key is not None}

    scope = recipient.scope
    return {
        "lang": recipient.language, "currency": manifest.currency, "month": manifest.month,
        "name": recipient.name, "part": part, "parts": parts,
        "scope": {"everything": scope.everything,
                  "clauses": [{"kind": c.kind, "values": list(c.values)} for c in scope.clauses]},
        "headline": [figure(k, kind, manifest.headline)
                     for k, kind in PORTFOLIO_HEADLINES.items()
                     if k in manifest.headline and k not in companions],
        "columns": columns,
        "accounts": [{"customer_id": a.customer_id, "name": a.name_in(recipient.language),
                      "tier": a.tier,
                      "region": a.region, "segment": a.segment,
                      "headline": {c["key"]: figure(c["key"], c["kind"], a.headline)
                                   for c in columns},
                      "page": (pages or {}).get(a.customer_id)}
                     for a in accounts],
        "pages": bool(pages),
        # an account named with --accounts outside the key tiers: the body says "account
        # reviews", never calls it a key account
        "all_key": all(a.key_account for a in accounts),
        "attention": [{"customer_id": a.customer_id, "name": a.name_in(recipient.language),
                       "tier": a.tier,
                       "region": a.region,
                       "items": [{"rule": i.rule, "value": i.value, "threshold": i.threshold,
                                  "value_kind": i.kinds[0], "threshold_kind": i.kinds[1]}
                                 for i in a.attention]}
                      for a in accounts if a.attention],
        "attachments": [{"file": f.file,
                         "name": f.account.name_in(recipient.language) if f.account else None,
                         "customer_id": f.account.customer_id if f.account else None,
                         "key_account": f.account.key_account if f.account else None,
                         "pack": f.pack}
                        for f in attachments],
    }


def _message(recipient: Recipient, manifest: Manifest, sender: Sender,
             accounts: list[AccountReport], attachments: list[Attachment], part: int,
             parts: int, with_files: bool = True,
             pages: dict[str, int | None] | None = None) -> tuple[EmailMessage, str]:
    from addin.reports.i18n import close_cjk_gaps, label, month

    env = _environment()
    context = _context(recipient, manifest, accounts, attachments, part, parts, pages)
    lang = recipient.language
    text = close_cjk_gaps(env.get_template("message.txt").render(context), lang, markup=False)
    html = close_cjk_gaps(env.get_template("message.html").render(context), lang)
    kind = "" if all(a.key_account for a in accounts) else "_accounts"
    subject = (label(f"email_subject{kind}", lang, month=month(manifest.month, lang))
               if parts == 1 else
               label(f"email_subject_part{kind}", lang, month=month(manifest.month, lang),
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
    if longest_header_line(msg) > MAX_HEADER_LINE:  # names are checked; this is the backstop
        raise InputError(f"the message to {recipient.email} would have a header line over "
                         f"{MAX_HEADER_LINE} characters (RFC 5322)", sheet="Distribution",
                         row=recipient.row)
    if with_files:
        for item in attachments:
            msg.add_attachment(item.data, maintype="application", subtype="pdf",
                               filename=item.file)
    return msg, digest


class TooLarge(Exception):
    """One attachment alone does not fit under the size limit (or, :class:`NoPack`, the
    recipient's attachment is not there): that recipient fails, the others still go."""


class NoPack(TooLarge):
    """The recipient's pack was not rendered (it failed, and the report said so)."""


def compose(recipient: Recipient, manifest: Manifest, folder: Path, sender: Sender,
            max_bytes: int = DEFAULT_MAX_BYTES) -> list[Outgoing]:
    """The messages for one recipient: the summary and the reviews of their scope, split into
    numbered parts when one message would pass ``max_bytes`` (greedy, in manifest order)."""
    lang = recipient.language
    pages: dict[str, int | None] | None = None
    if manifest.packs:
        # one PDF per executive, planned from this Distribution row
        pack = manifest.pack_for(recipient.row, recipient.email)
        if pack is None:
            raise NoPack(f"{folder} holds no pack for Distribution row {recipient.row}: its "
                         f"render failed, or the sheet changed after crm-addin report; run "
                         f"it again")
        by_id = {a.customer_id: a for a in manifest.accounts}
        accounts = [by_id[e.customer_id] for e in pack.accounts]
        pages = {e.customer_id: e.page for e in pack.accounts}
        files = [Attachment(pack.file, b"", None, pack=True)]
    else:
        accounts = recipient.scope.select(manifest.accounts)
        missing = [a.customer_id for a in accounts if lang not in a.files]
        if missing or lang not in manifest.summary:
            raise InputError(f"{folder} lacks the {lang} PDFs of {recipient} (Distribution "
                             f"row {recipient.row}; accounts {', '.join(missing[:5])}): the "
                             f"sheet changed after crm-addin report; run it again",
                             sheet="Distribution", row=recipient.row)
        files = [Attachment(manifest.summary[lang], b"", None)]
        files += [Attachment(a.files[lang], b"", a) for a in accounts]
    for item in files:
        item.data = (folder / item.file).read_bytes()
    # The body lists the files, so measure it with all of them listed (an upper bound).
    bare, _ = _message(recipient, manifest, sender, accounts, files, 1, 2, with_files=False,
                       pages=pages)
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
        msg, digest = _message(recipient, manifest, sender, accounts, group, number, len(groups),
                               pages=pages)
        out.append(Outgoing(recipient, number, len(groups), msg, digest, [f.file for f in group]))
    return out



def read_sender(settings) -> Sender:
    """The sender of the monthly email from the Settings sheet (a frame indexed by Excel row,
    a ``{key: value}`` mapping, or :class:`~addin.contract.settings.SettingValues`), read by
    the one Settings reader: ``sender_email`` (required), ``company_name``,
    ``company_name_zh``."""
    s = read_settings(settings)
    email = s.text("sender_email")
    if not email or "@" not in email or not email.isascii() or header_problem(email):
        raise InputError("a sender_email setting: the From address of the monthly email, "
                         "such as crm-reports@example.com", sheet=s.sheet,
                         row=s.row("sender_email"), column="value" if email else "key",
                         value=email or None, has_value=bool(email))
    names = {k: s.text(k) or None for k in ("company_name", "company_name_zh")}
    for key, name in names.items():
        why = name and name_problem(name)
        if why:
            raise InputError(f"{key}: {why}", sheet=s.sheet, row=s.row(key), column="value",
                             value=name, has_value=True)
    return Sender(email, names["company_name"], names["company_name_zh"])
