"""`crm-addin tier` as a user runs it, at real size, with the anchors the issue names.

Times, in one run, each part in its own child process so its peak memory is its own
(``resource.getrusage``: the child's ``ru_maxrss``, its own children included):

1. ``crm-addin tier book.xlsx --transactions log.parquet`` end to end (read, fit, write) on a
   synthetic log of the tiering bench's shape (``bench_tiering.make_log``): ``--rows``
   transactions of ``--customers`` customers (default 1,000,000 / 100,000), and with
   ``--big`` also 10,000,000 / 1,000,000. Targets: under 20 s and 1.5 GB at 1M / 100k; within
   8 GB at 10M / 1M.
2. The BG/NBD fit alone against lifetimes' ``BetaGeoFitter`` on customers drawn from a known
   model (``addin.tiering.simulate_customers``, seed 7) at 100,000 and 1,000,000 customers and
   on CDNOW: times, ratio, and the largest relative difference of the four parameters (target:
   no slower, within 1e-4).
3. Writing the 100,000-customer Tiers sheet (``write_result_sheets``) against openpyxl's
   ``write_only`` mode writing the same customer rows: time and peak memory of each (target:
   less time, no more memory).

    python bench/bench_tier.py [--rows 1000000] [--customers 100000] [--big] [--skip-lifetimes]
                               [--skip-fits]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CDNOW = HERE.parent / "tests" / "data" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports kB


def _cpu_s() -> float:
    """User + system CPU seconds of this process and its children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _reset_hiwater() -> bool:
    """Reset this process's peak resident memory (Linux ``clear_refs`` 5), so the peak read
    after a step is that step's; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _hiwater_mb() -> float:
    """The peak resident memory since the last :func:`_reset_hiwater` (``VmHWM``)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return _peak_mb()


