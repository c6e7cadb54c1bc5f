"""Hostile and unlucky input (issue 13): each test reproduces one row of the issue's table,
what failed before and what happens now. Workbooks are built here from a few rows, or made
from the demo workbook at the package level (tests/hostile_helpers.py)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_helpers import add_junk_after_root, add_stray_cell, edit_package, sheet_part
from report_helpers import crm_rows

from addin.cli import cli
from addin.contract import limits
from addin.errors import InputError
from addin.workbook import load_crm_workbook, read_sheet, read_sheet_checked


def run(*args) -> subprocess.CompletedProcess:
    """The command line in its own process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "addin.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def no_traceback(proc: subprocess.CompletedProcess) -> bool:
    return "Traceback" not in proc.stderr and "panicked" not in proc.stderr


# --- row 4: numbers at the edges ------------------------------------------------------------


@pytest.mark.parametrize("amount", [1.7e308, 1e16, -2e15])
def test_an_amount_beyond_1e15_is_bad_input_naming_the_cell(make_xlsx, amount):
    rows = crm_rows()
    rows["Transactions"][3][2] = amount  # row 4, column C
    book = make_xlsx(rows)
    with pytest.raises(InputError) as err:
        load_crm_workbook(book)
    text = str(err.value)
    assert "sheet 'Transactions', row 4, column 'amount' (C)" in text
    assert "between -1e15 and 1e15" in text


def test_two_amounts_of_1e308_stop_tier_with_exit_2_not_nan(make_xlsx, tmp_path):
    # before: validate passed, tier printed "nan% of value", report exited 1 (matplotlib)
    rows = crm_rows()
    rows["Transactions"][1][2] = 1e308
    rows["Transactions"][2][2] = 1e308
    book = make_xlsx(rows)
    for command in (["validate", book], ["tier", book, "-o", tmp_path / "t.xlsx"],
                    ["report", book, "--out", tmp_path / "r", "--jobs", "1"]):
        result = CliRunner().invoke(cli, [str(a) for a in command])
        assert result.exit_code == 2, result.output
        assert "nan" not in result.output.lower()
        assert "row 2, column 'amount' (C)" in result.output


