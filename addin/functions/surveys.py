"""Worksheet functions for satisfaction surveys: thin doors over :mod:`addin.surveys`.

Each converts its ranges with :mod:`addin.functions.ranges` (survey answers keep their text, so
"N/A" and error cells are counted as left out rather than rejected), calls one routine and
spills the answer. A range with no valid answer returns a ``#CRM!`` message saying what was
left out, never a silent 0.
"""

from __future__ import annotations

import math

import pandas as pd

from addin.errors import InputError
from addin.functions.ranges import column, excel_function, rows_of, scalar, spill
from addin.surveys import (
    cronbach_alpha,
    csat,
    gap_analysis,
    kano_category,
    nps,
)
from addin.surveys.gaps import item_name

CATEGORY = "CRM Surveys"
_ANSWERS = "the answers: one column or row (a header cell is skipped); blanks, text such as "


def _columns(rng: object, name: str) -> pd.DataFrame:
    """A block of answers, one item per column, each column read by ``ranges.column`` (so a
    header cell on top of a column is detected and becomes the item's name)."""
    rows = rows_of(rng)
    if not rows:
        raise InputError(f"{name}: the range is empty")
    width = max(map(len, rows))
    if min(map(len, rows)) < width:
        rows = [list(r) + [None] * (width - len(r)) for r in rows]
    items = {}
    for c, cells in enumerate(zip(*rows, strict=True)):
        cells = list(cells)  # one column of the block, transposed once
        first = cells[0]
        series = column(cells, name, kind="answer")
        label = str(first).strip() if len(series) < len(cells) else f"item {c + 1}"
        if label in items:
            label = f"{label} ({c + 1})"
        items[label] = series
    lengths = {len(s) for s in items.values()}
    if len(lengths) > 1:
        raise InputError(f"{name}: give every column a header cell, or none")
    return pd.DataFrame(items)


def _nothing_valid(name: str, excluded) -> InputError:
    return InputError(f"{name}: no valid answer (left out: {excluded.describe()})")


@excel_function(
    CATEGORY,
    values=_ANSWERS + '"N/A" and off-scale numbers are left out and counted',
    promoter_min="lowest promoter answer (default 9)",
    detractor_max="highest detractor answer (default 6)",
)
def CRM_NPS(values, promoter_min=None, detractor_max=None):
    """Net promoter score (-100..100) of 0..10 answers: % promoters minus % detractors."""
    result = nps(column(values, "values", kind="answer"),
                 int(scalar(promoter_min, "promoter_min", default=9)),
                 int(scalar(detractor_max, "detractor_max", default=6)))
    if result.n == 0:
        raise _nothing_valid("values", result.excluded)
    return result.score


@excel_function(
    CATEGORY,
    values=_ANSWERS + '"N/A" and off-scale numbers are left out and counted',
    detail="TRUE spills NPS, margin, interval, counts and answers left out (default FALSE)",
)
def CRM_NPS_MOE(values, detail=None):
    """95 % margin of error of the NPS in points: 1.96 * sqrt(((pP+pD)-(pP-pD)^2)/n) * 100."""
    result = nps(column(values, "values", kind="answer"))
    if result.n == 0:
        raise _nothing_valid("values", result.excluded)
    if scalar(detail, "detail", kind="bool", default=False):
        ex = result.excluded
        return spill({"NPS": result.score, "margin of error": result.margin_of_error,
                      "low": result.ci_low, "high": result.ci_high, "n": result.n,
                      "promoters": result.promoters, "passives": result.passives,
                      "detractors": result.detractors, "left out: blank": ex.blank,
                      "left out: text": ex.text, "left out: out of range": ex.out_of_range})
    if math.isnan(result.margin_of_error):
        raise InputError("values: a margin of error needs at least 2 valid answers "
                         f"(found {result.n}; left out: {result.excluded.describe()})")
    return result.margin_of_error


