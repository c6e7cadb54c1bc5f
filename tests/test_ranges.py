"""The one conversion layer between Excel ranges and the routines (addin.functions.ranges)."""

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from addin.errors import InputError
from addin.functions import ranges
from addin.functions.ranges import (
    FUNCTIONS,
    column,
    excel_function,
    rows_of,
    scalar,
    spill,
    table,
    udf_error,
)


def test_rows_of_accepts_what_excel_and_vba_pass():
    assert rows_of(5) == [[5]]
    assert rows_of([[1, 2]]) == [[1, 2]]
    assert rows_of([1, 2]) == [[1], [2]]  # a flat list is one column
    assert rows_of([]) == []
    assert rows_of(np.array([[1.0], [2.0]])) == [[1.0], [2.0]]


def test_number_column_with_header_blank_and_text_number():
    s = column([["Revenue"], [1.0], [None], ["2,000"], [""]], "values")
    assert s.name == "values"
    assert s.iloc[0] == 1.0 and math.isnan(s.iloc[1]) and s.iloc[2] == 2000.0
    assert math.isnan(s.iloc[3]) and len(s) == 4


def test_one_row_range_reads_like_a_column():
    assert column([[1.0, 2.0, 3.0]], "values").tolist() == [1.0, 2.0, 3.0]


def test_single_cell_and_scalar():
    assert column([[7.0]], "values").tolist() == [7.0]
    assert column(7.0, "values").tolist() == [7.0]


def test_a_block_is_not_a_column():
    with pytest.raises(InputError, match=r"values: expected one row or one column, got 2 rows x 2"):
        column([[1, 2], [3, 4]], "values")


def test_bad_number_names_the_row_in_the_range_counting_the_header():
    with pytest.raises(InputError) as info:
        column([["Revenue"], [1.0], ["lots"], ["more"]], "values")
    # header is row 1, 1.0 row 2, 'lots' row 3
    assert udf_error(info.value) == (
        "#CRM! values: row 3 is not a number (found 'lots') (and 1 more)")


def test_error_values_in_numbers_are_named():
    with pytest.raises(InputError, match=r"values: row 2 holds the Excel error #N/A"):
        column([[1.0], ["#N/A"]], "values")


def test_dates_from_cells_serials_and_iso_text():
    s = column([["Date"], [dt.datetime(2026, 1, 2)], [46025.0], ["2026-01-04"], [None]],
               "dates", "date")
    # Excel: DATE(2026,1,1) = 46023, so serial 46025 is 3 January
    assert s.tolist()[:3] == [pd.Timestamp("2026-01-02"), pd.Timestamp("2026-01-03"),
                              pd.Timestamp("2026-01-04")]
    assert pd.isna(s.iloc[3])


def test_ambiguous_date_text_is_refused():
    with pytest.raises(InputError, match=r"dates: row 1 is not a date"):
        column([["03/04/2026"], [46024.0]], "dates", "date", header=False)


def test_answers_keep_text_and_error_values_for_the_routine_to_count():
    s = column([["NPS"], [9], ["N/A"], ["#N/A"], [None]], "scores", "answer")
    assert s.iloc[0] == 9.0 and s.iloc[1] == "N/A" and s.iloc[2] == "#N/A"
    assert pd.isna(s.iloc[3])
    # "N/A" in the first cell is an answer, not a header
    assert column([["N/A"], [9]], "scores", "answer").tolist() == ["N/A", 9.0]


def test_text_header_only_when_it_is_a_contract_column_or_the_argument():
    assert column([["customer_id"], ["C1"], [1001.0]], "ids", "text").tolist() == ["C1", "1001"]
    assert column([["客户编号"], ["C1"]], "ids", "text").tolist() == ["C1"]
    assert column([["C0"], ["C1"]], "ids", "text").tolist() == ["C0", "C1"]
    assert column([["ids"], ["C1"]], "ids", "text").tolist() == ["C1"]


def test_header_can_be_forced():
    assert column([[1.0], [2.0]], "v", header=True).tolist() == [2.0]
    assert column([["x"], ["y"]], "v", "text", header=False).tolist() == ["x", "y"]


