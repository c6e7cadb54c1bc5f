"""The hand-over from ``crm-addin report`` to ``crm-addin mail``: ``manifest.json`` in the
reports folder.

``crm-addin report`` writes it last, after every PDF, with :func:`write_manifest`, so a folder
with a manifest is complete. It records:

- ``month`` (``YYYY-MM``), ``company``, ``currency`` (ISO 4217, from Settings) and the
  ``languages`` rendered (``en``, ``zh``);
- ``summary``: the portfolio summary PDF per language;
- ``headline``: portfolio numbers for the email, keys from :data:`PORTFOLIO_HEADLINES`;
- ``packs``: one per Distribution row when the reports are packs: the row, address, name,
  language, the PDF and its accounts in order with the page each review starts on;
- ``hashes``: per PDF the SHA-256 of its inputs, so a re-run renders only what changed;
- ``accounts``: per key account its ``customer_id``, ``name``, its name per language rendered
  (``names``: the email of a Chinese reader names the account as the Chinese pack does),
  ``region``, ``segment``, ``tier``, its review PDF per language (``files``), its
  ``headline`` (keys from :data:`ACCOUNT_HEADLINES`) and ``attention``: the next-action rules
  it triggered (:data:`ATTENTION_RULES`), each with the number that triggered it and the
  rule's threshold.

File names are plain names inside the folder. Numbers stay numbers (JSON, NaN written as null);
the email's templates format them per language by the kind each key or rule declares, and the
labels of every key and rule are in :data:`addin.reports.i18n.LABELS`. A report that needs a new
headline or rule adds it to the tables here and its label to the catalogue.

:func:`read_manifest` checks everything :func:`write_manifest` checks (version, month, keys,
languages, files present and PDFs), so a stale, half-copied or hand-edited folder is refused
with a message saying what is wrong instead of mailing the wrong month.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

from addin.errors import InputError, Problem
from addin.reports.i18n import LANGUAGES

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 3  # 2: packs; accounts' files cover the languages someone reads; 3: names
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# key -> quantity kind (addin.reports.i18n.QUANTITY_KINDS); the email shows them in this order.
PORTFOLIO_HEADLINES: dict[str, str] = {
    "revenue_month": "money",
    "revenue_ytd": "money",
    "revenue_yoy": "change",  # (this year to date - same months last year) / last year
    "customers": "count",
    "key_accounts": "count",
    "accounts_at_risk": "count",  # key accounts with at least one attention rule triggered
    "nps": "points",  # None when from too few answers (addin.reports.month.too_few)
    "nps_n": "count",  # the answers behind it
    "nps_moe": "points",  # its 95 % margin of error
    "csat": "percent",  # top-two-box share in percent, as addin.surveys.csat gives it
    "csat_n": "count",
    "csat_moe": "percent",  # half the width of its Wilson 95 % interval
    "churn_rate": "share",  # the latest period's churn rate (addin.churn.loss)
    "winback_accounts": "count",  # lost or at-risk key accounts (addin.churn.winback)
    "winback_value": "money",  # their value at stake
    "revenue_forecast": "money",  # BG/NBD x Gamma-Gamma, the forecast_months ahead
    "forecast_vs_plan": "change",  # (forecast - revenue_plan) / revenue_plan
}
ACCOUNT_HEADLINES: dict[str, str] = {
    "revenue_month": "money",
    "revenue_ytd": "money",
    "revenue_yoy": "change",
    "nps": "points",
    "nps_n": "count",
    "nps_moe": "points",
}
# A survey score's companions: the email shows them inside the score's cell ("12.5 ± 8.1,
# n = 40", or "too few answers (n = 3)" when the score is None but n is not), not as columns.
SURVEY_COMPANIONS: dict[str, tuple[str, str]] = {"nps": ("nps_n", "nps_moe"),
                                                  "csat": ("csat_n", "csat_moe")}
# rule -> (kind of the triggering value, kind of the threshold). The rules of the issue's
# "next actions"; label key "attention_<rule>" with {value} and {threshold}.
ATTENTION_RULES: dict[str, tuple[str, str]] = {
    "win_back": ("age", "days"),  # lost by the churn loss rule: days silent vs k x usual gap
    "purchase_overdue": ("age", "days"),  # days since the last order vs its usual gap
    "spend_declining": ("change", "change"),  # last 180 days vs the 180 before, alert level
    "complaint_overdue": ("age", "age"),  # age of the oldest open complaint vs target
    "low_satisfaction": ("score", "score"),  # mean satisfaction vs Settings threshold
    "single_contact": ("count", "count"),  # staff in touch over six months vs the minimum
}


@dataclass
class Attention:
    """One next-action rule an account triggered, with the number that triggered it."""

    rule: str
    value: float | None
    threshold: float | None = None

    @property
    def kinds(self) -> tuple[str, str]:
        return ATTENTION_RULES[self.rule]


@dataclass
class AccountReport:
    """One reviewed account's PDFs and what the email says about it."""

    customer_id: str
    name: str
    region: str | None = None
    segment: str | None = None
    tier: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # language -> PDF file name
    headline: dict[str, float | None] = field(default_factory=dict)  # ACCOUNT_HEADLINES keys
    attention: list[Attention] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # language -> name in that language
    # False for an account named with --accounts outside the key-account tiers: its review
    # and the email call it an "account review", not a "key-account review"
    key_account: bool = True

    def name_in(self, lang: str) -> str:
        """The account's name as the reports of ``lang`` print it (``name`` when that
        language was not rendered)."""
        return self.names.get(lang) or self.name


