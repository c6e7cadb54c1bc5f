"""Balanced-scorecard worksheet functions: CRM_KPI_PROGRESS, CRM_KPI_STATUS, CRM_AHP, CRM_BSC.
Thin doors over :mod:`addin.scorecard`: ranges in through :mod:`addin.functions.ranges`, one
routine, the answer spilled."""

from __future__ import annotations

from typing import Any

import pandas as pd

from addin.contract.schema import (
    EXCEL_ERRORS,
    PERSPECTIVES,
    POLARITIES,
    canonical_column,
    choice_index,
    header_key,
)
from addin.errors import InputError
from addin.functions.ranges import column, excel_function, rows_of, scalar, spill, table
from addin.scorecard import (
    DEFAULT_RANDOM_INDEX,
    PERSPECTIVE_ORDER,
    ahp_weights,
    evaluate_scorecard,
    judgement_value,
    kpi_progress,
    kpi_status,
    scorecard_ahp,
)

__all__ = ["CRM_AHP", "CRM_BSC", "CRM_KPI_PROGRESS", "CRM_KPI_STATUS"]

CATEGORY = "CRM Scorecard"
REQUIRED = ("perspective", "objective", "kpi", "weight", "target")
_POLARITY = "higher (default), lower, or target (closer is better); one cell or a column"


