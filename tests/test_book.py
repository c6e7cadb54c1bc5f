"""The book interface: a live workbook read from its cell values goes through the same checks
as a file; the file book writes and records; the xlwings book makes exactly the xlwings calls
asserted against a fake that is itself checked against the real xlwings classes."""

from __future__ import annotations

import datetime as dt
import inspect

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xlwings_fake import IMPL, REAL, FakeBook, xlwings_values

from addin.errors import InputError
from addin.excel.book import ExcelBook, FileBook, live_values
from addin.workbook import ResultTable, load_crm_workbook, load_crm_workbook_from_values
from addin.workbook.results import cell_link

CUSTOMERS = [["customer_id", "name", "region"], ["C1", "Acme", "North"],
             ["C2", "Bolt & Co", "South"], [None, None, None],
             ["C3", "Bolt", None]]
TRANSACTIONS = [["customer_id", "date", "amount"], ["C1", dt.datetime(2026, 1, 5), 100.0],
                ["C2", dt.datetime(2026, 2, 1), 250.5], ["C3", dt.datetime(2026, 3, 9), 10]]


def xlwings_rows(rows):
    """Cells as classic xlwings reads them: blanks None, every number a float."""
    return [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in row]
            for row in rows]


def excel_values(path):
    """{sheet: rows} of a file as a live workbook would give them (via openpyxl)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    return {ws.title: xlwings_rows([list(r) for r in ws.iter_rows(values_only=True)])
            for ws in wb.worksheets}


# ----------------------------------------------------------------- the reader from values


def test_values_load_the_same_frames_as_the_file(make_xlsx):
    path = make_xlsx({"Customers": CUSTOMERS, "Transactions": TRANSACTIONS,
                      "Notes": [["free text"]]})
    from_file = load_crm_workbook(path)
    from_values = load_crm_workbook_from_values(excel_values(path), path=path)
    assert list(from_values.sheets) == ["Customers", "Transactions"]
    for name, frame in from_file.sheets.items():
        pd.testing.assert_frame_equal(from_values.sheets[name], frame)
    # Excel row numbers survive the blank row 4: C3 is on row 5
    assert from_values["Customers"].loc[5, "customer_id"] == "C3"


def test_values_give_the_same_error_messages_as_the_file(make_xlsx):
    bad = [*TRANSACTIONS, ["C1", "yesterday", 5.0], ["C2", dt.datetime(2026, 4, 1), "lots"]]
    path = make_xlsx({"Customers": CUSTOMERS, "Transactions": bad})
    with pytest.raises(InputError) as from_file:
        load_crm_workbook(path)
    with pytest.raises(InputError) as from_values:
        load_crm_workbook_from_values(excel_values(path), path=path)
    assert from_values.value.lines() == from_file.value.lines()
    assert from_values.value.lines() == [
        "sheet 'Transactions', row 5, column 'date' (B): expected a date (an Excel date, or "
        "text such as 2026-03-31) (found 'yesterday')",
        "sheet 'Transactions', row 6, column 'amount' (C): expected a number (found 'lots')"]


def test_values_hidden_sheet_and_error_text_as_the_file_reader_treats_them():
    rows = [["customer_id", "name"], ["C1", "#N/A"], ["#N/A", "Bolt"]]
    with pytest.raises(InputError) as err:
        load_crm_workbook_from_values({"客户": rows}, path="live.xlsx", hidden=["客户"])
    assert err.value.lines() == [
        "sheet '客户', row 2, column 'name' (B): a value is required here (text); the cell is "
        "blank or holds an Excel error such as #N/A",
        "sheet '客户', row 3, column 'customer_id' (A): a value is required here (an id); the "
        "cell is blank or holds an Excel error such as #N/A"]


def test_values_without_crm_sheets_name_the_workbook():
    with pytest.raises(InputError, match="live.xlsx has none of the CRM sheets"):
        load_crm_workbook_from_values({"Sheet1": [["a"]]}, path="C:/x/live.xlsx")


# ----------------------------------------------------------------- links


@given(st.text(alphabet=st.characters(blacklist_characters="[]:*?/\\"), min_size=1,
               max_size=31))
def test_cell_link_quotes_any_sheet_name_reversibly(name):
    target = cell_link(name, "C3")
    assert target.startswith("#'") and target.endswith("'!C3")
    inner = target[2:-4]
    # every quote inside is doubled, so the name cannot end the quoted part early
    assert inner.replace("''", "") .count("'") == 0
    assert inner.replace("''", "'") == name


def test_cell_link_of_a_name_with_a_quote():
    assert cell_link("O'Brien", "C3") == "#'O''Brien'!C3"


# ----------------------------------------------------------------- FileBook


def test_file_book_records_messages_and_answers(tmp_path):
    book = FileBook(tmp_path / "b.xlsx", answers=[False, True])
    assert book.confirm("Send 3?") is False
    assert book.confirm("Really?") is True
    assert book.confirm("Default?") is True
    book.message("done")
    book.message("bad", error=True)
    book.open_folder(tmp_path)
    assert book.questions == ["Send 3?", "Really?", "Default?"]
    assert book.messages == [("done", False), ("bad", True)]
    assert book.opened == [tmp_path]
    assert book.folder == tmp_path
    with pytest.raises(ValueError):
        FileBook(tmp_path / "b.xlsx", dest=tmp_path / "c.xlsx", in_place=True)


def test_file_book_writes_a_copy_then_adds_to_it(make_xlsx):
    path = make_xlsx({"Customers": CUSTOMERS})
    before = path.read_bytes()
    book = FileBook(path)
    book.write({"A": [ResultTable(pd.DataFrame({"x": [1]}))]})
    book.write({"B": [ResultTable(pd.DataFrame({"y": [2]}))]})
    assert path.read_bytes() == before
    dest = path.with_name("book_results.xlsx")
    assert book.written == [dest, dest]
    assert openpyxl.load_workbook(dest).sheetnames == ["Customers", "A", "B"]
    assert list(path.parent.glob("*.bak-*")) == []


def test_file_book_in_place_keeps_a_backup(make_xlsx):
    path = make_xlsx({"Customers": CUSTOMERS})
    before = path.read_bytes()
    FileBook(path, in_place=True).write({"A": [ResultTable(pd.DataFrame({"x": [1]}))]})
    assert openpyxl.load_workbook(path).sheetnames == ["Customers", "A"]
    backups = list(path.parent.glob("book.bak-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == before


# ----------------------------------------------------------------- ExcelBook against the fake

TEST_ONLY = {"log", "calls"}


@pytest.mark.parametrize("fake", list(REAL), ids=lambda c: c.__name__)
def test_fake_offers_only_what_real_xlwings_has(fake):
    real = REAL[fake]
    for name, member in vars(fake).items():
        if name in TEST_ONLY or (name.startswith("_") and name not in (
                "__iter__", "__len__", "__getitem__")):
            continue
        assert hasattr(real, name), f"xlwings.{real.__name__} has no {name}"
        if callable(member) and not isinstance(member, property) and name != "__init__":
            real_params = inspect.signature(getattr(real, name)).parameters
            for param in inspect.signature(member).parameters:
                assert param in real_params, f"{real.__name__}.{name} takes no {param}"


@pytest.mark.parametrize("fake", list(IMPL), ids=lambda c: c.__name__)
def test_fake_engine_objects_implement_only_the_engine_interface(fake):
    bases = IMPL[fake]
    for name, member in vars(fake).items():
        if name.startswith("_") and name not in ("__iter__", "__len__", "__call__",
                                                  "__contains__"):
            continue
        if name == "key":  # the fake's own record of which chart it is
            continue
        owner = next((b for b in bases for k in b.__mro__[:-1] if name in vars(k)), None)
        assert owner is not None, f"xlwings engine {bases[0].__name__} has no {name}"
        if callable(member) and not isinstance(member, property):
            real_params = inspect.signature(getattr(owner, name)).parameters
            assert list(inspect.signature(member).parameters) == list(real_params) or (
                name == "set"), f"{owner.__name__}.{name} takes other arguments"


def test_err_to_str_is_a_classic_xlwings_option():
    import xlwings.conversion.standard as standard

    assert "err_to_str" in inspect.getsource(standard)


def test_live_book_reads_from_a1_and_loads_like_a_file(make_xlsx):
    path = make_xlsx({"Customers": CUSTOMERS, "Transactions": TRANSACTIONS})
    fake = FakeBook({"Notes": [["x"]], **excel_values(path)}, fullname=str(path))
    live = ExcelBook(fake).load()
    for name, frame in load_crm_workbook(path).sheets.items():
        pd.testing.assert_frame_equal(live.sheets[name], frame)
    # only contract sheets are read, each from A1 to the used range's last cell, errors as text
    assert fake.calls("read") == [
        ("read", ("Customers", (1, 1), (5, 3)), {"ndim": 2, "err_to_str": True}),
        ("read", ("Transactions", (1, 1), (4, 3)), {"ndim": 2, "err_to_str": True})]
    assert live.path == path


def test_live_book_writes_tables_with_the_exact_xlwings_calls():
    fake = FakeBook({"Customers": [["customer_id"]], "Old": [["x"]]},
                    fullname="C:/crm/book.xlsx")
    fake.sheets["Customers"].tables.add(name="Old")  # a user's table elsewhere
    fake.log.clear()
    frame = pd.DataFrame({"name": ["=cmd()", "Acme"], "share": [0.25, None],
                          "when": pd.to_datetime(["2026-01-05", None]), "n": [3, 4],
                          "cell": ["C3", None]})
    table = ResultTable(frame, "Top", formats={"n": "0"},
                        links={"cell": [cell_link("O'Brien", "C3"), None]})
    where = ExcelBook(fake).write({"Old": [table], "New": [ResultTable(frame.iloc[:0])]})
    assert where == "the sheets Old, New"
    log = fake.log
    assert log[0] == ("screen_updating", False) and log[-1] == ("screen_updating", True)
    calls = [c for c in log[1:-1] if c[0] != "value"]
    assert calls == [
        ("clear", "Old"),
        ("font.bold", ("Old", (1, 1), None), True),
        ("number_format", ("Old", (3, 2), (4, 2)), "0.0%"),
        ("number_format", ("Old", (3, 3), (4, 3)), "yyyy-mm-dd"),
        ("number_format", ("Old", (3, 4), (4, 4)), "0"),
        ("tables.add", ("Old", (2, 1), (4, 5)), "Old_2", "TableStyleMedium2"),
        ("autofit", "Old", "c"),
        ("sheets.add", "New", None, "Old"),
        ("font.bold", ("New", (1, 1), (1, 5)), True),
        ("autofit", "New", "c"),
    ]
    values = [c for c in log if c[0] == "value"]
    assert values[0] == ("value", ("Old", (1, 1), None), {}, "Top")
    _, address, options, written = values[1]
    assert address == ("Old", (2, 1), None)
    assert options == {"index": False, "header": True}
    assert list(written.columns) == ["name", "share", "when", "n", "cell"]
    assert written["name"].tolist() == ["'=cmd()", "Acme"]  # data text stays text
    assert written["share"].tolist() == [0.25, None]
    assert written["when"].tolist() == [pd.Timestamp("2026-01-05"), None]
    assert written["cell"].tolist() == ['=HYPERLINK("#\'O\'\'Brien\'!C3","C3")', None]
    assert values[2][1] == ("New", (1, 1), None) and values[2][3].empty


def test_live_values_escape_quotes_inside_link_text():
    table = ResultTable(pd.DataFrame({"cell": ['say "hi"']}),
                        links={"cell": ['#\'Sheet "1"\'!A1']})
    assert live_values(table)["cell"].tolist() == [
        '=HYPERLINK("#\'Sheet ""1""\'!A1","say ""hi""")']


