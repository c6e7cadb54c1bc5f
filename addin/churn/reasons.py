"""Why they left: lost accounts compared with retained accounts of the same tiers.

Per account (:func:`account_factors`), over the ``window`` days before its reference date (the
loss date for a lost account, the as-of day for a retained one), what the workbook knows:
complaints (count, one open for more than 30 days, one of high severity), survey answers
(mean satisfaction, a detractor NPS answer 0-6), contact staff (one person only: the
single-contact risk) and contacts a month, the order-size trend (mean of the later half of
its purchase days over the earlier half, minus 1), and optional Transactions columns
(``discount``, ``price_change``, ``payment_delay_days``) as means.

:func:`compare_factors` tests each factor with the test that fits its type:

* yes/no factors: Fisher's exact test (two-sided) on the 2x2 table [[lost with, lost
  without], [retained with, retained without]] and the odds ratio ad / bc with Woolf's 95 %
  interval exp(ln OR +- 1.96 sqrt(1/a + 1/b + 1/c + 1/d)) (0.5 added to every cell when one
  is 0, Haldane's correction) (Agresti, "Categorical Data Analysis", 3rd ed., 3.1 and 3.5);
* numbers (skewed): the Mann-Whitney U test (two-sided) with the rank-biserial correlation
  2 U_lost / (n_lost n_retained) - 1 as effect size (Kerby 2014, "The simple difference
  formula", Comprehensive Psychology 3).

p-values are also Holm-adjusted over the factors (Holm 1979); a factor is *significant* when
its adjusted p < 0.05. :func:`logistic_regression` fits all factors at once (statsmodels
``Logit``; numbers per standard deviation) and reports odds ratios with 95 % Wald intervals.
Fewer than 5 lost or 5 retained accounts with a value is "too few to conclude"; the
regression needs 10 lost and 10 retained accounts and 5 lost accounts per factor.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from scipy import stats

from addin.churn.history import customer_runs, positions_in, purchase_days

MIN_GROUP = 5
MIN_REGRESSION = 10
EVENTS_PER_FACTOR = 5
OPEN_DAYS = 30
AVERAGE_MONTH = 365.25 / 12
OPTIONAL_COLUMNS = ("discount", "price_change", "payment_delay_days")
_HIGH = re.compile(r"^(high|critical|severe|urgent|major|高|严重|紧急|重大)$", re.I)

FACTOR_LABELS = {
    "complaints": "complaints",
    "open_complaint_30d": "a complaint open over 30 days",
    "high_severity_complaint": "a high-severity complaint",
    "satisfaction": "satisfaction",
    "nps_detractor": "a detractor NPS answer (0-6)",
    "single_contact": "a single contact person",
    "contacts_per_month": "contacts a month",
    "order_size_trend": "order-size trend",
    "discount": "discount",
    "price_change": "price change",
    "payment_delay_days": "payment delay (days)",
}
BINARY = {"open_complaint_30d", "high_severity_complaint", "nps_detractor", "single_contact"}


def _window(frame: pd.DataFrame, date: str, reference: pd.Series, days: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of accounts in ``reference`` dated within (reference - days, reference]: their
    positions in the frame, their accounts' positions in ``reference`` and those accounts'
    reference dates (datetime64[ns])."""
    pos = positions_in(frame["customer_id"], reference.index)
    ref_day = reference.to_numpy(dtype="datetime64[ns]")
    ref = np.where(pos >= 0, ref_day[np.maximum(pos, 0)] if len(ref_day) else
                   np.datetime64("NaT"), np.datetime64("NaT", "ns"))
    when = pd.to_datetime(frame[date], errors="coerce").to_numpy(dtype="datetime64[ns]")
    keep = np.flatnonzero((pos >= 0) & ~np.isnat(ref) & ~np.isnat(when) & (when <= ref)
                          & (when > ref - np.timedelta64(days, "D")))
    return keep, pos[keep], ref[keep]


