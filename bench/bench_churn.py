"""Churn factors and the 12-month revenue forecast on a synthetic log, beside the tiering.

Builds a log of about 1,000,000 transactions for 100,000 customers over three years drawn from
a BG/NBD x Gamma-Gamma model (:func:`make_churn_log`: customers who buy at their own rate and
drop out after a purchase with their own probability; bench_tiering's log has no drop-out, so
the BG/NBD fit on it runs a -> 0 and the forecast refuses it), plus a Complaints sheet (50,000
tickets) and a Contacts sheet (200,000 contacts with staff), then times, each as the median of
``--repeat`` runs, wall time and CPU time (user + system of this process):

* churn factors: ``purchase_days``, ``lost_accounts`` (the loss rule), ``account_factors``,
  ``compare_factors`` and ``logistic_regression`` (addin.churn);
* the 12-month forecast: ``fit_models`` (BG/NBD and Gamma-Gamma of addin.tiering.clv) and
  ``portfolio_forecast`` with its simulated 95 % interval;
* outside the target, the rest of the forecast sheet: the holdout ``backtest`` (a second fit
  on the calibration history, its baseline and the actuals), the exponential-smoothing
  ``baseline_forecast`` and ``customer_forecast``;
* the tiering beside them: ``rfm_summary`` + ``rfm_scores`` + ``key_account_pyramid`` on the
  same log (the anchor: on a shared machine compare ratios, not seconds).

Target (issue 17): churn factors + 12-month forecast under 3 s.

    python bench/bench_churn.py [--rows 1000000] [--customers 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd
from timing import timed_cpu


def _draw(customers: int, alpha: float, seed: int, horizon: int):
    rng = np.random.default_rng(seed)
    birth = rng.integers(0, horizon, customers)
    age = (horizon - birth).astype(float)  # days from the first purchase to the end
    rate = rng.gamma(0.8, 1.0 / alpha, customers)
    drop = rng.beta(0.8, 4.0, customers)
    arrivals = rng.poisson(rate * age)
    repeats = np.minimum(arrivals, rng.geometric(np.clip(drop, 1e-12, 1.0)))
    return rng, birth, age, arrivals, repeats


def make_churn_log(rows: int, customers: int, seed: int = 11, horizon: int = 3 * 365
                   ) -> pd.DataFrame:
    """About ``rows`` transactions of ``customers`` customers from 2023-01-01 over ``horizon``
    days, drawn from the BG/NBD (Fader, Hardie and Lee 2005, section 2) and Gamma-Gamma models:
    each customer first buys on a uniform day, then buys at a rate lambda ~ gamma(0.8, 1 /
    alpha) a day and drops out after each repeat purchase with probability p ~ beta(0.8, 4);
    of the C ~ Poisson(lambda age) arrivals before the end it makes x = min(C, Geometric(p)),
    at the first x of C uniform order statistics (S_k / S_(C+1), S the sums of unit
    exponentials); each purchase is worth gamma(6, rate nu), nu ~ gamma(4, rate 1 / 300)
    across customers (mean 600). alpha is set by bisection so the count is just over ``rows``."""
    lo, hi = np.log(0.1), np.log(1e5)  # ln alpha: more alpha, fewer purchases
    for _ in range(30):
        mid = (lo + hi) / 2
        total = customers + int(_draw(customers, float(np.exp(mid)), seed, horizon)[4].sum())
        lo, hi = (mid, hi) if total > rows else (lo, mid)
    rng, birth, age, arrivals, repeats = _draw(customers, float(np.exp(lo)), seed, horizon)
    owner = np.repeat(np.arange(customers), repeats)
    spacing = rng.exponential(1.0, len(owner))
    ends = np.cumsum(repeats)
    csum = np.cumsum(spacing)
    before = np.r_[0.0, csum][ends - repeats]  # the sums of earlier customers' spacings
    partial = csum - np.repeat(before, repeats)  # S_k within the customer
    rest = rng.gamma(np.maximum(arrivals - repeats + 1, 1).astype(float))  # S_(C+1) - S_x
    last = np.zeros(customers)
    has = repeats > 0
    last[has] = partial[ends[has] - 1]
    when = np.floor(partial / np.repeat(last + rest, repeats) * np.repeat(age, repeats))
    days = np.r_[birth, birth[owner] + np.minimum(when, age[owner] - 1).astype(np.int64)]
    who = np.r_[np.arange(customers), owner]
    nu = rng.gamma(4.0, 1.0 / 300.0, customers)
    amount = np.round(rng.gamma(6.0, 1.0 / nu[who]), 2)
    order = rng.permutation(len(who))
    ids = np.array([f"C{c:06d}" for c in range(customers)], dtype=object)
    return pd.DataFrame({
        "customer_id": pd.array(ids[who[order]], dtype="str"),
        "date": (np.datetime64("2023-01-01") + days[order].astype("timedelta64[D]")).astype(
            "datetime64[us]"),
        "amount": amount[order],
    })


def make_sheets(log: pd.DataFrame, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = log["customer_id"].unique()
    start = np.datetime64("2023-01-01")
    n = 50_000
    opened = start + rng.integers(0, 3 * 365, n).astype("timedelta64[D]")
    complaints = pd.DataFrame({
        "customer_id": rng.choice(ids, n), "opened": opened.astype("datetime64[us]"),
        "closed": (opened + rng.integers(1, 60, n).astype("timedelta64[D]")).astype(
            "datetime64[us]"),
        "severity": rng.choice(["low", "medium", "high"], n)})
    m = 200_000
    contacts = pd.DataFrame({
        "customer_id": rng.choice(ids, m),
        "date": (start + rng.integers(0, 3 * 365, m).astype("timedelta64[D]")).astype(
            "datetime64[us]"),
        "channel": "phone", "staff": rng.choice([f"S{i}" for i in range(40)], m)})
    return complaints, contacts


def main() -> None:
    from addin.churn.forecast import (
        backtest,
        baseline_forecast,
        customer_forecast,
        fit_models,
        portfolio_forecast,
    )
    from addin.churn.history import clean_log, complete_month_end, month_totals, purchase_days
    from addin.churn.loss import LossRule, lost_accounts
    from addin.churn.reasons import account_factors, compare_factors, logistic_regression
    from addin.tiering import key_account_pyramid, rfm_scores, rfm_summary

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", default="factors,forecast,rest,tiering",
                        help="what to time, separated by commas: factors, forecast (the "
                             "target's two), rest (backtest, baseline, per customer), tiering")
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    tx = make_churn_log(args.rows, args.customers)
    complaints, contacts = make_sheets(tx)
    log = clean_log(tx)
    as_of = log["day"].max()
    print(f"log: {len(log):,} transactions, {tx['customer_id'].nunique():,} customers; "
          f"{len(complaints):,} complaints, {len(contacts):,} contacts; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))

    def factors():
        # as the churn job does: once for the loss rule and the factors
        days, revenue = purchase_days(log, as_of, with_revenue=True)
        accounts = lost_accounts(log, as_of, LossRule("gap"), days=days, revenue=revenue)
        reference = accounts["loss_date"].where(accounts["lost"], pd.Timestamp(as_of))
        f = account_factors(reference, complaints=complaints, contacts=contacts, log=log,
                            days=days)
        return accounts, compare_factors(f, accounts["lost"]), logistic_regression(
            f, accounts["lost"])

    fits = []

    def forecast():
        fits[:] = [fit_models(log, as_of)]
        return portfolio_forecast(fits[0], 12)

    def rest():  # the forecast sheet's other tables (addin.jobs.forecast), outside the target
        months = backtest(log, as_of, 6)
        last = complete_month_end(as_of)
        baseline = baseline_forecast(month_totals(
            log[log["day"] <= np.datetime64(last.date(), "D")], end=last), 12)
        fit = fits[0] if fits else fit_models(log, as_of)  # the job reuses the forecast's fit
        return months, baseline, customer_forecast(fit, 12)

    def tiering():
        summary = rfm_summary(tx)
        return rfm_scores(summary), key_account_pyramid(summary["revenue"])

    def show(name: str, wall: float, cpu: float, note: str = "") -> None:
        print(f"{name:28s} {wall:7.2f} s wall {cpu:7.2f} s CPU  {note}", flush=True)

    wall = cpu = 0.0
    if "factors" in parts:
        w, c, (accounts, _, (_, note)) = timed_cpu(factors, args.repeat)
        wall, cpu = wall + w, cpu + c
        show("churn factors", w, c, f"(lost {int(accounts['lost'].sum()):,} of "
             f"{len(accounts):,}{'; ' + note if note else ''})")
    if "forecast" in parts:
        w, c, line = timed_cpu(forecast, args.repeat)
        wall, cpu = wall + w, cpu + c
        show("12-month forecast", w, c, f"({line['expected_revenue'].sum():,.0f}, 95 % "
             f"{line['revenue_low'].sum():,.0f} .. {line['revenue_high'].sum():,.0f})")
    if {"factors", "forecast"} <= parts:
        show("together (the target)", wall, cpu, "(target < 3 s)")
    if "rest" in parts:
        w, c, _ = timed_cpu(rest, args.repeat)
        show("backtest+baseline+customers", w, c, "(the forecast sheet's rest; not in the "
             "target)")
    if "tiering" in parts:
        w, c, _ = timed_cpu(tiering, args.repeat)
        show("tiering (RFM)", w, c, "(beside: rfm_summary + scores + pyramid)")
    print("load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
