"""The workbook contract: header aliases, required columns, row numbers, typed columns and
problems that name the cell. Each fixture workbook is built here from a few rows."""

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import write_xlsx

from addin.contract.schema import COLUMN_ALIASES, SHEETS, canonical_column, canonical_sheet
from addin.errors import InputError
from addin.workbook import load_crm_workbook, read_sheet, read_sheet_checked, settings_dict


def book(tmp_path: Path, sheets, name="book.xlsx") -> Path:
    return write_xlsx(tmp_path / name, sheets)


CUSTOMERS = [["customer_id", "name"], ["C1", "Acme Ltd"], ["C2", "华信贸易有限公司"]]


@pytest.mark.parametrize(
    "header, canonical",
    [
        ("customer_id", "customer_id"),
        ("Customer ID", "customer_id"),
        ("CUSTOMER_ID", "customer_id"),
        (" customer  id ", "customer_id"),
        ("customerid", "customer_id"),
        ("Ｃｕｓｔｏｍｅｒ＿ＩＤ", "customer_id"),  # full-width
        ("客户编号", "customer_id"),
        ("客户名称", "name"),
        ("行业", "industry"),
        ("地区", "region"),
        ("客户经理", "account_manager"),
        ("信用等级", "credit_level"),
        ("Account-Manager", "account_manager"),
    ],
)
def test_customer_header_aliases(header, canonical):
    assert canonical_column("Customers", header) == canonical


@pytest.mark.parametrize("header, canonical", [("日期", "date"), ("金额", "amount"),
                                               ("毛利", "margin"), ("Value", "amount")])
def test_transaction_header_aliases(header, canonical):
    assert canonical_column("Transactions", header) == canonical


def test_aliases_resolve_per_sheet():
    # "value" is an alias of amount on Transactions but the value column on Settings.
    assert canonical_column("Settings", "value") == "value"
    assert canonical_column("Customers", "amount") is None


@pytest.mark.parametrize("name, canonical", [("Customers", "Customers"), ("客户", "Customers"),
                                             ("交易", "Transactions"), ("settings", "Settings"),
                                             ("Balanced Scorecard", "Scorecard"),
                                             ("Notes", None)])
def test_sheet_aliases(name, canonical):
    assert canonical_sheet(name) == canonical


def test_every_alias_belongs_to_a_column_of_the_contract():
    used = {c.name for spec in SHEETS.values() for c in spec.columns}
    assert set(COLUMN_ALIASES) <= used


def test_chinese_headers_read_into_contract_names(tmp_path):
    path = book(tmp_path, {"客户": [
        ["客户编号", "客户名称", "行业", "地区", "客户经理", "信用等级", "备注"],
        ["C001", "上海华信贸易有限公司", "制造", "华东", "王芳", "AA", "老客户"],
    ]})
    frame = read_sheet(path, "Customers")
    assert list(frame.columns) == ["customer_id", "name", "industry", "region",
                                   "account_manager", "credit_level", "备注"]
    assert frame.loc[2, "name"] == "上海华信贸易有限公司"


def test_index_is_the_excel_row_and_blank_rows_are_skipped(tmp_path):
    path = book(tmp_path, {"Transactions": [
        ["customer_id", "date", "amount"],
        ["C1", dt.date(2026, 1, 5), 100],
        [None, None, None],
        ["C2", "2026-01-06", "1,250.00"],
    ]})
    frame = read_sheet(path, "Transactions")
    assert frame.index.tolist() == [2, 4]
    assert frame.index.name == "row"
    assert frame["amount"].tolist() == [100.0, 1250.0]
    assert frame["date"].tolist() == [pd.Timestamp("2026-01-05"), pd.Timestamp("2026-01-06")]
    assert str(frame["date"].dtype).startswith("datetime64")


def test_numeric_ids_become_text_without_decimal(tmp_path):
    path = book(tmp_path, {"Customers": [["customer_id", "name"], [1001, "Acme"], [1002.0, "B"]]})
    assert read_sheet(path, "Customers")["customer_id"].tolist() == ["1001", "1002"]


