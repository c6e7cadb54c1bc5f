"""Every worksheet function on a 100,000-row column as Excel passes it (a header cell, None for
blanks, date cells, error strings) gives the same values as its routine on the typed data."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import addin.functions as udf
from addin import surveys, tiering

N = 100_000


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    values = np.round(rng.lognormal(8, 1.5, N), 2)
    values[::997] = np.nan  # blanks
    answers = rng.integers(0, 11, N).astype(object)
    answers[::1009] = "N/A"
    answers[::1013] = "#N/A"
    return values, answers


def as_range(header, values):
    return [[header]] + [[None if isinstance(v, float) and np.isnan(v) else v] for v in values]


def test_crm_abc_and_pyramid_on_100k_rows(data):
    values, _ = data
    rng = as_range("revenue", values.tolist())
    series = pd.Series(values)
    def cells(s):  # a blank value has no class: an empty cell
        return ["" if v is None else v for v in s.tolist()]

    assert [r[0] for r in udf.CRM_ABC(rng)] == cells(tiering.abc_classes(series))
    assert [r[0] for r in udf.CRM_PYRAMID(rng)] == cells(tiering.key_account_pyramid(series))


def test_crm_nps_counts_text_and_errors_as_left_out_on_100k_rows(data):
    _, answers = data
    result = surveys.nps(pd.Series(answers, dtype=object))
    assert udf.CRM_NPS(as_range("nps", answers.tolist())) == pytest.approx(result.score)
    numeric = pd.to_numeric(pd.Series(answers), errors="coerce").dropna()
    # hand count: promoters 9-10, detractors 0-6, over the numeric answers only
    expected = 100 * ((numeric >= 9).sum() - (numeric <= 6).sum()) / len(numeric)
    assert result.score == pytest.approx(expected)


def test_crm_rfm_on_100k_transactions_with_date_cells_and_serials():
    rng = np.random.default_rng(9)
    ids = [f"C{n:05d}" for n in rng.integers(0, 5_000, N)]
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 600, N), unit="D")
    amounts = np.round(rng.lognormal(6, 1, N), 2)
    # half the dates as date cells, half as Excel serials (a formula's result)
    cells = [d.to_pydatetime() if i % 2 else float((d - pd.Timestamp("1899-12-30")).days)
             for i, d in enumerate(days)]
    out = udf.CRM_RFM(as_range("customer_id", ids), as_range("date", cells),
                      as_range("amount", amounts.tolist()))
    header, rows = out[0], out[1:]
    frame = pd.DataFrame(rows, columns=header).set_index("customer_id")
    expected = tiering.rfm_summary(pd.DataFrame({"customer_id": ids, "date": days,
                                                 "amount": amounts}))
    assert len(frame) == len(expected)
    assert frame["orders"].tolist() == expected["orders"].tolist()
    assert np.allclose(frame["revenue"].astype(float), expected["revenue"])
    assert frame.loc[expected.index[0], "recency_days"] == expected["recency_days"].iloc[0]


def test_an_error_cell_deep_in_a_column_is_named_by_its_row(data):
    values, _ = data
    rng = as_range("revenue", values.tolist())
    rng[54_321] = ["#DIV/0!"]  # list index 0 is the header, row 1 of the range
    assert udf.CRM_ABC(rng) == "#CRM! values: row 54322 holds the Excel error #DIV/0!"


def test_dates_as_cells_and_serials_agree():
    cells = [[dt.datetime(2026, 1, 3)], [46025.0]]
    assert udf.CRM_RFM([["C1"], ["C1"]], cells, [[1.0], [2.0]])[1][0] == "C1"
