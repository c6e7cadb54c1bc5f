"""RFM summary + scores + pyramid on a synthetic log, against lifetimes and DuckDB SQL.

Builds a log of 1,000,000 transactions for 100,000 customers over three years (string ids,
datetime64 dates, positive amounts so that every definition agrees), then times, in one run:

* ours: ``rfm_summary`` + ``rfm_scores`` + ``key_account_pyramid`` (addin.tiering);
* lifetimes: ``summary_data_from_transaction_data`` with a monetary column (the summary only);
* DuckDB: the same aggregation, scores and pyramid as one SQL query over the DataFrame.

It checks that the three agree on frequency, recency, T and monetary value (and DuckDB on the
scores and tiers too), then prints the median times and the ratios. Targets: at least 3x faster
than lifetimes, within 2x of DuckDB. lifetimes and duckdb come with the ``bench`` extra
(``pip install -e .[bench]``); a missing one is reported and skipped.

    python bench/bench_tiering.py [--rows 1000000] [--customers 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from timing import timed

DUCKDB_SQL = """
with days as (
    select customer_id, cast(date as date) as day, sum(amount) as net
    from tx group by all
), buys as (
    select *, row_number() over (partition by customer_id order by day) as nth
    from days where net >= 0
), per_customer as (
    select customer_id,
           count(*) - 1 as frequency,
           max(day) - min(day) as recency,
           date '{as_of}' - min(day) as "T",
           coalesce((sum(net) - max(case when nth = 1 then net end))
                    / nullif(count(*) - 1, 0), 0) as monetary_value,
           date '{as_of}' - max(day) as recency_days,
           count(*) as orders,
           sum(net) as revenue
    from buys group by customer_id
), ranked as (
    select *,
        count(*) over () as n,
        rank() over (order by -recency_days) as r_lo,
        count(*) over (partition by recency_days) as r_ties,
        rank() over (order by orders) as f_lo,
        count(*) over (partition by orders) as f_ties,
        rank() over (order by revenue) as m_lo,
        count(*) over (partition by revenue) as m_ties,
        rank() over (order by revenue desc) as value_rank
    from per_customer
)
select customer_id, frequency, recency, "T", monetary_value, recency_days, orders, revenue,
    1 + floor(5 * (2 * r_lo + r_ties - 2) / (2 * n)) as r_score,
    1 + floor(5 * (2 * f_lo + f_ties - 2) / (2 * n)) as f_score,
    1 + floor(5 * (2 * m_lo + m_ties - 2) / (2 * n)) as m_score,
    case when value_rank <= ceil(0.01 * n) then 'VIP'
         when value_rank <= ceil(0.05 * n) then 'Key'
         when value_rank <= ceil(0.20 * n) then 'Standard'
         else 'Small' end as pyramid_tier
from ranked order by customer_id
"""


def make_log(rows: int, customers: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # every customer buys once; the other purchases go to customers by a gamma mix of rates,
    # so some buy often and many rarely, as in real logs
    weight = rng.gamma(0.8, 1.0, customers)
    cust = np.concatenate([np.arange(customers),
                           rng.choice(customers, size=rows - customers, p=weight / weight.sum())])
    rng.shuffle(cust)
    days = rng.integers(0, 3 * 365, rows)
    return pd.DataFrame({
        "customer_id": pd.array([f"C{c:06d}" for c in cust], dtype="str"),
        "date": (np.datetime64("2023-01-01") + days.astype("timedelta64[D]")).astype(
            "datetime64[us]"),
        "amount": np.round(rng.lognormal(6, 1, rows), 2),
    })


def main() -> None:
    from addin.tiering import key_account_pyramid, rfm_scores, rfm_summary

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    log = make_log(args.rows, args.customers)
    as_of = log["date"].max()
    print(f"log: {len(log):,} transactions, {log['customer_id'].nunique():,} customers, "
          f"{log['date'].min():%Y-%m-%d} .. {as_of:%Y-%m-%d}")

    def ours():
        summary = rfm_summary(log)
        scores = rfm_scores(summary)
        tiers = key_account_pyramid(summary["revenue"])
        return summary, scores, tiers

    t_ours, (summary, scores, tiers) = timed(ours, args.repeat)
    t_summary, _ = timed(lambda: rfm_summary(log), args.repeat)
    results = [("ours: rfm_summary + rfm_scores + key_account_pyramid", t_ours),
               ("  of which rfm_summary", t_summary)]
    model_cols = ["frequency", "recency", "T", "monetary_value"]

    try:
        from lifetimes.utils import summary_data_from_transaction_data
    except ImportError as exc:
        print(f"lifetimes: not installed ({exc}); pip install -e .[bench]")
        t_lifetimes = None
    else:
        t_lifetimes, theirs = timed(lambda: summary_data_from_transaction_data(
            log, "customer_id", "date", monetary_value_col="amount"), args.repeat)
        theirs = theirs.sort_index()
        for col in model_cols:
            np.testing.assert_allclose(summary[col].to_numpy(), theirs[col].to_numpy(),
                                       rtol=1e-9, err_msg=f"lifetimes {col}")
        results.append(("lifetimes summary_data_from_transaction_data", t_lifetimes))

    try:
        import duckdb
    except ImportError as exc:
        print(f"duckdb: not installed ({exc}); pip install -e .[bench]")
        t_duck = None
    else:
        con = duckdb.connect()
        con.execute("set threads = 2")  # this machine's cores, as pandas has one
        con.register("tx", log)
        sql = DUCKDB_SQL.format(as_of=f"{as_of:%Y-%m-%d}")
        t_duck, duck = timed(lambda: con.execute(sql).df(), args.repeat)
        duck = duck.set_index("customer_id")
        for col in [*model_cols, "recency_days", "orders", "revenue"]:
            np.testing.assert_allclose(summary[col].to_numpy(dtype=float),
                                       duck[col].to_numpy(dtype=float), rtol=1e-9,
                                       err_msg=f"duckdb {col}")
        for ours_col, col in (("r_score", "r_score"), ("f_score", "f_score"),
                              ("m_score", "m_score")):
            assert (scores[ours_col].to_numpy() == duck[col].to_numpy()).all(), col
        assert (tiers.to_numpy() == duck["pyramid_tier"].to_numpy()).all(), "pyramid"
        results.append(("DuckDB SQL (same aggregation, scores, pyramid)", t_duck))

    print(f"\n{'what':58s} {'median':>9s}")
    for label, seconds in results:
        print(f"{label:58s} {seconds:8.3f} s")
    print()
    if t_lifetimes is not None:
        print(f"ours is {t_lifetimes / t_ours:.1f}x faster than lifetimes (target >= 3x)")
    if t_duck is not None:
        print(f"ours takes {t_ours / t_duck:.2f}x DuckDB's time (target <= 2x)")


if __name__ == "__main__":
    main()