def test_missing_required_column_names_sheet_and_expected_columns(tmp_path):
    path = book(tmp_path, {"Transactions": [["customer_id", "amount"], ["C1", 5]]})
    with pytest.raises(InputError) as info:
        read_sheet(path, "Transactions")
    err = info.value
    assert err.sheet == "Transactions" and err.row == 1
    assert "missing required column date" in str(err)


def test_every_bad_cell_is_reported_with_sheet_row_column_and_value(tmp_path):
    path = book(tmp_path, {"Transactions": [
        ["customer_id", "date", "amount"],
        ["C1", "someday", 5],
        ["C2", dt.date(2026, 1, 1), "lots"],
        [None, dt.date(2026, 1, 1), 3],
        ["C4", dt.date(2026, 1, 1), "#N/A"],
    ]})
    with pytest.raises(InputError) as info:
        read_sheet(path, "Transactions")
    lines = [str(p) for p in info.value.problems]
    assert lines == [
        "sheet 'Transactions', row 2, column 'date' (B): expected a date (an Excel date, or "
        "text such as 2026-03-31) (found 'someday')",
        "sheet 'Transactions', row 3, column 'amount' (C): expected a number (found 'lots')",
        "sheet 'Transactions', row 4, column 'customer_id' (A): a value is required here "
        "(an id); the cell is blank or holds an Excel error such as #N/A",
        "sheet 'Transactions', row 5, column 'amount' (C): a value is required here "
        "(a number); the cell is blank or holds an Excel error such as #N/A",
    ]


def test_header_as_the_user_wrote_it_is_named(tmp_path):
    path = book(tmp_path, {"交易": [["客户编号", "日期", "金额"], ["C1", "明天", 1]]})
    with pytest.raises(InputError) as info:
        read_sheet(path, "Transactions")
    problem = info.value.problems[0]
    assert (problem.sheet, problem.row, problem.column, problem.letter) == ("交易", 2, "日期", "B")
    assert problem.cell == "B2"


def test_two_headers_meaning_the_same_column(tmp_path):
    path = book(tmp_path, {"Customers": [["customer_id", "客户编号", "name"], ["C1", "C1", "A"]]})
    with pytest.raises(InputError, match="columns A and B both mean 'customer_id'"):
        read_sheet(path, "Customers")


def test_optional_email_that_is_not_an_address_is_a_warning(tmp_path):
    path = book(tmp_path, {"Customers": [["customer_id", "name", "email"], ["C1", "A", "n/a"]]})
    frame, warnings = read_sheet_checked(path, "Customers")
    assert frame.loc[2, "email"] is None
    assert any("e-mail" in str(w) and "row 2" in str(w) for w in warnings)


def test_distribution_email_must_be_an_address(tmp_path):
    path = book(tmp_path, {"Distribution": [["name", "email"], ["Li Na", "li.na at example"]]})
    with pytest.raises(InputError, match="row 2, column 'email'"):
        read_sheet(path, "Distribution")


def test_survey_items_by_prefix_keep_answers(tmp_path):
    path = book(tmp_path, {"Survey": [
        ["respondent_id", "NPS", "Perf Reliability 1", "imp_reliability_1", "kano_f_portal",
         "comment"],
        ["R1", 9, 6, "7", 1, "good"],
        ["R2", "N/A", None, 5, 2, None],
    ]})
    frame = read_sheet(path, "Survey")
    assert list(frame.columns) == ["respondent_id", "nps", "perf_reliability_1",
                                   "imp_reliability_1", "kano_f_portal", "comment"]
    assert frame["nps"].tolist() == [9.0, "N/A"]
    assert frame["imp_reliability_1"].tolist() == [7.0, 5.0]


