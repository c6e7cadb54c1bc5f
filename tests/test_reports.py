"""Report contexts and next-action rules, against numbers worked out by hand.

The small workbook of ``report_helpers`` is written to a real .xlsx and read back; its lines
are listed in that module's docstring, and each expected number below shows its arithmetic.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_helpers import crm_rows

from addin.errors import InputError
from addin.reports import i18n
from addin.reports.actions import (
    ACTION_COLUMNS,
    ACTION_KEYS,
    ActionThresholds,
    describe_action,
    next_actions,
    rules_markdown,
)
from addin.reports.labels import REPORT_LABELS
from addin.reports.month import prepare_reports
from addin.reports.review import review_context
from addin.reports.settings import report_settings
from addin.reports.summary import summary_context
from addin.workbook import load_crm_workbook

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from conftest import write_xlsx

    path = write_xlsx(tmp_path_factory.mktemp("small") / "small.xlsx", crm_rows())
    return load_crm_workbook(path)


@pytest.fixture(scope="module")
def data(small):
    return prepare_reports(small.sheets, "2026-10", accounts=["A", "B"])


# --------------------------------------------------------------------------------------------
# the review's numbers


def test_value_block_by_hand(data):
    v = review_context(data, "A")["value"]
    # October 2026: 400 + 100 + 600 = 1100, margin 80 + 20 + 150 = 250; two purchase days
    # (the two lines of 2026-10-03 are one order)
    assert v["month"]["revenue"] == pytest.approx(1100)
    assert v["month"]["margin"] == pytest.approx(250)
    assert v["month"]["orders"] == 2
    # October 2025: 500 + 300 = 800, margin 160
    assert v["month_ly"]["revenue"] == pytest.approx(800)
    assert v["month_ly"]["margin"] == pytest.approx(160)
    # year to date 2026: 2000 + 1100 = 3100; the same span of 2025: 1000 + 800 = 1800
    assert v["ytd"]["revenue"] == pytest.approx(3100)
    assert v["ytd_ly"]["revenue"] == pytest.approx(1800)
    assert v["ytd"]["orders"] == 3 and v["ytd_ly"]["orders"] == 3
    assert v["month_change"] == pytest.approx(1100 / 800 - 1)  # +37.5 %
    assert v["ytd_change"] == pytest.approx(3100 / 1800 - 1)  # +72.2 %
    # company: October 1100 (A) + 1500 (B) = 2600; year to date 3100 + 1500 + 700 = 5300
    assert v["month"]["share"] == pytest.approx(1100 / 2600)
    assert v["ytd"]["share"] == pytest.approx(3100 / 5300)
    assert v["ytd"]["margin_rate"] == pytest.approx(750 / 3100)


def test_last_year_is_complete_when_the_log_starts_before_it(data):
    # the log starts 2024-12-15, before 2025-01-01: last year's span is covered
    assert not data.last_year_partial


def test_fiscal_year_start_moves_year_to_date(tmp_path, make_xlsx):
    wb = load_crm_workbook(make_xlsx(crm_rows(settings={"fiscal_year_start": 4})))
    v = review_context(prepare_reports(wb.sheets, "2026-10", accounts=["A"]), "A")["value"]
    # from 2026-04-01: only October's 1100; a year earlier (2025-04-01..2025-10-31): 800
    assert v["ytd"]["revenue"] == pytest.approx(1100)
    assert v["ytd_ly"]["revenue"] == pytest.approx(800)


def test_eighteen_month_trend(data):
    trend = review_context(data, "A")["trend"]
    assert trend["months"][0] == "2025-05" and trend["months"][-1] == "2026-10"
    assert len(trend["months"]) == 18
    by_month = dict(zip(trend["months"], trend["revenue"], strict=True))
    assert by_month["2025-10"] == pytest.approx(800)
    assert by_month["2026-03"] == pytest.approx(2000)
    assert by_month["2026-10"] == pytest.approx(1100)
    assert by_month["2026-01"] == 0  # a month without orders is a zero, not a gap
    assert sum(trend["revenue"]) == pytest.approx(800 + 2000 + 1100)  # 2025-01 is too early


def test_service_by_hand(data):
    service = review_context(data, "A")["service"]
    # open on 2026-10-31: opened 10-01 (30 days) and 10-25 (6 days); the 2025-06-01 ticket
    # has no closed date but its status says Closed
    assert [c["age_days"] for c in service["open"]] == [30, 6]
    assert service["open_count"] == 2 and service["over_target"] == 1
    assert [c["over_target"] for c in service["open"]] == [True, False]
    # closed 2026-10-05 is this month's; resolution times 15 (09-20 -> 10-05) and 10 days
    assert service["resolved_month"] == 1
    assert service["mean_resolution_days"] == pytest.approx((15 + 10) / 2)
    assert service["within_target_12m"] == pytest.approx(0.5)  # 10 <= 14, 15 > 14


def test_relationship_by_hand(data):
    rel = review_context(data, "A")["relationship"]
    # the six months after 2026-04-30: 07-15, 09-01, 10-20, all Li Wei (04-20 is earlier)
    assert rel["staff_6m"] == 1 and rel["contacts_6m"] == 3
    assert rel["staff_names"] == ["Li Wei"]
    assert rel["single_point"] and rel["manager_only"]
    assert [c["date"].isoformat() for c in rel["last"]] == [
        "2026-10-20", "2026-09-01", "2026-07-15", "2026-04-20"]
    assert rel["main_contacts"] == [{"staff": "Li Wei", "contacts": 3},
                                    {"staff": "Sun Yu", "contacts": 1}]
    b = review_context(data, "B")["relationship"]
    assert b["staff_6m"] == 2 and not b["single_point"]


def with_settings(data, **changes):
    """The month's data with some report settings changed (the rest as read)."""
    import dataclasses

    return dataclasses.replace(data, settings=dataclasses.replace(data.settings, **changes))


