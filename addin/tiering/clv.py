"""Customer lifetime value: the BG/NBD and Gamma-Gamma models, and the simple margin formula.

Public through :mod:`addin.tiering` (``fit_bgnbd``, ``fit_gamma_gamma``,
``customer_lifetime_value``, ``simple_clv``); kept in its own module because the two
maximum-likelihood fits are a concept of their own.

The models take the summary of :func:`addin.tiering.rfm_summary` in the BG/NBD literature's
terms, for each customer: ``frequency`` x (repeat purchase periods), ``recency`` t_x (age at the
last purchase, in periods), ``T`` (age at the end of the observation, in periods) and
``monetary_value`` (mean value of the repeat purchases). Sources:

* Fader, Hardie and Lee (2005), "Counting your customers the easy way: an alternative to the
  Pareto/NBD model", Marketing Science 24(2), 275-284 (BG/NBD; equations 6, 10 and 11 and the
  CDNOW estimates r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4).
* Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value curves for customer base
  analysis", Journal of Marketing Research 42(4), 415-430 (Gamma-Gamma spend model; CDNOW
  estimates p = 6.25, q = 3.74, gamma = 15.44), and Fader and Hardie (2013), "The Gamma-Gamma
  model of monetary value" (the note with its likelihood).
* Gupta and Lehmann (2003), "Customers as assets", Journal of Interactive Marketing 17(1),
  9-24 (the margin multiple r / (1 + d - r)).

The likelihoods are written in logs (``gammaln``, ``betaln``, ``logaddexp``) and maximised over
the logarithms of the parameters, so every parameter stays positive and large counts do not
overflow. Everything is vectorised over customers. The API shape follows the lifetimes library
(``BetaGeoFitter``, ``GammaGammaFitter``), which the tests compare against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from addin.errors import InputError

ArrayLike = pd.Series | np.ndarray | list | float | int

DAYS_PER_MONTH = 365.25 / 12  # 30.4375: a calendar month on average (lifetimes uses 30)


def _arrays(*values: ArrayLike) -> tuple[np.ndarray, ...]:
    arrays = [np.asarray(v, dtype=float) for v in values]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    return tuple(np.broadcast_to(a, shape) for a in arrays)


def _like(template: ArrayLike, values: np.ndarray) -> pd.Series | np.ndarray | float:
    """Answer in the caller's shape: a Series keeps its index, a scalar stays a scalar."""
    if isinstance(template, pd.Series):
        return pd.Series(values, index=template.index)
    if np.ndim(values) == 0:
        return float(values)
    return values


def _check_rft(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> None:
    if not (np.isfinite(frequency).all() and np.isfinite(recency).all()
            and np.isfinite(T).all()):
        raise InputError("frequency, recency and T must be numbers (no blanks)")
    if (frequency < 0).any() or (frequency != np.round(frequency)).any():
        raise InputError("frequency must be a whole number of repeat purchases >= 0")
    if (recency < 0).any() or (recency > T).any():
        raise InputError("recency must lie between 0 and T (the age at the last purchase "
                         "cannot exceed the age at the end of the observation)")
    if ((frequency == 0) & (recency != 0)).any():
        raise InputError("recency must be 0 for customers with no repeat purchase")


# --------------------------------------------------------------------------------------------
# BG/NBD


def _bgnbd_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                          weights: np.ndarray) -> float:
    """Sum of ln L(r, alpha, a, b | x, t_x, T) over customers (FHL 2005, equation 6)."""
    r, alpha, a, b = params
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    beta_ab = special.betaln(a, b)
    term1 = special.betaln(a, b + x) - beta_ab + common - (r + x) * np.log(alpha + T)
    repeat = x > 0
    # for x = 0 the second term is absent; evaluate it at a harmless x there
    x1 = np.where(repeat, x, 1.0)
    term2 = (special.betaln(a + 1, b + x1 - 1) - beta_ab + common
             - (r + x) * np.log(alpha + t_x))
    ll = np.where(repeat, np.logaddexp(term1, term2), term1)
    return float(np.dot(weights, ll))


