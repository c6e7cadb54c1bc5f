"""Churn factors and the 12-month revenue forecast on a synthetic log, beside the tiering.

Builds bench_tiering's log (1,000,000 transactions for 100,000 customers over three years) plus
a Complaints sheet (50,000 tickets) and a Contacts sheet (200,000 contacts with staff), then
times, each as the median of ``--repeat`` runs:

* churn factors: ``lost_accounts`` (the loss rule), ``account_factors``, ``compare_factors``
  and ``logistic_regression`` (addin.churn);
* the 12-month forecast: ``fit_models`` (BG/NBD and Gamma-Gamma of addin.tiering.clv) and
  ``portfolio_forecast`` with its simulated interval;
* the tiering beside them: ``rfm_summary`` + ``rfm_scores`` + ``key_account_pyramid``.

Target (issue 17): churn factors + forecast under 3 s.

    python bench/bench_churn.py [--rows 1000000] [--customers 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from bench_tiering import make_log
from timing import timed


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
    from addin.churn.forecast import fit_models, portfolio_forecast
    from addin.churn.history import clean_log, purchase_days
    from addin.churn.loss import LossRule, lost_accounts
    from addin.churn.reasons import account_factors, compare_factors, logistic_regression
    from addin.tiering import key_account_pyramid, rfm_scores, rfm_summary

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", default="factors,forecast,tiering",
                        help="what to time, separated by commas (the forecast's BG/NBD fit "
                             "on 100,000 daily customers takes minutes until the fit in "
                             "addin.tiering.clv is faster)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    tx = make_log(args.rows, args.customers)
    complaints, contacts = make_sheets(tx)
    log = clean_log(tx)
    as_of = log["day"].max()
    print(f"log: {len(log):,} transactions, {tx['customer_id'].nunique():,} customers; "
          f"{len(complaints):,} complaints, {len(contacts):,} contacts")

    def factors():
        days = purchase_days(log, as_of)  # as the churn job does: once for both
        accounts = lost_accounts(log, as_of, LossRule("gap"), days=days)
        reference = accounts["loss_date"].where(accounts["lost"], pd.Timestamp(as_of))
        f = account_factors(reference, complaints=complaints, contacts=contacts, log=log,
                            days=days)
        return accounts, compare_factors(f, accounts["lost"]), logistic_regression(
            f, accounts["lost"])

    def forecast():
        return portfolio_forecast(fit_models(log, as_of), 12)

    def tiering():
        summary = rfm_summary(tx)
        return rfm_scores(summary), key_account_pyramid(summary["revenue"])

    total = 0.0
    if "factors" in parts:
        t_factors, (accounts, _, _) = timed(factors, args.repeat)
        total += t_factors
        print(f"churn factors      {t_factors:7.2f} s  (lost {int(accounts['lost'].sum()):,} "
              f"of {len(accounts):,})")
    if "forecast" in parts:
        t_forecast, line = timed(forecast, args.repeat)
        total += t_forecast
        print(f"12-month forecast  {t_forecast:7.2f} s  "
              f"({line['expected_revenue'].sum():,.0f})")
    if {"factors", "forecast"} <= parts:
        print(f"together           {total:7.2f} s  (target < 3 s)")
    if "tiering" in parts:
        t_tiering, _ = timed(tiering, args.repeat)
        print(f"tiering (RFM)      {t_tiering:7.2f} s  (beside: rfm_summary + scores + pyramid)")

if __name__ == "__main__":
    main()
