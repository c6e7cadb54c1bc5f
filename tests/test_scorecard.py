"""Balanced-scorecard routines against hand-worked and published values."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin.errors import InputError
from addin.scorecard import (
    RANDOM_INDEX,
    ahp_hierarchy,
    ahp_weights,
    evaluate_scorecard,
    fuzzy_evaluation,
    kpi_progress,
    kpi_status,
    scorecard_trend,
    strategy_map,
)

# --- kpi_progress ---------------------------------------------------------------------------


@pytest.mark.parametrize(("actual", "target", "baseline", "polarity", "expected"), [
    (75, 100, 50, "higher", 0.5),      # (75 - 50) / (100 - 50)
    (80, 100, None, "higher", 0.8),    # 80 / 100
    (12, 10, 14, "lower", 0.5),        # (14 - 12) / (14 - 10)
    (12.5, 10, None, "lower", 0.8),    # 10 / 12.5
    (3.2, 3.0, 2.0, "target", 0.8),    # 1 - |3.2 - 3| / |3 - 2|
    (3.2, 3.0, None, "target", 1 - 0.2 / 0.3),  # tolerance 10 % of 3 = 0.3
    (150, 100, 50, "higher", 1.0),     # capped at 1
    (20, 100, 50, "higher", 0.0),      # worse than baseline: 0, not negative
])
def test_progress_by_polarity(actual, target, baseline, polarity, expected):
    assert kpi_progress(actual, target, baseline, polarity) == pytest.approx(expected)


def test_progress_cap_allows_over_achievement():
    assert kpi_progress(150, 100, 50, "higher", cap=1.2) == pytest.approx(1.2)  # 2.0 capped
    assert kpi_progress(110, 100, 50, "higher", cap=1.5) == pytest.approx(1.2)  # 60 / 50
    with pytest.raises(ValueError, match="cap"):
        kpi_progress(1, 1, cap=0.5)


def test_progress_degenerate_cases():
    assert math.isnan(kpi_progress(None, 100))                     # missing actual
    assert math.isnan(kpi_progress(float("nan"), 100, 50))
    assert kpi_progress(95, 95, 95, "higher") == 1.0               # target == baseline, met
    assert kpi_progress(94, 95, 95, "higher") == 0.0               # ... not met
    assert kpi_progress(5, 5, 5, "lower") == 1.0
    assert kpi_progress(3, 0, None, "higher") == 1.0               # zero target, at or above
    assert kpi_progress(-3, 0, None, "higher") == 0.0
    assert kpi_progress(0, 0, None, "lower") == 1.0                # zero complaints: met
    assert kpi_progress(2, 0, None, "lower") == 0.0
    assert kpi_progress(0, 5, None, "lower") == 1.0                # can't beat zero: cap
    assert kpi_progress(3, 3, 3, "target") == 1.0                  # zero tolerance, exact
    assert kpi_progress(3.1, 3, 3, "target") == 0.0


def test_progress_is_vectorised_over_series():
    s = kpi_progress(pd.Series([75, 12, None], index=[5, 6, 7]), pd.Series([100, 10, 1]),
                     pd.Series([50, 14, 0]), pd.Series(["higher", "lower", "higher"]))
    assert isinstance(s, pd.Series) and list(s.index) == [5, 6, 7]
    assert s.iloc[0] == pytest.approx(0.5) and s.iloc[1] == pytest.approx(0.5)
    assert math.isnan(s.iloc[2])
    with pytest.raises(ValueError, match="polarity 'up'"):
        kpi_progress(1, 2, polarity="up")


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(-1e6, 1e6),
       st.sampled_from(["higher", "lower", "target"]), st.floats(1, 2))
def test_progress_stays_in_zero_to_cap(actual, target, baseline, polarity, cap):
    p = kpi_progress(actual, target, baseline, polarity, cap=cap)
    assert 0.0 <= p <= cap


# --- kpi_status -----------------------------------------------------------------------------


def test_status_by_progress_bands():
    assert [kpi_status(p) for p in (1.0, 0.99, 0.8, 0.79, float("nan"))] == [
        "green", "amber", "amber", "red", "no data"]
    assert kpi_status(0.7, (0.9, 0.6)) == "amber"
    with pytest.raises(ValueError, match="amber must not be above green"):
        kpi_status(0.7, (0.5, 0.6))


def test_status_by_limits_in_the_actuals_unit_respects_polarity():
    # revenue (higher): red below 27.3, amber below 31.8 (the demo's first KPI)
    assert kpi_status(27.0, red=27.3, amber=31.8) == "red"
    assert kpi_status(31.2, red=27.3, amber=31.8) == "amber"
    assert kpi_status(31.8, red=27.3, amber=31.8) == "green"
    # cost to serve (lower): red above 11, amber above 10
    assert kpi_status(11.5, polarity="lower", red=11, amber=10) == "red"
    assert kpi_status(10.7, polarity="lower", red=11, amber=10) == "amber"
    assert kpi_status(9.0, polarity="lower", red=11, amber=10) == "green"
    assert kpi_status(None, red=1, amber=2) == "no data"
    with pytest.raises(ValueError, match="need a direction"):
        kpi_status(3, polarity="target", red=1, amber=2)


# --- AHP ------------------------------------------------------------------------------------


def test_random_index_table_is_saatys():
    assert RANDOM_INDEX == (0.00, 0.00, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51,
                            1.48, 1.56, 1.57, 1.59)


@pytest.mark.parametrize("method", ["eigenvector", "geometric"])
def test_ahp_textbook_example_one(method):
    # The classic 3 x 3 example of AHP teaching material. Geometric means by hand:
    # (1*3*5)^(1/3) = 2.4662, (1/3*1*3)^(1/3) = 1, (1/5*1/3*1)^(1/3) = 0.4055; sum 3.8717
    # -> 0.637, 0.258, 0.105. lambda_max 3.039, CI = 0.039 / 2 = 0.0193, CR = 0.0193 / 0.58.
    r = ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]], method)
    assert np.round(r.weights.to_numpy(), 3).tolist() == [0.637, 0.258, 0.105]
    assert r.lambda_max == pytest.approx(3.039, abs=5e-4)
    assert r.ci == pytest.approx(0.0193, abs=5e-5)
    assert r.cr == pytest.approx(0.033, abs=5e-4)
    assert r.consistent and r.worst_judgement is None


def test_ahp_textbook_example_two():
    # A = [[1, 1/3, 1/2], [3, 1, 3], [2, 1/3, 1]]: weights 0.157, 0.594, 0.249,
    # lambda_max 3.054, CR 0.046 (Saaty's RI(3) = 0.58).
    r = ahp_weights([[1, 1 / 3, 1 / 2], [3, 1, 3], [2, 1 / 3, 1]])
    assert np.round(r.weights.to_numpy(), 3).tolist() == [0.157, 0.594, 0.249]
    assert r.lambda_max == pytest.approx(3.054, abs=5e-4)
    assert r.cr == pytest.approx(0.046, abs=5e-4)


def test_a_consistent_matrix_returns_its_weights_exactly():
    w = np.array([0.4, 0.3, 0.2, 0.1])
    r = ahp_weights(pd.DataFrame(np.outer(w, 1 / w), columns=list("ABCD")))
    assert r.weights.to_dict() == pytest.approx({"A": 0.4, "B": 0.3, "C": 0.2, "D": 0.1})
    assert r.lambda_max == pytest.approx(4.0) and r.cr == pytest.approx(0.0, abs=1e-12)


def test_an_inconsistent_matrix_names_the_judgement_to_revisit():
    # A > B (3), B > C (3), yet C > A (5): circular. Replacing the judgement the weights
    # contradict most by w_i / w_j must lower CR below the original.
    m = pd.DataFrame([[1, 3, 1 / 5], [1 / 3, 1, 3], [5, 1 / 3, 1]], columns=list("ABC"))
    r = ahp_weights(m)
    assert not r.consistent and r.cr > 0.10
    worst = r.worst_judgement
    assert worst["cr_after"] < r.cr
    fixed = m.copy()
    i, j = list("ABC").index(worst["row"]), list("ABC").index(worst["column"])
    fixed.iloc[i, j], fixed.iloc[j, i] = worst["suggested"], 1 / worst["suggested"]
    assert ahp_weights(fixed).cr == pytest.approx(worst["cr_after"])


@pytest.mark.parametrize(("matrix", "message"), [
    ([[1, 2], [2, 1]], r"matrix row 2, column 1 \(2 vs 1\) is 2, but 1 vs 2 is 2: expected its "
                       r"reciprocal 0.5"),
    ([[1, 2, 3], [0.5, 1]], "every cell must be a number|square"),
    ([[1, -2], [-0.5, 1]], r"row 1, column 2 .* is -2.0: judgements are positive"),
    ([[2, 1], [1, 1]], r"row 1, column 1 .* is 2: an item compared with itself is 1"),
    ([[1, 2, 3]], "square"),
])
def test_matrix_validation_names_the_cell(matrix, message):
    with pytest.raises(InputError, match=message):
        ahp_weights(matrix)


def test_ahp_hierarchy_global_weights_are_products_and_sum_to_one():
    persp = pd.DataFrame([[1, 3], [1 / 3, 1]], columns=["financial", "customer"])
    h = ahp_hierarchy(persp, {"financial": pd.DataFrame([[1, 1], [1, 1]], columns=["f1", "f2"]),
                              "customer": pd.DataFrame([[1]], columns=["c1"])})
    # perspectives 0.75 / 0.25 (3:1); f1, f2 0.5 each; c1 1
    assert h["global_weight"].tolist() == pytest.approx([0.375, 0.375, 0.25])
    assert h["global_weight"].sum() == pytest.approx(1.0)
    with pytest.raises(InputError, match="missing for customer"):
        ahp_hierarchy(persp, {"financial": [[1]]})


# --- fuzzy evaluation -----------------------------------------------------------------------


def test_fuzzy_evaluation_weighted_average_operator():
    # W = (0.5, 0.3, 0.2); R rows: memberships in (excellent, good, fair, poor)
    r = [[0.2, 0.5, 0.2, 0.1], [0.1, 0.3, 0.4, 0.2], [0.4, 0.4, 0.2, 0.0]]
    res = fuzzy_evaluation([0.5, 0.3, 0.2], r, {"excellent": 95, "good": 85, "fair": 70,
                                                "poor": 50})
    # B = 0.5*r1 + 0.3*r2 + 0.2*r3 = (0.21, 0.42, 0.26, 0.11); sums to 1 already
    assert res.membership.tolist() == pytest.approx([0.21, 0.42, 0.26, 0.11])
    assert res.grade == "good"
    assert res.score == pytest.approx(0.21 * 95 + 0.42 * 85 + 0.26 * 70 + 0.11 * 50)
    with pytest.raises(InputError, match="one row per weight"):
        fuzzy_evaluation([1, 1], r, ["a", "b", "c", "d"])


# --- roll-up --------------------------------------------------------------------------------


def card(**extra):
    rows = pd.DataFrame({
        "perspective": ["financial", "financial", "financial", "customer", "customer"],
        "objective": ["Grow", "Grow", "Profit", "Delight", "Delight"],
        "kpi": ["Revenue", "Share of wallet", "Margin", "CSAT", "Complaints"],
        "weight": [0.6, 0.4, 1.0, 3.0, 1.0],
        "target": [100.0, 40.0, 30.0, 4.5, 2.0],
        "actual": [75.0, np.nan, 30.0, 4.0, 3.0],
        "baseline": [50.0, 30.0, 20.0, 3.5, 4.0],
        "polarity": ["higher", "higher", "higher", "higher", "lower"],
    }, index=pd.RangeIndex(2, 7, name="row"))
    for k, v in extra.items():
        rows[k] = v
    return rows


def test_roll_up_worked_by_hand_with_a_missing_kpi():
    r = evaluate_scorecard(card())
    # progress: Revenue (75-50)/50 = 0.5; Share of wallet missing; Margin (30-20)/10 = 1;
    # CSAT (4-3.5)/1 = 0.5; Complaints (4-3)/(4-2) = 0.5.
    # Grow: Revenue alone, weight 0.6/0.6 = 1 -> 0.5. Profit: 1.0. financial = (0.5+1)/2 = 0.75
    # Delight: (3*0.5 + 1*0.5)/4 = 0.5. customer = 0.5. overall = 100*(0.75+0.5)/2 = 62.5
    assert r.kpis["progress"].tolist()[:1] == [0.5] and math.isnan(r.kpis["progress"].iloc[1])
    assert r.objectives.set_index("objective")["score"].to_dict() == pytest.approx(
        {"Grow": 50.0, "Profit": 100.0, "Delight": 50.0})
    assert r.perspectives["score"].to_dict() == pytest.approx({"financial": 75.0,
                                                               "customer": 50.0})
    assert r.overall == pytest.approx(62.5)
    assert r.perspectives["status"].to_dict() == {"financial": "red", "customer": "red"}
    assert any("Share of wallet (row 3) has no actual" in n for n in r.notes)
    # weighted scores add up to the overall score
    assert r.kpis["weighted_score"].sum() == pytest.approx(r.overall)
    assert r.kpis.loc[2, "global_weight"] == pytest.approx(0.25)  # 1 * 1/2 * 1/2


def test_perspective_weights_and_period_columns():
    k = card(**{"2026-09": [60.0, 35.0, 25.0, 3.5, 4.0]})
    r = evaluate_scorecard(k, weights={"perspectives": {"financial": 3, "customer": 1}})
    assert r.overall == pytest.approx(0.75 * 75 + 0.25 * 50)
    sept = evaluate_scorecard(k, period="2026-09")
    # Sept: Revenue 0.2, SoW 0.5 -> Grow 0.6*0.2+0.4*0.5 = 0.32; Profit 0.5; financial 0.41
    # CSAT 0, Complaints 0 -> customer 0; overall 20.5
    assert sept.overall == pytest.approx(20.5)
    with pytest.raises(InputError, match="no 2026-08 column"):
        evaluate_scorecard(k, period="2026-08")


def test_target_equal_to_baseline_is_refused_naming_the_row():
    k = card()
    k.loc[4, "baseline"] = 30.0
    with pytest.raises(InputError, match=r"sheet 'Scorecard', row 4, column 'baseline': a "
                                         r"baseline different from the target"):
        evaluate_scorecard(k)


def test_red_amber_limits_decide_the_status_where_given():
    r = evaluate_scorecard(card(red=[60.0, None, None, None, 3.5],
                                amber=[70.0, None, None, None, 2.5]))
    assert r.kpis["status"].tolist() == ["green", "no data", "green", "red", "amber"]


# --- trend ----------------------------------------------------------------------------------


def test_trend_direction_and_forecast_by_hand():
    k = card(**{"2026-07": [60.0, 30.0, 30.0, 4.4, 4.0], "2026-08": [65.0, 30.0, 30.0, 4.3, 3.5],
                "2026-09": [70.0, 30.0, 30.0, 4.2, 3.0], "2026-10": [75.0, 30.0, 30.0, 4.1, 2.5]})
    t = scorecard_trend(k)
    # Revenue rises 5 a month: improving; forecast Nov 80, Dec 85; never reaches 100 this year
    assert t.loc[2, "direction"] == "improving"
    assert t.loc[2, "slope_per_month"] == pytest.approx(5.0)
    assert t.loc[2, "forecast_year_end"] == pytest.approx(85.0)
    assert t.loc[2, "reaches_target"] is None
    assert t.loc[3, "direction"] == "flat"          # no change
    assert t.loc[4, "reaches_target"] == "already"  # margin 30 = target
    assert t.loc[5, "direction"] == "worsening"     # CSAT falling, higher is better
    # complaints fall 0.5 a month (lower is better): improving; 2.0 in November
    assert t.loc[6, "direction"] == "improving"
    assert t.loc[6, "reaches_target"] == "2026-11"
    assert t.loc[2, "progress 2026-10"] == pytest.approx(0.5)


# --- strategy map ---------------------------------------------------------------------------


def test_strategy_map_orders_causes_first_and_refuses_cycles():
    k = card(drives=[None, None, "Grow", "Profit; Grow", None])
    m = strategy_map(k)
    assert set(m.edges) == {("Profit", "Grow"), ("Delight", "Profit"), ("Delight", "Grow")}
    assert m.order.index("Delight") < m.order.index("Profit") < m.order.index("Grow")
    with pytest.raises(InputError, match=r"column 'drives': links without a cycle"):
        strategy_map(card(drives=["Delight", None, None, "Grow", None]))
    with pytest.raises(InputError, match=r"row 2, column 'drives': names of objectives .*Nowhere"):
        strategy_map(card(drives=["Nowhere", None, None, None, None]))


def test_an_objective_name_may_repeat_under_another_perspective():
    k = card()
    k.loc[5:6, "objective"] = "Grow"  # customer "Grow" is not financial "Grow"
    r = evaluate_scorecard(k)
    assert len(r.objectives) == 3
    assert r.overall == pytest.approx(62.5)  # the same numbers as the hand-worked roll-up
    assert r.kpis["global_weight"].sum() == pytest.approx(1.0)


# Saaty, T. L. (2008) "Decision making with the analytic hierarchy process", Int. J. Services
# Sciences 1(1), 83-98, Table 2 ("Which drink is consumed more in the U.S.?"): the judgements
# above the diagonal, row by row, and the derived priorities published there, 0.177, 0.019,
# 0.042, 0.116, 0.190, 0.129, 0.327. CR 0.022 with Saaty's RI(7) = 1.32 (AHPy's test suite
# reports the same 0.022 for this matrix).
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINKS_UPPER = [[9, 5, 2, 1, 1, 1 / 2], [1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
                [1 / 3, 1 / 4, 1 / 3, 1 / 9], [1 / 2, 1, 1 / 3], [2, 1 / 2], [1 / 3]]


def test_ahp_reproduces_saaty_2008_drinks():
    a = np.ones((7, 7))
    for i, row in enumerate(DRINKS_UPPER):
        for k, v in enumerate(row):
            a[i, i + 1 + k], a[i + 1 + k, i] = v, 1 / v
    r = ahp_weights(pd.DataFrame(a, columns=DRINKS))
    assert np.round(r.weights.to_numpy(), 3).tolist() == [0.177, 0.019, 0.042, 0.116, 0.190,
                                                          0.129, 0.327]
    assert round(r.cr, 3) == 0.022
    assert r.ci == pytest.approx(r.cr * 1.32) and r.lambda_max == pytest.approx(7 + 6 * r.ci)
    assert r.consistent


@pytest.mark.parametrize(("row", "column", "wrong", "should_be"),
                         [("A", "D", 1 / 8, 8.0), ("B", "C", 1 / 4, 2.0)])
def test_a_judgement_entered_the_wrong_way_round_is_found_and_set_back(row, column, wrong,
                                                                        should_be):
    # Consistent judgements from w = (8, 4, 2, 1) (a_ij = w_i / w_j), with one of them entered
    # the wrong way round (8 as 1/8; 2 as 1/4). Setting it back makes the matrix consistent
    # again (CR 0), so that is the best single change; the value the distorted weights imply
    # points the wrong way (below 1) and would leave CR above 0.
    w = np.array([8.0, 4.0, 2.0, 1.0])
    m = pd.DataFrame(np.outer(w, 1 / w), columns=list("ABCD"), index=list("ABCD"))
    m.loc[row, column], m.loc[column, row] = wrong, 1 / wrong
    r = ahp_weights(m)
    assert not r.consistent
    worst = r.worst_judgement
    assert (worst["row"], worst["column"], worst["judgement"]) == (row, column, wrong)
    assert worst["suggested"] == should_be
    assert worst["cr_after"] == pytest.approx(0.0, abs=1e-9)
    assert worst["implied"] < 1
