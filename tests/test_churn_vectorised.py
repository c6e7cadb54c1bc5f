"""The vectorised churn routines (integer customer codes, bincount, one sort) return the very
same numbers as their first, straightforward group-by implementations (tests/churn_reference.py)
on small random logs with returns, same-day lines, single buyers and ids of several kinds; and
the per-customer median gap on a hand-worked example."""

import churn_reference as ref
import numpy as np
import pandas as pd
import pytest

from addin.churn.history import clean_log, purchase_days
from addin.churn.loss import LossRule, lost_accounts, usual_gaps
from addin.churn.reasons import account_factors


def _random_log(seed: int, customers: int = 60, rows: int = 400, ints: bool = False):
    rng = np.random.default_rng(seed)
    ids = (rng.integers(0, customers, rows) if ints
           else np.array([f"K{i:03d}" for i in rng.integers(0, customers, rows)], dtype=object))
    day = np.datetime64("2025-01-01") + rng.integers(0, 500, rows).astype("timedelta64[D]")
    amount = np.round(rng.lognormal(4, 1, rows), 2)
    amount[rng.random(rows) < 0.08] *= -0.5  # returns, some on days of their own
    return clean_log(pd.DataFrame({"customer_id": ids, "date": day.astype("datetime64[us]"),
                                   "amount": amount}))


def _sheets(log: pd.DataFrame, seed: int):
    rng = np.random.default_rng(seed + 100)
    ids = np.r_[log["customer_id"].unique(), ["nobody"] if log["customer_id"].dtype == object
                else [10_000]]
    start = np.datetime64("2025-01-01")
    n = 150
    opened = start + rng.integers(0, 520, n).astype("timedelta64[D]")
    closed = (opened + rng.integers(1, 80, n).astype("timedelta64[D]")).astype("datetime64[us]")
    complaints = pd.DataFrame({
        "customer_id": rng.choice(ids, n), "opened": opened.astype("datetime64[us]"),
        "closed": pd.Series(closed).where(rng.random(n) < 0.8),
        "severity": pd.Series(rng.choice(["low", " High", "critical", "medium"], n)).where(
            rng.random(n) < 0.9)})
    m = 300
    contacts = pd.DataFrame({
        "customer_id": rng.choice(ids, m),
        "date": (start + rng.integers(0, 520, m).astype("timedelta64[D]")).astype(
            "datetime64[us]"),
        "staff": pd.Series(rng.choice(["Li", "Wang", "Zhao"], m)).where(rng.random(m) < 0.9)})
    return complaints, contacts


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rule", ["gap", "alive", "either"])
def test_lost_accounts_match_the_group_by_implementation(seed, rule):
    log = _random_log(seed, ints=seed % 3 == 2)
    as_of = "2026-03-31" if seed % 2 else "2025-12-15"
    days = purchase_days(log, as_of)
    alive = pd.Series(np.random.default_rng(seed).random(days["customer_id"].nunique()),
                      index=days["customer_id"].unique())
    r = LossRule(rule, gap_factor=[3, 2, 1.5][seed % 3])
    want = ref.lost_accounts(log, as_of, r, alive)
    pd.testing.assert_frame_equal(lost_accounts(log, as_of, r, alive), want, check_exact=True)
    pd.testing.assert_frame_equal(lost_accounts(log, as_of, r, alive, days=days), want,
                                  check_exact=True)
    with_days, revenue = purchase_days(log, as_of, with_revenue=True)
    pd.testing.assert_frame_equal(with_days, days, check_exact=True)
    pd.testing.assert_frame_equal(
        lost_accounts(log, as_of, r, alive, days=days, revenue=revenue), want,
        check_exact=True)


@pytest.mark.parametrize("seed", range(6))
def test_account_factors_match_the_group_by_implementation(seed):
    log = _random_log(seed, ints=seed % 3 == 2)
    as_of = "2026-03-31"
    days = purchase_days(log, as_of)
    accounts = lost_accounts(log, as_of, LossRule("gap"), days=days)
    reference = accounts["loss_date"].where(accounts["lost"], pd.Timestamp(as_of))
    complaints, contacts = _sheets(log, seed)
    window = [365, 90, 180][seed % 3]
    want = ref.account_factors(reference, complaints=complaints, contacts=contacts, log=log,
                               window=window)
    got = account_factors(reference, complaints=complaints, contacts=contacts, log=log,
                          window=window, days=days)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    got = account_factors(reference, complaints=complaints, contacts=contacts, log=log,
                          window=window)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    # a reference over a subset of the accounts, in another order
    some = reference.iloc[::-2]
    pd.testing.assert_frame_equal(
        account_factors(some, complaints=complaints, contacts=contacts, log=log, days=days),
        ref.account_factors(some, complaints=complaints, contacts=contacts, log=log),
        check_exact=True)


