"""Cohort retention: acquisition-month cohorts x months since the first order.

A customer's **cohort** is the calendar month of its first purchase day (see
:mod:`addin.churn.history`); ``months_since`` m counts calendar months from it (0 = the
acquisition month). For cohort c and month m (only cells up to the as-of month)::

    active_share(c, m)              = customers of c with a purchase day in month c + m
                                      / customers of c
    net_revenue_retention(c, m)     = net revenue of c's customers in month c + m
                                      / net revenue of c's customers in month c

(the customer-retention and net-revenue-retention curves of cohort analysis; Fader and
Hardie (2010), "Customer-base valuation in a contractual setting", Marketing Science 29(1)
use the same cohort-by-period layout; net revenue retention counts returns and expansion, so
it can exceed 1). Month 0 of every cohort has active_share 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.churn.history import purchase_days
from addin.errors import InputError
from addin.tiering.rfm import as_day

RETENTION_COLUMNS = ("cohort", "months_since", "cohort_size", "active", "active_share",
                     "revenue", "net_revenue_retention")
MIN_MONTHS = 2


def cohort_retention(log: pd.DataFrame, as_of: object = None,
                     groups: pd.Series | None = None) -> pd.DataFrame:
    """The retention of every acquisition-month cohort, one row per (cohort, months_since)
    cell (columns :data:`RETENTION_COLUMNS`, ``cohort`` as ``YYYY-MM`` text), cohorts oldest
    first. With ``groups`` (a segment, region or tier per customer id) the cohorts are split by
    group and a ``group`` column comes first (missing groups are "(none)").

    ``log`` is :func:`addin.churn.history.clean_log`'s frame; lines after ``as_of`` (default:
    the last day) are ignored. Raises InputError with fewer than two calendar months between
    the first and last purchase (a cohort needs at least a month after its acquisition).
    """
    end = as_day(as_of) if as_of is not None else log["day"].max()
    days = purchase_days(log, end)
    if days.empty:
        raise InputError("no purchases to build cohorts from", sheet="Transactions")
    month = pd.PeriodIndex(pd.DatetimeIndex(days["day"]), freq="M")
    month_no = month.year.to_numpy() * 12 + month.month.to_numpy() - 1
    if month_no.max() - month_no.min() + 1 < MIN_MONTHS:
        raise InputError(f"too little history for cohort retention: the orders span "
                         f"{month_no.max() - month_no.min() + 1} calendar month; at least "
                         f"{MIN_MONTHS} are needed (a cohort and a month after it)",
                         sheet="Transactions")
    frame = pd.DataFrame({"customer_id": days["customer_id"].to_numpy(), "month": month_no,
                          "net": days["net"].to_numpy()})
    # returns on days of their own still count against the month's revenue
    kept = log[log["day"] <= np.datetime64(end, "D")]
    returns = kept.groupby(["customer_id", "day"], sort=False)["amount"].sum()
    returns = returns[returns < 0].reset_index()
    if len(returns):
        r_month = pd.PeriodIndex(pd.DatetimeIndex(returns["day"]), freq="M")
        frame = pd.concat([frame, pd.DataFrame({
            "customer_id": returns["customer_id"].to_numpy(),
            "month": r_month.year.to_numpy() * 12 + r_month.month.to_numpy() - 1,
            "net": returns["amount"].to_numpy(), "buy": False})], ignore_index=True)
    if "buy" not in frame.columns:
        frame["buy"] = True
    frame["buy"] = frame["buy"].fillna(True).astype(bool)
    first = frame[frame["buy"]].groupby("customer_id")["month"].min()
    frame = frame[frame["customer_id"].isin(first.index)]
    frame["cohort"] = frame["customer_id"].map(first).to_numpy()
    frame["months_since"] = frame["month"] - frame["cohort"]
    frame = frame[frame["months_since"] >= 0]
    keys = ["cohort"]
    if groups is not None:
        g = groups.reindex(frame["customer_id"]).to_numpy(dtype=object)
        frame["group"] = pd.Series(g).where(pd.notna(g), "(none)").astype(str).to_numpy()
        keys = ["group", "cohort"]
    size = frame.drop_duplicates("customer_id").groupby(keys).size().rename("cohort_size")
    active = frame[frame["buy"]].groupby([*keys, "months_since"])["customer_id"].nunique()
    revenue = frame.groupby([*keys, "months_since"])["net"].sum()
    last_month = int(np.datetime64(end, "M").astype(np.int64)) + 1970 * 12
    cells = []
    for key, n in size.items():
        cohort = key[-1] if isinstance(key, tuple) else key
        for m in range(last_month - int(cohort) + 1):
            cells.append((*((key,) if not isinstance(key, tuple) else key), m, n))
    out = pd.DataFrame(cells, columns=[*keys, "months_since", "cohort_size"])
    idx = pd.MultiIndex.from_frame(out[[*keys, "months_since"]])
    out["active"] = active.reindex(idx, fill_value=0).to_numpy().astype(np.int64)
    out["revenue"] = revenue.reindex(idx, fill_value=0.0).to_numpy(dtype=float)
    out["active_share"] = out["active"] / out["cohort_size"]
    base = out[out["months_since"] == 0].set_index(keys)["revenue"]
    base_of = base.reindex(pd.MultiIndex.from_frame(out[keys]) if len(keys) > 1
                           else out["cohort"]).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["net_revenue_retention"] = np.where(base_of > 0, out["revenue"] / base_of, np.nan)
    out["cohort_size"] = out["cohort_size"].astype(np.int64)
    c = out["cohort"].astype(np.int64)
    out["cohort"] = [f"{y:04d}-{m + 1:02d}" for y, m in zip(c // 12, c % 12, strict=True)]
    columns = (["group"] if groups is not None else []) + list(RETENTION_COLUMNS)
    return out[columns].reset_index(drop=True)


def retention_matrix(cells: pd.DataFrame, value: str = "active_share") -> pd.DataFrame:
    """The cells of :func:`cohort_retention` as a matrix: one row per cohort (with its size),
    one column per month since acquisition (``m0``, ``m1``, ...), blank where the month has
    not come yet."""
    keys = ["group", "cohort"] if "group" in cells.columns else ["cohort"]
    wide = cells.pivot(index=[*keys, "cohort_size"], columns="months_since", values=value)
    wide.columns = [f"m{int(m)}" for m in wide.columns]
    return wide.reset_index()
