"""Everything per customer: ``tier_customers`` joins the ranking, RFM, the lifetime-value
models, the life cycle and the relationship level into one row per customer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.errors import InputError
from addin.tiering.clv import (
    DAYS_PER_MONTH,
    NO_DROP_OUT,
    BGNBDFit,
    GammaGammaFit,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_nbd,
    simple_clv,
)
from addin.tiering.lifecycle import lifecycle_stage, relationship_level
from addin.tiering.ranking import abc_classes, key_account_pyramid, pareto_table
from addin.tiering.rfm import (
    as_day,
    customer_days,
    reconcile_segment,
    rfm_customer_scores,
    rfm_summary,
)
from addin.tiering.settings import TierSettings, tier_settings

_MIN_FIT_CUSTOMERS = 20  # fewer buyers (or fewer than 10 repeat buyers): use the margin formula
_MIN_FIT_REPEATERS = 10
_DESCRIPTIVE = ("name", "region", "segment", "account_manager")
MODEL_CLV = "BG/NBD + Gamma-Gamma"
NBD_CLV = "NBD + Gamma-Gamma"
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


def _lost(transactions: pd.DataFrame, end_day: np.datetime64 | None, frame: pd.DataFrame,
          cfg: TierSettings, loss: object) -> pd.Series | None:
    """The loss rule of :mod:`addin.churn.loss` per customer of ``frame`` (False for those
    who never bought); None (the life cycle's own inactive_days rule) when the log has no
    repeat customer, so the rule has no usual gap to measure against."""
    from addin.churn.history import clean_log  # churn builds on tiering: import when used
    from addin.churn.loss import LossRule, lost_accounts
    from addin.errors import InputError

    rule = loss if loss is not None else LossRule(alive_threshold=cfg.lifecycle.alive_threshold)
    if end_day is None or not (frame["orders"] > 0).any():
        return None
    try:
        accounts = lost_accounts(clean_log(transactions), end_day, rule, frame["prob_alive"])
    except InputError:
        return None
    return accounts["lost"].reindex(frame.index).astype("boolean").fillna(False)


@dataclass(frozen=True)
class CustomerTiers:
    """What :func:`tier_customers` found: ``table`` (one row per customer, indexed by
    ``customer_id``) and the run's facts: the ``as_of`` day used, the ``clv_method``, the
    ``bgnbd`` and ``gamma_gamma`` fits (or None), the yearly ``retention_rate`` of the margin
    formula (None unless it was used) and ``clv_note``, why the margin formula was used."""

    table: pd.DataFrame
    as_of: pd.Timestamp | None = None
    clv_method: str = SIMPLE_CLV
    bgnbd: BGNBDFit | None = None
    gamma_gamma: GammaGammaFit | None = None
    retention_rate: float | None = None
    clv_note: str = ""


def tier_customers(customers: pd.DataFrame | None, transactions: pd.DataFrame,
                   settings: object = None, *, as_of: object = None,
                   loss: object = None) -> CustomerTiers:
    """One row per customer with every tiering measure: the input of the ``Tiers`` sheet and
    of the PDF reviews.

    ``customers`` is the Customers sheet (``customer_id``, optional ``name``, ``region``,
    ``segment``, ``account_manager``, ``since``), ``transactions`` the Transactions sheet
    (``customer_id``, ``date``, ``amount``, optional ``margin``), ``settings`` the Settings
    sheet as read (so a bad value is reported with its row), a ``{key: value}`` mapping, a
    :class:`TierSettings` or None for the defaults (keys and defaults:
    :mod:`addin.tiering.settings`). ``as_of`` (a date) overrides the ``as_of`` setting; without
    either, the last transaction date. Lines after ``as_of`` are ignored, so tiering the same
    workbook as of last month's end gives last month's tiers (tier movers).

    Rows: every customer of the Customers sheet (the first row of an id listed twice), then
    ids that appear only in Transactions (sorted). Columns, indexed by ``customer_id``:

    * ``name`` and ``region``, ``segment``, ``account_manager`` when the sheet has them;
    * ``abc_class``, ``pyramid_tier``, ``key_account`` (tier in ``key_account_tiers``),
      ``rank`` and ``value_share``: by :func:`abc_classes` and :func:`key_account_pyramid` on
      the ``tier_by`` value (net revenue by default);
    * the :func:`rfm_summary` columns (daily periods) and :func:`rfm_scores`, ``rfm_segment``
      (the grid's segment: recency against other customers) and ``rfm_segment_reconciled``
      (:func:`reconcile_segment`: an account in termination or with ``prob_alive`` below
      ``alive_threshold`` is read on the grid's R = 1 row, so it never shows an active
      segment such as Loyal; the segment the reports show);
    * ``prob_alive`` and ``expected_purchases`` (purchase days in the next ``clv_months``)
      from a BG/NBD fit on the customers who bought, and ``clv``: with the BG/NBD and a
      Gamma-Gamma fit, the discounted gross margin of the next ``clv_months`` months
      (:func:`customer_lifetime_value`, margin = the customer's own margin rate); when the
      BG/NBD shows no drop-out (its a runs to 0, so it is not identified), the same with the
      NBD (:func:`fit_nbd`: prob_alive 1, purchases at the posterior rate); with fewer
      than 20 buyers or 10 repeat buyers, or a fit that fails, :func:`simple_clv` on the
      yearly margin (margin x 365.25 / tenure, the tenure at least a year), the
      ``retention_rate`` setting or the measured yearly retention, and the yearly discount
      rate (1 + monthly)^12 - 1 (NaN when no retention can be had). ``clv_method`` says which;
    * ``lifecycle_stage`` (:func:`lifecycle_stage` with termination given by the loss rule
      of :mod:`addin.churn.loss`, ``loss`` a :class:`~addin.churn.loss.LossRule` or None for
      its defaults with the ``alive_threshold`` setting; a customer with no purchase is in
      exploration when its ``since`` date is at most ``exploration_days`` old, otherwise in
      termination) and ``relationship_level`` (:func:`relationship_level` with the count
      class few for key-account tiers, many for the last tier, medium between, and the margin
      class high / medium / low for ABC class A / B / C of the margin, or of revenue when the
      log has no margins).

    Customers without purchases have ``orders`` 0, revenue 0 and missing model columns.
    Returns a :class:`CustomerTiers`: the table, and as typed fields ``as_of`` (the date
    used), ``clv_method``, ``bgnbd`` and ``gamma_gamma`` (the fits, or None),
    ``retention_rate`` (margin formula only) and
    ``clv_note``: why the margin formula was used (too few buyers, a fit that failed, or a fit
    on a bound such as a -> 0 when no customer is seen to drop out), empty otherwise.
    Bad settings raise :class:`~addin.errors.InputError` naming the Settings row.
    """
    cfg = settings if isinstance(settings, TierSettings) else tier_settings(settings)
    # every measure nets lines per customer and day first: reduce the log to those once, so
    # the lines and a dataset already reduced (addin.workbook.dataset) give the same numbers
    transactions = customer_days(transactions)
    frame, extra, value, end_day = _valued(customers, transactions, cfg, as_of)
    index = frame.index
    has_margin = "margin" in transactions.columns
    ranked = pareto_table(value)
    frame["abc_class"] = abc_classes(value, cfg.abc_a, cfg.abc_b)
    frame["pyramid_tier"] = key_account_pyramid(value, cfg.pyramid_shares, cfg.pyramid_labels)
    frame["key_account"] = frame["pyramid_tier"].isin(cfg.key_account_tiers)
    frame["rank"] = ranked["rank"].reindex(index).astype(np.int64)
    frame["value_share"] = ranked["share"].reindex(index)
    frame = frame.join(rfm_customer_scores(frame))  # only buyers are scored

    model_info = _lifetime_value(frame, transactions, cfg, end_day)
    since = extra["since"].reindex(index) if "since" in extra.columns else None
    stage = lifecycle_stage(frame, frame["prob_alive"], cfg.lifecycle,
                            lost=_lost(transactions, end_day, frame, cfg, loss))
    if since is not None and end_day is not None:
        days_listed = (pd.Timestamp(end_day) - pd.to_datetime(since)).dt.days
        prospect = (frame["orders"] == 0) & (days_listed <= cfg.lifecycle.exploration_days)
        stage = stage.mask(prospect, "exploration")
    frame["lifecycle_stage"] = stage
    frame["rfm_segment_reconciled"] = reconcile_segment(
        frame, stage, frame["prob_alive"], cfg.lifecycle.alive_threshold)

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
        "rfm_segment_reconciled", "frequency", "recency", "T", "monetary_value", "prob_alive",
        "expected_purchases", "clv", "clv_method", "lifecycle_stage", "relationship_level",
        "recent_revenue", "prior_revenue",
    ]
    return CustomerTiers(out[columns], pd.Timestamp(end_day) if end_day is not None else None,
                         **model_info)


def _fit_models(b: pd.DataFrame) -> tuple:
    """The purchase model and the Gamma-Gamma fit on the buyers, the method's name, and a note
    for the user (empty when all went to plan): the BG/NBD; the NBD when the BG/NBD shows no
    drop-out (its a runs to 0: the drop-out process is not identified, and the NBD is its
    limit); None when a fit failed or sits on another bound, a Gamma-Gamma q <= 1 (infinite
    mean spend), or a = 1 (where the BG/NBD's E[Y(t)] is singular)."""
    try:
        model = fit_bgnbd(b["frequency"], b["recency"], b["T"])
    except ValueError as exc:
        return None, None, SIMPLE_CLV, f"BG/NBD not fitted: {exc}"
    method, note = MODEL_CLV, ""
    if not model.converged and NO_DROP_OUT in model.problem:
        note = f"BG/NBD: {model.problem}; purchases by the NBD (nobody drops out) instead"
        model, method = fit_nbd(b["frequency"], b["recency"], b["T"]), NBD_CLV
    if not model.converged:
        name = "BG/NBD" if method == MODEL_CLV else "NBD"
        return None, None, SIMPLE_CLV, f"{name} not usable: {model.problem}"
    if method == MODEL_CLV and abs(model.a - 1) <= 1e-9:
        return None, None, SIMPLE_CLV, ("BG/NBD not usable: a = 1, where its expected "
                                        "purchases are singular")
    try:
        gg = fit_gamma_gamma(b["frequency"], b["monetary_value"])
    except ValueError as exc:
        return None, None, SIMPLE_CLV, f"Gamma-Gamma not fitted: {exc}"
    if not gg.converged:
        return None, None, SIMPLE_CLV, f"Gamma-Gamma not usable: {gg.problem}"
    if gg.q <= 1:
        return None, None, SIMPLE_CLV, (f"Gamma-Gamma not usable: q = {gg.q:.3g} <= 1 (mean "
                                        "spend not finite)")
    return model, gg, method, note


def _valued(customers: pd.DataFrame | None, transactions: pd.DataFrame, cfg: TierSettings,
            as_of: object) -> tuple:
    """The RFM summary over the tiered population (the Customers sheet's ids, then ids found
    only in Transactions), zeros for customers without purchases, the descriptive columns,
    the ``tier_by`` value and the day tiered: what every tier is computed from."""
    end = as_of if as_of is not None else cfg.as_of
    if end is None and len(transactions) and transactions["date"].notna().any():
        end = transactions["date"].max()
    summary = rfm_summary(transactions, as_of=end) if end is not None else rfm_summary(
        transactions)
    end_day = as_day(end) if end is not None else None

    ids, extra = _listed(customers)
    frame = summary.reindex(_population(ids, summary.index))
    zero = ["frequency", "recency", "monetary_value", "revenue", "recent_revenue",
            "prior_revenue"]
    frame[zero] = frame[zero].fillna(0.0)
    frame["orders"] = frame["orders"].fillna(0).astype(np.int64)
    has_margin = "margin" in transactions.columns
    if has_margin:
        frame["margin"] = frame["margin"].fillna(0.0)

    value = frame["margin"] if cfg.tier_by == "margin" and has_margin else frame["revenue"]
    return frame, extra, value, end_day


def _listed(customers: pd.DataFrame | None) -> tuple[list, pd.DataFrame]:
    """The Customers sheet's ids (the first row of an id listed twice) and its descriptive
    columns by id."""
    if customers is None:
        return [], pd.DataFrame()
    if "customer_id" not in customers.columns:
        raise InputError("customers need a customer_id column")
    listed = customers[customers["customer_id"].notna()].drop_duplicates("customer_id")
    keep = [c for c in (*_DESCRIPTIVE, "since") if c in listed.columns]
    return list(listed["customer_id"]), listed.set_index("customer_id")[keep]


def _population(listed: list, bought: pd.Index | np.ndarray) -> pd.Index:
    """The tiered customers: the Customers sheet's, then the log's others (sorted)."""
    known = set(listed)
    return pd.Index(listed + [c for c in bought if c not in known], name="customer_id",
                    dtype=object)


def pyramid_as_of(customers: pd.DataFrame | None, transactions: pd.DataFrame,
                  settings: object = None, *, as_of: object = None) -> pd.Series:
    """The ``pyramid_tier`` column of :func:`tier_customers` with the same arguments, without
    the rest: the pyramid needs only the ``tier_by`` value per customer, not the lifetime-value
    fits, so a tier history of twelve month-ends costs twelve summaries, not twelve fits."""
    cfg = settings if isinstance(settings, TierSettings) else tier_settings(settings)
    _, _, value, _ = _valued(customers, transactions, cfg, as_of)
    return key_account_pyramid(value, cfg.pyramid_shares, cfg.pyramid_labels).rename(
        "pyramid_tier")


def _lifetime_value(frame: pd.DataFrame, transactions: pd.DataFrame, cfg: TierSettings,
                    end_day: np.datetime64 | None) -> dict:
    """Add ``prob_alive``, ``expected_purchases``, ``clv``, ``clv_method`` to ``frame`` (in
    place); return what was fitted, as :class:`CustomerTiers` fields."""
    buyers = frame["T"].notna().to_numpy()
    b = frame[buyers]
    frame["prob_alive"] = np.nan
    frame["expected_purchases"] = np.nan
    frame["clv"] = np.nan
    frame["clv_method"] = None
    info: dict = {"bgnbd": None, "gamma_gamma": None, "clv_method": SIMPLE_CLV,
                  "retention_rate": None, "clv_note": ""}
    if not buyers.any():
        return info
    revenue = frame["revenue"].to_numpy(dtype=float)
    margin = frame["margin"].to_numpy(dtype=float, na_value=np.nan)
    rates = _margin_rates(revenue, margin)
    bg = gg = None
    method = SIMPLE_CLV
    if len(b) >= _MIN_FIT_CUSTOMERS and (b["frequency"] > 0).sum() >= _MIN_FIT_REPEATERS:
        bg, gg, method, note = _fit_models(b)
        if note and bg is None:
            note += f"; CLV by the {SIMPLE_CLV} instead"
        info["clv_note"] = note
    else:
        info["clv_note"] = (f"fewer than {_MIN_FIT_CUSTOMERS} buyers or "
                            f"{_MIN_FIT_REPEATERS} repeat buyers: CLV by the {SIMPLE_CLV}")
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
        frame.loc[buyers, "clv_method"] = method
        info.update(bgnbd=bg, gamma_gamma=gg, clv_method=method)
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


def pyramid_history(customers: pd.DataFrame | None, transactions: pd.DataFrame,
                    settings: object = None, *, ends: list) -> dict:
    """:func:`pyramid_as_of` at each day of ``ends`` (``{end: pyramid_tier column}``), from
    one pass over the log: the lines are netted per customer and day once (one factorisation
    of the ids, one stable sort); the ``tier_by`` value as of each end is then the sum of the
    days up to it, added in the same order as :func:`rfm_summary` adds them, so each column
    equals :func:`pyramid_as_of`'s to the last bit. A tier history of twelve month-ends costs
    one sort of the log and twelve ``bincount`` sums, not twelve summaries."""
    cfg = settings if isinstance(settings, TierSettings) else tier_settings(settings)
    from addin.tiering.rfm import _daily  # the summary's own netting, shared on purpose

    listed, _ = _listed(customers)
    daily = _daily(transactions)
    by_margin = cfg.tier_by == "margin" and "margin" in transactions.columns
    out = {}
    for end in ends:
        end_day = int(as_day(end).astype(np.int64))
        if daily is None:
            ids, sums = np.array([], dtype=object), np.array([])
        else:
            uniques, d_code, d_day, day_net, day_margin = daily
            keep = d_day <= end_day
            codes = d_code[keep]
            weights = (day_margin if by_margin else day_net)[keep]
            present = np.bincount(codes, minlength=len(uniques)) > 0
            ids = np.asarray(uniques)[present]
            sums = np.bincount(codes, weights=weights, minlength=len(uniques))[present]
        value = pd.Series(sums, index=pd.Index(ids, dtype=object)).reindex(
            _population(listed, ids)).fillna(0.0)
        out[end] = key_account_pyramid(value, cfg.pyramid_shares, cfg.pyramid_labels).rename(
            "pyramid_tier")
    return out