def test_live_book_talks_through_app_alert():
    fake = FakeBook({"Customers": [["customer_id"]]}, answers=["cancel", "ok"])
    book = ExcelBook(fake)
    book.message("Done")
    book.message("Broken", error=True)
    assert book.confirm("Send?") is False
    assert book.confirm("Send?") is True
    assert fake.calls("alert") == [
        ("alert", "Done", "CRM", "ok", "info"),
        ("alert", "Broken", "CRM", "ok", "critical"),
        ("alert", "Send?", "CRM", "ok_cancel", "info"),
        ("alert", "Send?", "CRM", "ok_cancel", "info")]


def test_no_licensed_xlwings_module_is_imported():
    import subprocess
    import sys

    code = ("import sys, addin.excel.book, addin.excel.macros; "
            "print([m for m in sys.modules if m.startswith(('xlwings.pro', 'xlwings.server'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_live_link_to_a_row_number_shows_the_number():
    table = ResultTable(pd.DataFrame({"row": [149, 7]}),
                        links={"row": [cell_link("Customers", "A149"), None]})
    assert live_values(table)["row"].tolist() == ['=HYPERLINK("#\'Customers\'!A149",149)', 7]


def test_a_long_message_is_cut_at_a_line_end_for_the_message_box():
    fake = FakeBook({"Customers": [["customer_id"]]})
    lines = [f"line {i:03d} " + "x" * 90 for i in range(20)]  # 20 lines of 99 characters
    ExcelBook(fake).message("\n".join(lines))
    [(_, shown, *_)] = fake.calls("alert")
    # 10 whole lines take 10 * 99 + 9 newlines = 999 characters, more than fit with "\n..."
    assert shown == "\n".join(lines[:9]) + "\n..."


def test_the_demo_workbook_loads_the_same_from_its_cell_values():
    from addin.demo import demo_workbook_path

    path = demo_workbook_path()
    values = xlwings_values(path)  # cells as xlwings gives them: blanks None, numbers floats
    from_file = load_crm_workbook(path)
    from_values = load_crm_workbook_from_values(values, path=path)
    assert list(from_values.sheets) == list(from_file.sheets)
    # the Transactions sheet's data rows (workbooks/README.md, counted with calamine)
    assert len(from_values["Transactions"]) == 60_785
    for name, frame in from_file.sheets.items():
        pd.testing.assert_frame_equal(from_values.sheets[name], frame)
    assert [str(w) for w in from_values.warnings] == [str(w) for w in from_file.warnings]


def test_values_excel_has_no_type_for_are_written_as_their_text():
    # pd.cut gives Interval values: Excel has no such type; COM would refuse them
    frame = pd.DataFrame({"band": pd.cut([1.0, 5.0, float("nan")], [0, 2, 6]), "n": [1, 2, 3]})
    fake = FakeBook({"Customers": [["customer_id"]]})
    with pytest.raises(TypeError, match="Excel cannot take"):
        fake.sheets["Customers"].range((1, 1)).options(index=False, header=True).value = frame
    ExcelBook(fake).write({"Bands": [ResultTable(frame)]})
    [(_, _, _, written)] = [c for c in fake.log if c[0] == "value"]
    assert written["band"].tolist() == ["(0.0, 2.0]", "(2.0, 6.0]", None]  # as in a file
    assert written["n"].tolist() == [1, 2, 3]


def test_live_book_draws_the_chart_and_conditional_formats_through_xlwings():
    from addin.workbook import Chart, Rule

    fake = FakeBook({"Customers": [["customer_id"]]})
    frame = pd.DataFrame({"period": ["2026-01", "2026-02", "2026-03"],
                          "overall": [50.0, 60.0, 70.0], "customer": [40.0, 55.0, 65.0],
                          "status": ["red", "amber", "green"], "gap": [-0.5, 0.25, 2.0],
                          "change": [-1.0, 0.0, 1.0]})
    chart = Chart("line", "period", ["overall", "customer"], "Scores by month", "month",
                  "score (0-100)")
    rules = [Rule("overall", "databar"), Rule("status", "rag"), Rule("gap", "diverging"),
             Rule("change", "negative_red")]
    book = ExcelBook(fake)
    book.write({"Scores": [ResultTable(frame, "Scores", chart=chart, rules=rules),
                           ResultTable(frame[["period"]], "Next")]})
    drawn = [c for c in fake.log if c[0].startswith(("cf.", "chart", "axis"))]
    # header on row 2, rows 3-5; the chart is anchored two columns right of the table (H2),
    # 16 x 7.5 cm = 453.5 x 212.6 points
    assert drawn == [
        ("cf.add_data_bar", ("Scores", (3, 2), (5, 2)), {
            "bar_color": (91, 155, 213), "gradient": True, "show_value": True,
            "threshold_types": ("number", "automatic"), "thresholds": (0, None)}),
        *[("cf.add_cell_value", ("Scores", (3, 4), (5, 4)), {
            "operator": "equal_to", "formula1": f'="{word}"', "formula2": None,
            "stop_if_true": False, "fill_color": fill, "font_color": font})
          for word, fill, font in [("green", (198, 239, 206), (0, 97, 0)),
                                   ("amber", (255, 235, 156), (156, 87, 0)),
                                   ("red", (255, 199, 206), (156, 0, 6))]],
        # the largest distance from 0 in gap is 2.0: white at 0, from -2 to 2
        ("cf.add_color_scale", ("Scores", (3, 5), (5, 5)), {
            "colors": ((248, 105, 107), (255, 255, 255), (99, 190, 123)),
            "threshold_types": ("number", "number", "number"), "thresholds": (-2.0, 0, 2.0)}),
        ("cf.add_cell_value", ("Scores", (3, 6), (5, 6)), {
            "operator": "less_than", "formula1": "0", "formula2": None, "stop_if_true": False,
            "font_color": (156, 0, 6)}),
        ("charts.add", ("Scores", 1), ("Scores", (2, 2), (5, 3)), "line", "columns",
         ("Scores", (2, 8), None), 453.5, 212.6),
        ("chart.x_values", ("Scores", 1), ("Scores", (3, 1), (5, 1))),
        ("chart.title", ("Scores", 1), "Scores by month"),
        ("axis.set", ("Scores", 1), "category", {"title": "month"}),
        ("axis.set", ("Scores", 1), "value", {"title": "score (0-100)"}),
    ]
    # the next table starts below the chart (header row 2 + 16 rows it covers, a blank row),
    # where the file writer puts it too
    [next_title] = [c for c in fake.log if c[0] == "value" and str(c[3]) == "Next"]
    assert next_title[1] == ("Scores", (20, 1), None)

    fake.log.clear()
    book.write({"Scores": [ResultTable(frame, "Scores", chart=chart)]})
    assert [c[0] for c in fake.log][1:3] == ["chart.delete", "clear"]  # no chart left behind


def test_a_chart_of_columns_apart_is_left_to_the_file_writer():
    from addin.workbook import Chart

    fake = FakeBook({"Customers": [["customer_id"]]})
    frame = pd.DataFrame({"x": [1.0, 2.0], "a": [1.0, 2.0], "b": ["u", "v"], "c": [3.0, 4.0]})
    ExcelBook(fake).write({"S": [ResultTable(frame, chart=Chart("scatter", "x", ["a", "c"])),
                                 ResultTable(frame, "Next")]})
    assert fake.calls("charts.add") == []
    [next_title] = [c for c in fake.log if c[0] == "value" and str(c[3]) == "Next"]
    assert next_title[1] == ("S", (5, 1), None)  # rows 1-3, a blank row, no chart space
