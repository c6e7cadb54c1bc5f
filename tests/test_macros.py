"""Every ribbon macro on a copy of the demo workbook (through the file book, result sheets read
back), the shared plumbing (bad input as a message naming sheet, row and column; the caller's
workbook by default), and one macro end to end through the xlwings book on a fake."""

from __future__ import annotations

import datetime as dt
import math
import platform
import re
import shutil

import openpyxl
import pandas as pd
import pytest
import xlwings
from xlwings_fake import FakeBook, xlwings_values

from addin import __version__
from addin.demo import demo_workbook_path
from addin.excel import macros
from addin.excel.book import ExcelBook, FileBook
from addin.jobs import survey_workbook
from addin.jobs.scorecard import scorecard_workbook
from addin.jobs.tier import tier_workbook
from addin.workbook import load_crm_workbook


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Every macro run once, in ribbon order, on one copy of the demo workbook."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo_crm.xlsx"
    shutil.copyfile(demo_workbook_path(), path)
    book = FileBook(path)
    returned = {name: getattr(macros, name)(book) for name in (
        "validate", "tier", "survey", "scorecard",
        "show_function_reference", "about")}
    results = openpyxl.load_workbook(book.written[0])
    return book, returned, results


def table_below(ws, title: str) -> pd.DataFrame:
    """The table under the title cell ``title`` in column A: header row, then rows until a
    blank first cell."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == title)
    header = [h for h in rows[start + 1] if h is not None]
    body = []
    for r in rows[start + 2:]:
        if r[0] is None:
            break
        body.append(list(r[:len(header)]))
    return pd.DataFrame(body, columns=header)


def test_every_macro_writes_into_one_copy_and_leaves_the_workbook(demo_run):
    book, _, results = demo_run
    assert set(book.written) == {book.path.with_name("demo_crm_results.xlsx")}
    assert results.sheetnames[-5:] == ["Validation", "Tiers", "Survey Results",
                                       "Scorecard Results", "CRM Functions"]
    assert book.path.read_bytes() == demo_workbook_path().read_bytes()
    assert [error for _, error in book.messages] == [False] * 6


def test_validate_lists_problems_with_links_to_the_cells(demo_run):
    book, returned, results = demo_run
    ws = results["Validation"]
    assert ws["A1"].value == "Problems: 0 errors, 0 warnings (click a cell to go there)"
    dups = table_below(ws, "Duplicate customers")
    # the demo plants 4 duplicate groups, 8 records (workbooks/README.md)
    assert len(dups) == 8 and dups["group"].nunique() == 4
    first = next(r for r in ws.iter_rows() if r[0].value == "group")[0].row + 1
    link = ws.cell(row=first, column=3)
    assert link.value == 149 and link.hyperlink.location == "'Customers'!A149"
    assert book.messages[0][0] == (
        "demo_crm.xlsx: 0 errors, 0 warnings, 4 groups of duplicate customers (8 records).\n"
        "The workbook can be used.\n"
        f"Written to {book.written[0]}; click a cell reference to go there.")
    assert returned["validate"].ok


def test_tier_customers_writes_the_tiers_sheet_of_the_tier_job(demo_run):
    book, returned, results = demo_run
    expected = tier_workbook(load_crm_workbook(demo_workbook_path()))
    customers = table_below(results["Tiers"], "Customers")
    assert len(customers) == len(expected.tiers) == 1999
    top = expected.customers_table().iloc[0]
    assert customers.loc[0, "customer_id"] == top["customer_id"]
    assert customers.loc[0, "revenue"] == pytest.approx(top["revenue"])
    counts = expected.tiers["pyramid_tier"].value_counts()
    assert book.messages[1][0].splitlines()[1] == "Pyramid: " + ", ".join(
        f"{label} {int(counts[label]):,}" for label in expected.settings.pyramid_labels)
    assert returned["tier"].pareto() == expected.pareto()


def test_analyse_survey_writes_the_survey_results_sheet(demo_run):
    book, _, results = demo_run
    expected = survey_workbook(load_crm_workbook(demo_workbook_path()))
    headline = table_below(results["Survey Results"], "Survey headline")
    want = expected.report.headline()
    assert headline["measure"].tolist() == want["measure"].tolist()
    assert headline["value"].astype(float).tolist() == pytest.approx(
        want["value"].astype(float).tolist(), nan_ok=True)
    assert book.messages[2][0] == "\n".join(
        [*expected.summary_lines(), "", f"Written to {book.written[0]}."])


def test_evaluate_scorecard_writes_the_scorecard_results_sheet(demo_run):
    book, returned, results = demo_run
    expected = scorecard_workbook(load_crm_workbook(demo_workbook_path()))
    ws = results["Scorecard Results"]
    headline = table_below(ws, "Balanced scorecard").set_index("measure")["value"]
    assert headline["overall score (0-100)"] == pytest.approx(expected.result.overall)
    perspectives = table_below(ws, "Perspectives").set_index("perspective")
    want = expected.result.perspectives
    assert perspectives.index.tolist() == want.index.tolist()
    assert perspectives["score"].tolist() == pytest.approx(want["score"].tolist())
    assert perspectives["status"].tolist() == want["status"].tolist()
    kpis = table_below(ws, "KPIs")
    assert len(kpis) == len(expected.result.kpis)
    assert book.messages[3][0] == "\n".join(
        [*expected.summary_lines(), "", f"Written to {book.written[0]}."])
    assert returned["scorecard"].result.overall == pytest.approx(
        expected.result.overall)


def test_function_reference_lists_every_registered_function(demo_run):
    from addin.functions.ranges import FUNCTIONS

    book, _, results = demo_run
    ws = results["CRM Functions"]
    title = ws["A1"].value
    listed = table_below(ws, title)
    assert sorted(listed["function"].str.split("(").str[0]) == sorted(FUNCTIONS)
    nps = listed.set_index("category").loc["CRM Surveys"]
    nps = nps[nps["function"] == "CRM_NPS(values, [promoter_min], [detractor_max])"].iloc[0]
    assert nps["arguments"].splitlines()[1] == (
        "promoter_min (optional): lowest promoter answer (default 9)")
    assert book.messages[4][0] == f"{len(FUNCTIONS)} CRM functions listed on {book.written[0]}."


def test_about_names_the_versions(demo_run):
    book, returned, _ = demo_run
    assert book.messages[5][0] == returned["about"] == (
        f"CRM add-in {__version__}\n"
        f"Python {platform.python_version()} ({platform.system()})\n"
        f"xlwings {xlwings.__version__}")


# ----------------------------------------------------------------- shared plumbing

CUSTOMERS = [["customer_id", "name"], ["C1", "Acme"], ["C2", "Bolt"]]
BAD_TRANSACTIONS = [["customer_id", "date", "amount"], ["C1", dt.datetime(2026, 1, 5), 10],
                    ["C2", "soon", 20]]


@pytest.mark.parametrize("name", ["tier", "survey", "churn", "forecast"])
def test_bad_input_is_a_message_naming_sheet_row_and_column(make_xlsx, name):
    path = make_xlsx({"Customers": CUSTOMERS, "Transactions": BAD_TRANSACTIONS})
    book = FileBook(path)
    assert getattr(macros, name)(book) is None
    action = macros.ACTIONS[name]
    assert book.messages == [(
        f"{action} stopped: the workbook has 1 problem to fix.\n\n"
        "- sheet 'Transactions', row 3, column 'date' (B): expected a date (an Excel date, or "
        "text such as 2026-03-31) (found 'soon')", True)]
    assert book.written == []


def test_a_macro_checks_only_the_sheets_it_reads(make_xlsx):
    # the scorecard never reads Transactions: its bad date does not stop Evaluate scorecard
    rows = [["perspective", "objective", "kpi", "weight", "target", "actual"],
            ["Financial", "Grow", "Revenue", 1, 100, 75]]
    book = FileBook(make_xlsx({"Customers": CUSTOMERS, "Transactions": BAD_TRANSACTIONS,
                               "Scorecard": rows}))
    report = macros.scorecard(book)
    assert report is not None and report.result.overall == pytest.approx(75.0)
    assert book.written and not book.messages[0][1]


def test_a_misspelt_setting_is_named_in_the_message_with_the_closest_key(make_xlsx):
    rows = [["perspective", "objective", "kpi", "weight", "target", "actual"],
            ["Financial", "Grow", "Revenue", 1, 100, 75]]
    settings = [["key", "value"], ["currency", "EUR"], ["fiscal_year_strat", 4]]
    book = FileBook(make_xlsx({"Scorecard": rows, "Settings": settings}))
    assert macros.scorecard(book) is not None
    [(text, error)] = book.messages
    assert not error and ("- sheet 'Settings', row 3, column 'key': unknown setting "
                          "`fiscal_year_strat` on row 3: did you mean `fiscal_year_start`?"
                          ) in text.splitlines()


def test_a_bad_scorecard_setting_is_a_message_naming_its_row(make_xlsx):
    rows = [["perspective", "objective", "kpi", "weight", "target", "actual"],
            ["Financial", "Grow", "Revenue", 1, 100, 75]]
    settings = [["key", "value"], ["currency", "EUR"], ["perspective_ahp", "2, 4, 8"]]
    book = FileBook(make_xlsx({"Scorecard": rows, "Settings": settings}))
    assert macros.scorecard(book) is None
    [(text, error)] = book.messages
    assert error and text.splitlines()[:3] == [
        "Evaluate scorecard stopped: the workbook has 1 problem to fix.", "",
        "- sheet 'Settings', row 3, column 'value': setting 'perspective_ahp': expected six "
        "positive judgements F-C, F-I, F-L, C-I, C-L, I-L (Saaty 1-9 scale, 1/3 for less) "
        "(found '2, 4, 8')"]
    assert book.written == []


def test_problem_message_caps_the_list():
    from addin.errors import InputError, Problem

    exc = InputError.from_problems(
        [Problem("expected a number", sheet="Transactions", row=r, column="amount", letter="C")
         for r in range(2, 15)])
    lines = macros.problem_message("Tier customers", exc, limit=2).splitlines()
    assert lines == ["Tier customers stopped: the workbook has 13 problems to fix.", "",
                     "- sheet 'Transactions', row 2, column 'amount' (C): expected a number",
                     "- sheet 'Transactions', row 3, column 'amount' (C): expected a number",
                     "- ... and 11 more problems", "",
                     "Validate lists every problem on the Validation sheet, with links to the "
                     "cells."]


def test_validate_links_each_problem_to_its_cell(make_xlsx):
    path = make_xlsx({"Customers": CUSTOMERS, "Transactions": BAD_TRANSACTIONS})
    book = FileBook(path)
    report = macros.validate(book)
    assert len(report.errors) == 1
    ws = openpyxl.load_workbook(book.written[0])["Validation"]
    problems = table_below(ws, "Problems: 1 errors, 0 warnings (click a cell to go there)")
    assert problems[["severity", "sheet", "row", "cell"]].values.tolist() == [
        ["error", "Transactions", 3, "B3"]]
    assert ws["E3"].hyperlink.location == "'Transactions'!B3"
    text, error = book.messages[0]
    assert error and text.startswith("book.xlsx: 1 error, 0 warnings, 0 groups of duplicate "
                                     "customers (0 records).\nFix the errors")


def test_a_problem_without_a_row_links_to_the_sheet(make_xlsx):
    contacts = [["customer_id", "date", "channel"], ["C1", dt.datetime(2026, 1, 1), "phone"]]
    path = make_xlsx({"Customers": CUSTOMERS, "联系记录": contacts},
                     states={"联系记录": "hidden"})
    book = FileBook(path)
    report = macros.validate(book)
    assert report.ok and len(report.warnings) == 1
    ws = openpyxl.load_workbook(book.written[0])["Validation"]
    problems = table_below(ws, "Problems: 0 errors, 1 warnings (click a cell to go there)")
    assert problems[["severity", "sheet", "cell"]].values.tolist() == [
        ["warning", "联系记录", "A1"]]
    assert ws["E3"].hyperlink.location == "'联系记录'!A1"
    assert book.messages[0] == (
        "book.xlsx: 0 errors, 1 warning, 0 groups of duplicate customers (0 records).\n"
        f"The workbook can be used.\nWritten to {book.written[0]}; click a cell reference to "
        "go there.", False)


def test_in_place_writes_back_with_a_backup(make_xlsx):
    path = make_xlsx({"Customers": CUSTOMERS,
                      "Transactions": BAD_TRANSACTIONS[:2] + [["C2", dt.datetime(2026, 2, 1),
                                                               20]]})
    before = path.read_bytes()
    macros.tier(FileBook(path, in_place=True))
    assert "Tiers" in openpyxl.load_workbook(path).sheetnames
    [backup] = path.parent.glob("book.bak-*.xlsx")
    assert backup.read_bytes() == before


# ----------------------------------------------------------------- through the live book


def test_validate_in_a_live_workbook_writes_links_and_alerts(make_xlsx):
    fake = FakeBook({"Customers": CUSTOMERS, "Transactions": BAD_TRANSACTIONS},
                    fullname="C:/crm/live.xlsx")
    report = macros.validate(ExcelBook(fake))
    assert [p.cell for p in report.errors] == ["B3"]
    assert ("sheets.add", "Validation", None, "Transactions") in fake.log
    written = [c for c in fake.log if c[0] == "value" and c[1][0] == "Validation"
               and c[2] == {"index": False, "header": True}]
    assert written[0][3]["cell"].tolist() == ['=HYPERLINK("#\'Transactions\'!B3","B3")']
    [alert] = fake.calls("alert")
    assert alert[1].startswith("live.xlsx: 1 error, 0 warnings") and alert[4] == "critical"


def test_macros_default_to_the_calling_workbook(monkeypatch):
    fake = FakeBook({"Customers": CUSTOMERS})
    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: fake))
    macros.about()
    assert [c[1] for c in fake.calls("alert")] == [macros.about_text()]


def test_libreoffice_opens_the_problems_sheet_with_its_links(make_xlsx, soffice, tmp_path):
    import csv

    path = make_xlsx({"Customers": CUSTOMERS, "Transactions": BAD_TRANSACTIONS})
    book = FileBook(path)
    macros.validate(book)
    shown = soffice.to_csv(book.written[0], "Validation", tmp_path / "csv")
    rows = list(csv.reader(shown.open(encoding="utf-8")))
    assert rows[1][:5] == ["severity", "sheet", "row", "column", "cell"]
    assert rows[2][:5] == ["error", "Transactions", "3", "date", "B3"]
    resaved = soffice.convert(book.written[0], "xlsx", tmp_path / "resaved")
    link = openpyxl.load_workbook(resaved)["Validation"]["E3"].hyperlink
    assert link is not None and "Transactions" in (link.location or link.target or "")


SHEET_MACROS = ("validate", "tier", "survey", "scorecard")


@pytest.fixture(scope="module")
def live_demo_run():
    """The macros that write sheets, run on the demo workbook's cells through the xlwings book
    (a fake that converts each frame with xlwings' own pandas converter and refuses values
    Excel cannot hold)."""
    fake = FakeBook(xlwings_values(demo_workbook_path()), fullname="C:/crm/demo_crm.xlsx")
    book = ExcelBook(fake)
    for name in SHEET_MACROS:
        assert getattr(macros, name)(book) is not None
    return fake


def shown(value):
    """What a cell written through xlwings shows: a HYPERLINK's friendly name, text without
    the apostrophe that keeps it text, a datetime for a Timestamp."""
    if isinstance(value, str) and value.startswith("=HYPERLINK("):
        shown_part = re.fullmatch(r'=HYPERLINK\("(?:[^"]|"")*",(.*)\)', value).group(1)
        return (shown_part[1:-1].replace('""', '"') if shown_part.startswith('"')
                else float(shown_part))
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value


def same_cell(live, file) -> bool:
    """Equal cells; numbers to the 15 significant digits openpyxl writes."""
    if isinstance(live, float) and isinstance(file, (int, float)):
        return math.isclose(live, file, rel_tol=1e-14)
    return live == file and type(live) is type(file) or (
        isinstance(live, (int, float)) and isinstance(file, (int, float)) and live == file)


def test_the_live_book_writes_what_the_file_book_writes(demo_run, live_demo_run):
    _, _, results = demo_run
    log = live_demo_run.log
    titles = {(c[1][0], c[1][1][0]): c[3] for c in log if c[0] == "value" and not c[2]}
    tables = [c for c in log if c[0] == "value" and c[2] == {"index": False, "header": True}]
    compared = set()
    for _, (sheet, (row, _), _), _, frame in tables:
        ws = results[sheet]
        title = titles[(sheet, row - 1)]
        top = next(r[0].row for r in ws.iter_rows(max_col=1) if r[0].value == title) + 1
        assert top == row, (sheet, title)  # the same layout
        rows = [list(r) for r in ws.iter_rows(min_row=top, max_row=top + len(frame),
                                               max_col=frame.shape[1], values_only=True)]
        assert rows[0] == list(frame.columns), (sheet, title)
        live = [[shown(v) for v in r] for r in frame.itertuples(index=False)]
        for got, want in zip(live, rows[1:], strict=True):
            assert list(map(same_cell, got, want)) == [True] * len(got), (sheet, title, got, want)
        compared.add((sheet, title))
    assert {sheet for sheet, _ in compared} == {"Validation", "Tiers", "Survey Results",
                                                "Scorecard Results"}
    assert len(compared) == len(tables)
    # the same charts, at the same cells, and conditional formats on the same ranges
    for sheet in {sheet for sheet, _ in compared}:
        ws = results[sheet]
        anchors = sorted((c.anchor._from.row + 1, c.anchor._from.col + 1) for c in ws._charts)
        assert sorted(c[5][1] for c in log if c[0] == "charts.add" and c[1][0] == sheet) == (
            anchors)
        live_ranges = {c[1][1:] for c in log if c[0].startswith("cf.") and c[1][0] == sheet}
        file_ranges = {((r.min_row, r.min_col), (r.max_row, r.max_col))
                       for cf in ws.conditional_formatting for r in cf.sqref.ranges}
        assert live_ranges == file_ranges, sheet
    assert len(live_demo_run.calls("charts.add")) == 3  # Pareto, IPA map, scores by month
    assert [c[4] for c in live_demo_run.calls("alert")] == ["info"] * len(SHEET_MACROS)


def test_every_ribbon_button_runs_a_macro_that_takes_no_arguments():
    import inspect

    from addin.excel.ribbon import GROUPS

    tags = {button.macro for group in GROUPS for button in group.buttons}
    present = {tag for tag in tags if callable(getattr(macros, tag, None))}
    assert tags == present
    for tag in present:  # RunPython calls crm.<tag>(): the book is optional
        params = inspect.signature(getattr(macros, tag)).parameters.values()
        assert all(p.default is not inspect.Parameter.empty for p in params)