def test_account_survey_by_hand(data):
    # the arithmetic below is on 3 answers: show scores from 1 answer on
    survey = review_context(with_settings(data, min_survey_answers=1), "A")["survey"]
    # last 12 months (after 2025-10-31): R1 (3, 10), R2 (2, 9), R3 (4, 3); R4 is older
    assert survey["recent_responses"] == 3
    assert survey["satisfaction"] == pytest.approx((3 + 2 + 4) / 3)
    # NPS: promoters 10, 9; detractor 3: 100 * (2 - 1) / 3 = 33.3;
    # var = (2/3 + 1/3) - (1/3)^2 = 8/9; MOE = 1.96 * sqrt(8/9 / 3) * 100 = 106.7
    assert survey["nps"]["score"] == pytest.approx(100 / 3)
    assert survey["nps"]["moe"] == pytest.approx(1.96 * math.sqrt(8 / 9 / 3) * 100)
    quarters = {q["quarter"]: q for q in survey["quarters"]}
    assert len(survey["quarters"]) == 6  # 2025Q3 .. 2026Q4, empty quarters kept
    assert quarters["2026Q3"]["responses"] == 1 and quarters["2026Q3"]["nps"] == 100
    assert quarters["2025Q4"]["responses"] == 0 and quarters["2025Q4"]["nps"] is None


