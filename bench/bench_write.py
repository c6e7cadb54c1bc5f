"""Write the demo job's result sheets into the demo workbook: package graft vs openpyxl.

The demo workbook (``workbooks/demo_crm.xlsx``: 2,000 customers, 61,014 transactions, 31.7 MB of
sheet XML) gets the ``Validation`` result sheet of ``crm-addin demo``. Baseline: what
``write_result_sheets`` did before the package writer, and still does for templates: openpyxl
loads the whole workbook, adds the sheet and saves it all again. Ours: ``write_result_sheets``,
which renders only the result sheet and grafts it into the package, copying every other part.
Both write the same sheets from the same source in the same run; the script prints each median
time and the ratio.

    python bench/bench_write.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from timing import median_time


def main() -> None:
    from addin.demo import demo_workbook_path
    from addin.jobs import validate_workbook
    from addin.workbook import write_result_sheets
    from addin.workbook.saving import _write_with_openpyxl

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "demo_crm.xlsx"
        shutil.copyfile(demo_workbook_path(), source)
        sheets = validate_workbook(source).result_sheets()
        ours = median_time(lambda: write_result_sheets(Path(tmp) / "ours.xlsx", sheets,
                                                 source=source), args.repeat)
        base = median_time(lambda: _write_with_openpyxl(Path(tmp) / "base.xlsx", sheets, source),
                     max(1, args.repeat - 1))
        size = source.stat().st_size / 1e6
        print(f"demo workbook {size:.1f} MB, result sheets: {', '.join(sheets)}")
        print(f"write_result_sheets (package graft):        {ours:8.3f} s")
        print(f"openpyxl load + add + save (the baseline):  {base:8.3f} s")
        print(f"ours is {base / ours:.1f}x faster")


if __name__ == "__main__":
    main()