def test_usual_gaps_worked_by_hand():
    # A: gaps 10, 30, 20 -> median 20; B: gaps 4, 8 -> (4 + 8) / 2 = 6; C: one day, no gap.
    # The portfolio's median of the medians 20 and 6: 13
    log = clean_log(pd.DataFrame({
        "customer_id": ["A"] * 4 + ["B"] * 3 + ["C"],
        "date": pd.to_datetime(["2026-01-01", "2026-01-11", "2026-02-10", "2026-03-02",
                                "2026-01-01", "2026-01-05", "2026-01-13", "2026-01-07"]),
        "amount": 10.0}))
    own, portfolio = usual_gaps(purchase_days(log))
    assert own.to_dict() == {"A": 20.0, "B": 6.0}
    assert portfolio == 13.0
    want_own, want_portfolio = ref.usual_gaps(purchase_days(log))
    pd.testing.assert_series_equal(own, want_own, check_exact=True)


@pytest.mark.parametrize("seed", range(4))
def test_gamma_gamma_likelihood_per_distinct_x_is_the_row_by_row_one(seed):
    # the forecast's Gamma-Gamma fit evaluates gamma and digamma once per distinct x and the
    # logarithms that do not depend on the parameters once per fit
    from addin.tiering.clv import _gamma_gamma_value_and_gradient, _GammaGammaRows
    from addin.tiering.simulate import simulate_customers

    s = simulate_customers(3000, seed=seed)
    s = s[s["frequency"] > 0]
    x, m = s["frequency"].to_numpy(), s["monetary_value"].to_numpy()
    w = np.random.default_rng(seed).integers(1, 4, len(x)).astype(float)
    for log_params in (np.zeros(3), np.log([6.0, 4.0, 15.0]), np.array([-1.2, 2.5, 0.3])):
        want = ref.gamma_gamma_value_and_gradient(log_params, x, m, w)
        got = _gamma_gamma_value_and_gradient(log_params, x, m, w)
        assert got[0] == want[0]
        np.testing.assert_array_equal(got[1], want[1])
        got = _gamma_gamma_value_and_gradient(log_params, x, m, w, _GammaGammaRows(x, m))
        assert got[0] == want[0]
        np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize("seed", range(4))
def test_revenue_before_matches_the_group_by_implementation(seed):
    # the 12-month revenue of the loss rule and the weights of the revenue churn rate
    from addin.churn.loss import _revenue_before

    log = _random_log(seed, ints=seed == 3)
    days = purchase_days(log, "2026-03-31")
    ids = days["customer_id"].unique()
    rng = np.random.default_rng(seed)
    until = pd.Series(np.datetime64("2025-03-01") + rng.integers(0, 400, len(ids)).astype(
        "timedelta64[D]"), index=ids)
    for edge in (until, until.iloc[::-3], pd.Series(pd.Timestamp("2025-11-01"), index=ids)):
        np.testing.assert_array_equal(_revenue_before(days, edge),
                                      ref.revenue_before(days, edge))
    np.testing.assert_array_equal(_revenue_before(days, until, span=90),
                                  ref.revenue_before(days, until, span=90))


def test_usual_gaps_of_fractional_gaps_take_the_general_sort():
    days = pd.DataFrame({"customer_id": ["A", "A", "A", "B", "B", "C"],
                         "day": pd.to_datetime(["2026-01-01"] * 6),
                         "net": 1.0, "gap": [np.nan, 2.5, 0.5, np.nan, 4.0, np.nan]})
    own, portfolio = usual_gaps(days)
    assert own.to_dict() == {"A": 1.5, "B": 4.0} and portfolio == 2.75


def test_purchase_days_sorted_by_radix_as_by_a_stable_sort():
    from addin.tiering.rfm import stable_argsort

    rng = np.random.default_rng(3)
    for high in (50, 70_000, 1 << 31, 1 << 40, 1 << 62):  # radix, position-tied, stable
        key = rng.integers(0, high, 5000)
        np.testing.assert_array_equal(stable_argsort(key), np.argsort(key, kind="stable"))


