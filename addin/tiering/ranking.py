"""Ranking customers by value: ABC classes (80/20), the Pareto curve and point, the key-account
pyramid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.errors import InputError
from addin.tiering.rfm import tie_ranks
from addin.tiering.settings import check_pyramid

ABC_CLASSES = ("A", "B", "C")
DEFAULT_PYRAMID_SHARES = (0.01, 0.04, 0.15, 0.80)
DEFAULT_PYRAMID_LABELS = ("VIP", "Key", "Standard", "Small")
# Shares are compared with this relative slack, so that rounding in a sum of money (0.1 + 0.2
# is 0.30000000000000004) does not move the customer on a boundary into the next class.
_SLACK = 1e-9


# --------------------------------------------------------------------------------------------
# Ranking: ABC, Pareto, pyramid


def _numbers(values: object, name: str = "values") -> pd.Series:
    """Values as a float Series (a list or array gets a 0-based index); text raises."""
    series = values.copy() if isinstance(values, pd.Series) else pd.Series(values)
    if series.dtype == bool or not (pd.api.types.is_numeric_dtype(series.dtype)
                                    or series.isna().all()):
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            label = bad[bad].index[0]
            raise InputError(f"{name}: {label!r} is not a number (found {series[label]!r})")
        series = converted
    return series.astype(float)


def _rank_order(values: pd.Series) -> np.ndarray:
    """Positions of the non-missing values, largest first; ties by the index (ascending),
    then by position, so the answer does not depend on the order of the rows."""
    valid = np.flatnonzero(values.notna().to_numpy())
    v = values.to_numpy()[valid]
    try:
        label_rank = np.argsort(np.argsort(values.index[valid].to_numpy(), kind="stable"),
                                kind="stable")
    except TypeError:  # labels that do not compare (1 and "a"): fall back to position
        label_rank = np.arange(len(valid))
    return valid[np.lexsort((np.arange(len(valid)), label_rank, -v))]


def abc_classes(values: object, a: float = 0.80, b: float = 0.95) -> pd.Series:
    """ABC classes by the 80/20 rule: "A", "B" or "C" per customer, in the input's order.

    Customers are ranked by value, largest first. With S_k the cumulative value of the
    customers ranked above customer k, as a share of the total: k is A while S_k < a, B while
    S_k < b, otherwise C. So the customer that crosses 80 % is still A (Pareto's rule as an
    ABC analysis, e.g. Kotler and Keller, *Marketing Management*; thresholds 80/95 by
    default, some texts use 70-80 % for A).

    Conventions: ties keep a stable order by the index (ascending), so of two equal customers
    on a boundary the one with the smaller label is A. The total is the sum of the positive
    values: a customer with a zero or negative value (returned more than bought) brings no
    value, is always C, and does not shrink the others' shares. When no value is positive
    (all zero, all negative) every customer is C. A single positive customer is A. Missing
    values (NaN) give a missing class. Empty input gives an empty Series.
    """
    if not 0 < a <= b <= 1:
        raise InputError(f"ABC thresholds need 0 < a <= b <= 1 (got a = {a}, b = {b})")
    values = _numbers(values)
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    order = _rank_order(values)
    if not len(order):
        return out
    positive = np.clip(values.to_numpy()[order], 0, None)
    total = positive.sum()
    above = np.cumsum(positive) - positive
    if total > 0:
        share_above = above / total  # a share, not a product: (a * total) underflows for
        classes = np.where(share_above < a - _SLACK, "A",  # subnormal totals such as 5e-324
                           np.where(share_above < b - _SLACK, "B", "C"))
        classes = np.where(positive > 0, classes, "C")
    else:
        classes = np.full(len(order), "C")
    out.iloc[order] = classes
    return out


def pareto_table(values: object) -> pd.DataFrame:
    """The Pareto (80/20) curve as a table, one row per customer, largest value first.

    Columns: ``rank`` (1 = largest; ties by index as in :func:`abc_classes`), ``value``,
    ``share`` (value / total), ``cumulative_share`` and ``cumulative_customer_share``
    (rank / n). The index holds the customers' labels. The total is the sum of positive
    values and shares count a negative value as 0, so the curve rises from 0 to 1; when no
    value is positive every share is 0. Missing values are left out; empty input gives an
    empty table with these columns.
    """
    values = _numbers(values)
    order = _rank_order(values)
    v = values.to_numpy()[order]
    positive = np.clip(v, 0, None)
    total = positive.sum()
    share = positive / total if total > 0 else np.zeros(len(v))
    n = len(v)
    frame = pd.DataFrame(
        {
            "rank": np.arange(1, n + 1, dtype=np.int64),
            "value": v,
            "share": share,
            "cumulative_share": np.cumsum(share),
            "cumulative_customer_share": np.arange(1, n + 1) / n if n else np.zeros(0),
        },
        index=values.index[order],
    )
    return frame


@dataclass(frozen=True)
class ParetoPoint:
    """``customers`` of ``n`` customers (``customer_share``) bring ``value_share`` of the
    value. ``str()`` says it in words: "20.0% of customers bring 80.0% of value"."""

    customers: int
    n: int
    customer_share: float
    value_share: float

    def __str__(self) -> str:
        if not self.n:
            return "no customers"
        return (f"{self.customer_share:.1%} of customers bring {self.value_share:.1%} "
                "of value")


def pareto_point(values: object, customer_share: float | None = None) -> ParetoPoint:
    """The Pareto point: "x % of customers bring y % of value".

    Without ``customer_share``: the smallest top group of k customers whose customer share
    and value share add up to at least 100 % (k/n + cumulative_share_k >= 1), i.e. where the
    curve of :func:`pareto_table` crosses the anti-diagonal; for 80/20 data, 20 % and 80 %.
    With ``customer_share`` (say 0.2): the value share of the top ceil(0.2 n) customers.

    Hand-worked: values 50, 30, 15, 5: k = 1 gives 0.25 + 0.50 < 1, k = 2 gives
    0.50 + 0.80 >= 1, so 50 % of customers bring 80 % of value. Empty input gives
    ``ParetoPoint(0, 0, nan, nan)``; when no value is positive, 100 % of customers bring 0 %.
    """
    table = pareto_table(values)
    n = len(table)
    if n == 0:
        return ParetoPoint(0, 0, math.nan, math.nan)
    cum = table["cumulative_share"].to_numpy()
    if customer_share is None:
        k = int(np.argmax(np.arange(1, n + 1) / n + cum >= 1 - _SLACK)) + 1
    else:
        if not 0 < customer_share <= 1:
            raise InputError("customer_share must be a share in (0, 1]")
        k = max(1, math.ceil(round(customer_share * n, 9)))
    return ParetoPoint(k, n, k / n, float(cum[k - 1]))


def key_account_pyramid(values: object, shares: Sequence[float] = DEFAULT_PYRAMID_SHARES,
                        labels: Sequence[str] = DEFAULT_PYRAMID_LABELS) -> pd.Series:
    """The key-account pyramid: a tier label per customer, by rank of value.

    Rank 1 is the largest value. With cumulative shares c_1 .. c_m (0.01, 0.05, 0.20, 1.00 by
    default) and n customers, ranks 1 .. ceil(c_1 n) get the first label (VIP), ranks up to
    ceil(c_2 n) the second (Key), and so on; the last tier takes the rest. Customers tied on
    value share the best (smallest) rank of the tie and so get the better tier: tiers can
    hold more customers than their share when values tie, and with all values equal every
    customer is in the top tier. n = 10 with the default shares: rank 1 is VIP (ceil(0.1)),
    Key is empty (ceil(0.5) = 1), rank 2 is Standard (ceil(2.0) = 2), ranks 3-10 Small.

    ``shares`` must be positive and add up to 1, one per distinct label. A single customer is
    in the top tier; missing values give a missing tier; empty input an empty Series.
    """
    shares_a, labels_l = check_pyramid(shares, labels)
    values = _numbers(values)
    v = values.to_numpy(dtype=float)
    valid = ~np.isnan(v)
    n = int(valid.sum())
    out = np.full(len(v), None, dtype=object)
    if n:
        ranks = tie_ranks(-v[valid], how="min")
        limits = np.ceil(np.round(np.cumsum(shares_a) * n, 9))
        limits[-1] = n
        tier = np.searchsorted(limits, ranks, side="left")
        out[valid] = np.asarray(labels_l, dtype=object)[tier]
    return pd.Series(out, index=values.index, dtype=object)
