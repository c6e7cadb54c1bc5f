"""The revenue forecast: BG/NBD x Gamma-Gamma per customer summed into a portfolio line, an
exponential-smoothing baseline on monthly totals, and a backtest of both.

**Model forecast** (Fader, Hardie and Lee 2005, "Counting your customers the easy way",
equation 10, and "RFM and CLV", the Gamma-Gamma spend model), per existing customer i and
forecast month m (periods of k = 30.4375 days from the as-of day)::

    revenue_i(m) = (E[Y_i(m k)] - E[Y_i((m - 1) k)]) * E[M_i]
    portfolio(m) = sum_i revenue_i(m)

with the fits of :mod:`addin.tiering.clv` (daily periods). It covers the customers already
acquired; new customers are not in it.

**Prediction interval**: a simulation from the fitted model, for each simulated customer:
alive with probability P(alive); purchase rate lambda ~ Gamma(r + x, alpha + T) and drop-out
probability p ~ Beta(a, b + x) (their posteriors given x, T and being alive); purchases a
Poisson process that stops after a Geometric(p) number of purchases; each purchase's value
Gamma(p_gg, nu) with nu ~ Gamma(q + p_gg x, v + x m). The variance of each month's revenue
is estimated on a fixed random sample of at most 1,000 customers (200 draws each) and scaled
by N / n to the portfolio (an unbiased estimate of the sum of the customers' independent
variances); the 95 % interval is the expectation +- 1.96 standard deviations (floored at 0).
It reflects the randomness of buying given the fitted parameters, not the uncertainty of the
parameters themselves.

**Baseline**: Holt-Winters exponential smoothing (statsmodels ``ExponentialSmoothing``;
Hyndman and Athanasopoulos, "Forecasting: principles and practice", 3rd ed., chapter 8) on
the complete calendar months' net revenue: additive damped trend from 12 months, plus additive
seasonality of period 12 from 24 months, simple smoothing from 6 months; fewer than 6 months
is too little history.

**Backtest**: both are refitted on the history up to the end of the month ``holdout`` months
before the last complete month and compared with the actual monthly revenue of the held-out
months: MAPE = mean |F - A| / A over months with A > 0, bias = sum(F - A) / sum(A).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.churn.history import complete_month_end, month_totals, positions_in
from addin.errors import InputError
from addin.tiering.clv import DAYS_PER_MONTH, BGNBDFit, GammaGammaFit, fit_bgnbd, fit_gamma_gamma
from addin.tiering.rfm import as_day, rfm_summary

MIN_FIT_CUSTOMERS = 20
MIN_FIT_REPEATERS = 10
MIN_BASELINE_MONTHS = 6
SEASONAL_MONTHS = 24
SAMPLE_CUSTOMERS = 1000
SIMULATIONS = 200
Z95 = 1.959963984540054


@dataclass(frozen=True)
class ModelFit:
    """The per-customer summary (daily periods) and the two fitted models."""

    summary: pd.DataFrame
    bgnbd: BGNBDFit
    gamma_gamma: GammaGammaFit
    as_of: pd.Timestamp


def fit_models(log: pd.DataFrame, as_of: object = None, setting: str = "as_of") -> ModelFit:
    """BG/NBD and Gamma-Gamma fitted on the purchases up to ``as_of`` (public functions of
    :mod:`addin.tiering.clv`). InputError when there are too few buyers (20) or repeat buyers
    (10) or the fit does not converge to a usable answer (say how much is needed)."""
    end = pd.Timestamp(as_day(as_of) if as_of is not None else log["day"].max())
    summary = rfm_summary(log.rename(columns={"day": "date"})[["customer_id", "date", "amount"]],
                          as_of=end)
    buyers = summary[summary["T"].notna()]
    repeaters = int((buyers["frequency"] > 0).sum())
    if len(buyers) < MIN_FIT_CUSTOMERS or repeaters < MIN_FIT_REPEATERS:
        raise InputError(f"too little history for the BG/NBD forecast up to {end.date()}: "
                         f"{len(buyers)} buyers and {repeaters} repeat buyers; at least "
                         f"{MIN_FIT_CUSTOMERS} buyers and {MIN_FIT_REPEATERS} repeat buyers "
                         "are needed", sheet="Transactions", column=setting)
    try:
        bg = fit_bgnbd(buyers["frequency"], buyers["recency"], buyers["T"])
        gg = fit_gamma_gamma(buyers["frequency"], buyers["monetary_value"])
    except ValueError as exc:
        raise InputError(f"the BG/NBD or Gamma-Gamma fit failed on the history up to "
                         f"{end.date()}: {exc}", sheet="Transactions") from exc
    if not (bg.converged and gg.converged and gg.q > 1 and abs(bg.a - 1) > 1e-9):
        raise InputError(f"the BG/NBD or Gamma-Gamma fit up to {end.date()} did not converge "
                         "to usable parameters (too little or too regular history)",
                         sheet="Transactions")
    return ModelFit(buyers, bg, gg, end)


def _monthly(fit: ModelFit, months: int, period: float) -> tuple[np.ndarray, np.ndarray]:
    """Expected purchases of each customer in each month (customers x months) and E[M]."""
    s = fit.summary
    x, t_x, T = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    value = np.asarray(fit.gamma_gamma.expected_average_value(
        x, s["monetary_value"].to_numpy(dtype=float)), dtype=float)
    cumulative = np.column_stack([np.zeros(len(s)), fit.bgnbd.expected_purchases_by_period(
        [m * period for m in range(1, months + 1)], x, t_x, T)])
    return np.diff(cumulative, axis=1), value


def customer_forecast(fit: ModelFit, months: int, period: float = DAYS_PER_MONTH
                      ) -> pd.DataFrame:
    """Expected revenue of each customer in each forecast month: one row per customer
    (``customer_id`` index), columns ``month_1`` .. ``month_<months>`` (see the module
    formula), then ``expected_purchases`` and ``expected_revenue`` over the whole horizon and
    ``expected_value`` E[M] per purchase. ``period`` is a month's length in the summary's time
    unit (days: 30.4375; a summary in weeks, such as CDNOW's, needs 365.25 / 12 / 7)."""
    purchases, value = _monthly(fit, months, period)
    columns = [f"month_{m}" for m in range(1, months + 1)]
    out = pd.DataFrame(purchases * value[:, None], index=fit.summary.index, columns=columns)
    out["expected_purchases"] = purchases.sum(axis=1)
    out["expected_revenue"] = out[columns].sum(axis=1)
    out["expected_value"] = value
    return out


def _simulated_variance(fit: ModelFit, months: int, seed: int = 17) -> np.ndarray:
    """Per forecast month, the variance of the portfolio's revenue (module docstring)."""
    s = fit.summary
    n_all = len(s)
    rng = np.random.default_rng(seed)
    pick = (np.sort(rng.choice(n_all, SAMPLE_CUSTOMERS, replace=False))
            if n_all > SAMPLE_CUSTOMERS else np.arange(n_all))
    x = s["frequency"].to_numpy(dtype=float)[pick]
    t_x = s["recency"].to_numpy(dtype=float)[pick]
    T = s["T"].to_numpy(dtype=float)[pick]
    mbar = s["monetary_value"].to_numpy(dtype=float)[pick]
    bg, gg = fit.bgnbd, fit.gamma_gamma
    n, S = len(pick), SIMULATIONS
    alive = rng.random((n, S)) < np.asarray(bg.prob_alive(x, t_x, T), dtype=float)[:, None]
    lam = rng.gamma((bg.r + x)[:, None], 1.0 / (bg.alpha + T)[:, None], size=(n, S))
    drop = rng.beta(bg.a, (bg.b + x)[:, None], size=(n, S))
    last = rng.geometric(np.clip(drop, 1e-12, 1.0))  # purchases until the drop-out one
    # two arrays of n x S x months (19 MB each at 12 months), worked in place: each fresh
    # temporary of that size cost page faults (system time) as well as arithmetic. The same
    # draws in the same order: purchases = diff(min(cumsum(Poisson counts), last)) x alive
    monthly = rng.poisson((lam * DAYS_PER_MONTH)[..., None], size=(n, S, months))
    np.cumsum(monthly, axis=2, out=monthly)
    np.minimum(monthly, last[..., None], out=monthly)
    # diff along the months in place (numpy computes overlapping operands as if apart)
    np.subtract(monthly[..., 1:], monthly[..., :-1], out=monthly[..., 1:])
    monthly *= alive[..., None]
    m = np.where(x > 0, mbar, 0.0)
    nu = rng.gamma((gg.q + gg.p * x)[:, None], 1.0 / (gg.v + x * m)[:, None], size=(n, S))
    # spend: Gamma(p x purchases) / nu where there were purchases, else 0 (a draw is taken for
    # every cell, with shape 1e-12 where there was none, so the stream does not depend on it)
    spend = np.multiply(gg.p, monthly, dtype=float)
    np.maximum(spend, 1e-12, out=spend)
    rng.standard_gamma(spend, out=spend)
    np.divide(spend, nu[..., None], out=spend)
    spend[monthly <= 0] = 0.0
    return spend.var(axis=1, ddof=1).sum(axis=0) * (n_all / n)


def month_labels(origin: pd.Timestamp, months: int) -> list[str]:
    """The calendar month (``YYYY-MM``) of the middle of each model month from ``origin``."""
    return [str((origin + pd.Timedelta(days=(m - 0.5) * DAYS_PER_MONTH)).to_period("M"))
            for m in range(1, months + 1)]


def portfolio_forecast(fit: ModelFit, months: int, *, interval: bool = True) -> pd.DataFrame:
    """The portfolio line: one row per forecast month with ``month`` (1..), ``period``
    (``YYYY-MM``), ``expected_purchases``, ``expected_revenue`` (the sum of
    :func:`customer_forecast`'s column) and its 95 % interval ``revenue_low`` ..
    ``revenue_high``."""
    purchases, value = _monthly(fit, months, DAYS_PER_MONTH)
    revenue = (purchases * value[:, None]).sum(axis=0)
    out = pd.DataFrame({"month": np.arange(1, months + 1, dtype=np.int64),
                        "period": month_labels(fit.as_of, months),
                        "expected_purchases": purchases.sum(axis=0),
                        "expected_revenue": revenue})
    if interval:
        sd = np.sqrt(_simulated_variance(fit, months))
        out["revenue_low"] = np.maximum(revenue - Z95 * sd, 0.0)
        out["revenue_high"] = revenue + Z95 * sd
    return out


def baseline_forecast(totals: pd.Series, months: int, setting: str = "Transactions"
                      ) -> pd.Series:
    """Holt-Winters forecast of the next ``months`` calendar months from monthly totals (a
    Series on a monthly ``PeriodIndex``; see the module docstring for the model chosen by the
    history's length). InputError with fewer than 6 months."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # heavy: only when used

    n = len(totals)
    if n < MIN_BASELINE_MONTHS:
        raise InputError(f"too little history for the time-series baseline: {n} complete "
                         f"months; at least {MIN_BASELINE_MONTHS} are needed",
                         sheet=setting)
    y = totals.to_numpy(dtype=float)
    options: dict = {}
    if n >= 12:
        options.update(trend="add", damped_trend=True)
    if n >= SEASONAL_MONTHS:
        options.update(seasonal="add", seasonal_periods=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the backtest judges the fit
        model = ExponentialSmoothing(y, initialization_method="estimated", **options).fit()
        ahead = np.asarray(model.forecast(months), dtype=float)
    index = pd.period_range(totals.index[-1] + 1, periods=months, freq="M")
    return pd.Series(ahead, index=index, name="baseline_revenue")


def forecast_errors(forecast: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    """(MAPE, bias): mean |F - A| / A over the months with A > 0, and sum(F - A) / sum(A)."""
    f = np.asarray(forecast, dtype=float)
    a = np.asarray(actual, dtype=float)
    ok = a > 0
    mape = float(np.mean(np.abs(f[ok] - a[ok]) / a[ok])) if ok.any() else float("nan")
    bias = float((f - a).sum() / a.sum()) if a.sum() > 0 else float("nan")
    return mape, bias


def backtest(log: pd.DataFrame, as_of: object, holdout: int) -> pd.DataFrame:
    """Both forecasts refitted on the history before the last ``holdout`` complete months and
    compared with what happened: one row per held-out month (``period``, ``actual_revenue``,
    ``model_revenue``, ``baseline_revenue``, ``actual_existing`` (from customers acquired
    before the cut)). InputError naming ``holdout_months`` when the holdout leaves too
    little calibration history."""
    last = complete_month_end(as_of if as_of is not None else log["day"].max())
    first = pd.Timestamp(log["day"].min())
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    cut = (last.to_period("M") - holdout).to_timestamp(how="end").normalize()
    calibration = span - holdout
    if calibration < MIN_BASELINE_MONTHS:
        raise InputError(f"holdout_months {holdout} leaves {max(calibration, 0)} months of the "
                         f"{span} in the history for calibration; at least "
                         f"{MIN_BASELINE_MONTHS} are needed (shorten the holdout)",
                         sheet="Settings", column="holdout_months", value=holdout,
                         has_value=True)
    fit = fit_models(log, cut, setting="holdout_months")
    model = portfolio_forecast(fit, holdout, interval=False)
    past = log[log["day"] <= np.datetime64(cut.date(), "D")]
    baseline = baseline_forecast(month_totals(past, first, cut), holdout)
    held = log[(log["day"] > np.datetime64(cut.date(), "D"))
               & (log["day"] <= np.datetime64(last.date(), "D"))]
    periods = pd.period_range(cut.to_period("M") + 1, periods=holdout, freq="M")
    actual = month_totals(held, periods[0].start_time, last).reindex(periods, fill_value=0.0)
    # membership by one factorisation of both (Series.isin on text ids checks each id's type
    # in Python: 0.9 s for the 170,000 lines of six months)
    known = positions_in(held["customer_id"], fit.summary.index) >= 0
    existing = month_totals(held[known], periods[0].start_time, last).reindex(
        periods, fill_value=0.0)
    return pd.DataFrame({"period": [str(p) for p in periods],
                         "actual_revenue": actual.to_numpy(),
                         "model_revenue": model["expected_revenue"].to_numpy(),
                         "baseline_revenue": baseline.reindex(periods).to_numpy(),
                         "actual_existing": existing.to_numpy()})


def backtest_errors(months: pd.DataFrame) -> pd.DataFrame:
    """MAPE and bias of each forecast in :func:`backtest`'s table: the model against all
    revenue and against the existing customers' revenue (what it forecasts), the baseline
    against all revenue."""
    rows = [
        ("BG/NBD x Gamma-Gamma", "all revenue", months["model_revenue"], months["actual_revenue"]),
        ("BG/NBD x Gamma-Gamma", "existing customers", months["model_revenue"],
         months["actual_existing"]),
        ("exponential smoothing", "all revenue", months["baseline_revenue"],
         months["actual_revenue"]),
    ]
    out = []
    for method, against, f, a in rows:
        mape, bias = forecast_errors(f.to_numpy(), a.to_numpy())
        out.append({"method": method, "against": against, "months": len(months),
                    "mape": mape, "bias": bias})
    return pd.DataFrame(out)


def plan_gap(forecast_total: float, plan: float | None) -> dict | None:
    """Forecast vs plan: ``plan``, ``forecast``, ``gap`` = forecast - plan and ``gap_share`` =
    gap / plan; None without a plan."""
    if plan is None or not np.isfinite(plan) or plan <= 0:
        return None
    gap = forecast_total - plan
    return {"plan": float(plan), "forecast": float(forecast_total), "gap": float(gap),
            "gap_share": float(gap / plan)}