_LOG_BOUND = 25.0  # parameters within e^-25 .. e^25; an optimum on this edge is a limit case


def _minimise(objective, start: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """L-BFGS-B, then Nelder-Mead from its answer (both within the log bounds); the better
    one, and whether it is a proper optimum: reported as converged and not on a bound (data
    that do not identify the model, such as customers who never drop out, send a parameter
    to infinity)."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    first = optimize.minimize(objective, start, method="L-BFGS-B", bounds=bounds)
    second = optimize.minimize(objective, first.x, method="Nelder-Mead", bounds=bounds,
                               options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    best = second if second.fun <= first.fun else first
    inside = bool((np.abs(best.x) < _LOG_BOUND - 0.5).all())
    return best.x, float(best.fun), bool(first.success or second.success) and inside


def _compress(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of the model inputs and how often each occurs: the likelihood is a
    weighted sum over them (CDNOW's 2,357 customers have 1,452 distinct rows; daily data
    of many customers far fewer than rows)."""
    stacked = np.column_stack(columns)
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return rows, counts.astype(float)


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD model (Fader, Hardie and Lee 2005).

    ``r`` and ``alpha`` are the shape and scale of the gamma heterogeneity in the purchase
    rate (per period); ``a`` and ``b`` those of the beta heterogeneity in the probability of
    dropping out after a purchase. ``log_likelihood`` is the sum of ln L over the customers
    fitted; ``n_customers`` their number; ``converged`` whether the optimiser reported success.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int = 0
    converged: bool = True

    def prob_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike):
        """P(alive | x, t_x, T) (FHL 2005, equation 11)::

            P = 1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))

        A customer with no repeat purchase is alive with probability 1 in this model (the
        BG/NBD lets customers drop out only right after a purchase). Computed as the logistic
        function of the log-odds, so it never overflows.
        """
        x, t_x, T_ = _arrays(frequency, recency, T)
        repeat = x > 0
        xb = np.where(repeat, x, 1.0)
        log_odds = (np.log(self.a) - np.log(self.b + xb - 1)
                    + (self.r + x) * (np.log(self.alpha + T_) - np.log(self.alpha + t_x)))
        p = np.where(repeat, special.expit(-log_odds), 1.0)
        return _like(frequency, p)

    def expected_purchases(self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike,
                           T: ArrayLike):
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` periods (FHL 2005,
        equation 10)::

            E = (a + b + x - 1) / (a - 1)
                * [1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                       * 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]
                / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))

        ``t = 0`` gives 0. Vectorised over customers (and over ``t``).
        """
        t_, x, t_x, T_ = _arrays(t, frequency, recency, T)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t_ / (alpha + T_ + t_)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        head = 1.0 - np.exp((r + x) * (np.log(alpha + T_) - np.log(alpha + T_ + t_))) * hyp
        p_alive = np.asarray(self.prob_alive(x, t_x, T_), dtype=float)
        value = (a + b + x - 1) / (a - 1) * head * p_alive
        template = next((v for v in (frequency, t) if isinstance(v, pd.Series)), frequency)
        return _like(template, value)


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood (Fader, Hardie and Lee 2005).

    Inputs per customer, in one time unit (days, weeks, ...): ``frequency`` x = repeat
    purchase periods, ``recency`` t_x = age at the last purchase, ``T`` = age at the end of
    the observation. The log-likelihood (equation 6 of the paper)::

        L = B(a, b + x) / B(a, b) * G(r + x) alpha^r / (G(r) (alpha + T)^(r + x))
            + [x > 0] * B(a + 1, b + x - 1) / B(a, b) * G(r + x) alpha^r
                      / (G(r) (alpha + t_x)^(r + x))

    is summed in logs over distinct (x, t_x, T) rows weighted by their counts and maximised
    with scipy (L-BFGS-B over ln r, ln alpha, ln a, ln b; then Nelder-Mead from there as a
    check). ``converged`` is False when the optimiser fails or a parameter runs to the edge
    (e^+-25), as with data that do not identify the model. On the paper's CDNOW sample
    (2,357 customers, weeks) it gives r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
    LL = -9582.4.

    Raises ``InputError`` for empty input, blanks, a negative or fractional frequency, or a
    recency outside 0..T.
    """
    x, t_x, T_ = (np.ravel(a) for a in _arrays(frequency, recency, T))
    if x.size == 0:
        raise InputError("no customers to fit")
    _check_rft(x, t_x, T_)
    if not (x > 0).any():
        raise InputError("no customer has a repeat purchase: the BG/NBD cannot be fitted")
    rows, weights = _compress(x, t_x, T_)
    xs, txs, Ts = rows.T
    scale = max(float(np.mean(T_)), 1e-9)

    def objective(log_params: np.ndarray) -> float:
        params = np.exp(log_params)
        value = -_bgnbd_log_likelihood(params, xs, txs, Ts, weights)
        return value if np.isfinite(value) else 1e300

    log_params, fun, converged = _minimise(objective, np.log([1.0, scale, 1.0, 1.0]))
    r, alpha, a, b = np.exp(log_params)
    return BGNBDFit(float(r), float(alpha), float(a), float(b), -fun, int(x.size), converged)


# --------------------------------------------------------------------------------------------
# Gamma-Gamma


def _gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray,
                                weights: np.ndarray) -> float:
    """Sum of ln f(m | p, q, v, x) over customers (Fader and Hardie 2013, equation 3)."""
    p, q, v = params
    px = p * x
    ll = (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
          + q * np.log(v) + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(v + x * m))
    return float(np.dot(weights, ll))


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV").

    Each transaction's value is gamma(p, nu) for a customer; nu is gamma(q, v) across
    customers. ``log_likelihood`` is summed over the customers fitted (those with a repeat
    purchase and a positive mean spend)."""

    p: float
    q: float
    v: float
    log_likelihood: float
    n_customers: int = 0
    converged: bool = True

    def expected_average_value(self, frequency: ArrayLike, monetary_value: ArrayLike):
        """E[M | p, q, v, x, m]: a customer's expected value per transaction::

            E = p (v + x m) / (p x + q - 1)

        a weighted mean of the population mean p v / (q - 1) and the customer's own mean m,
        the weight on m growing with x. A customer with x = 0 gets the population mean.
        Needs q > 1 (otherwise the population mean is infinite and this raises InputError).
        """
        if self.q <= 1:
            raise InputError(f"q = {self.q:.4g} <= 1: the mean spend is not finite")
        x, m = _arrays(frequency, monetary_value)
        m = np.where(x > 0, m, 0.0)
        value = self.p * (self.v + x * m) / (self.p * x + self.q - 1)
        return _like(frequency, value)


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaFit:
    """Fit the Gamma-Gamma model of average spend by maximum likelihood.

    Uses the customers with ``frequency`` x > 0 and ``monetary_value`` m > 0 (the mean of
    their x repeat purchases); the others carry no information on spend. The density of m::

        f(m | p, q, v, x) = G(p x + q) / (G(p x) G(q)) * v^q m^(p x - 1) x^(p x)
                            / (v + x m)^(p x + q)

    summed in logs and maximised over ln p, ln q, ln v with scipy (L-BFGS-B, then Nelder-Mead).
    On CDNOW (the 946 repeat customers of the 2,357) it gives p = 6.25, q = 3.74, v = 15.44
    (Fader, Hardie and Lee 2005, "RFM and CLV").

    Raises ``InputError`` when no customer qualifies, or for blanks or negative frequencies.
    The model assumes spend is independent of frequency; check the correlation before use.
    """
    x, m = (np.ravel(a) for a in _arrays(frequency, monetary_value))
    if not (np.isfinite(x).all() and np.isfinite(m).all()):
        raise InputError("frequency and monetary_value must be numbers (no blanks)")
    if (x < 0).any():
        raise InputError("frequency must be >= 0")
    use = (x > 0) & (m > 0)
    if not use.any():
        raise InputError("no customer has a repeat purchase with a positive value: "
                         "the Gamma-Gamma model cannot be fitted")
    rows, weights = _compress(x[use], m[use])
    xs, ms = rows.T

    def objective(log_params: np.ndarray) -> float:
        value = -_gamma_gamma_log_likelihood(np.exp(log_params), xs, ms, weights)
        return value if np.isfinite(value) else 1e300

    start = np.log([1.0, 1.0, max(float(np.mean(m[use])), 1e-9)])
    log_params, fun, converged = _minimise(objective, start)
    p, q, v = np.exp(log_params)
    return GammaGammaFit(float(p), float(q), float(v), -fun, int(use.sum()), converged)


# --------------------------------------------------------------------------------------------
# Lifetime value


def customer_lifetime_value(
    bgnbd: BGNBDFit,
    gamma_gamma: GammaGammaFit,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    periods_per_month: float = DAYS_PER_MONTH,
    margin: ArrayLike = 1.0,
):
    """Discounted expected value of a customer's purchases over the next ``months``.

    The BG/NBD gives the expected purchases in each coming month, the Gamma-Gamma the
    expected value of each purchase (Fader, Hardie and Lee 2005, "RFM and CLV")::

        CLV = sum_{i=1..months} margin * E[M] * (E[Y(i k)] - E[Y((i - 1) k)]) / (1 + d)^i

    with k = ``periods_per_month`` (30.4375 days, the mean calendar month, when the summary is
    in days; 365.25 / 12 / 7 for weeks; 1 for months) and d the monthly discount rate; each
    month's value is discounted from its end. ``margin`` (a share, per customer or one for
    all) turns spend into gross margin; 1 gives revenue. lifetimes' ``customer_lifetime_value``
    is the same sum with k = 30 days.
    """
    if months < 0 or int(months) != months:
        raise InputError("months must be a whole number >= 0")
    if monthly_discount_rate <= -1:
        raise InputError("the monthly discount rate must be > -1")
    if periods_per_month <= 0:
        raise InputError("periods_per_month must be > 0")
    x, t_x, T_, m, share = _arrays(frequency, recency, T, monetary_value, margin)
    value_per_purchase = np.asarray(gamma_gamma.expected_average_value(x, m), dtype=float)
    total = np.zeros(x.shape)
    previous = np.zeros(x.shape)
    for i in range(1, int(months) + 1):  # a loop over months, each step vectorised
        current = np.asarray(bgnbd.expected_purchases(i * periods_per_month, x, t_x, T_),
                             dtype=float)
        total += (current - previous) / (1 + monthly_discount_rate) ** i
        previous = current
    return _like(frequency, share * value_per_purchase * total)


def simple_clv(margin: ArrayLike, retention_rate: ArrayLike, discount_rate: ArrayLike):
    """Lifetime value from a margin and a retention rate, for when there is too little
    history to fit a model (Gupta and Lehmann 2003, "Customers as assets")::

        CLV = m * r / (1 + d - r)

    the value of a margin ``m`` per period received at the end of each period while the
    customer stays (with probability ``r`` a period), discounted at ``d`` a period, over an
    infinite horizon. The periods must agree: an annual margin with an annual retention and
    discount rate. Example: m = 100, r = 0.8, d = 0.1 gives 100 * 0.8 / 0.3 = 266.67.
    Raises ``InputError`` unless 0 <= r <= 1 and d > -1 + r (so the sum converges).
    """
    m, r, d = _arrays(margin, retention_rate, discount_rate)
    if ((r < 0) | (r > 1) | ~np.isfinite(r)).any():
        raise InputError("the retention rate must be a share between 0 and 1")
    if (~np.isfinite(d) | (1 + d - r <= 0)).any():
        raise InputError("the discount rate must exceed retention - 1 (so that 1 + d - r > 0)")
    return _like(margin, m * r / (1 + d - r))
