"""Units and formats: one formatter per kind of quantity, for every door.

A number reaches a user three ways: a result-sheet cell (its Excel number format), a PDF and an
email (:mod:`addin.reports.i18n`, which formats with Babel per language). Each kind below fixes
the decimals once, so a value rounds the same way at every door: a usual gap between orders of
1.62 days reads ``1.6`` on the sheet, in the PDF and in the email.

=========  ========  ========================  =============================================
kind       decimals  sheet number format       what the value is
=========  ========  ========================  =============================================
money      0         ``#,##0``                 an amount in the workbook's currency
count      0         ``#,##0``                 a whole count (customers, orders, staff)
age        0         ``#,##0``                 whole days: since the last order, a target
days       1         ``#,##0.0``               days on average: a usual gap between orders
points     1         ``0.0``                   points such as an NPS (-100..100)
percent    1         ``0.0" %"``               a value already in percent (22.0 -> 22.0 %)
share      1         ``0.0%``                  a fraction shown as a percentage (0.22 -> 22.0%)
change     1         ``+0.0%;-0.0%``           a relative change as a fraction, signed
score      2         ``0.00``                  a rating such as a 1-5 satisfaction mean
number     2         ``#,##0.00``              any other measure (a KPI in its own unit)
ratio      3         ``0.000``                 a coefficient (alpha, CR, a weight, r)
=========  ========  ========================  =============================================

**Percentages typed on the Scorecard sheet** (targets, actuals, baselines, red and amber limits,
tolerances and the period columns): a KPI's values are in the KPI's unit, and a KPI whose unit is
``%`` holds percentage points. A cell formatted as a percentage in Excel (``22%``: Excel stores
0.22 with a percent number format) is read as 22 percentage points, and so is the text ``22%``;
a General cell holding ``22`` on a row whose unit is ``%`` is 22 as typed. Both read ``22.0 %``
everywhere. A percentage on a row without a unit gives the row the unit ``%``; on a row whose unit
is something else (``days``) it is an error naming the cell. The cell's percent number format is
the signal because it is what Excel shows the user; a bare 0.22 in a General cell stays 0.22.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    digits: int
    excel: str
    meaning: str


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("money", 0, "#,##0", "an amount in the workbook's currency"),
    Kind("count", 0, "#,##0", "a whole count (customers, orders, staff)"),
    Kind("age", 0, "#,##0", "whole days: since the last order, a complaint's age, a target"),
    Kind("days", 1, "#,##0.0", "days on average: a usual gap between orders, a mean time"),
    Kind("points", 1, "0.0", "points such as an NPS (-100..100)"),
    Kind("percent", 1, '0.0" %"', "a value already in percent (CSAT 78.3, a KPI in %)"),
    Kind("share", 1, "0.0%", "a fraction (0.123) shown as a percentage (12.3%)"),
    Kind("change", 1, "+0.0%;-0.0%", "a relative change as a fraction (-0.05), signed"),
    Kind("score", 2, "0.00", "a rating such as a 1-5 satisfaction mean"),
    Kind("number", 2, "#,##0.00", "any other measure, such as a KPI in its own unit"),
    Kind("ratio", 3, "0.000", "a coefficient: Cronbach's alpha, CR, a weight, r"),
)}

PERCENT_UNIT = "%"


def kind(name: str) -> Kind:
    """The kind ``name``; an unknown kind is a bug (raises KeyError naming the choices)."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"quantity kind {name!r}: use one of {', '.join(KINDS)}") from None


def digits(name: str) -> int:
    """How many decimals a value of kind ``name`` shows, at every door."""
    return kind(name).digits


def excel_format(name: str) -> str:
    """The number format of a result-sheet cell holding a value of kind ``name``."""
    return kind(name).excel


def is_percent_unit(unit: object) -> bool:
    """Whether a KPI's unit says its values are percentage points (the unit ``%``)."""
    return isinstance(unit, str) and unit.strip() == PERCENT_UNIT


def kpi_kind(unit: object) -> str:
    """The kind of a KPI's target, actual, baseline and limits: ``percent`` for the unit
    ``%``, else ``number`` (the value in its own unit, two decimals)."""
    return "percent" if is_percent_unit(unit) else "number"


__all__ = ["KINDS", "Kind", "PERCENT_UNIT", "digits", "excel_format", "is_percent_unit",
           "kind", "kpi_kind"]
