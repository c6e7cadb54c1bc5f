"""``crm-addin churn`` and ``crm-addin forecast`` on a small workbook built here: the Retention,
Churn and Forecast sheets read back; CRM_RETENTION, CRM_CHURN and CRM_FORECAST called as Excel
calls them give the same cells; bad input exits 2 naming the setting or sheet, writing nothing."""

import datetime as dt
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write_xlsx
from test_churn_forecast import synthetic_log

from addin.cli import cli
from addin.functions import CRM_CHURN, CRM_FORECAST, CRM_RETENTION
from addin.functions.ranges import FUNCTIONS

AS_OF = "2025-12-31"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def tables_of(path, sheet) -> dict[str, list[list]]:
    """Every Excel table of a sheet as rows of cells (header first), by its title."""
    ws = openpyxl.load_workbook(path)[sheet]
    out = {}
    for table in ws.tables.values():
        (top, left), (bottom, right) = (
            openpyxl.utils.cell.coordinate_to_tuple(c) for c in table.ref.split(":"))
        out[ws.cell(top - 1, left).value] = [
            [ws.cell(r, c).value for c in range(left, right + 1)] for r in range(top, bottom + 1)]
    return out


def _plain(v):
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.replace(microsecond=0)
    return v


def assert_same_cells(sheet_rows, spilled):
    assert len(sheet_rows) == len(spilled)
    for got_row, want_row in zip(sheet_rows, spilled, strict=True):
        assert len(got_row) == len(want_row)
        for got, want in zip(got_row, want_row, strict=True):
            got, want = _plain(got), _plain(want)
            if isinstance(want, float) and not isinstance(want, bool):
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
            else:
                assert got == want


def _book(path, settings=(), log=None):
    log = log if log is not None else synthetic_log(n=70, seed=3, end=AS_OF)
    ids = sorted(log["customer_id"].unique())
    rng = np.random.default_rng(11)
    customers = [("customer_id", "name", "region", "segment", "account_manager")] + [
        (c, f"Company {c}", ["North", "South"][i % 2], ["Retail", "Industry"][i % 3 == 0],
         ["Ann", "Bo"][i % 2]) for i, c in enumerate(ids)]
    complaints = [("customer_id", "opened", "closed", "severity")] + [
        (c, dt.datetime(2025, 1, 1) + dt.timedelta(days=int(rng.integers(0, 300))), None,
         "high") for c in rng.choice(ids, 25)]
    tx = [("customer_id", "date", "amount")] + [
        (r.customer_id, r.date.to_pydatetime(), round(r.amount, 2)) for r in log.itertuples()]
    sheets = {"Customers": customers, "Transactions": tx, "Complaints": complaints,
              "Settings": [("key", "value"), ("as_of", AS_OF), *settings]}
    return write_xlsx(path, sheets), tx


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("churn")
    return _book(folder / "crm.xlsx")


def _columns(tx):
    ids = [[r[0]] for r in tx]
    dates = [[r[1]] for r in tx]
    amounts = [[r[2]] for r in tx]
    return ids, dates, amounts


def test_churn_writes_retention_and_churn_sheets_matching_the_functions(book):
    path, tx = book
    result = run("churn", path)
    assert result.exit_code == 0, result.output
    assert "accounts as of 2025-12-31" in result.output
    out = path.with_name("crm_results.xlsx")
    wb = openpyxl.load_workbook(out)
    assert {"Retention", "Churn", "Transactions"} <= set(wb.sheetnames)
    assert len(wb["Retention"]._charts) == 1 and len(wb["Churn"]._charts) == 1
    retention = tables_of(out, "Retention")
    assert list(retention) == ["Cohort retention", "Share of each cohort still buying",
                               "Net revenue retention", "Average retention curve"]
    # the heat map: a colour scale on every month column of the matrix
    assert len(wb["Retention"].conditional_formatting) >= 2
    churn = tables_of(out, "Churn")
    for title in ("Churn", "Churn rate per quarter", "Churn in the last 12 months by segment",
                  "Churn in the last 12 months by region", "Churn in the last 12 months by tier",
                  "Churn in the last 12 months by account manager", "What the data say",
                  "Why they left: lost vs retained accounts of the same tiers",
                  "Logistic regression (odds of being lost)", "Win-back list", "Accounts"):
        assert title in churn, title
    ids, dates, amounts = _columns(tx)
    assert_same_cells(retention["Share of each cohort still buying"],
                      CRM_RETENTION(ids, dates, amounts))
    assert_same_cells(churn["Accounts"], CRM_CHURN(ids, dates, amounts))
    # the churn sheet's lost accounts are the Tiers' terminated ones (one loss rule)
    lost = {r[0] for r in churn["Accounts"][1:] if r[9]}
    assert lost and len(lost) < len(churn["Accounts"]) - 1


