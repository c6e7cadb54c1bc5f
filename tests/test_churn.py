"""Churn routines on hand-worked examples: cohort retention, the loss rule and its agreement with
the life cycle, churn rates with Wilson intervals, the reasons' tests against scipy and
statsmodels, the win-back ranking, and the Settings keys."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2

from addin.churn.history import clean_log
from addin.churn.loss import LossRule, churn_by, churn_rates, lost_accounts, wilson_interval
from addin.churn.reasons import (
    account_factors,
    compare_factors,
    holm,
    logistic_regression,
    odds_ratio,
)
from addin.churn.retention import cohort_retention, retention_matrix
from addin.churn.settings import churn_settings
from addin.churn.winback import winback_list
from addin.errors import InputError
from addin.tiering import tier_customers


def _log(rows):
    return clean_log(pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda f: pd.to_datetime(f["date"])))


# ---------------------------------------------------------------------------------------------
# cohort retention

THREE_COHORTS = [
    # January cohort: A, B, C
    ("A", "2026-01-05", 100), ("A", "2026-02-10", 50), ("A", "2026-03-03", 80),
    ("B", "2026-01-20", 200), ("B", "2026-03-15", 100), ("B", "2026-03-20", -50),  # a return
    ("C", "2026-01-25", 100),
    # February cohort: D, E
    ("D", "2026-02-02", 300), ("D", "2026-03-02", 150),
    ("E", "2026-02-14", 100),
    # March cohort: F
    ("F", "2026-03-10", 60),
]


def test_three_cohorts_worked_by_hand():
    cells = cohort_retention(_log(THREE_COHORTS), as_of="2026-03-31")
    got = {(r.cohort, r.months_since): (r.cohort_size, r.active, r.revenue)
           for r in cells.itertuples()}
    # January (A, B, C): month 0 all three bought 100 + 200 + 100 = 400; February only A (50);
    # March A and B bought (80 + 100) and B returned 50 on a day of its own (not a purchase
    # day, but it counts against the month's revenue): 130
    assert got[("2026-01", 0)] == (3, 3, 400.0)
    assert got[("2026-01", 1)] == (3, 1, 50.0)
    assert got[("2026-01", 2)] == (3, 2, 130.0)
    # February (D, E): 300 + 100 = 400; March only D (150)
    assert got[("2026-02", 0)] == (2, 2, 400.0)
    assert got[("2026-02", 1)] == (2, 1, 150.0)
    # March (F): its acquisition month only, nothing later has happened yet
    assert got[("2026-03", 0)] == (1, 1, 60.0)
    assert len(cells) == 3 + 2 + 1
    share = retention_matrix(cells).set_index("cohort")
    assert share.loc["2026-01", ["m0", "m1", "m2"]].tolist() == pytest.approx([1, 1 / 3, 2 / 3])
    assert share.loc["2026-02", ["m0", "m1"]].tolist() == pytest.approx([1, 0.5])
    assert np.isnan(share.loc["2026-02", "m2"]) and np.isnan(share.loc["2026-03", "m1"])
    nrr = retention_matrix(cells, "net_revenue_retention").set_index("cohort")
    # 50 / 400, 130 / 400; 150 / 400
    assert nrr.loc["2026-01", ["m1", "m2"]].tolist() == pytest.approx([0.125, 0.325])
    assert nrr.loc["2026-02", "m1"] == pytest.approx(0.375)


def test_cohorts_by_group_split_each_cohort():
    groups = pd.Series({"A": "North", "B": "South", "C": "North", "D": "North", "E": "South",
                        "F": "South"})
    cells = cohort_retention(_log(THREE_COHORTS), as_of="2026-03-31", groups=groups)
    north_jan = cells[(cells["group"] == "North") & (cells["cohort"] == "2026-01")]
    # A and C: both in January, only A in February and March
    assert north_jan["cohort_size"].tolist() == [2, 2, 2]
    assert north_jan["active"].tolist() == [2, 1, 1]


def test_one_month_of_history_is_too_little_for_cohorts():
    with pytest.raises(InputError, match="at least 2 are needed"):
        cohort_retention(_log([("A", "2026-01-05", 100), ("B", "2026-01-20", 50)]))


# ---------------------------------------------------------------------------------------------
# the loss rule

LOSS_LOG = [
    ("P", "2026-01-01", 100), ("P", "2026-01-11", 100), ("P", "2026-01-31", 100),  # gaps 10, 20
    ("Q", "2026-10-02", 100), ("Q", "2026-11-01", 100), ("Q", "2026-12-01", 100),  # gaps 30, 30
    ("R", "2026-06-01", 100), ("R", "2026-07-01", 100),  # gap 30
    ("S", "2026-12-01", 100),  # one order
    ("U", "2026-08-01", 300),  # one order
    ("V", "2026-11-15", 100), ("V", "2026-12-15", 100),  # gap 30
    ("W", "2026-09-16", 100), ("W", "2026-10-16", 100),  # gap 30
]
AS_OF = "2026-12-31"


def test_the_loss_rule_worked_by_hand():
    alive = pd.Series({"V": 0.05})
    a = lost_accounts(_log(LOSS_LOG), AS_OF, LossRule("either"), alive)
    # own median gaps: P median(10, 20) = 15; Q, R, V, W 30. Portfolio median gap (the median
    # of the own medians 15, 30, 30, 30, 30) = 30, used for S and U
    assert a["usual_gap_days"].to_dict() == {"P": 15, "Q": 30, "R": 30, "S": 30, "U": 30,
                                             "V": 30, "W": 30}
    assert a.loc[["S", "U"], "gap_source"].tolist() == ["portfolio", "portfolio"]
    # recency to 2026-12-31: P 334 > 3 x 15; R 183 > 90; U 152 > 90; Q 30, S 30, W 76 <= 90
    assert a["recency_days"].to_dict() == {"P": 334, "Q": 30, "R": 183, "S": 30, "U": 152,
                                           "V": 16, "W": 76}
    assert sorted(a.index[a["lost_by_gap"]]) == ["P", "R", "U"]
    # V is recent, but its P(alive) 0.05 is under 0.1: lost by the alive test
    assert sorted(a.index[a["lost"]]) == ["P", "R", "U", "V"]
    # W: 76 days > 2 x 30 (at risk) but not > 3 x 30
    assert a.index[a["at_risk"]].tolist() == ["W"]
    # loss dates: last purchase + floor(max(k x gap, 90-day floor)) + 1: P Jan 31 +
    # max(45, 90) + 1 = May 2 (Feb 28 days, Mar 31, Apr 30: 89 to Apr 30); R Jul 1 + 91 =
    # Sep 30; U Aug 1 + 91 = Oct 31; V (alive test) the as-of day
    assert a.loc[["P", "R", "U", "V"], "loss_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-05-02", "2026-09-30", "2026-10-31", "2026-12-31"]
    # without the floor P's own 3 x 15 days decide: Jan 31 + 46 = Mar 18
    bare = lost_accounts(_log(LOSS_LOG), AS_OF, LossRule("either", min_silence_days=0), alive)
    assert bare.loc["P", "loss_date"] == pd.Timestamp("2026-03-18")
    assert a["loss_date"].isna().sum() == 3
    # the other rules
    gap_only = lost_accounts(_log(LOSS_LOG), AS_OF, LossRule("gap"), alive)
    assert sorted(gap_only.index[gap_only["lost"]]) == ["P", "R", "U"]
    alive_only = lost_accounts(_log(LOSS_LOG), AS_OF, LossRule("alive"), alive)
    assert alive_only.index[alive_only["lost"]].tolist() == ["V"]
    # k = 2: W (76 > 2 x 30 = 60) is lost too when the floor is off; with the 90-day floor
    # 76 <= max(60, 90) keeps it
    k2 = lost_accounts(_log(LOSS_LOG), AS_OF, LossRule("gap", gap_factor=2,
                                                        min_silence_days=0), alive)
    assert sorted(k2.index[k2["lost"]]) == ["P", "R", "U", "W"]
    k2_floor = lost_accounts(_log(LOSS_LOG), AS_OF, LossRule("gap", gap_factor=2), alive)
    assert sorted(k2_floor.index[k2_floor["lost"]]) == ["P", "R", "U"]


def test_termination_in_the_life_cycle_agrees_with_the_loss_rule():
    tx = pd.DataFrame(LOSS_LOG, columns=["customer_id", "date", "amount"]).assign(
        date=lambda f: pd.to_datetime(f["date"]))
    tiers = tier_customers(None, tx, {"as_of": AS_OF}).table
    accounts = lost_accounts(clean_log(tx), AS_OF, LossRule(), tiers["prob_alive"])
    terminated = tiers.index[tiers["lifecycle_stage"] == "termination"]
    assert sorted(terminated) == sorted(accounts.index[accounts["lost"]]) == ["P", "R", "U"]
    # k from the Settings sheet reaches the life cycle too (floor off: W 76 > 2 x 30)
    tiers2 = tier_customers(None, tx, {"as_of": AS_OF},
                            loss=LossRule(gap_factor=2, min_silence_days=0)).table
    assert sorted(tiers2.index[tiers2["lifecycle_stage"] == "termination"]) == [
        "P", "R", "U", "W"]
    # and so does the floor: 160 days keeps U (152 silent days) but not R (183) or P (334)
    floor = LossRule(min_silence_days=160)
    tiers3 = tier_customers(None, tx, {"as_of": AS_OF}, loss=floor).table
    accounts3 = lost_accounts(clean_log(tx), AS_OF, floor, tiers3["prob_alive"])
    assert sorted(tiers3.index[tiers3["lifecycle_stage"] == "termination"]) == sorted(
        accounts3.index[accounts3["lost"]]) == ["P", "R"]


# near-daily buyers (usual gap 3 days) against the 90-day floor, as of 2026-12-31
def _every(cid, first, last, step):
    return [(cid, d.strftime("%Y-%m-%d"), 100) for d in pd.date_range(first, last,
                                                                     freq=f"{step}D")]


FLOOR_LOG = (_every("N", "2026-09-01", "2026-11-30", 3)    # silent 31 days
             + _every("O", "2026-07-01", "2026-10-20", 3)  # silent 72 days
             + _every("M", "2026-06-01", "2026-09-15", 3)  # silent 107 days
             + [("L", d, 100) for d in ("2026-01-01", "2026-02-10", "2026-03-22",
                                          "2026-05-01", "2026-06-10", "2026-07-20")])  # gap 40


def test_the_floor_keeps_near_daily_buyers_from_being_lost_after_short_silences():
    log = _log(FLOOR_LOG)
    a = lost_accounts(log, AS_OF, LossRule("gap"))
    # last purchase days: N Sep 1 + 3 x 30 = Nov 30; O Jul 1 + 3 x 37 = Oct 20; M Jun 1 +
    # 3 x 35 = Sep 14 (Sep 15 is not on the 3-day grid); L every 40 days up to Jul 20
    last = a["last_purchase"].dt.strftime("%Y-%m-%d").to_dict()
    assert last == {"L": "2026-07-20", "M": "2026-09-14", "N": "2026-11-30", "O": "2026-10-20"}
    assert a["usual_gap_days"].to_dict() == {"L": 40, "M": 3, "N": 3, "O": 3}
    # silence to Dec 31: N 31, O 11 + 30 + 31 = 72, M 16 + 31 + 30 + 31 = 108, L 11 + 31 +
    # 30 + 31 + 30 + 31 = 164
    assert a["recency_days"].to_dict() == {"L": 164, "M": 108, "N": 31, "O": 72}
    # lost when silent > max(3 x gap, 90): N 31 and O 72 are not (3 x 3 = 9 alone would
    # say both were), M 108 > 90 is; L 164 > max(120, 90) is, the floor changes nothing
    assert sorted(a.index[a["lost"]]) == ["L", "M"]
    # at risk when silent > max(2 x gap, 90 x 2 / 3 = 60): O (72), not N (31)
    assert a.index[a["at_risk"]].tolist() == ["O"]
    # loss dates: M Sep 14 + 90 + 1 = Dec 14; L Jul 20 + 120 + 1 = Nov 18
    assert a.loc[["L", "M"], "loss_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-11-18", "2026-12-14"]
    # without the floor all three near-daily buyers are lost (31, 72, 108 > 9)
    bare = lost_accounts(log, AS_OF, LossRule("gap", min_silence_days=0))
    assert sorted(bare.index[bare["lost"]]) == ["L", "M", "N", "O"]
    # the Settings key reaches the rule: a floor of 60 days loses O (72 > 60) too
    cfg = churn_settings({"churn min silence days": "60"})
    assert cfg.churn_min_silence_days == 60
    sixty = lost_accounts(log, AS_OF, LossRule.from_settings(cfg))
    assert sorted(sixty.index[sixty["lost"]]) == ["L", "M", "O"]


def test_termination_agrees_with_the_loss_rule_under_the_floor():
    tx = pd.DataFrame(FLOOR_LOG, columns=["customer_id", "date", "amount"]).assign(
        date=lambda f: pd.to_datetime(f["date"]))
    for rule in (LossRule(), LossRule(min_silence_days=0), LossRule(min_silence_days=100)):
        tiers = tier_customers(None, tx, {"as_of": AS_OF}, loss=rule).table
        accounts = lost_accounts(clean_log(tx), AS_OF, rule, tiers["prob_alive"])
        assert sorted(tiers.index[tiers["lifecycle_stage"] == "termination"]) == sorted(
            accounts.index[accounts["lost"]]), rule
    # a floor of 100 days: M (108) and L (156) lost, as by hand above
    assert sorted(accounts.index[accounts["lost"]]) == ["L", "M"]


def test_the_tier_job_uses_the_settings_floor_as_churn_does(tmp_path):
    from conftest import write_xlsx

    from addin.jobs.churn import churn_workbook
    from addin.jobs.tier import tier_workbook
    from addin.workbook import load_crm_workbook

    tx = [("customer_id", "date", "amount")] + [
        (c, pd.Timestamp(d).to_pydatetime(), a) for c, d, a in FLOOR_LOG]
    path = write_xlsx(tmp_path / "floor.xlsx", {
        "Transactions": tx, "Settings": [("key", "value"), ("as_of", AS_OF),
                                         ("churn_min_silence_days", 60)]})
    wb = load_crm_workbook(path)
    stage = tier_workbook(wb).tiers["lifecycle_stage"]
    # a 60-day floor: O (72 silent days) is lost too, in the life cycle as in churn
    assert sorted(stage.index[stage == "termination"]) == ["L", "M", "O"]
    lost = churn_workbook(wb).accounts["lost"]
    assert sorted(lost.index[lost]) == ["L", "M", "O"]


def test_a_negative_floor_is_refused_naming_the_setting():
    sheet = pd.DataFrame({"key": ["churn_min_silence_days"], "value": [-5]}, index=[4])
    with pytest.raises(InputError) as err:
        churn_settings(sheet)
    assert "row 4" in str(err.value) and "churn_min_silence_days" in str(err.value)
    with pytest.raises(InputError, match="churn_min_silence_days"):
        LossRule(min_silence_days=-1)


def test_churn_rate_per_quarter_worked_by_hand():
    log = _log(LOSS_LOG)
    a = lost_accounts(log, AS_OF, LossRule("gap", min_silence_days=0))  # k x gap alone
    rates = churn_rates(log, a, AS_OF, "quarter", 4).set_index("period")
    # Q1 and Q2: no one bought before they began (P, the only January buyer, was lost on
    # Mar 18, before Q2): left out. Q3: R (first order Jun 1) at risk and lost on Sep 30.
    # Q4: U (first Aug 1, lost Oct 31) and W (first Sep 16, not lost) at risk; U lost
    assert rates.index.tolist() == ["2026Q3", "2026Q4"]
    assert rates.loc["2026Q3", ["at_risk", "lost"]].tolist() == [1, 1]
    assert rates.loc["2026Q4", ["at_risk", "lost", "churn_rate"]].tolist() == [2, 1, 0.5]
    # revenue weights: the 365 days before Oct 1: U 300, W 100 -> 300 / 400
    assert rates.loc["2026Q4", "revenue_churn_rate"] == pytest.approx(0.75)
    low, high = wilson_interval(1, 2)
    assert rates.loc["2026Q4", ["churn_low", "churn_high"]].tolist() == pytest.approx(
        [low, high])
    by = churn_by(log, a, pd.Series({"P": "x", "R": "x", "U": "y", "W": "y"}), AS_OF)
    # the last 365 days (2026-01-01 .. 12-31): no one bought before Jan 1, so no one was at
    # risk at the start of the window: both groups have 0 at risk and no rate
    assert by["at_risk"].tolist() == [0, 0, 0] and by["churn_rate"].isna().all()


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    # Newcombe (1998), Statistics in Medicine 17, 857-872, Table I, method 3 (Wilson score)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombe(k, n, low, high):
    got = wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_a_k_of_zero_is_refused_naming_the_setting():
    with pytest.raises(InputError, match="loss_gap_factor"):
        churn_settings({"loss_gap_factor": 0})
    with pytest.raises(InputError, match="loss_gap_factor"):
        LossRule(gap_factor=0)


def test_settings_keys_and_their_checks():
    cfg = churn_settings({"Loss rule": "GAP", "loss_gap_factor": "2.5", "holdout_months": 3,
                          "churn_period": "month", "revenue_plan": "1200000"})
    assert (cfg.loss_rule, cfg.loss_gap_factor, cfg.holdout_months, cfg.churn_period,
            cfg.revenue_plan) == ("gap", 2.5, 3, "month", 1_200_000.0)
    assert cfg.at_risk_gap_factor == 2.0
    sheet = pd.DataFrame({"key": ["loss_rule", "holdout_months"], "value": ["often", 0]},
                         index=[2, 3])
    with pytest.raises(InputError) as err:
        churn_settings(sheet)
    lines = [str(p) for p in err.value.problems]  # every bad value at once, each with its row
    assert "row 2" in lines[0] and "expected gap or alive or either (found 'often')" in lines[0]
    assert "row 3" in lines[1] and "holdout_months" in lines[1]


def test_no_repeat_customer_means_no_usual_gap():
    with pytest.raises(InputError, match="at least one repeat customer"):
        lost_accounts(_log([("A", "2026-01-05", 100), ("B", "2026-02-05", 100)]))


# ---------------------------------------------------------------------------------------------
# reasons


def test_fisher_test_and_odds_ratio_worked_by_hand_and_against_scipy_and_statsmodels():
    # 10 lost accounts, 8 with an open complaint; 6 retained, 1 with one
    table = np.array([[8, 2], [1, 5]])
    # Fisher, by hand: margins 10 / 6 and 9 / 7 of 16; P(a) = C(10, a) C(6, 9 - a) / C(16, 9),
    # C(16, 9) = 11440; a = 3..9 have 120, 1260, 3780, 4200, 1800, 270, 10 ways. Two-sided:
    # the tables no likelier than the observed a = 8 (270): a = 3, 8, 9 -> 400 / 11440
    assert sum(math.comb(10, a) * math.comb(6, 9 - a) for a in range(3, 10)) == 11440
    p_hand = 400 / 11440
    assert stats.fisher_exact(table)[1] == pytest.approx(p_hand)
    # odds ratio 8 x 5 / (2 x 1) = 20; Woolf: se = sqrt(1/8 + 1/2 + 1 + 1/5) = 1.35093
    ratio, low, high = odds_ratio(table)
    se = math.sqrt(1 / 8 + 1 / 2 + 1 + 1 / 5)
    assert ratio == 20
    assert (low, high) == pytest.approx((20 * math.exp(-1.959964 * se),
                                         20 * math.exp(1.959964 * se)))
    sm_table = Table2x2(table)
    assert sm_table.oddsratio == pytest.approx(ratio)
    assert sm_table.oddsratio_confint() == pytest.approx((low, high))

    # the same table through compare_factors: 16 accounts with the factor as 0/1
    factors = pd.DataFrame({"open_complaint_30d": [1.0] * 8 + [0.0] * 2 + [1.0] + [0.0] * 5},
                           index=[f"c{i}" for i in range(16)])
    lost = pd.Series([True] * 10 + [False] * 6, index=factors.index)
    row = compare_factors(factors, lost).iloc[0]
    assert row["test"] == "Fisher exact"
    assert row["p_value"] == pytest.approx(p_hand)
    assert row["effect"] == pytest.approx(20)
    assert row["lost_value"] == pytest.approx(0.8) and row["retained_value"] == pytest.approx(
        1 / 6)
    assert row["significant"]
    assert row["conclusion"].startswith(
        "accounts with a complaint open over 30 days were lost with 20.0 times the odds "
        "(95 % CI 1.4-282.4")


def test_mann_whitney_effect_is_the_rank_biserial_correlation():
    # lost 4, 5, 6, 7, 8 against retained 1, 2, 3, 4.5, 9: pairs where lost > retained:
    # 4: 3; 5: 4; 6: 4; 7: 4; 8: 4 -> U = 19 of 25; r = 2 x 19 / 25 - 1 = 0.52
    values = [4, 5, 6, 7, 8, 1, 2, 3, 4.5, 9]
    factors = pd.DataFrame({"complaints": np.array(values, dtype=float)},
                           index=[f"c{i}" for i in range(10)])
    lost = pd.Series([True] * 5 + [False] * 5, index=factors.index)
    row = compare_factors(factors, lost).iloc[0]
    assert row["effect"] == pytest.approx(0.52)
    assert row["p_value"] == pytest.approx(
        stats.mannwhitneyu([4, 5, 6, 7, 8], [1, 2, 3, 4.5, 9]).pvalue)
    assert row["lost_value"] == 6 and row["retained_value"] == pytest.approx(3.9)


def test_too_few_accounts_say_so():
    factors = pd.DataFrame({"complaints": [1.0, 2.0, 0.0, 0.0]}, index=list("abcd"))
    lost = pd.Series([True, True, False, False], index=factors.index)
    row = compare_factors(factors, lost).iloc[0]
    assert np.isnan(row["p_value"]) and row["conclusion"].startswith("too few to conclude")
    table, note = logistic_regression(factors, lost)
    assert table.empty and note.startswith("too few to conclude")


def test_holm_adjustment():
    # p = .01, .04, .03: sorted .01 x 3 = .03, .03 x 2 = .06, max(.06, .04 x 1) = .06
    assert holm(np.array([0.01, 0.04, 0.03])).tolist() == pytest.approx([0.03, 0.06, 0.06])


def test_logistic_regression_recovers_a_planted_effect():
    rng = np.random.default_rng(5)
    n = 600
    complaint = rng.random(n) < 0.3
    trend = rng.normal(0, 1, n)
    # log-odds of loss: -1.5 + ln(4) x complaint: an odds ratio of 4
    p = 1 / (1 + np.exp(-(-1.5 + math.log(4) * complaint)))
    lost = pd.Series(rng.random(n) < p, index=[f"c{i}" for i in range(n)])
    factors = pd.DataFrame({"open_complaint_30d": complaint.astype(float),
                            "order_size_trend": trend}, index=lost.index)
    table, note = logistic_regression(factors, lost)
    assert note == ""
    row = table.set_index("factor").loc["open_complaint_30d"]
    assert row["or_low"] < 4 < row["or_high"] and row["p_value"] < 1e-6
    noise = table.set_index("factor").loc["order_size_trend"]
    assert noise["or_low"] < 1 < noise["or_high"]


def test_account_factors_from_complaints_contacts_survey():
    ref = pd.Series(pd.to_datetime(["2026-06-30", "2026-12-31"]), index=["A", "B"])
    complaints = pd.DataFrame({
        "customer_id": ["A", "A", "B", "B"],
        "opened": pd.to_datetime(["2026-05-01", "2025-01-01", "2026-12-01", "2026-11-01"]),
        "closed": pd.to_datetime([None, None, "2026-12-05", "2026-11-10"]),
        "severity": ["High", "low", "low", "medium"],
    })
    contacts = pd.DataFrame({
        "customer_id": ["A", "A", "B", "B", "B"],
        "date": pd.to_datetime(["2026-03-01", "2026-04-01", "2026-02-01", "2026-07-01",
                                "2027-02-01"]),
        "channel": "phone", "staff": ["Li", "Li", "Li", "Wang", "Zhao"],
    })
    survey = pd.DataFrame({"respondent_id": [1, 2, 3], "customer_id": ["A", "B", "B"],
                           "overall": [2.0, 4.0, 5.0], "nps": [3, 9, 10]})
    f = account_factors(ref, complaints=complaints, contacts=contacts, survey=survey)
    # A: the 2025 complaint is outside the year before June 30; the May one is still open on
    # June 30 (60 days > 30) and High
    assert f.loc["A", ["complaints", "open_complaint_30d", "high_severity_complaint"]].tolist() \
        == [1, 1, 0 + 1]
    assert f.loc["B", ["complaints", "open_complaint_30d", "high_severity_complaint"]].tolist() \
        == [2, 0, 0]
    # contacts: A two with Li (single contact); B two in its year (the 2027 one is after), 2 staff
    assert f.loc["A", "single_contact"] == 1 and f.loc["B", "single_contact"] == 0
    assert f.loc["A", "contacts_per_month"] == pytest.approx(2 / (365 / (365.25 / 12)))
    assert f.loc["A", "satisfaction"] == 2 and f.loc["B", "satisfaction"] == 4.5
    assert f.loc["A", "nps_detractor"] == 1 and f.loc["B", "nps_detractor"] == 0


# ---------------------------------------------------------------------------------------------
# win-back


def test_winback_ranks_key_accounts_by_value_at_stake():
    log = _log(LOSS_LOG)
    a = lost_accounts(log, AS_OF, LossRule("gap"))
    tiers = pd.DataFrame({"pyramid_tier": ["VIP", "Key", "Key", "Small", "Key", "Key", "Key"],
                          "name": list("PQRSUVW"), "account_manager": "Ann",
                          "clv": [0.0, 500.0, 50.0, 0.0, 10.0, 0.0, 250.0]},
                         index=pd.Index(list("PQRSUVW"), name="customer_id"))
    w = winback_list(a, tiers)
    # lost or at risk key accounts: P (lost, 12-month revenue 300), R (lost, 200), U (lost,
    # 300), W (at risk, CLV 250 > its revenue 200). Ties by id: P before U
    assert w["customer_id"].tolist() == ["P", "U", "W", "R"]
    assert w["value_at_stake"].tolist() == [300, 300, 250, 200]
    assert w["status"].tolist() == ["lost", "lost", "at risk", "lost"]
    assert w.loc[0, "triggering_facts"].startswith("no order for 334 days (22.3 x its usual "
                                                   "gap of 15 days)")
    assert w.loc[0, "next_action"].startswith("win back")


def test_order_size_trend_by_hand():
    # A: purchase days 100, 100, 50, 50 -> later half 50 over earlier 100, minus 1: -0.5.
    # B: 100, 200, 300 -> the later half is the third day only (rank >= 3 / 2): 300 / 150 - 1.
    # C: one purchase day: no trend. A's return on a day of its own is not a purchase day.
    log = _log([("A", "2026-01-01", 100), ("A", "2026-02-01", 100), ("A", "2026-03-01", 50),
                ("A", "2026-04-01", 50), ("A", "2026-04-15", -20),
                ("B", "2026-01-05", 100), ("B", "2026-02-05", 200), ("B", "2026-03-05", 300),
                ("C", "2026-01-09", 70)])
    ref = pd.Series(pd.Timestamp("2026-06-30"), index=["A", "B", "C"])
    f = account_factors(ref, log=log)
    assert f.loc["A", "order_size_trend"] == pytest.approx(-0.5)
    assert f.loc["B", "order_size_trend"] == pytest.approx(1.0)
    assert np.isnan(f.loc["C", "order_size_trend"])
    # a reference before B's last order leaves it out: 100, 200 -> 200 / 100 - 1
    early = account_factors(pd.Series(pd.to_datetime(["2026-06-30", "2026-02-28", "2026-06-30"]),
                                      index=["A", "B", "C"]), log=log)
    assert early.loc["B", "order_size_trend"] == pytest.approx(1.0)
    assert early.loc["A", "order_size_trend"] == pytest.approx(-0.5)