def _rss_mb() -> float:
    """The resident memory now (Linux /proc), for a baseline taken after the data is loaded."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def _child(part: str, *args: str) -> dict:
    """Run ``part`` of this script in a fresh interpreter; its JSON answer."""
    out = subprocess.run([sys.executable, str(Path(__file__)), "--child", part, *args],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{part} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the parts, each run in a child ---------------------------------------------------------


def part_make(folder: str, rows: str, customers: str) -> dict:
    """The log as one Parquet file, the same lines as a folder of ten Parquet files (a
    dataset, read through DuckDB), and a workbook with the Settings sheet beside them."""
    import numpy as np
    from bench_tiering import make_log
    from openpyxl import Workbook

    log = make_log(int(rows), int(customers))
    log.to_parquet(Path(folder) / "log.parquet")
    parts = Path(folder) / "log_parts"
    parts.mkdir(exist_ok=True)
    for old in parts.glob("*.parquet"):
        old.unlink()
    for i, rows_of_part in enumerate(np.array_split(np.arange(len(log)), 10)):
        log.iloc[rows_of_part].to_parquet(parts / f"part-{i}.parquet")
    wb = Workbook()
    wb.active.title = "Settings"
    wb.active.append(["key", "value"])
    wb.active.append(["clv_months", 12])
    wb.save(Path(folder) / "book.xlsx")
    return {"transactions": len(log)}


def part_cli(folder: str, source: str = "file") -> dict:
    from click.testing import CliRunner

    from addin.cli import cli

    book = Path(folder) / "book.xlsx"
    log = Path(folder) / ("log.parquet" if source == "file" else "log_parts")
    t0, c0 = time.perf_counter(), _cpu_s()
    result = CliRunner().invoke(cli, ["tier", str(book), "--transactions", str(log)])
    seconds = time.perf_counter() - t0
    if result.exit_code != 0:
        raise RuntimeError(result.output + repr(result.exception))
    return {"seconds": seconds, "cpu": _cpu_s() - c0, "peak_mb": _peak_mb(),
            "output": result.output}


def part_fit(which: str, n: str) -> dict:
    import numpy as np
    import pandas as pd

    from addin.tiering import fit_bgnbd, simulate_customers

    if n == "cdnow":
        d = pd.read_csv(CDNOW)
        x, t_x, T = d["x"], d["t_x"], d["T"]
    else:
        s = simulate_customers(int(n), seed=7)
        x, t_x, T = s["frequency"], s["recency"], s["T"]
    t0 = time.perf_counter()
    if which == "ours":
        f = fit_bgnbd(x, t_x, T)
        params = [f.r, f.alpha, f.a, f.b]
    else:
        from lifetimes import BetaGeoFitter

        p = BetaGeoFitter().fit(x, t_x, T).params_
        params = [float(p["r"]), float(p["alpha"]), float(p["a"]), float(p["b"])]
    seconds = time.perf_counter() - t0
    rows = len(np.unique(np.column_stack([x, t_x, T]), axis=0))
    return {"seconds": seconds, "params": params, "peak_mb": _peak_mb(), "rows": rows}


def _tiers_sheet(customers: int):
    """The Tiers result sheet of a 10-transactions-a-customer log."""
    from bench_tiering import make_log

    from addin.jobs.tier import TierReport
    from addin.tiering import tier_customers, tier_settings

    log = make_log(customers * 10, customers)
    tiers = tier_customers(None, log, None)
    return TierReport(None, tiers, tier_settings(None))


def part_sheets(customers: str, folder: str) -> dict:
    """The Tiers sheet's tables, pickled for the write parts (so their peak is the write's)."""
    import pickle

    report = _tiers_sheet(int(customers))
    with open(Path(folder) / "sheets.pkl", "wb") as fh:
        pickle.dump((report.result_sheets(), report.customers_table()), fh)
    return {}


def part_write(which: str, folder: str) -> dict:
    """One writer on the same loaded tables. Both children load the same pickled tables,
    import the same modules (every module either writer imports, :func:`part_modules`) and
    warm both writers alike (:func:`_warm_writers`: each writes its small sheet once, so a
    library's one-time set-up, such as Arrow's compute kernels or openpyxl's style tables,
    is in place) before the baseline is taken (the resident memory then, where the peak is
    reset). "Above the baseline" is what writing this sheet costs, measured the same way for
    both; the raw peaks are reported too."""
    import importlib
    import pickle

    import numpy as np
    import pandas as pd
    from openpyxl import Workbook

    from addin.workbook import write_result_sheets

    with open(Path(folder) / "sheets.pkl", "rb") as fh:
        sheets, table = pickle.load(fh)
    src = Path(folder) / "book.xlsx"
    for name in json.loads((Path(folder) / "modules.json").read_text()):
        try:
            importlib.import_module(name)
        except Exception:  # a module that only imports inside its package's own order
            pass
    _warm_writers(folder, table)
    hiwater = _reset_hiwater()  # the peak from here on is the write's
    base = _rss_mb()
    t0 = time.perf_counter()
    if which == "ours":
        write_result_sheets(Path(folder) / "ours.xlsx", sheets, source=src)
    else:  # openpyxl write_only: the customer rows only, values as they are
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Tiers")
        ws.append(list(table.columns))
        for row in table.itertuples(index=False):
            ws.append([None if v is None or v is pd.NaT or (isinstance(v, float) and
                                                            np.isnan(v)) else v for v in row])
        wb.save(Path(folder) / "write_only.xlsx")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": _peak_mb(),
            "write_peak_mb": _hiwater_mb() if hiwater else _peak_mb(),
            "before_mb": base, "rows": len(table), "columns": table.shape[1]}


def _warm_writers(folder: str, table) -> None:
    """Each writer writes a small sheet once: ours 2,500 customer rows (so its streamed path
    runs), openpyxl's write_only 10 rows."""
    import numpy as np
    import pandas as pd
    from openpyxl import Workbook

    from addin.workbook import ResultTable, write_result_sheets

    write_result_sheets(Path(folder) / "warm.xlsx",
                        {"Tiers": [ResultTable(table.iloc[:2_500], "Warm")]},
                        source=Path(folder) / "book.xlsx")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Tiers")
    for row in table.iloc[:10].itertuples(index=False):
        ws.append([None if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v))
                   else v for v in row])
    wb.save(Path(folder) / "warm_write_only.xlsx")


def part_modules(folder: str) -> dict:
    """The modules the two writers import (each writes a small sheet in this throwaway child:
    2,500 customer rows with ours, so its streamed path runs, and 10 with write_only), saved
    for :func:`part_write` to import in both measured children alike."""
    import pickle

    with open(Path(folder) / "sheets.pkl", "rb") as fh:
        _, table = pickle.load(fh)
    before = set(sys.modules)
    _warm_writers(folder, table)
    names = sorted(set(sys.modules) - before)
    (Path(folder) / "modules.json").write_text(json.dumps(names))
    return {"modules": len(names)}