def _is_error(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


def _numbers(rng: Any, name: str, default: Any = None, errors_blank: bool = False) -> Any:
    """One cell as a float, a column as a Series; blank gives ``default``. With
    ``errors_blank`` an Excel error (``#N/A`` from a lookup with nothing yet) is a blank, as
    the workbook reader reads it on the Scorecard sheet: an actual not there yet."""
    def read(rows: list[list]) -> Any:
        if sum(len(row) for row in rows) <= 1:
            return scalar(rows, name, default=default)
        return column(rows, name)

    rows = rows_of(rng)
    try:
        return read(rows)
    except InputError:
        if not errors_blank:
            raise
        # only now look for error cells: a clean range pays nothing for this rule
        blanked = [[None if _is_error(v) else v for v in row] for row in rows]
        if blanked == rows:
            raise
        return read(blanked)


def _polarities(rng: Any, header: bool | None = None) -> Any:
    """One polarity, or a Series of them for a column; blank is "higher". The first cell of a
    column is a header when it is text that is no polarity (``polarity``, ``方向``): a value
    such as "target" is never taken for a header, although it names a contract column."""
    index = choice_index(POLARITIES)
    cells = [v for row in rows_of(rng) for v in row]
    if header is None:
        header = (len(cells) > 1 and isinstance(cells[0], str)
                  and index.get(header_key(cells[0])) is None)
    cells = cells[1:] if header else cells
    values = [index.get(header_key(v)) if v is not None and str(v).strip() else "higher"
              for v in cells] or ["higher"]
    bad = [i for i, v in enumerate(values) if v is None]
    if bad:
        raise InputError(f"polarity: row {bad[0] + 1 + bool(header)} {cells[bad[0]]!r} is not "
                         "higher, lower or target")
    return values[0] if len(values) == 1 else pd.Series(values)


def _out(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return spill(value, header=False)
    return value if not isinstance(value, float) or value == value else ""


@excel_function(CATEGORY, actual="the actual value(s)", target="the target value(s)",
                baseline="the starting value(s) (optional; without it, actual / target)",
                polarity=_POLARITY,
                tolerance="for polarity target: the distance from target that scores 0, in "
                "the KPI's unit (optional; default |target - baseline|, else 10 % of target)")
def CRM_KPI_PROGRESS(actual, target, baseline=None, polarity=None, tolerance=None):
    """Progress to target, 0..1: (actual - baseline) / (target - baseline) when higher is
    better, (baseline - actual) / (baseline - target) when lower is, 1 - |actual - target| /
    tolerance for a target band; capped at 1."""
    a = _numbers(actual, "actual", errors_blank=True)
    t = _numbers(target, "target")
    b = _numbers(baseline, "baseline", default=None)
    tol = _numbers(tolerance, "tolerance", default=None)
    return _out(kpi_progress(a, t, b, _polarities(polarity), tol))


@excel_function(CATEGORY, value="progress (0..1), or the actual when red and amber are given",
                red="red limit in the actual's unit (optional)",
                amber="amber limit in the actual's unit (optional)",
                polarity=_POLARITY)
def CRM_KPI_STATUS(value, red=None, amber=None, polarity=None):
    """Red, amber or green: by progress (green from 1.0, amber from 0.8), or by the KPI's own
    red and amber limits in its unit, respecting polarity; "no data" when blank."""
    v = _numbers(value, "value", errors_blank=True)
    r = _numbers(red, "red", default=None)
    am = _numbers(amber, "amber", default=None)
    if r is None and am is None:
        return _out(kpi_status(v))
    return _out(kpi_status(v, polarity=_polarities(polarity), red=r, amber=am))


@excel_function(CATEGORY, matrix="a square pairwise-comparison matrix (Saaty 1-9; a header "
                "row and column of names are optional; 1/3 as =1/3, 0.333 or the text 1/3)",
                random_index="Saaty's random index table: saaty1980 (default) or saaty2005")
def CRM_AHP(matrix, random_index=None):
    """AHP weights of a judgement matrix (principal eigenvector), then lambda_max, CI and CR
    (Saaty's random index); CR below 0.10 is acceptably consistent."""
    table_name = scalar(random_index, "random_index", "text", default=DEFAULT_RANDOM_INDEX)
    rows = rows_of(matrix)
    labels = None
    header = bool(rows) and len(rows[0]) > 1 and (
        isinstance(rows[0][0], str) or (rows[0][0] is None and isinstance(rows[0][1], str)))
    if header:
        labels = [str(v) for v in rows[0][1:]]
        rows = [r[1:] for r in rows[1:]]
    values = []
    for i, row in enumerate(rows):
        values.append([])
        for j, cell in enumerate(row):
            v = judgement_value(cell)
            if v is None:
                raise InputError(f"matrix: row {i + 1}, column {j + 1} is not a positive number "
                                 f"(found {cell!r})")
            values[-1].append(v)
    frame = pd.DataFrame(values)
    frame.columns = (labels if labels is not None and len(labels) == frame.shape[1]
                     else [str(i + 1) for i in range(frame.shape[1])])
    result = ahp_weights(frame, ri_table=table_name)
    out = [[name, float(w)] for name, w in result.weights.items()]
    out += [["lambda_max", result.lambda_max], ["CI", result.ci], ["CR", result.cr]]
    return out


_AHP_COLUMNS = ("matrix", "element", "versus", "judgement")


def _bsc_weights(rng: Any, kpis: pd.DataFrame) -> dict:
    """``evaluate_scorecard``'s weights from the optional ``weights`` range, by the rules the
    CLI applies to the AHP sheet and the Settings: a range whose header row holds ``matrix``,
    ``element``, ``versus``, ``judgement`` is read as the AHP sheet is
    (:func:`addin.scorecard.scorecard_ahp`: the ``perspectives`` matrix weighs the
    perspectives, a matrix named after a perspective its objectives); otherwise the
    perspective weights: two columns of perspective and weight, or four numbers in the order
    financial, customer, internal process, learning and growth. Blank: equal weights."""
    rows = [list(r) for r in rows_of(rng) if any(v is not None and str(v).strip() for v in r)]
    if not rows:
        return {}
    header = [canonical_column("AHP", h) if isinstance(h, str) else None for h in rows[0]]
    if set(_AHP_COLUMNS) <= set(header):
        frame = table(rows, "weights", sheet="AHP",
                      kinds={c: "text" for c in ("matrix", "element", "versus")})
        frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")  # rows as the range counts
        return dict(scorecard_ahp(frame, kpis, sheet=None).weights)
    index = choice_index(PERSPECTIVES)
    if len(rows) > 1 and all(len(r) >= 2 for r in rows) and isinstance(rows[0][0], str) \
            and index.get(header_key(rows[0][0])) is None:
        rows = rows[1:]  # a header row such as "perspective | weight"
    if all(len(r) >= 2 for r in rows) and len(rows) > 1 or (
            len(rows) == 1 and len(rows[0]) == 2 and isinstance(rows[0][0], str)):
        pairs = {}
        for i, r in enumerate(rows, start=1):
            name = index.get(header_key(r[0])) if r[0] is not None else None
            if name is None:
                raise InputError(f"weights: row {i} {r[0]!r} is not financial, customer, "
                                 "internal process or learning and growth")
            pairs[name] = scalar(r[1], "weights")
        return {"perspectives": pairs}
    values = column(rows, "weights", header=False).tolist()
    if len(values) != len(PERSPECTIVE_ORDER):
        raise InputError(f"weights: four perspective weights (financial, customer, internal "
                         f"process, learning and growth), or the AHP judgements with their "
                         f"header row; got {len(values)} values")
    return {"perspectives": dict(zip(PERSPECTIVE_ORDER, values, strict=True))}


@excel_function(CATEGORY, heavy=True, scorecard="the scorecard table with its header row: "
                "perspective, objective, kpi, weight, target, actual (and optionally baseline, "
                "polarity, red, amber, tolerance)",
                weights="optional: the AHP judgements with their header row (matrix, element, "
                "versus, judgement, as on the AHP sheet), or the perspective weights "
                "(perspective and weight in two columns, or four numbers F, C, I, L)")
def CRM_BSC(scorecard, weights=None):
    """Balanced-scorecard roll-up: the score (0-100) and status of each perspective, then the
    overall score; KPIs without an actual are left out and their objective reweighted;
    perspectives (and objectives) weigh equally unless weights or AHP judgements are given."""
    rows = rows_of(scorecard)
    if not rows:
        raise InputError("scorecard: the range is empty; select it with its header row")
    names = [canonical_column("Scorecard", h) if h is not None else None for h in rows[0]]
    if "actual" in names:  # an Excel error (#N/A from a lookup): no actual yet, as on a sheet
        j = names.index("actual")
        rows = [rows[0]] + [r[:j] + [None] + r[j + 1:] if j < len(r) and _is_error(r[j]) else r
                            for r in rows[1:]]
    numbers = {c: "number" for c in ("weight", "target", "actual", "baseline", "red", "amber",
                                     "tolerance") if c in names or c in REQUIRED}
    frame = table(rows, "scorecard", sheet="Scorecard", kinds=numbers)
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")  # rows as the range counts them
    frame = frame[frame.notna().any(axis=1)]  # a blank row of a generous selection
    if frame.empty:
        raise InputError("scorecard: no KPI rows below the header row")
    for col in REQUIRED:
        if col not in frame.columns:
            raise InputError(f"scorecard: needs a '{col}' column")
        if frame[col].isna().any():
            raise InputError(f"scorecard: row {frame.index[frame[col].isna()][0]} needs a "
                             f"{col}")
    index = choice_index(PERSPECTIVES)
    canon = frame["perspective"].map({v: index.get(header_key(v))
                                      for v in pd.unique(frame["perspective"])})
    if canon.isna().any():
        row = canon.index[canon.isna()][0]
        raise InputError(f"scorecard: row {row} perspective {frame.at[row, 'perspective']!r} "
                         "is not financial, customer, internal process or learning and growth")
    frame["perspective"] = canon
    if (frame["weight"] < 0).any():
        raise InputError(f"scorecard: row {frame.index[frame['weight'] < 0][0]} has a negative "
                         "weight")
    if "polarity" in frame.columns:
        index = choice_index(POLARITIES)
        typed = {v: index.get(header_key(v)) if v is not None and str(v).strip() else "higher"
                 for v in pd.unique(frame["polarity"])}
        polarity = frame["polarity"].map(typed)
        if polarity.isna().any():
            row = polarity.index[polarity.isna()][0]
            raise InputError(f"scorecard: row {row} polarity {frame.at[row, 'polarity']!r} is "
                             "not higher, lower or target")
        frame["polarity"] = polarity
    # a range, not the Scorecard sheet: messages name its rows
    result = evaluate_scorecard(frame, weights=_bsc_weights(weights, frame), sheet=None)
    out = [["perspective", "score", "status"]]
    out += [[p, float(r["score"]), r["status"]] for p, r in result.perspectives.iterrows()]
    out.append(["overall", result.overall, ""])
    return out