def test_table_renames_contract_aliases_and_types_columns():
    frame = table([["客户编号", "金额"], ["C1", 5], ["C2", "1,200"]], "orders",
                  sheet="Transactions", kinds={"amount": "number"})
    assert list(frame.columns) == ["customer_id", "amount"]
    assert frame["amount"].tolist() == [5.0, 1200.0]
    with pytest.raises(InputError, match=r"orders: row 3 column 'amount' is not a number"):
        table([["客户编号", "金额"], ["C1", 5], ["C2", "x"]], "orders", sheet="Transactions",
              kinds={"amount": "number"})
    with pytest.raises(InputError, match=r"needs a column 'date'"):
        table([["customer_id"], ["C1"]], "orders", kinds={"date": "date"})
    with pytest.raises(InputError, match=r"column 2 is blank"):
        table([["a", None], [1, 2]], "orders")


def test_scalar_defaults_and_kinds():
    assert scalar([[0.8]], "a") == 0.8
    assert scalar(None, "a", default=0.8) == 0.8
    assert scalar([["yes"]], "b", "bool") is True
    assert scalar("higher", "polarity", "text") == "higher"
    with pytest.raises(InputError, match="a: a value is required"):
        scalar(None, "a")
    with pytest.raises(InputError, match="expected one cell, got 2"):
        scalar([[1, 2]], "a")


def test_spill_shapes():
    frame = pd.DataFrame({"a": [1, None], "b": ["x", pd.NaT]})
    assert spill(frame) == [["a", "b"], [1.0, "x"], ["", ""]]
    assert spill(pd.Series([1.5, np.nan], name="s")) == [["s"], [1.5], [""]]
    assert spill(pd.Series([1.5]), header=False) == [[1.5]]
    assert spill(np.int64(3)) == 3 and type(spill(np.int64(3))) is int
    assert spill(pd.Timestamp("2026-01-02")) == dt.datetime(2026, 1, 2)
    assert spill({"score": 10.0, "n": 3}) == [["score", 10.0], ["n", 3]]
    assert spill(pd.DataFrame({"a": []})) == [["a"]]
    assert spill(pd.DataFrame()) == [[""]]


def test_spill_nullable_dtypes_as_plain_cells():
    frame = pd.DataFrame({"days": pd.array([3, None], dtype="Int64"),
                          "share": pd.array([0.5, None], dtype="Float64"),
                          "alive": pd.array([True, None], dtype="boolean")})
    out = spill(frame)
    assert out == [["days", "share", "alive"], [3, 0.5, True], ["", "", ""]]
    assert [type(v) for v in out[1]] == [int, float, bool]  # what Excel takes, no numpy


def test_flatten_takes_a_column_a_row_and_ragged_rows():
    assert column([[1.0], [2.0]], "v", header=False).tolist() == [1.0, 2.0]
    assert column([[1.0, 2.0, 3.0]], "v", header=False).tolist() == [1.0, 2.0, 3.0]
    assert column([[1.0], [], [3.0]], "v", header=False).isna().tolist() == [False, True, False]
    with pytest.raises(InputError, match="expected one row or one column, got 2 rows x 2"):
        column([[1.0, 2.0], [3.0, 4.0]], "v")


def test_excel_function_turns_bad_input_into_one_readable_string():
    @excel_function("CRM Test", values="numbers", factor="a multiplier")
    def CRM_TEST_DOUBLE(values, factor=2):
        """Multiply numbers."""
        return spill(column(values, "values") * scalar(factor, "factor"))

    try:
        assert CRM_TEST_DOUBLE([[1.0], [2.0]]) == [["values"], [2.0], [4.0]]
        out = CRM_TEST_DOUBLE([["x"], [1.0], ["y"]])
        assert out == "#CRM! values: row 3 is not a number (found 'y')"
        info = FUNCTIONS["CRM_TEST_DOUBLE"]
        assert info.signature == "CRM_TEST_DOUBLE(values, [factor])"
        assert info.summary == "Multiply numbers."
        assert info.xlwings_options() == {"category": "CRM Test", "call_in_wizard": True,
                                          "volatile": False}
    finally:
        FUNCTIONS.pop("CRM_TEST_DOUBLE", None)


