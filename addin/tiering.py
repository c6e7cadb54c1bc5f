"""Customer tiering: the 80/20 rule, the key-account pyramid, RFM, lifetime value, life cycle.

Pure routines over pandas objects (no Excel, no files); every door (Excel functions, the
``Tiers`` sheet, the PDF reviews) calls these. Public API:

* ``abc_classes``, ``pareto_table``, ``pareto_point``, ``key_account_pyramid``: ranking.
* ``rfm_summary``, ``rfm_scores``, ``rfm_segment`` (with the one rule table ``RFM_SEGMENTS``).
* ``fit_bgnbd``, ``fit_gamma_gamma``, ``customer_lifetime_value``, ``simple_clv`` (from
  :mod:`addin.clv`).
* ``lifecycle_stage`` (``LifecycleRules``), ``relationship_level`` (``RELATIONSHIP_LEVELS``).
* ``tier_customers``: one row per customer with all of the above, with its settings read by
  :mod:`addin.tier_settings`.

"Recency" means two things and keeps two names: ``recency_days`` is RFM's days since the last
purchase; ``recency`` is the BG/NBD's age of the customer at the last purchase (first to last
purchase, in periods).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.clv import (
    BGNBDFit,
    GammaGammaFit,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    simple_clv,
)
from addin.lifecycle import (
    LIFECYCLE_STAGES,
    RELATIONSHIP_LEVELS,
    LifecycleRules,
    lifecycle_stage,
    relationship_level,
)
from addin.rfm import (
    RFM_SEGMENTS,
    RFMSegment,
    as_day,
    rfm_scores,
    rfm_segment,
    rfm_summary,
    tie_ranks,
)
from addin.tier_settings import TierSettings, check_pyramid, tier_settings

__all__ = [
    "ABC_CLASSES",
    "BGNBDFit",
    "DEFAULT_PYRAMID_LABELS",
    "DEFAULT_PYRAMID_SHARES",
    "GammaGammaFit",
    "LIFECYCLE_STAGES",
    "LifecycleRules",
    "ParetoPoint",
    "RELATIONSHIP_LEVELS",
    "RFM_SEGMENTS",
    "RFMSegment",
    "TierSettings",
    "abc_classes",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "key_account_pyramid",
    "lifecycle_stage",
    "pareto_point",
    "pareto_table",
    "relationship_level",
    "rfm_scores",
    "rfm_segment",
    "rfm_summary",
    "simple_clv",
    "tier_customers",
    "tier_settings",
]

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
            raise ValueError(f"{name}: {label!r} is not a number (found {series[label]!r})")
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
        raise ValueError(f"ABC thresholds need 0 < a <= b <= 1 (got a = {a}, b = {b})")
    values = _numbers(values)
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    order = _rank_order(values)
    if not len(order):
        return out
    positive = np.clip(values.to_numpy()[order], 0, None)
    total = positive.sum()
    above = np.cumsum(positive) - positive
    if total > 0:
        classes = np.where(above < (a - _SLACK) * total, "A",
                           np.where(above < (b - _SLACK) * total, "B", "C"))
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
            raise ValueError("customer_share must be a share in (0, 1]")
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


# --------------------------------------------------------------------------------------------
# Everything per customer

_MIN_FIT_CUSTOMERS = 20  # fewer buyers (or fewer than 10 repeat buyers): use the margin formula
_MIN_FIT_REPEATERS = 10
_DESCRIPTIVE = ("name", "region", "segment", "account_manager")
MODEL_CLV = "BG/NBD + Gamma-Gamma"
SIMPLE_CLV = "margin formula"


def _margin_rates(revenue: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """Each customer's gross margin rate (margin / revenue) within 0..1; the portfolio's rate
    where a customer's revenue or margin is not positive; 1 (value = revenue) without margins."""
    if np.isnan(margin).all():
        return np.ones(len(revenue))
    ok = (revenue > 0) & (margin > 0)
    portfolio = margin[ok].sum() / revenue[ok].sum() if ok.any() else 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(ok, margin / revenue, portfolio)
    return np.clip(own, 0.0, 1.0)


def _retention_rate(transactions: pd.DataFrame, end: np.datetime64,
                    summary: pd.DataFrame) -> float | None:
    """Yearly retention: of the customers who bought in the year before the last, the share
    who bought again in the last year; None with less than two years of buyers."""
    year_ago = end - np.timedelta64(365, "D")
    before = rfm_summary(transactions, as_of=year_ago)
    active = before.index[(before["orders"] > 0)
                          & (before["recency_days"].fillna(10**9) < 365).to_numpy()]
    if len(active) == 0:
        return None
    last = summary["last_purchase"].reindex(active)
    return float((last > pd.Timestamp(year_ago)).mean())