def test_too_few_answers_withholds_nps_but_keeps_n(data):
    # account A has 3 answers in the last 12 months; the default minimum is 10
    assert data.settings.min_survey_answers == 10
    nps = review_context(data, "A")["survey"]["nps"]
    assert nps["too_few"] and nps["n"] == 3
    assert nps["score"] is None and nps["moe"] is None
    # the boundary: exactly the minimum is enough (3 >= 3), one more is not (3 < 4)
    assert review_context(with_settings(data, min_survey_answers=3), "A")[
        "survey"]["nps"]["score"] == pytest.approx(100 / 3)
    assert review_context(with_settings(data, min_survey_answers=4), "A")[
        "survey"]["nps"]["too_few"]
    # per quarter too: 2026Q3 has one answer (an NPS of 100 from one answer is withheld)
    quarters = {q["quarter"]: q for q in review_context(data, "A")["survey"]["quarters"]}
    assert quarters["2026Q3"]["nps_n"] == 1 and quarters["2026Q3"]["nps_too_few"]
    assert quarters["2026Q3"]["nps"] is None


@pytest.mark.parametrize(("n", "least", "expected"), [
    (0, 10, False),  # no answers: no score (a dash), not "too few"
    (1, 10, True), (9, 10, True), (10, 10, False), (250, 10, False), (1, 1, False)])
def test_too_few_rule(n, least, expected):
    from addin.reports.month import too_few

    assert too_few(n, least) is expected


def test_csat_block_too_few_by_hand():
    from addin.reports.month import csat_block
    from addin.surveys import SurveySettings

    # 1-5 scale, top two boxes: answers 5, 4, 2 -> 2 of 3 satisfied = 66.7 %
    s = SurveySettings()
    shown = csat_block(pd.Series([5, 4, 2]), s, 3)
    assert shown["score"] == pytest.approx(200 / 3) and shown["n"] == 3
    assert shown["moe"] is not None and not shown["too_few"]
    hidden = csat_block(pd.Series([5, 4, 2]), s, 4)
    assert hidden["too_few"] and hidden["n"] == 3
    assert hidden["score"] is None and hidden["moe"] is None and hidden["low"] is None


def test_actions_of_the_review(data):
    actions = review_context(data, "A")["actions"]
    # in the rule table's order: complaint 30 days > 14; satisfaction 3.0 < 3.5 (3 answers);
    # revenue of the last 180 days 1100 against 2000 before: 1100 / 2000 - 1 = -45 % < -25 %;
    # one staff member in six months (3 contacts)
    assert [a["action"] for a in actions] == ["complaint_overdue", "low_satisfaction",
                                              "spend_declining", "single_contact"]
    got = {a["action"]: (a["value"], a["limit"], a["detail"]) for a in actions}
    assert got["complaint_overdue"] == (30, 14, 1)
    assert got["low_satisfaction"] == pytest.approx((3.0, 3.5, 3))
    assert got["spend_declining"] == pytest.approx((-0.45, -0.25, 180))
    assert got["single_contact"] == (1, 1, 3)
    assert review_context(data, "B")["actions"] == []


def test_summary_survey_by_hand(data):
    survey = summary_context(with_settings(data, min_survey_answers=1))["survey"]
    # last 12 months: NPS answers 10, 9, 3, 8 (R5's "N/A" left out): (2 - 1) / 4 = 25
    assert survey["nps"]["score"] == pytest.approx(25.0)
    assert survey["nps"]["n"] == 4
    # CSAT: overall 3, 2, 4, 5, 4 -> 4s and 5s: 3 of 5 = 60 %; Wilson 95 % for 3/5 is
    # 0.2307 .. 0.8824 ((p + z^2/2n) / (1 + z^2/n) -/+ z sqrt(p q/n + z^2/4n^2) / (1 + z^2/n))
    assert survey["csat"]["score"] == pytest.approx(60.0)
    assert survey["csat"]["low"] == pytest.approx(23.07, abs=0.01)
    assert survey["csat"]["high"] == pytest.approx(88.24, abs=0.01)


def test_summary_headline_by_hand(data):
    h = summary_context(data)["headline"]
    assert h["revenue_month"] == pytest.approx(2600)
    assert h["revenue_month_ly"] == pytest.approx(800 + 1000)  # A 800, B 1000
    assert h["revenue_ytd"] == pytest.approx(5300)
    assert h["customers"] == 3


