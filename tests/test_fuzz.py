"""A bounded fuzz test (issue 13, item 6): a seeded mutator changes cells and package parts of
a slice of the demo workbook, and every command must end with exit 0, 2 or 3 and no
traceback. The seed is fixed, so a failure is reproducible; change ``SEED`` to explore."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_xlsx

from addin.cli import cli

pytestmark = pytest.mark.slow

SEED = 13
CELL_MUTANTS = 6
PART_MUTANTS = 4
ROWS = {"Customers": 40, "Transactions": 400, "Contacts": 80, "Complaints": 20, "Survey": 40,
        "Scorecard": 30, "Distribution": 10, "Settings": 40}

HOSTILE_VALUES = [
    None, "", " ", "N/A", "#N/A", "=1+1", "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0",
    "$x^2$", r"$\frac{$", "<script>alert(1)</script>", "华" * 2000, "x" * 5000, 1.7e308,
    -1.7e308, 1e16, -1e-300, 0, -1, 2**53 + 1, "inf", "-inf", "nan", "1e400",
    dt.datetime(9999, 12, 31), dt.datetime(1900, 1, 1), True, "2026-02-30", "１２３",
    "\u202egnp.exe", "a\r\nb", "🙂" * 100,
]


@pytest.fixture(scope="module")
def demo_slice(tmp_path_factory) -> Path:
    """The first rows of each demo sheet: the demo's shape and values at a size that runs
    every command in about a second."""
    import python_calamine as pc

    from addin.demo import demo_workbook_path

    book = pc.CalamineWorkbook.from_path(str(demo_workbook_path()))
    sheets = {name: book.get_sheet_by_name(name).to_python()[:ROWS.get(name, 40) + 1]
              for name in book.sheet_names}
    return write_xlsx(tmp_path_factory.mktemp("fuzz") / "demo_slice.xlsx", sheets)


def mutate_cells(source: Path, dest: Path, rng: random.Random, n: int = 6) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(source)
    changes = []
    for _ in range(n):
        ws = rng.choice(wb.worksheets)
        row = rng.randint(1, max(ws.max_row, 1) + 2)
        col = rng.randint(1, max(ws.max_column, 1) + 1)
        value = rng.choice(HOSTILE_VALUES)
        ws.cell(row, col).value = value
        changes.append(f"{ws.title}!{ws.cell(row, col).coordinate}={str(value)[:20]!r}")
    wb.save(dest)
    return "; ".join(changes)


def mutate_part(source: Path, dest: Path, rng: random.Random) -> str:
    with zipfile.ZipFile(source) as zin:
        infos = zin.infolist()
        target = rng.choice([i.filename for i in infos])
        how = rng.choice(["truncate", "junk", "flip", "drop", "empty"])
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in infos:
                data = zin.read(info)
                if info.filename == target:
                    if how == "drop":
                        continue
                    if how == "truncate":
                        data = data[: rng.randint(0, len(data))]
                    elif how == "junk":
                        data += b"<junk/>\x00garbage"
                    elif how == "flip":
                        data = bytearray(data)
                        for _ in range(8):
                            i = rng.randrange(len(data)) if data else 0
                            if data:
                                data[i] = rng.randrange(256)
                        data = bytes(data)
                    else:
                        data = b""
                zout.writestr(info, data)
    return f"{how} {target}"


def commands(book: Path, out: Path, report: bool) -> list[list[str]]:
    runs = [["validate", book], ["tier", book, "-o", out / "t.xlsx"],
            ["survey", book, "-o", out / "s.xlsx"], ["scorecard", book, "-o", out / "c.xlsx"]]
    if report:
        runs.append(["report", book, "--out", out / "r", "--lang", "en", "--jobs", "1",
                     "--month", "2026-10"])
    return [[str(a) for a in run] for run in runs]


def test_mutated_workbooks_end_with_0_2_or_3_and_no_traceback(demo_slice, tmp_path):
    rng = random.Random(SEED)
    mutants = []
    for i in range(CELL_MUTANTS):
        dest = tmp_path / f"cells{i}.xlsx"
        mutants.append((dest, mutate_cells(demo_slice, dest, rng), i == 0))
    for i in range(PART_MUTANTS):
        dest = tmp_path / f"part{i}.xlsx"
        mutants.append((dest, mutate_part(demo_slice, dest, rng), False))
    failures = []
    for book, what, report in mutants:
        out = tmp_path / f"{book.stem}-out"
        out.mkdir()
        for args in commands(book, out, report):
            result = CliRunner().invoke(cli, args)
            crashed = result.exception is not None and not isinstance(result.exception,
                                                                       SystemExit)
            if result.exit_code not in (0, 2, 3) or crashed or "Traceback" in result.output:
                failures.append(f"{args[0]} on {book.name} ({what}): exit {result.exit_code}"
                                f" {result.exception!r} {result.output[-300:]}")
    assert not failures, "\n".join(failures)
