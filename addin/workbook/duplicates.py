"""Duplicate customers (查重): one customer entered more than once on the Customers sheet.

``find_duplicate_customers(customers)`` lists every record that belongs to a duplicate group,
with the Excel row and a reason a manager can check by eye. Two rules link two records:

(a) **same id**: their ``customer_id`` is equal after Unicode NFKC, stripping surrounding
    spaces and case-folding (``"c001"``, ``" C001 "`` and full-width ``"Ｃ001"`` are one id).
(b) **likely duplicate**: their ids differ, their names are equal after
    :func:`normalise_company_name`, *and* they share a normalised e-mail
    (:func:`normalise_email`) or a normalised phone number (:func:`normalise_phone`), both sides
    non-empty. A shared name alone is not enough: two firms in two cities may well have the same
    name, so a second, independent field has to agree (a false-positive guard).

Linked records form groups transitively (A~B by e-mail and B~C by phone puts A, B and C in one
group): the connected components of the link graph. Matching is by exact equality of keys, so
the work is a few group-bys and a union-find over the links, never a comparison of all pairs
(100,000 customers take a fraction of a second).

This is deterministic record linkage on standardised keys, with the shared e-mail or phone
acting as the blocking key (P. Christen, *Data Matching*, Springer 2012, ch. 3-4: clean and
standardise, then compare only records that share a key). Phone numbers follow China's numbering
plan under ITU-T E.164: international prefix 00, country code 86, trunk prefix 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

from addin.errors import InputError

# Legal-form words removed from the end of a company name, repeatedly ("Co., Ltd." drops both).
# Latin forms are matched as whole trailing words (so "Costco" keeps its "co"); Chinese forms are
# matched at the end of the trailing Chinese text, which has no spaces, longest first (so
# 股份有限公司 goes in one step rather than leaving 股份). Words that tell firms apart (group,
# holdings, 集团, regions) are deliberately not here.
LEGAL_FORM_SUFFIXES: tuple[str, ...] = (
    "ltd", "limited", "co", "company", "corp", "corporation", "inc", "incorporated",
    "llc", "llp", "plc", "gmbh", "ag", "kg", "sa", "bv", "nv", "pte", "pty",
    "股份有限公司", "有限责任公司", "有限責任公司", "有限公司", "股份公司", "公司",
)

DUPLICATE_COLUMNS: tuple[str, ...] = ("group", "kind", "row", "customer_id", "name", "reason")
SAME_ID = "same id"
LIKELY_DUPLICATE = "likely duplicate"

# Han (with extension A/B.., compatibility), kana (not the ・ middle dot), Hangul, and 々〆〇.
_CJK = (
    "\u3005-\u3007\u3041-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\U00020000-\U0003ffff"
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
# A token is a run of CJK letters or a run of other letters and digits; everything else
# (punctuation, symbols, spaces, "_") separates tokens and is dropped.
_TOKEN = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+")

_WORD_SUFFIXES = frozenset(s for s in LEGAL_FORM_SUFFIXES if not _CJK_CHAR.search(s))
_CJK_SUFFIXES = tuple(
    sorted((s for s in LEGAL_FORM_SUFFIXES if _CJK_CHAR.search(s)), key=len, reverse=True)
)

_PHONE_ALTERNATIVES = re.compile(r"[/;,，；、|]|或")
_PHONE_EXTENSION = re.compile(r"(?:ext|x|转|分机|#).*$", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"[^0-9]")
# A full Chinese number after the country code and trunk 0: an 11-digit mobile (1xx xxxx xxxx)
# or area code + subscriber (10 + 8, 2x + 8, 3-digit code + 7 or 8 digits): 10 or 11 digits,
# not starting with 0. "00" (international call prefix), then "86" when a full number follows
# (with or without its trunk 0), then a trunk "0" when a full number follows, are dropped.
_FULL_CN = r"[1-9][0-9]{9,10}$"
_PHONE_NATIONAL = re.compile(f"(?:00)?(?:86(?=0?{_FULL_CN}))?(?:0(?={_FULL_CN}))?([0-9]*)$")
MIN_PHONE_DIGITS = 7


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes are not missing scalars
        return False


def _as_text(value: object) -> str:
    """Text of a cell value; a number typed as 1001 or 1001.0 reads as ``"1001"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _is_cjk(token: str) -> bool:
    return token[0] >= "\u3005" and _CJK_CHAR.match(token) is not None