def test_summary_lists_every_tier_once(data):
    tiers = summary_context(data)["tiers"]
    assert [r["tier"] for r in tiers] == ["VIP", "Key", "Standard", "Small"]
    assert sum(r["customers"] for r in tiers) == 3
    assert sum(r["ytd"] for r in tiers) == pytest.approx(5300)


def test_settings_errors_name_the_row(make_xlsx):
    wb = load_crm_workbook(make_xlsx(crm_rows(settings={"complaint_target_days": "soon"})))
    with pytest.raises(InputError) as info:
        prepare_reports(wb.sheets, "2026-10")
    # header is row 1; company_name, company_name_zh, currency, as_of, complaint_target_days
    assert info.value.sheet == "Settings" and info.value.row == 6
    assert "complaint_target_days" in str(info.value)


@pytest.mark.parametrize(("value", "expected"), [("RMB", "CNY"), ("人民币", "CNY"),
                                                 ("usd", "USD")])
def test_currency_aliases(value, expected):
    assert report_settings({"currency": value}).currency == expected


def test_a_bad_currency_is_reported():
    with pytest.raises(InputError, match="ISO 4217"):
        report_settings({"currency": "yuan"})


def test_a_month_before_the_log_is_refused(small):
    with pytest.raises(InputError, match="no transactions on or before the end of 2019-01"):
        prepare_reports(small.sheets, "2019-01")


def test_unknown_accounts_are_refused(small):
    with pytest.raises(InputError, match="ZZZ"):
        prepare_reports(small.sheets, "2026-10", accounts=["A", "ZZZ"])


def test_default_accounts_are_the_key_tiers(small):
    data = prepare_reports(small.sheets, "2026-10")
    key = data.tiers.index[data.tiers["pyramid_tier"].isin(["VIP", "Key"])]
    assert sorted(data.accounts) == sorted(key) == sorted(data.key_accounts)


def test_contexts_hold_plain_values_only(data):
    allowed = (str, int, float, bool, type(None), list, dict, pd.Timestamp.min.date().__class__)

    def walk(value):
        assert isinstance(value, allowed), type(value)
        assert not isinstance(value, (np.generic, pd.Timestamp))
        if isinstance(value, float):
            assert not math.isnan(value)
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(review_context(data, "A"))
    walk(summary_context(data, "zh"))


# --------------------------------------------------------------------------------------------
# the rule table


def _measures(**columns) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    frame.index = [f"X{i}" for i in range(len(frame))]
    frame.index.name = "customer_id"
    return frame


def test_purchase_overdue_by_hand():
    # 10 purchase days over 300 days of tenure. Last 60 days ago: gap (300 - 60) / 9 = 26.7,
    # limit 3 x 26.7 = 80, 60 < 80: nothing. Last 90 days ago: gap (300 - 90) / 9 = 23.3,
    # limit 70, 90 > 70: overdue.
    out = next_actions(_measures(orders=[10, 10], tenure_days=[300, 300],
                                 recency_days=[60, 90]))
    assert list(out["customer_id"]) == ["X1"]
    row = out.iloc[0]
    assert row["action"] == "purchase_overdue"
    assert (row["value"], row["limit"], row["detail"]) == pytest.approx((90, 70, 210 / 9))


def test_purchase_overdue_needs_two_orders_and_is_strict():
    # one order has no cadence; exactly 3 gaps is not overdue (gap (40 - 30) / 1 = 10, 30)
    out = next_actions(_measures(orders=[1, 2], tenure_days=[400, 40],
                                 recency_days=[399, 30]))
    assert out.empty