def account_factors(reference: pd.Series, *, complaints: pd.DataFrame | None = None,
                    contacts: pd.DataFrame | None = None, survey: pd.DataFrame | None = None,
                    log: pd.DataFrame | None = None, window: int = 365,
                    days: pd.DataFrame | None = None) -> pd.DataFrame:
    """The factors of each account of ``reference`` (customer id -> reference date); only
    the factors the given sheets allow (see the module docstring). Missing where an account
    has no data for a factor (no survey answer, say); counts are 0 without rows.

    Vectorised: each sheet's ids are looked up once in ``reference``'s index and the counts,
    "any" and distinct-staff tallies are ``bincount``s over those positions
    (tests/test_churn_vectorised.py pins them against the group-by implementation)."""
    idx = reference.index
    n = len(idx)
    out = pd.DataFrame(index=idx)
    if complaints is not None and len(complaints):
        rows, pos, ref = _window(complaints, "opened", reference, window)
        out["complaints"] = np.bincount(pos, minlength=n).astype(float)
        opened = pd.to_datetime(complaints["opened"], errors="coerce").to_numpy(
            dtype="datetime64[ns]")[rows]
        closed = (pd.to_datetime(complaints["closed"], errors="coerce").to_numpy(
            dtype="datetime64[ns]")[rows] if "closed" in complaints.columns
            else np.full(len(rows), np.datetime64("NaT", "ns")))
        until = np.where(~np.isnat(closed) & (closed <= ref), closed, ref)
        long_open = (until - opened) // np.timedelta64(1, "D") > OPEN_DAYS
        out["open_complaint_30d"] = (np.bincount(pos[long_open], minlength=n) > 0).astype(
            float)
        if "severity" in complaints.columns:
            severity = complaints["severity"].iloc[rows]
            if severity.notna().any():
                high = severity.astype(str).str.strip().str.match(_HIGH)
                high = high.fillna(False).to_numpy(dtype=bool)
                out["high_severity_complaint"] = (np.bincount(pos[high], minlength=n)
                                                  > 0).astype(float)
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
        rows, pos, _ = _window(contacts, "date", reference, window)
        out["contacts_per_month"] = (np.bincount(pos, minlength=n)
                                     / (window / AVERAGE_MONTH)).astype(float)
        if "staff" in contacts.columns:
            staff = contacts["staff"].iloc[rows]
            named = staff.notna().to_numpy()
            if named.any():
                who, _ = pd.factorize(staff[named])
                pairs = np.unique(pos[named] * (int(who.max()) + 1) + who)
                distinct = np.bincount(pairs // (int(who.max()) + 1), minlength=n)
                out["single_contact"] = (distinct <= 1).astype(float)
    if log is not None and len(log):
        trend = _order_trend(log, reference, days)
        out["order_size_trend"] = trend.to_numpy() if trend.index.equals(idx) else \
            trend.reindex(idx)
        for name in OPTIONAL_COLUMNS:
            if name in log.columns:
                values = pd.to_numeric(log[name], errors="coerce")
                if values.notna().any():
                    out[name] = values.groupby(log["customer_id"]).mean().reindex(idx)
    return out


def _order_trend(log: pd.DataFrame, reference: pd.Series,
                 days: pd.DataFrame | None = None) -> pd.Series:
    """Mean purchase-day amount of the later half of each account's purchase days (up to its
    reference date) over the earlier half, minus 1; NaN with fewer than two. ``days``: the
    log's purchase days up to the latest reference, when the caller has them."""
    latest = reference.max()
    daily = purchase_days(log, latest) if days is None else days
    codes, ids, _ = customer_runs(daily)
    day = daily["day"].to_numpy()
    keep = day <= np.datetime64(latest)
    if (reference < latest).any():  # some references are earlier: cut each there
        at = (np.arange(len(ids)) if reference.index.equals(ids)
              else positions_in(pd.Series(ids), reference.index))
        ref = reference.to_numpy(dtype="datetime64[ns]")
        own = np.where(at >= 0, ref[np.maximum(at, 0)], np.datetime64("NaT", "ns"))
        keep &= day <= own[codes]
    codes = codes[keep]
    count = np.bincount(codes, minlength=len(ids))
    start = np.r_[0, np.cumsum(count)[:-1]]
    rank = np.arange(len(codes)) - start[codes]  # daily is sorted by customer, then day
    later = rank >= count[codes] / 2
    amount = daily["net"].to_numpy()[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        late = (np.bincount(codes[later], weights=amount[later], minlength=len(ids))
                / np.bincount(codes[later], minlength=len(ids)))
        early = (np.bincount(codes[~later], weights=amount[~later], minlength=len(ids))
                 / np.bincount(codes[~later], minlength=len(ids)))
        trend = np.where((count >= 2) & (early > 0), late / early - 1, np.nan)
    return pd.Series(trend, index=ids)


def odds_ratio(table: np.ndarray) -> tuple[float, float, float]:
    """Sample odds ratio ad / bc of a 2x2 table with Woolf's 95 % interval (Haldane's 0.5
    added to every cell when one is 0)."""
    t = np.asarray(table, dtype=float)
    if (t == 0).any():
        t = t + 0.5
    a, b, c, d = t.ravel()
    ratio = a * d / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return ratio, math.exp(math.log(ratio) - 1.959963984540054 * se), math.exp(
        math.log(ratio) + 1.959963984540054 * se)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok])]
    m = len(order)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out


