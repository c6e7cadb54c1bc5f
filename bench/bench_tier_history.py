"""The report's tier history: the pyramid at the eleven month-ends before the report month.

Times, in one run on the tiering bench's log (``bench_tiering.make_log``: 1,000,000
transactions of 100,000 customers over three years by default), what ``prepare_reports`` did
before (``pyramid_as_of`` once per month-end: eleven summaries, each factorising the ids and
sorting the whole log) against what it does now (``pyramid_history``: one netting of the log
per customer and day, then a ``bincount`` per month-end), after checking that both give the
same tiers at every month-end. Prints wall and CPU time (user + system) of each and the ratio.

    python bench/bench_tier_history.py [--rows 1000000] [--customers 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os

import pandas as pd
from bench_tiering import make_log
from timing import timed_cpu

from addin.tiering import pyramid_as_of, pyramid_history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    log = make_log(args.rows, args.customers)
    month = pd.Timestamp(log["date"].max()).to_period("M")
    ends = [p.to_timestamp(how="end").normalize()
            for p in pd.period_range(end=month - 1, periods=11, freq="M")]
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"log: {len(log):,} transactions, {args.customers:,} customers; month-ends "
          f"{ends[0]:%Y-%m-%d} .. {ends[-1]:%Y-%m-%d}")

    before_wall, before_cpu, before = timed_cpu(
        lambda: {end: pyramid_as_of(None, log, None, as_of=end) for end in ends}, args.repeat)
    after_wall, after_cpu, after = timed_cpu(
        lambda: pyramid_history(None, log, None, ends=ends), args.repeat)
    for end in ends:
        pd.testing.assert_series_equal(before[end], after[end])
    print("| tier history, 11 month-ends | wall (median) | CPU |")
    print("| --- | --- | --- |")
    print(f"| `pyramid_as_of` per month-end (before) | {before_wall:.2f} s | {before_cpu:.2f} s |")
    print(f"| `pyramid_history`, one pass (now) | {after_wall:.2f} s | {after_cpu:.2f} s |")
    print(f"one pass takes {after_wall / before_wall:.2f}x the time of the per-month "
          f"computation ({before_wall / after_wall:.1f}x faster); same tiers at every month-end")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
