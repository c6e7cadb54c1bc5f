"""Pairwise judgements typed on a sheet, one a row, made into AHP judgement matrices, and the
scorecard weights they give.

The optional AHP sheet of the workbook contract has four columns: ``matrix`` (what the elements
are compared for), ``element``, ``versus`` and ``judgement``, how much more important
``element`` is than ``versus`` on Saaty's 1-9 scale (Saaty 1980): 1 equal, 3 moderately, 5
strongly, 7 very strongly, 9 extremely more important; ``1/3`` (or ``0.333``) when ``versus``
is the moderately more important one. Rules (:func:`judgement_matrices`):

* a pair may be judged one way (its reciprocal is implied) or both ways; judged both ways, the
  two must be reciprocal within 2 % (``1/3`` typed as 0.33 is; 0.3 is not);
* every pair of a matrix's elements is judged: n elements need n (n - 1) / 2 judgements;
* an element judged against itself, if it is given, is 1; a pair judged twice the same way is
  an error, as is a judgement that is not a positive number (``1/3`` typed into Excel becomes
  the date 3 January: type ``=1/3`` or ``'1/3``).

For the balanced scorecard (:func:`scorecard_ahp`), the matrix named ``perspectives`` weighs the
four perspectives and a matrix named after a perspective weighs that perspective's objectives.
Every problem names the sheet's row and column; all are collected and raised together.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from addin.contract.schema import PERSPECTIVES, choice_index, header_key
from addin.errors import InputError, Problem
from addin.scorecard.ahp import (
    DEFAULT_RANDOM_INDEX,
    RECIPROCAL_TOLERANCE,
    AHPResult,
    RITable,
    ahp_weights,
)

SHEET = "AHP"
PERSPECTIVES_MATRIX = "perspectives"
_PERSPECTIVES_MATRIX_NAMES = {header_key(n) for n in (
    "perspectives", "perspective", "balanced scorecard", "bsc", "层面", "四个层面", "平衡计分卡")}
_FRACTION = re.compile(r"^(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)$")


def judgement_value(value: Any) -> float | None:
    """A judgement cell as a number: a number, or text such as ``3``, ``1/3``, ``0.333``;
    None when it is none of these (or not positive)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.number)):
        f = float(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        m = _FRACTION.match(text)
        try:
            f = float(m.group(1)) / float(m.group(2)) if m else float(text)
        except (ValueError, ZeroDivisionError):
            return None
    else:
        return None
    return f if np.isfinite(f) and f > 0 else None


def _problem(sheet: str | None, label: Any, column: str, expected: str,
             value: Any = None) -> Problem:
    return Problem(expected, sheet=sheet, row=int(label),
                   column=column, value=value, has_value=value is not None)


def judgement_matrices(judgements: pd.DataFrame, *, sheet: str | None = SHEET
                       ) -> dict[str, pd.DataFrame]:
    """One judgement matrix per ``matrix`` name (in order of first appearance; elements in order
    of first appearance), from rows of ``matrix``, ``element``, ``versus``, ``judgement``
    indexed by Excel row. Names match exactly after stripping spaces; see the module docstring
    for the rules. Raises one InputError listing every problem, naming ``sheet`` (None for a
    range: the rows are then the range's)."""
    problems: list[Problem] = []
    elements: dict[str, list[str]] = {}
    first_row: dict[str, Any] = {}
    given: dict[tuple[str, str, str], tuple[float, Any]] = {}
    for label, row in judgements.iterrows():  # a sheet of a few dozen judgements
        m, a, b = (str(row[c]).strip() for c in ("matrix", "element", "versus"))
        first_row.setdefault(m, label)
        names = elements.setdefault(m, [])
        names.extend(e for e in dict.fromkeys((a, b)) if e not in names)
        raw = row["judgement"]
        v = judgement_value(raw)
        if v is None:
            hint = ""
            if isinstance(raw, (dt.date, pd.Timestamp)):  # Excel reads 1/6 as 6 January
                typed = f"{raw.month}/{raw.day}"
                hint = (f": Excel turned the judgement into a date ({typed} became "
                        f"{raw:%Y-%m-%d}); type ={typed} or '{typed}")
            problems.append(_problem(sheet, label, "judgement", "a positive number on "
                                     f"Saaty's scale (1/9 .. 9, 1/3 for less important){hint}",
                                     raw))
            continue
        if a == b:
            if abs(v - 1) > 1e-9:
                problems.append(_problem(sheet, label, "judgement",
                                         "1: an element compared with itself is 1", raw))
            continue
        if (m, a, b) in given:
            problems.append(_problem(sheet, label, "versus", f"one judgement of {a} vs "
                                     f"{b} in matrix '{m}' (row {given[m, a, b][1]} already "
                                     "gives it)", b))
            continue
        if (m, b, a) in given:
            other, other_row = given[m, b, a]
            if abs(v * other - 1) > RECIPROCAL_TOLERANCE:
                problems.append(_problem(
                    sheet, label, "judgement", f"the reciprocal of row {other_row}'s "
                    f"{b} vs {a} = {other:.4g}, that is {1 / other:.4g} (or leave this row "
                    "out: the reciprocal is implied)", raw))
            continue
        given[m, a, b] = (v, label)
    matrices = {}
    for m, names in elements.items():
        n = len(names)
        a = np.ones((n, n))
        pos = {e: i for i, e in enumerate(names)}
        for (mm, x, y), (v, _) in given.items():
            if mm == m:
                a[pos[x], pos[y]], a[pos[y], pos[x]] = v, 1 / v
        known = {(x, y) for (mm, x, y) in given if mm == m}
        missing = [(x, y) for i, x in enumerate(names) for y in names[i + 1:]
                   if (x, y) not in known and (y, x) not in known]
        if missing:
            pairs = "; ".join(f"{x} vs {y}" for x, y in missing[:3])
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            problems.append(_problem(
                sheet, first_row[m], "matrix", f"a judgement of every pair of the "
                f"{n} elements of matrix '{m}' ({n * (n - 1) // 2} judgements); missing: "
                f"{pairs}{more}", m))
        matrices[m] = pd.DataFrame(a, index=names, columns=names)
    if problems:
        raise InputError.from_problems(problems)
    return matrices


# --------------------------------------------------------------------------------------------
# the scorecard's weights from the AHP sheet


@dataclass
class ScorecardAHP:
    weights: dict  # the ``weights`` argument of evaluate_scorecard
    results: dict[str, AHPResult] = field(default_factory=dict)  # matrix name -> result


def scorecard_ahp(judgements: pd.DataFrame, kpis: pd.DataFrame,
                  ri_table: RITable = DEFAULT_RANDOM_INDEX, *,
                  sheet: str | None = SHEET) -> ScorecardAHP:
    """Perspective and objective weights of the Scorecard from the AHP sheet.

    The matrix ``perspectives`` (or 层面) compares perspectives (names as on the Scorecard
    sheet, English or Chinese) and gives ``weights["perspectives"]`` (its AHPResult); a matrix
    named after a perspective compares that perspective's objectives (named as on the Scorecard
    sheet, ignoring case and spaces) and gives ``weights["objectives"][(perspective,
    objective)]``. A matrix must compare every perspective (objective) the Scorecard has, and
    only those. ``results`` maps each matrix (``perspectives``, ``financial``, ...) to its
    AHPResult, for the consistency report."""
    t = judgements.copy()
    problems: list[Problem] = []
    persp_index = choice_index(PERSPECTIVES)
    objectives = {p: dict((header_key(o), o) for o in group.drop_duplicates())
                  for p, group in kpis.groupby("perspective", sort=False)["objective"]}
    matrix = []
    for label, name in t["matrix"].items():
        key = header_key(name)
        canon = PERSPECTIVES_MATRIX if key in _PERSPECTIVES_MATRIX_NAMES else \
            persp_index.get(key)
        if canon is None:
            problems.append(_problem(sheet, label, "matrix", "'perspectives' (to weigh the four "
                                     "perspectives) or a perspective's name (to weigh its "
                                     "objectives)", name))
        elif canon != PERSPECTIVES_MATRIX and canon not in objectives:
            problems.append(_problem(sheet, label, "matrix", "a perspective the Scorecard sheet "
                                     "has KPIs in", name))
            canon = None
        matrix.append(canon)
    t["matrix"] = matrix
    for column in ("element", "versus"):
        names = []
        for label, m, value in zip(t.index, t["matrix"], t[column], strict=True):
            key = header_key(value)
            if m == PERSPECTIVES_MATRIX:
                canon = persp_index.get(key)
                expected = "financial, customer, internal process or learning and growth"
            elif m is not None:
                canon = objectives[m].get(key)
                expected = (f"an objective of the {m} perspective on the Scorecard sheet ("
                            f"{', '.join(objectives[m].values())})")
            else:
                canon = expected = None
            if m is not None and canon is None:
                problems.append(_problem(sheet, label, column, expected, value))
            names.append(canon)
        t[column] = names
    if problems:
        raise InputError.from_problems(problems)
    matrices = judgement_matrices(t, sheet=sheet)
    first: dict[str, Any] = {}
    for label, m in t["matrix"].items():
        first.setdefault(m, label)
    results: dict[str, AHPResult] = {}
    weights: dict = {}
    for m, frame in matrices.items():
        wanted = list(objectives) if m == PERSPECTIVES_MATRIX else list(objectives[m].values())
        left_out = [e for e in wanted if e not in frame.index]
        if left_out:
            what = "perspective" if m == PERSPECTIVES_MATRIX else "objective"
            problems.append(_problem(sheet, first[m], "matrix", f"matrix '{m}' to compare every "
                                     f"{what} of the Scorecard sheet; it leaves out "
                                     f"{', '.join(left_out)}", m))
            continue
        results[m] = ahp_weights(frame, ri_table=ri_table, name=f"{sheet or 'AHP'} matrix '{m}'")
    if problems:
        raise InputError.from_problems(problems)
    if PERSPECTIVES_MATRIX in results:
        weights["perspectives"] = results[PERSPECTIVES_MATRIX]
    objective_weights = {(m, o): float(w) for m, r in results.items()
                         if m != PERSPECTIVES_MATRIX for o, w in r.weights.items()}
    if objective_weights:
        weights["objectives"] = objective_weights
    return ScorecardAHP(weights, results)


__all__ = ["PERSPECTIVES_MATRIX", "ScorecardAHP", "judgement_matrices", "judgement_value",
           "scorecard_ahp"]
