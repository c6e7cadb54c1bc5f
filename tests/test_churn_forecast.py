"""The revenue forecast: per-customer expectations add up to the portfolio line, agree with the
CLV routine of addin.tiering, reproduce the CDNOW holdout published by Fader, Hardie and Lee
(2005), and the backtest and its bad inputs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from addin.churn.forecast import (
    ModelFit,
    backtest,
    backtest_errors,
    baseline_forecast,
    customer_forecast,
    fit_models,
    forecast_errors,
    plan_gap,
    portfolio_forecast,
)
from addin.churn.history import clean_log, month_totals
from addin.errors import InputError
from addin.tiering import DAYS_PER_MONTH, customer_lifetime_value, fit_bgnbd, fit_gamma_gamma

CDNOW = Path(__file__).parent / "data" / "cdnow"


def synthetic_log(n=250, seed=7, start="2023-01-01", end="2025-12-31") -> pd.DataFrame:
    """Customers joining over the first two thirds of three years, buying at gamma-distributed
    rates with exponential lifetimes (the BG/NBD's story, roughly)."""
    rng = np.random.default_rng(seed)
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    span = (e - s).days
    rows = []
    for i in range(n):
        t = s + pd.Timedelta(days=int(rng.integers(0, span * 0.7)))
        first, rate, life = t, rng.gamma(2, 1 / 60), rng.exponential(500)
        while t <= e and (t - first).days <= life:
            rows.append((f"C{i:04d}", t, float(rng.gamma(3, 100))))
            t += pd.Timedelta(days=int(rng.exponential(1 / rate)) + 1)
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


@pytest.fixture(scope="module")
def log():
    return clean_log(synthetic_log())


@pytest.fixture(scope="module")
def fit(log):
    return fit_models(log)


def test_per_customer_expectations_add_up_to_the_portfolio_line(fit):
    per = customer_forecast(fit, 12)
    line = portfolio_forecast(fit, 12)
    months = [f"month_{m}" for m in range(1, 13)]
    np.testing.assert_allclose(per[months].sum().to_numpy(), line["expected_revenue"], rtol=1e-12)
    assert per["expected_revenue"].sum() == pytest.approx(line["expected_revenue"].sum())
    assert line["revenue_low"].le(line["expected_revenue"]).all()
    assert line["revenue_high"].ge(line["expected_revenue"]).all()
    # each customer's horizon purchases are the BG/NBD's E[Y(12 months)], computed directly
    s = fit.summary
    direct = fit.bgnbd.expected_purchases(12 * DAYS_PER_MONTH, s["frequency"], s["recency"],
                                          s["T"])
    np.testing.assert_allclose(per["expected_purchases"], direct, rtol=1e-10)
    # and the undiscounted 12-month revenue is tiering's CLV at a 0 discount rate and margin 1
    clv = customer_lifetime_value(fit.bgnbd, fit.gamma_gamma, s["frequency"], s["recency"],
                                  s["T"], s["monetary_value"], months=12,
                                  monthly_discount_rate=0.0)
    np.testing.assert_allclose(per["expected_revenue"], clv, rtol=1e-10)


def test_forecast_months_are_labelled_from_the_as_of_day(fit):
    line = portfolio_forecast(fit, 3, interval=False)
    assert fit.as_of <= pd.Timestamp("2025-12-31")
    assert line["period"].tolist()[0] in ("2025-12", "2026-01")
    assert list(line.columns) == ["month", "period", "expected_purchases", "expected_revenue"]


def test_forecast_errors_worked_by_hand():
    # |110 - 100| / 100 = .1, |90 - 120| / 120 = .25, the 0 month is left out of the MAPE;
    # bias (10 - 30 + 5) / 220
    mape, bias = forecast_errors(np.array([110, 90, 5]), np.array([100, 120, 0]))
    assert mape == pytest.approx((0.1 + 0.25) / 2)
    assert bias == pytest.approx(-15 / 220)
    assert plan_gap(900.0, 1000.0) == {"plan": 1000.0, "forecast": 900.0, "gap": -100.0,
                                       "gap_share": -0.1}
    assert plan_gap(900.0, None) is None


def test_backtest_holds_out_the_last_months(log):
    months = backtest(log, None, 6)
    assert months["period"].tolist() == ["2025-07", "2025-08", "2025-09", "2025-10",
                                         "2025-11", "2025-12"]
    actual = month_totals(log)
    assert months["actual_revenue"].tolist() == pytest.approx(
        actual.loc[pd.Period("2025-07"):pd.Period("2025-12")].tolist())
    errors = backtest_errors(months).set_index(["method", "against"])
    assert set(errors.index.get_level_values(0)) == {"BG/NBD x Gamma-Gamma",
                                                     "exponential smoothing"}
    assert (errors["mape"] < 0.5).all()  # both forecasts are in the right region


def test_holdout_longer_than_the_history_names_the_setting(log):
    with pytest.raises(InputError) as err:
        backtest(log, None, 40)
    text = str(err.value)
    assert "holdout_months" in text and "at least 6" in text


def test_too_little_history_for_the_model_and_the_baseline():
    tiny = clean_log(pd.DataFrame({"customer_id": ["a", "b", "a"], "date": pd.to_datetime(
        ["2026-01-01", "2026-01-02", "2026-02-01"]), "amount": [1.0, 2.0, 3.0]}))
    with pytest.raises(InputError, match="at least 20 buyers and 10 repeat buyers"):
        fit_models(tiny)
    with pytest.raises(InputError, match="at least 6 are needed"):
        baseline_forecast(month_totals(tiny), 12)


def test_seasonal_baseline_with_24_months_follows_the_season():
    # two years of a December peak on a flat level: the forecast's December is the peak
    months = pd.period_range("2024-01", "2025-12", freq="M")
    y = pd.Series([100.0 + (80 if p.month == 12 else 0) for p in months], index=months)
    ahead = baseline_forecast(y, 12)
    assert ahead.index[0] == pd.Period("2026-01")
    assert ahead.idxmax() == pd.Period("2026-12")
    assert ahead.loc["2026-01"] == pytest.approx(100, abs=5)


# ---------------------------------------------------------------------------------------------
# CDNOW: Fader, Hardie and Lee (2005), "Counting your customers the easy way", Marketing
# Science 24(2), 275-284. Calibration weeks 1-39 (to 1997-09-30), holdout weeks 40-78.

# Figure 4 of the paper ("conditional expectations"): the actual mean number of repeat
# transactions in the 39-week holdout of the customers who made 0, 1, ..., 6, 7+ repeat
# transactions in the calibration period.
PUBLISHED_HOLDOUT_ACTUAL = [0.24, 0.70, 1.39, 1.56, 2.53, 2.95, 3.86, 6.36]
# Hardie's spreadsheet for the paper: customer 1 (x 2, t_x 30.43, T 38.86) is expected to make
# 1.226 transactions in the 39 holdout weeks.
PUBLISHED_CUSTOMER_1 = 1.226
WEEKS_PER_MONTH = 365.25 / 12 / 7


@pytest.fixture(scope="module")
def cdnow_fit():
    summary = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv",
                          index_col="ID")
    summary = summary.rename(columns={"x": "frequency", "t_x": "recency",
                                      "zbar": "monetary_value"})
    bg = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    gg = fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    return ModelFit(summary, bg, gg, pd.Timestamp("1997-09-30"))


