"""Life cycle, relationship levels, the Settings keys and tier_customers on small hand-built
workbooks' tables."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from addin.errors import InputError
from addin.tiering import (
    LIFECYCLE_STAGES,
    RELATIONSHIP_LEVELS,
    LifecycleRules,
    TierSettings,
    lifecycle_stage,
    pyramid_as_of,
    pyramid_history,
    relationship_level,
    tier_customers,
    tier_settings,
)

CDNOW = Path(__file__).parent / "data" / "cdnow"

# --------------------------------------------------------------------------------------------
# Life cycle


def _row(orders, recency_days, tenure_days, recent=100.0, prior=100.0):
    return {"orders": orders, "recency_days": recency_days, "tenure_days": tenure_days,
            "recent_revenue": recent, "prior_revenue": prior}


CASES = {
    # name: (summary row, prob_alive, stage); default rules: inactive 180, alive 0.1,
    # exploration 90, stability 365 days and 4 orders, decline_drop 0.5, overdue 3 gaps
    "never bought": (_row(0, None, None), None, "termination"),
    "silent 200 days": (_row(20, 200, 500), None, "termination"),
    "probably gone": (_row(20, 30, 500), 0.05, "termination"),
    "one order": (_row(1, 10, 10, prior=0), None, "exploration"),
    "new, three orders in 60 days": (_row(3, 5, 60, prior=0), None, "exploration"),
    "spend halved": (_row(20, 5, 500, recent=40, prior=100), 0.9, "decline"),
    # gap: (400 - 100) / (11 - 1) = 30 days; 100 > 3 * 30: overdue
    "overdue on its own cadence": (_row(11, 100, 400), None, "decline"),
    "steady for years": (_row(30, 10, 700), 0.99, "stability"),
    "repeat buying, half a year": (_row(6, 10, 180), None, "formation"),
    "long tenure, few orders": (_row(3, 20, 500, prior=0), None, "formation"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_lifecycle_rules(name):
    row, alive, stage = CASES[name]
    summary = pd.DataFrame([row], index=[name]).astype(
        {"recency_days": "Float64", "tenure_days": "Float64"})
    assert lifecycle_stage(summary, None if alive is None else [alive]).iloc[0] == stage


def test_lifecycle_boundaries_and_thresholds():
    # exactly inactive_days is not yet termination; one day more is. Mean gaps (700 - 180) / 3
    # = 173 days: 180 is not overdue (3 gaps = 520)
    s = pd.DataFrame([_row(4, 180, 700), _row(4, 181, 700)])
    assert lifecycle_stage(s).tolist() == ["stability", "termination"]
    assert lifecycle_stage(s, rules=LifecycleRules(inactive_days=365)).tolist() == [
        "stability", "stability"]
    # with 30 orders in the same 520 days the gap is 17.9 days: 180 days silent is overdue
    assert lifecycle_stage(pd.DataFrame([_row(30, 180, 700)])).tolist() == ["decline"]
    assert list(LIFECYCLE_STAGES) == ["exploration", "formation", "stability", "decline",
                                      "termination"]
    assert LIFECYCLE_STAGES["stability"] == "稳定期"
    with pytest.raises(ValueError, match="alive_threshold"):
        LifecycleRules(alive_threshold=1.5)
    with pytest.raises(ValueError, match="needs"):
        lifecycle_stage(pd.DataFrame({"orders": [1]}))


# --------------------------------------------------------------------------------------------
# Relationship levels (Kotler)


@pytest.mark.parametrize(("count", "margin", "level"), [
    ("many", "high", "accountable"), ("many", "medium", "reactive"), ("many", "low", "basic"),
    ("medium", "high", "proactive"), ("medium", "medium", "accountable"),
    ("medium", "low", "reactive"), ("few", "high", "partnership"),
    ("few", "medium", "proactive"), ("few", "low", "accountable"),
])
def test_kotler_matrix(count, margin, level):
    assert relationship_level(count, margin) == level
    assert RELATIONSHIP_LEVELS[(count, margin)] == level


def test_relationship_words_series_and_errors():
    assert relationship_level(" Few ", "HIGH") == "partnership"
    assert relationship_level("少", "高") == "partnership"
    out = relationship_level(pd.Series(["many", None], index=["x", "y"]), "low")
    assert out.to_dict() == {"x": "basic", "y": None}
    with pytest.raises(ValueError, match="many, medium, few"):
        relationship_level("lots", "high")


# --------------------------------------------------------------------------------------------
# Settings


def _settings(**pairs):
    """A Settings sheet as the reader returns it: key, value; indexed by Excel row."""
    frame = pd.DataFrame({"key": list(pairs), "value": [str(v) for v in pairs.values()]})
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    return frame


def test_settings_defaults_and_demo_keys():
    assert tier_settings(None) == TierSettings()
    cfg = tier_settings(_settings(as_of="2026-10-31", abc_a="70%", abc_b=0.9,
                                  pyramid_shares="0.1, 0.3，0.6", pyramid_labels="金,银,铜",
                                  key_account_tiers="金", inactive_days=90))
    assert cfg.as_of == pd.Timestamp("2026-10-31")
    assert (cfg.abc_a, cfg.abc_b) == (0.7, 0.9)
    assert cfg.pyramid_shares == (0.1, 0.3, 0.6) and cfg.pyramid_labels == ("金", "银", "铜")
    assert cfg.key_account_tiers == ("金",) and cfg.lifecycle.inactive_days == 90
    assert tier_settings({"Pyramid Labels": "A,B,C", "pyramid_shares": "0.2,0.3,0.5"}
                         ).key_account_tiers == ("A", "B")  # default: the first two tiers


@pytest.mark.parametrize(("pairs", "row", "message"), [
    ({"currency": "CNY", "abc_a": "lots"}, 3, "setting 'abc_a': expected a share"),
    ({"abc_a": "0.9", "abc_b": "0.8"}, 3, "at least abc_a"),
    ({"pyramid_shares": "0.5,0.4", "pyramid_labels": "x,y"}, 2, "add up to 1"),
    ({"pyramid_shares": "0.5,0.5", "pyramid_labels": "x,y,z"}, 2, "one label per share"),
    ({"pyramid_labels": "x,x,y,z"}, 2, "distinct"),
    ({"key_account_tiers": "Platinum"}, 2, "Platinum is not one"),
    ({"inactive_days": "-5"}, 2, "whole number"),
    ({"as_of": "31/10/2026"}, 2, "a date such as 2026-10-31"),
    ({"tier_by": "profit"}, 2, "revenue or margin"),
    ({"monthly_discount_rate": "1.5"}, 2, "a share from 0 to 0.99"),
])
def test_bad_settings_name_their_row(pairs, row, message):
    with pytest.raises(InputError) as info:
        tier_settings(_settings(**pairs))
    err = info.value
    assert (err.sheet, err.row, err.column) == ("Settings", row, "value")
    assert message in str(err)


# --------------------------------------------------------------------------------------------
# tier_customers

CUSTOMERS = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d", "a", "p"],
    "name": ["Alpha", "Beta", "Gamma", "Delta", "Alpha again", "Prospect"],
    "region": ["North", "South", "North", "East", "North", "West"],
    "since": pd.to_datetime(["2025-01-01"] * 5 + ["2026-02-20"]),
}, index=pd.RangeIndex(2, 8, name="row"))
TRANSACTIONS = pd.DataFrame([
    ("a", "2026-01-05", 500.0, 100.0), ("a", "2026-02-10", 400.0, 80.0),
    ("b", "2026-01-20", 300.0, 90.0), ("b", "2026-01-25", -50.0, -15.0),
    ("c", "2026-02-01", 200.0, 20.0),
    ("x", "2026-02-15", 100.0, 10.0),  # not on the Customers sheet
    ("a", "2026-03-15", 1000.0, 200.0),  # after the as-of date below
], columns=["customer_id", "date", "amount", "margin"]).assign(
    date=lambda f: pd.to_datetime(f["date"]))


def test_tier_customers_hand_worked():
    result = tier_customers(CUSTOMERS, TRANSACTIONS, _settings(as_of="2026-02-28"))
    t = result.table
    # rows: the Customers sheet in order (the second "a" dropped), then "x"
    assert t.index.tolist() == ["a", "b", "c", "d", "p", "x"]
    assert t.loc["a", "name"] == "Alpha" and pd.isna(t.loc["x", "name"])
    # revenue up to Feb 28: a 900, b 250, c 200, x 100, d and p 0; total 1450
    assert t["revenue"].to_dict() == {"a": 900.0, "b": 250.0, "c": 200.0, "d": 0.0,
                                      "p": 0.0, "x": 100.0}
    # ABC: above shares a 0, b 900/1450 = .62, c 1150/1450 = .79 (< .80: A), x 1350/1450 =
    # .93 (B); zero-value customers C
    assert t["abc_class"].to_dict() == {"a": "A", "b": "A", "c": "A", "d": "C", "p": "C",
                                        "x": "B"}
    # pyramid of 6: VIP rank <= ceil(.06) = 1, Key <= ceil(.3) = 1, Standard <= ceil(1.2) = 2;
    # d and p tie at rank 5: Small
    assert t["pyramid_tier"].to_dict() == {"a": "VIP", "b": "Standard", "c": "Small",
                                           "d": "Small", "p": "Small", "x": "Small"}
    assert t["key_account"].to_dict()["a"] and not t["key_account"].to_dict()["b"]
    assert t.loc["a", "rank"] == 1 and t.loc["a", "value_share"] == pytest.approx(900 / 1450)
    assert t.loc["a", "orders"] == 2 and t.loc["a", "recency_days"] == 18  # Feb 10 -> 28
    assert t.loc["b", "margin"] == 75.0
    # too few buyers for a model: the margin formula; under a year of history and no
    # retention_rate setting: no CLV
    assert result.clv_method == "margin formula" and t["clv"].isna().all()
    assert result.as_of == pd.Timestamp("2026-02-28")
    # life cycle: p has no order but joined 8 days ago: exploration; d never bought: ended
    assert t.loc["p", "lifecycle_stage"] == "exploration"
    assert t.loc["d", "lifecycle_stage"] == "termination"
    assert t.loc["a", "lifecycle_stage"] == "exploration"  # first order 54 days ago
    # relationship: a is a key account (few) with margin class A (high): partnership
    assert t.loc["a", "relationship_level"] == "partnership"
    assert t.loc["d", "relationship_level"] == "basic"  # many (Small), margin C (low)


def test_tier_customers_simple_clv_with_a_retention_setting():
    t = tier_customers(CUSTOMERS, TRANSACTIONS,
                       _settings(as_of="2026-02-28", retention_rate="0.8",
                                 monthly_discount_rate="0")).table
    # yearly margin of a: 180 (tenure under a year counts as a year); d = 0:
    # 180 * 0.8 / (1 - 0.8) = 720
    assert t.loc["a", "clv"] == pytest.approx(720.0)
    assert t.loc["a", "clv_method"] == "margin formula" and math.isnan(t.loc["d", "clv"])


def test_tier_as_of_an_earlier_date_and_by_margin():
    later = tier_customers(CUSTOMERS, TRANSACTIONS, None).table  # as of the last date, Mar 15
    assert later.loc["a", "revenue"] == 1900.0
    earlier = tier_customers(CUSTOMERS, TRANSACTIONS, None, as_of="2026-01-31").table
    assert earlier["revenue"].to_dict()["a"] == 500.0 and earlier.loc["c", "orders"] == 0
    by_margin = tier_customers(CUSTOMERS, TRANSACTIONS, {"tier_by": "margin",
                                                         "as_of": "2026-02-28"}).table
    # margins: a 180, b 75, c 20, x 10 -> ranked the same way here; c is 20 / 285 = 7 %
    assert by_margin.loc["c", "value_share"] == pytest.approx(20 / 285)


def test_tier_customers_fits_the_models_on_the_cdnow_log():
    log = pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"],
                      dtype={"customer_id": str, "date": str})
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    result = tier_customers(None, log, {"clv_months": "12"}, as_of="1997-09-30")
    t = result.table
    assert result.clv_method == "BG/NBD + Gamma-Gamma" and len(t) == 2357
    # fitted on days here, so alpha is 7 times the weekly 4.414 and r, a, b are the same
    bg = result.bgnbd
    assert (bg.r, bg.alpha / 7, bg.a, bg.b) == pytest.approx((0.243, 4.414, 0.793, 2.426),
                                                             rel=0.03)
    assert t["prob_alive"].between(0, 1).all() and (t["clv"] >= 0).all()
    assert np.isnan(t["margin"]).all()  # no margin column: CLV on revenue
    assert t.loc["0001", "orders"] == 3  # customer 1: 2 repeat purchases in the calibration
    # the reconciled segment: no account in termination or below P(alive) 0.1 carries an
    # active segment, and the grid's segment is kept for everyone else
    gone = (t["lifecycle_stage"] == "termination") | (t["prob_alive"] < 0.1)
    active = {"Champions", "Loyal", "Potential loyalist", "New", "Promising",
              "Need attention", "About to sleep", "Hibernating"}
    assert not t.loc[gone, "rfm_segment_reconciled"].isin(active).any()
    assert (t.loc[~gone, "rfm_segment_reconciled"] == t.loc[~gone, "rfm_segment"]).all()
    assert gone.sum() > 0 and (t["rfm_segment_reconciled"] != t["rfm_segment"]).sum() > 0


def test_reconcile_segment_by_hand():
    from addin.tiering import reconcile_segment

    nan = float("nan")
    scores = pd.DataFrame({
        "rfm_segment": ["Loyal", "Champions", "Loyal", "Potential loyalist", "Hibernating",
                        "No purchase", "Loyal"],
        "f_score": [5, 4, 4, 3, 2, nan, 5], "m_score": [5, 4, 3, 2, 1, nan, 5]},
        index=list("ABCDEFG"))
    stage = pd.Series(["termination", "stability", "stability", "termination", "termination",
                       "termination", "stability"], index=scores.index)
    alive = pd.Series([0.0, 0.05, 0.5, 0.9, 0.8, nan, nan], index=scores.index)
    got = reconcile_segment(scores, stage, alive, 0.1)
    # A: termination, FM = (5 + 5 + 1) // 2 = 5 -> the R = 1 row at FM 5: Cannot lose them
    # B: P(alive) 0.05 < 0.1, FM = (4 + 4 + 1) // 2 = 4 -> At risk
    # C: stability and P(alive) 0.5: the grid's Loyal stays
    # D: termination though P(alive) 0.9, FM = (3 + 2 + 1) // 2 = 3 -> At risk
    # E: termination, FM = (2 + 1 + 1) // 2 = 2 -> Lost (Hibernating is R = 2)
    # F: no purchase, no scores: stays; G: no P(alive), stability: Loyal stays
    assert list(got) == ["Cannot lose them", "At risk", "Loyal", "At risk", "Lost",
                         "No purchase", "Loyal"]
    assert got.name == "rfm_segment_reconciled"


def test_bgnbd_predicts_the_poisson_rate_of_customers_who_never_leave():
    # purchases at random, one rate for all, no dropout: 4,000 orders of 200 customers over
    # 700 days is 20 each, 10.43 a year (20 / 700 * 365.25); the model should say about that
    rng = np.random.default_rng(3)
    n = 4000
    days = rng.integers(0, 700, n)
    tx = pd.DataFrame({
        "customer_id": [f"K{i:03d}" for i in rng.integers(0, 200, n)],
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
        "amount": np.round(rng.lognormal(5, 0.8, n), 2),
    })
    result = tier_customers(None, tx, None)
    t = result.table
    # nobody drops out: the BG/NBD's a runs to 0 (not identified), which the tiers say, and
    # its limit, the NBD, predicts the purchases
    assert result.clv_method == "NBD + Gamma-Gamma"
    assert "no customer is seen to drop out" in result.clv_note
    assert t["expected_purchases"].mean() == pytest.approx(10.43, rel=0.1)
    assert (t["prob_alive"] == 1.0).all()


def test_margin_formula_with_the_measured_retention():
    # 15 customers (too few to fit): k0..k9 bought on 2024-06-01, k0..k5 again on 2025-06-01,
    # k10..k14 first on 2025-03-01. As of 2025-12-31, of the 10 who bought in the year before
    # the last, 6 bought in the last year: retention 0.6.
    rows = [(f"k{i}", "2024-06-01") for i in range(10)] + [
        (f"k{i}", "2025-06-01") for i in range(6)] + [(f"k{i}", "2025-03-01")
                                                       for i in range(10, 15)]
    tx = pd.DataFrame(rows, columns=["customer_id", "date"]).assign(
        date=lambda f: pd.to_datetime(f["date"]), amount=100.0)
    result = tier_customers(None, tx, {"monthly_discount_rate": "0"}, as_of="2025-12-31")
    t = result.table
    assert result.clv_method == "margin formula"
    assert result.retention_rate == pytest.approx(0.6)
    # k0: revenue 200 over a tenure of 578 days (2024-06-01 -> 2025-12-31): yearly
    # 200 * 365.25 / 578 = 126.38; d = 0: CLV = 126.38 * 0.6 / (1 - 0.6) = 189.58
    assert t.loc["k0", "clv"] == pytest.approx(200 * 365.25 / 578 * 1.5)
    # k10: 100 in 305 days, counted as a year: 100 * 1.5 = 150
    assert t.loc["k10", "clv"] == pytest.approx(150.0)


def test_tier_customers_of_an_empty_log():
    empty = TRANSACTIONS.iloc[:0]
    t = tier_customers(CUSTOMERS, empty, None).table
    assert len(t) == 5 and (t["revenue"] == 0).all() and (t["abc_class"] == "C").all()


@pytest.mark.parametrize("tier_by", ["revenue", "margin"])
def test_pyramid_as_of_is_tier_customers_pyramid_at_each_month_end(tier_by):
    # the report's tier history takes the pyramid alone at twelve month-ends; it must be the
    # column tier_customers gives, population (Customers first, then ids seen by then) included
    rng = np.random.default_rng(8)
    n = 600
    tx = pd.DataFrame({
        "customer_id": [f"c{i:03d}" for i in rng.integers(0, 60, n)],
        "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        "amount": np.round(rng.lognormal(5, 1, n), 2),
    })
    tx["margin"] = np.round(tx["amount"] * rng.uniform(0.1, 0.5, n), 2)
    customers = pd.DataFrame({"customer_id": ["c005", "zz-prospect", "c001"],
                              "name": ["E", "P", "A"]})
    for end in ("2025-03-31", "2025-06-30", "2025-12-31"):
        settings = {"tier_by": tier_by}
        full = tier_customers(customers, tx, settings, as_of=end).table["pyramid_tier"]
        alone = pyramid_as_of(customers, tx, settings, as_of=end)
        pd.testing.assert_series_equal(alone, full, check_names=False)


@pytest.mark.parametrize("tier_by", ["revenue", "margin"])
def test_pyramid_history_is_pyramid_as_of_at_each_month_end(tier_by):
    # one pass over the log for twelve month-ends: each column must be the per-month
    # computation's, to the last bit: several lines on one day (whose sum depends on the
    # order of addition), returns, a blank margin, a customer first seen in month 7, a
    # Customers id that never buys, and month-ends before the first line
    rng = np.random.default_rng(21)
    n = 500
    tx = pd.DataFrame({
        "customer_id": [f"c{i:03d}" for i in rng.integers(0, 50, n)],
        "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        "amount": np.round(rng.lognormal(5, 1, n), 2) * np.where(rng.random(n) < 0.05, -1, 1),
    })
    tx["margin"] = np.round(tx["amount"] * rng.uniform(0.1, 0.5, n), 2)
    tx.loc[3, "margin"] = np.nan
    same_day = pd.DataFrame({"customer_id": "c007", "date": pd.Timestamp("2025-05-05"),
                             "amount": [0.1, 0.2, 0.3], "margin": [0.3, 0.2, 0.1]})
    late = pd.DataFrame({"customer_id": ["new"] * 2, "date": pd.to_datetime(
        ["2025-07-04", "2025-11-11"]), "amount": [5000.0, 10.0], "margin": [900.0, 1.0]})
    tx = pd.concat([tx, same_day, late], ignore_index=True)
    customers = pd.DataFrame({"customer_id": ["c005", "zz-prospect", "c001"],
                              "name": ["E", "P", "A"]})
    ends = [p.to_timestamp(how="end").normalize()
            for p in pd.period_range("2024-11", "2025-12", freq="M")]
    settings = {"tier_by": tier_by}
    history = pyramid_history(customers, tx, settings, ends=ends)
    assert list(history) == ends
    for end in ends:
        pd.testing.assert_series_equal(history[end],
                                       pyramid_as_of(customers, tx, settings, as_of=end))
    # before the first line only the Customers sheet is tiered; "new" appears in July
    assert list(history[ends[0]].index) == ["c005", "zz-prospect", "c001"]
    assert "new" not in history[ends[7]].index and "new" in history[ends[8]].index