def tier_customers(customers: pd.DataFrame | None, transactions: pd.DataFrame,
                   settings: object = None, *, as_of: object = None) -> pd.DataFrame:
    """One row per customer with every tiering measure: the input of the ``Tiers`` sheet and
    of the PDF reviews.

    ``customers`` is the Customers sheet (``customer_id``, optional ``name``, ``region``,
    ``segment``, ``account_manager``, ``since``), ``transactions`` the Transactions sheet
    (``customer_id``, ``date``, ``amount``, optional ``margin``), ``settings`` the Settings
    sheet as read (so a bad value is reported with its row), a ``{key: value}`` mapping, a
    :class:`TierSettings` or None for the defaults (keys and defaults:
    :mod:`addin.tier_settings`). ``as_of`` (a date) overrides the ``as_of`` setting; without
    either, the last transaction date. Lines after ``as_of`` are ignored, so tiering the same
    workbook as of last month's end gives last month's tiers (tier movers).

    Rows: every customer of the Customers sheet (the first row of an id listed twice), then
    ids that appear only in Transactions (sorted). Columns, indexed by ``customer_id``:

    * ``name`` and ``region``, ``segment``, ``account_manager`` when the sheet has them;
    * ``abc_class``, ``pyramid_tier``, ``key_account`` (tier in ``key_account_tiers``),
      ``rank`` and ``value_share``: by :func:`abc_classes` and :func:`key_account_pyramid` on
      the ``tier_by`` value (net revenue by default);
    * the :func:`rfm_summary` columns (daily periods) and :func:`rfm_scores`, ``rfm_segment``;
    * ``prob_alive`` and ``expected_purchases`` (purchase days in the next ``clv_months``)
      from a BG/NBD fit on the customers who bought, and ``clv``: with the BG/NBD and a
      Gamma-Gamma fit, the discounted gross margin of the next ``clv_months`` months
      (:func:`customer_lifetime_value`, margin = the customer's own margin rate); with fewer
      than 20 buyers or 10 repeat buyers, or a fit that fails, :func:`simple_clv` on the
      yearly margin (margin x 365.25 / tenure, the tenure at least a year), the
      ``retention_rate`` setting or the measured yearly retention, and the yearly discount
      rate (1 + monthly)^12 - 1 (NaN when no retention can be had). ``clv_method`` says which;
    * ``lifecycle_stage`` (:func:`lifecycle_stage`; a customer with no purchase is in
      exploration when its ``since`` date is at most ``exploration_days`` old, otherwise in
      termination) and ``relationship_level`` (:func:`relationship_level` with the count
      class few for key-account tiers, many for the last tier, medium between, and the margin
      class high / medium / low for ABC class A / B / C of the margin, or of revenue when the
      log has no margins).

    Customers without purchases have ``orders`` 0, revenue 0 and missing model columns.
    ``DataFrame.attrs`` holds ``as_of`` (the date used), ``clv_method``, ``bgnbd`` and
    ``gamma_gamma`` (the fits, or None) and ``retention_rate`` (margin formula only).
    Bad settings raise :class:`~addin.errors.InputError` naming the Settings row.
    """
    cfg = settings if isinstance(settings, TierSettings) else tier_settings(settings)
    end = as_of if as_of is not None else cfg.as_of
    if end is None and len(transactions) and transactions["date"].notna().any():
        end = transactions["date"].max()
    summary = rfm_summary(transactions, as_of=end) if end is not None else rfm_summary(
        transactions)
    end_day = as_day(end) if end is not None else None

    ids: list = []
    extra = pd.DataFrame()
    if customers is not None:
        if "customer_id" not in customers.columns:
            raise ValueError("customers need a customer_id column")
        listed = customers[customers["customer_id"].notna()].drop_duplicates("customer_id")
        ids = list(listed["customer_id"])
        keep = [c for c in (*_DESCRIPTIVE, "since") if c in listed.columns]
        extra = listed.set_index("customer_id")[keep]
    known = set(ids)
    ids += [c for c in summary.index if c not in known]
    index = pd.Index(ids, name="customer_id", dtype=object)
    frame = summary.reindex(index)
    zero = ["frequency", "recency", "monetary_value", "revenue", "recent_revenue",
            "prior_revenue"]
    frame[zero] = frame[zero].fillna(0.0)
    frame["orders"] = frame["orders"].fillna(0).astype(np.int64)
    has_margin = "margin" in transactions.columns
    if has_margin:
        frame["margin"] = frame["margin"].fillna(0.0)

    value = frame["margin"] if cfg.tier_by == "margin" and has_margin else frame["revenue"]
    ranked = pareto_table(value)
    frame["abc_class"] = abc_classes(value, cfg.abc_a, cfg.abc_b)
    frame["pyramid_tier"] = key_account_pyramid(value, cfg.pyramid_shares, cfg.pyramid_labels)
    frame["key_account"] = frame["pyramid_tier"].isin(cfg.key_account_tiers)
    frame["rank"] = ranked["rank"].reindex(index).astype(np.int64)
    frame["value_share"] = ranked["share"].reindex(index)
    scores = rfm_scores(frame)
    frame = frame.join(scores)
    frame["rfm_segment"] = rfm_segment(scores)

    model_info = _lifetime_value(frame, transactions, cfg, end_day)
    since = extra["since"].reindex(index) if "since" in extra.columns else None
    stage = lifecycle_stage(frame, frame["prob_alive"], cfg.lifecycle)
    if since is not None and end_day is not None:
        days_listed = (pd.Timestamp(end_day) - pd.to_datetime(since)).dt.days
        prospect = (frame["orders"] == 0) & (days_listed <= cfg.lifecycle.exploration_days)
        stage = stage.mask(prospect, "exploration")
    frame["lifecycle_stage"] = stage

    last = cfg.pyramid_labels[-1]
    count_class = np.where(frame["key_account"], "few",
                           np.where(frame["pyramid_tier"] == last, "many", "medium"))
    margin_value = frame["margin"] if has_margin else frame["revenue"]
    margin_class = abc_classes(margin_value, cfg.abc_a, cfg.abc_b).map(
        {"A": "high", "B": "medium", "C": "low"})
    frame["relationship_level"] = relationship_level(
        pd.Series(count_class, index=index), margin_class)

    descriptive = [c for c in _DESCRIPTIVE if c in extra.columns]
    out = extra[descriptive].reindex(index).join(frame) if descriptive else frame
    columns = [
        *descriptive, "abc_class", "pyramid_tier", "key_account", "rank", "value_share",
        "revenue", "margin", "orders", "first_purchase", "last_purchase", "recency_days",
        "tenure_days", "r_score", "f_score", "m_score", "rfm_score", "rfm_segment",
        "frequency", "recency", "T", "monetary_value", "prob_alive", "expected_purchases",
        "clv", "clv_method", "lifecycle_stage", "relationship_level", "recent_revenue",
        "prior_revenue",
    ]
    out = out[columns]
    out.attrs.update(model_info)
    out.attrs["as_of"] = pd.Timestamp(end_day) if end_day is not None else None
    return out


