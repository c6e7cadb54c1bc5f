"""The hand-over from ``crm-addin report`` to ``crm-addin mail``: ``manifest.json`` in the
reports folder.

The report command writes it last, after every PDF, so a folder with a manifest is complete. It
records the month, the company and currency, the languages rendered, the portfolio summary per
language, and per key account its id, name, region, segment, tier, its review per language, the
headline numbers the email shows and the reasons it needs attention (empty when it does not).
File names are relative to the folder. The mail command reads it back with :func:`read_manifest`,
which checks the month and that every file it names is there, so a stale or half-copied folder
is refused with a message saying what is wrong instead of mailing the wrong month.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from addin.errors import InputError

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class AccountReport:
    """One key account's reviews and what the email says about it."""

    customer_id: str
    name: str
    region: str | None = None
    segment: str | None = None
    tier: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # language -> PDF file name
    headline: dict[str, Any] = field(default_factory=dict)  # e.g. revenue_month, nps
    attention: list[str] = field(default_factory=list)  # readable reasons, in English


@dataclass
class Manifest:
    month: str
    company: str
    currency: str
    languages: list[str]
    summary: dict[str, str] = field(default_factory=dict)  # language -> summary PDF
    accounts: list[AccountReport] = field(default_factory=list)
    headline: dict[str, Any] = field(default_factory=dict)  # portfolio numbers for the email
    created: str = ""
    version: int = FORMAT_VERSION

    def files(self) -> list[str]:
        names = list(self.summary.values())
        for account in self.accounts:
            names.extend(account.files.values())
        return names

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=False,
                          default=_jsonable)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def check_month(month: str) -> str:
    if not isinstance(month, str) or not _MONTH.match(month):
        raise InputError(f"month {month!r}: expected YYYY-MM, for example 2026-10")
    return month


def write_manifest(folder: str | Path, manifest: Manifest) -> Path:
    """Write ``manifest.json`` atomically into ``folder`` (after the PDFs it names)."""
    folder = Path(folder)
    check_month(manifest.month)
    _check_files(folder, manifest)
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".json", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(manifest.to_json())
    dest = folder / MANIFEST_NAME
    os.replace(tmp, dest)
    return dest


def _check_files(folder: Path, manifest: Manifest) -> None:
    for name in manifest.files():
        if Path(name).name != name:
            raise InputError(f"{MANIFEST_NAME}: file {name!r} must be a plain name inside "
                             f"{folder}")
        if not (folder / name).is_file():
            raise InputError(f"{folder / MANIFEST_NAME} names {name}, which is missing from "
                             f"{folder}; run crm-addin report again")


def read_manifest(folder: str | Path, month: str | None = None) -> Manifest:
    """Read and check ``folder/manifest.json``; with ``month``, refuse another month's."""
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise InputError(f"{folder} has no {MANIFEST_NAME}: run crm-addin report --out "
                         f"{folder} first")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        accounts = [AccountReport(**a) for a in data.pop("accounts", [])]
        manifest = Manifest(**data, accounts=accounts)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path} is not a manifest written by crm-addin report "
                         f"({exc})") from exc
    if manifest.version != FORMAT_VERSION:
        raise InputError(f"{path}: format version {manifest.version}, this add-in reads "
                         f"version {FORMAT_VERSION}; run crm-addin report again")
    if month is not None and manifest.month != check_month(month):
        raise InputError(f"{path} holds the reports for {manifest.month}, not {month}; "
                         f"run crm-addin report --month {month}")
    _check_files(folder, manifest)
    return manifest


__all__ = ["MANIFEST_NAME", "AccountReport", "Manifest", "read_manifest", "write_manifest",
           "check_month"]
