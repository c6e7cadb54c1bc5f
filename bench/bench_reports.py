"""Render 100 key-account reviews of the demo workbook with 1 and with 2 processes.

Each run happens in a fresh Python process, which loads the demo workbook and builds the
review contexts (not timed), then times ``render_batch`` (charts, HTML, PDF, file written)
over the same 100 reviews. Prints the median time of one review as measured inside its worker
(warm: fonts, templates and stylesheet already loaded), the batch's wall time and the speed-up
of 2 processes over 1, plus what a fresh process pays once for its imports and warm-up. The
median CPU time of a review and the 1-minute load average at the end of each run say how much
other work on the machine stretched the wall times.

Targets (issue 6): under 0.5 s per review per process, warm; at least 1.7x with 2 processes.
For scale, the issue quotes WeasyPrint rendering a comparable 5-page A4 set (CJK text, two
matplotlib SVG charts, two 30-row tables) in about 0.47 s warm on this machine, with about
1.2 s of imports once per process.

    python bench/bench_reports.py [--reviews 100] [--lang zh] [--jobs 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _worker(reviews: int, lang: str, jobs: int) -> dict:
    """One measured batch in this process; returns the figures as a dict."""
    from addin.demo import DEMO_AS_OF, demo_workbook_path
    from addin.jobs.report import scorecard_for_month
    from addin.reports.month import prepare_reports
    from addin.reports.render import RenderTask, render_batch, review_file_name
    from addin.reports.review import review_context
    from addin.workbook import load_crm_workbook

    wb = load_crm_workbook(demo_workbook_path())
    month = str(DEMO_AS_OF)[:7]
    scorecard, by_period = scorecard_for_month(wb, month)
    data = prepare_reports(wb.sheets, month, scorecard=scorecard,
                           scorecard_by_period=by_period)
    ids = (data.accounts * (reviews // len(data.accounts) + 1))[:reviews]
    tasks = []
    for i, cid in enumerate(ids):
        ctx = review_context(data, cid, lang)
        tasks.append(RenderTask(f"{i:03d}_" + review_file_name(month, cid, "r", lang), ctx,
                                f"{i:03d} {cid}"))
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = render_batch(tasks, out, jobs=jobs)
        wall = time.perf_counter() - start
    if result.failed:
        raise SystemExit(f"{len(result.failed)} reviews failed: {result.failed}")
    per_review = list(result.seconds.values())
    return {"jobs": jobs, "reviews": len(per_review), "wall": wall,
            "median": statistics.median(per_review),
            "p90": statistics.quantiles(per_review, n=10)[-1],
            "cpu_median": statistics.median(result.cpu_seconds.values()),
            "load": os.getloadavg()[0]}


def _imports() -> float:
    """Seconds a fresh process spends importing the renderer and warming it up."""
    code = ("import time; t = time.perf_counter(); "
            "from addin.reports.render import Renderer; r = Renderer(); r.warm_up(); "
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=100)
    parser.add_argument("--lang", choices=["en", "zh"], default="zh")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.reviews, args.lang, args.worker)))
        return

    print(f"{args.reviews} key-account reviews of the demo workbook ({args.lang}), "
          f"3 A4 pages and 3 SVG charts each")
    runs = {}
    for jobs in args.jobs:
        out = subprocess.run([sys.executable, __file__, "--worker", str(jobs), "--reviews",
                              str(args.reviews), "--lang", args.lang], check=True,
                             capture_output=True, text=True)
        runs[jobs] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{'processes':>9} {'median/review':>14} {'p90/review':>11} {'CPU/review':>11} "
          f"{'batch wall':>11} {'load avg':>9}")
    for jobs, r in runs.items():
        print(f"{jobs:>9} {r['median']:>12.3f} s {r['p90']:>9.3f} s {r['cpu_median']:>9.3f} s "
              f"{r['wall']:>9.1f} s {r['load']:>9.2f}")
    if 1 in runs and len(runs) > 1:
        for jobs, r in runs.items():
            if jobs != 1:
                print(f"speed-up with {jobs} processes: {runs[1]['wall'] / r['wall']:.2f}x "
                      f"(target >= 1.7x for 2)")
    print(f"imports and warm-up, once per process: {_imports():.2f} s")
    print("target: median under 0.5 s per review per process")


if __name__ == "__main__":
    main()
