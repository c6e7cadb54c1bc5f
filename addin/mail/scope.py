"""Scope: which key accounts an executive of the Distribution sheet gets reviews of.

The Distribution column ``scope`` is read by :func:`parse_scope`:

- clauses separated by ``;`` (or a new line), each ``kind: value, value, ...``; kinds are
  ``region``, ``segment`` and ``account`` (a customer id), also in plural, as ``customer``,
  ``id``, or in Chinese (地区/区域, 细分/细分市场, 客户/客户编号); full-width separators
  (``，`` ``、`` ``；`` ``：``) work too;
- an account is in scope when it matches ANY clause (a union): ``region: North; account: C0042``
  is every North key account plus C0042 wherever it is, and nothing else of other regions;
- a value without a kind (``North``) is looked up among the key accounts' regions, segments
  and ids; one that names none of them, or more than one kind, is refused (write the kind);
- ``all`` (``*``, ``全部``) is every key account; a blank scope is the portfolio summary only,
  so a forgotten scope never mails every region's reviews;
- values match ignoring case, spaces, ``_`` and ``-`` (ids: ignoring case only).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from addin.contract.schema import header_key
from addin.reports.manifest import AccountReport

_SCOPE_KINDS = {
    header_key(word): kind
    for kind, words in {
        "regions": ("region", "regions", "地区", "区域", "大区"),
        "segments": ("segment", "segments", "细分", "细分市场", "客户细分"),
        "accounts": ("account", "accounts", "customer", "customers", "customer_id", "id", "ids",
                     "客户", "客户编号"),
    }.items()
    for word in words
}
_EVERYTHING = {header_key(w) for w in ("all", "*", "everything", "全部", "所有", "全部客户")}



def _fold(kind: str, value: object) -> str:
    if kind == "accounts":
        return unicodedata.normalize("NFKC", str(value)).strip().casefold()
    return header_key(value)


@dataclass(frozen=True)
class ScopeClause:
    kind: Literal["regions", "segments", "accounts"]
    values: tuple[str, ...]  # as written, for the email

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(_fold(self.kind, v) for v in self.values)


@dataclass(frozen=True)
class Scope:
    """Which key accounts an executive gets (module docstring: the rules)."""

    text: str
    everything: bool = False
    clauses: tuple[ScopeClause, ...] = ()

    def includes(self, account: AccountReport) -> bool:
        if self.everything:
            return True
        field_of = {"regions": account.region, "segments": account.segment,
                    "accounts": account.customer_id}
        return any(field_of[c.kind] is not None and _fold(c.kind, field_of[c.kind]) in c.keys
                   for c in self.clauses)

    def select(self, accounts: Iterable[AccountReport]) -> list[AccountReport]:
        return [a for a in accounts if self.includes(a)]

    def customers(self, frame: pd.DataFrame) -> list[str]:
        """The customers of ``frame`` (indexed by customer_id, with ``region`` and
        ``segment`` columns where the workbook has them) this scope selects, by the same rules
        as its key accounts: a scope is a filter on customers, so ``region: North`` is every
        North customer, key account or not. A blank scope selects none."""
        if self.everything:
            return [str(c) for c in frame.index]
        chosen = pd.Series(False, index=frame.index)
        for clause in self.clauses:
            if clause.kind == "accounts":
                values = pd.Series(frame.index, index=frame.index)
            elif clause.kind[:-1] in frame.columns:
                values = frame[clause.kind[:-1]]
            else:
                continue
            chosen |= values.map(lambda v, kind=clause.kind, keys=clause.keys:
                                 v is not None and v == v and _fold(kind, v) in keys
                                 ).astype(bool)
        return [str(c) for c in frame.index[chosen.to_numpy()]]


def plan_scope(everything: bool, clauses: Iterable[tuple[str, Iterable[str]]],
               text: str = "") -> Scope:
    """The :class:`Scope` a pack plan recorded (``PackPlan.everything`` and ``.clauses``)."""
    return Scope(text, everything=everything,
                 clauses=tuple(ScopeClause(kind, tuple(values))  # type: ignore[arg-type]
                               for kind, values in clauses))


def parse_scope(text: object, accounts: Iterable[AccountReport] = ()) -> Scope:
    """Read a Distribution ``scope`` cell. ``accounts`` (the key accounts of the month) resolve
    values written without a kind. Raises ValueError saying what is wrong."""
    raw = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    accounts = list(accounts)
    clauses: dict[str, list[str]] = {}
    for chunk in re.split(r"[;；\n]", raw):
        if not chunk.strip():
            continue
        head = re.match(r"([^:：]*)[:：](.*)$", chunk, re.S)
        kind_text, rest = (head.group(1), head.group(2)) if head else (None, chunk)
        values = [v.strip() for v in re.split(r"[,，、]", rest) if v.strip()]
        if kind_text is not None:
            kind = _SCOPE_KINDS.get(header_key(kind_text))
            if kind is None:
                raise ValueError(f"{kind_text.strip()!r} is not a kind of scope: write region, "
                                 f"segment or account before the colon")
            if not values:
                raise ValueError(f"{kind_text.strip()}: names no value")
            clauses.setdefault(kind, []).extend(values)
            continue
        for value in values:
            if header_key(value) in _EVERYTHING:
                return Scope(raw, everything=True)
            clauses.setdefault(_resolve(value, accounts), []).append(value)
    return Scope(raw, clauses=tuple(ScopeClause(k, tuple(v)) for k, v in clauses.items()))


def _resolve(value: str, accounts: Iterable[AccountReport]) -> str:
    kinds = set()
    for account in accounts:
        for kind, got in (("regions", account.region), ("segments", account.segment),
                          ("accounts", account.customer_id)):
            if got is not None and _fold(kind, got) == _fold(kind, value):
                kinds.add(kind)
    if len(kinds) == 1:
        return kinds.pop()
    if not kinds:
        raise ValueError(f"{value!r} is not the region, segment or id of any key account this "
                         f"month; write its kind (region: {value}) to keep it anyway")
    named = " or ".join(sorted(k[:-1] for k in kinds))
    raise ValueError(f"{value!r} is a {named}: write which (for example region: {value})")


__all__ = ["Scope", "ScopeClause", "parse_scope", "plan_scope"]
