"""What drives overall satisfaction (correlations and Johnson's relative weights) and how
reliable a multi-item scale is (Cronbach's alpha with Feldt's interval)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from addin.errors import InputError
from addin.surveys.answers import VALID, Exclusions, answer_codes, as_series, check_scale

DRIVER_COLUMNS = ["attribute", "r", "raw_weight", "share", "rank"]
IF_DELETED_COLUMNS = ["item", "alpha_if_deleted", "item_rest_r"]


def _bounds(scale: tuple[float, float] | None) -> tuple[float, float, bool]:
    if scale is None:
        return -math.inf, math.inf, False
    check_scale(*scale)
    return scale[0], scale[1], True


def _matrix(frame: pd.DataFrame, scale: tuple[float, float] | None
            ) -> tuple[np.ndarray, np.ndarray]:
    """(numbers, codes) of every column, as n x k arrays."""
    low, high, whole = _bounds(scale)
    numbers = np.empty(frame.shape, dtype=np.float64)
    codes = np.empty(frame.shape, dtype=np.int8)
    for j, col in enumerate(frame.columns):
        numbers[:, j], codes[:, j] = answer_codes(frame[col], low, high, whole)
    return numbers, codes


def relative_weights(corr_xx: np.ndarray, corr_xy: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights from the predictors' correlation matrix ``R_xx``
    and their correlations with the outcome ``r_xy``.

    ``R_xx = Q diag(lambda) Q'``; ``Lambda = Q diag(sqrt(lambda)) Q'`` (the correlations
    between the predictors and their closest orthogonal counterparts Z);
    ``beta = Lambda^-1 r_xy`` (the regression of the outcome on Z);
    ``epsilon_j = sum_k Lambda_jk^2 beta_k^2``. The weights add up to the R^2 of the linear
    regression of the outcome on all predictors. Eigenvalues at zero (exactly collinear
    predictors) are left out of the inverse (a pseudo-inverse).
    """
    eigval, eigvec = np.linalg.eigh(corr_xx)
    eigval = np.clip(eigval, 0.0, None)
    root = np.sqrt(eigval)
    lam = (eigvec * root) @ eigvec.T
    tol = root.max(initial=0.0) * max(corr_xx.shape) * np.finfo(float).eps * 10
    inv_root = np.where(root > tol, 1.0 / np.where(root > tol, root, 1.0), 0.0)
    beta = (eigvec * inv_root) @ eigvec.T @ corr_xy
    return (lam ** 2) @ (beta ** 2)


@dataclass(frozen=True)
class KeyDrivers:
    """What :func:`key_drivers` found: ``table`` (attribute, r, raw_weight, share, rank), the
    regression's ``r_squared`` over ``n`` complete rows, the ``rows_dropped`` and the answers
    ``excluded`` (by reason)."""

    table: pd.DataFrame
    r_squared: float = math.nan
    n: int = 0
    rows_dropped: int = 0
    excluded: Exclusions = field(default_factory=Exclusions)


