"""The purchase history the churn analyses share: purchase days per customer and monthly totals.

A **purchase day** is a customer's day whose lines net to an amount >= 0, as in
:func:`addin.tiering.rfm_summary` (a return on a day of its own is not a purchase; a return on
the day of its purchase reduces that day's amount). Everything here is vectorised (one sort).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.errors import InputError
from addin.tiering.rfm import as_day, stable_argsort

SHEET = "Transactions"


def _days(transactions: pd.DataFrame) -> np.ndarray:
    dates = transactions["date"]
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        dates = pd.to_datetime(dates, errors="coerce")
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def clean_log(transactions: pd.DataFrame | None, sheet: str = SHEET) -> pd.DataFrame:
    """``customer_id``, ``day`` (datetime64[D]) and ``amount`` of the lines with an id, a date
    and a number; InputError naming ``sheet`` when there are none or columns are missing."""
    if transactions is None:
        raise InputError("the workbook has no Transactions sheet; churn and forecast need the "
                         "orders (customer_id, date, amount)", sheet=sheet)
    missing = [c for c in ("customer_id", "date", "amount") if c not in transactions.columns]
    if missing:
        raise InputError(f"needs the columns customer_id, date and amount (missing: "
                         f"{', '.join(missing)})", sheet=sheet)
    amount = pd.to_numeric(transactions["amount"], errors="coerce").to_numpy(dtype=float)
    days = _days(transactions)
    ok = transactions["customer_id"].notna().to_numpy() & ~np.isnan(amount) & (
        days != np.iinfo(np.int64).min)
    out = pd.DataFrame({"customer_id": transactions["customer_id"].to_numpy()[ok],
                        "day": days[ok].astype("datetime64[D]"), "amount": amount[ok]})
    if out.empty:
        raise InputError("has no order lines with a customer id, a date and an amount",
                         sheet=sheet)
    return out


def purchase_days(log: pd.DataFrame, as_of: object = None, *, with_revenue: bool = False):
    """One row per customer and purchase day up to ``as_of`` (default: the last day), sorted
    by customer then day: ``customer_id``, ``day``, ``net`` (the day's net amount, >= 0) and
    ``gap`` (days since the customer's previous purchase day; NaN for the first).

    Vectorised as :func:`addin.tiering.rfm_summary` is: one factorisation of the ids, one sort
    of (customer, day) keys (a stable radix sort on 16-bit digits) and ``reduceat`` sums (a
    group-by on text ids costs several times more).

    ``with_revenue``: also return each customer's net revenue up to ``as_of`` (every line,
    returns included; a Series by customer id named ``revenue``), summed by a group-by on the
    integer codes already at hand: the same compensated sums, in the same order, as a group-by
    on the ids, without hashing the ids a second time. Returns ``(days, revenue)`` then."""
    end = as_day(as_of) if as_of is not None else log["day"].max()
    kept = up_to(log, end)
    if kept.empty:
        empty = pd.DataFrame({"customer_id": pd.Series(dtype=object),
                              "day": pd.Series(dtype="datetime64[s]"),
                              "net": pd.Series(dtype=float), "gap": pd.Series(dtype=float)})
        return (empty, pd.Series(dtype=float, name="revenue")) if with_revenue else empty
    try:
        codes, uniques = pd.factorize(kept["customer_id"], sort=True)
    except TypeError:  # ids of mixed types that do not sort
        codes, uniques = pd.factorize(kept["customer_id"].astype(str), sort=True)
    days = kept["day"].to_numpy().astype("datetime64[D]").astype(np.int64)
    first = int(days.min())
    span = int(days.max()) - first + 1
    key = codes.astype(np.int64) * span + (days - first)
    order = stable_argsort(key)
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    net = np.add.reduceat(kept["amount"].to_numpy(dtype=float)[order], starts)
    day_key = sorted_key[starts]
    buy = net >= 0
    code, day, net = day_key[buy] // span, day_key[buy] % span + first, net[buy]
    same = np.r_[False, code[1:] == code[:-1]]
    gap = np.where(same, np.diff(day, prepend=day[:1]), np.nan).astype(float)
    out = pd.DataFrame({"customer_id": uniques.take(code),
                        "day": day.astype("datetime64[D]").astype("datetime64[s]"),
                        "net": net, "gap": gap})
    if not with_revenue:
        return out
    revenue = pd.Series(kept["amount"].to_numpy(dtype=float)).groupby(codes).sum()
    return out, pd.Series(revenue.to_numpy(), index=pd.Index(uniques.take(
        revenue.index.to_numpy()), name="customer_id"), name="revenue")


def customer_runs(days: pd.DataFrame) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """The customers of :func:`purchase_days`' frame (sorted by customer, then day) as runs:
    ``codes`` (each row's customer, 0.. in the frame's order, so ascending), the ids ``ids``
    (sorted as the frame is) and ``counts`` (rows per customer). The churn routines work on
    these integer codes with ``bincount`` and slices instead of group-bys on text ids. A run
    starts where the id differs from the row before (one comparison of neighbours, no
    hashing); ValueError when a customer's rows are not together."""
    values = days["customer_id"].array
    if len(values) == 0:
        return (np.zeros(0, dtype=np.int64), pd.Index(values, name="customer_id"),
                np.zeros(0, dtype=np.int64))
    start = np.r_[True, np.asarray(values[1:] != values[:-1], dtype=bool)]
    ids = values[np.flatnonzero(start)]
    try:  # ascending ids are one run each; else (ids of kinds that do not compare) hash them
        ordered = bool(np.asarray(ids[1:] > ids[:-1], dtype=bool).all())
    except TypeError:
        ordered = False
    if not (ordered or pd.Index(ids).is_unique):
        raise ValueError("purchase days must be grouped by customer (purchase_days' order)")
    codes = np.cumsum(start) - 1
    return codes, pd.Index(ids, name="customer_id"), np.bincount(codes, minlength=len(ids))


def positions_in(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Where each of ``values`` sits in ``index`` (a unique index; -1 when absent): one
    factorisation of the index and the values together, the index's codes pointing back to
    their positions."""
    if not index.is_unique:
        raise ValueError("the accounts' index has repeated customer ids")
    n = len(index)
    codes, uniques = pd.factorize(pd.concat([pd.Series(index.array), pd.Series(values.array)],
                                            ignore_index=True))
    where = np.full(len(uniques) + 1, -1, dtype=np.int64)  # code -1 (a missing id): the last
    where[codes[:n]] = np.arange(n)
    return where[codes[n:]]


def up_to(log: pd.DataFrame, end: object) -> pd.DataFrame:
    """The log's lines up to ``end`` (the log itself, not a copy, when none is later)."""
    inside = (log["day"] <= np.datetime64(end, "D")).to_numpy()
    return log if inside.all() else log[inside]


def month_totals(log: pd.DataFrame, start: object = None, end: object = None) -> pd.Series:
    """Net revenue per calendar month (a ``PeriodIndex`` of months, every month from ``start``
    to ``end`` present, 0 where nothing was sold). Default span: the log's first to last
    month."""
    months = pd.PeriodIndex(pd.DatetimeIndex(log["day"]), freq="M")
    totals = pd.Series(log["amount"].to_numpy(), index=months).groupby(level=0).sum()
    first = pd.Period(start, "M") if start is not None else totals.index.min()
    last = pd.Period(end, "M") if end is not None else totals.index.max()
    return totals.reindex(pd.period_range(first, last, freq="M"), fill_value=0.0).rename(
        "revenue")


def complete_month_end(day: object) -> pd.Timestamp:
    """The last day of the last complete calendar month up to ``day``: ``day`` itself when it
    is a month end, else the end of the month before."""
    stamp = pd.Timestamp(as_day(day))
    if (stamp + pd.Timedelta(days=1)).day == 1:
        return stamp
    return (stamp.to_period("M") - 1).to_timestamp(how="end").normalize()