@dataclass
class PackEntry:
    """One account in a pack: its id and the page its review starts on."""

    customer_id: str
    page: int | None = None


@dataclass
class PackReport:
    """One executive's pack: the Distribution ``row`` and ``email`` it was planned for, its
    language, its PDF and the accounts it reviews, in order."""

    row: int
    email: str
    name: str
    language: str
    file: str
    accounts: list[PackEntry] = field(default_factory=list)


@dataclass
class Manifest:
    month: str
    company: str
    currency: str
    languages: list[str]
    summary: dict[str, str] = field(default_factory=dict)  # language -> summary PDF
    accounts: list[AccountReport] = field(default_factory=list)
    headline: dict[str, float | None] = field(default_factory=dict)  # PORTFOLIO_HEADLINES keys
    created: str = ""
    packs: list[PackReport] = field(default_factory=list)  # one per Distribution row
    hashes: dict[str, str] = field(default_factory=dict)  # file -> SHA-256 of its inputs
    version: int = FORMAT_VERSION

    def files(self) -> list[str]:
        names = list(self.summary.values())
        for account in self.accounts:
            names.extend(account.files.values())
        names.extend(p.file for p in self.packs)
        return names

    def pack_for(self, row: int, email: str) -> PackReport | None:
        """The pack planned for the Distribution row ``row`` with this address, if any."""
        for pack in self.packs:
            if pack.row == row and pack.email.casefold() == email.casefold():
                return pack
        return None

    def to_json(self) -> str:
        return json.dumps(_clean(asdict(self)), ensure_ascii=False, indent=2, allow_nan=False)