def test_scorecard_period_columns_and_categories(tmp_path):
    path = book(tmp_path, {"平衡计分卡": [
        ["层面", "objective", "指标", "权重", "目标值", "实际值", "极性", "2026-01",
         dt.datetime(2026, 2, 1), "2026年3月", "Actual 2026/04"],
        ["财务", "Grow key accounts", "Key-account revenue", "40%", 100, 90, "越高越好",
         80, 85, 88, 90],
        ["Learning & Growth", "Skills", "Training hours", 0.6, 20, None, "higher", 5, None,
         None, None],
    ]})
    frame = read_sheet(path, "Scorecard")
    assert frame["perspective"].tolist() == ["financial", "learning and growth"]
    assert frame["polarity"].tolist() == ["higher", "higher"]
    assert frame["weight"].tolist() == [0.4, 0.6]
    assert [c for c in frame.columns if c[:2] == "20"] == ["2026-01", "2026-02", "2026-03",
                                                           "2026-04"]
    assert frame["2026-04"].tolist()[0] == 90.0


def test_unknown_perspective_and_negative_weight_name_the_row(tmp_path):
    path = book(tmp_path, {"Scorecard": [
        ["perspective", "objective", "kpi", "weight", "target", "actual"],
        ["Marketing", "o", "k", 1, 1, 1],
        ["customer", "o", "k2", -1, 1, 1],
    ]})
    with pytest.raises(InputError) as info:
        read_sheet(path, "Scorecard")
    text = [str(p) for p in info.value.problems]
    assert "row 2, column 'perspective' (A): expected one of financial, customer, internal " \
           "process, learning and growth (found 'Marketing')" in text[0]
    assert "row 3, column 'weight' (D): expected a number >= 0 (found -1)" in text[1]


def test_load_collects_problems_of_all_sheets_at_once(tmp_path):
    path = book(tmp_path, {
        "Customers": [["customer_id", "name"], ["C1", None]],
        "Transactions": [["customer_id", "date", "amount"], ["C1", "bad", 1]],
        "Notes": [["anything"]],
    })
    with pytest.raises(InputError) as info:
        load_crm_workbook(path)
    assert [p.sheet for p in info.value.problems] == ["Customers", "Transactions"]


def test_load_returns_every_present_sheet_and_settings(tmp_path):
    path = book(tmp_path, {
        "Customers": CUSTOMERS,
        "Settings": [["key", "value"], ["company_name", "Northwind"], ["abc_a", 0.8]],
        "Notes": [["not a CRM sheet"]],
    })
    wb = load_crm_workbook(path)
    assert list(wb.sheets) == ["Customers", "Settings"]
    assert "Transactions" not in wb
    assert wb.settings == {"company_name": "Northwind", "abc_a": "0.8"}
    assert settings_dict(wb["Settings"])["company_name"] == "Northwind"


def test_workbook_without_any_crm_sheet(tmp_path):
    path = book(tmp_path, {"Sheet1": [["a"], [1]]})
    with pytest.raises(InputError, match="has none of the CRM sheets"):
        load_crm_workbook(path)


def test_missing_sheet_names_the_sheets_found(tmp_path):
    path = book(tmp_path, {"Customers": CUSTOMERS})
    with pytest.raises(InputError, match=r"has no Transactions sheet \(sheets found: Customers\)"):
        read_sheet(path, "Transactions")


def test_reading_a_sheet_that_is_not_in_the_contract(tmp_path):
    path = book(tmp_path, {"Customers": CUSTOMERS})
    with pytest.raises(InputError, match="not a sheet of the CRM workbook contract"):
        read_sheet(path, "Inventory")


def test_error_values_from_a_real_spreadsheet_become_missing(tmp_path):
    # A formula whose cached value is an Excel error (#DIV/0!) reads as blank, as does a cell
    # holding the text "#N/A" pasted from elsewhere.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Transactions"
    ws.append(["customer_id", "date", "amount", "margin"])
    ws.append(["C1", dt.date(2026, 1, 1), 10, "#N/A"])
    ws.append(["C2", dt.date(2026, 1, 2), 20, "#DIV/0!"])
    path = tmp_path / "errors.xlsx"
    wb.save(path)
    frame = read_sheet(path, "Transactions")
    assert frame["margin"].isna().all()
