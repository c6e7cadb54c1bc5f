"""Who was lost, and when: the documented loss rule, churn rates and their Wilson intervals.

**The loss rule.** An account with at least one purchase is *lost* as of a date when

* ``gap``: its last purchase is more than ``k`` times its usual gap ago, and more than the
  floor ``min_silence`` days ago::

      recency_days > max(k * usual_gap, min_silence)

  where ``usual_gap`` is the median of the days between its consecutive purchase days, or,
  for a customer with a single purchase day, the portfolio's median gap (the median over the
  customers with two or more purchase days of their own median gaps); ``k`` is the Settings
  key ``loss_gap_factor`` (3 by default: with purchases at random (Poisson) times a steady
  customer stays silent for more than 3 mean gaps only e^-3 = 5 % of the time);
  ``min_silence`` is the Settings key ``churn_min_silence_days`` (90 by default). The floor
  is there for near-daily buyers: an account with a 3-day usual gap would otherwise be lost
  after 10 silent days, a plant closed for the Spring Festival or a stock-taking fortnight.
  90 days is a full quarter, the default ``churn_period``: a business account is not called
  lost before it has let a whole quarter's purchasing pass, and an account lost in a period
  was silent for at least one period. It changes nothing for accounts whose k usual gaps
  exceed 90 days (a usual gap over 30 days with k = 3); 0 turns it off;
* ``alive``: its BG/NBD probability of being alive (Fader, Hardie and Lee 2005, equation 11)
  is below ``alive_threshold`` (0.1 by default);
* ``either`` (the default): whichever of the two holds.

The life-cycle stage ``termination`` of :func:`addin.tiering.tier_customers` uses this same
rule (it receives :func:`lost_accounts`' ``lost`` column), so an account is lost exactly when
its stage is termination (or it never bought).

An account lost by the gap test is lost *since* the first day the test held, its
``loss_date`` = last purchase + floor(max(k x usual gap, min_silence)) + 1 day: nothing
changed in its history
after the last purchase, so the test would have turned on that day. An account lost only by
the alive test is dated at the as-of day (P(alive) is evaluated only then). An account that
lapsed and came back is not lost (it was won back).

**Churn rate** of a period [s, e]: of the accounts *at risk* at its start (first purchase
before s and not lost before s), the share lost within it (``loss_date`` in [s, e])::

    churn = lost / at_risk,   revenue-weighted: sum(w * lost) / sum(w * at_risk)

with w = each account's net revenue of the 365 days before s. Intervals are Wilson score
intervals (Wilson 1927; Newcombe 1998, "Two-sided confidence intervals for the single
proportion", Statistics in Medicine 17, method 3); the revenue-weighted one uses Kish's
effective sample size n_eff = (sum w)^2 / sum w^2 in place of n.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from addin.churn.history import customer_runs, purchase_days, up_to
from addin.churn.settings import LOSS_RULES, ChurnSettings
from addin.errors import InputError
from addin.tiering.rfm import as_day

ACCOUNT_COLUMNS = (
    "orders", "first_purchase", "last_purchase", "recency_days", "usual_gap_days",
    "gap_source", "overdue_gaps", "prob_alive", "lost_by_gap", "lost_by_alive", "lost",
    "at_risk", "loss_date", "revenue", "revenue_12m",
)


@dataclass(frozen=True)
class LossRule:
    """The loss rule's parameters (Settings keys ``loss_rule``, ``loss_gap_factor``,
    ``alive_threshold``, ``at_risk_gap_factor``, ``churn_min_silence_days``)."""

    rule: str = "either"
    gap_factor: float = 3.0
    alive_threshold: float = 0.1
    at_risk_factor: float = 2.0
    min_silence_days: float = 90.0

    def __post_init__(self) -> None:
        if self.rule not in LOSS_RULES:
            raise InputError(f"rule must be one of {', '.join(LOSS_RULES)}")
        if not (np.isfinite(self.gap_factor) and self.gap_factor > 0):
            raise InputError("loss_gap_factor: expected a number of usual gaps > 0 (a k of 0 "
                             "would mark every account lost the day after its last order)",
                             sheet="Settings", column="loss_gap_factor")
        if not (np.isfinite(self.min_silence_days) and self.min_silence_days >= 0):
            raise InputError("churn_min_silence_days: expected a whole number of days >= 0",
                             sheet="Settings", column="churn_min_silence_days")

    @classmethod
    def from_settings(cls, cfg: ChurnSettings) -> LossRule:
        return cls(cfg.loss_rule, cfg.loss_gap_factor, cfg.alive_threshold,
                   cfg.at_risk_gap_factor, cfg.churn_min_silence_days)

    def silence_limit(self, usual_gap: object) -> np.ndarray:
        """Days of silence after which the gap test holds: max(k x usual gap, the floor)."""
        return np.fmax(self.gap_factor * np.asarray(usual_gap, dtype=float),
                       self.min_silence_days)

    def risk_limit(self, usual_gap: object) -> np.ndarray:
        """Days of silence after which a not-lost account is at risk: max(``at_risk_factor``
        x usual gap, the floor scaled by ``at_risk_factor`` / k), so the at-risk test keeps
        its place before the loss test for near-daily buyers too."""
        return np.fmax(self.at_risk_factor * np.asarray(usual_gap, dtype=float),
                       self.min_silence_days * self.at_risk_factor / self.gap_factor)


def wilson_interval(successes: object, trials: object, z: float = 1.959963984540054):
    """Wilson score interval of a proportion (Wilson 1927)::

        centre = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

    Arrays or scalars; NaN where ``trials`` is 0. Example: 3 of 10 gives 0.108 to 0.603."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return (float(low), float(high)) if np.ndim(low) == 0 else (low, high)