def _tokens(text: str) -> list[str]:
    """Tokens of a folded name, with adjacent CJK runs joined (Chinese uses no spaces, so a space
    inside it is noise) and runs of single letters joined ("s.a." -> "sa", "l.l.c." -> "llc")."""
    merged: list[str] = []
    single_run = last_cjk = False
    for token in _TOKEN.findall(text):
        cjk = _is_cjk(token)
        if cjk and last_cjk or not cjk and single_run and len(token) == 1:
            merged[-1] += token
        else:
            merged.append(token)
            single_run = not cjk and len(token) == 1
        last_cjk = cjk
    return merged


def _fold_name(text: str) -> str:
    tokens = _tokens(unicodedata.normalize("NFKC", text).casefold())
    if not tokens:
        return ""
    while True:
        last = tokens[-1]
        if last in _WORD_SUFFIXES:
            if len(tokens) == 1:
                break
            tokens.pop()
        elif _is_cjk(last):
            suffix = next((s for s in _CJK_SUFFIXES if last.endswith(s)), None)
            if suffix is None:
                break
            if len(last) > len(suffix):
                tokens[-1] = last[: -len(suffix)]
            elif len(tokens) > 1:
                tokens.pop()
            else:
                break
        else:
            break
    return "".join(tokens)


def normalise_company_name(name: str) -> str:
    """Matching key of a company name.

    Steps: Unicode NFKC (full-width letters, digits and brackets become half-width:
    ``"ＡＣＭＥ（上海）"`` -> ``"ACME(上海)"``), case-fold, split into words at punctuation, symbols
    and whitespace (ASCII and CJK: ``，。（）、·【】`` ...), then remove trailing legal-form
    suffixes (:data:`LEGAL_FORM_SUFFIXES`) repeatedly, and join the words without separators.
    Runs of single letters count as one word (``"S.A."`` is ``sa``, ``"L.L.C."`` is ``llc``).

    ``"Huaxin Trading Co., Ltd."`` and ``"HUAXIN  TRADING LIMITED"`` both give
    ``"huaxintrading"``; ``"华信贸易股份有限公司"`` gives ``"华信贸易"``;
    ``"ACME（上海）有限公司"`` gives ``"acme上海"``. Latin suffixes count only as whole words,
    so ``"Costco"`` stays ``"costco"``. The last remaining word is never removed, so a name
    made only of suffixes keeps one: ``"Company Ltd"`` -> ``"company"``, ``"有限公司"`` stays.
    A name without any letter or digit (``"--"``) or a missing one gives ``""``, which matches
    nothing.
    """
    return "" if _is_missing(name) else _fold_name(_as_text(name))