def test_an_infinite_value_in_a_csv_log_is_bad_input(make_xlsx, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date,amount\nA,2026-10-01,inf\nA,2026-10-02,1e400\n"
                   "A,2026-10-03,5\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_crm_workbook(make_xlsx(crm_rows()), transactions=log)
    text = "\n".join(err.value.lines())
    assert "row 2, column 'amount' (C)" in text and "row 3, column 'amount' (C)" in text


# --- row 5 and "report exits 3": chart text is never mathtext ---------------------------------


def test_dollar_signs_in_chart_labels_stay_text():
    from addin.reports import charts

    labels = [r"$\frac{$VIP", "$Key$", "Standard", "Small"]
    history = [{"month": "2026-09", "tier": "$Key$"}, {"month": "2026-10", "tier": labels[0]}]
    uri = charts.tier_history(history, labels, "en")  # before: ValueError from mathtext
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "$Key$" in svg and r"$\frac{$VIP" in svg


def test_report_with_dollar_labels_renders_every_review(make_xlsx, tmp_path):
    book = make_xlsx(crm_rows(settings={"pyramid_labels": "$VIP$,Key,Standard,Small",
                                        "key_account_tiers": "$VIP$,Key"}))
    result = CliRunner().invoke(cli, ["report", str(book), "--out", str(tmp_path / "r"),
                                      "--lang", "en", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "1 review of 1 account" in result.output


def test_report_exits_3_when_a_review_is_stopped_by_the_time_limit(make_xlsx, tmp_path):
    # before: report exited 0 even when every review failed
    book = make_xlsx(crm_rows(settings={"review_time_limit": 0.05}))
    start = time.perf_counter()
    result = CliRunner().invoke(cli, ["report", str(book), "--out", str(tmp_path / "r"),
                                      "--lang", "en", "--jobs", "1"])
    assert result.exit_code == 3, result.output
    assert "took longer than 0.05 s (the Settings key review_time_limit)" in result.output
    assert "skipped" in result.output
    assert time.perf_counter() - start < 30


def test_the_time_limit_is_a_setting_checked_like_the_others():
    from addin.reports.settings import report_settings

    assert report_settings({}).review_time_limit == limits.REVIEW_SECONDS == 60
    assert report_settings({"review_time_limit": "90"}).review_time_limit == 90
    with pytest.raises(InputError, match="review_time_limit"):
        report_settings({"review_time_limit": "-1"})


# --- row 6: long names are cut for layout ------------------------------------------------------


def test_fields_are_cut_with_an_ellipsis_by_width():
    assert limits.ellipsis("short") == "short"
    cut = limits.ellipsis("华" * 2000)
    assert cut == "华" * 39 + "\u2026"  # 39 wide characters + the ellipsis within 80 columns
    assert limits.ellipsis("x" * 2000) == "x" * 79 + "\u2026"
    nested = limits.bound_strings({"a": ["y" * 100, 3.5], "b": ("z" * 90,)})
    assert nested == {"a": ["y" * 79 + "\u2026", 3.5], "b": ("z" * 79 + "\u2026",)}


@pytest.mark.slow
def test_a_2000_character_chinese_name_renders_as_fast_as_an_ordinary_one(make_xlsx, tmp_path):
    # before: 50 s a review at 2,000 characters (the running header laid the title out again)
    from pypdf import PdfReader

    from addin.jobs.report import report_workbook

    long = ("华东精密机械制造股份有限公司" * 150)[:2000]
    seconds = {}
    for label, name in (("ordinary", "Alpha Trading Co."), ("long", long)):
        rows = crm_rows(name_a=name, company=name, settings={"company_name_zh": name})
        book = make_xlsx(rows, name=f"{label}.xlsx")
        out = report_workbook(load_crm_workbook(book), tmp_path / label, languages=["zh"])
        assert not out.failed
        seconds[label] = sum(out.seconds.values())
    review = next((tmp_path / "long").glob("*_A_*_zh.pdf"))
    text = PdfReader(review).pages[0].extract_text()
    assert "\u2026" in text and long[:200] not in text
    assert seconds["long"] < 2 * seconds["ordinary"] + 2, seconds


# --- row 7: a stray cell far away --------------------------------------------------------------


@pytest.fixture(scope="module")
def small_book(tmp_path_factory) -> Path:
    from conftest import write_xlsx

    return write_xlsx(tmp_path_factory.mktemp("small") / "small.xlsx", crm_rows())


@pytest.mark.parametrize("ref", ["Z1048576", "CV1048576", "XFD1048576"])
def test_a_stray_cell_far_away_is_read_by_its_cells(small_book, tmp_path, ref):
    # before: 1.8 GB at Z1048576, MemoryError at CV1048576, an abort (exit 134) at XFD1048576
    book = add_stray_cell(small_book, tmp_path / f"stray-{ref}.xlsx", "Customers", ref)
    frame, warnings = read_sheet_checked(book, "Customers")
    assert list(frame.index) == [2, 3, 4]
    assert any(f"column {ref.rstrip('0123456789')}: this column has data but no header"
               in str(w) for w in warnings)


def test_a_stray_cell_costs_no_memory_under_a_memory_limit(small_book, tmp_path):
    # the README's bound: the demo-sized command stays within 1.5 GB of address space
    book = add_stray_cell(small_book, tmp_path / "stray.xlsx", "Transactions", "XFD1048576")
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, "
            "1536 << 20)); from addin.cli import main; sys.argv = ['crm-addin', 'validate', "
            f"{str(book)!r}]; main()")
    # one BLAS thread: OpenBLAS reserves address space per thread (untouched, so no memory
    # in use) that RLIMIT_AS would count, making the bound depend on the machine's cores
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert no_traceback(proc)


# --- row 8: zip bombs ------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_inflated(small_book, tmp_path):
    # before: 4.6 GB and a pyarrow traceback, or exit 0 at 1.3 GB
    part = sheet_part(small_book, "Customers")
    bomb = tmp_path / "bomb.xlsx"
    padding = b"<!--" + b" " * (limits.RATIO_FLOOR_BYTES + (1 << 20)) + b"-->"
    edit_package(small_book, bomb, {part: lambda data: data.replace(
        b"<sheetData>", padding + b"<sheetData>", 1)}, compress={part: 9})
    assert bomb.stat().st_size < 200_000
    proc = run("validate", bomb)
    assert proc.returncode == 2, proc.stderr
    assert no_traceback(proc)
    assert f"its part {part} is compressed" in proc.stderr
    assert "zip bomb" in proc.stderr


def test_a_zip_that_lies_about_a_part_size_is_damaged(small_book, tmp_path):
    part = sheet_part(small_book, "Customers")
    liar = tmp_path / "liar.xlsx"
    edit_package(small_book, liar, {})
    data = bytearray(liar.read_bytes())
    with zipfile.ZipFile(liar) as zf:
        info = zf.getinfo(part)
    # the uncompressed size made 100 bytes: in the central directory (offset 24 of the
    # part's entry) and in the local header (offset 22)
    start = 0
    while True:
        start = data.find(b"PK\x01\x02", start)
        name_len = int.from_bytes(data[start + 28:start + 30], "little")
        if data[start + 46:start + 46 + name_len].decode() == part:
            break
        start += 4
    data[start + 24:start + 28] = (100).to_bytes(4, "little")
    local = info.header_offset
    data[local + 22:local + 26] = (100).to_bytes(4, "little")
    liar.write_bytes(bytes(data))
    proc = run("validate", liar)
    assert proc.returncode == 2, proc.stderr
    assert no_traceback(proc)
    assert f"its part {part} cannot be inflated" in proc.stderr


# --- row 9: damaged package XML on write --------------------------------------------------------


@pytest.mark.parametrize("part", ["[Content_Types].xml", "xl/styles.xml"])
def test_junk_after_the_root_element_is_damage_named_on_write(small_book, tmp_path, part):
    # before: reading worked, writing a result sheet exited 1 with an lxml traceback
    book = add_junk_after_root(small_book, tmp_path / "junk.xlsx", part)
    out = tmp_path / "out.xlsx"
    proc = run("tier", book, "-o", out)
    assert proc.returncode == 2, proc.stderr
    assert no_traceback(proc)
    assert f"its part {part} is not well-formed XML" in proc.stderr
    assert not out.exists()


# --- row 10: duplicate CSV headers ------------------------------------------------------------


def test_64000_duplicate_csv_headers_are_reported_once_and_fast(small_book, tmp_path):
    # before: 71 s of CPU (quadratic renaming) and a 277 KB error line
    log = tmp_path / "log.csv"
    header = ",".join(["customer_id", "date"] + ["amount"] * 64_000)
    log.write_text(header + "\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        load_crm_workbook(small_book, transactions=log)
    assert time.perf_counter() - start < 5
    text = str(err.value)
    assert "'amount' 64,000 times" in text
    assert len(text) < 400


# --- row 12: kill -9 during an in-place write ---------------------------------------------------

_SLOW_WRITER = """
import sys, time
import pandas as pd
import addin.workbook.package as package
from addin.workbook import write_result_sheets

def stuck(source, rendered, out, **kwargs):
    out.write(b"PK half a workbook")
    out.flush()
    print("writing", flush=True)
    time.sleep(120)

package.graft_sheets = stuck
write_result_sheets(sys.argv[1], {"Tiers": pd.DataFrame({"a": [1]})}, in_place=True)
"""


def test_a_killed_in_place_write_leaves_nothing_after_the_next_run(small_book, tmp_path,
                                                                   monkeypatch):
    # before: a partial copy beside the workbook and another in the temp folder, forever
    import os
    import shutil
    import signal
    import tempfile

    import pandas as pd

    from addin.workbook import write_result_sheets

    book = tmp_path / "book.xlsx"
    shutil.copyfile(small_book, book)
    temp = tmp_path / "tmp"
    temp.mkdir()
    child = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(book)],
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "TMPDIR": str(temp)})
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    beside = list(tmp_path.glob(".book.*"))
    rendered = list(temp.glob("crm-results-*"))
    assert beside and rendered  # what the killed run left behind
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    write_result_sheets(book, {"Tiers": pd.DataFrame({"a": [2]})}, in_place=True)
    assert not any(p.exists() for p in beside + rendered)
    assert list(tmp_path.glob(".book.*")) == [] and list(temp.glob("crm-results-*")) == []
    assert "Tiers" in load_sheet_names(book)


