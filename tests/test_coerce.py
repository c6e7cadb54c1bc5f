"""Every coercion rule of addin.contract.coerce, on values written out by hand."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from addin.contract import coerce


def _one(func, value):
    typed, bad = func(pd.Series([value], dtype=object, index=[2]))
    return typed.iloc[0], bool(bad.iloc[0])


@pytest.mark.parametrize(
    "value, expected",
    [
        (12, 12.0),
        (12.5, 12.5),
        (np.int64(7), 7.0),
        ("12", 12.0),
        (" 1,234.50 ", 1234.5),
        ("1，234", 1234.0),  # full-width comma as thousands separator
        ("¥1,200", 1200.0),
        ("￥ 88", 88.0),
        ("$3.5", 3.5),
        ("RMB 10", 10.0),
        ("(1,234)", -1234.0),  # accounting negative
        ("-5", -5.0),
        ("5-", -5.0),  # trailing minus from ledger exports
        ("12%", 0.12),
        ("1e3", 1000.0),
        ("1\u00a0000", 1000.0),  # no-break space as thousands separator
    ],
)
def test_number_rules(value, expected):
    got, bad = _one(coerce.to_number, value)
    assert not bad
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("value", ["", "   ", None, np.nan, "#N/A", "#DIV/0!", "#VALUE!", "#REF!",
                                   "#NAME?", "#NUM!", "#NULL!", " #n/a "])
def test_blank_and_excel_errors_are_missing(value):
    got, bad = _one(coerce.to_number, value)
    assert not bad and np.isnan(got)
    got, bad = _one(coerce.to_date, value)
    assert not bad and pd.isna(got)
    got, bad = _one(coerce.to_text, value)
    assert not bad and got is None


@pytest.mark.parametrize(
    "value", ["abc", "12abc", True, False, dt.date(2025, 1, 1), "inf", "1.2.3"])
def test_not_numbers_are_bad(value):
    got, bad = _one(coerce.to_number, value)
    assert bad and np.isnan(got)


@pytest.mark.parametrize(
    "value, expected",
    [
        (dt.datetime(2026, 3, 31, 14, 30), pd.Timestamp("2026-03-31 14:30")),
        (dt.date(2026, 3, 31), pd.Timestamp("2026-03-31")),
        (pd.Timestamp("2026-03-31"), pd.Timestamp("2026-03-31")),
        # Excel serials, 1900 date system: 45000 is 2023-03-15; 1 is 1900-01-01; 59 is
        # 1900-02-28; 61 is 1900-03-01 (60 is Excel's phantom 1900-02-29).
        (45000, pd.Timestamp("2023-03-15")),
        (45000.5, pd.Timestamp("2023-03-15 12:00")),
        (1, pd.Timestamp("1900-01-01")),
        (59, pd.Timestamp("1900-02-28")),
        (61, pd.Timestamp("1900-03-01")),
        (2958465, pd.Timestamp("9999-12-31")),
        ("2026-03-31", pd.Timestamp("2026-03-31")),
        ("2026/3/1", pd.Timestamp("2026-03-01")),
        ("2026.03.01", pd.Timestamp("2026-03-01")),
        ("2026-03-31 08:05", pd.Timestamp("2026-03-31 08:05")),
        ("2026-03-31T08:05:09", pd.Timestamp("2026-03-31 08:05:09")),
        ("2026年3月31日", pd.Timestamp("2026-03-31")),
        (" 2026-03-31 ", pd.Timestamp("2026-03-31")),
    ],
)
def test_date_rules(value, expected):
    got, bad = _one(coerce.to_date, value)
    assert not bad
    assert got == expected


@pytest.mark.parametrize("value", ["03/04/2026", "31/03/2026", "yesterday", "2026-02-30", 60, 0,
                                   -5, 2958466, True, "2026-13-01"])
def test_bad_dates(value):
    got, bad = _one(coerce.to_date, value)
    assert bad and pd.isna(got)


@pytest.mark.parametrize(
    "value, expected",
    [(1001, "1001"), (1001.0, "1001"), (12.5, "12.5"), ("  C001 ", "C001"), ("C001", "C001"),
     (dt.date(2026, 1, 2), "2026-01-02"), (True, "TRUE")],
)
def test_text_and_ids(value, expected):
    got, bad = _one(coerce.to_text, value)
    assert not bad and got == expected


@pytest.mark.parametrize(
    "value, expected",
    [(9, 9.0), ("9", 9.0), ("N/A", "N/A"), (" don't know ", "don't know"), (11, 11.0)],
)
def test_survey_answers_keep_text_for_the_routines_to_report(value, expected):
    got, bad = _one(coerce.to_answer, value)
    assert not bad and got == expected


def test_answer_column_of_numbers_is_float():
    typed, _ = coerce.to_answer(pd.Series([1, "2", None, "#N/A"], dtype=object))
    assert typed.dtype == "float64"
    assert typed.tolist()[:2] == [1.0, 2.0] and typed.isna().tolist() == [False, False, True, True]


@pytest.mark.parametrize("value, ok", [
    ("anna@example.com", True), ("Anna.Li@sub.example.cn", True), ("anna", False),
    ("a@b", False), ("a b@example.com", False), ("x@example.com, y@example.com", False),
    ("Anna <anna@example.com>", False), ("anna@example.com\nBcc: z@example.com", False),
])
def test_email(value, ok):
    _, bad = _one(coerce.to_email, value)
    assert bad is (not ok)


def test_typed_columns_take_the_fast_path():
    numbers = pd.Series([1.5, 2.0, np.nan])
    typed, bad = coerce.to_number(numbers)
    assert typed.tolist()[:2] == [1.5, 2.0] and not bad.any()
    dates = pd.Series(pd.to_datetime(["2026-01-01", None]))
    typed, bad = coerce.to_date(dates)
    assert typed.iloc[0] == pd.Timestamp("2026-01-01") and not bad.any()


@pytest.mark.parametrize("column", [
    pd.Series(pd.to_datetime(["2026-01-01", None, "2026-03-31 12:30"], format="ISO8601")),
    pd.Series(pd.to_datetime(["2026-01-01", None]).tz_localize("Europe/Berlin")),
    pd.Series([1.5, np.nan, np.inf, -2.0]),
    pd.Series([3, 1001, -7], dtype="int64"),
    pd.Series(["C1", None, "  ", "#N/A", " C2 "], dtype="string"),
    pd.Series(["C1", None, "", "#div/0!", "x"], dtype="str"),
])
def test_census_of_typed_columns_agrees_with_the_cell_by_cell_census(column):
    # the vectorised census of a typed column gives the codes the per-cell census gives to the
    # same values as objects (as a sheet delivers them), and every coercion the same answer
    typed_values, typed_codes = coerce.census(column)
    assert coerce._typed_census(column) is not None
    as_cells = pd.Series(column.to_numpy(dtype=object), index=column.index)
    _, cell_codes = coerce.census(as_cells)
    assert typed_codes.tolist() == cell_codes.tolist()
    for convert in (coerce.to_text, coerce.to_extra, coerce.to_answer):
        fast, fast_bad = convert(column, (typed_values, typed_codes))
        slow, slow_bad = convert(as_cells)
        assert fast.astype(object).where(fast.notna(), None).tolist() == \
            slow.astype(object).where(slow.notna(), None).tolist(), convert.__name__
        assert fast_bad.tolist() == slow_bad.tolist()


def test_date_text_is_parsed_once_per_distinct_value_and_bad_rows_are_named():
    # a CSV date column arrives as text; 3,000 lines of 3 distinct dates, one of them bad
    raw = pd.Series(["2026-01-31", "2026/2/28", "31/01/2026"] * 1000,
                    index=pd.RangeIndex(2, 3002))
    calls = []
    real = coerce._parse_date_text
    try:
        coerce._parse_date_text = lambda s: calls.append(s) or real(s)
        typed, bad = coerce.to_date(raw)
    finally:
        coerce._parse_date_text = real
    assert len(calls) == 3
    assert typed[2] == pd.Timestamp("2026-01-31") and typed[3] == pd.Timestamp("2026-02-28")
    assert bad[bad].index[:2].tolist() == [4, 7] and int(bad.sum()) == 1000
    assert typed[bad].isna().all()
