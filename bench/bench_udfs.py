"""What the Excel doors cost: each worksheet function on 100,000 cells against its routine alone.

For every CRM function, the same data is given twice, in the same run:

* **UDF**: as Excel hands it over (a list of rows, a header cell, ``None`` for blanks, dates as
  ``datetime`` cells), through the whole door: range conversion (:mod:`addin.functions.ranges`),
  the routine, and the spilled 2-D list back;
* **routine**: the already typed pandas objects straight into the routine (the baseline).

The difference is the door's overhead. Target (issue 7): at most 20 % of the routine's time, or
under 50 ms. Prints one line per function and exits 1 if any misses the target.

    python bench/bench_udfs.py [--cells 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import addin.functions as udf
from addin import scorecard, surveys, tiering

TARGET_SHARE = 0.20
TARGET_MS = 50.0


def timed(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def as_range(header: str, values) -> list[list[object]]:
    """A column as Excel passes it: a header cell, then one row per value, None for blanks."""
    out: list[list[object]] = [[header]]
    for v in values:
        if isinstance(v, float) and np.isnan(v):
            v = None
        out.append([v])
    return out


def as_block(frame: pd.DataFrame) -> list[list[object]]:
    return [list(frame.columns), *frame.to_numpy(dtype=object).tolist()]


Case = tuple[str, Callable[[], object], Callable[[], object]]


def cases(cells: int, seed: int = 11) -> list[Case]:
    rng = np.random.default_rng(seed)
    values = np.round(rng.lognormal(8, 1.5, cells), 2)
    values_range = as_range("revenue", values.tolist())
    values_series = pd.Series(values, name="values")

    customers = max(cells // 10, 1)
    ids = np.array([f"C{n:06d}" for n in range(customers)])[rng.integers(0, customers, cells)]
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, cells), unit="D")
    amounts = np.round(rng.lognormal(6, 1, cells), 2)
    id_range = as_range("customer_id", ids.tolist())
    date_range = as_range("date", [d.to_pydatetime() for d in days])
    amount_range = as_range("amount", amounts.tolist())
    tx = pd.DataFrame({"customer_id": ids, "date": days.as_unit("us"), "amount": amounts})

    nps_answers = rng.integers(0, 11, cells).astype(float)
    nps_range = as_range("nps", nps_answers.tolist())
    nps_series = pd.Series(nps_answers)
    csat_answers = rng.integers(1, 6, cells).astype(float)
    csat_range = as_range("overall", csat_answers.tolist())
    csat_series = pd.Series(csat_answers)
    f = rng.integers(1, 6, cells).astype(float)
    d = rng.integers(1, 6, cells).astype(float)
    f_range, d_range = as_range("f", f.tolist()), as_range("d", d.tolist())

    k = 10
    rows = cells // k
    base = rng.normal(0, 1, rows)
    items = pd.DataFrame({f"perf_{j}": np.clip(np.round(4 + base + rng.normal(0, 1, rows)), 1, 7)
                          for j in range(k)})
    expect = pd.DataFrame({f"exp_{j}": np.clip(np.round(5 + rng.normal(0, 1, rows)), 1, 7)
                           for j in range(k)})
    items_block, expect_block = as_block(items), as_block(expect)
    names = [f"{j}" for j in range(k)]

    def rfm_routine():
        summary = tiering.rfm_summary(tx)
        scores = tiering.rfm_scores(summary)
        return tiering.rfm_segment(scores)

    def gap_routine():
        p = items.set_axis(names, axis=1)
        e = expect.set_axis(names, axis=1)
        return surveys.gap_analysis(p, e, dimensions={n: None for n in names}, scale=(1, 7))

    actual = np.round(rng.uniform(40, 120, cells), 1)
    target = np.round(rng.uniform(80, 120, cells), 1)
    baseline = np.round(target - rng.uniform(10, 40, cells), 1)
    actual_range, target_range = as_range("actual", actual.tolist()), as_range("target",
                                                                              target.tolist())
    baseline_range = as_range("baseline", baseline.tolist())
    progress = scorecard.kpi_progress(actual, target, baseline)
    progress_range = as_range("progress", progress.tolist())
    bsc_rows = cells // 6
    perspectives = np.array(scorecard.PERSPECTIVE_ORDER)[rng.integers(0, 4, bsc_rows)]
    bsc = pd.DataFrame({"perspective": perspectives,
                        "objective": [f"o{i}" for i in rng.integers(0, 200, bsc_rows)],
                        "kpi": [f"k{i}" for i in range(bsc_rows)],
                        "weight": rng.uniform(0.5, 2, bsc_rows),
                        "target": target[:bsc_rows], "actual": actual[:bsc_rows]},
                       index=pd.RangeIndex(2, bsc_rows + 2, name="row"))
    bsc_block = as_block(bsc)

    return [
        ("CRM_KPI_PROGRESS", lambda: udf.CRM_KPI_PROGRESS(actual_range, target_range,
                                                          baseline_range, None),
         lambda: scorecard.kpi_progress(actual, target, baseline)),
        ("CRM_KPI_STATUS", lambda: udf.CRM_KPI_STATUS(progress_range),
         lambda: scorecard.kpi_status(progress)),
        ("CRM_BSC", lambda: udf.CRM_BSC(bsc_block), lambda: scorecard.evaluate_scorecard(bsc)),
        ("CRM_ABC", lambda: udf.CRM_ABC(values_range),
         lambda: tiering.abc_classes(values_series)),
        ("CRM_PYRAMID", lambda: udf.CRM_PYRAMID(values_range),
         lambda: tiering.key_account_pyramid(values_series)),
        ("CRM_PARETO", lambda: udf.CRM_PARETO(values_range),
         lambda: tiering.pareto_table(values_series)),
        ("CRM_RFM", lambda: udf.CRM_RFM(id_range, date_range, amount_range), rfm_routine),
        ("CRM_NPS", lambda: udf.CRM_NPS(nps_range), lambda: surveys.nps(nps_series)),
        ("CRM_NPS_MOE", lambda: udf.CRM_NPS_MOE(nps_range), lambda: surveys.nps(nps_series)),
        ("CRM_CSAT", lambda: udf.CRM_CSAT(csat_range), lambda: surveys.csat(csat_series)),
        ("CRM_KANO", lambda: udf.CRM_KANO(f_range, d_range),
         lambda: surveys.kano_category(pd.Series(f), pd.Series(d))),
        ("CRM_ALPHA", lambda: udf.CRM_ALPHA(items_block),
         lambda: surveys.cronbach_alpha(items)),
        ("CRM_GAP", lambda: udf.CRM_GAP(items_block, expect_block), gap_routine),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"Each function on {args.cells:,} cells (blocks: {args.cells // 10:,} rows x 10); "
          f"median of {args.repeat}")
    print(f"{'function':<17} {'UDF':>9} {'routine':>9} {'overhead':>10} {'share':>7}  target")
    failed = []
    for name, door, routine in cases(args.cells):
        out = door()
        if isinstance(out, str) and out.startswith("#CRM!"):
            raise SystemExit(f"{name} returned an error: {out}")
        t_udf, t_routine = timed(door, args.repeat), timed(routine, args.repeat)
        overhead = max(t_udf - t_routine, 0.0)
        share = overhead / t_routine if t_routine else float("inf")
        ok = share <= TARGET_SHARE or overhead * 1000 < TARGET_MS
        if not ok:
            failed.append(name)
        print(f"{name:<17} {t_udf * 1000:7.1f}ms {t_routine * 1000:7.1f}ms "
              f"{overhead * 1000:8.1f}ms {share:6.0%}  {'ok' if ok else 'MISSED'}")
    print(f"target: overhead <= {TARGET_SHARE:.0%} of the routine or < {TARGET_MS:.0f} ms; "
          f"{'all met' if not failed else 'missed by ' + ', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