@pytest.mark.parametrize(("recent", "prior", "fires"), [
    (70, 100, True),     # -30 % < -25 %
    (75, 100, False),    # exactly -25 % is not below
    (80, 100, False),    # -20 %
    (500, 0, False),     # nothing before: no trend to speak of
    (0, 100, True),      # -100 %
])
def test_spend_declining(recent, prior, fires):
    out = next_actions(_measures(recent_revenue=[recent], prior_revenue=[prior]))
    assert (list(out["action"]) == ["spend_declining"]) is fires
    if fires:
        assert out.iloc[0]["value"] == pytest.approx(recent / prior - 1)


@pytest.mark.parametrize(("oldest", "fires"), [(15, True), (14, False), (np.nan, False)])
def test_complaint_past_target(oldest, fires):
    out = next_actions(_measures(oldest_open_complaint_days=[oldest], open_over_target=[1]))
    assert (not out.empty) is fires


@pytest.mark.parametrize(("mean", "n", "fires"), [(3.4, 2, True), (3.5, 4, False),
                                                   (np.nan, 0, False)])
def test_satisfaction_below_threshold(mean, n, fires):
    out = next_actions(_measures(satisfaction_mean=[mean], satisfaction_n=[n]))
    assert (not out.empty) is fires


@pytest.mark.parametrize(("staff", "fires"), [(0, True), (1, True), (2, False),
                                              (np.nan, False)])
def test_single_point_of_contact(staff, fires):
    out = next_actions(_measures(staff_6m=[staff], contacts_6m=[5]))
    assert (not out.empty) is fires


def test_thresholds_come_from_settings():
    th = ActionThresholds(complaint_target_days=30)
    assert next_actions(_measures(oldest_open_complaint_days=[20]), th).empty
    cfg = report_settings({"complaint_target_days": 30, "spend_decline_share": "10%",
                           "overdue_factor": 2, "satisfaction_threshold": 4})
    assert cfg.actions.complaint_target_days == 30
    assert cfg.actions.spend_decline_share == pytest.approx(0.10)
    assert cfg.actions.overdue_factor == 2  # the life cycle's own setting
    assert cfg.actions.satisfaction_threshold == 4  # the survey's own setting


def test_no_measures_no_actions():
    out = next_actions(_measures(orders=[]))
    assert out.empty and list(out.columns) == ACTION_COLUMNS


measure_values = st.one_of(st.none(), st.floats(-10, 1000, allow_nan=False))


@given(st.lists(st.fixed_dictionaries({
    "orders": measure_values, "recency_days": measure_values, "tenure_days": measure_values,
    "recent_revenue": measure_values, "prior_revenue": measure_values,
    "oldest_open_complaint_days": measure_values, "open_over_target": measure_values,
    "satisfaction_mean": measure_values, "satisfaction_n": measure_values,
    "staff_6m": measure_values, "contacts_6m": measure_values, "lost": measure_values,
    "usual_gap_days": measure_values, "value_at_stake": measure_values}), max_size=8))
@settings(max_examples=150, deadline=None)
def test_every_action_holds_its_own_condition(rows):
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else ["orders"], dtype=float)
    frame.index = [f"X{i}" for i in range(len(frame))]
    th = ActionThresholds()
    out = next_actions(frame, th)
    assert not out.duplicated(["customer_id", "action"]).any()
    for _, a in out.iterrows():
        m = frame.loc[a["customer_id"]]
        if a["action"] == "win_back":
            assert m["lost"] > 0
        elif a["action"] == "complaint_overdue":
            assert m["oldest_open_complaint_days"] > th.complaint_target_days
        elif a["action"] == "low_satisfaction":
            assert m["satisfaction_n"] >= 1 and a["value"] < a["limit"]
        elif a["action"] == "spend_declining":
            assert m["prior_revenue"] > 0 and a["value"] < -th.spend_decline_share
        elif a["action"] == "purchase_overdue":
            assert m["orders"] >= 2 and a["value"] > a["limit"] > 0
        else:
            assert m["staff_6m"] <= th.single_contact_staff
    # the rows of one account follow the rule table's order
    for _, part in out.groupby("customer_id"):
        ranks = [ACTION_KEYS.index(k) for k in part["action"]]
        assert ranks == sorted(ranks)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "No order for 90 days; this account usually orders every 23.3 days (overdue "
           "after 70.0 days)."),
    ("zh", "已90天未下单；该客户平均每23.3天下单一次（超过70.0天即为逾期）。"),
])
def test_action_sentences_carry_their_numbers(lang, expected):
    action = {"action": "purchase_overdue", "value": 90.0, "limit": 70.0, "detail": 210 / 9}
    assert describe_action(action, lang) == expected


