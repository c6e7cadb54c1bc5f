"""Read a 200,000-row Transactions sheet with our reader and with pandas + openpyxl.

Baseline: ``pandas.read_excel(path, sheet_name="Transactions", engine="openpyxl")``, which only
parses (no validation, no coercion). Ours: ``addin.workbook.read_sheet`` (calamine, then header
matching, type coercion and validation of every cell). Both read the same file in the same run;
the script prints each median time and the ratio, and for scale the time of a bare
``pandas.read_excel(engine="calamine")``. Target: ours at least 5x faster.

    python bench/bench_read.py [--rows 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from timing import timed


def make_transactions(path: Path, rows: int, seed: int = 7) -> None:
    """A Transactions sheet like a real export: ids, Excel dates, amounts, margins, text."""
    from openpyxl import Workbook

    rng = np.random.default_rng(seed)
    ids = [f"C{n:05d}" for n in rng.integers(1, 20_000, rows)]
    start = pd.Timestamp("2025-05-01")
    dates = (start + pd.to_timedelta(rng.integers(0, 549, rows), unit="D")).to_pydatetime()
    amounts = np.round(rng.lognormal(7, 1.2, rows), 2)
    margins = np.round(amounts * rng.uniform(0.1, 0.45, rows), 2)
    products = np.array(["Valves", "Pumps", "Sensors", "Cables", "Filters", "Motors"])
    channels = np.array(["Direct", "Distributor", "Online", "Phone"])
    product = products[rng.integers(0, len(products), rows)]
    channel = channels[rng.integers(0, len(channels), rows)]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Transactions")
    ws.append(["customer_id", "date", "amount", "margin", "product", "channel"])
    for i in range(rows):
        ws.append([ids[i], dates[i], float(amounts[i]), float(margins[i]), product[i],
                   channel[i]])
    wb.save(path)


def main() -> None:
    from addin.workbook import read_sheet

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "transactions.xlsx"
        t0 = time.perf_counter()
        make_transactions(path, args.rows)
        print(f"built {args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")
        ours, frame = timed(lambda: read_sheet(path, "Transactions"), args.repeat)
        base, baseline = timed(
            lambda: pd.read_excel(path, sheet_name="Transactions", engine="openpyxl"),
            max(1, args.repeat - 1))
        raw, _ = timed(
            lambda: pd.read_excel(path, sheet_name="Transactions", engine="calamine"),
            args.repeat)
        assert len(frame) == len(baseline) == args.rows
        assert np.allclose(frame["amount"].to_numpy(), baseline["amount"].to_numpy())
        print(f"addin.workbook.read_sheet (calamine + validation): {ours:8.3f} s")
        print(f"pandas.read_excel(engine='openpyxl'), parse only:   {base:8.3f} s")
        print(f"pandas.read_excel(engine='calamine'), parse only:   {raw:8.3f} s")
        print(f"ratio (openpyxl / ours): {base / ours:.1f}x  (target >= 5x)")
        print(f"validation overhead over a bare calamine parse: {ours / raw:.2f}x")


if __name__ == "__main__":
    main()