def _lifetime_value(frame: pd.DataFrame, transactions: pd.DataFrame, cfg: TierSettings,
                    end_day: np.datetime64 | None) -> dict:
    """Add ``prob_alive``, ``expected_purchases``, ``clv``, ``clv_method`` to ``frame`` (in
    place); return what was fitted for ``attrs``."""
    from addin.clv import DAYS_PER_MONTH

    buyers = frame["T"].notna().to_numpy()
    b = frame[buyers]
    frame["prob_alive"] = np.nan
    frame["expected_purchases"] = np.nan
    frame["clv"] = np.nan
    frame["clv_method"] = None
    info: dict = {"bgnbd": None, "gamma_gamma": None, "clv_method": SIMPLE_CLV,
                  "retention_rate": None}
    if not buyers.any():
        return info
    revenue = frame["revenue"].to_numpy(dtype=float)
    margin = frame["margin"].to_numpy(dtype=float, na_value=np.nan)
    rates = _margin_rates(revenue, margin)
    bg = gg = None
    if len(b) >= _MIN_FIT_CUSTOMERS and (b["frequency"] > 0).sum() >= _MIN_FIT_REPEATERS:
        try:
            bg = fit_bgnbd(b["frequency"], b["recency"], b["T"])
            gg = fit_gamma_gamma(b["frequency"], b["monetary_value"])
        except ValueError:
            bg = gg = None
        if bg is not None and gg is not None and not (
                bg.converged and gg.converged and gg.q > 1 and abs(bg.a - 1) > 1e-9):
            bg = gg = None
    if bg is not None:
        alive = bg.prob_alive(b["frequency"], b["recency"], b["T"])
        horizon = cfg.clv_months * DAYS_PER_MONTH
        expected = bg.expected_purchases(horizon, b["frequency"], b["recency"], b["T"])
        clv = customer_lifetime_value(bg, gg, b["frequency"], b["recency"], b["T"],
                                      b["monetary_value"], months=cfg.clv_months,
                                      monthly_discount_rate=cfg.monthly_discount_rate,
                                      margin=rates[buyers])
        frame.loc[buyers, "prob_alive"] = np.asarray(alive)
        frame.loc[buyers, "expected_purchases"] = np.asarray(expected)
        frame.loc[buyers, "clv"] = np.asarray(clv)
        frame.loc[buyers, "clv_method"] = MODEL_CLV
        info.update(bgnbd=bg, gamma_gamma=gg, clv_method=MODEL_CLV)
        return info
    retention = cfg.retention_rate
    if retention is None and end_day is not None:
        retention = _retention_rate(transactions, end_day, frame)
    info["retention_rate"] = retention
    if retention is None:
        return info
    yearly_margin = (np.where(np.isnan(margin), revenue, margin)[buyers] * 365.25
                     / np.maximum(b["tenure_days"].to_numpy(dtype=float), 365.25))
    yearly_discount = (1 + cfg.monthly_discount_rate) ** 12 - 1
    frame.loc[buyers, "clv"] = simple_clv(yearly_margin, retention, yearly_discount)
    frame.loc[buyers, "clv_method"] = SIMPLE_CLV
    return info