def _clean(value: Any) -> Any:
    """JSON-ready copy: numpy scalars as Python numbers, NaN as null, dates as ISO text."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def check_month(month: str) -> str:
    if not isinstance(month, str) or not _MONTH.match(month):
        raise InputError(f"month {month!r}: expected YYYY-MM, for example 2026-10")
    return month


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, Real) and not isinstance(value, bool))


def manifest_problems(manifest: Manifest, folder: Path) -> list[str]:
    """Everything wrong with ``manifest`` for ``folder``, one readable line each."""
    out: list[str] = []
    if not isinstance(manifest.month, str) or not _MONTH.match(manifest.month):
        out.append(f"month {manifest.month!r} is not YYYY-MM")
    if not re.fullmatch(r"[A-Z]{3}", str(manifest.currency)):
        out.append(f"currency {manifest.currency!r} is not an ISO 4217 code such as CNY")
    langs = list(manifest.languages or [])
    if not langs or set(langs) - set(LANGUAGES):
        out.append(f"languages {langs!r}: expected some of {', '.join(LANGUAGES)}")

    def check_files(owner: str, files: dict[str, str], every: bool = False) -> None:
        # a review is rendered only in the languages someone reads it in
        wrong = set(files) != set(langs) if every else bool(set(files) - set(langs))
        if wrong:
            out.append(f"{owner} has files for {sorted(files)}, expected "
                       f"{'one per language' if every else 'some of the languages'} "
                       f"{sorted(langs)}")
        for name in files.values():
            if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
                out.append(f"{owner}: file {name!r} must be a plain name inside {folder}")
            elif not (folder / name).is_file():
                out.append(f"{owner}: {name} is missing from {folder}")
            else:
                with open(folder / name, "rb") as fh:
                    if fh.read(5) != b"%PDF-":
                        out.append(f"{owner}: {name} is not a PDF")

    def check_headline(owner: str, headline: dict, allowed: dict[str, str]) -> None:
        for key, value in headline.items():
            if key not in allowed:
                out.append(f"{owner}: headline {key!r} is not one of {', '.join(allowed)}")
            elif not _is_number(value):
                out.append(f"{owner}: headline {key!r} is {value!r}, expected a number or null")

    if not manifest.packs:
        check_files("the portfolio summary", manifest.summary, every=True)
    else:
        check_files("the portfolio summary", manifest.summary)
    ids = {a.customer_id for a in manifest.accounts}
    for pack in manifest.packs:
        owner = f"the pack of Distribution row {pack.row}"
        check_files(owner, {pack.language: pack.file})
        for entry in pack.accounts:
            if entry.customer_id not in ids:
                out.append(f"{owner}: account {entry.customer_id!r} is not in the manifest")
    check_headline("the portfolio", manifest.headline, PORTFOLIO_HEADLINES)
    seen: set[str] = set()
    for account in manifest.accounts:
        owner = f"account {account.customer_id}"
        if not isinstance(account.customer_id, str) or not account.customer_id:
            out.append(f"an account has customer_id {account.customer_id!r}, expected text")
        elif account.customer_id in seen:
            out.append(f"{owner} is listed twice")
        seen.add(account.customer_id)
        for attr in ("name", "region", "segment", "tier"):
            value = getattr(account, attr)
            if not (isinstance(value, str) or (value is None and attr != "name")):
                out.append(f"{owner}: {attr} is {value!r}, expected text")
        check_files(owner, account.files)
        if set(account.names) - set(langs) or not all(
                isinstance(v, str) and v for v in account.names.values()):
            out.append(f"{owner}: names {account.names!r}, expected a name per language of "
                       f"{sorted(langs)}")
        if not isinstance(account.key_account, bool):
            out.append(f"{owner}: key_account is {account.key_account!r}, expected true or "
                       f"false")
        check_headline(owner, account.headline, ACCOUNT_HEADLINES)
        for item in account.attention:
            if item.rule not in ATTENTION_RULES:
                out.append(f"{owner}: attention rule {item.rule!r} is not one of "
                           f"{', '.join(ATTENTION_RULES)}")
            elif not (_is_number(item.value) and _is_number(item.threshold)):
                out.append(f"{owner}: attention {item.rule!r} needs numbers, found "
                           f"{item.value!r} and {item.threshold!r}")
    return out


def _raise(path: Path, problems: list[str], advice: str) -> None:
    if problems:
        raise InputError.from_problems(
            Problem(f"{path}: {text}; {advice}") for text in problems)


def write_manifest(folder: str | Path, manifest: Manifest) -> Path:
    """Check ``manifest`` and write ``folder/manifest.json`` atomically (after the PDFs)."""
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    _raise(path, manifest_problems(manifest, folder), "the report writer has a bug")
    if not manifest.created:
        manifest.created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(manifest.to_json())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _from_dict(data: dict) -> Manifest:
    data = dict(data)
    packs = [PackReport(**{**p, "accounts": [PackEntry(**e) for e in p.get("accounts", [])]})
             for p in data.pop("packs", [])]
    accounts = []
    for raw in data.pop("accounts", []):
        raw = dict(raw)
        attention = [Attention(**a) for a in raw.pop("attention", [])]
        accounts.append(AccountReport(**raw, attention=attention))
    return Manifest(**data, accounts=accounts, packs=packs)


def read_manifest(folder: str | Path, month: str | None = None) -> Manifest:
    """Read and check ``folder/manifest.json``; with ``month``, refuse another month's."""
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise InputError(f"{folder} has no {MANIFEST_NAME}: run crm-addin report --out "
                         f"{folder} first")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version = data.get("version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            raise InputError(f"{path}: format version {version!r}, this add-in reads version "
                             f"{FORMAT_VERSION}; run crm-addin report again")
        manifest = _from_dict(data)
    except (ValueError, TypeError, AttributeError) as exc:
        raise InputError(f"{path} is not a manifest written by crm-addin report "
                         f"({exc})") from exc
    if month is not None and manifest.month != check_month(month):
        raise InputError(f"{path} holds the reports for {manifest.month}, not {month}; "
                         f"run crm-addin report --month {month} --out {folder}")
    _raise(path, manifest_problems(manifest, folder), "run crm-addin report again")
    return manifest


__all__ = [
    "MANIFEST_NAME", "FORMAT_VERSION", "PORTFOLIO_HEADLINES", "ACCOUNT_HEADLINES",
    "SURVEY_COMPANIONS",
    "ATTENTION_RULES", "Attention", "AccountReport", "Manifest", "PackEntry", "PackReport",
    "manifest_problems",
    "read_manifest", "write_manifest", "check_month",
]
