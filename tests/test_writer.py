"""Result sheets: real Excel tables with formats, written into a copy, atomically, with data
that can never become a formula; and a real client (LibreOffice) opens what we write."""

import datetime as dt
import hashlib

import numpy as np
import openpyxl
import pandas as pd
import pytest

from addin.errors import InputError
from addin.workbook import (
    ResultTable,
    default_results_path,
    earlier_sheets,
    read_sheet,
    write_result_sheets,
)
from addin.workbook.results import display_width

RESULT = pd.DataFrame({
    "customer_id": ["C1", "C2", "C3"],
    "name": ['=HYPERLINK("http://evil.example/","click")', "上海华信贸易有限公司", "@SUM(A1)"],
    "note": ["+1 555", "-2", "ok\x07bell"],
    "revenue": [1234.5, np.nan, 10.0],
    "orders": pd.array([3, 4, 5], dtype="int64"),
    "revenue_share": [0.25, 0.7, 0.05],
    "first_order": pd.to_datetime(["2025-01-01", None, "2026-10-31"]),
    "key_account": [True, False, False],
})


@pytest.fixture
def source(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["customer_id", "name"])
    ws.append(["C1", "Acme"])
    ws["D1"] = "=1+1"
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_result_sheet_is_a_formatted_excel_table(tmp_path, source):
    dest = write_result_sheets(tmp_path / "out.xlsx", {"Tiers": RESULT}, source=source)
    wb = openpyxl.load_workbook(dest)
    assert wb.sheetnames == ["Customers", "Tiers"]
    ws = wb["Tiers"]
    (name, ref), = ws.tables.items()
    assert name == "Tiers" and ref == "A1:H4"
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == list(RESULT.columns)
    assert ws["D2"].number_format == "#,##0.00"
    assert ws["E2"].number_format == "#,##0"
    assert ws["F2"].number_format == "0.0%"
    assert ws["G2"].number_format == "yyyy-mm-dd"
    assert ws["G2"].value == dt.datetime(2025, 1, 1)
    assert ws["D3"].value is None  # NaN is an empty cell, not "nan"
    assert ws["H2"].value is True
    assert ws.column_dimensions["B"].width >= display_width("上海华信贸易有限公司")
    # the user's sheet, formula included, is still there in the copy
    assert wb["Customers"]["D1"].value == "=1+1"


def test_text_that_looks_like_a_formula_stays_text(tmp_path, source):
    dest = write_result_sheets(tmp_path / "out.xlsx", {"Tiers": RESULT}, source=source)
    ws = openpyxl.load_workbook(dest)["Tiers"]
    for cell in ("B2", "B4", "C2", "C3"):
        assert ws[cell].data_type == "s", cell
    assert ws["B2"].value == RESULT.loc[0, "name"]
    assert ws["C4"].value == "okbell"  # a control character XML cannot hold is dropped


def test_source_is_never_written(tmp_path, source):
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    write_result_sheets(default_results_path(source), {"Tiers": RESULT}, source=source)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert default_results_path(source).name == "book_results.xlsx"
    with pytest.raises(InputError, match="is the workbook being read"):
        write_result_sheets(source, {"Tiers": RESULT}, source=source)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


def test_rerun_replaces_its_result_sheet(tmp_path, source):
    dest = tmp_path / "out.xlsx"
    write_result_sheets(dest, {"Tiers": RESULT}, source=source)
    write_result_sheets(dest, {"Tiers": RESULT.iloc[:1]}, source=dest.with_name("book.xlsx"))
    wb = openpyxl.load_workbook(dest)
    assert wb.sheetnames == ["Customers", "Tiers"]
    assert wb["Tiers"].tables["Tiers"].ref == "A1:H2"


def test_results_of_several_commands_accumulate_in_one_copy(tmp_path, source):
    """tier, then survey, then tier again: both sheets stay, in the order first written, the
    rerun replaces its own sheet where it stands, and the user sheets come from the source as
    it is now."""
    dest = default_results_path(source)
    write_result_sheets(dest, {"Tiers": RESULT}, source=source)
    assert earlier_sheets(dest, source, {"Survey Results": RESULT}) == ["Tiers"]
    write_result_sheets(dest, {"Survey Results": RESULT.iloc[:2]}, source=source)
    wb = openpyxl.Workbook()
    wb.active.title = "Customers"
    wb.active.append(["customer_id", "name"])
    wb.active.append(["C9", "changed since"])
    wb.save(source)
    assert earlier_sheets(dest, source, {"Tiers": RESULT}) == ["Survey Results"]
    write_result_sheets(dest, {"Tiers": RESULT.iloc[:1]}, source=source)
    wb = openpyxl.load_workbook(dest)
    assert wb.sheetnames == ["Customers", "Tiers", "Survey Results"]
    assert wb["Customers"]["A2"].value == "C9"
    assert wb["Tiers"].tables["Tiers"].ref == "A1:H2"
    assert wb["Survey Results"].tables["Survey_Results"].ref == "A1:H3"
    assert read_sheet(dest, "Customers")["customer_id"].tolist() == ["C9"]


