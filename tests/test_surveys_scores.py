"""CSAT, NPS (margin of error, difference test), CES and the satisfaction index, against
numbers worked by hand in the comments; invariants with hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin.surveys import Exclusions, ces, csat, nps, nps_difference, satisfaction_index
from addin.surveys.answers import clean_answers


def test_nps_worked_by_hand():
    # 10 answers: promoters 10,10,9,9,9 (5); passives 8,7 (2); detractors 6,2,0 (3)
    result = nps([10, 10, 9, 9, 9, 8, 7, 6, 2, 0])
    assert (result.promoters, result.passives, result.detractors, result.n) == (5, 2, 3, 10)
    # NPS = 100 * (5 - 3) / 10 = 20
    assert result.score == pytest.approx(20.0)
    # pP = 0.5, pD = 0.3: var = (0.5 + 0.3) - (0.5 - 0.3)^2 = 0.8 - 0.04 = 0.76
    # MOE = 1.96 * sqrt(0.76 / 10) * 100 = 1.96 * 0.2756810 * 100 = 54.0335 points
    assert result.margin_of_error == pytest.approx(54.0335, abs=1e-4)
    assert (result.ci_low, result.ci_high) == pytest.approx((20 - 54.0335, 20 + 54.0335),
                                                           abs=1e-4)
    assert result.excluded == Exclusions()


def test_nps_reports_what_it_left_out():
    answers = [10, 9, 0, None, "N/A", "don't know", 11, 7.5, -1, "#N/A", "  ", True, "8"]
    result = nps(answers)
    # valid: 10, 9, 0 and the text "8" (a number stored as text) -> P 2, passive 1, D 1
    assert (result.promoters, result.passives, result.detractors, result.n) == (2, 1, 1, 4)
    assert result.score == pytest.approx(100 * (2 - 1) / 4)
    # blank: None, "#N/A" (an Excel error), "  "; text: "N/A", "don't know", True;
    # out of range: 11, 7.5 (between two points), -1
    assert result.excluded == Exclusions(blank=3, text=3, out_of_range=3)
    assert result.excluded.describe() == "3 blank, 3 text, 3 out of range"
    assert result.n + result.excluded.total == len(answers)


def test_nps_empty_and_one_answer():
    empty = nps([])
    assert empty.n == 0 and math.isnan(empty.score) and math.isnan(empty.margin_of_error)
    only_text = nps(["N/A", None])
    assert only_text.n == 0 and only_text.excluded == Exclusions(blank=1, text=1)
    one = nps([10])
    assert one.score == 100.0 and one.n == 1
    assert math.isnan(one.margin_of_error)  # one answer says nothing about spread
    assert nps(9).promoters == 1  # a single cell


def test_nps_thresholds_are_settings():
    # with promoters 8-10 and detractors 0-5: 10, 8 promote; 6, 7 passive; 5 detracts
    result = nps([10, 8, 7, 6, 5], promoter_min=8, detractor_max=5)
    assert (result.promoters, result.passives, result.detractors) == (2, 2, 1)
    with pytest.raises(ValueError, match="detractor_max"):
        nps([1], promoter_min=6, detractor_max=6)


def test_nps_difference_worked_by_hand():
    a = [10, 10, 9, 9, 9, 8, 7, 6, 2, 0]              # NPS 20, var 0.76, n 10 (above)
    b = [10] * 4 + [8] * 6 + [3] * 10                 # P 4, passive 6, D 10 of 20: NPS -30
    # var_b = (0.2 + 0.5) - (0.2 - 0.5)^2 = 0.7 - 0.09 = 0.61
    # SE = 100 * sqrt(0.76/10 + 0.61/20) = 100 * sqrt(0.1065) = 32.6343
    # z = 50 / 32.6343 = 1.53213; p = 2 * (1 - Phi(1.53213)) = erfc(1.53213 / sqrt 2)
    test = nps_difference(a, b)
    assert test.difference == pytest.approx(50.0)
    assert test.standard_error == pytest.approx(32.6343, abs=1e-4)
    assert test.z == pytest.approx(1.53213, abs=1e-5)
    assert test.p_value == pytest.approx(math.erfc(1.53213 / math.sqrt(2)), abs=1e-5)
    assert test.p_value == pytest.approx(0.1255, abs=1e-4)
    assert not test.significant
    # the same groups, ten times larger: SE shrinks by sqrt(10), now significant
    big = nps_difference(nps(a * 10), nps(b * 10))
    assert big.standard_error == pytest.approx(32.6343 / math.sqrt(10), abs=1e-4)
    assert big.significant


def test_nps_difference_edges():
    same = nps_difference([10, 10], [10, 9])
    assert same.standard_error == 0 and same.z == 0 and same.p_value == 1
    apart = nps_difference([10, 10], [0, 0])
    assert apart.z == math.inf and apart.p_value == 0
    tiny = nps_difference([10], [0, 3])
    assert math.isnan(tiny.z) and math.isnan(tiny.p_value)


def test_csat_worked_by_hand():
    answers = [5, 4, 4, 3, 2, 1, 5, "N/A", None, 6]
    # valid: 5,4,4,3,2,1,5 (7); top two of 1..5 (4 or 5): 5,4,4,5 -> 4/7 = 57.142857 %
    result = csat(answers)
    assert result == pytest.approx(400 / 7)
    assert result.n == 7
    assert result.excluded == Exclusions(blank=1, text=1, out_of_range=1)
    # top box only (5 of 5): 2/7
    assert csat(answers, top_box=1) == pytest.approx(200 / 7)
    # a 1..10 scale, top three (8-10): 9 and 10 of [10, 9, 7, 2] -> 50 %
    assert csat([10, 9, 7, 2], scale=10, top_box=3) == pytest.approx(50.0)
    assert isinstance(result, float)


def test_csat_edges():
    assert math.isnan(csat([])) and csat([]).n == 0
    assert csat([5]) == 100.0 and csat([3]) == 0.0
    with pytest.raises(ValueError, match="top_box"):
        csat([5], scale=5, top_box=5)


def test_ces_worked_by_hand():
    # valid 7, 6, 5 -> mean 6; "x" is text, 8 is off the 1..7 scale
    result = ces([7, 6, 5, "x", 8])
    assert result == pytest.approx(6.0)
    assert result.n == 3 and result.excluded == Exclusions(text=1, out_of_range=1)
    assert ces([3, 5], scale=5) == pytest.approx(4.0)
    assert math.isnan(ces([None]))


def test_satisfaction_index_worked_by_hand():
    items = pd.DataFrame({"overall": [5, 3], "nps": [8, 6]})
    scales = {"overall": (1, 5), "nps": (0, 10)}
    # overall: mean 4 on 1..5 -> 100 * (4 - 1) / 4 = 75; nps: mean 7 on 0..10 -> 70
    assert satisfaction_index(items, scales=scales) == pytest.approx((75 + 70) / 2)
    # weights 3 : 1 -> (3 * 75 + 70) / 4 = 73.75
    assert satisfaction_index(items, {"overall": 3, "nps": 1}, scales) == pytest.approx(73.75)
    # one item on one scale for all: 1..10, answers 10 and 1 -> mean 5.5 -> 50
    assert satisfaction_index(pd.DataFrame({"q": [10, 1]})) == pytest.approx(50.0)


def test_satisfaction_index_left_out_answers_and_edges():
    items = pd.DataFrame({"a": [5, "N/A", 9], "b": [None, None, None]})
    result = satisfaction_index(items, scales=(1, 5))
    # a: only 5 is valid (9 is off 1..5) -> 100; b has no valid answer and drops out
    assert result == pytest.approx(100.0)
    assert result.n == 1  # one respondent with a valid answer
    assert result.excluded == Exclusions(blank=3, text=1, out_of_range=1)
    assert math.isnan(satisfaction_index(pd.DataFrame({"a": [None]}), scales=(1, 5)))
    with pytest.raises(ValueError, match="not items"):
        satisfaction_index(items, {"zzz": 1})
    with pytest.raises(ValueError):
        satisfaction_index(pd.DataFrame())


def test_clean_answers_keeps_the_index():
    answers = pd.Series([3, "N/A", 9], index=[2, 5, 7])
    clean = clean_answers(answers, 1, 5)
    assert list(clean.values.index) == [2, 5, 7]
    assert clean.valid.to_dict() == {2: 3.0}


answer = st.one_of(st.integers(-3, 13), st.none(), st.sampled_from(["N/A", "don't know", ""]),
                   st.floats(-2, 12), st.just(float("nan")))


@given(st.lists(answer, max_size=60))
def test_nps_invariants(answers):
    result = nps(answers)
    assert result.promoters + result.passives + result.detractors == result.n
    assert result.n + result.excluded.total == len(answers)
    if result.n:
        assert -100 <= result.score <= 100
    if result.n >= 2:
        assert 0 <= result.margin_of_error <= 196  # var <= 1


@given(st.lists(answer, max_size=60), st.integers(1, 4))
def test_csat_stays_a_percentage(answers, top_box):
    value = csat(answers, 5, top_box)
    assert value.n + value.excluded.total == len(answers)
    assert math.isnan(value) or 0 <= value <= 100


@given(st.lists(st.lists(st.integers(0, 10), min_size=3, max_size=3), min_size=1, max_size=30))
def test_satisfaction_index_stays_in_0_100(rows):
    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    value = satisfaction_index(frame, scales=(0, 10))
    assert 0 <= value <= 100
    # all answers at the bottom -> 0, at the top -> 100
    assert satisfaction_index(frame * 0, scales=(0, 10)) == 0
    assert satisfaction_index(frame * 0 + 10, scales=(0, 10)) == 100


def test_numeric_columns_take_the_fast_path():
    # a float column straight from the reader: NaN is blank, 11 is off the scale
    result = nps(pd.Series([10.0, np.nan, 11.0, 3.0]))
    assert result.n == 2 and result.excluded == Exclusions(blank=1, out_of_range=1)