def _fold_email(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def normalise_email(email: object) -> str | None:
    """Matching key of an e-mail address: NFKC (a full-width ``＠`` typed with a Chinese input
    method becomes ``@``), surrounding spaces stripped, case-folded. None for a missing or blank
    value. The address is not otherwise validated; the reader already warns about bad ones."""
    return None if _is_missing(email) else _fold_email(_as_text(email)) or None


def _fold_phone(text: str) -> str:
    if not (text.isascii() and text.isdigit()):
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        if _PHONE_ALTERNATIVES.search(text) or _PHONE_EXTENSION.search(text):
            text = text.casefold()
            parts = _PHONE_ALTERNATIVES.split(text)
            text = next((part for part in parts if _NOT_DIGIT.sub("", part)), "")
            text = _PHONE_EXTENSION.sub("", text)
        text = _NOT_DIGIT.sub("", text)
    national = _PHONE_NATIONAL.match(text).group(1)  # type: ignore[union-attr]  # always matches
    return national if len(national) >= MIN_PHONE_DIGITS else ""


def normalise_phone(phone: object) -> str | None:
    """Matching key of a phone number: its digits in Chinese national form without trunk 0.

    Rule, in order:

    1. NFKC (full-width digits become ASCII), case-fold; when the cell lists several numbers
       (separated by ``/ ; , ， ； 、 |`` or 或) the first is used; an extension (``ext``, ``x``,
       ``转``, ``分机``, ``#`` and what follows) is dropped; then only the digits 0-9 are kept.
       A number typed as a number (13800138000 or 13800138000.0) reads as its digits.
    2. ``00`` at the start is the international call prefix, the same as ``+``: it is dropped.
    3. A leading country code ``86`` is dropped when what follows is a full Chinese number:
       an 11-digit mobile starting with 1, or area code + subscriber number (10 or 11 digits),
       optionally with its trunk ``0`` (``+86 (0)755 ...``).
    4. A leading trunk ``0`` is dropped when what follows is such a full number.
    5. Fewer than 7 digits is too short to match on: None (as for a missing or blank value).

    So ``"+86 755 1234 5678"``, ``"0086-755-12345678"`` and ``"0755-1234-5678"`` all give
    ``"75512345678"``; ``"+86 138 0013 8000"`` and ``"13800138000"`` give ``"13800138000"``.
    Other countries' numbers keep their country code (``+44 20 7946 0958`` and
    ``0044 20 7946 0958`` give ``"442079460958"``); a local number written without its area
    code (``8888 6666``) does not match the same number written with one.
    """
    return None if _is_missing(phone) else _fold_phone(_as_text(phone)) or None


def _fold_customer_id(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _keys(column: pd.Series, fold: Callable[[str], str]) -> np.ndarray:
    """``fold`` of the text of every value, computed once per distinct value; None where the
    value is missing or folds to ``""``."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = [u if type(u) is str else _as_text(u) for u in uniques.tolist()]
    mapped = np.array([fold(t) or None for t in texts] + [None], dtype=object)
    return mapped[codes]


def _codes(keys: np.ndarray) -> np.ndarray:
    """Integer code of each key (equal keys, equal codes); -1 where the key is None."""
    codes, _ = pd.factorize(keys, use_na_sentinel=True)
    return codes.astype(np.int64)


def _pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Code of the pair (a, b) of two code arrays; -1 where either is -1."""
    valid = (a >= 0) & (b >= 0)
    out = np.full(len(a), -1, dtype=np.int64)
    if valid.any():
        out[valid] = _codes(a[valid] * (int(b.max()) + 1) + b[valid])
    return out


def _first_in_group(members: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """Position of the first member of each group (members ascending); -1 for absent groups."""
    first = np.full(size, -1, dtype=np.int64)
    found, at = np.unique(groups, return_index=True)
    first[found] = members[at]
    return first


def _groups_with_two_ids(groups: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions whose group (>= 0) holds two or more different ``ids``."""
    valid = np.flatnonzero(groups >= 0)
    if not len(valid):
        return valid
    # One id of each group (whichever the scatter keeps); any member id differing from it
    # means the group holds two.
    some_id = np.full(int(groups.max()) + 1, -1, dtype=np.int64)
    some_id[groups[valid]] = ids[valid]
    mixed = np.zeros(len(some_id), dtype=bool)
    mixed[groups[valid][ids[valid] != some_id[groups[valid]]]] = True
    return valid[mixed[groups[valid]]]


class _Links:
    """Union-find over positions; the root of a set is its smallest position (first row)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, xs: np.ndarray, ys: np.ndarray) -> None:
        for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
            rx, ry = self.find(x), self.find(y)
            if rx != ry:
                self.parent[max(rx, ry)] = min(rx, ry)


def find_duplicate_customers(customers: pd.DataFrame) -> pd.DataFrame:
    """Records of the Customers sheet that duplicate one another, one row per record.

    ``customers`` is the Customers frame as :func:`addin.workbook.read_sheet` returns it: the
    index is the Excel row of each record (row 2 is the first data row); columns
    ``customer_id`` and ``name``, and optionally ``email`` and ``phone`` (missing values are
    NaN, None or pd.NA). The rules are those of the module docstring:

    * same id: ``NFKC(customer_id).strip().casefold()`` equal on two or more rows;
    * likely duplicate: ids differ, :func:`normalise_company_name` equal (and non-empty), and
      :func:`normalise_email` or :func:`normalise_phone` equal (both non-empty). Without an
      ``email`` or ``phone`` column that half of the rule finds nothing.

    Linked records form one group transitively. Columns of the result:

    * ``group``: 1, 2, ... numbered in the order of each group's first Excel row;
    * ``kind``: ``"same id"`` for a record whose id appears on another row too, else
      ``"likely duplicate"`` (a group may hold both kinds when the rules chain);
    * ``row``, ``customer_id``, ``name``: the record as written;
    * ``reason``: why the record is listed, e.g. ``"customer_id C00017 appears 2 times (rows
      17, 45)"`` or ``"same name as row 57 (normalised 'huaxintrading') and same email
      purchasing@huaxin.example.com"``; the other row named is the first row (in Excel order)
      of the matching records whose id differs from this one's. Several reasons are joined
      with ``"; "``.

    Sorted by group, then row. No duplicates (or no records) gives an empty frame with these
    columns. The order of the input rows does not matter.
    """
    for required in ("customer_id", "name"):
        if required not in customers.columns:
            raise InputError(f"the Customers sheet needs a {required!r} column to find "
                             "duplicate customers", sheet="Customers", column=required)

    # Work in Excel row order, so "first" is always the smallest row.
    frame = customers.iloc[np.argsort(customers.index.to_numpy(), kind="stable")]
    n = len(frame)
    rows = frame.index.to_numpy()

    id_codes = _codes(_keys(frame["customer_id"], _fold_customer_id))
    id_counts = np.bincount(id_codes[id_codes >= 0], minlength=1)
    row_id_count = np.where(id_codes >= 0, id_counts[np.maximum(id_codes, 0)], 1)
    # A missing id is an id of its own: different from every other, equal to none.
    distinct_ids = id_codes.copy()
    missing = distinct_ids < 0
    distinct_ids[missing] = len(id_counts) + np.arange(int(missing.sum()))

    links = _Links()
    # (a) same id: every record of an id used twice or more joins the id's first row.
    same = np.flatnonzero(row_id_count >= 2)
    same_id_rows: dict[int, np.ndarray] = {}
    if len(same):
        first_of_id = _first_in_group(same, id_codes[same], len(id_counts))
        links.union(same, first_of_id[id_codes[same]])
        by_id = same[np.argsort(id_codes[same], kind="stable")]
        cuts = np.flatnonzero(np.diff(id_codes[by_id])) + 1
        same_id_rows = {int(id_codes[g[0]]): g for g in np.split(by_id, cuts)}

    # (b) likely duplicate. A (name, field) group with two ids lies inside a (field) group with
    # two ids, so only the records of such field groups need their names normalised.
    folds = {"email": _fold_email, "phone": _fold_phone}
    field_keys = {f: _keys(frame[f], fold) for f, fold in folds.items() if f in frame.columns}
    field_codes = {f: _codes(keys) for f, keys in field_keys.items()}
    candidates = np.unique(np.concatenate(
        [_groups_with_two_ids(codes, distinct_ids) for codes in field_codes.values()]
        + [np.zeros(0, dtype=np.int64)]
    ))
    name_keys = np.full(n, None, dtype=object)
    name_keys[candidates] = _keys(frame["name"].iloc[candidates], _fold_name)
    name_codes = _codes(name_keys)

    # Within a (name, field) group holding two ids, every record joins the group's first row;
    # records of one id there are linked by (a) anyway. Each record's partner, for the reason,
    # is the group's first row with an id other than its own.
    partners: dict[str, np.ndarray] = {}
    for field, codes in field_codes.items():
        groups = _pair_codes(name_codes, codes)
        members = _groups_with_two_ids(groups, distinct_ids)
        if not len(members):
            continue
        n_groups = int(groups.max()) + 1
        member_groups = groups[members]
        first = _first_in_group(members, member_groups, n_groups)
        differs = distinct_ids[members] != distinct_ids[first[member_groups]]
        first_other = _first_in_group(members[differs], member_groups[differs], n_groups)
        links.union(members, first[member_groups])
        partner_of = np.full(n, -1, dtype=np.int64)
        partner_of[members] = np.where(differs, first[member_groups], first_other[member_groups])
        partners[field] = partner_of

    flagged = np.array(sorted(links.parent), dtype=np.int64)
    roots = np.array([links.find(p) for p in flagged.tolist()], dtype=np.int64)
    _, group_numbers = np.unique(roots, return_inverse=True)
    group_numbers = group_numbers.astype(np.int64) + 1
    order = np.lexsort((flagged, group_numbers))
    flagged, group_numbers = flagged[order], group_numbers[order]

    kinds = np.where(row_id_count[flagged] >= 2, SAME_ID, LIKELY_DUPLICATE)
    raw_ids = frame["customer_id"].to_numpy(dtype=object)
    id_reasons = {code: _same_id_reason(raw_ids[members], rows[members])
                  for code, members in same_id_rows.items()}
    reasons = []
    for p in flagged.tolist():
        parts = []
        if row_id_count[p] >= 2:
            own = _as_text(raw_ids[p]).strip()
            parts.append(f"customer_id {own} {id_reasons[int(id_codes[p])]}")
        matches: dict[int, list[str]] = {}
        for field, partner_of in partners.items():
            if partner_of[p] >= 0:
                matches.setdefault(int(partner_of[p]), []).append(
                    f"{field} {field_keys[field][p]}")
        parts.extend(
            f"same name as row {rows[other]} (normalised {name_keys[p]!r}) and same "
            + " and ".join(fields)
            for other, fields in matches.items()
        )
        reasons.append("; ".join(parts))

    out = pd.DataFrame({
        "group": pd.Series(group_numbers, dtype="int64"),
        "kind": pd.Series(kinds.tolist(), dtype=str),
        "row": pd.Series(rows[flagged]),
        "customer_id": frame["customer_id"].iloc[flagged].reset_index(drop=True),
        "name": frame["name"].iloc[flagged].reset_index(drop=True),
        "reason": pd.Series(reasons, dtype=str),
    })
    return out[list(DUPLICATE_COLUMNS)]


def _same_id_reason(ids: np.ndarray, rows: np.ndarray, limit: int = 5) -> str:
    """``"appears 3 times (rows 2, 3, 4), written as 'C1', 'c1'"``; the spellings are listed
    only when they differ (case, width or spaces), since that is what hides the duplicate."""
    text = f"appears {len(ids)} times (rows {_shown(rows.tolist(), str, limit)})"
    spellings = list(dict.fromkeys(_as_text(v) for v in ids))
    if len(spellings) > 1:
        text += f", written as {_shown(spellings, repr, limit)}"
    return text


def _shown(items: list, show: Callable[[object], str], limit: int) -> str:
    text = ", ".join(show(item) for item in items[:limit])
    return text + (", ..." if len(items) > limit else "")


__all__ = [
    "LEGAL_FORM_SUFFIXES", "DUPLICATE_COLUMNS", "MIN_PHONE_DIGITS", "SAME_ID", "LIKELY_DUPLICATE",
    "normalise_company_name", "normalise_email", "normalise_phone", "find_duplicate_customers",
]
