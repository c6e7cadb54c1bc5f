"""The scan behind "every word in a Chinese report is Chinese": the ASCII words of a PDF's
text (pdftotext) that are not a proper name, an id, a unit symbol or an email address.

What counts as a proper name or an id comes from the workbook itself (customer, staff and
company names, ids, credit ratings, email addresses: every word in them), plus
:data:`PROPER`: acronyms a Chinese business document writes as they are (CRM, RFM, ABC and
the VIP tier, VIP客户) and the names of the CLV models (BG/NBD, Gamma-Gamma), which have no
Chinese names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

PROPER = {"CRM", "RFM", "ABC", "VIP", "BG", "NBD", "Gamma-Gamma", "Gamma"}
ABC_CLASSES = {"A", "B", "C"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'&-]*")


def words(values: Iterable[object]) -> set[str]:
    out: set[str] = set()
    for value in values:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            continue
        for w in _WORD.findall(str(value)):
            out.add(w.strip("-'&"))
            out.update(part for part in re.split(r"[-'&]", w) if part)
    return out


def workbook_names(sheets: dict[str, pd.DataFrame]) -> set[str]:
    """Every word of the workbook's names, ids, ratings and addresses."""
    columns = {"Customers": ("customer_id", "name", "name_en", "name_zh", "account_manager",
                             "email", "credit_level"),
               "Contacts": ("staff",), "Distribution": ("name", "email"),
               "Scorecard": ("owner",)}
    out = set(PROPER) | ABC_CLASSES
    for sheet, cols in columns.items():
        frame = sheets.get(sheet)
        if frame is not None:
            for col in cols:
                if col in frame.columns:
                    out |= words(frame[col].dropna().unique())
    settings = sheets.get("Settings")
    if settings is not None:  # the company's own names and address
        named = settings[settings["key"].isin(["company_name", "company_name_zh",
                                               "sender_email"])]
        out |= words(named["value"].astype(str))
    return out


def english_words(text: str, allowed: set[str]) -> dict[str, int]:
    """ASCII words of ``text`` outside ``allowed``, with how often each occurs."""
    text = re.sub(r"[\w.+-]+@[\w.-]+", " ", text)  # whole addresses (fragments: allowed)
    found: dict[str, int] = {}
    for w in _WORD.findall(text):
        w = w.strip("-'&")
        if not w or w in allowed or all(p in allowed for p in re.split(r"[-'&]", w) if p):
            continue
        found[w] = found.get(w, 0) + 1
    return found