def load_sheet_names(book: Path) -> list[str]:
    import python_calamine as pc

    return pc.CalamineWorkbook.from_path(str(book)).sheet_names


# --- row 13: old and odd workbooks get the right diagnosis --------------------------------------


def test_an_xor_protected_xls_is_password_protected(soffice, make_xlsx, tmp_path):
    # before: calamine read the obfuscated bytes ("damaged", or garbage values)
    from xls_helpers import xor_protected_xls

    xls = soffice.convert(make_xlsx(crm_rows()), "xls", tmp_path / "xls")
    locked = xor_protected_xls(xls, tmp_path / "locked.xls")
    proc = run("validate", locked)
    assert proc.returncode == 2 and no_traceback(proc), proc.stderr
    assert "locked.xls is password-protected" in proc.stderr
    assert run("validate", xls).returncode == 0  # the same file without FILEPASS reads


@pytest.mark.parametrize("version", [2, 3, 4])
def test_excel_2_to_4_files_are_asked_to_be_saved_as_xlsx(tmp_path, version):
    # before: "not an Excel workbook"
    from xls_helpers import biff4_worksheet

    old = biff4_worksheet(tmp_path / "old.xls", version)
    with pytest.raises(InputError, match="an Excel version before 97.*save it as .xlsx"):
        load_crm_workbook(old)


