"""The tiering worksheet functions, called as Excel calls them: 2-D lists with headers, blanks,
serial dates, error values and single cells."""

import datetime as dt

import pytest

from addin.functions import (
    CRM_ABC,
    CRM_CLV,
    CRM_CLV_MARGIN,
    CRM_PARETO,
    CRM_PYRAMID,
    CRM_RFM,
)
from addin.functions.ranges import FUNCTIONS


def test_every_tiering_function_is_registered_and_documented():
    names = {"CRM_ABC", "CRM_PYRAMID", "CRM_PARETO", "CRM_RFM", "CRM_CLV", "CRM_CLV_MARGIN"}
    assert names <= set(FUNCTIONS)
    for name in names:
        info = FUNCTIONS[name]
        assert info.category == "CRM Tiering" and len(info.summary) > 30
    assert FUNCTIONS["CRM_CLV"].heavy and not FUNCTIONS["CRM_ABC"].heavy


def test_crm_abc_with_a_header_and_a_blank():
    # 50, 30, 15, 5: shares above 0, .5, .8, .95 -> A, A, B, C; the blank stays blank
    out = CRM_ABC([["Revenue"], [50], [30], [15], [5], [None]])
    assert out == [["A"], ["A"], ["B"], ["C"], [""]]
    # a row range, a = .5, b = .9: above .5 is not < .5 -> B; .8 < .9 -> B; .95 -> C
    assert CRM_ABC([[50, 30, 15, 5]], 0.5, 0.9) == [["A"], ["B"], ["B"], ["C"]]


def test_crm_abc_bad_input_is_one_readable_line():
    assert CRM_ABC([["Revenue"], [1], ["lots"]]) == (
        "#CRM! values: row 3 is not a number (found 'lots')")
    assert CRM_ABC([[1], ["#N/A"]]).startswith("#CRM! values: row 2 holds the Excel error #N/A")
    assert CRM_ABC([[1], [2]], 0.9, 0.5).startswith("#CRM! ABC thresholds need")


def test_crm_pyramid_default_and_custom_tiers():
    # n = 3: VIP <= ceil(.03) = 1, Key <= ceil(.15) = 1, Standard <= ceil(.6) = 1: rank 2 and
    # 3 are Small
    assert CRM_PYRAMID([[10], [9], [8]]) == [["VIP"], ["Small"], ["Small"]]
    # four values in three tiers of 25/25/50 %: ranks 1 | 2 (the two 4s tie) | 4
    out = CRM_PYRAMID([[5], [4], [4], [1]], [[0.25, 0.25, 0.5]], "Gold, Silver, Bronze")
    assert out == [["Gold"], ["Silver"], ["Silver"], ["Bronze"]]
    assert CRM_PYRAMID([[1]], "0.5,0.4", "a,b").startswith("#CRM! the pyramid shares must")
    assert CRM_PYRAMID(7) == [["VIP"]]  # a single cell


def test_crm_pareto_names_each_value_by_its_row_in_the_range():
    out = CRM_PARETO([["Revenue"], [5], [10], [None], [5]])
    assert out[0] == ["row", "rank", "value", "share", "cumulative_share",
                      "cumulative_customer_share"]
    # 10 (range row 3) first; the two 5s tie and keep their order (rows 2 then 5); the
    # blank (row 4) is left out. Total 20.
    assert [r[:3] for r in out[1:]] == [[3, 1, 10.0], [2, 2, 5.0], [5, 3, 5.0]]
    assert [r[4] for r in out[1:]] == pytest.approx([0.5, 0.75, 1.0])


TX_IDS = [["customer_id"], ["a"], ["a"], ["b"], [None]]
# serial 46023 is 2026-01-01; 46033 is 2026-01-11; a datetime cell; a trailing blank row
TX_DATES = [["date"], [46023], [46033.0], [dt.datetime(2026, 1, 21)], [None]]
TX_AMOUNTS = [["amount"], [100], [50], ["1,200"], [None]]


def test_crm_rfm_spills_one_row_per_customer():
    out = CRM_RFM(TX_IDS, TX_DATES, TX_AMOUNTS, "2026-01-31")
    header, a, b = out
    assert header[:4] == ["customer_id", "recency_days", "orders", "revenue"]
    assert header[-1] == "rfm_segment"
    # a: Jan 1 and Jan 11 -> 20 days since, 2 orders, 150; b: Jan 21 -> 10 days, 1 order
    assert a[:4] == ["a", 20, 2, 150.0] and b[:4] == ["b", 10, 1, 1200.0]
    row = dict(zip(header, a, strict=True))
    assert (row["frequency"], row["recency"], row["T"], row["monetary_value"]) == (
        1.0, 10.0, 30.0, 50.0)


def test_crm_rfm_reports_bad_rows_by_their_row_in_the_range():
    dates = [["date"], [46023], ["next week"], [46024]]
    out = CRM_RFM([["a"], ["a"], ["b"]], dates, [[1], [2], [3]])
    assert out == "#CRM! dates: row 3 is not a date (a date cell, an Excel serial number or " \
                  "ISO text such as 2026-03-31) (found 'next week')"
    out = CRM_RFM([["customer_id"], ["a"], [None]], [["date"], [46023], [46024]],
                  [["amount"], [1], [2]])
    assert out == "#CRM! transactions row 3 has no customer id"
    out = CRM_RFM([["a"], ["b"]], [[46023]], [[1], [2]])
    assert out.startswith("#CRM! customer_ids, dates and amounts must be ranges of one length")


def test_crm_clv_fits_the_models_on_a_log():
    # 40 customers buying every 10, 20, ..., days over a year: enough to fit both models
    ids, dates, amounts = [["customer_id"]], [["date"]], [["amount"]]
    for c in range(40):
        gap = 10 + 5 * (c % 8)
        stop = 365 if c % 3 else 120  # a third stop after four months
        for day in range(c % 7, stop, gap):
            ids.append([f"K{c:02d}"])
            dates.append([46023 + day])
            amounts.append([100 + 10 * (c % 5) + day % 13])
    out = CRM_CLV(ids, dates, amounts, 12, 0.01, 0.3, 46023 + 365)
    assert isinstance(out, list), out
    header = out[0]
    assert header == ["customer_id", "prob_alive", "expected_purchases", "expected_value", "clv"]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in out[1:]}
    assert len(rows) == 40
    assert all(0 <= r["prob_alive"] <= 1 and r["clv"] >= 0 for r in rows.values())
    # a customer who stopped after four months is less likely alive than a steady one
    assert rows["K00"]["prob_alive"] < rows["K01"]["prob_alive"]
    assert CRM_CLV(ids, dates, amounts, 1.5).startswith("#CRM! months")


def test_crm_clv_margin_by_hand():
    # 100 * 0.8 / (1 + 0.1 - 0.8) = 266.67
    assert CRM_CLV_MARGIN(100, 0.8, 0.1) == pytest.approx(266.6667, rel=1e-6)
    assert CRM_CLV_MARGIN([[100], [200]], [[0.8]], 0.1) == [
        [pytest.approx(266.6667, rel=1e-6)], [pytest.approx(533.3333, rel=1e-6)]]
    assert CRM_CLV_MARGIN(100, 1.2, 0.1) == "#CRM! the retention rate must be a share " \
                                             "between 0 and 1"
    assert CRM_CLV_MARGIN(100, None, 0.1) == "#CRM! retention_rate: a value is required"
