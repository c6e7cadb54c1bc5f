"""BG/NBD, Gamma-Gamma and lifetime value: the published CDNOW estimates, closed forms worked by
hand, and the lifetimes library's answers on the same parameters."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from addin.tiering import (
    BGNBDFit,
    GammaGammaFit,
    NBDFit,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_nbd,
    rfm_summary,
    simple_clv,
    simulate_customers,
)
from addin.tiering.clv import (
    NO_DROP_OUT,
    _bgnbd_value_and_gradient,
    _BGNBDRows,
    _compress,
    _gamma_gamma_value_and_gradient,
)

CDNOW = Path(__file__).parent / "data" / "cdnow"
# The estimates published for CDNOW (see tests/data/cdnow/README.md)
PAPER_BGNBD = BGNBDFit(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4)
PAPER_GG = GammaGammaFit(p=6.25, q=3.74, v=15.44, log_likelihood=math.nan)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The papers' calibration summary: x, t_x, T in weeks, zbar (2,357 customers)."""
    return pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv", index_col="ID")


@pytest.fixture(scope="module")
def cdnow_log() -> pd.DataFrame:
    log = pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"],
                      dtype={"master_id": str, "customer_id": str, "date": str})
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    return log


@pytest.fixture(scope="module")
def bgnbd(cdnow) -> BGNBDFit:
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_rfm_summary_of_the_cdnow_log_is_the_papers_summary(cdnow, cdnow_log):
    # the calibration period is weeks 1-39 of 1997 (to Sep 30); the CSV has 2 decimals
    s = rfm_summary(cdnow_log, as_of="1997-09-30")
    s.index = s.index.astype(int)
    s = s.sort_index()
    assert s.index.tolist() == cdnow.index.tolist()
    assert (s["frequency"].to_numpy() == cdnow["x"].to_numpy()).all()
    np.testing.assert_allclose(s["recency"] / 7, cdnow["t_x"], atol=0.005)
    np.testing.assert_allclose(s["T"] / 7, cdnow["T"], atol=0.005)
    np.testing.assert_allclose(s["monetary_value"], cdnow["zbar"], atol=0.005 + 1e-9)


def test_bgnbd_reproduces_the_published_cdnow_estimates(bgnbd):
    for name in ("r", "alpha", "a", "b"):  # the paper rounds to three decimals
        assert getattr(bgnbd, name) == pytest.approx(getattr(PAPER_BGNBD, name), abs=5e-4), name
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert bgnbd.converged and bgnbd.n_customers == 2357


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(cdnow):
    gg = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])  # uses the 946 repeat customers
    assert gg.n_customers == 946 and gg.converged
    for name in ("p", "q", "v"):
        assert getattr(gg, name) == pytest.approx(getattr(PAPER_GG, name), rel=0.01), name


def test_prob_alive_closed_form_by_hand():
    # FHL 2005 eq. 11 at the published estimates for CDNOW customer 1 (x 2, t_x 30.43, T 38.86):
    # a / (b + x - 1) = 0.793 / 3.426 = 0.231465
    # ((alpha + T) / (alpha + t_x)) ^ (r + x) = (43.274 / 34.844) ^ 2.243 = 1.241935 ^ 2.243
    #   = exp(2.243 * 0.216671) = exp(0.485993) = 1.625789
    # P = 1 / (1 + 0.231465 * 1.625789) = 1 / 1.376313 = 0.726579
    p = PAPER_BGNBD.prob_alive(2, 30.43, 38.86)
    assert p == pytest.approx(0.726579, abs=2e-6)
    assert PAPER_BGNBD.prob_alive(0, 0, 38.86) == 1.0  # no repeat purchase: alive
    # vectorised, keeps a Series' index
    out = PAPER_BGNBD.prob_alive(pd.Series([2, 0], index=["c1", "c3"]), [30.43, 0], 38.86)
    assert out.index.tolist() == ["c1", "c3"]


def _hyp2f1_series(a, b, c, z, terms=400):
    """Gauss's series sum_n (a)_n (b)_n / (c)_n z^n / n!, by hand (|z| < 1)."""
    total, term = 1.0, 1.0
    for n in range(terms):
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
    return total


