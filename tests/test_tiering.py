"""Ranking (ABC, Pareto, pyramid) and RFM (summary, scores, segments) on hand-worked cases."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from addin.tiering import (
    RFM_SEGMENTS,
    abc_classes,
    key_account_pyramid,
    pareto_point,
    pareto_table,
    rfm_scores,
    rfm_segment,
    rfm_summary,
)

# --------------------------------------------------------------------------------------------
# ABC


def test_abc_share_of_customers_ranked_above():
    # total 100; shares of the customers above: a 0, b 50, c 80, d 95
    # a: 0 < .80 -> A; b: .50 < .80 -> A; c: .80 is not < .80 -> B (.80 < .95); d: .95 -> C
    v = pd.Series([50, 30, 15, 5], index=list("abcd"))
    assert abc_classes(v).tolist() == ["A", "A", "B", "C"]


def test_the_customer_that_crosses_80_percent_is_still_a():
    # 70, 20, 10: above shares 0, .70, .90 -> the second crosses 80 % (to 90 %) and is A
    assert abc_classes([70, 20, 10]).tolist() == ["A", "A", "B"]


def test_result_keeps_the_input_order_and_index():
    v = pd.Series([5, 50, 15, 30], index=["d", "a", "c", "b"])
    out = abc_classes(v)
    assert out.index.tolist() == ["d", "a", "c", "b"]
    assert out.tolist() == ["C", "A", "B", "A"]


def test_ties_are_ordered_by_index_whatever_the_row_order():
    # two customers of 10, a = 0.5: the one ranked first (label "a") has 0 above -> A, the
    # other 10/20 = .50 above, not < .50 -> B
    one = abc_classes(pd.Series([10.0, 10.0], index=["b", "a"]), a=0.5, b=0.9)
    two = abc_classes(pd.Series([10.0, 10.0], index=["a", "b"]), a=0.5, b=0.9)
    assert one.to_dict() == two.to_dict() == {"a": "A", "b": "B"}


def test_all_equal_values():
    # ten customers of 1: shares above 0, .1, ..., .9 -> 0..0.7 are A (8), .8 and .9 are B
    out = abc_classes([1.0] * 10)
    assert out.tolist() == ["A"] * 8 + ["B"] * 2


@pytest.mark.parametrize("values", [[0, 0, 0], [-5, -1], [0.0]])
def test_no_positive_value_makes_everyone_c(values):
    assert set(abc_classes(values)) == {"C"}


def test_zero_and_negative_values_are_c_and_do_not_shrink_shares():
    # positive total 20 (the -15 does not count): 10 -> 0 above: A; 10 -> .50: A; 0, -15: C
    assert abc_classes([10, -15, 10, 0]).tolist() == ["A", "C", "A", "C"]


def test_single_customer_and_empty_and_missing():
    assert abc_classes([7]).tolist() == ["A"]
    assert abc_classes([]).tolist() == []
    out = abc_classes([10, np.nan, 10])  # the two 10s: 0 and .5 above -> A, A
    assert out.tolist() == ["A", None, "A"]


def test_decimal_rounding_does_not_move_the_boundary_customer():
    # 0.7 + 0.1 is 0.7999999999999999 in binary floating point, but the third customer has
    # exactly 80 % above it: B, not A
    assert abc_classes([0.7, 0.1, 0.1, 0.1]).tolist() == ["A", "A", "B", "B"]


def test_abc_rejects_bad_thresholds_and_text():
    with pytest.raises(ValueError, match="0 < a <= b <= 1"):
        abc_classes([1, 2], a=0.9, b=0.8)
    with pytest.raises(ValueError, match="not a number"):
        abc_classes(pd.Series([1, "lots"]))


values_lists = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(values_lists, st.floats(0.05, 1.0), st.floats(0.0, 1.0))
@example([5e-324], 0.5, 0.0)  # a subnormal total: a * total underflowed to 0 (found by hypothesis)
def test_abc_invariants(values, a, extra):
    b = a + (1 - a) * extra
    v = pd.Series(values)
    out = abc_classes(v, a, b)
    assert set(out) <= {"A", "B", "C"} and out.notna().all()
    rank = {"A": 0, "B": 1, "C": 2}
    order = v.sort_values(ascending=False, kind="stable").index
    ranks = [rank[c] for c in out[order]]
    assert ranks == sorted(ranks)  # a larger value never gets a worse class
    if (v > 0).any():
        assert out[v.idxmax()] == "A"
    assert (out[v <= 0] == "C").all()
    shuffled = v.sample(frac=1, random_state=1)
    assert abc_classes(shuffled, a, b).sort_index().equals(out)  # row order does not matter


# --------------------------------------------------------------------------------------------
# Pareto


def test_pareto_table_hand_worked():
    t = pareto_table(pd.Series([5, 50, 15, 30], index=list("dacb")))
    assert t.index.tolist() == ["a", "b", "c", "d"]
    assert t["rank"].tolist() == [1, 2, 3, 4]
    assert t["share"].tolist() == pytest.approx([0.5, 0.3, 0.15, 0.05])
    assert t["cumulative_share"].tolist() == pytest.approx([0.5, 0.8, 0.95, 1.0])
    assert t["cumulative_customer_share"].tolist() == [0.25, 0.5, 0.75, 1.0]


def test_pareto_point_is_where_customer_and_value_shares_add_to_one():
    # 50, 30, 15, 5: k = 1: .25 + .50 < 1; k = 2: .50 + .80 >= 1 -> 50 % bring 80 %
    p = pareto_point([50, 30, 15, 5])
    assert (p.customers, p.n, p.customer_share, p.value_share) == (2, 4, 0.5, pytest.approx(0.8))
    assert str(p) == "50.0% of customers bring 80.0% of value"
    # 80, 5, 5, 5, 5: the top customer is 20 % of customers with 80 % of value
    p = pareto_point([80, 5, 5, 5, 5])
    assert (p.customers, p.customer_share, p.value_share) == (1, 0.2, pytest.approx(0.8))


def test_pareto_point_at_a_chosen_customer_share():
    # top ceil(0.2 * 4) = 1 customer of 50, 30, 15, 5 brings 50 %
    p = pareto_point([50, 30, 15, 5], customer_share=0.2)
    assert (p.customers, p.value_share) == (1, pytest.approx(0.5))


def test_pareto_edge_cases():
    empty = pareto_point([])
    assert empty.n == 0 and math.isnan(empty.value_share) and str(empty) == "no customers"
    assert pareto_table([]).columns.tolist() == [
        "rank", "value", "share", "cumulative_share", "cumulative_customer_share"]
    zeros = pareto_point([0, 0])  # nothing to share: 100 % of customers bring 0 %
    assert (zeros.customer_share, zeros.value_share) == (1.0, 0.0)
    # a negative value counts as 0 in the shares: the curve still ends at 1
    t = pareto_table([10, -5, 30])
    assert t["value"].tolist() == [30, 10, -5]
    assert t["cumulative_share"].tolist() == pytest.approx([0.75, 1.0, 1.0])


@settings(max_examples=100, deadline=None)
@given(values_lists)
def test_pareto_curve_rises_to_one(values):
    t = pareto_table(values)
    cum = t["cumulative_share"].to_numpy()
    assert (np.diff(cum) >= -1e-12).all()
    if any(v > 0 for v in values):
        assert cum[-1] == pytest.approx(1.0)
    p = pareto_point(values)
    assert 1 <= p.customers <= len(values)


# --------------------------------------------------------------------------------------------
# Pyramid


def test_pyramid_of_ten_distinct_customers():
    # n = 10: VIP ranks <= ceil(0.1) = 1; Key <= ceil(0.5) = 1 (empty); Standard <= 2; Small
    out = key_account_pyramid(list(range(10, 0, -1)))
    assert out.tolist() == ["VIP", "Standard"] + ["Small"] * 8


def test_pyramid_of_a_hundred_customers_has_the_textbook_sizes():
    out = key_account_pyramid(np.arange(100, 0, -1.0))
    assert out.value_counts().to_dict() == {"VIP": 1, "Key": 4, "Standard": 15, "Small": 80}


def test_ties_get_the_better_tier():
    # 100 customers; the 6th largest equals the 5th: both rank 5 <= ceil(0.05 * 100) -> Key
    v = np.arange(100, 0, -1.0)
    v[5] = v[4]
    out = key_account_pyramid(v)
    assert out.iloc[4] == out.iloc[5] == "Key"
    assert out.value_counts().to_dict() == {"VIP": 1, "Key": 5, "Standard": 14, "Small": 80}


def test_pyramid_edge_cases():
    assert key_account_pyramid([3.0]).tolist() == ["VIP"]  # one customer: ceil(0.01) = 1
    assert key_account_pyramid([2.0] * 7).tolist() == ["VIP"] * 7  # all tied at rank 1
    assert key_account_pyramid([]).tolist() == []
    # n = 2 (the blank does not count): VIP <= ceil(0.02) = 1, Key and Standard <= ceil(0.1)
    # = ceil(0.4) = 1 (empty), so rank 2 is Small
    assert key_account_pyramid([5, np.nan, -1]).tolist() == ["VIP", None, "Small"]


def test_pyramid_custom_tiers_and_bad_ones():
    out = key_account_pyramid([5, 4, 4, 1], shares=(0.25, 0.25, 0.5),
                              labels=("Gold", "Silver", "Bronze"))
    assert out.tolist() == ["Gold", "Silver", "Silver", "Bronze"]
    with pytest.raises(ValueError, match="add up to 1"):
        key_account_pyramid([1], shares=(0.5, 0.4), labels=("x", "y"))
    with pytest.raises(ValueError, match="one label per share"):
        key_account_pyramid([1], shares=(0.5, 0.5), labels=("x",))
    with pytest.raises(ValueError, match="distinct"):
        key_account_pyramid([1], shares=(0.5, 0.5), labels=("x", "x"))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=400))
def test_pyramid_invariants(values):
    v = pd.Series(values)
    out = key_account_pyramid(v)
    labels = ["VIP", "Key", "Standard", "Small"]
    assert out.isin(labels).all()  # every customer in exactly one tier
    level = out.map(labels.index)
    order = v.sort_values(ascending=False, kind="stable").index
    assert level[order].is_monotonic_increasing  # larger values never in a lower tier
    n = len(v)
    limits = [math.ceil(round(c * n, 9)) for c in (0.01, 0.05, 0.20, 1.0)]
    cumulative = level.value_counts().reindex(range(4), fill_value=0).cumsum().tolist()
    assert all(c >= lim for c, lim in zip(cumulative, limits, strict=True))  # ties only add
    if v.is_unique:
        assert cumulative == limits


# --------------------------------------------------------------------------------------------
# RFM summary

LOG = pd.DataFrame(
    [
        ("a", "2026-01-01", 100.0, 30.0),
        ("a", "2026-01-01", -20.0, -6.0),  # returned the same day: the day nets to 80
        ("a", "2026-01-05", 50.0, 10.0),
        ("a", "2026-01-20", -30.0, -9.0),  # a return on its own day: not a purchase
        ("a", "2026-02-10", 70.0, 20.0),
        ("b", "2026-01-10", 40.0, 8.0),
        ("c", "2026-01-15", -10.0, -2.0),  # only a return
    ],
    columns=["customer_id", "date", "amount", "margin"],
).assign(date=lambda f: pd.to_datetime(f["date"]))


def test_rfm_summary_daily_hand_worked():
    s = rfm_summary(LOG, as_of="2026-02-28")
    a, b, c = s.loc["a"], s.loc["b"], s.loc["c"]
    # a buys on Jan 1 (net 80), Jan 5, Feb 10: 3 orders, 2 repeat purchases
    assert (a["orders"], a["frequency"]) == (3, 2.0)
    assert a["recency"] == 40.0  # Jan 1 -> Feb 10: 31 + 9 days
    assert a["T"] == 58.0  # Jan 1 -> Feb 28: 31 + 27
    assert a["monetary_value"] == 60.0  # (50 + 70) / 2, the first purchase left out
    assert (a["recency_days"], a["tenure_days"]) == (18, 58)  # Feb 10 -> Feb 28
    assert a["revenue"] == 170.0  # 100 - 20 + 50 - 30 + 70
    assert a["margin"] == 45.0  # 30 - 6 + 10 - 9 + 20
    assert a["first_purchase"] == pd.Timestamp("2026-01-01")
    assert a["last_purchase"] == pd.Timestamp("2026-02-10")
    # b: one purchase on Jan 10
    assert (b["orders"], b["frequency"], b["recency"], b["T"]) == (1, 0.0, 0.0, 49.0)
    assert (b["monetary_value"], b["recency_days"]) == (0.0, 49)
    # c never bought: no age
    assert c["orders"] == 0 and math.isnan(c["T"]) and pd.isna(c["recency_days"])
    assert c["revenue"] == -10.0
    assert s.index.tolist() == ["a", "b", "c"] and s.index.name == "customer_id"


def test_rfm_summary_weeks_and_months():
    # 2026-01-01 is a Thursday: its week starts Mon 2025-12-29. a buys in the weeks of Dec 29,
    # Jan 5 and Feb 9 (the week of Jan 19 nets to a return); Feb 28 is in the week of Feb 23.
    w = rfm_summary(LOG, as_of="2026-02-28", freq="W").loc["a"]
    assert (w["frequency"], w["recency"], w["T"], w["monetary_value"]) == (2, 6, 8, 60.0)
    # months: January nets 80 + 50 - 30 = 100, February 70
    m = rfm_summary(LOG, as_of="2026-02-28", freq="M").loc["a"]
    assert (m["frequency"], m["recency"], m["T"], m["monetary_value"]) == (1, 1, 1, 70.0)


def test_rfm_summary_as_of_an_earlier_date_ignores_later_lines():
    s = rfm_summary(LOG, as_of="2026-01-31").loc["a"]
    # Feb 10 is not yet: purchases Jan 1 and Jan 5
    assert (s["orders"], s["frequency"], s["recency"], s["T"]) == (2, 1.0, 4.0, 30.0)
    assert (s["monetary_value"], s["revenue"], s["recency_days"]) == (50.0, 100.0, 26)


def test_rfm_summary_trend_windows():
    # 30-day windows before Feb 28: recent (Jan 29, Feb 28] holds Feb 10 (70); prior
    # (Dec 30, Jan 29] holds Jan 1 (80), Jan 5 (50) and Jan 20 (-30)
    a = rfm_summary(LOG, as_of="2026-02-28", trend_days=30).loc["a"]
    assert (a["recent_revenue"], a["prior_revenue"]) == (70.0, 100.0)


def test_rfm_summary_defaults_and_edges():
    s = rfm_summary(LOG)  # as of the last date, Feb 10
    assert s.loc["a", "T"] == 40.0 and s.loc["a", "recency_days"] == 0
    no_margin = rfm_summary(LOG.drop(columns="margin"))
    assert no_margin["margin"].isna().all()
    empty = rfm_summary(LOG.iloc[:0])
    assert empty.empty and "recency_days" in empty.columns
    assert rfm_summary(LOG, as_of="2025-01-01").empty


def test_rfm_summary_rejects_bad_rows():
    blank = pd.DataFrame({"customer_id": [None, "a"], "date": [pd.NaT, pd.Timestamp("2026-01-01")],
                          "amount": [np.nan, 5.0]})
    assert rfm_summary(blank).index.tolist() == ["a"]  # an all-blank row is skipped
    bad = LOG.copy()
    bad.loc[3, "date"] = pd.NaT
    with pytest.raises(ValueError, match="row 3 has no date"):
        rfm_summary(bad)
    with pytest.raises(ValueError, match="freq"):
        rfm_summary(LOG, freq="Q")
    with pytest.raises(ValueError, match="missing: amount"):
        rfm_summary(LOG.drop(columns="amount"))
    with pytest.raises(ValueError, match="as_of: expected a date"):
        rfm_summary(LOG, as_of="soon")


def _random_log(seed: int, n: int = 3000, customers: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 400, n)
    return pd.DataFrame({
        "customer_id": [f"C{c:04d}" for c in rng.integers(0, customers, n)],
        "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(days, unit="D")
        + pd.to_timedelta(rng.integers(0, 86400, n), unit="s"),  # times of day are dropped
        "amount": np.round(rng.lognormal(4, 1, n), 2),
    })


@pytest.mark.parametrize("freq", ["D", "W"])
def test_rfm_summary_equals_lifetimes(freq):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    log = _random_log(7)
    ours = rfm_summary(log, freq=freq)
    theirs = lifetimes_utils.summary_data_from_transaction_data(
        log, "customer_id", "date", monetary_value_col="amount", freq=freq)
    theirs = theirs.sort_index()
    assert ours.index.tolist() == theirs.index.tolist()
    for col in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(ours[col].to_numpy(), theirs[col].to_numpy(), rtol=1e-12,
                                   err_msg=col)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_rfm_summary_invariants(seed):
    log = _random_log(seed, n=200, customers=30)
    s = rfm_summary(log)
    assert ((0 <= s["recency"]) & (s["recency"] <= s["T"])).all()
    assert (s["frequency"] == s["orders"] - 1).all()  # daily periods, no returns
    assert (s["recency_days"] + s["recency"] == s["T"]).all()
    assert s["revenue"].sum() == pytest.approx(log["amount"].sum())


# --------------------------------------------------------------------------------------------
# Scores and segments


def _summary(recency_days, orders, revenue):
    return pd.DataFrame({"recency_days": recency_days, "orders": orders, "revenue": revenue})


def test_scores_of_ten_distinct_customers_are_two_per_bin():
    # mid-rank percentile: 1 + floor(5 (rank - 1/2) / 10): ranks 1, 2 -> 1; 3, 4 -> 2; ...
    s = rfm_scores(_summary(range(10), range(1, 11), np.arange(10.0)))
    assert s["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["m_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]  # fewer days is better
    assert s["rfm_score"].iloc[0] == "511"


def test_scores_of_four_customers_ties_and_one():
    # n = 4: 1 + floor(5 (2 rank - 1) / 8) = 1 + floor(5/8, 15/8, 25/8, 35/8) = 1, 2, 4, 5
    assert rfm_scores(_summary([4, 3, 2, 1], [1, 2, 3, 4], [1.0, 2, 3, 4]))[
        "f_score"].tolist() == [1, 2, 4, 5]
    # all tied: average rank 2.5 of 4 -> 1 + floor(5 * 2 / 4) = 3, the middle
    tied = rfm_scores(_summary([7] * 4, [2] * 4, [9.0] * 4))
    assert set(tied["r_score"]) == set(tied["f_score"]) == set(tied["m_score"]) == {3}
    # one customer: rank 1 of 1 -> 1 + floor(5 / 2) = 3
    assert rfm_scores(_summary([1], [1], [1.0])).iloc[0]["rfm_score"] == "333"
    assert rfm_scores(_summary([], [], [])).empty


def test_a_customer_without_purchases_ranks_last_on_recency():
    s = rfm_scores(_summary(pd.array([None, 1, 2, 3, 4], dtype="Int64"), [0, 1, 1, 1, 1],
                            [0.0, 1, 1, 1, 1]))
    # ranks from worst: the blank 1, then 4 days 2, 3 days 3, 2 days 4, 1 day 5;
    # scores 1 + floor(5 (2 rank - 1) / 10) = 1, 2, 3, 4, 5
    assert s["r_score"].tolist() == [1, 5, 4, 3, 2]


@pytest.mark.parametrize(("r", "f", "m", "segment"), [
    (5, 5, 5, "Champions"), (5, 4, 4, "Champions"), (4, 5, 4, "Loyal"), (3, 5, 4, "Loyal"),
    (5, 2, 3, "Potential loyalist"), (4, 2, 3, "Potential loyalist"), (5, 1, 1, "New"),
    (4, 1, 1, "Promising"), (3, 3, 3, "Need attention"), (3, 1, 2, "About to sleep"),
    (2, 4, 3, "At risk"), (1, 3, 3, "At risk"), (1, 5, 5, "Cannot lose them"),
    (2, 5, 4, "Cannot lose them"), (2, 1, 1, "Hibernating"), (1, 2, 1, "Lost"),
    (1, 1, 1, "Lost"),
])
def test_segment_rule_table(r, f, m, segment):
    scores = pd.DataFrame({"r_score": [r], "f_score": [f], "m_score": [m]})
    assert rfm_segment(scores).iloc[0] == segment


def test_segment_table_covers_every_score_once_and_uses_every_name():
    grid = [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)]
    scores = pd.DataFrame(grid, columns=["r_score", "f_score", "m_score"])
    names = rfm_segment(scores)
    assert names.notna().all()
    assert set(names) == {s.name for s in RFM_SEGMENTS} and len(RFM_SEGMENTS) == 11
    cells = sum((s.r[1] - s.r[0] + 1) * (s.fm[1] - s.fm[0] + 1) for s in RFM_SEGMENTS)
    assert cells == 25  # the 5 x 5 grid of R by FM, no overlaps (checked at import)
    with pytest.raises(ValueError, match="1..5"):
        rfm_segment(pd.DataFrame({"r_score": [6], "f_score": [1], "m_score": [1]}))


def test_readme_shows_the_segment_rule_table():
    import re
    from pathlib import Path

    from addin.tiering.rfm import segments_markdown

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = re.search(r"<!-- rfm-segments:start.*?-->\n(.*?)\n<!-- rfm-segments:end -->",
                        readme, re.S)
    assert section, "README lost its RFM segment table markers"
    assert section.group(1) == segments_markdown(), "README's RFM table is stale"
