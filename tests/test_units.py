"""Units and formats: one formatter per kind, and the Scorecard's percentage rule.

A KPI typed as ``22%`` (Excel stores 0.22 with a percent number format) and one typed as ``22``
in a General cell with the unit ``%`` both read ``22.0 %`` on the result sheet as LibreOffice
renders it and in the PDF; a value of each kind rounds the same way on the sheet (its number
format), in the PDF (the templates' filters) and in the email (``quantity``).
"""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from click.testing import CliRunner
from openpyxl.cell import WriteOnlyCell

from addin.cli import cli
from addin.contract import units
from addin.errors import InputError
from addin.reports import i18n
from addin.reports.actions import describe_action
from addin.workbook import load_crm_workbook

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_crm.xlsx"
HEADER = ["perspective", "objective", "kpi", "weight", "target", "actual", "unit", "baseline",
          "polarity", "red", "amber"]
# Two KPIs that say the same thing: a win rate of 22 % against a target of 25 %, red below 23 %.
TYPED_AS_PERCENT = ["customer", "Win deals", "Win rate (typed 22%)", 0.5, 0.25, 0.22, None,
                    0.20, "higher", 0.23, 0.24]
TYPED_IN_POINTS = ["customer", "Win deals", "Win rate (typed 22, unit %)", 0.5, 25, 22, "%",
                   20, "higher", 23, 24]
PERCENT_COLUMNS = {"target", "actual", "baseline", "red", "amber"}
FORMATTED_AS_PERCENT = {TYPED_AS_PERCENT[2], "Resolution time (typed 22%)"}


def _sheet_rows(book, name):
    return [[None if v == "" else v for v in r]
            for r in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]


def write_book(path: Path, sheets: dict[str, list[list]]) -> Path:
    """``sheets`` with openpyxl (write-only); in the Scorecard, the KPI typed as 22% gets
    Excel's percent format on its value cells, as Excel gives a cell typed ``22%``."""
    wb = openpyxl.Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            if name == "Scorecard" and row[2] in FORMATTED_AS_PERCENT:
                cells = []
                for header, v in zip(rows[0], row, strict=False):
                    cell = WriteOnlyCell(ws, value=v)
                    if header in PERCENT_COLUMNS or re.match(r"^\d{4}-\d{2}$", str(header)):
                        cell.number_format = "0%"
                    cells.append(cell)
                ws.append(cells)
            else:
                ws.append(row)
    wb.save(path)
    return path


def small_book(tmp_path: Path) -> Path:
    return write_book(tmp_path / "kpis.xlsx", {"Scorecard": [HEADER, TYPED_AS_PERCENT,
                                                             TYPED_IN_POINTS]})


def test_a_percent_cell_and_points_with_unit_percent_read_the_same(tmp_path):
    kpis = load_crm_workbook(small_book(tmp_path))["Scorecard"]
    a, b = kpis.iloc[0], kpis.iloc[1]
    for column in ("target", "actual", "baseline", "red", "amber"):
        assert a[column] == b[column], column
    assert (a["target"], a["actual"], a["baseline"]) == (25, 22, 20)
    assert a["unit"] == b["unit"] == "%"  # the percent format gave the blank unit its %


def test_percent_text_is_points_too_and_a_percent_in_another_unit_is_refused(tmp_path):
    text = ["customer", "Win deals", "Win rate (text)", 0.5, "25%", "22%", "%", "20%",
            "higher", None, None]
    kpis = load_crm_workbook(write_book(tmp_path / "text.xlsx", {
        "Scorecard": [HEADER, text]}))["Scorecard"]
    assert (kpis.iloc[0]["target"], kpis.iloc[0]["actual"]) == (25, 22)
    wrong = [*TYPED_AS_PERCENT[:2], "Resolution time (typed 22%)", *TYPED_AS_PERCENT[3:]]
    wrong[6] = "days"
    path = write_book(tmp_path / "wrong.xlsx", {"Scorecard": [HEADER, wrong]})
    with pytest.raises(InputError) as err:  # one line per cell
        load_crm_workbook(path)
    lines = err.value.lines()
    assert len(lines) == 5
    assert lines[1] == ("sheet 'Scorecard', row 2, column 'actual' (F): a value in the KPI's "
                        "unit (days); this cell holds a percentage, which only a KPI whose "
                        "unit is % can hold: type 0.22 without the percent format, or change "
                        "the unit to % (found '22%')")