def compare_factors(factors: pd.DataFrame, lost: pd.Series) -> pd.DataFrame:
    """One row per factor: ``factor``, ``label``, ``test``, ``lost_n`` and ``retained_n``
    (accounts with a value), ``lost_value`` and ``retained_value`` (share with the factor, or
    mean), ``effect`` (odds ratio or rank-biserial correlation), ``effect_low`` ..
    ``effect_high`` (the odds ratio's interval), ``p_value``, ``p_holm``, ``significant`` and
    ``conclusion`` (the plain-language line, or why there is none)."""
    is_lost = lost.reindex(factors.index).fillna(False).astype(bool)
    # on positions: scipy's np.asarray on a Series probes its attributes, each probe a lookup
    # in the index of 100,000 text ids
    factors, is_lost = factors.reset_index(drop=True), is_lost.reset_index(drop=True)
    rows = []
    for name in factors.columns:
        values = factors[name]
        have = values.notna()
        a, b = values[have & is_lost], values[have & ~is_lost]
        row = {"factor": name, "label": FACTOR_LABELS.get(name, name.replace("_", " ")),
               "test": "", "lost_n": len(a), "retained_n": len(b), "lost_value": np.nan,
               "retained_value": np.nan, "effect": np.nan, "effect_low": np.nan,
               "effect_high": np.nan, "p_value": np.nan}
        binary = name in BINARY
        if binary:
            row["test"] = "Fisher exact"
            if len(a) and len(b):
                row["lost_value"], row["retained_value"] = float(a.mean()), float(b.mean())
        else:
            row["test"] = "Mann-Whitney U"
            if len(a) and len(b):
                row["lost_value"], row["retained_value"] = float(a.mean()), float(b.mean())
        if len(a) >= MIN_GROUP and len(b) >= MIN_GROUP:
            if binary:
                table = np.array([[int((a > 0).sum()), int((a <= 0).sum())],
                                  [int((b > 0).sum()), int((b <= 0).sum())]])
                row["p_value"] = float(stats.fisher_exact(table)[1])
                row["effect"], row["effect_low"], row["effect_high"] = odds_ratio(table)
            elif a.nunique() + b.nunique() > 1:
                u = stats.mannwhitneyu(a, b, alternative="two-sided")
                row["p_value"] = float(u.pvalue)
                row["effect"] = 2 * float(u.statistic) / (len(a) * len(b)) - 1
        rows.append(row)
    out = pd.DataFrame(rows, columns=["factor", "label", "test", "lost_n", "retained_n",
                                      "lost_value", "retained_value", "effect", "effect_low",
                                      "effect_high", "p_value"])
    out["p_holm"] = holm(out["p_value"].to_numpy()) if len(out) else []
    out["significant"] = out["p_holm"] < 0.05
    out["conclusion"] = [_conclusion(r) for r in out.itertuples()]
    return out


def _conclusion(r) -> str:
    if r.lost_n < MIN_GROUP or r.retained_n < MIN_GROUP:
        return (f"too few to conclude: {r.lost_n} lost and {r.retained_n} retained accounts "
                f"with a value (at least {MIN_GROUP} each are needed)")
    if np.isnan(r.p_value):
        return "no difference to test (every account has the same value)"
    if not r.significant:
        return f"no clear difference (p = {r.p_value:.3f}, Holm-adjusted {r.p_holm:.3f})"
    if r.factor in BINARY:
        return (f"accounts with {r.label} were lost with {r.effect:.1f} times the odds "
                f"(95 % CI {r.effect_low:.1f}-{r.effect_high:.1f}, p = {r.p_value:.3g})")
    return (f"lost accounts had a mean {r.label} of {r.lost_value:.3g} against "
            f"{r.retained_value:.3g} for retained ones (rank-biserial {r.effect:+.2f}, "
            f"p = {r.p_value:.3g})")


