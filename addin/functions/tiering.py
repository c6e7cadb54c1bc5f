"""Customer tiering as worksheet functions: CRM_ABC, CRM_PYRAMID, CRM_PARETO, CRM_RFM, CRM_CLV,
CRM_CLV_MARGIN. Thin doors: ranges in through :mod:`addin.functions.ranges`, one routine of
:mod:`addin.tiering`, a spilled array out."""

from __future__ import annotations

from typing import Any

import pandas as pd

from addin.errors import InputError
from addin.functions.ranges import column, excel_function, rows_of, scalar, spill
from addin.tiering import (
    DEFAULT_PYRAMID_LABELS,
    DEFAULT_PYRAMID_SHARES,
    abc_classes,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    key_account_pyramid,
    pareto_table,
    rfm_customer_scores,
    rfm_summary,
    simple_clv,
)

__all__ = ["CRM_ABC", "CRM_CLV", "CRM_CLV_MARGIN", "CRM_PARETO", "CRM_PYRAMID", "CRM_RFM"]

CATEGORY = "CRM Tiering"
_VALUES = "the customers' values (revenue or margin), one column or row; a header is skipped"


def _first_row(rng: Any, series: pd.Series) -> int:
    """The range row of the first value: 2 when a header row was dropped, else 1."""
    return 1 + (len(rows_of(rng)) > len(series))


def _list(rng: Any, name: str, kind: str, default: tuple) -> list:
    """Shares or labels: a range of cells, or one cell of text separated by commas."""
    cells = [v for row in rows_of(rng) for v in row if v is not None and str(v).strip()]
    if not cells:
        return list(default)
    if len(cells) == 1 and isinstance(cells[0], str):
        cells = [p for p in cells[0].replace("，", ",").replace(";", ",").split(",") if p.strip()]
    return column([[c] for c in cells], name, kind, header=False).tolist()


@excel_function(CATEGORY, values=_VALUES, a="share of value for class A (default 0.8)",
                b="share of value for classes A and B (default 0.95)")
def CRM_ABC(values, a=None, b=None):
    """ABC class (A, B or C) of each value by the 80/20 rule: A while the customers ranked
    above hold less than a of the total, B while less than b. Spills one class per value."""
    v = column(values, "values")
    classes = abc_classes(v, scalar(a, "a", default=0.8), scalar(b, "b", default=0.95))
    return spill(classes, header=False)


@excel_function(CATEGORY, values=_VALUES,
                shares="tier shares of customers, top first (default 0.01,0.04,0.15,0.80)",
                labels="tier names, top first (default VIP,Key,Standard,Small)")
def CRM_PYRAMID(values, shares=None, labels=None):
    """Key-account pyramid tier of each value by rank: the top 1 % VIP, the next 4 % Key, the
    next 15 % Standard, the rest Small; ties get the better tier. Spills one tier per value."""
    s = _list(shares, "shares", "number", DEFAULT_PYRAMID_SHARES)
    labels_l = _list(labels, "labels", "text", DEFAULT_PYRAMID_LABELS)
    return spill(key_account_pyramid(column(values, "values"), s, labels_l), header=False)


@excel_function(CATEGORY, values=_VALUES)
def CRM_PARETO(values):
    """The Pareto (80/20) table, largest value first: the value's row in the range, rank,
    value, share, cumulative share and cumulative share of customers."""
    v = column(values, "values")
    v.index = v.index + _first_row(values, v)
    table = pareto_table(v)
    table.insert(0, "row", table.index.astype("int64"))
    return spill(table.reset_index(drop=True))


def _transactions(customer_ids: Any, dates: Any, amounts: Any) -> pd.DataFrame:
    ids = column(customer_ids, "customer_ids", "text")
    days = column(dates, "dates", "date")
    money = column(amounts, "amounts", "number")
    if not len(ids) == len(days) == len(money):
        raise InputError(f"customer_ids, dates and amounts must be ranges of one length "
                         f"(got {len(ids)}, {len(days)} and {len(money)} values)")
    frame = pd.DataFrame({"customer_id": ids, "date": days, "amount": money})
    frame.index = frame.index + _first_row(customer_ids, ids)
    return frame


