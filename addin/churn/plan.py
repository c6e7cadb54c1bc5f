"""Forecast vs plan: where the revenue plan comes from, the Settings sheet or the Scorecard.

**Settings.** ``revenue_plan`` is the planned revenue of the forecast months, in the
workbook's currency, used as it is.

**Scorecard.** A KPI row is the revenue plan when

* its ``kpi`` names the revenue of the whole book: after NFKC folding, case folding and
  dropping spaces and punctuation it is one of :data:`REVENUE_KPIS` ("Revenue", "Total
  revenue", "Net sales", "销售收入", "营业收入", ...). A revenue of a part of the book
  ("Revenue from key accounts") is not: the forecast covers every customer, and a plan for
  a part would make a gap out of nothing;
* its ``unit`` is an amount of money (:func:`money_unit`): an optional scale (``k`` or
  ``thousand`` 10^3, ``万`` 10^4, ``M``, ``mn``, ``million`` or ``百万`` 10^6, ``亿`` 10^8,
  ``bn`` or ``billion`` 10^9), a currency (a three-letter code, ``元`` or a currency sign;
  a code other than the Settings ``currency`` is not the book's money) and an optional
  period (``per month``, ``/month``, ``a year``, ``per quarter``, ``月``, ``年``, ``季度``);
* its polarity is ``higher`` (or blank) and its ``target`` a number above 0.

Its ``target`` is the revenue of one period: a month unless the unit names another (the
Scorecard's period columns are months, ``YYYY-MM``, so a KPI's target is the level one
month's actual should reach). The plan of the forecast horizon is::

    plan = target x scale x horizon months / months per period of the unit

(a target of 70 M CNY a month over 12 months is 840,000,000; 900 M CNY a year over 6 months
is 450,000,000).

**Both.** When Settings and the Scorecard both hold a plan, Settings wins: ``revenue_plan``
is the horizon's plan as someone wrote it down, the Scorecard's target is a monthly level
this rule multiplies out; the Forecast sheet names the plan used and the one left aside.
Two Scorecard rows that qualify give no Scorecard plan (which one is meant is not for the
add-in to guess); the sheet names both rows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

REVENUE_KPIS = frozenset({
    "revenue", "totalrevenue", "netrevenue", "salesrevenue", "sales", "totalsales",
    "netsales", "turnover", "revenuetotal",
    "收入", "总收入", "销售收入", "营业收入", "营收", "销售额", "总销售额", "营业额",
})
SCALES = {"": 1.0, "k": 1e3, "thousand": 1e3, "千": 1e3, "万": 1e4, "m": 1e6, "mn": 1e6,
          "mio": 1e6, "million": 1e6, "百万": 1e6, "亿": 1e8, "bn": 1e9, "b": 1e9,
          "billion": 1e9}
PERIODS = {"": 1, "month": 1, "mo": 1, "月": 1, "quarter": 3, "qtr": 3, "季度": 3, "季": 3,
           "year": 12, "yr": 12, "annum": 12, "年": 12}
_CURRENCY_ALIASES = {"RMB": "CNY", "人民币": "CNY", "元": "CNY"}
_SCALE = "|".join(sorted((re.escape(s) for s in SCALES if s), key=len, reverse=True))
_PERIOD = "|".join(sorted((re.escape(p) for p in PERIODS if p), key=len, reverse=True))
_UNIT = re.compile(
    rf"^(?P<scale>{_SCALE})?\s*(?P<currency>[a-z]{{3}}|人民币|元|[¥￥$€£])\s*(?P<scale2>{_SCALE})?"
    rf"\s*(?:(?:per|/|a|an|每|/每)\s*(?P<period>{_PERIOD}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class RevenuePlan:
    """The plan used for forecast vs plan: ``amount`` over the forecast horizon (None without
    one), where it came from (``source``: "Settings revenue_plan" or "Scorecard row N: KPI")
    and ``note``: how it was worked out, and what was left aside."""

    amount: float | None
    source: str
    note: str = ""


def _key(text: object) -> str:
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def money_unit(unit: object, currency: str | None = None) -> tuple[float, int] | None:
    """(scale, months per period) of a money unit such as ``M CNY``, ``万元``, ``CNY per
    year`` or ``k EUR / quarter``; None when ``unit`` is not an amount of money, or names a
    currency code other than ``currency``."""
    if unit is None or (isinstance(unit, float) and np.isnan(unit)):
        return None
    text = unicodedata.normalize("NFKC", str(unit)).strip()
    m = _UNIT.match(text)
    if not m or (m["scale"] and m["scale2"]):
        return None
    code = _CURRENCY_ALIASES.get(m["currency"].upper(), m["currency"].upper())
    if len(code) == 3 and code.isalpha() and code.isascii():
        want = _CURRENCY_ALIASES.get((currency or "").upper(), (currency or "").upper())
        if want and code != want:
            return None
    scale = SCALES[(m["scale"] or m["scale2"] or "").casefold()]
    return scale, PERIODS[(m["period"] or "").casefold()]


def scorecard_plan(scorecard: pd.DataFrame | None, months: int,
                   currency: str | None = None) -> RevenuePlan:
    """The Scorecard's revenue plan over ``months`` forecast months (module docstring);
    ``scorecard`` is the sheet as read (indexed by Excel row). ``amount`` None when no row,
    or more than one, is a revenue target (the note says which)."""
    if scorecard is None or "kpi" not in scorecard.columns or "target" not in scorecard.columns:
        return RevenuePlan(None, "")
    found = []
    for row, r in scorecard.iterrows():
        if _key(r["kpi"]) not in REVENUE_KPIS:
            continue
        unit = money_unit(r.get("unit"), currency)
        polarity = r.get("polarity")
        target = pd.to_numeric(pd.Series([r["target"]]), errors="coerce").iloc[0]
        if unit is None or (isinstance(polarity, str) and polarity != "higher") or not (
                np.isfinite(target) and target > 0):
            continue
        found.append((row, str(r["kpi"]), float(target), str(r.get("unit")), unit))
    if not found:
        return RevenuePlan(None, "")
    if len(found) > 1:
        rows = " and ".join(f"row {row} ({kpi})" for row, kpi, *_ in found)
        return RevenuePlan(None, "", f"no Scorecard plan: {rows} are both revenue targets; "
                                     "keep one, or set revenue_plan in Settings")
    row, kpi, target, unit_text, (scale, per) = found[0]
    amount = target * scale * months / per
    period = {1: "a month", 3: "a quarter", 12: "a year"}[per]
    return RevenuePlan(amount, f"Scorecard row {row}: {kpi}",
                       f"target {target:g} {unit_text} ({period}) x {months} months"
                       + (f" / {per}" if per > 1 else ""))


def revenue_plan(settings_plan: float | None, scorecard: pd.DataFrame | None, months: int,
                 currency: str | None = None) -> RevenuePlan:
    """The plan of the forecast horizon: Settings ``revenue_plan`` when given, else the
    Scorecard's revenue target (:func:`scorecard_plan`); the note says when a Scorecard plan
    was left aside for the Settings one."""
    from_scorecard = scorecard_plan(scorecard, months, currency)
    if settings_plan is not None and np.isfinite(settings_plan) and settings_plan > 0:
        note = ""
        if from_scorecard.amount is not None:
            note = (f"Settings revenue_plan wins over the Scorecard's plan "
                    f"({from_scorecard.source}: {from_scorecard.amount:,.0f})")
        return RevenuePlan(float(settings_plan), "Settings revenue_plan", note)
    return from_scorecard
