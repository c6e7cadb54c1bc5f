"""SERVQUAL gaps with paired t intervals, and importance-performance quadrants, against
numbers worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from addin.surveys import gap_analysis, importance_performance, servqual_dimension

T_975_DF2 = 4.303  # Student's t, 97.5th percentile, 2 degrees of freedom (printed tables)
T_975_DF3 = 3.182


def test_item_gap_worked_by_hand():
    perceived = pd.DataFrame({"perf_reliability_1": [5, 6, 4]})
    expected = pd.DataFrame({"exp_reliability_1": [6, 6, 6]})
    row = gap_analysis(perceived, expected).query("level == 'item'").iloc[0]
    # differences -1, 0, -2: mean -1; sd = sqrt((0 + 1 + 1) / 2) = 1; se = 1 / sqrt(3)
    # half-width = 4.303 * 0.57735 = 2.4843 -> CI -3.484 .. 1.484
    assert (row["item"], row["dimension"], row["n"]) == ("reliability_1", "reliability", 3)
    assert (row["perceived"], row["expected"], row["gap"]) == pytest.approx((5, 6, -1))
    assert row["ci_low"] == pytest.approx(-1 - T_975_DF2 / math.sqrt(3), abs=1e-3)
    assert row["ci_high"] == pytest.approx(-1 + T_975_DF2 / math.sqrt(3), abs=1e-3)
    assert row["excluded"] == "none"


def test_dimension_gap_is_the_mean_of_each_respondents_item_gaps():
    perceived = pd.DataFrame({"perf_empathy_1": [4, 5, 6, 7], "perf_empathy_2": [2, 5, 6, 3]})
    expected = pd.DataFrame({"exp_empathy_1": [5, 5, 5, 5], "exp_empathy_2": [4, 6, 6, 5]})
    out = gap_analysis(perceived, expected)
    dim = out.query("level == 'dimension'").iloc[0]
    # respondent gaps: (-1 + -2)/2 = -1.5, (0 + -1)/2 = -0.5, (1 + 0)/2 = 0.5, (2 + -2)/2 = 0
    # mean -0.375; deviations -1.125, -0.125, 0.875, 0.375 -> squares 1.265625, 0.015625,
    # 0.765625, 0.140625 = 2.1875; sd = sqrt(2.1875 / 3) = 0.853913; se = 0.426956
    # half = 3.182 * 0.426956 = 1.3586
    assert dim["dimension"] == "empathy" and dim["n"] == 4
    assert dim["gap"] == pytest.approx(-0.375)
    assert dim["ci_low"] == pytest.approx(-0.375 - 1.3586, abs=1e-3)
    assert dim["ci_high"] == pytest.approx(-0.375 + 1.3586, abs=1e-3)
    # P of the dimension: respondents' mean P 3, 5, 6, 5 -> 4.75; E 4.5, 5.5, 5.5, 5 -> 5.125
    assert (dim["perceived"], dim["expected"]) == pytest.approx((4.75, 5.125))
    assert list(out["level"]) == ["dimension", "item", "item"]


def test_sorted_worst_gap_first_and_mapping():
    perceived = pd.DataFrame({"perf_speed": [3, 3], "perf_looks": [7, 7], "perf_trust": [5, 4]})
    expected = pd.DataFrame({"exp_speed": [6, 6], "exp_looks": [5, 5], "exp_trust": [5, 5]})
    mapping = {"speed": "responsiveness", "perf_looks": "tangibles"}
    out = gap_analysis(perceived, expected, mapping)
    items = out.query("level == 'item'")
    assert list(items["item"]) == ["speed", "trust", "looks"]  # -3, -0.5, +2
    assert list(items["dimension"].fillna("")) == ["responsiveness", "", "tangibles"]
    assert list(out.query("level == 'dimension'")["dimension"]) == ["responsiveness",
                                                                    "tangibles"]


def test_left_out_and_unpaired_answers():
    perceived = pd.DataFrame({"perf_tangibles_1": [5, "N/A", 8, 4, None, 6]})
    expected = pd.DataFrame({"exp_tangibles_1": [5, 6, 6, None, None, 7]})
    row = gap_analysis(perceived, expected).query("level == 'item'").iloc[0]
    # pairs: (5,5), (6,7) -> n 2, gaps 0 and -1, mean -0.5
    assert row["n"] == 2 and row["gap"] == pytest.approx(-0.5)
    # perceived: None blank, "N/A" text, 8 off 1..7; expected: two blanks;
    # unpaired: row 2 (E valid, P text), row 3 (E valid, P off), row 4 (P valid, E blank)
    assert row["excluded"] == ("perceived: 1 blank, 1 text, 1 out of range; "
                               "expected: 2 blank; 3 unpaired")


def test_one_respondent_and_no_pair():
    out = gap_analysis(pd.DataFrame({"perf_x": [5]}), pd.DataFrame({"exp_x": [4]}))
    row = out.iloc[0]
    assert row["gap"] == 1 and row["n"] == 1
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])  # one pair: no spread
    none = gap_analysis(pd.DataFrame({"perf_x": [None]}), pd.DataFrame({"exp_x": ["n/a"]}))
    assert none.iloc[0]["n"] == 0 and math.isnan(none.iloc[0]["gap"])


def test_unmatched_items_are_named():
    with pytest.raises(ValueError, match="perceived items without expected: b"):
        gap_analysis(pd.DataFrame({"perf_a": [1], "perf_b": [1]}), pd.DataFrame({"exp_a": [1]}))


@pytest.mark.parametrize(("name", "dimension"), [
    ("perf_reliability_1", "reliability"), ("Reliability 2", "reliability"),
    ("empathy3", "empathy"), ("tangibles", "tangibles"), ("assurance-b", "assurance"),
    ("speed_1", None), ("reliable", None),
])
def test_servqual_dimension_from_the_name(name, dimension):
    assert servqual_dimension(name) == dimension


@given(st.lists(st.tuples(st.integers(1, 7), st.integers(1, 7)), min_size=2, max_size=50))
def test_gap_interval_matches_scipy(pairs):
    p, e = zip(*pairs, strict=True)
    row = gap_analysis(pd.DataFrame({"perf_q": p}), pd.DataFrame({"exp_q": e})).iloc[0]
    diff = np.subtract(p, e)
    assert row["gap"] == pytest.approx(diff.mean())
    if diff.std() > 0:
        lo, hi = stats.ttest_rel(p, e).confidence_interval(0.95)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
    assert row["ci_low"] <= row["gap"] <= row["ci_high"]


def test_ipa_mean_and_midpoint_splits():
    importance = pd.DataFrame({"imp_a": [6, 6], "imp_b": [7, 7], "imp_c": [5, 5]})
    performance = pd.DataFrame({"perf_a": [5, 6], "perf_b": [6, 7], "perf_c": [6, 6]})
    # means: a (imp 6, perf 5.5), b (7, 6.5), c (5, 6); grand means imp 6, perf 6
    result = importance_performance(importance, performance, "mean")
    by_mean = result.table.set_index("item")
    assert result.importance_split == pytest.approx(6.0)
    assert result.performance_split == pytest.approx(6.0)
    assert by_mean.loc["a", "quadrant"] == "Concentrate here"       # imp 6 >= 6, perf 5.5 < 6
    assert by_mean.loc["b", "quadrant"] == "Keep up the good work"
    assert by_mean.loc["c", "quadrant"] == "Possible overkill"      # imp 5 < 6, perf 6 >= 6
    # midpoint of 1..7 is 4: every item is above it on both axes
    by_mid = importance_performance(importance, performance, "midpoint")
    assert set(by_mid.table["quadrant"]) == {"Keep up the good work"}
    assert by_mid.importance_split == 4 and by_mid.split == "midpoint"


def test_ipa_low_priority_left_out_answers_and_bad_split():
    importance = pd.DataFrame({"imp_a": [2, "N/A"], "imp_b": [6, 6]})
    performance = pd.DataFrame({"perf_a": [2, 2], "perf_b": [6, 9]})
    out = importance_performance(importance, performance, "midpoint").table.set_index("item")
    assert out.loc["a", "quadrant"] == "Low priority"
    assert out.loc["a", "excluded"] == "importance: 1 text"
    assert out.loc["b", "excluded"] == "performance: 1 out of range"
    assert out.loc["b", "n_performance"] == 1
    with pytest.raises(ValueError, match="split"):
        importance_performance(importance, performance, "median")
    empty = importance_performance(pd.DataFrame({"imp_a": [None]}),
                                   pd.DataFrame({"perf_a": [3]}))
    assert empty.table.iloc[0]["quadrant"] is None