PARTS = {"make": part_make, "modules": part_modules, "cli": part_cli, "fit": part_fit,
         "sheets": part_sheets, "write": part_write}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.path.insert(0, str(HERE))
        print(json.dumps(PARTS[sys.argv[2]](*sys.argv[3:]), default=str))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--big", action="store_true",
                        help="also 10,000,000 transactions of 1,000,000 customers")
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--skip-fits", action="store_true", help="no fit timings")
    args = parser.parse_args()
    lines = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    import os

    say(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    sizes = [(args.rows, args.customers)] + ([(10_000_000, 1_000_000)] if args.big else [])
    targets: list[str] = []

    def target(what: str, met: bool, value: str) -> None:
        targets.append(f"target {what}: {'met' if met else 'NOT met'} ({value})")

    with tempfile.TemporaryDirectory() as tmp:
        say("| work | ours | anchor | ratio |")
        say("| --- | --- | --- | --- |")
        for rows, customers in sizes:
            _child("make", tmp, str(rows), str(customers))
            runs = {}
            for source in ("file", "folder"):
                run = runs[source] = _child("cli", tmp, source)
                how = ("one Parquet file" if source == "file"
                       else "a folder of 10 Parquet files (DuckDB)")
                say(f"| `crm-addin tier`, {rows:,} transactions / {customers:,} customers, "
                    f"{how}, end to end | {run['seconds']:.1f} s wall, {run['cpu']:.1f} s CPU, "
                    f"{run['peak_mb'] / 1024:.2f} GB peak | | |")
            worst = max(runs.values(), key=lambda r: r["peak_mb"])
            if customers <= 100_000:
                run = runs["file"]
                target(f"`crm-addin tier` on {rows:,} transactions / {customers:,} customers "
                       "under 20 s and 1.5 GB", run["seconds"] < 20 and run["peak_mb"] < 1536,
                       f"{run['seconds']:.1f} s wall, {run['cpu']:.1f} s CPU, "
                       f"{run['peak_mb'] / 1024:.2f} GB, one Parquet file")
            else:
                target(f"`crm-addin tier` on {rows:,} transactions / {customers:,} customers "
                       "within 8 GB", worst["peak_mb"] < 8192,
                       ", ".join(f"{s}: {r['peak_mb'] / 1024:.2f} GB, {r['seconds']:.0f} s"
                                 for s, r in runs.items()))
        if not args.big:
            targets.append("target `crm-addin tier` on 10,000,000 transactions / 1,000,000 "
                           "customers within 8 GB: not run (pass --big)")
        fits = []
        for n in () if args.skip_fits else ("cdnow", "100000", "1000000"):
            ours = _child("fit", "ours", n)
            label = "CDNOW (2,357)" if n == "cdnow" else f"{int(n):,} simulated"
            if args.skip_lifetimes:
                say(f"| BG/NBD fit, {label} customers ({ours['rows']:,} distinct rows) | "
                    f"{ours['seconds']:.2f} s | | |")
                continue
            theirs = _child("fit", "lifetimes", n)
            worst = max(abs(a - b) / abs(b) for a, b in zip(ours["params"], theirs["params"],
                                                            strict=True))
            fits.append((label, ours["seconds"], theirs["seconds"], worst))
            say(f"| BG/NBD fit, {label} customers ({ours['rows']:,} distinct rows) | "
                f"{ours['seconds']:.2f} s | lifetimes {theirs['seconds']:.2f} s | "
                f"{theirs['seconds'] / ours['seconds']:.1f}x faster; parameters within "
                f"{worst:.1e} relative |")
        if fits:
            target("BG/NBD fit no slower than lifetimes, parameters within 1e-4 relative",
                   all(o <= t and w <= 1e-4 for _, o, t, w in fits),
                   "; ".join(f"{label}: {o:.2f} s vs {t:.2f} s, {w:.1e}"
                             for label, o, t, w in fits))
        _child("sheets", "100000", tmp)
        _child("modules", tmp)
        ours = _child("write", "ours", tmp)
        theirs = _child("write", "openpyxl", tmp)
        ours_mb = ours["write_peak_mb"] - ours["before_mb"]
        theirs_mb = theirs["write_peak_mb"] - theirs["before_mb"]
        say(f"| writing the Tiers sheet, {ours['rows']:,} customers x {ours['columns']} columns "
            f"(+ summaries, chart) | {ours['seconds']:.1f} s, {ours_mb:.0f} MB above the loaded "
            f"tables ({ours['peak_mb']:.0f} MB peak) | openpyxl write_only "
            f"{theirs['seconds']:.1f} s, {theirs_mb:.0f} MB above the loaded tables "
            f"({theirs['peak_mb']:.0f} MB peak) | {theirs['seconds'] / ours['seconds']:.1f}x "
            "faster |")
        target(f"a {ours['rows']:,}-row result sheet in no more memory than openpyxl's "
               "write_only and in less time", ours_mb <= theirs_mb
               and ours["seconds"] < theirs["seconds"],
               f"ours {ours['seconds']:.1f} s, {ours_mb:.0f} MB above the loaded tables; "
               f"write_only {theirs['seconds']:.1f} s, {theirs_mb:.0f} MB")
    for line in targets:
        say(line)
    say(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