def test_win_back_follows_the_churn_loss_rule_by_hand():
    # lost by the loss rule (the Churn sheet's verdict): 200 days silent, usual gap 30 days,
    # k = 3: limit 90 days; value at stake 12,000. Not lost: no action, however long silent.
    frame = pd.DataFrame({"orders": [5.0, 5.0], "recency_days": [200.0, 200.0],
                          "tenure_days": [400.0, 400.0], "lost": [1.0, 0.0],
                          "usual_gap_days": [30.0, 30.0], "value_at_stake": [12000.0, 0.0]},
                         index=pd.Index(["L", "K"], name="customer_id"))
    out = next_actions(frame)
    win = out[out["action"] == "win_back"]
    assert win["customer_id"].tolist() == ["L"]
    assert win[["value", "limit", "detail"]].iloc[0].tolist() == [200, 90, 12000]
    assert out[out["customer_id"] == "L"]["action"].iloc[0] == "win_back"  # most urgent
    # the value at stake is money in the report's currency, whole units as the money columns
    assert describe_action(win.iloc[0].to_dict(), "en", currency="EUR") == (
        "Lost by the churn rule: no order for 200 days, more than 90 days (its usual gap "
        "times the loss factor, at least the rule's floor); €12,000 at stake.")
    assert describe_action(win.iloc[0].to_dict(), "zh", currency="CNY").endswith(
        "潜在损失¥12,000。")
    # a near-daily buyer (usual gap 4 days) lost after 131 silent days: the limit is the
    # 90-day floor, not 3 x 4 = 12 days
    near = pd.DataFrame({"orders": [70.0], "recency_days": [131.0], "tenure_days": [500.0],
                         "lost": [1.0], "usual_gap_days": [4.0], "value_at_stake": [5000.0]},
                        index=pd.Index(["N"], name="customer_id"))
    win = next_actions(near)
    win = win[win["action"] == "win_back"]
    assert win[["value", "limit"]].iloc[0].tolist() == [131, 90]


def test_every_action_has_sentences_tags_and_advice_in_both_languages():
    for key in ACTION_KEYS:
        for lang in ("en", "zh"):
            a = {"action": key, "value": 1.0, "limit": 2.0, "detail": 3.0}
            assert describe_action(a, lang) and describe_action(a, lang, short=True)
            assert i18n.label(f"advice_{key}", lang)


def test_readme_rule_table_is_the_code_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- actions:start.*?-->\n(.*?)\n<!-- actions:end -->", readme, re.S)
    assert block, "README lost its next-action rule table markers"
    assert block.group(1) == rules_markdown()


def test_every_report_label_is_used():
    templates = "\n".join(p.read_text(encoding="utf-8")
                          for p in (ROOT / "report_templates").glob("*.html"))
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "addin").rglob("*.py"))
    used = set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", templates))
    used |= set(re.findall(r"""label\(\s*["']([a-z0-9_]+)["']""", code))
    # keys built from a routine's value or a rule's key: t("stage_" ~ value), f"action_{key}"
    prefixed = ("action_", "advice_", "stage_", "rfm_", "level_", "perspective_", "status_",
                "measure_")
    # the value catalogue's labels are built by labels.term from VALUE_TERMS; each must be used
    # by being in that catalogue
    from addin.reports.labels import VALUE_TERMS

    used |= {f"term_{domain}_{key}" for domain, words in VALUE_TERMS.items() for key in words}
    unused = sorted(k for k in REPORT_LABELS if k not in used and not k.startswith(prefixed))
    assert unused == []