def test_revenue_with_the_purchase_days_counts_returns():
    # A: 100 + 40 - 30 (a return on a day of its own, not a purchase day) = 110; B: 20
    log = clean_log(pd.DataFrame({
        "customer_id": ["A", "A", "B", "A", "A"],
        "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-03", "2026-01-09",
                                "2026-02-01"]),
        "amount": [100.0, 40.0, 20.0, -30.0, 5.0]}))
    days, revenue = purchase_days(log, "2026-01-31", with_revenue=True)
    assert revenue.to_dict() == {"A": 110.0, "B": 20.0}
    assert days["net"].tolist() == [140.0, 20.0]


def test_positions_in_an_index_are_get_indexer_and_isin():
    from addin.churn.history import positions_in

    rng = np.random.default_rng(8)
    index = pd.Index([f"C{i}" for i in rng.permutation(200)], name="customer_id")
    values = pd.Series([f"C{i}" for i in rng.integers(0, 300, 1000)], dtype="str")
    where = positions_in(values, index)
    np.testing.assert_array_equal(where, index.get_indexer(values))
    np.testing.assert_array_equal(where >= 0, values.isin(index).to_numpy())
    assert (positions_in(pd.Series([1, 2, 7]), pd.Index([7, 1])) == [1, -1, 0]).all()
    with pytest.raises(ValueError):
        positions_in(values, pd.Index(["C1", "C1"]))


@pytest.mark.parametrize("seed", range(3))
def test_expected_purchases_by_period_is_expected_purchases_for_each_period(seed):
    # the forecast's twelve months: the bracket once per distinct (x, T) pair and month
    from addin.tiering.clv import BGNBDFit
    from addin.tiering.simulate import simulate_customers

    s = simulate_customers(4000, seed=seed, horizon=120)
    fit = BGNBDFit(0.25, 20.0, 0.8, 2.5, 0.0)
    periods = [m * 365.25 / 12 for m in range(1, 13)] + [0.0, 7.5]
    got = fit.expected_purchases_by_period(periods, s["frequency"], s["recency"], s["T"])
    for j, t in enumerate(periods):
        np.testing.assert_array_equal(got[:, j], fit.expected_purchases(
            t, s["frequency"], s["recency"], s["T"]).to_numpy())


@pytest.mark.parametrize("customers", [300, 2500])
def test_simulated_interval_in_place_is_the_first_implementation(customers):
    from addin.churn.forecast import ModelFit, _simulated_variance
    from addin.tiering.clv import BGNBDFit, GammaGammaFit
    from addin.tiering.simulate import simulate_customers

    summary = simulate_customers(customers, seed=customers)
    fit = ModelFit(summary, BGNBDFit(0.25, 20.0, 0.8, 2.5, 0.0),
                   GammaGammaFit(6.0, 4.0, 15.0, 0.0), pd.Timestamp("2026-06-30"))
    for months in (1, 3, 12):
        np.testing.assert_array_equal(_simulated_variance(fit, months),
                                      ref.simulated_variance(fit, months))


def test_ids_of_mixed_kinds_give_the_group_by_answers():
    # numbers and text in one id column (typed by hand in a workbook): purchase days sort the
    # numbers first, so the runs are checked by hashing rather than by order
    log = clean_log(pd.DataFrame({
        "customer_id": pd.Series([1001, 1001, "C-7", "C-7", 1001, 42, 42, "A-1"], dtype=object),
        "date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-05", "2026-03-01",
                                "2026-03-15", "2026-01-02", "2026-01-20", "2026-02-02"]),
        "amount": [10.0, 20.0, 5.0, 7.0, 3.0, 4.0, -1.0, 8.0]}))
    want = ref.lost_accounts(log, "2026-03-31", LossRule("gap"))
    got = lost_accounts(log, "2026-03-31", LossRule("gap"))
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.loc[1001, "revenue"] == 33.0 and got.loc["C-7", "orders"] == 2
    reference = pd.Series(pd.Timestamp("2026-03-31"), index=got.index)
    pd.testing.assert_frame_equal(account_factors(reference, log=log),
                                  ref.account_factors(reference, log=log), check_exact=True)