def test_expected_purchases_closed_form_by_hand():
    f = PAPER_BGNBD
    r, alpha, a, b = f.r, f.alpha, f.a, f.b
    # FHL 2005 eq. 10 with the hypergeometric function summed as its series, for a customer
    # with x = 0 (alive for sure) and for customer 1 (x 2, t_x 30.43, T 38.86), t = 39 weeks
    for x, t_x, T in ((0, 0.0, 38.86), (2, 30.43, 38.86)):
        t = 39.0
        z = t / (alpha + T + t)
        head = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * _hyp2f1_series(
            r + x, b + x, a + b + x - 1, z)
        odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x else 0.0
        by_hand = (a + b + x - 1) / (a - 1) * head / (1 + odds)
        assert f.expected_purchases(t, x, t_x, T) == pytest.approx(by_hand, rel=1e-9)
    # Fader, Hardie and Lee's worked example for customer 1: 1.226 purchases in 39 weeks
    assert f.expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=5e-4)
    assert f.expected_purchases(0, 2, 30.43, 38.86) == 0.0


def test_expected_average_value_by_hand():
    gg = PAPER_GG
    # customer 1: p (v + x m) / (p x + q - 1) = 6.25 (15.44 + 2 * 22.35) / (12.5 + 2.74)
    #           = 6.25 * 60.14 / 15.24 = 24.66371
    assert gg.expected_average_value(2, 22.35) == pytest.approx(24.66371, rel=1e-6)
    # no repeat purchase: the population mean p v / (q - 1) = 96.5 / 2.74 = 35.21898
    assert gg.expected_average_value(0, 0.0) == pytest.approx(35.21898, rel=1e-6)
    with pytest.raises(ValueError, match="q"):
        GammaGammaFit(1.0, 0.9, 1.0, 0.0).expected_average_value(1, 1.0)