def test_a_bug_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_ADDIN_LOG_DIR", str(tmp_path / "logs"))

    @excel_function("CRM Test", values="numbers")
    def CRM_TEST_BUG(values):
        """Always fails."""
        raise KeyError("oops")

    try:
        out = CRM_TEST_BUG([[1.0]])
        log_file = tmp_path / "logs" / "crm-addin.log"
        assert out == (f"#CRM! internal error in CRM_TEST_BUG (details in {log_file}); "
                       "please report it")
        assert "Traceback" not in out and len(out) <= ranges.MAX_MESSAGE
        logged = log_file.read_text(encoding="utf-8")
        assert "CRM_TEST_BUG failed" in logged
        assert "Traceback (most recent call last)" in logged and "KeyError: 'oops'" in logged
    finally:
        FUNCTIONS.pop("CRM_TEST_BUG", None)


def test_a_value_error_is_a_bug_not_bad_input(tmp_path, monkeypatch):
    """Only InputError is bad input: a ValueError from inside pandas is a bug, shown as an
    internal error and logged, never passed off to the user as a problem with the cells."""
    monkeypatch.setenv("CRM_ADDIN_LOG_DIR", str(tmp_path))

    @excel_function("CRM Test", values="numbers")
    def CRM_TEST_PANDAS(values):
        """Trips over pandas."""
        return pd.concat([])  # ValueError: No objects to concatenate

    try:
        out = CRM_TEST_PANDAS([[1.0]])
        assert out.startswith("#CRM! internal error in CRM_TEST_PANDAS (details in ")
        assert "No objects to concatenate" in (tmp_path / "crm-addin.log").read_text()
    finally:
        FUNCTIONS.pop("CRM_TEST_PANDAS", None)


def test_bad_input_from_a_routine_is_an_input_error():
    """The routines raise InputError for bad input, so the cell names it."""
    from addin.functions import CRM_ABC, CRM_KPI_STATUS

    assert CRM_ABC([[1.0], [2.0]], 0.9, 0.5) == (
        "#CRM! ABC thresholds need 0 < a <= b <= 1 (got a = 0.9, b = 0.5)")
    assert CRM_KPI_STATUS(5.0, 3.0, 4.0, "target") == (
        "#CRM! red/amber limits need a direction: polarity higher or lower")


def test_the_log_folder_is_per_user_and_documented(monkeypatch):
    from addin.errors import log_folder

    monkeypatch.delenv("CRM_ADDIN_LOG_DIR", raising=False)
    monkeypatch.setattr("platform.system", lambda: "Windows")
    monkeypatch.setenv("LOCALAPPDATA", "C:/Users/li/AppData/Local")
    assert log_folder().as_posix() == "C:/Users/li/AppData/Local/crm-addin/Logs"
    monkeypatch.setattr("platform.system", lambda: "Darwin")
    assert log_folder() == Path.home() / "Library" / "Logs" / "crm-addin"
    monkeypatch.setattr("platform.system", lambda: "Linux")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert log_folder() == Path.home() / ".local" / "state" / "crm-addin"


def test_declaration_mistakes_are_caught_at_import():
    with pytest.raises(TypeError, match="docs missing"):
        @excel_function("CRM Test")
        def CRM_TEST_UNDOC(values):
            """Doc."""
    with pytest.raises(TypeError, match="CRM_XXX"):
        @excel_function("CRM Test", values="v")
        def crm_lower(values):
            """Doc."""
    with pytest.raises(TypeError, match="docstring"):
        @excel_function("CRM Test", values="v")
        def CRM_TEST_NODOC(values):
            pass
    assert not any(name.startswith("CRM_TEST") for name in FUNCTIONS)


def test_conversion_of_a_100k_column_is_vectorised():
    values = [["Revenue"]] + [[float(i)] for i in range(100_000)]
    s = column(values, "values")
    assert len(s) == 100_000 and s.iloc[-1] == 99_999.0


def test_the_collector_is_switched_back_on_after_a_call_and_after_an_error():
    import gc

    @excel_function("CRM Test", values="numbers")
    def CRM_TEST_GC(values):
        """Sum."""
        assert not gc.isenabled()  # off while the range is converted and the answer built
        return float(column(values, "values").sum())

    try:
        assert gc.isenabled()
        assert CRM_TEST_GC([[1.0], [2.0]]) == 3.0
        assert gc.isenabled()
        assert CRM_TEST_GC([["x"], ["y"]]).startswith("#CRM!")
        assert gc.isenabled()
    finally:
        FUNCTIONS.pop("CRM_TEST_GC", None)