def test_forecast_writes_its_sheet_matching_the_function(book):
    path, tx = book
    out = path.with_name("forecast.xlsx")
    result = run("forecast", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert "backtest BG/NBD x Gamma-Gamma vs all revenue: MAPE" in result.output
    tables = tables_of(out, "Forecast")
    assert list(tables)[:5] == ["Revenue forecast", "Model forecast (existing customers)",
                                "Model and baseline", "Backtest: held-out months",
                                "Backtest errors"]
    assert len(openpyxl.load_workbook(out)["Forecast"]._charts) == 3
    ids, dates, amounts = _columns(tx)
    assert_same_cells(tables["Model forecast (existing customers)"],
                      CRM_FORECAST(ids, dates, amounts, 12))
    line = tables["Model forecast (existing customers)"]
    per_customer = tables["Expected revenue per customer"]
    column = per_customer[0].index("expected_revenue")
    total = sum(r[column] for r in per_customer[1:])
    assert total == pytest.approx(sum(r[3] for r in line[1:]))
    headline = {r[0]: r[1] for r in tables["Revenue forecast"][1:]}
    assert headline["lower backtest error"] in ("BG/NBD x Gamma-Gamma", "exponential smoothing")
    assert "plan" not in headline


def test_forecast_vs_plan_from_settings(tmp_path):
    path, _ = _book(tmp_path / "plan.xlsx", settings=[("revenue_plan", 1_000_000),
                                                      ("holdout_months", 3)])
    out = tmp_path / "plan_out.xlsx"
    result = run("forecast", path, "-o", out, "--months", 6)
    assert result.exit_code == 0, result.output
    tables = tables_of(out, "Forecast")
    plan = dict(zip(*tables["Forecast vs plan"], strict=True))
    assert plan["plan"] == 1_000_000
    assert plan["gap"] == pytest.approx(plan["forecast"] - 1_000_000)
    assert len(tables["Model forecast (existing customers)"]) == 1 + 6
    assert len(tables["Backtest: held-out months"]) == 1 + 3


@pytest.mark.parametrize(("command", "settings", "message"), [
    ("churn", [("loss_gap_factor", 0)], "loss_gap_factor"),
    ("forecast", [("holdout_months", 40)], "holdout_months 40 leaves 0 months"),
    ("forecast", [("forecast_months", 0)], "forecast_months"),
])
def test_bad_settings_exit_2_naming_the_setting(tmp_path, command, settings, message):
    path, _ = _book(tmp_path / "bad.xlsx", settings=settings)
    result = run(command, path)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "bad_results.xlsx").exists()


def test_too_little_history_exits_2_saying_how_much_is_needed(tmp_path):
    log = pd.DataFrame({"customer_id": ["a", "b", "a"], "date": pd.to_datetime(
        ["2025-12-01", "2025-12-02", "2025-12-20"]), "amount": [1.0, 2.0, 3.0]})
    path, _ = _book(tmp_path / "short.xlsx", log=log)
    for command, message in (("churn", "at least 2 are needed"),
                             ("forecast", "holdout_months 6 leaves 0 months")):
        result = run(command, path)
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert not (tmp_path / "short_results.xlsx").exists()