def test_cdnow_holdout_reproduces_the_published_figure(cdnow_fit):
    log = pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"],
                      dtype={"date": str})
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    # holdout transactions: purchase days after the calibration end (lines of one day are one
    # transaction, as in the papers' summaries)
    held = log[log["date"] > "1997-09-30"].groupby("customer_id")["date"].nunique()
    s = cdnow_fit.summary
    held = held.reindex(s.index, fill_value=0)
    group = s["frequency"].clip(upper=7)
    actual = held.groupby(group).mean()
    np.testing.assert_allclose(actual.to_numpy(), PUBLISHED_HOLDOUT_ACTUAL, atol=0.005)

    # the forecast of the 39 holdout weeks: one "month" of 39 weeks through the same routine
    per = customer_forecast(cdnow_fit, 1, period=39.0)
    assert per.loc[1, "expected_purchases"] == pytest.approx(PUBLISHED_CUSTOMER_1, abs=5e-4)
    expected = per["expected_purchases"].groupby(group).mean()
    # The published fit, through the same routine, expects 1,653 holdout transactions against
    # the 1,882 that happened (-12 %). The tolerance of 15 % is what a correct model can miss by
    # on CDNOW's non-stationary holdout, while the usual slips (days read as weeks, P(alive)
    # left out, the horizon off by a period) miss by 40 % or more. Per frequency group the
    # expectations rise with the calibration frequency as the actual means do.
    assert expected.is_monotonic_increasing
    assert held.sum() == 1882
    assert per["expected_purchases"].sum() == pytest.approx(1882, rel=0.15)


def test_cdnow_monthly_forecast_in_weeks(cdnow_fit):
    # the same fit, forecast in calendar months (a summary in weeks): 9 months ~ 39 weeks
    per = customer_forecast(cdnow_fit, 9, period=WEEKS_PER_MONTH)
    assert per["expected_purchases"].sum() == pytest.approx(
        customer_forecast(cdnow_fit, 1, period=9 * WEEKS_PER_MONTH)["expected_purchases"].sum())