@excel_function(
    CATEGORY,
    values=_ANSWERS + '"N/A" and answers off 1..scale are left out',
    scale="the top of the scale (default 5: answers 1..5)",
    top_box="how many top points count as satisfied (default 2: 4 and 5 of 5)",
)
def CRM_CSAT(values, scale=None, top_box=None):
    """CSAT: the percentage of answers in the top box (4-5 of 5 by default)."""
    result = csat(column(values, "values", kind="answer"),
                  int(scalar(scale, "scale", default=5)),
                  int(scalar(top_box, "top_box", default=2)))
    if result.n == 0:
        raise _nothing_valid("values", result.excluded)
    return float(result)


@excel_function(
    CATEGORY,
    functional="answers to 'if it has the feature': 1 like, 2 expect, 3 neutral, 4 live "
               "with, 5 dislike",
    dysfunctional="answers to 'if it does not have the feature', coded the same, same length",
    like_like='category of like/like: "Q" (default, Berger et al. 1993) or "O"',
)
def CRM_KANO(functional, dysfunctional, like_like=None):
    """Kano category of each answer pair (A, O, M, I, R, Q), spilled; blank where an answer
    is blank, text or not 1..5."""
    like = str(scalar(like_like, "like_like", kind="text", default="Q")).upper()
    f = column(functional, "functional", kind="answer")
    d = column(dysfunctional, "dysfunctional", kind="answer")
    if len(f) != len(d):
        raise InputError(f"functional has {len(f)} answers, dysfunctional {len(d)}: select "
                         "ranges of the same size")
    cats = kano_category(f, d, like)
    if len(cats) == 1:
        return cats.iloc[0] if cats.iloc[0] is not None else ""
    return spill(cats, header=False)


@excel_function(
    CATEGORY,
    items="the answers, one item per column, one respondent per row (header row optional); "
          "rows with a blank or text answer are left out",
    detail="TRUE spills alpha, its 95 % interval (Feldt), n, items and rows left out",
)
def CRM_ALPHA(items, detail=None):
    """Cronbach's alpha of the items (columns) over respondents (rows), listwise."""
    frame = _columns(items, "items")
    if frame.shape[1] < 2:
        raise InputError("items: select at least two columns (one per item)")
    result = cronbach_alpha(frame)
    if math.isnan(result.alpha):
        raise InputError(f"items: alpha needs at least two complete rows that vary "
                         f"({result.n} complete, {result.rows_dropped} left out)")
    if scalar(detail, "detail", kind="bool", default=False):
        return spill({"alpha": result.alpha, "95 % low": result.ci_low,
                      "95 % high": result.ci_high, "n": result.n, "items": result.k,
                      "rows left out": result.rows_dropped})
    return result.alpha


@excel_function(
    CATEGORY,
    perceived="perceived performance answers, one item per column (header row optional)",
    expected="expectation answers, the same items in the same order and rows",
    low="lowest point of the scale (default 1)",
    high="highest point of the scale (default 7)",
)
def CRM_GAP(perceived, expected, low=None, high=None):
    """Expectation gaps P - E, spilled: per item n, mean P, mean E, gap and its paired 95 %
    interval."""
    p = _columns(perceived, "perceived")
    e = _columns(expected, "expected")
    if p.shape != e.shape:
        raise InputError(f"perceived is {p.shape[0]} x {p.shape[1]}, expected "
                         f"{e.shape[0]} x {e.shape[1]}: select ranges of the same size")
    # items pair up by position; each is named after its perceived header, without a prefix
    names = [item_name(c) for c in p.columns]
    if len(set(names)) < len(names):
        names = [f"item {j + 1}" for j in range(len(names))]
    p.columns = names
    e.columns = names
    scale = (scalar(low, "low", default=1), scalar(high, "high", default=7))
    out = gap_analysis(p, e, dimensions={n: None for n in names}, scale=scale)
    items = out[out["level"] == "item"].set_index("item").loc[names].reset_index()
    return spill(items[["item", "n", "perceived", "expected", "gap", "ci_low", "ci_high"]])


__all__ = ["CRM_ALPHA", "CRM_CSAT", "CRM_GAP", "CRM_KANO", "CRM_NPS", "CRM_NPS_MOE"]
