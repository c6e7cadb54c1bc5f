"""analyse_survey on the demo workbook (checked against plain pandas computed here), by
group, with bad settings, and on surveys of one respondent, one item or no rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from survey_helpers import demo_workbook

from addin.demo import MESSY_SURVEY
from addin.errors import InputError
from addin.surveys import SurveySettings, analyse_survey


@pytest.fixture(scope="module")
def demo_report():
    wb = demo_workbook()
    return analyse_survey(wb["Survey"], wb["Customers"], wb["Transactions"], wb["Complaints"],
                          wb["Settings"], by="segment")


def _plain(column: pd.Series, low: int, high: int) -> pd.Series:
    """Independent cleaning: numbers only, whole points of low..high."""
    numbers = pd.to_numeric(column.where(column.map(lambda v: not isinstance(v, str))),
                            errors="coerce")
    return numbers[(numbers >= low) & (numbers <= high) & (numbers == numbers.round())]


def test_headline_against_plain_pandas(demo_report):
    survey = demo_workbook()["Survey"]
    nps = _plain(survey["nps"], 0, 10)
    expected_nps = 100 * ((nps >= 9).mean() - (nps <= 6).mean())
    assert demo_report.nps.score == pytest.approx(expected_nps)
    p, d = (nps >= 9).mean(), (nps <= 6).mean()
    assert demo_report.nps.margin_of_error == pytest.approx(
        1.96 * math.sqrt(((p + d) - (p - d) ** 2) / len(nps)) * 100)
    overall = _plain(survey["overall"], 1, 5)
    assert float(demo_report.csat) == pytest.approx(100 * (overall >= 4).mean())
    assert float(demo_report.ces) == pytest.approx(survey["ces"].mean())
    perf = [c for c in survey.columns if c.startswith("perf_")]
    rescaled = [100 * (overall.mean() - 1) / 4] + [100 * (survey[c].mean() - 1) / 6
                                                   for c in perf]
    assert float(demo_report.index) == pytest.approx(np.mean(rescaled))
    assert demo_report.responses == 1500


def test_every_planted_messy_answer_is_listed(demo_report):
    # addin.demo.MESSY_SURVEY: 5 blank, 3 text and 1 out-of-range nps answers; 1 text and 1
    # out-of-range overall answer
    listed = demo_report.excluded_answers
    assert len(listed) == len(MESSY_SURVEY) == 11
    for rid, (column, value) in MESSY_SURVEY.items():
        row = listed[listed["respondent_id"] == rid].iloc[0]
        assert row["column"] == column
        assert row["row"] == int(rid[1:]) + 1  # R00017 is on Excel row 18
        expected = {None: "blank", 11: "out of range", 6: "out of range"}.get(value, "text")
        assert row["reason"].startswith(expected)
    answers = demo_report.answers.set_index("column")
    assert answers.loc["nps", ["blank", "text", "out_of_range"]].tolist() == [5, 3, 1]
    assert demo_report.nps.excluded.total == 9
    assert demo_report.csat.excluded.describe() == "1 text, 1 out of range"


def test_gaps_and_drivers_on_the_demo(demo_report):
    # workbooks/README.md: reliability has the worst gap (about -1.4), tangibles exceed
    # expectation (+0.4); overall depends most on reliability
    dims = demo_report.gaps.query("level == 'dimension'")
    assert dims.iloc[0]["dimension"] == "reliability"
    assert dims.iloc[0]["gap"] == pytest.approx(-1.4, abs=0.1)
    assert dims.iloc[-1]["dimension"] == "tangibles"
    survey = demo_workbook()["Survey"]
    gap = (survey["perf_reliability_1"] - survey["exp_reliability_1"]).mean()
    item = demo_report.gaps.query("item == 'reliability_1'").iloc[0]
    assert item["gap"] == pytest.approx(gap)
    assert demo_report.drivers.table.iloc[0]["attribute"].startswith("reliability")
    assert demo_report.drivers.table["raw_weight"].sum() == pytest.approx(
        demo_report.drivers.r_squared)
    quadrant = demo_report.ipa.table.set_index("item")["quadrant"]
    assert quadrant["reliability_1"] == "Concentrate here"
    assert quadrant["tangibles_1"] == "Possible overkill"


def test_groups_against_plain_pandas(demo_report):
    wb = demo_workbook()
    survey, customers = wb["Survey"], wb["Customers"]
    segment = survey["customer_id"].map(
        customers.drop_duplicates("customer_id").set_index("customer_id")["segment"])
    groups = demo_report.groups.set_index("group")
    assert set(groups.index) == {"Enterprise", "Mid-market", "SMB"}
    for name in groups.index:
        nps = _plain(survey.loc[segment == name, "nps"], 0, 10)
        assert groups.loc[name, "responses"] == int((segment == name).sum())
        assert groups.loc[name, "nps"] == pytest.approx(
            100 * ((nps >= 9).mean() - (nps <= 6).mean()))
    assert groups["responses"].sum() == 1500
    assert groups["p_value"].between(0, 1).all()


def test_group_by_region_and_a_survey_column():
    wb = demo_workbook()
    report = analyse_survey(wb["Survey"], wb["Customers"], by="region")
    assert set(report.groups["group"]) == {"North", "East", "South", "West"}
    survey = wb["Survey"].assign(wave=np.where(wb["Survey"].index < 700, "spring", "autumn"))
    waves = analyse_survey(survey, by="wave").groups.set_index("group")
    assert waves.loc["spring", "responses"] == 698  # Excel rows 2..699


def test_group_by_tier_without_tiers_says_what_to_do():
    wb = demo_workbook()
    with pytest.raises(InputError, match="run the tiering first") as caught:
        analyse_survey(wb["Survey"], wb["Customers"], by="tier")
    assert caught.value.sheet == "Customers" and caught.value.column == "tier"
    tiers = wb["Customers"].assign(tier=np.where(wb["Customers"].index < 100, "Key", "Small"))
    report = analyse_survey(wb["Survey"], tiers, by="tier")
    assert set(report.groups["group"]) <= {"Key", "Small", "(unknown)"}


def test_bad_settings_name_the_settings_row():
    settings = pd.DataFrame({"key": ["overall_scale", "kano_like_like", "ipa_split"],
                             "value": ["five", "Q", "median"]}, index=[2, 3, 4])
    with pytest.raises(InputError) as caught:
        SurveySettings.from_settings(settings)
    lines = caught.value.lines()
    assert lines[0] == ("sheet 'Settings', row 2, column 'value': setting 'overall_scale': "
                        "expected a whole number from 2 to 100 (found 'five')")
    assert "row 4" in lines[1] and "mean or midpoint" in lines[1]


def test_settings_change_the_analysis():
    wb = demo_workbook()
    settings = {"kano_like_like": "O", "ipa_split": "midpoint", "nps_promoter_min": "8",
                "satisfaction_index_items": "overall", "servqual_dimensions":
                "reliability_1=speed; reliability_2=speed"}
    report = analyse_survey(wb["Survey"], settings=settings)
    survey = wb["Survey"]
    kano_q = analyse_survey(survey).kano.set_index("feature")["Q"]
    kano_o = report.kano.set_index("feature")["Q"]
    assert (kano_o <= kano_q).all() and (kano_o < kano_q).any()  # like/like moved to O
    assert report.ipa.split == "midpoint"
    nps = pd.to_numeric(survey["nps"], errors="coerce")
    nps = nps[(nps >= 0) & (nps <= 10)]
    assert report.nps.promoters == int((nps >= 8).sum())
    overall = pd.to_numeric(survey["overall"], errors="coerce")
    overall = overall[overall <= 5]
    assert float(report.index) == pytest.approx(100 * (overall.mean() - 1) / 4)
    assert "speed" in set(report.gaps["dimension"])


def test_one_respondent_and_one_item():
    survey = pd.DataFrame({"respondent_id": ["R1"], "overall": [4], "nps": [9], "ces": [6],
                           "perf_speed": [5], "exp_speed": [6], "imp_speed": [7],
                           "kano_f_app": [1], "kano_d_app": [5]}, index=[2])
    report = analyse_survey(survey)
    assert float(report.csat) == 100 and report.nps.score == 100
    assert math.isnan(report.nps.margin_of_error)
    assert report.gaps.query("level == 'item'").iloc[0]["gap"] == -1
    assert report.kano.iloc[0]["category"] == "O"
    assert report.alpha is None  # one item: no reliability
    assert math.isnan(report.drivers.table.iloc[0]["raw_weight"])
    assert report.headline()["measure"].iloc[0] == "responses"


def test_empty_survey_and_bare_survey():
    empty = pd.DataFrame({"respondent_id": pd.Series([], dtype=object),
                          "overall": pd.Series([], dtype=object)})
    report = analyse_survey(empty)
    assert report.responses == 0 and math.isnan(report.csat) and math.isnan(report.nps.score)
    bare = analyse_survey(pd.DataFrame({"respondent_id": ["R1", "R2"]}))
    assert bare.gaps.empty and bare.kano.empty and bare.ipa.table.empty and bare.drivers.table.empty
    assert bare.excluded_answers.empty