# --------------------------------------------------------------------------------------------
# nothing a manager would misread (issue 14, item 4)

def test_top_accounts_rank_by_the_year_shown_not_by_all_time():
    from addin.reports.summary import top_accounts

    # X leads the tiering (all orders to date) but sold nothing this year: it is left out;
    # Y and Z tie on this year's revenue, so the tiering's rank breaks the tie
    tiers = pd.DataFrame({"rank": [1, 2, 3, 4], "revenue": [9000.0, 500.0, 400.0, 300.0]},
                         index=["X", "W", "Y", "Z"])
    ytd = pd.Series({"X": 0.0, "W": 100.0, "Y": 250.0, "Z": 250.0})
    assert list(top_accounts(tiers, ytd).index) == ["Y", "Z", "W"]
    assert list(top_accounts(tiers, ytd, count=1).index) == ["Y"]
    assert top_accounts(tiers, ytd * 0).empty  # nobody bought this year: no top list


def test_summary_top_rows_say_their_position_and_basis(data):
    ctx = summary_context(data)
    # year to date 2026: A 400 + 100 + 600 + 2000 = 3100, B 1500, C 700
    assert [(r["customer_id"], r["rank"], r["ytd"]) for r in ctx["top"]] == [
        ("A", 1, 3100.0), ("B", 2, 1500.0), ("C", 3, 700.0)]
    assert str(ctx["top_basis"]["start"]) == "2026-01-01"
    assert str(ctx["top_basis"]["end"]) == "2026-10-31"


@pytest.mark.parametrize(("last", "kind", "days"), [
    ("2026-10-31", None, None), ("2026-10-24", None, None),  # 7 days short: a quiet week
    ("2026-10-23", "partial", 8), ("2026-10-01", "partial", 30),
    ("2026-09-30", "no_data", 31), (None, "no_data", None)])
def test_month_data_warning_by_hand(last, kind, days):
    from addin.reports.month import month_data_message, month_data_warning

    start, end = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-31")
    got = month_data_warning(pd.Timestamp(last) if last else None, start, end)
    if kind is None:
        assert got is None and month_data_message(got, "2026-10") is None
    else:
        assert got["kind"] == kind and got["days"] == days
        assert "2026-10" in month_data_message(got, "2026-10")


def test_a_month_without_transactions_warns_in_every_report(small):
    # the small workbook's log ends on 2026-10-25: November has no line
    nov = prepare_reports(small.sheets, "2026-11", accounts=["A"])
    assert nov.data_warning["kind"] == "no_data"
    assert str(nov.data_warning["last"]) == "2026-10-25"
    assert summary_context(nov)["data_warning"] == nov.data_warning
    assert review_context(nov, "A")["data_warning"] == nov.data_warning
    # October reaches its last week (25 -> 31: 6 days): no warning
    assert prepare_reports(small.sheets, "2026-10", accounts=["A"]).data_warning is None


def test_a_named_account_outside_the_key_tiers_is_not_called_a_key_account(data):
    key = [cid for cid in ("A", "B", "C") if data.tiers.at[cid, "key_account"]]
    other = [cid for cid in ("A", "B", "C") if not data.tiers.at[cid, "key_account"]]
    assert key and other
    assert review_context(data, key[0])["account"]["key_account"] is True
    assert review_context(data, other[0])["account"]["key_account"] is False