@pytest.mark.parametrize(("kind", "value", "en", "sheet"), [
    ("days", 1.62, "1.6 days", "#,##0.0"),   # the usual gap: 1.6 in the PDF and the email
    ("points", 31.94, "31.9", "0.0"),
    ("score", 3.456, "3.46", "0.00"),
    ("share", 0.2214, "22.1%", "0.0%"),
    ("percent", 78.34, "78.3%", '0.0" %"'),
    ("count", 1999, "1,999", "#,##0"),
    ("money", 1177408.4, "CN¥1,177,408", "#,##0"),
])
def test_one_formatter_per_kind(kind, value, en, sheet):
    assert i18n.quantity(value, kind, "en", "CNY") == en
    assert units.excel_format(kind) == sheet
    assert units.digits(kind) == (sheet.split(";")[0].split(".")[1].count("0")
                                  if "." in sheet else 0)


def test_the_usual_gap_reads_the_same_in_the_pdf_and_the_email():
    action = {"action": "purchase_overdue", "value": 45, "limit": 4.86, "detail": 1.62}
    pdf = describe_action(action, "en")
    email = i18n.label("attention_purchase_overdue", "en",
                       value=i18n.quantity(45, "days", "en"),
                       threshold=i18n.quantity(1.62, "days", "en"))
    assert "every 1.6 days" in pdf and "(overdue after 4.9 days)" in pdf
    assert "its usual gap is 1.6 days" in email
    assert i18n.kpi_value(22, "%") == "22.0 %" and i18n.kpi_value(2.86, "contacts") == (
        "2.86 contacts")


@pytest.fixture(scope="module")
def demo_with_two_win_rates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("units")
    demo = python_calamine.CalamineWorkbook.from_path(str(DEMO))
    sheets = {name: _sheet_rows(demo, name) for name in demo.sheet_names}
    score = sheets["Scorecard"]
    width = len(score[0])
    for kpi in (TYPED_AS_PERCENT, TYPED_IN_POINTS):
        score.append([*kpi, *([None] * (width - len(kpi) - 1)), kpi[5]])  # the last month too
    assert score[0][:len(HEADER)] == HEADER
    return write_book(folder / "demo_kpis.xlsx", sheets)


@pytest.mark.libreoffice
def test_both_read_22_0_percent_on_the_sheet_as_libreoffice_shows_it(
        demo_with_two_win_rates, soffice, tmp_path):
    out = tmp_path / "results.xlsx"
    run = CliRunner().invoke(cli, ["scorecard", str(demo_with_two_win_rates), "-o", str(out)])
    assert run.exit_code == 0, run.output
    shown = soffice.to_csv(out, sheet="Scorecard Results", outdir=tmp_path)
    with open(shown, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    top = next(i for i, r in enumerate(rows) if "kpi" in r and "actual" in r)
    header = rows[top]
    body = rows[top + 1:top + 1 + next(i for i, r in enumerate(rows[top + 1:]) if not any(r))]
    found = {r[header.index("kpi")]: r for r in body
             if r[header.index("kpi")].startswith("Win rate")}
    assert len(found) == 2
    for row in found.values():
        assert row[header.index("actual")] == "22.0 %"
        assert row[header.index("target")] == "25.0 %"
        assert row[header.index("status")] == "red"
    # every headline value has a number format: the overall score shows one decimal
    overall = next(r for r in rows if r and r[0] == "overall score (0-100)")
    assert len(overall[1].split(".")[1]) == 1


@pytest.mark.slow
def test_both_read_22_0_percent_in_the_pdf(demo_with_two_win_rates, tmp_path):
    out = tmp_path / "reports"
    run = CliRunner().invoke(cli, ["report", str(demo_with_two_win_rates), "--out", str(out),
                                   "--lang", "en", "--accounts", "C00001", "--jobs", "1"])
    assert run.exit_code == 0, run.output
    summary = next(out.glob("*portfolio-summary_en.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(summary), "-"], capture_output=True,
                          text=True, check=True).stdout
    lines = [line for line in text.splitlines() if "Win rate" in line]
    assert len(lines) == 2, text
    for line in lines:
        assert "25.0 %" in line and "22.0 %" in line