def test_an_existing_file_that_is_not_a_workbook_is_never_overwritten(tmp_path, source):
    dest = tmp_path / "out.xlsx"
    dest.write_bytes(b"someone's notes")
    with pytest.raises(InputError, match="out.xlsx already exists and the results cannot be "
                                         "added to it"):
        write_result_sheets(dest, {"Tiers": RESULT}, source=source)
    assert dest.read_bytes() == b"someone's notes"


def test_several_titled_tables_on_one_sheet_get_unique_table_names(tmp_path):
    dest = write_result_sheets(tmp_path / "out.xlsx", {"Survey Results": [
        ResultTable(RESULT, "Headline"), ResultTable(RESULT.iloc[:0], "Nothing here"),
        ResultTable(RESULT[["customer_id"]], "Ids", formats={"customer_id": "@"}),
    ]})
    ws = openpyxl.load_workbook(dest)["Survey Results"]
    assert ws["A1"].value == "Headline" and ws["A1"].font.bold
    assert sorted(ws.tables) == ["Survey_Results", "Survey_Results_2"]
    assert ws.tables["Survey_Results"].ref == "A2:H5"


def test_failed_write_leaves_no_partial_file(tmp_path, source, monkeypatch):
    dest = tmp_path / "out.xlsx"
    write_result_sheets(dest, {"Tiers": RESULT}, source=source)
    previous = dest.read_bytes()

    def boom(self, filename):
        with open(filename, "wb") as fh:
            fh.write(b"half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        write_result_sheets(dest, {"Tiers": RESULT}, source=source)
    assert dest.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "out.xlsx"]


def test_results_read_back_through_our_reader(tmp_path, source):
    dest = write_result_sheets(tmp_path / "out.xlsx", {"Tiers": RESULT}, source=source)
    back = read_sheet(dest, "Customers")
    assert back["customer_id"].tolist() == ["C1"]


@pytest.mark.libreoffice
def test_libreoffice_opens_the_result_workbook_and_sees_our_values(tmp_path, source, soffice):
    dest = write_result_sheets(tmp_path / "out.xlsx", {"Tiers": RESULT}, source=source)
    csv = soffice.to_csv(dest, sheet="Tiers")
    back = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert back["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert back["name"].tolist() == RESULT["name"].tolist()  # shown as text, not evaluated
    assert back["note"].tolist() == ["+1 555", "-2", "okbell"]
    assert back["revenue"].tolist() == ["1,234.50", "", "10.00"]
    assert back["revenue_share"].tolist() == ["25.0%", "70.0%", "5.0%"]
    assert back["first_order"].tolist() == ["2025-01-01", "", "2026-10-31"]


@pytest.mark.libreoffice
def test_charts_and_conditional_formats_are_native_and_libreoffice_draws_them(tmp_path, soffice):
    import zipfile

    from addin.workbook import Chart, Rule

    kpis = pd.DataFrame({"kpi": ["a", "b", "c"], "progress": [0.5, 1.1, 0.9],
                         "status": ["red", "green", "amber"], "gap": [-0.5, 0.2, 0.0]})
    ipa = pd.DataFrame({"item": ["x", "y"], "importance": [4.1, 3.2], "performance": [3.0, 4.2]})
    dest = write_result_sheets(tmp_path / "r.xlsx", {"R": [
        ResultTable(kpis, "KPIs", chart=Chart("line", "kpi", ["progress"], "Progress"),
                    rules=[Rule("progress", "databar"), Rule("status", "rag"),
                           Rule("gap", "diverging"), Rule("gap", "negative_red")]),
        ResultTable(ipa, "IPA", chart=Chart("scatter", "importance", ["performance"])),
    ]})
    ws = openpyxl.load_workbook(dest)["R"]
    rules = {str(cf.sqref): [r.type for r in cf.rules] for cf in ws.conditional_formatting}
    # KPIs: title row 1, header row 2, data rows 3-5
    assert rules == {"B3:B5": ["dataBar"], "C3:C5": ["cellIs", "cellIs", "cellIs"],
                     "D3:D5": ["colorScale", "cellIs"]}
    with zipfile.ZipFile(dest) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2
        line = z.read(charts[0]).decode()
        scatter = z.read(charts[1]).decode()
    assert "<lineChart>" in line and "'R'!$B$3:$B$5" in line and "'R'!$A$3:$A$5" in line
    assert "<scatterChart>" in scatter
    # the IPA table starts below the chart's rows, not under it
    assert ws.cell(row=2 + 16 + 2, column=1).value == "IPA"
    pdf = soffice.convert(dest, "pdf", tmp_path / "pdf")
    assert pdf.stat().st_size > 0


def test_rules_and_charts_must_name_columns_of_their_table():
    from addin.workbook import Chart, Rule

    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match=r"no column\(s\) \['b'\]"):
        ResultTable(frame, "t", rules=[Rule("b", "databar")])
    with pytest.raises(ValueError, match="chart kind"):
        Chart("pie", "a", ["a"])
    with pytest.raises(ValueError, match="rule kind"):
        Rule("a", "sparkle")
