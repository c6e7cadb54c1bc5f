"""Time the balanced-scorecard roll-up and trend on 5,000 KPIs x 36 monthly periods.

``evaluate_scorecard`` (progress, status, roll-up to objectives and perspectives) plus
``scorecard_trend`` (direction over the last 6 months, straight-line forecast to the year's end)
on one synthetic Scorecard sheet: 4 perspectives, 500 objectives, mixed polarities, red/amber
limits on half the KPIs, 2 % of actuals missing. Target (issue 5): under 1 s for both. For
scale, the same frame's plain pandas ``groupby(...).mean()`` is timed too.

    python bench/bench_scorecard.py [--kpis 5000] [--periods 36] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd
from timing import median_time

from addin.scorecard import PERSPECTIVE_ORDER, evaluate_scorecard, scorecard_trend

TARGET_SECONDS = 1.0


def make_kpis(n: int, periods: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = [str(p) for p in pd.period_range(end="2026-10", periods=periods, freq="M")]
    polarity = rng.choice(["higher", "lower", "target"], n, p=[0.6, 0.3, 0.1])
    baseline = rng.uniform(50, 100, n)
    step = rng.uniform(5, 20, n)
    target = np.where(polarity == "lower", baseline - step, baseline + step)
    drift = rng.normal(0, 0.5, n)[:, None] * np.arange(periods)
    series = baseline[:, None] + drift + rng.normal(0, 2, (n, periods))
    series[rng.random((n, periods)) < 0.02] = np.nan
    limited = rng.random(n) < 0.5
    frame = pd.DataFrame({
        "perspective": np.array(PERSPECTIVE_ORDER)[rng.integers(0, 4, n)],
        "objective": [f"objective {i}" for i in rng.integers(0, 500, n)],
        "kpi": [f"KPI {i}" for i in range(n)],
        "weight": rng.uniform(0.5, 2, n),
        "target": target, "actual": series[:, -1], "baseline": baseline, "polarity": polarity,
        "red": np.where(limited & (polarity != "target"), baseline, np.nan),
        "amber": np.where(limited & (polarity != "target"), (baseline + target) / 2, np.nan),
    }, index=pd.RangeIndex(2, n + 2, name="row"))
    return pd.concat([frame, pd.DataFrame(series, columns=months, index=frame.index)], axis=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kpis", type=int, default=5000)
    parser.add_argument("--periods", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    kpis = make_kpis(args.kpis, args.periods)
    months = [c for c in kpis.columns if c[:2] == "20"]
    t_eval = median_time(lambda: evaluate_scorecard(kpis), args.repeat)
    t_trend = median_time(lambda: scorecard_trend(kpis, months), args.repeat)
    t_floor = median_time(lambda: kpis.groupby("objective")[months].mean(), args.repeat)
    total = t_eval + t_trend
    print(f"{args.kpis:,} KPIs x {args.periods} periods, median of {args.repeat}")
    print(f"  evaluate_scorecard      {t_eval * 1000:8.1f} ms")
    print(f"  scorecard_trend         {t_trend * 1000:8.1f} ms")
    print(f"  both                    {total * 1000:8.1f} ms  (target < {TARGET_SECONDS:.0f} s: "
          f"{'met' if total < TARGET_SECONDS else 'MISSED'})")
    print(f"  pandas groupby mean     {t_floor * 1000:8.1f} ms  (for scale; "
          f"{total / t_floor:.0f}x)")
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
