"""The crm-addin command line: help, version, exit codes, readable problems, no tracebacks."""

import subprocess
import sys

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import write_xlsx as book

from addin import __version__
from addin.cli import cli

CUSTOMERS = [
    ["customer_id", "name", "email", "phone"],
    ["C1", "Huaxin Trading Co., Ltd.", "buy@huaxin.example.com", "021-5555-0101"],
    ["C2", "Northwind Ltd", "ops@northwind.example.com", "021-5555-0102"],
    ["C3", "HUAXIN TRADING LIMITED", "BUY@huaxin.example.com", "021-5555-0199"],
    ["C2", "Northwind Limited", "n2@northwind.example.com", "021-5555-0103"],
]


@pytest.fixture
def good(tmp_path):
    return book(tmp_path / "good.xlsx", {
        "Customers": CUSTOMERS,
        "Transactions": [["customer_id", "date", "amount"], ["C1", "2026-01-02", 10]],
    })


@pytest.fixture
def bad(tmp_path):
    rows = [["customer_id", "date", "amount"]] + [["C1", f"day {i}", i] for i in range(30)]
    return book(tmp_path / "bad.xlsx", {"Customers": CUSTOMERS, "Transactions": rows})


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def all_commands():
    return sorted(cli.commands)


@pytest.mark.parametrize("command", all_commands())
def test_every_command_has_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert cli.commands[command].help and len(cli.commands[command].help) > 40
    assert "Usage: " in result.output


def test_validate_lists_duplicates_with_excel_rows(good):
    result = run("validate", good)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "good.xlsx: read 2 sheets (Customers 4 rows, Transactions 1 rows)" in out
    assert "Duplicate customers: 2 groups, 4 records" in out
    assert "same id" in out and "likely duplicate" in out
    for row in ("row      2", "row      3", "row      4", "row      5"):
        assert row in out


def test_validate_bad_cells_exit_2_with_one_line_each_and_a_count(bad):
    result = CliRunner().invoke(cli, ["--max-problems", "5", "validate", str(bad)])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert errors[0] == ("error: sheet 'Transactions', row 2, column 'date' (B): expected a "
                         "date (an Excel date, or text such as 2026-03-31) (found 'day 0')")
    assert len(errors) == 6 and errors[-1] == "error: ... and 25 more problems"
    # the duplicates are still found when another sheet has errors
    assert "Duplicate customers: 2 groups" in result.output


def test_validate_writes_the_findings_into_a_copy(good, tmp_path):
    out = tmp_path / "checked.xlsx"
    result = run("validate", good, "-o", out)
    assert result.exit_code == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Customers", "Transactions", "Validation"]
    values = [c.value for row in wb["Validation"].iter_rows() for c in row]
    assert "Duplicate customers" in values and "HUAXIN TRADING LIMITED" in values


@pytest.mark.parametrize("content, message", [
    (b"just some text", "is not an Excel workbook"),
    (b"", "is an empty file"),
])
def test_not_a_workbook_exits_2_without_traceback(tmp_path, content, message):
    path = tmp_path / "report.xlsx"
    path.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "addin.cli", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_file_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_a_bug_exits_1(good, monkeypatch):
    import addin.jobs

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(addin.jobs, "validate_workbook", broken)
    result = CliRunner().invoke(cli, ["validate", str(good)])
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)


def test_progress_stays_quiet_when_piped(good):
    proc = subprocess.run([sys.executable, "-m", "addin.cli", "validate", str(good)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "Reading sheets" not in proc.stderr + proc.stdout
    assert proc.stderr == ""


def test_validate_with_a_csv_transaction_log_in_place_of_the_sheet(good, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("客户编号,日期,金额\nC1,2026-01-02,10\nC2,2026-01-03,bad\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(good), "--transactions", str(log)])
    assert result.exit_code == 2
    assert ("error: sheet 'log.csv', row 3, column '金额' (C): expected a number (found 'bad')"
            in result.output)
    log.write_text("customer_id,date,amount\nC1,2026-01-02,10\n", encoding="utf-8")
    result = run("validate", good, "--transactions", log)
    assert result.exit_code == 0
    assert "Transactions 1 rows" in result.output


def test_validate_in_place_adds_its_sheet_and_keeps_a_backup(good):
    import zipfile

    before = {n: zipfile.ZipFile(good).read(n) for n in zipfile.ZipFile(good).namelist()}
    result = CliRunner().invoke(cli, ["validate", str(good), "--in-place"])
    assert result.exit_code == 0, result.output
    assert f"Validation sheet written to {good}" in result.output
    assert openpyxl.load_workbook(good).sheetnames == ["Customers", "Transactions", "Validation"]
    backups = list(good.parent.glob("good.bak-*.xlsx"))
    assert len(backups) == 1
    with zipfile.ZipFile(backups[0]) as z:
        assert {n: z.read(n) for n in z.namelist()} == before
    with zipfile.ZipFile(good) as z:  # the user's own sheets are untouched, byte for byte
        for name in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
            assert z.read(name) == before[name]


def test_out_and_in_place_together_is_a_usage_error(good, tmp_path):
    result = CliRunner().invoke(cli, ["survey", str(good), "--in-place", "-o",
                                      str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    assert "either --out or --in-place" in result.output


def test_tier_survey_scorecard_leave_all_three_sheets_in_one_results_copy(tmp_path):
    """Issue 12 item 4: each command adds or replaces its own sheet in the existing results
    copy and says which earlier sheets it kept; a rerun replaces its sheet where it stands."""
    import shutil

    from addin.demo import demo_workbook_path

    workbook = tmp_path / "B.xlsx"
    shutil.copyfile(demo_workbook_path(), workbook)
    results = tmp_path / "B_results.xlsx"
    first = run("tier", workbook)
    assert first.exit_code == 0, first.output
    assert "keeps the sheets" not in first.output
    second = run("survey", workbook)
    assert second.exit_code == 0, second.output
    assert "B_results.xlsx keeps the sheets of earlier runs: Tiers" in second.output
    third = run("scorecard", workbook)
    assert third.exit_code == 0, third.output
    assert "keeps the sheets of earlier runs: Tiers, Survey Results" in third.output
    again = run("survey", workbook)
    assert "keeps the sheets of earlier runs: Tiers, Scorecard Results" in again.output
    names = openpyxl.load_workbook(results, read_only=True).sheetnames
    user_sheets = openpyxl.load_workbook(workbook, read_only=True).sheetnames
    assert names == user_sheets + ["Tiers", "Survey Results", "Scorecard Results"]
