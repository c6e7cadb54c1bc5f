"""Customers drawn from a known BG/NBD and Gamma-Gamma model: the test and benchmark data of
the lifetime-value fits, since a fit is checked by recovering the parameters it was drawn from.

Pure and seeded (``numpy.random.default_rng``); no files. lifetimes' own data generators fail on
pandas 3, and a per-customer loop is too slow for a million customers, so the draw is vectorised
with the model's own structure (Fader, Hardie and Lee 2005, section 2):

* purchase rate lambda ~ gamma(r, scale 1 / alpha), drop-out probability p ~ beta(a, b);
* a customer first buys at a time 0 uniformly spread over the ``horizon`` (so ``T``, the age at
  the end, is uniform over 1..horizon days); while alive, repeat purchases come as a Poisson
  process of rate lambda; after each repeat purchase the customer drops out with probability p.
  So the repeat purchases a customer would ever make are geometric, J ~ Geometric(p), the
  arrivals in (0, T] are C ~ Poisson(lambda T), and x = min(C, J);
* given C arrivals in (0, T], their times are C uniform order statistics, so the x-th, t_x, is
  T * Beta(x, C - x + 1); t_x is then rounded down to whole days, as a daily log records it;
* spend per purchase is gamma(p_gg, rate nu) with nu ~ gamma(q, rate v) across customers;
  ``monetary_value`` is the mean of the x repeat purchases, gamma(p_gg x, rate nu x).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_customers(n: int, *, r: float = 0.25, alpha: float = 20.0, a: float = 0.8,
                       b: float = 2.5, p: float = 6.0, q: float = 4.0, v: float = 15.0,
                       horizon: int = 3 * 365, seed: int = 7) -> pd.DataFrame:
    """``n`` customers' BG/NBD summary in days (``frequency``, ``recency``, ``T``) and mean
    repeat spend (``monetary_value``, 0 without a repeat purchase), drawn with ``seed`` from
    BG/NBD(r, alpha, a, b) and Gamma-Gamma(p, q, v) as the module docstring describes."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    T = rng.integers(1, horizon + 1, n).astype(float)
    arrivals = rng.poisson(rate * T)
    ever = rng.geometric(np.clip(drop, 1e-12, 1.0))
    x = np.minimum(arrivals, ever)
    repeat = x > 0
    recency = np.zeros(n)
    k, c = x[repeat], arrivals[repeat]
    recency[repeat] = np.floor(T[repeat] * rng.beta(k, c - k + 1))
    nu = rng.gamma(q, 1.0 / v, n)
    spend = np.zeros(n)
    spend[repeat] = rng.gamma(p * k, 1.0 / (nu[repeat] * k))
    return pd.DataFrame({"frequency": x.astype(float), "recency": recency, "T": T,
                         "monetary_value": spend},
                        index=pd.RangeIndex(n, name="customer"))