def logistic_regression(factors: pd.DataFrame, lost: pd.Series,
                        tiers: pd.Series | None = None) -> tuple[pd.DataFrame, str]:
    """Lost (1) vs retained (0) on all factors at once, with the accounts' tiers as dummies
    when there are several (so lost and retained are compared within tiers). Factors missing
    for more than half of the accounts are left out, then accounts with a missing value.
    Returns one row per factor (``factor``, ``label``, ``odds_ratio``, ``or_low``, ``or_high``
    (95 % Wald), ``p_value``, ``per``: "yes vs no" or "1 SD" and the SD) and a note: empty
    when fitted, else why not ("too few to conclude: ...")."""
    # heavy: only when used, and the model alone (statsmodels.api imports much more)
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.tools.tools import add_constant

    columns = ["factor", "label", "odds_ratio", "or_low", "or_high", "p_value", "per"]
    usable = [c for c in factors.columns if factors[c].notna().mean() > 0.5
              and factors[c].nunique() > 1]
    data = factors[usable].dropna()
    y = lost.reindex(data.index).fillna(False).astype(float)
    n_lost, n_kept = int(y.sum()), int(len(y) - y.sum())
    if not usable:
        return pd.DataFrame(columns=columns), "too few to conclude: no factor varies"
    if n_lost < MIN_REGRESSION or n_kept < MIN_REGRESSION or n_lost < EVENTS_PER_FACTOR * len(
            usable):
        return pd.DataFrame(columns=columns), (
            f"too few to conclude: {n_lost} lost and {n_kept} retained accounts with every "
            f"factor; the regression of {len(usable)} factors needs at least "
            f"{max(MIN_REGRESSION, EVENTS_PER_FACTOR * len(usable))} lost and "
            f"{MIN_REGRESSION} retained")
    X = data.astype(float).copy()
    y = y.reset_index(drop=True)  # on positions (see compare_factors)
    per = {}
    for c in usable:
        if c in BINARY:
            per[c] = "yes vs no"
        else:
            sd = float(X[c].std(ddof=1))
            X[c] = (X[c] - X[c].mean()) / sd
            per[c] = f"1 SD ({sd:.3g})"
    if tiers is not None:
        t = tiers.reindex(X.index).astype(str)
        if t.nunique() > 1:
            X = X.join(pd.get_dummies(t, prefix="tier", drop_first=True, dtype=float))
    X = add_constant(X.reset_index(drop=True), has_constant="add")
    try:
        import warnings

        from threadpoolctl import threadpool_limits

        # One BLAS thread: Newton's small products (100,000 x a few columns) ran 3x slower in
        # CPU when OpenBLAS spread them over threads on the busy 2-core machine (the same
        # numbers either way; measured in bench/bench_churn.py)
        with warnings.catch_warnings(), threadpool_limits(1, "blas"):
            warnings.simplefilter("ignore")
            result = Logit(y, X).fit(disp=0, maxiter=200)
        ci = result.conf_int()
    except (np.linalg.LinAlgError, ValueError, OverflowError) as exc:
        return pd.DataFrame(columns=columns), f"the regression could not be fitted: {exc}"
    if not result.mle_retvals.get("converged", True) or not np.isfinite(result.params).all():
        return pd.DataFrame(columns=columns), (
            "the regression did not converge (a factor separates lost from retained "
            "completely); read the single-factor tests")
    rows = [{"factor": c, "label": FACTOR_LABELS.get(c, c), "odds_ratio": math.exp(
        result.params[c]), "or_low": math.exp(ci.loc[c, 0]), "or_high": math.exp(ci.loc[c, 1]),
        "p_value": float(result.pvalues[c]), "per": per[c]} for c in usable]
    return pd.DataFrame(rows, columns=columns), ""
