"""The survey worksheet functions, called as Excel calls them: 2-D lists with a header cell,
blanks (None), error values as text, single cells; answers worked by hand."""

from __future__ import annotations

import math

import pytest

from addin.functions import CRM_ALPHA, CRM_CSAT, CRM_GAP, CRM_KANO, CRM_NPS, CRM_NPS_MOE
from addin.functions.ranges import FUNCTIONS

# an NPS column as pasted: header, answers, a blank, text, an error cell, an off-scale 11
NPS_RANGE = [["Likelihood to recommend"], [10.0], [9.0], [None], ["N/A"], ["#N/A"], [3.0],
             [11.0], [7.0], [0.0]]


def test_nps_and_its_margin_by_hand():
    # valid: 10, 9, 3, 7, 0 -> promoters 2, passives 1, detractors 2: NPS 0
    assert CRM_NPS(NPS_RANGE) == pytest.approx(0.0)
    # pP = pD = 0.4: var = 0.8 - 0 = 0.8; MOE = 1.96 * sqrt(0.8 / 5) * 100 = 78.4
    assert CRM_NPS_MOE(NPS_RANGE) == pytest.approx(78.4)
    detail = dict(CRM_NPS_MOE(NPS_RANGE, True))
    # left out: None and the #N/A cell are blank, "N/A" is text, 11 is off 0..10
    assert (detail["n"], detail["left out: blank"], detail["left out: text"],
            detail["left out: out of range"]) == (5, 2, 1, 1)
    assert detail["low"] == pytest.approx(-78.4)


def test_nps_thresholds_single_cell_and_one_row():
    assert CRM_NPS([[8.0, 8.0, 5.0]], 8, 5) == pytest.approx(100 * (2 - 1) / 3)
    assert CRM_NPS([[10.0]]) == 100.0
    assert CRM_NPS(9.0) == 100.0


def test_nothing_valid_is_a_readable_message_not_zero():
    assert CRM_NPS([["N/A"], [None]]) == (
        "#CRM! values: no valid answer (left out: 1 blank, 1 text)")
    # over no number at all a text first cell cannot be told from an answer: counted as text
    assert CRM_NPS([["NPS"], ["N/A"], [None]]).endswith("(left out: 1 blank, 2 text)")
    assert CRM_NPS_MOE([[10.0]]).startswith("#CRM! values: a margin of error needs at least 2")
    assert CRM_CSAT([[None]]).startswith("#CRM! values: no valid answer")


def test_bad_arguments_are_messages():
    assert CRM_NPS([[1.0]], 6, 6).startswith("#CRM! need 0 <= detractor_max < promoter_min")
    assert CRM_NPS([[1.0, 2.0], [3.0, 4.0]]).startswith(
        "#CRM! values: expected one row or one column")
    assert CRM_CSAT([[5.0]], 5, 5).startswith("#CRM! top_box must be")


def test_csat():
    # 5, 4, 1, 3 valid ("n/a" text, 6 off 1..5): 2 of 4 in the top two -> 50
    assert CRM_CSAT([["CSAT"], [5.0], [4.0], ["n/a"], [1.0], [6.0], [3.0]]) == 50.0
    assert CRM_CSAT([[10.0], [9.0], [7.0], [2.0]], 10, 3) == 50.0


def test_kano_spills_one_category_per_pair():
    functional = [["Functional"], [1.0], [2.0], ["don't know"], [5.0], [1.0]]
    dysfunctional = [["Dysfunctional"], [5.0], [5.0], [3.0], [1.0], [1.0]]
    assert CRM_KANO(functional, dysfunctional) == [["O"], ["M"], [""], ["R"], ["Q"]]
    assert CRM_KANO(functional, dysfunctional, "O")[-1] == ["O"]
    assert CRM_KANO(1.0, 3.0) == "A"
    assert CRM_KANO([[1.0], [2.0]], [[5.0]]).startswith("#CRM! functional has 2 answers")
    assert CRM_KANO(1.0, 3.0, "X").startswith("#CRM! kano_like_like must be")


def test_alpha_by_hand_with_and_without_headers():
    # A = 1, 2, 3 and B = 2, 3, 5: alpha = 18/19 (worked in test_surveys_drivers)
    with_header = [["A", "B"], [1.0, 2.0], [2.0, 3.0], [3.0, 5.0], ["N/A", 4.0]]
    assert CRM_ALPHA(with_header) == pytest.approx(18 / 19)
    assert CRM_ALPHA([[1.0, 2.0], [2.0, 3.0], [3.0, 5.0]]) == pytest.approx(18 / 19)
    detail = dict(CRM_ALPHA(with_header, True))
    assert (detail["n"], detail["items"], detail["rows left out"]) == (3, 2, 1)
    assert detail["95 % low"] == pytest.approx(1 - 39 / 19, abs=1e-6)  # Feldt, F = 39.00


def test_alpha_needs_two_items_and_rows():
    assert CRM_ALPHA([["A"], [1.0], [2.0]]).startswith("#CRM! items: select at least two")
    assert CRM_ALPHA([[1.0, 2.0]]).startswith("#CRM! items: alpha needs at least two complete")


def test_gap_pairs_columns_by_position():
    perceived = [["perf_speed", "perf_looks"], [5.0, 7.0], [6.0, 6.0], [4.0, None]]
    expected = [["exp_speed", "exp_looks"], [6.0, 5.0], [6.0, 5.0], [6.0, 5.0]]
    header, speed, looks = CRM_GAP(perceived, expected)
    assert header == ["item", "n", "perceived", "expected", "gap", "ci_low", "ci_high"]
    # speed: gaps -1, 0, -2 -> mean -1, half-width 4.303 / sqrt 3 = 2.4843
    assert speed[:5] == ["speed", 3, 5.0, 6.0, -1.0]
    assert speed[5] == pytest.approx(-1 - 4.303 / math.sqrt(3), abs=1e-3)
    # looks: the blank third answer leaves 2 pairs, gaps 2 and 1 -> 1.5
    assert looks[:5] == ["looks", 2, 6.5, 5.0, 1.5]
    assert CRM_GAP([[5.0]], [[6.0], [5.0]]).startswith("#CRM! perceived is 1 x 1, expected 2")


def test_functions_are_registered_for_the_wizard():
    names = {n for n, info in FUNCTIONS.items() if info.category == "CRM Surveys"}
    assert names == {"CRM_NPS", "CRM_NPS_MOE", "CRM_CSAT", "CRM_KANO", "CRM_ALPHA", "CRM_GAP"}
