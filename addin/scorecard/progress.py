"""KPI progress against target, and red/amber/green status.

Progress (0 = at the baseline or worse, 1 = target reached) by polarity, after Kaplan and
Norton's scorecard practice of scoring each measure against its target and starting point
(Kaplan & Norton 1996, *The Balanced Scorecard*, ch. 7; the linear "percent of target"
normalisation used by scorecard tools):

* ``higher`` is better: ``(actual - baseline) / (target - baseline)``; without a baseline
  ``actual / target``;
* ``lower`` is better: ``(baseline - actual) / (baseline - target)``; without a baseline
  ``target / actual``;
* ``target`` (closer is better): ``1 - |actual - target| / tolerance``; the tolerance defaults
  to ``|target - baseline|`` with a baseline, else 10 % of ``|target|``.

The result is clipped to ``[0, cap]``: ``cap = 1`` (the default) stops over-achievement on one
KPI from hiding a shortfall on another; ``cap = 1.2`` allows 20 % credit beyond target.

Degenerate cases, each defined here and tested:

* missing actual (or target) -> NaN (the roll-up leaves the KPI out and says so);
* ``target == baseline`` (higher/lower): no distance to cover, so progress is 1 when the target
  is met (actual at or beyond it) and 0 otherwise; the scorecard sheet rejects such a row as a
  likely typing mistake, but the routine stays defined;
* no baseline, ``target == 0``: ``higher`` gives 1 when ``actual >= 0`` else 0; ``lower`` gives
  1 when ``actual <= 0`` else 0 (a ratio to zero means nothing);
* no baseline, ``lower``, ``actual <= 0`` with a positive target: the best possible, ``cap``;
* ``target`` polarity with a zero tolerance: 1 when ``actual == target`` else 0.

Ratios without a baseline assume positive quantities; give a baseline for KPIs that can be
negative.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from addin.errors import InputError

POLARITIES = ("higher", "lower", "target")
STATUSES = ("green", "amber", "red", "no data")
DEFAULT_THRESHOLDS = (1.0, 0.8)  # green at or above 1.0 progress, amber at or above 0.8
TARGET_TOLERANCE_SHARE = 0.10


def _array(value: Any) -> np.ndarray:
    if isinstance(value, pd.Series):
        return pd.to_numeric(value, errors="coerce").to_numpy(dtype=float)
    if value is None:
        return np.array(np.nan)
    return np.asarray(value, dtype=float)


def _polarity(polarity: Any, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(polarity, pd.Series):
        values = polarity.fillna("higher").astype(str).str.strip().str.lower().to_numpy()
    elif isinstance(polarity, (np.ndarray, list, tuple)):
        arr = np.asarray(polarity, dtype=object)
        values = np.array([str(v).strip().lower() if v is not None and v == v else "higher"
                           for v in arr.ravel()], dtype=object).reshape(arr.shape)
    else:
        values = np.full(shape, str(polarity or "higher").strip().lower(), dtype=object)
    bad = sorted(set(values.ravel().tolist()) - set(POLARITIES))
    if bad:
        raise InputError(f"polarity {bad[0]!r}: use one of {', '.join(POLARITIES)}")
    return np.broadcast_to(values, shape)


def _like(template: Any, values: np.ndarray) -> Any:
    for arg in template:
        if isinstance(arg, pd.Series):
            return pd.Series(values, index=arg.index, name="progress")
    return float(values) if values.ndim == 0 else values


def kpi_progress(actual: Any, target: Any, baseline: Any = None, polarity: Any = "higher",
                 tolerance: Any = None, cap: float = 1.0) -> Any:
    """Progress of ``actual`` from ``baseline`` to ``target`` in ``[0, cap]`` (see the module
    docstring for the formulas and every degenerate case). Scalars give a float; a Series (for
    any argument) gives a Series on its index; NaN where the actual is missing."""
    if cap < 1:
        raise InputError(f"cap {cap}: must be at least 1")
    a, t, b = _array(actual), _array(target), _array(baseline)
    a, t, b = np.broadcast_arrays(a, t, b)
    pol = _polarity(polarity, a.shape)
    tol = np.broadcast_to(_array(tolerance), a.shape)
    out = np.full(a.shape, np.nan)
    has_b = ~np.isnan(b)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # higher is better
        h = pol == "higher"
        span = t - b
        out = np.where(h & has_b & (span != 0), (a - b) / span, out)
        out = np.where(h & has_b & (span == 0), (a >= t).astype(float), out)
        out = np.where(h & ~has_b & (t != 0), a / t, out)
        out = np.where(h & ~has_b & (t == 0), (a >= 0).astype(float), out)
        # lower is better
        lw = pol == "lower"
        span = b - t
        out = np.where(lw & has_b & (span != 0), (b - a) / span, out)
        out = np.where(lw & has_b & (span == 0), (a <= t).astype(float), out)
        out = np.where(lw & ~has_b & (t > 0) & (a > 0), t / a, out)
        out = np.where(lw & ~has_b & (t > 0) & (a <= 0), cap, out)
        out = np.where(lw & ~has_b & (t <= 0), (a <= t).astype(float), out)
        # closer to target is better
        tg = pol == "target"
        default_tol = np.where(has_b, np.abs(t - b), TARGET_TOLERANCE_SHARE * np.abs(t))
        width = np.where(np.isnan(tol), default_tol, np.abs(tol))
        out = np.where(tg & (width > 0), 1 - np.abs(a - t) / width, out)
        out = np.where(tg & (width == 0), (a == t).astype(float), out)
    out = np.where(np.isnan(a) | np.isnan(t), np.nan, np.clip(out, 0.0, cap))
    return _like((actual, target, baseline, polarity), out)


def kpi_status(value: Any, thresholds: tuple[float, float] | None = None, *,
               polarity: Any = "higher", red: Any = None, amber: Any = None) -> Any:
    """Red, amber or green (or "no data" where the value is missing).

    Two ways to set the bands:

    * by **progress** (the default): ``value`` is progress from :func:`kpi_progress`;
      ``thresholds = (green, amber)``, default ``(1.0, 0.8)``: green at or above 1.0, amber at
      or above 0.8, red below;
    * by **per-KPI limits in the actual's own unit**: ``value`` is the actual and ``red`` /
      ``amber`` are the limits, respecting ``polarity``. Higher is better: below ``red`` is red,
      below ``amber`` amber, else green. Lower is better: above ``red`` red, above ``amber``
      amber, else green. (``target`` polarity has no direction, so it uses progress bands.)
      A KPI with only one limit given uses it for that band alone.
    """
    v = _array(value)
    if red is None and amber is None:
        green_at, amber_at = thresholds or DEFAULT_THRESHOLDS
        if amber_at > green_at:
            raise InputError(f"thresholds {thresholds}: amber must not be above green")
        out = np.where(v >= green_at, "green", np.where(v >= amber_at, "amber", "red"))
    else:
        r, am = _array(red), _array(amber)
        v, r, am = np.broadcast_arrays(v, r, am)
        pol = _polarity(polarity, v.shape)
        if (pol == "target").any():
            raise InputError("red/amber limits need a direction: polarity higher or lower")
        higher = pol == "higher"
        is_red = np.where(higher, v < r, v > r) & ~np.isnan(r)
        is_amber = np.where(higher, v < am, v > am) & ~np.isnan(am)
        out = np.where(is_red, "red", np.where(is_amber, "amber", "green"))
    out = np.where(np.isnan(v), "no data", out).astype(object)
    for arg in (value, red, amber, polarity):
        if isinstance(arg, pd.Series):
            return pd.Series(out, index=arg.index, name="status", dtype=object)
    return str(out) if out.ndim == 0 else out


__all__ = ["POLARITIES", "STATUSES", "DEFAULT_THRESHOLDS", "kpi_progress", "kpi_status"]
