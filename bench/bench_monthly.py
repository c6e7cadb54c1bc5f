"""``crm-addin monthly ... --dry-run`` on the demo workbook, before and after, in one run.

"Before" is another commit of this repository (default: where this branch left main, ``git
merge-base HEAD main``), unpacked with ``git archive`` into a temporary folder; "after" is this
checkout's HEAD, unpacked the same way. Both run in their own ``python -m addin.cli`` process
with the same interpreter and packages, alternately (before, after, before, after, ...), so a
machine that gets busier or quieter mid-run affects both alike. Reported per variant: the
median wall time and the median CPU time of the process and its render workers (user + system,
from ``resource.getrusage(RUSAGE_CHILDREN)``), the PDFs and the .eml files written, and the
ratios after / before.

    .venv/bin/python bench/bench_monthly.py [--base REV] [--repeat 1] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from revisions import unpack

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_crm.xlsx"


def run_once(tree: Path, work: Path, jobs: int) -> dict[str, float]:
    """One ``monthly --dry-run`` of the demo with the code of ``tree``."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "addin.cli", "monthly", str(DEMO), "--month", "2026-10",
         "--out", str(work / "reports"), "--dry-run", str(work / "eml"), "--jobs", str(jobs)],
        cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu,
            "pdfs": len(list((work / "reports").glob("*.pdf"))),
            "emails": len(list((work / "eml").glob("*.eml")))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="the commit to compare with (default: merge-base "
                                       "with main)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    base = args.base or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
                                       check=True, capture_output=True,
                                       text=True).stdout.strip()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-monthly-") as tmp:
        trees = {"before": unpack(base, Path(tmp) / "before"),
                 "after": unpack("HEAD", Path(tmp) / "after")}
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for i in range(args.repeat):
            for name, tree in trees.items():
                r = run_once(tree, Path(tmp) / f"work-{name}", args.jobs)
                runs[name].append(r)
                print(f"run {i + 1} {name:6}: {r['wall']:7.1f} s wall, {r['cpu']:7.1f} s CPU, "
                      f"{r['pdfs']:3} PDFs, {r['emails']} emails", flush=True)
    med = {name: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu")}
           for name, rs in runs.items()}
    print(f"\nmonthly --dry-run on the demo, {args.jobs} processes, {os.cpu_count()} CPUs; "
          f"before = {base[:7]}, after = {head}; median of {args.repeat}")
    for name in ("before", "after"):
        print(f"  {name:6}: {med[name]['wall']:7.1f} s wall, {med[name]['cpu']:7.1f} s CPU")
    print(f"  after / before: {med['after']['wall'] / med['before']['wall']:.0%} wall, "
          f"{med['after']['cpu'] / med['before']['cpu']:.0%} CPU")


if __name__ == "__main__":
    main()