def test_functions_are_registered_and_bad_input_is_one_line():
    for name in ("CRM_RETENTION", "CRM_CHURN", "CRM_FORECAST"):
        info = FUNCTIONS[name]
        assert info.category == "CRM Churn" and info.heavy and len(info.summary) > 30
    ids = [["customer_id"], ["a"], ["a"]]
    dates = [["date"], [dt.datetime(2025, 1, 1)], [dt.datetime(2025, 3, 1)]]
    amounts = [["amount"], [10], [20]]
    assert CRM_CHURN(ids, dates, amounts, 0).startswith("#CRM! loss_gap_factor")
    assert CRM_CHURN(ids, dates, amounts, None, None, None, -1).startswith(
        "#CRM! min_silence_days")
    assert CRM_FORECAST(ids, dates, amounts, 48).startswith("#CRM! months")
    assert CRM_RETENTION(ids, dates, [["amount"], [10], ["x"]]).startswith("#CRM! amounts")
    assert not math.isnan(len(CRM_RETENTION(ids, dates, amounts)))


def test_ribbon_macros_write_the_same_sheets(book, tmp_path):
    from addin.excel import macros, ribbon
    from addin.excel.book import FileBook

    assert {"churn", "forecast"} <= {b.macro for b in ribbon.buttons()}
    path, _ = book
    copy = tmp_path / "ribbon.xlsx"
    copy.write_bytes(path.read_bytes())
    fb = FileBook(copy)
    assert macros.churn(fb) is not None
    assert macros.forecast(fb) is not None
    written = openpyxl.load_workbook(fb.written[-1])
    assert {"Retention", "Churn", "Forecast"} <= set(written.sheetnames)
    assert [error for _, error in fb.messages] == [False, False]
    assert "accounts as of 2025-12-31" in fb.messages[0][0]


def test_the_churn_and_forecast_buttons_name_a_misspelt_setting_with_the_closest_key(
        tmp_path):
    from addin.excel import macros
    from addin.excel.book import FileBook

    path, _ = _book(tmp_path / "typo.xlsx", settings=[("loss_gap_facter", 2)])
    for macro in (macros.churn, macros.forecast):
        fb = FileBook(path)
        assert macro(fb) is not None
        [(text, error)] = fb.messages
        assert not error and ("- sheet 'Settings', row 3, column 'key': unknown setting "
                              "`loss_gap_facter` on row 3: did you mean `loss_gap_factor`?"
                              ) in text.splitlines()


def test_the_live_book_writes_the_churn_sheets_with_their_heat_maps(book, tmp_path):
    """The ribbon in Excel: the churn macro through the xlwings book (the fake that records
    xlwings' own chart and conditional-format calls) writes the same conditional-format
    ranges as the file book, the heat map's colour scale among them."""
    from xlwings_fake import FakeBook, xlwings_values

    from addin.excel import macros
    from addin.excel.book import ExcelBook, FileBook

    path, _ = book
    fake = FakeBook(xlwings_values(path), fullname="C:/crm/crm.xlsx")
    assert macros.churn(ExcelBook(fake)) is not None
    copy = tmp_path / "file.xlsx"
    copy.write_bytes(path.read_bytes())
    fb = FileBook(copy)
    macros.churn(fb)
    results = openpyxl.load_workbook(fb.written[-1])
    for sheet in ("Retention", "Churn"):  # same layout: the charted columns are side by side
        live = {c[1][1:] for c in fake.log if c[0].startswith("cf.") and c[1][0] == sheet}
        file = {((r.min_row, r.min_col), (r.max_row, r.max_col))
                for cf in results[sheet].conditional_formatting for r in cf.sqref.ranges}
        assert live == file and live, sheet
    scales = [c for c in fake.log if c[0].startswith("cf.") and c[1][0] == "Retention"]
    assert len(scales) >= 2  # every month column of both matrices
