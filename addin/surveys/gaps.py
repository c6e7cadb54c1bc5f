"""Expectation gaps (SERVQUAL) and importance-performance analysis, item by item.

Items are matched across the perceived (``perf_X``), expected (``exp_X``) and importance
(``imp_X``) columns by their name ``X`` without the prefix; a SERVQUAL dimension is given per
item or read from the item's name (``reliability_1`` belongs to *reliability*).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from addin.errors import InputError
from addin.surveys.answers import VALID, Exclusions, answer_codes, check_scale

SERVQUAL_DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
ITEM_PREFIXES = ("perf_", "imp_", "exp_")
QUADRANTS = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}
GAP_COLUMNS = ["level", "dimension", "item", "n", "perceived", "expected", "gap", "ci_low",
               "ci_high", "excluded"]
IPA_COLUMNS = ["item", "dimension", "importance", "performance", "n_importance",
               "n_performance", "quadrant", "excluded"]


def item_name(column: object) -> str:
    """``"perf_reliability_1"`` -> ``"reliability_1"`` (a column without a known prefix is
    its own item name)."""
    text = str(column)
    for prefix in ITEM_PREFIXES:
        if text.casefold().startswith(prefix):
            return text[len(prefix):]
    return text


def servqual_dimension(item: str) -> str | None:
    """The SERVQUAL dimension an item's name begins with (``"Reliability 2"`` ->
    ``"reliability"``), or None (Parasuraman, Zeithaml & Berry, "SERVQUAL: a multiple-item
    scale for measuring consumer perceptions of service quality", Journal of Retailing 64(1),
    1988: tangibles, reliability, responsiveness, assurance, empathy)."""
    key = item_name(item).casefold().replace(" ", "_").replace("-", "_")
    for dim in SERVQUAL_DIMENSIONS:
        if key == dim or key.startswith(dim + "_") or (key.startswith(dim) and
                                                        key[len(dim):].isdigit()):
            return dim
    return None


def _items(frame: pd.DataFrame | pd.Series, what: str) -> dict[str, pd.Series]:
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    items: dict[str, pd.Series] = {}
    for col in frame.columns:
        name = item_name(col)
        if name in items:
            raise InputError(f"two {what} columns are item {name!r}")
        items[name] = frame[col]
    if not items:
        raise InputError(f"no {what} items given")
    return items


def _match(left: dict, right: dict, left_name: str, right_name: str) -> list[str]:
    only_left = [k for k in left if k not in right]
    only_right = [k for k in right if k not in left]
    if only_left or only_right:
        parts = []
        if only_left:
            parts.append(f"{left_name} items without {right_name}: {', '.join(only_left)}")
        if only_right:
            parts.append(f"{right_name} items without {left_name}: {', '.join(only_right)}")
        raise InputError("; ".join(parts))
    return list(left)


def _dimension_of(item: str, dimensions: Mapping[str, str] | None) -> str | None:
    if dimensions is not None:
        for key in (item, f"perf_{item}", f"exp_{item}", f"imp_{item}"):
            if key in dimensions:
                return dimensions[key]
    return servqual_dimension(item)


def _mean_ci(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, ...]:
    """n, mean and the 95 % t interval of the mean along ``axis``, ignoring NaN."""
    n = np.sum(~np.isnan(values), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.nansum(values, axis=axis)
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        dev = np.where(np.isnan(values), 0.0, values - np.expand_dims(mean, axis))
        sd = np.sqrt(np.sum(dev ** 2, axis=axis) / np.maximum(n - 1, 1))
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1))
    half = np.where(n >= 2, half, np.nan)
    return n, mean, mean - half, mean + half


def gap_analysis(perceived: pd.DataFrame, expected: pd.DataFrame,
                 dimensions: Mapping[str, str] | None = None,
                 scale: tuple[float, float] = (1, 7)) -> pd.DataFrame:
    """SERVQUAL expectation gaps: per item and per dimension the mean perceived performance
    P, the mean expectation E and the gap ``P - E`` with its paired 95 % confidence interval,
    worst gap first (Parasuraman, Zeithaml & Berry 1988; the gap of a dimension is, per
    respondent, the mean of his item gaps in it, then averaged).

    ``perceived`` and ``expected`` hold one column per item (``perf_X`` and ``exp_X``, matched
    by ``X``; rows are respondents, aligned on the index). ``dimensions`` maps an item (with
    or without its prefix) to its dimension; items it does not name are placed by their name
    (:func:`servqual_dimension`); items in no dimension get item rows only.

    Paired: an item's gap uses the respondents who gave a valid P and a valid E (blank, text
    and off-scale answers are left out and counted in ``excluded``; a valid answer whose
    partner is left out is counted as ``unpaired``). The interval is
    ``mean +/- t(0.975, n-1) * sd / sqrt(n)`` of the paired differences (Student's t); with
    fewer than two pairs it is blank. Rows: ``level`` "dimension" (first) then "item", each
    sorted by gap, most negative first; an item with no pair has a blank gap and comes last.
    """
    low, high = scale
    check_scale(low, high)
    p_items, e_items = _items(perceived, "perceived"), _items(expected, "expected")
    names = _match(p_items, e_items, "perceived", "expected")
    index = p_items[names[0]].index
    for name in names:
        if not (p_items[name].index.equals(index) and e_items[name].index.equals(index)):
            raise InputError("perceived and expected answers must come from the same rows")
    k = len(names)
    diffs = np.full((len(index), k), np.nan)
    p_vals, e_vals = np.full_like(diffs, np.nan), np.full_like(diffs, np.nan)
    why: list[str] = []
    for j, name in enumerate(names):
        p, p_codes = answer_codes(p_items[name], low, high)
        e, e_codes = answer_codes(e_items[name], low, high)
        paired = (p_codes == VALID) & (e_codes == VALID)
        diffs[paired, j] = p[paired] - e[paired]
        p_vals[paired, j], e_vals[paired, j] = p[paired], e[paired]
        unpaired = int(np.count_nonzero((p_codes == VALID) ^ (e_codes == VALID)))
        why.append(_describe(Exclusions.from_codes(p_codes), Exclusions.from_codes(e_codes),
                             unpaired))
    n, gap, lo, hi = _mean_ci(diffs)
    item_dims = [_dimension_of(name, dimensions) for name in names]
    items = pd.DataFrame({
        "level": "item", "dimension": item_dims, "item": names, "n": n.astype("int64"),
        "perceived": _column_means(p_vals), "expected": _column_means(e_vals),
        "gap": gap, "ci_low": lo, "ci_high": hi, "excluded": why,
    }) if k else pd.DataFrame(columns=GAP_COLUMNS)
    rows = []
    for dim in dict.fromkeys(d for d in item_dims if d is not None):
        cols = [j for j, d in enumerate(item_dims) if d == dim]
        with warnings.catch_warnings():  # a respondent without a pair here: NaN, expected
            warnings.simplefilter("ignore", RuntimeWarning)
            person_gap = np.nanmean(diffs[:, cols], axis=1)
            person_p = np.nanmean(p_vals[:, cols], axis=1)
            person_e = np.nanmean(e_vals[:, cols], axis=1)
        dn, dgap, dlo, dhi = _mean_ci(person_gap[:, None])
        rows.append({"level": "dimension", "dimension": dim, "item": None,
                     "n": int(dn[0]), "perceived": _nanmean(person_p),
                     "expected": _nanmean(person_e), "gap": float(dgap[0]),
                     "ci_low": float(dlo[0]), "ci_high": float(dhi[0]),
                     "excluded": f"{len(index) - int(dn[0])} respondents without a pair"})
    dims = pd.DataFrame(rows, columns=GAP_COLUMNS)
    frames = [f.sort_values("gap", kind="stable", na_position="last")
              for f in (dims, items) if len(f)]
    if not frames:
        return pd.DataFrame(columns=GAP_COLUMNS)
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    out = out.reset_index(drop=True)[GAP_COLUMNS]
    out["n"] = out["n"].astype("int64")
    return out


def _column_means(values: np.ndarray) -> np.ndarray:
    n = np.sum(~np.isnan(values), axis=0)
    total = np.nansum(values, axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _nanmean(values: np.ndarray) -> float:
    valid = values[~np.isnan(values)]
    return float(valid.mean()) if len(valid) else float("nan")


def _describe(p: Exclusions, e: Exclusions, unpaired: int, names=("perceived", "expected")
              ) -> str:
    parts = [f"{name}: {ex.describe()}" for name, ex in zip(names, (p, e), strict=True)
             if ex.total]
    if unpaired:
        parts.append(f"{unpaired} unpaired")
    return "; ".join(parts) or "none"


@dataclass(frozen=True)
class ImportancePerformance:
    """What :func:`importance_performance` found: ``table`` (one row per item) and where the
    cross-hairs are: ``importance_split`` and ``performance_split``, by ``split``."""

    table: pd.DataFrame
    importance_split: float
    performance_split: float
    split: str


def importance_performance(importance: pd.DataFrame, performance: pd.DataFrame,
                           split: str = "mean", scale: tuple[float, float] = (1, 7),
                           dimensions: Mapping[str, str] | None = None
                           ) -> ImportancePerformance:
    """Importance-performance analysis (Martilla & James, "Importance-Performance
    Analysis", Journal of Marketing 41(1), 1977): each item's mean importance and mean
    performance place it in one of four quadrants:

    * high importance, low performance: **Concentrate here**;
    * high importance, high performance: **Keep up the good work**;
    * low importance, low performance: **Low priority**;
    * low importance, high performance: **Possible overkill**.

    ``split="mean"`` draws the cross-hairs at the grand means (the mean of the item means,
    the data-centred variant most studies use); ``split="midpoint"`` at the scale's midpoint
    ``(low + high) / 2`` (Martilla & James' original). A mean equal to the split counts as
    high. Means use each item's valid answers (blank, text and off-scale answers are left
    out and counted in ``excluded``); an item without valid answers has no quadrant. The
    split values are the result's ``importance_split`` and ``performance_split``.
    """
    if split not in ("mean", "midpoint"):
        raise InputError(f"split must be 'mean' or 'midpoint' (got {split!r})")
    low, high = scale
    check_scale(low, high)
    i_items, p_items = _items(importance, "importance"), _items(performance, "performance")
    names = _match(i_items, p_items, "importance", "performance")
    rows = []
    for name in names:
        imp, i_codes = answer_codes(i_items[name], low, high)
        perf, p_codes = answer_codes(p_items[name], low, high)
        i_ok, p_ok = i_codes == VALID, p_codes == VALID
        rows.append({
            "item": name, "dimension": _dimension_of(name, dimensions),
            "importance": float(imp[i_ok].mean()) if i_ok.any() else np.nan,
            "performance": float(perf[p_ok].mean()) if p_ok.any() else np.nan,
            "n_importance": int(i_ok.sum()), "n_performance": int(p_ok.sum()),
            "excluded": _describe(Exclusions.from_codes(i_codes),
                                  Exclusions.from_codes(p_codes), 0,
                                  names=("importance", "performance")),
        })
    frame = pd.DataFrame(rows)
    if split == "mean":
        imp_split = _nanmean(frame["importance"].to_numpy(dtype=float))
        perf_split = _nanmean(frame["performance"].to_numpy(dtype=float))
    else:
        imp_split = perf_split = (low + high) / 2
    known = frame["importance"].notna() & frame["performance"].notna()
    frame["quadrant"] = [
        QUADRANTS[(bool(i >= imp_split), bool(p >= perf_split))] if ok else None
        for i, p, ok in zip(frame["importance"], frame["performance"], known, strict=True)
    ]
    return ImportancePerformance(frame[IPA_COLUMNS], imp_split, perf_split, split)