def test_macro_and_dialog_sheets_are_skipped_with_a_warning(small_book, tmp_path):
    # before: "damaged: its workbook parts cannot be read" (calamine: unrecognized sheet type)
    from hostile_helpers import add_macro_and_dialog_sheets

    book = add_macro_and_dialog_sheets(small_book, tmp_path / "macros.xlsx")
    wb = load_crm_workbook(book)
    assert len(wb["Customers"]) == 3
    warnings = [str(w) for w in wb.warnings]
    assert "sheet 'Macro1': the sheet is an Excel 4.0 macro sheet; it was skipped" in warnings
    assert "sheet 'Dialog1': the sheet is an Excel 5.0 dialog sheet; it was skipped" in warnings


# --- the rest of the list ----------------------------------------------------------------


def test_a_header_only_scorecard_is_an_empty_scorecard_in_the_report(make_xlsx, tmp_path):
    # before: "the Scorecard sheet has no KPIs" stopped report
    rows = crm_rows()
    rows["Scorecard"] = [["perspective", "objective", "kpi", "weight", "target", "actual"]]
    result = CliRunner().invoke(cli, ["report", str(make_xlsx(rows)), "--out",
                                      str(tmp_path / "r"), "--lang", "en", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "1 review of 1 account and 1 portfolio summary" in result.output


def test_a_month_far_beyond_today_without_as_of_is_a_warning(make_xlsx):
    import datetime as dt

    from addin.jobs.report import future_month_warning
    from addin.reports.month import default_month

    rows = crm_rows()
    rows["Settings"] = [r for r in rows["Settings"] if r[0] != "as_of"]
    rows["Transactions"].append(["B", dt.datetime(9999, 12, 31), 10, 1])
    wb = load_crm_workbook(make_xlsx(rows))
    month = default_month(wb.sheets)
    assert month == "9999-12"
    [warning] = future_month_warning(wb, month, today=dt.date(2026, 12, 7))
    assert "9999-12" in warning and "after today (2026-12-07)" in warning
    assert future_month_warning(wb, "2027-01", today=dt.date(2026, 12, 7)) == []
    with_as_of = load_crm_workbook(make_xlsx(crm_rows(), name="as_of.xlsx"))
    assert future_month_warning(with_as_of, "9999-12", today=dt.date(2026, 12, 7)) == []


def test_a_huge_number_formatted_as_a_date_is_bad_input_not_a_rust_panic(make_xlsx):
    # found by the fuzz test: calamine panics (TimeDelta::milliseconds out of bounds), and
    # pyo3's PanicException is a BaseException: exit 1 with a Rust backtrace
    import openpyxl

    book = make_xlsx(crm_rows())
    wb = openpyxl.load_workbook(book)
    wb["Customers"]["I2"].value = -1.7e308  # I2 keeps its date format
    wb.save(book)
    with pytest.raises(InputError, match=r"row 2, column 'since' \(I\): expected a date"):
        load_crm_workbook(book)


def test_an_xlsb_whose_workbook_part_has_an_unusual_path_is_read(tmp_path):
    # before: "damaged or not a workbook: the zip archive holds no workbook parts"
    import pyxlsbwriter

    plain = tmp_path / "plain.xlsb"
    with pyxlsbwriter.XlsbWriter(str(plain)) as writer:
        writer.add_sheet("Customers")
        writer.write_sheet([["customer_id", "name"], ["A", "Alpha"], ["B", "Beta"]])
    odd = tmp_path / "odd.xlsb"
    moves = {"xl/workbook.bin": "xl/book.bin", "xl/_rels/workbook.bin.rels":
             "xl/_rels/book.bin.rels"}
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(odd, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"xl/workbook.bin", b"xl/book.bin")
            zout.writestr(moves.get(info.filename, info.filename), data)
    frame = read_sheet(odd, "Customers")
    assert list(frame["name"]) == ["Alpha", "Beta"]