_IDS = "the customer id of each transaction (a column)"
_DATES = "the date of each transaction"
_AMOUNTS = "the amount of each transaction (returns negative)"
_AS_OF = "the date to compute as of (default: the last date)"


@excel_function(CATEGORY, heavy=True, customer_ids=_IDS, dates=_DATES, amounts=_AMOUNTS,
                as_of=_AS_OF)
def CRM_RFM(customer_ids, dates, amounts, as_of=None):
    """RFM per customer from a transaction log: days since the last purchase, orders,
    revenue, the 1-5 R, F and M scores, the RFM segment and the BG/NBD inputs."""
    tx = _transactions(customer_ids, dates, amounts)
    summary = rfm_summary(tx, as_of=scalar(as_of, "as_of", "date", default=None))
    out = summary[["recency_days", "orders", "revenue", "frequency", "recency", "T",
                   "monetary_value"]].join(rfm_customer_scores(summary))
    return spill(out.reset_index())


@excel_function(CATEGORY, heavy=True, customer_ids=_IDS, dates=_DATES, amounts=_AMOUNTS,
                months="horizon in months (default 12)",
                monthly_discount_rate="discount rate a month (default 0.01)",
                margin_rate="gross margin as a share of revenue (default 1: revenue)",
                as_of=_AS_OF)
def CRM_CLV(customer_ids, dates, amounts, months=None, monthly_discount_rate=None,
            margin_rate=None, as_of=None):
    """Customer lifetime value from a transaction log: BG/NBD and Gamma-Gamma fits, then per
    customer the probability of being alive, expected purchases and the discounted value."""
    tx = _transactions(customer_ids, dates, amounts)
    horizon = scalar(months, "months", default=12.0)
    if horizon < 0 or not float(horizon).is_integer():
        raise InputError("months: expected a whole number of months >= 0")
    rate = scalar(monthly_discount_rate, "monthly_discount_rate", default=0.01)
    share = scalar(margin_rate, "margin_rate", default=1.0)
    summary = rfm_summary(tx, as_of=scalar(as_of, "as_of", "date", default=None))
    buyers = summary[summary["T"].notna()]
    bg = fit_bgnbd(buyers["frequency"], buyers["recency"], buyers["T"])
    gg = fit_gamma_gamma(buyers["frequency"], buyers["monetary_value"])
    x, t_x, T = buyers["frequency"], buyers["recency"], buyers["T"]
    out = pd.DataFrame({
        "prob_alive": bg.prob_alive(x, t_x, T),
        "expected_purchases": bg.expected_purchases(int(horizon) * 365.25 / 12, x, t_x, T),
        "expected_value": gg.expected_average_value(x, buyers["monetary_value"]),
        "clv": customer_lifetime_value(bg, gg, x, t_x, T, buyers["monetary_value"],
                                       months=int(horizon), monthly_discount_rate=rate,
                                       margin=share),
    })
    return spill(out.reset_index())


@excel_function(CATEGORY, margin="margin a period (a cell or a column)",
                retention_rate="share of customers kept a period (0 to 1)",
                discount_rate="discount rate a period")
def CRM_CLV_MARGIN(margin, retention_rate, discount_rate):
    """Lifetime value by the simple margin formula m * r / (1 + d - r), for when there is too
    little history to fit a model (Gupta and Lehmann 2003)."""
    r = scalar(retention_rate, "retention_rate")
    d = scalar(discount_rate, "discount_rate")
    cells = [v for row in rows_of(margin) for v in row]
    if len(cells) == 1:
        return float(simple_clv(scalar(margin, "margin"), r, d))
    m = column(margin, "margin")
    return spill(pd.Series(simple_clv(m.to_numpy(), r, d)), header=False)
