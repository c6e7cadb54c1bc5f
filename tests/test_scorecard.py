"""Balanced-scorecard routines against hand-worked and published values."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin.errors import InputError
from addin.scorecard import (
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


def test_objective_weights_by_name_or_by_perspective_and_name():
    # Grow 0.5 and Profit 1.0 weighed 1:3 -> financial 0.875; overall (0.875 + 0.5) / 2
    for key in ("Profit", ("financial", "Profit")):
        r = evaluate_scorecard(card(), weights={"objectives": {key: 3.0}})
        assert r.perspectives.loc["financial", "score"] == pytest.approx(87.5)
        assert r.overall == pytest.approx(68.75)
    with pytest.raises(InputError, match="objective weights must not be negative"):
        evaluate_scorecard(card(), weights={"objectives": {"Profit": -1}})


def test_red_and_amber_in_the_wrong_order_for_the_polarity_are_refused_naming_the_row():
    # higher is better wants red <= amber; lower is better wants red >= amber
    k = card(red=[70.0, None, None, None, 2.5], amber=[60.0, None, None, None, 3.5])
    with pytest.raises(InputError) as info:
        evaluate_scorecard(k)
    lines = [str(p) for p in info.value.problems]
    assert lines == [
        "sheet 'Scorecard', row 2, column 'amber': an amber limit with the red limit at or "
        "below it (higher is better; red is 70) (found 60)",
        "sheet 'Scorecard', row 6, column 'amber': an amber limit with the red limit at or "
        "above it (lower is better; red is 2.5) (found 3.5)"]


@given(st.lists(st.tuples(st.sampled_from(["financial", "customer", "internal process"]),
                          st.sampled_from(["O1", "O2"]), st.floats(0, 5),
                          st.one_of(st.none(), st.floats(-200, 200)),
                          st.sampled_from(["higher", "lower", "target"])),
                min_size=1, max_size=12),
       st.floats(1, 1.5))
def test_roll_up_stays_in_range_and_adds_up(rows, cap):
    k = pd.DataFrame({"perspective": [r[0] for r in rows], "objective": [r[1] for r in rows],
                      "kpi": [f"K{i}" for i in range(len(rows))],
                      "weight": [r[2] for r in rows], "target": 100.0,
                      "actual": [np.nan if r[3] is None else r[3] for r in rows],
                      "baseline": 50.0, "polarity": [r[4] for r in rows]},
                     index=pd.RangeIndex(2, 2 + len(rows), name="row"))
    if k["actual"].isna().all():
        return
    r = evaluate_scorecard(k, cap=cap)
    assert 0.0 <= r.overall <= 100 * cap + 1e-9
    assert r.kpis["weighted_score"].sum() == pytest.approx(r.overall, abs=1e-9)
    assert r.kpis["global_weight"].sum() == pytest.approx(1.0)
    assert r.perspectives["weight"].sum() == pytest.approx(1.0)
    # the order of the rows does not matter
    again = evaluate_scorecard(k.iloc[::-1], cap=cap)
    assert again.overall == pytest.approx(r.overall)


def test_trend_uses_the_tolerance_column_and_the_fiscal_year_end():
    months = ["2026-05", "2026-06", "2026-08"]  # July skipped: x = 0, 1, 3 months
    k = card(tolerance=[None, None, None, 0.5, None])
    k["polarity"] = ["higher", "higher", "higher", "target", "lower"]
    k[months[0]], k[months[1]], k[months[2]] = ([50.0, 30, 20, 3.0, 4.0], [55.0, 30, 20, 3.5, 4],
                                                [65.0, 30, 20, 3.9, 4])
    t = scorecard_trend(k, months, year_end_month=9)
    # Revenue on x = 0, 1, 3: 50, 55, 65 lies on 50 + 5x: slope 5 a month, change 5 x 3 = 15;
    # the fiscal year ends in September: one month ahead, forecast 65 + 5 = 70
    assert t.loc[2, "slope_per_month"] == pytest.approx(5.0)
    assert t.loc[2, "direction"] == "improving"
    assert t.loc[2, "forecast_year_end"] == pytest.approx(70.0)
    # CSAT (target 4.5, tolerance 0.5): 3.9 is 0.6 away, red. Its line through
    # (0, 3.0), (1, 3.5), (3, 3.9): mean x 4/3, mean y 3.4667, Sxy 1.3333 / Sxx 4.6667 = slope
    # 0.2857, intercept 3.0857; September (x = 4): 4.229, progress 1 - 0.271 / 0.5 = 0.46, which
    # the scorecard shows red, and the line does not cross 4.5: not reached this year
    assert t.loc[5, "reaches_target"] is None
    # progress by the tolerance column: 1 - |3.9 - 4.5| / 0.5 = -0.2 -> 0
    assert t.loc[5, "progress 2026-08"] == 0.0
    # with the year ending in August, nothing is left to forecast: the fitted line's end
    assert scorecard_trend(k, months, year_end_month=8).loc[2, "forecast_year_end"] == \
        pytest.approx(65.0)
    with pytest.raises(ValueError, match="year_end_month 13"):
        scorecard_trend(k, months, year_end_month=13)


def test_a_kpi_shown_red_is_never_already_at_its_target():
    """Issue 12 item 6: CSAT 4.3 against target 4.5 with tolerance 0.5 is inside the tolerance
    but at progress 1 - 0.2 / 0.5 = 0.6, which the scorecard shows red; the trend must not call
    it reached. Its line rises 0.1 a month (4.1, 4.2, 4.3): 4.4 in November, 4.5 in December,
    where it reaches the target (progress 1, green)."""
    months = ["2026-08", "2026-09", "2026-10"]
    k = card(tolerance=[None, None, None, 0.5, None])
    k["polarity"] = ["higher", "higher", "higher", "target", "lower"]
    for m, v in zip(months, [4.1, 4.2, 4.3], strict=True):
        k[m] = [50.0, 30, 20, v, 4]
    k["actual"] = k["2026-10"]
    status = evaluate_scorecard(k).kpis.loc[5, "status"]
    t = scorecard_trend(k, months)
    assert status == "red"
    assert t.loc[5, "reaches_target"] == "2026-12"
    # on target now: green on the sheet and "already" in the trend
    k.loc[5, ["2026-10", "actual"]] = 4.5
    assert evaluate_scorecard(k).kpis.loc[5, "status"] == "green"
    assert scorecard_trend(k, months).loc[5, "reaches_target"] == "already"
    # a higher-is-better KPI green by its own limits is "already"; red by them, never
    k = card(red=[60.0, None, None, None, None], amber=[70.0, None, None, None, None])
    k["2026-09"], k["2026-10"] = [58.0, 30, 30, 4, 3], [59.0, 30, 30, 4, 3]
    k["actual"] = k["2026-10"]
    assert evaluate_scorecard(k).kpis.loc[2, "status"] == "red"
    assert scorecard_trend(k, ["2026-09", "2026-10"]).loc[2, "reaches_target"] != "already"


def test_a_trend_on_stale_data_says_so_instead_of_forecasting():
    """Revenue has no actual for the last three months (Aug to Oct): its line through May to
    July would forecast December from data half a year old; it says "stale" instead."""
    months = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    k = card()
    for i, m in enumerate(months):
        k[m] = [50.0 + 5 * i if i < 3 else np.nan, 30, 30, 4, 3]
    t = scorecard_trend(k, months)
    assert t.loc[2, "direction"] == "stale"
    assert np.isnan(t.loc[2, "forecast_year_end"]) and t.loc[2, "reaches_target"] is None
    assert t.loc[2, "last_actual"] == "2026-07"
    assert t.loc[3, "direction"] == "flat" and t.loc[3, "last_actual"] == "2026-10"
    # two months without an actual is not stale yet
    assert scorecard_trend(k, months[:5]).loc[2, "direction"] != "stale"


def test_trend_with_too_few_actuals_says_no_data():
    k = card(**{"2026-09": [60.0, np.nan, 30, 4, 3], "2026-10": [np.nan, np.nan, 30, 4, 3]})
    t = scorecard_trend(k)
    assert t.loc[2, "direction"] == "no data" and np.isnan(t.loc[2, "forecast_year_end"])
    assert t.loc[3, "direction"] == "no data" and t.loc[3, "reaches_target"] is None


def test_strategy_map_as_a_graph_for_the_reports():
    m = strategy_map(card(drives=[None, None, "Grow", "Profit", None]))
    g = m.graph()
    assert g["edges"] == [{"source": "Profit", "target": "Grow"},
                          {"source": "Delight", "target": "Profit"}]
    assert g["nodes"] == [{"id": "Delight", "perspective": "customer"},
                          {"id": "Profit", "perspective": "financial"},
                          {"id": "Grow", "perspective": "financial"}]


def test_a_scorecard_without_any_actual_is_refused():
    k = card()
    k["actual"] = np.nan
    with pytest.raises(InputError, match="no KPI of the Scorecard sheet has an actual: there "
                                         "is nothing to score"):
        evaluate_scorecard(k)
    k["2026-09"] = np.nan
    with pytest.raises(InputError, match="has an actual for 2026-09"):
        evaluate_scorecard(k, period="2026-09")