def key_drivers(overall: object, attributes: pd.DataFrame,
                overall_scale: tuple[float, float] | None = None,
                scale: tuple[float, float] | None = None) -> KeyDrivers:
    """Key-driver analysis of overall satisfaction: per attribute its Pearson correlation
    ``r`` with the overall answer and its relative weight (Johnson, "A heuristic method for
    estimating the relative weight of predictor variables in multiple regression",
    Multivariate Behavioral Research 35(1), 2000; see :func:`relative_weights`).

    ``raw_weight`` is the attribute's share of the explained variance in R^2 units (the
    weights add up to R^2 of the regression of overall on every attribute); ``share`` is
    ``raw_weight / R^2`` (0..1, adding up to 1); ``rank`` 1 is the strongest driver.

    Rows are used listwise: a respondent counts only with a valid overall answer and a valid
    answer to every attribute; the rest are left out and reported in the result's
    ``excluded`` (answers, by reason) and ``rows_dropped``, beside ``r_squared`` and ``n``.
    ``overall_scale`` and ``scale`` (``(low, high)``) make off-scale answers count as left
    out; None accepts any number.
    An attribute that does not vary gets blank ``r`` and weight and is left out of the
    regression; fewer than 3 usable rows give blank weights. One attribute: its weight is
    ``r^2``.
    """
    y_series = as_series(overall)
    if isinstance(attributes, pd.Series):
        attributes = attributes.to_frame()
    if attributes.shape[1] == 0:
        raise InputError("key_drivers needs at least one attribute")
    if len(y_series) != len(attributes):
        raise InputError(f"overall has {len(y_series)} answers, attributes "
                         f"{len(attributes)} rows")
    low, high, whole = _bounds(overall_scale)
    y, y_codes = answer_codes(y_series, low, high, whole)
    x, x_codes = _matrix(attributes, scale)
    complete = (y_codes == VALID) & (x_codes == VALID).all(axis=1)
    dropped = ~complete
    excluded = (Exclusions.from_codes(y_codes[dropped])
                + Exclusions.from_codes(x_codes[dropped]))
    y, x = y[complete], x[complete]
    n, k = x.shape
    names = [str(c) for c in attributes.columns]
    r = np.full(k, np.nan)
    weights = np.full(k, np.nan)
    r2 = math.nan
    if n >= 3 and np.std(y) > 0:
        sd = x.std(axis=0)
        varying = sd > 0
        xs = (x[:, varying] - x[:, varying].mean(axis=0)) / sd[varying]
        ys = (y - y.mean()) / y.std()
        r[varying] = xs.T @ ys / n
        if varying.any():
            corr_xx = np.atleast_2d(xs.T @ xs / n)
            weights[varying] = relative_weights(corr_xx, r[varying])
            r2 = float(weights[varying].sum())
    share = weights / r2 if r2 and np.isfinite(r2) and r2 > 0 else np.full(k, np.nan)
    frame = pd.DataFrame({"attribute": names, "r": r, "raw_weight": weights, "share": share})
    frame["rank"] = frame["raw_weight"].rank(ascending=False, method="min").astype("Int64")
    frame = frame.sort_values(["rank", "attribute"], na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)[DRIVER_COLUMNS]
    return KeyDrivers(frame, r2, int(n), int(dropped.sum()), excluded)


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of a scale with its 95 % interval (Feldt), the rows used and left
    out, and alpha-if-item-deleted per item."""

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int
    rows_dropped: int
    excluded: Exclusions
    if_deleted: pd.DataFrame = field(repr=False, compare=False,
                                     default_factory=lambda: pd.DataFrame(
                                         columns=IF_DELETED_COLUMNS))


def _alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if k < 2 or not total > 0:
        return math.nan
    return k / (k - 1) * (1.0 - np.trace(cov) / total)


def cronbach_alpha(items: pd.DataFrame, scale: tuple[float, float] | None = None,
                   confidence: float = 0.95) -> AlphaResult:
    """Cronbach's alpha, ``alpha = k / (k - 1) * (1 - sum(var_i) / var(total))`` with sample
    variances (Cronbach, "Coefficient alpha and the internal structure of tests",
    Psychometrika 16(3), 1951), and Feldt's interval (Feldt, Woodruff & Salih, "Statistical
    inference for coefficient alpha", Applied Psychological Measurement 11(1), 1987):
    ``1 - (1 - alpha) * F(1 - a/2; n-1, (n-1)(k-1))`` to
    ``1 - (1 - alpha) * F(a/2; n-1, (n-1)(k-1))`` with ``a = 1 - confidence``.

    ``items`` has one column per item, one row per respondent. Rows with any answer blank,
    text or (with ``scale=(low, high)``) off the scale are deleted listwise; ``n`` counts the
    rows used, ``rows_dropped`` the rest, ``excluded`` their bad answers by reason. Feldt's
    ``n`` is the rows used (pingouin's ``nan_policy="listwise"`` keeps the count before
    deletion, so its interval differs there).

    ``if_deleted``: per item, alpha of the other items (blank with fewer than 3 items) and
    the corrected item-total correlation (the item with the sum of the others). Alpha is
    blank (NaN) with one item, fewer than two rows, or a total that does not vary; it can be
    negative when items disagree.
    """
    if isinstance(items, pd.Series):
        items = items.to_frame()
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1 (got {confidence})")
    x, codes = _matrix(items, scale)
    complete = (codes == VALID).all(axis=1)
    excluded = Exclusions.from_codes(codes[~complete])
    x = x[complete]
    n, k = x.shape
    names = [str(c) for c in items.columns]
    if n >= 2 and k >= 1:
        cov = np.atleast_2d(np.cov(x, rowvar=False))
    else:
        cov = np.full((k, k), np.nan)
    alpha = _alpha(cov) if n >= 2 else math.nan
    lo = hi = math.nan
    if np.isfinite(alpha) and k >= 2:
        a = 1.0 - confidence
        df1, df2 = n - 1, (n - 1) * (k - 1)
        lo = 1.0 - (1.0 - alpha) * stats.f.ppf(1 - a / 2, df1, df2)
        hi = 1.0 - (1.0 - alpha) * stats.f.ppf(a / 2, df1, df2)
    rows = []
    for j, name in enumerate(names):
        keep = [i for i in range(k) if i != j]
        if n >= 2 and k >= 3:
            sub_alpha = _alpha(cov[np.ix_(keep, keep)])
        else:
            sub_alpha = math.nan
        rest_var = cov[np.ix_(keep, keep)].sum() if keep else math.nan
        cov_rest = cov[j, keep].sum() if keep else math.nan
        denom = math.sqrt(cov[j, j] * rest_var) if n >= 2 and keep and cov[j, j] > 0 \
            and rest_var > 0 else math.nan
        rows.append({"item": name, "alpha_if_deleted": sub_alpha,
                     "item_rest_r": cov_rest / denom if denom == denom else math.nan})
    if_deleted = pd.DataFrame(rows, columns=IF_DELETED_COLUMNS)
    return AlphaResult(float(alpha), float(lo), float(hi), int(n), int(k),
                       int((~complete).sum()), excluded, if_deleted)