def usual_gaps(days: pd.DataFrame) -> tuple[pd.Series, float]:
    """Each customer's median gap between purchase days (NaN with one purchase day) and the
    portfolio's median gap (the median of those medians; NaN when no one bought twice).

    Vectorised over :func:`~addin.churn.history.purchase_days`' frame (sorted by customer):
    the gaps sorted within each customer by one sort of (customer, gap) and the median read
    at the middle one or two positions, (g[(m - 1) // 2] + g[m // 2]) / 2, as a group-by
    median computes it (tests/test_churn_vectorised.py pins it against one)."""
    codes, ids, _ = customer_runs(days)
    return _usual_gaps(days, codes, ids)[:2]


def _usual_gaps(days: pd.DataFrame, codes: np.ndarray, ids: pd.Index
                ) -> tuple[pd.Series, float, np.ndarray]:
    """:func:`usual_gaps` on the runs of ``days``, and the own medians on every id (NaN for
    the customers with one purchase day)."""
    gap = days["gap"].to_numpy(dtype=float)
    has = ~np.isnan(gap)
    code, gap = codes[has], gap[has]
    whole = gap.astype(np.int64)
    if len(gap) and (whole == gap).all() and whole.min() >= 0:
        # whole days (purchase_days' gaps): one sort of customer x (largest + 1) + gap, fast
        # because the customers come sorted already
        top = int(whole.max()) + 1
        key = np.sort(code * top + whole)
        code, gap = key // top, (key % top).astype(float)
    else:
        order = np.lexsort((gap, code))
        code, gap = code[order], gap[order]
    m = np.bincount(code, minlength=len(ids))
    who = np.flatnonzero(m)
    start = (np.cumsum(m) - m)[who]
    m = m[who]
    median = (gap[start + (m - 1) // 2] + gap[start + m // 2]) / 2
    own = pd.Series(median, index=ids[who], name="gap")
    portfolio = float(own.median()) if len(own) else float("nan")
    every = np.full(len(ids), np.nan)
    every[who] = median
    return own, portfolio, every


def is_lost(recency_days: object, usual_gap: object, prob_alive: object,
            rule: LossRule) -> np.ndarray:
    """The loss rule on arrays: ``recency_days > max(k * usual_gap, min_silence_days)``
    (gap), ``prob_alive < alive_threshold`` (alive), or either. A missing P(alive) never
    makes an account lost; nor does a missing usual gap."""
    recency = np.asarray(recency_days, dtype=float)
    gap = np.asarray(usual_gap, dtype=float)
    alive = np.asarray(prob_alive, dtype=float)
    with np.errstate(invalid="ignore"):
        by_gap = (recency > rule.silence_limit(gap)) & ~np.isnan(gap)
        by_alive = alive < rule.alive_threshold
    if rule.rule == "gap":
        return by_gap
    if rule.rule == "alive":
        return by_alive
    return by_gap | by_alive


def lost_accounts(log: pd.DataFrame, as_of: object = None, rule: LossRule | None = None,
                  prob_alive: pd.Series | None = None, *,
                  days: pd.DataFrame | None = None,
                  revenue: pd.Series | None = None) -> pd.DataFrame:
    """One row per customer who bought up to ``as_of``, indexed by ``customer_id``: the loss
    rule's inputs and verdict (columns :data:`ACCOUNT_COLUMNS`).

    ``log`` is :func:`addin.churn.history.clean_log`'s frame; ``prob_alive`` (by customer id,
    from a BG/NBD fit) is needed for the ``alive`` and ``either`` rules' alive test (without
    it only the gap test applies). ``at_risk``: not lost but silent for more than
    ``at_risk_factor`` usual gaps (and more than the floor x ``at_risk_factor`` / k days: 60
    by default, :meth:`LossRule.risk_limit`), or P(alive) below 0.5. ``revenue_12m`` is the
    net revenue of the 365 days up to the last purchase (what a year of the account was worth
    before it went quiet). ``days`` and ``revenue``: :func:`~addin.churn.history.purchase_days`
    of the same log and as-of day (``with_revenue=True`` gives both), when the caller has them
    already. Raises InputError when nobody bought or no one bought twice (the rule needs at
    least one gap between orders).
    """
    rule = rule or LossRule()
    end = as_day(as_of) if as_of is not None else log["day"].max()
    if days is None:
        days, revenue = purchase_days(log, end, with_revenue=True)
    if revenue is None:
        revenue = up_to(log, end).groupby("customer_id", sort=True)["amount"].sum()
    if days.empty:
        raise InputError(f"no purchases up to {pd.Timestamp(end).date()}: the loss rule needs "
                         "order history", sheet="Transactions")
    codes, ids, orders = customer_runs(days)
    _, portfolio, own = _usual_gaps(days, codes, ids)
    if not np.isfinite(portfolio):
        raise InputError("no customer has two purchase days, so there is no usual gap between "
                         "orders: the loss rule needs at least one repeat customer",
                         sheet="Transactions")
    day = days["day"].to_numpy()
    last_row = np.cumsum(orders) - 1  # days are sorted by customer, then day
    out = pd.DataFrame({
        "orders": orders.astype(np.int64),
        "first_purchase": day[last_row - orders + 1],
        "last_purchase": day[last_row],
        "revenue": _aligned(revenue, ids),
    }, index=ids)
    end_ts = pd.Timestamp(end)
    out["recency_days"] = (end_ts - out["last_purchase"]).dt.days.astype(np.int64)
    gap = pd.Series(own, index=out.index)
    out["usual_gap_days"] = gap.fillna(portfolio).astype(float)
    out["gap_source"] = np.where(gap.notna(), "own", "portfolio")
    out["overdue_gaps"] = out["recency_days"] / out["usual_gap_days"].where(
        out["usual_gap_days"] > 0)
    alive = (prob_alive.reindex(out.index).astype(float) if prob_alive is not None
             else pd.Series(np.nan, index=out.index))
    out["prob_alive"] = alive
    # the tests on arrays: np.asarray on a Series probes its attributes, a lookup in the
    # index of 100,000 text ids each time
    recency = out["recency_days"].to_numpy(dtype=float)
    usual = out["usual_gap_days"].to_numpy(dtype=float)
    alive_p = alive.to_numpy(dtype=float)
    by_gap = is_lost(recency, usual, np.nan, replace(rule, rule="gap"))
    by_alive = is_lost(np.nan, np.nan, alive_p, replace(rule, rule="alive"))
    out["lost_by_gap"] = by_gap if rule.rule != "alive" else False
    out["lost_by_alive"] = by_alive if rule.rule != "gap" else False
    out["lost"] = is_lost(recency, usual, alive_p, rule)
    with np.errstate(invalid="ignore"):
        quiet = recency > rule.risk_limit(usual)
    out["at_risk"] = ~out["lost"] & (quiet | (alive_p < 0.5))
    crossing = out["last_purchase"] + pd.to_timedelta(
        np.floor(rule.silence_limit(out["usual_gap_days"])) + 1, unit="D")
    out["loss_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[s]")
    out.loc[out["lost"] & out["lost_by_gap"], "loss_date"] = crossing
    out.loc[out["lost"] & ~out["lost_by_gap"], "loss_date"] = end_ts
    out["revenue_12m"] = _revenue_before(days, out["last_purchase"] + pd.Timedelta(days=1),
                                         runs=(codes, ids))
    out.index.name = "customer_id"
    return out[list(ACCOUNT_COLUMNS)]


ACCOUNT_TABLE = ("customer_id", "orders", "first_purchase", "last_purchase", "recency_days",
                 "usual_gap_days", "gap_source", "overdue_gaps", "prob_alive", "lost",
                 "at_risk", "loss_date", "revenue_12m")


def account_table(accounts: pd.DataFrame) -> pd.DataFrame:
    """:func:`lost_accounts` as the ``Churn`` sheet and ``CRM_CHURN`` show it: the id as the
    first column, then the loss test's inputs and verdict (:data:`ACCOUNT_TABLE`)."""
    return accounts.reset_index()[list(ACCOUNT_TABLE)]


def _revenue_before(days: pd.DataFrame, until: pd.Series, span: int = 365,
                    runs: tuple[np.ndarray, pd.Index] | None = None) -> np.ndarray:
    """Per customer of ``until``'s index: net purchase-day revenue in [until - span, until).
    ``runs``: :func:`~addin.churn.history.customer_runs`' codes and ids of ``days``, when the
    caller has them. The sums are a group-by on the integer codes (the same compensated sums,
    in the same order, as one on the ids)."""
    codes, ids = runs if runs is not None else customer_runs(days)[:2]
    edge = _aligned(until, ids).to_numpy(dtype="datetime64[ns]")[codes]
    day = days["day"].to_numpy().astype("datetime64[ns]")
    inside = (day < edge) & (day >= edge - np.timedelta64(span, "D"))
    sums = pd.Series(days["net"].to_numpy(dtype=float)[inside]).groupby(codes[inside]).sum()
    out = pd.Series(sums.to_numpy(), index=ids[sums.index.to_numpy()])
    return _aligned(out, until.index, 0.0).to_numpy(dtype=float)


def _aligned(values: pd.Series, index: pd.Index, fill: object = None) -> pd.Series:
    """``values`` on ``index`` (a reindex, skipped when the index is already the same)."""
    if values.index.equals(index):
        return values
    return values.reindex(index) if fill is None else values.reindex(index, fill_value=fill)


def period_starts(as_of: object, period: str, count: int) -> pd.PeriodIndex:
    """The ``count`` calendar periods (``month`` or ``quarter``) ending with the one holding
    ``as_of``, oldest first."""
    freq = {"month": "M", "quarter": "Q"}[period]
    last = pd.Period(pd.Timestamp(as_day(as_of)), freq)
    return pd.period_range(last - (count - 1), last, freq=freq)


def _rate_rows(accounts: pd.DataFrame, days: pd.DataFrame, start: pd.Timestamp,
               end: pd.Timestamp) -> dict:
    first = accounts["first_purchase"]
    loss = accounts["loss_date"]
    at_risk = (first < start) & ~(loss < start)
    lost = at_risk & (loss >= start) & (loss <= end)
    w = pd.Series(_revenue_before(days, pd.Series(start, index=accounts.index)),
                  index=accounts.index).clip(lower=0)
    n, k = int(at_risk.sum()), int(lost.sum())
    low, high = wilson_interval(k, n)
    wn, wk = float(w[at_risk].sum()), float(w[lost].sum())
    # Kish's effective sample size (sum w)^2 / sum w^2, on weights scaled by their largest so
    # tiny or huge amounts neither underflow nor overflow
    top = float(w[at_risk].max()) if n else 0.0
    scaled = w[at_risk] / top if top > 0 else w[at_risk] * 0.0
    eff = float(scaled.sum()) ** 2 / float((scaled ** 2).sum()) if top > 0 else 0.0
    wlow, whigh = wilson_interval(wk / wn * eff if wn > 0 else 0.0, eff)
    return {"at_risk": n, "lost": k, "churn_rate": k / n if n else np.nan,
            "churn_low": low, "churn_high": high,
            "revenue_at_risk": wn, "revenue_lost": wk,
            "revenue_churn_rate": wk / wn if wn > 0 else np.nan,
            "revenue_churn_low": wlow, "revenue_churn_high": whigh}


def churn_rates(log: pd.DataFrame, accounts: pd.DataFrame, as_of: object, period: str = "quarter",
                count: int = 8) -> pd.DataFrame:
    """The churn rate of each of the last ``count`` periods (see the module docstring): one row
    per period with ``period``, ``start``, ``end`` (the as-of day for the current period),
    ``at_risk``, ``lost``, ``churn_rate`` with its Wilson interval ``churn_low`` ..
    ``churn_high``, and the revenue-weighted ``revenue_churn_rate`` with its interval. Periods
    before anyone could be at risk are left out; InputError when none is left."""
    end_day = pd.Timestamp(as_day(as_of))
    days = purchase_days(log, end_day)
    rows = []
    for p in period_starts(end_day, period, count):
        start = p.start_time.normalize()
        stop = min(p.end_time.normalize(), end_day)
        row = {"period": str(p), "start": start, "end": stop,
               **_rate_rows(accounts, days, start, stop)}
        if row["at_risk"]:
            rows.append(row)
    if not rows:
        raise InputError(f"too little history for a churn rate: no account had bought before "
                         f"any of the last {count} {period}s (churn needs buyers before the "
                         "period starts)", sheet="Transactions")
    return pd.DataFrame(rows)


def churn_by(log: pd.DataFrame, accounts: pd.DataFrame, groups: pd.Series, as_of: object,
             days_back: int = 365) -> pd.DataFrame:
    """The churn rate of the last ``days_back`` days (ending at ``as_of``) per group (segment,
    region, tier or account manager: ``groups`` by customer id; a missing group is
    "(none)"), largest at-risk group first, with Wilson intervals as in :func:`churn_rates`."""
    end_day = pd.Timestamp(as_day(as_of))
    start = end_day - pd.Timedelta(days=days_back - 1)
    days = purchase_days(log, end_day)
    labels = groups.reindex(accounts.index).astype(object).where(
        groups.reindex(accounts.index).notna(), "(none)").astype(str)
    rows = []
    for label, members in accounts.groupby(labels, sort=True):
        row = {"group": label, **_rate_rows(members, days[days["customer_id"].isin(
            members.index)], start, end_day)}
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values(["at_risk", "group"], ascending=[False, True]).reset_index(drop=True)

