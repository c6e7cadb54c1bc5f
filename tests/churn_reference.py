"""The churn routines' first, straightforward implementations (group-bys on the customer ids),
kept as the reference the vectorised ones in addin.churn are pinned against on small random
logs (tests/test_churn_vectorised.py): the rewrites must return the very same numbers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from addin.churn.history import purchase_days
from addin.churn.loss import ACCOUNT_COLUMNS, LossRule, is_lost
from addin.churn.reasons import _HIGH, AVERAGE_MONTH, OPEN_DAYS, OPTIONAL_COLUMNS
from addin.tiering.rfm import as_day


def usual_gaps(days: pd.DataFrame) -> tuple[pd.Series, float]:
    own = days.dropna(subset=["gap"]).groupby("customer_id", sort=True)["gap"].median()
    portfolio = float(own.median()) if len(own) else float("nan")
    return own, portfolio


def revenue_before(days: pd.DataFrame, until: pd.Series, span: int = 365) -> np.ndarray:
    edge = days["customer_id"].map(until).to_numpy(dtype="datetime64[ns]")
    day = days["day"].to_numpy().astype("datetime64[ns]")
    inside = (day < edge) & (day >= edge - np.timedelta64(span, "D"))
    sums = days.loc[inside].groupby("customer_id")["net"].sum()
    return sums.reindex(until.index, fill_value=0.0).to_numpy(dtype=float)


def lost_accounts(log: pd.DataFrame, as_of: object = None, rule: LossRule | None = None,
                  prob_alive: pd.Series | None = None) -> pd.DataFrame:
    rule = rule or LossRule()
    end = as_day(as_of) if as_of is not None else log["day"].max()
    days = purchase_days(log, end)
    own, portfolio = usual_gaps(days)
    grouped = days.groupby("customer_id", sort=True)
    out = pd.DataFrame({
        "orders": grouped.size().astype(np.int64),
        "first_purchase": grouped["day"].min(),
        "last_purchase": grouped["day"].max(),
        "revenue": log[log["day"] <= np.datetime64(end, "D")].groupby(
            "customer_id", sort=True)["amount"].sum(),
    })
    out = out[out["orders"].notna()]
    out["orders"] = out["orders"].astype(np.int64)
    end_ts = pd.Timestamp(end)
    out["recency_days"] = (end_ts - out["last_purchase"]).dt.days.astype(np.int64)
    gap = own.reindex(out.index)
    out["usual_gap_days"] = gap.fillna(portfolio).astype(float)
    out["gap_source"] = np.where(gap.notna(), "own", "portfolio")
    out["overdue_gaps"] = out["recency_days"] / out["usual_gap_days"].where(
        out["usual_gap_days"] > 0)
    alive = (prob_alive.reindex(out.index).astype(float) if prob_alive is not None
             else pd.Series(np.nan, index=out.index))
    out["prob_alive"] = alive
    # the rule's floor for near-daily buyers (issue 17) rides along in replace(): the
    # reference and the rewrite share LossRule's limits, and differ only in how they group
    by_gap = is_lost(out["recency_days"], out["usual_gap_days"], np.nan,
                     replace(rule, rule="gap"))
    by_alive = is_lost(np.nan, np.nan, alive, replace(rule, rule="alive"))
    out["lost_by_gap"] = by_gap if rule.rule != "alive" else False
    out["lost_by_alive"] = by_alive if rule.rule != "gap" else False
    out["lost"] = is_lost(out["recency_days"], out["usual_gap_days"], alive, rule)
    with np.errstate(invalid="ignore"):
        quiet = out["recency_days"].to_numpy() > rule.risk_limit(
            out["usual_gap_days"].to_numpy())
    out["at_risk"] = ~out["lost"] & (quiet | (alive.to_numpy() < 0.5))
    crossing = out["last_purchase"] + pd.to_timedelta(
        np.floor(rule.silence_limit(out["usual_gap_days"])) + 1, unit="D")
    out["loss_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[s]")
    out.loc[out["lost"] & out["lost_by_gap"], "loss_date"] = crossing
    out.loc[out["lost"] & ~out["lost_by_gap"], "loss_date"] = end_ts
    out["revenue_12m"] = revenue_before(days, out["last_purchase"] + pd.Timedelta(days=1))
    out.index.name = "customer_id"
    return out[list(ACCOUNT_COLUMNS)]


def _window(frame: pd.DataFrame, date: str, reference: pd.Series, days: int) -> pd.DataFrame:
    ref = frame["customer_id"].map(reference)
    when = pd.to_datetime(frame[date], errors="coerce")
    keep = ref.notna() & when.notna() & (when <= ref) & (when > ref - pd.Timedelta(days=days))
    out = frame[keep.to_numpy()].copy()
    out["_ref"] = ref[keep].to_numpy()
    return out


def account_factors(reference: pd.Series, *, complaints: pd.DataFrame | None = None,
                    contacts: pd.DataFrame | None = None, survey: pd.DataFrame | None = None,
                    log: pd.DataFrame | None = None, window: int = 365) -> pd.DataFrame:
    idx = reference.index
    out = pd.DataFrame(index=idx)
    if complaints is not None and len(complaints):
        c = _window(complaints, "opened", reference, window)
        out["complaints"] = c.groupby("customer_id").size().reindex(idx, fill_value=0).astype(
            float)
        closed = (pd.to_datetime(c["closed"], errors="coerce") if "closed" in c.columns
                  else pd.Series(pd.NaT, index=c.index))
        until = closed.where(closed.notna() & (closed <= c["_ref"]), c["_ref"])
        long_open = (until - pd.to_datetime(c["opened"])).dt.days > OPEN_DAYS
        out["open_complaint_30d"] = long_open.groupby(c["customer_id"]).any().reindex(
            idx, fill_value=False).astype(float)
        if "severity" in c.columns and c["severity"].notna().any():
            high = c["severity"].astype(str).str.strip().str.match(_HIGH)
            out["high_severity_complaint"] = high.groupby(c["customer_id"]).any().reindex(
                idx, fill_value=False).astype(float)
    if survey is not None and "customer_id" in survey.columns:
        s = survey[survey["customer_id"].isin(idx)]
        if "date" in s.columns and s["date"].notna().any():
            s = s[(pd.to_datetime(s["date"], errors="coerce")
                   <= s["customer_id"].map(reference)).to_numpy() | s["date"].isna().to_numpy()]
        if "overall" in s.columns:
            out["satisfaction"] = pd.to_numeric(s["overall"], errors="coerce").groupby(
                s["customer_id"]).mean().reindex(idx)
        if "nps" in s.columns:
            nps = pd.to_numeric(s["nps"], errors="coerce").groupby(s["customer_id"]).mean()
            out["nps_detractor"] = (nps <= 6).astype(float).where(nps.notna()).reindex(idx)
    if contacts is not None and len(contacts):
        c = _window(contacts, "date", reference, window)
        out["contacts_per_month"] = (c.groupby("customer_id").size().reindex(
            idx, fill_value=0) / (window / AVERAGE_MONTH)).astype(float)
        if "staff" in c.columns and c["staff"].notna().any():
            staff = c.dropna(subset=["staff"]).groupby("customer_id")["staff"].nunique()
            out["single_contact"] = (staff.reindex(idx, fill_value=0) <= 1).astype(float)
    if log is not None and len(log):
        out["order_size_trend"] = order_trend(log, reference).reindex(idx)
        for name in OPTIONAL_COLUMNS:
            if name in log.columns:
                values = pd.to_numeric(log[name], errors="coerce")
                if values.notna().any():
                    out[name] = values.groupby(log["customer_id"]).mean().reindex(idx)
    return out


def order_trend(log: pd.DataFrame, reference: pd.Series) -> pd.Series:
    daily = purchase_days(log, reference.max())
    daily = daily[(daily["day"] <= reference.max()).to_numpy()]
    if (reference < reference.max()).any():
        ref = daily["customer_id"].map(reference)
        daily = daily[(daily["day"] <= ref).to_numpy()]
    codes, ids = pd.factorize(daily["customer_id"])
    count = np.bincount(codes, minlength=len(ids))
    start = np.r_[0, np.cumsum(count)[:-1]]
    rank = np.arange(len(codes)) - start[codes]
    later = rank >= count[codes] / 2
    amount = daily["net"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        late = (np.bincount(codes[later], weights=amount[later], minlength=len(ids))
                / np.bincount(codes[later], minlength=len(ids)))
        early = (np.bincount(codes[~later], weights=amount[~later], minlength=len(ids))
                 / np.bincount(codes[~later], minlength=len(ids)))
        trend = np.where((count >= 2) & (early > 0), late / early - 1, np.nan)
    return pd.Series(trend, index=pd.Index(ids, name="customer_id"))


def gamma_gamma_value_and_gradient(log_params, x, m, weights):
    """addin.tiering.clv._gamma_gamma_value_and_gradient as first written (the gamma and
    digamma functions on every row)."""
    from scipy import special

    p, q, v = np.exp(log_params)
    px = p * x
    ln_vxm = np.log(v + x * m)
    ln_xm = np.log(x * m)
    psi_pxq = special.digamma(px + q)
    ll = (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
          + q * np.log(v) + px * ln_xm - np.log(m) - (px + q) * ln_vxm)
    grad = np.array([
        weights @ (x * (psi_pxq - special.digamma(px) + ln_xm - ln_vxm)),
        weights @ (psi_pxq - ln_vxm) + weights.sum() * (np.log(v) - special.digamma(q)),
        weights.sum() * q / v - weights @ ((px + q) / (v + x * m)),
    ])
    return float(weights @ ll), grad * np.array([p, q, v])


def simulated_variance(fit, months: int, seed: int = 17) -> np.ndarray:
    """addin.churn.forecast._simulated_variance as first written (a fresh array per step)."""
    from addin.churn.forecast import DAYS_PER_MONTH, SAMPLE_CUSTOMERS, SIMULATIONS

    s = fit.summary
    n_all = len(s)
    rng = np.random.default_rng(seed)
    pick = (np.sort(rng.choice(n_all, SAMPLE_CUSTOMERS, replace=False))
            if n_all > SAMPLE_CUSTOMERS else np.arange(n_all))
    x = s["frequency"].to_numpy(dtype=float)[pick]
    t_x = s["recency"].to_numpy(dtype=float)[pick]
    T = s["T"].to_numpy(dtype=float)[pick]
    mbar = s["monetary_value"].to_numpy(dtype=float)[pick]
    bg, gg = fit.bgnbd, fit.gamma_gamma
    n, S = len(pick), SIMULATIONS
    alive = rng.random((n, S)) < np.asarray(bg.prob_alive(x, t_x, T), dtype=float)[:, None]
    lam = rng.gamma((bg.r + x)[:, None], 1.0 / (bg.alpha + T)[:, None], size=(n, S))
    drop = rng.beta(bg.a, (bg.b + x)[:, None], size=(n, S))
    last = rng.geometric(np.clip(drop, 1e-12, 1.0))
    counts = rng.poisson((lam * DAYS_PER_MONTH)[..., None], size=(n, S, months))
    made = np.minimum(np.cumsum(counts, axis=2), last[..., None])
    monthly = np.diff(made, axis=2, prepend=0) * alive[..., None]
    m = np.where(x > 0, mbar, 0.0)
    nu = rng.gamma((gg.q + gg.p * x)[:, None], 1.0 / (gg.v + x * m)[:, None], size=(n, S))
    spend = np.where(monthly > 0, rng.gamma(np.maximum(gg.p * monthly, 1e-12))
                     / nu[..., None], 0.0)
    return spend.var(axis=1, ddof=1).sum(axis=0) * (n_all / n)
