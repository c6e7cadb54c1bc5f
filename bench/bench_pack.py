"""One executive's pack of 25 of the demo's key accounts, rendered in one process: the issue's
bound is under 10 s on one core. Prints the wall and CPU time of the render (the month is
prepared first and not counted), the pages and the size, and the load average (on a shared
machine the wall time stretches while the CPU time stays).

    .venv/bin/python bench/bench_pack.py [--lang zh] [--accounts 25] [--repeat 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import time
from pathlib import Path

from pypdf import PdfReader

from addin.jobs.report import scorecard_for_month
from addin.reports.month import prepare_reports
from addin.reports.pack import PackPlan, pack_context, pack_order
from addin.reports.render import Renderer
from addin.reports.review import review_context
from addin.reports.summary import summary_context
from addin.workbook import load_crm_workbook

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="zh", choices=["en", "zh"])
    parser.add_argument("--accounts", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    wb = load_crm_workbook(ROOT / "workbooks" / "demo_crm.xlsx")
    scorecard, by_period = scorecard_for_month(wb, "2026-10")
    data = prepare_reports(wb.sheets, "2026-10", scorecard=scorecard,
                           scorecard_by_period=by_period)
    ids = pack_order(data, data.accounts[:args.accounts])
    plan = dataclasses.replace(PackPlan(2, "Bench Reader", "bench@example.com", args.lang,
                                        "all"), accounts=ids, everything=True)
    renderer = Renderer()
    renderer.warm_up()
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        ctx = pack_context(data, plan, summary_context(data, args.lang),
                           [review_context(data, cid, args.lang) for cid in ids])
        pdf = renderer.render(ctx)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(f"pack of {len(ids)} accounts ({args.lang}): {wall:.1f} s wall, {cpu:.1f} s CPU, "
              f"{len(pdf) / 1e6:.1f} MB, {pages} pages; load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