def test_lifetimes_gives_the_same_answers_on_the_same_parameters(cdnow, bgnbd):
    fitters = pytest.importorskip("lifetimes")
    bg = fitters.BetaGeoFitter()
    bg.params_ = pd.Series({"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b})
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    np.testing.assert_allclose(bgnbd.prob_alive(x, t_x, T),
                               bg.conditional_probability_alive(x, t_x, T), rtol=1e-9)
    np.testing.assert_allclose(
        bgnbd.expected_purchases(10, x, t_x, T),
        bg.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, T), rtol=1e-9)
    # and lifetimes' own fit lands on the same optimum
    theirs = fitters.BetaGeoFitter().fit(x, t_x, T)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(bgnbd, name) == pytest.approx(theirs.params_[name], rel=1e-4)

    gg = fit_gamma_gamma(x, cdnow["zbar"])
    ggf = fitters.GammaGammaFitter()
    ggf.params_ = pd.Series({"p": gg.p, "q": gg.q, "v": gg.v})
    np.testing.assert_allclose(gg.expected_average_value(x, cdnow["zbar"]),
                               ggf.conditional_expected_average_profit(x, cdnow["zbar"]),
                               rtol=1e-9)
    # lifetimes' CLV is the same discounted sum with its own month (4.345 weeks for "W")
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time  # set by its fit()
    ours = customer_lifetime_value(bgnbd, gg, x, t_x, T, cdnow["zbar"], months=12,
                                   monthly_discount_rate=0.01, periods_per_month=4.345)
    theirs_clv = ggf.customer_lifetime_value(bg, x, t_x, T, cdnow["zbar"], time=12,
                                             discount_rate=0.01, freq="W")
    np.testing.assert_allclose(ours, theirs_clv, rtol=1e-9)


def test_clv_of_one_month_is_value_times_purchases_discounted():
    # one month of k = 4 periods: CLV = margin * E[M] * E[Y(4)] / (1 + d)
    bg, gg = PAPER_BGNBD, PAPER_GG
    value = gg.expected_average_value(2, 22.35)
    purchases = bg.expected_purchases(4, 2, 30.43, 38.86)
    clv = customer_lifetime_value(bg, gg, 2, 30.43, 38.86, 22.35, months=1,
                                  monthly_discount_rate=0.02, periods_per_month=4, margin=0.3)
    assert clv == pytest.approx(0.3 * value * purchases / 1.02, rel=1e-12)
    assert customer_lifetime_value(bg, gg, 2, 30.43, 38.86, 22.35, months=0) == 0.0
    with pytest.raises(ValueError, match="months"):
        customer_lifetime_value(bg, gg, 2, 30.43, 38.86, 22.35, months=1.5)


def test_simple_margin_clv_by_hand():
    # m r / (1 + d - r) = 100 * 0.8 / (1 + 0.1 - 0.8) = 80 / 0.3 = 266.67
    assert simple_clv(100, 0.8, 0.1) == pytest.approx(266.6667, rel=1e-6)
    assert simple_clv(100, 0.0, 0.1) == 0.0  # nobody stays: nothing to come
    out = simple_clv(pd.Series([100.0, 50.0], index=["x", "y"]), 0.5, 0.0)  # 100 * .5 / .5
    assert out.to_dict() == {"x": 100.0, "y": 50.0}
    with pytest.raises(ValueError, match="retention"):
        simple_clv(100, 1.2, 0.1)
    with pytest.raises(ValueError, match="discount"):
        simple_clv(100, 1.0, 0.0)  # keeps every customer forever without discount: infinite


def test_fits_reject_what_they_cannot_use():
    with pytest.raises(ValueError, match="no customers"):
        fit_bgnbd([], [], [])
    with pytest.raises(ValueError, match="between 0 and T"):
        fit_bgnbd([1, 0], [5, 0], [4, 3])
    with pytest.raises(ValueError, match="whole number"):
        fit_bgnbd([1.5], [1], [2])
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        fit_bgnbd([0, 0], [0, 0], [3, 4])
    with pytest.raises(ValueError, match="blanks"):
        fit_bgnbd([1, np.nan], [1, 0], [2, 2])
    with pytest.raises(ValueError, match="cannot be fitted"):
        fit_gamma_gamma([0, 0], [0.0, 0.0])


def test_fit_recovers_simulated_parameters():
    # draw customers from a known BG/NBD (r 0.5, alpha 10, a 0.8, b 3), then fit them back
    rng = np.random.default_rng(11)
    n, T = 4000, 52.0
    lam = rng.gamma(0.5, 1 / 10.0, n)
    p = rng.beta(0.8, 3.0, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    for i in range(n):  # a simulation, not production code: one customer's purchases
        t, alive = 0.0, True
        while alive:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i] += 1
            t_x[i] = t
            alive = rng.random() > p[i]
    fit = fit_bgnbd(x, t_x, np.full(n, T))
    assert fit.r == pytest.approx(0.5, rel=0.15)
    assert fit.alpha == pytest.approx(10.0, rel=0.25)
    assert fit.a == pytest.approx(0.8, rel=0.3)
    assert fit.b == pytest.approx(3.0, rel=0.35)


def test_the_analytic_gradients_are_the_likelihoods_slopes(cdnow):
    # central differences of the log-likelihood in ln-parameters against the formulas
    rows, w = _compress(cdnow["x"].to_numpy(float), cdnow["t_x"].to_numpy(), cdnow["T"].to_numpy())
    data = _BGNBDRows(*rows.T, w)
    at = np.log([0.3, 5.0, 0.7, 2.2])
    _, grad = _bgnbd_value_and_gradient(at, data)
    for i in range(4):
        h = np.zeros(4)
        h[i] = 1e-5
        slope = (_bgnbd_value_and_gradient(at + h, data)[0]
                 - _bgnbd_value_and_gradient(at - h, data)[0]) / 2e-5
        assert grad[i] == pytest.approx(slope, rel=1e-6, abs=1e-6), i
    use = cdnow["x"] > 0
    x, m = cdnow["x"][use].to_numpy(float), cdnow["zbar"][use].to_numpy()
    at = np.log([5.0, 3.0, 14.0])
    _, grad = _gamma_gamma_value_and_gradient(at, x, m, np.ones(len(x)))
    for i in range(3):
        h = np.zeros(3)
        h[i] = 1e-5
        slope = (_gamma_gamma_value_and_gradient(at + h, x, m, np.ones(len(x)))[0]
                 - _gamma_gamma_value_and_gradient(at - h, x, m, np.ones(len(x)))[0]) / 2e-5
        assert grad[i] == pytest.approx(slope, rel=1e-6, abs=1e-6), i


def test_gamma_gamma_matches_lifetimes_on_cdnow(cdnow):
    fitters = pytest.importorskip("lifetimes")
    use = cdnow["x"] > 0
    theirs = fitters.GammaGammaFitter().fit(cdnow["x"][use], cdnow["zbar"][use])
    ours = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    for name in ("p", "q", "v"):
        assert getattr(ours, name) == pytest.approx(theirs.params_[name], rel=1e-4), name


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    """100,000 customers over three years in days, drawn from BG/NBD(0.25, 20, 0.8, 2.5) and
    Gamma-Gamma(6, 4, 15) with a fixed seed (the bench draws 1,000,000 the same way)."""
    return simulate_customers(100_000, seed=7)


def test_fits_match_lifetimes_and_the_truth_on_100000_simulated_customers(simulated):
    fitters = pytest.importorskip("lifetimes")
    s = simulated
    bg = fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert bg.converged and bg.problem == "" and bg.n_customers == 100_000
    theirs = fitters.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(bg, name) == pytest.approx(theirs.params_[name], rel=1e-4), name
    # and near the parameters the customers were drawn from
    assert (bg.r, bg.alpha, bg.a, bg.b) == pytest.approx((0.25, 20.0, 0.8, 2.5), rel=0.1)
    repeat = s["frequency"] > 0
    gg = fit_gamma_gamma(s["frequency"], s["monetary_value"])
    assert gg.converged and gg.n_customers == int(repeat.sum())
    theirs = fitters.GammaGammaFitter().fit(s["frequency"][repeat],
                                            s["monetary_value"][repeat])
    for name in ("p", "q", "v"):
        assert getattr(gg, name) == pytest.approx(theirs.params_[name], rel=1e-4), name
    assert (gg.p, gg.q, gg.v) == pytest.approx((6.0, 4.0, 15.0), rel=0.1)


def test_a_fit_where_nobody_drops_out_says_so_and_the_nbd_takes_over():
    # drop-out probabilities from beta(1e-9, 2.5): all but zero, so a runs to its bound
    s = simulate_customers(20_000, a=1e-9, seed=3)
    bg = fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert not bg.converged and NO_DROP_OUT in bg.problem and bg.a < 1e-6
    nbd = fit_nbd(s["frequency"], s["recency"], s["T"])
    assert isinstance(nbd, NBDFit) and nbd.converged
    assert (nbd.r, nbd.alpha) == pytest.approx((0.25, 20.0), rel=0.1)
    # the NBD is the BG/NBD's limit: the same likelihood as the BG/NBD fit on its bound
    assert nbd.log_likelihood == pytest.approx(bg.log_likelihood, rel=1e-6)
    # NBD prediction by hand: E[Y(t)] = t (r + x) / (alpha + T)
    assert nbd.expected_purchases(30, 4, 100, 200) == pytest.approx(
        30 * (nbd.r + 4) / (nbd.alpha + 200))
    assert nbd.prob_alive(4, 100, 200) == 1.0


def test_spend_rates_that_do_not_differ_are_a_usable_gamma_gamma_limit():
    # every customer's purchases are gamma(3, scale 100): no heterogeneity, so q and v run off
    # together with v / q -> 1 / 100 and E[M] -> the population mean p v / q = 300
    rng = np.random.default_rng(4)
    x = rng.integers(1, 8, 3000).astype(float)
    m = rng.gamma(3 * x, 100 / x)  # the mean of x gamma(3, 100) purchases
    gg = fit_gamma_gamma(x, m)
    assert gg.converged and gg.problem == "" and gg.q > 1e5
    assert gg.p * gg.v / gg.q == pytest.approx(300, rel=0.03)
    assert gg.expected_average_value(4, 500.0) == pytest.approx(gg.p * gg.v / gg.q, rel=1e-3)
