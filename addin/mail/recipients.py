"""Recipients: the Distribution sheet's executives, each with a language and a scope, checked
before anything is composed; and the header check that keeps control characters out of every
address and name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

import pandas as pd

from addin.errors import InputError, Problem
from addin.mail.scope import Scope, parse_scope
from addin.reports.manifest import Manifest


@dataclass(frozen=True)
class Recipient:
    row: int  # Excel row of the Distribution sheet
    name: str
    email: str
    language: str
    scope: Scope

    @property
    def address(self) -> Address:
        return Address(display_name=header_name(self.name), addr_spec=self.email)

    def __str__(self) -> str:
        return str(self.address)  # quoted where needed: "Carter, Sam" <sam@example.com>


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


MAX_HEADER_LINE = 998  # RFC 5322 section 2.1.1: characters per line, CRLF excluded
MAX_HEADER_NAME = 200  # characters of a display name in From:/To:; longer ones are cut


def header_name(name: str) -> str:
    """``name`` as it goes into a From: or To: header: at most :data:`MAX_HEADER_NAME`
    characters, a longer one cut with an ellipsis (the body keeps it whole). Bounds the work of
    folding (Python's ``email`` folds a 2,000-character Chinese name in seconds) and the header's
    size, whatever the Distribution or Settings hold."""
    return name if len(name) <= MAX_HEADER_NAME else name[:MAX_HEADER_NAME - 1] + "…"


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot go into an email header, or None. Line breaks and other control
    characters could end the header and start another (a ``Bcc:`` smuggled into a name)."""
    bad = _UNSAFE.search(value)
    if bad:
        return (f"text without line breaks or control characters (found {bad.group()!r} at "
                f"position {bad.start() + 1})")
    return None


def longest_header_line(message: EmailMessage) -> int:
    """Characters in the longest header line of ``message`` as it goes over SMTP."""
    head = message.as_bytes(policy=SMTP).split(b"\r\n\r\n", 1)[0]
    return max(len(line) for line in head.split(b"\r\n"))


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a display name of a From or To header, or None: control
    characters (:func:`header_problem`), or a header that, even with the name cut to
    :data:`MAX_HEADER_NAME` characters, cannot be folded within RFC 5322's 998 characters a
    line (``email`` folds at spaces and RFC 2047-encodes non-ASCII text, but leaves a long
    ASCII word whole)."""
    why = header_problem(name)
    if why:
        return why
    probe = EmailMessage(policy=SMTP)
    probe["To"] = Address(display_name=header_name(name), addr_spec="someone@example.com")
    longest = longest_header_line(probe)
    if longest > MAX_HEADER_LINE:
        return (f"a name that fits an email header line of {MAX_HEADER_LINE} characters "
                f"(RFC 5322); this one, {len(name):,} characters without a space to fold at, "
                f"makes a line of {longest:,}")
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
            why = name_problem(value) if column == "name" else header_problem(value)
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