def test_review_reconciles_the_rfm_segment_and_says_why(data):
    import dataclasses

    # make A's tiering say termination with a Loyal grid segment (R 3, F 5, M 5)
    tiers = data.tiers.copy()
    tiers.loc["A", ["rfm_segment", "rfm_segment_reconciled", "lifecycle_stage",
                    "prob_alive", "rfm_score"]] = ["Loyal", "Cannot lose them",
                                                   "termination", 0.97, "355"]
    v = review_context(dataclasses.replace(data, tiers=tiers), "A")["value"]
    assert v["rfm_segment"] == "Cannot lose them" and v["rfm_segment_scored"] == "Loyal"
    assert v["rfm_reconciled"] and v["rfm_reason"] == "termination"
    assert v["stage_vs_alive"]  # termination beside P(alive) 97 %: the note explains
    # an untouched account shows the grid's segment with no note
    b = review_context(data, "B")["value"]
    assert b["rfm_segment"] == b["rfm_segment_scored"] and not b["rfm_reconciled"]


def test_importance_performance_block_by_hand():
    from addin.reports.summary import _summary_ipa
    from addin.surveys import SurveySettings

    # 1-7 items; means: speed importance (6 + 7) / 2 = 6.5, performance (3 + 4) / 2 = 3.5;
    # price importance (2 + 4) / 2 = 3, performance (6 + 6) / 2 = 6. The split at the mean of
    # the item means: importance (6.5 + 3) / 2 = 4.75, performance (3.5 + 6) / 2 = 4.75
    answers = pd.DataFrame({"imp_speed": [6, 7], "perf_speed": [3, 4],
                            "imp_price": [2, 4], "perf_price": [6, 6]})
    ipa = _summary_ipa(answers, SurveySettings(), 1)
    assert ipa["split"] == "mean" and ipa["scale"] == 7 and ipa["too_few"] == 0
    assert ipa["importance_split"] == pytest.approx(4.75)
    assert ipa["performance_split"] == pytest.approx(4.75)
    got = {i["item"]: (i["importance"], i["performance"], i["quadrant"]) for i in ipa["items"]}
    assert got == {"speed": (6.5, 3.5, "Concentrate here"),
                   "price": (3.0, 6.0, "Possible overkill")}
    # the midpoint split of Settings ipa_split: (1 + 7) / 2 = 4
    mid = _summary_ipa(answers, SurveySettings(ipa_split="midpoint"), 1)
    assert (mid["importance_split"], mid["performance_split"]) == (4.0, 4.0)
    # two answers are fewer than 3: both items are left off, so no map at all
    assert _summary_ipa(answers, SurveySettings(), 3) is None
    assert _summary_ipa(answers[["imp_speed"]], SurveySettings(), 1) is None  # no pair


@pytest.mark.parametrize(("item", "dimension", "lang", "expected"), [
    ("reliability_1", "reliability", "en", "Reliability 1"),
    ("reliability_1", "reliability", "zh", "可靠性1"),
    ("empathy", "empathy", "zh", "移情性"),
    ("delivery_speed", None, "zh", "delivery_speed"),  # the user's own item: as typed
])
def test_item_labels(item, dimension, lang, expected):
    from addin.reports.labels import item_label

    assert item_label(item, dimension, lang) == expected


def test_chart_labels_of_close_points_do_not_overlap():
    from addin.reports.charts import _spread_labels

    # three points almost on top of each other, 1 data unit per inch on both axes
    points = [(1.0, 1.0, "Reliability 1"), (1.02, 1.01, "Reliability 2"),
              (1.01, 0.99, "Tangibles 1")]
    spots = _spread_labels(points, 1.0, 1.0, 6.5, 10.0)
    height = 6.5 * 1.3 / 72
    ys = sorted(y for _, y, _, _ in spots)
    assert all(b - a >= height - 1e-9 for a, b in zip(ys, ys[1:], strict=False))
    assert [text for _, _, text, _ in spots] == [p[2] for p in points]  # in the points' order
    # a label that would pass the right edge goes to the left of its point
    (x, _, _, ha), = _spread_labels([(9.95, 1.0, "Assurance 2")], 1.0, 1.0, 6.5, 10.0)
    assert ha == "right" and x < 9.95
