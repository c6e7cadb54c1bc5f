"""The demo's activity: transactions (with returns and zero lines), the key accounts they make,
contacts and complaints, driven by each customer's value, segment, cadence and life cycle."""

from __future__ import annotations

import numpy as np

from addin.demo.calendar import (
    _N_DAYS,
    _day_weights,
    _pick,
)
from addin.demo.vocabulary import (
    _COPY_OF,
    _COPY_ROW,
    _PLANTED,
    ACCOUNT_MANAGERS,
    COMPLAINT_CATEGORIES,
    CONTACT_OUTCOMES,
    CONTACT_SUBJECTS,
    PAYMENT_METHODS,
    PRODUCTS,
    REGIONS,
    SEVERITIES,
    SPECIALISTS,
    TX_CHANNELS,
)


def _transactions(rng: np.random.Generator, cust: dict) -> dict:
    n = cust["n"]
    w = _day_weights()
    cum = np.concatenate([[0.0], np.cumsum(w)])

    # active window per customer row (day indices, inclusive)
    start = np.maximum(cust["since_day"], 0)
    end = np.full(n, _N_DAYS - 1)
    u = rng.random(n)
    old = ~cust["is_new"]
    dormant = old & (u < 0.04)
    churn = (old & (u >= 0.04) & (u < 0.15)) | (cust["is_new"] & (u < 0.05))
    churn_day = np.minimum(start + rng.integers(60, 500, n), _N_DAYS - 30)
    protected = np.array(sorted(set(_PLANTED) | {_COPY_OF}))
    dormant[protected] = False
    churn[protected] = False
    end = np.where(churn, np.maximum(churn_day, start + 20), end)
    end = np.minimum(end, _N_DAYS - 1)

    # lines per unit of day weight and mean amount per line: revenue ~ value
    rate = cust["value"] ** 0.45
    rate[dormant] = 0.0
    rate[_COPY_ROW] = 0.0  # the copy-pasted row shares its original's id and orders
    exposure = cum[end + 1] - cum[start]
    rate *= 60_500 / np.sum(rate * exposure)
    counts = rng.poisson(rate * exposure)
    cust_of_line = np.repeat(np.arange(n), counts)
    lo, hi = cum[start][cust_of_line], cum[end + 1][cust_of_line]
    day = np.searchsorted(cum, rng.uniform(lo, hi), side="right") - 1
    day = np.clip(day, start[cust_of_line], end[cust_of_line])

    # churners fade out over their last 120 days
    fade = np.clip((end[cust_of_line] - day) / 120.0, 0.25, 1.0)
    keep = ~churn[cust_of_line] | (rng.random(len(day)) < fade)
    cust_of_line, day = cust_of_line[keep], day[keep]
    m = len(day)

    seg = cust["segment"][cust_of_line]
    p_share = np.array([p[1] for p in PRODUCTS], dtype=float)
    product = rng.choice(len(PRODUCTS), size=m, p=p_share / p_share.sum())
    price = np.array([p[2] for p in PRODUCTS])[product]
    mean_amount = 9_000 * cust["value"][cust_of_line] ** 0.55 * price
    amount = np.round(mean_amount * rng.lognormal(-0.245, 0.7, m), 2)
    amount = np.maximum(amount, 80.0)
    rate_m = np.array([p[3] for p in PRODUCTS])[product] + rng.normal(0, 0.045, m)
    rate_m += np.array([-0.03, 0.0, 0.025])[seg]
    rate_m = np.clip(rate_m, 0.10, 0.45)

    # each customer has a usual channel and payment method
    ch_p = {0: (65, 15, 10, 10), 1: (40, 25, 20, 15), 2: (15, 30, 35, 20)}
    pay_p = {0: (25, 25, 5, 45), 1: (35, 10, 15, 40), 2: (40, 2, 38, 20)}
    usual_ch = np.zeros(n, dtype=int)
    usual_pay = np.zeros(n, dtype=int)
    for s in range(3):
        sel = cust["segment"] == s
        usual_ch[sel] = _pick(rng, TX_CHANNELS, ch_p[s], int(sel.sum()))
        usual_pay[sel] = _pick(rng, PAYMENT_METHODS, pay_p[s], int(sel.sum()))
    channel = np.where(rng.random(m) < 0.8, usual_ch[cust_of_line], rng.integers(0, 4, m))
    payment = np.where(rng.random(m) < 0.85, usual_pay[cust_of_line], rng.integers(0, 4, m))

    # returns: ~1.5 % of the lines come back, on the same day or up to 45 days later
    # (a return that would fall after the as-of date has not happened yet)
    ret = np.flatnonzero(rng.random(m) < 0.0155)
    later = rng.integers(1, 46, len(ret))
    r_day = day[ret] + np.where(rng.random(len(ret)) < 0.3, 0, later)
    frac = np.where(rng.random(len(ret)) < 0.4, 1.0, rng.uniform(0.1, 0.9, len(ret)))
    happened = r_day < _N_DAYS
    ret, r_day, frac = ret[happened], r_day[happened], frac[happened]
    r_amount = -np.round(amount[ret] * frac, 2)

    # a handful of zero-value lines (free samples, replacement parts)
    zero = np.sort(rng.choice(m, size=12, replace=False))
    z_day = day[zero]

    all_cust = np.concatenate([cust_of_line, cust_of_line[ret], cust_of_line[zero]])
    all_day = np.concatenate([day, r_day, z_day])
    all_amount = np.concatenate([amount, r_amount, np.zeros(len(zero))])
    all_rate = np.concatenate([rate_m, rate_m[ret], np.zeros(len(zero))])
    all_margin = np.round(all_amount * all_rate, 2)
    all_product = np.concatenate([product, product[ret], product[zero]])
    all_channel = np.concatenate([channel, channel[ret], channel[zero]])
    all_payment = np.concatenate([payment, payment[ret], payment[zero]])
    seq = np.arange(len(all_day))
    order = np.lexsort((seq, all_cust, all_day))
    return dict(
        cust=all_cust[order], day=all_day[order], amount=all_amount[order],
        margin=all_margin[order], product=all_product[order], channel=all_channel[order],
        payment=all_payment[order], start=start, end=end, churn=churn, dormant=dormant,
    )


def _key_accounts(cust: dict, tx: dict) -> np.ndarray:
    """Customer rows of the top 5 % by revenue in the window (the VIP and Key tiers)."""
    revenue = np.bincount(tx["cust"], weights=tx["amount"], minlength=cust["n"])
    k = int(round(0.05 * cust["n"]))
    return np.sort(np.argsort(-revenue, kind="stable")[:k])


def _contacts(rng: np.random.Generator, cust: dict, tx: dict, key: np.ndarray) -> dict:
    n = cust["n"]
    start = tx["start"]
    end = np.where(tx["churn"], np.minimum(tx["end"] + 90, _N_DAYS - 1), _N_DAYS - 1)
    rate = 0.35 * cust["value"] ** 0.35 * np.array([1.6, 1.0, 0.7])[cust["segment"]]
    is_key = np.zeros(n, dtype=bool)
    is_key[key] = True
    rate[is_key] = rng.uniform(2.2, 3.8, int(is_key.sum()))  # ~3 contacts a month
    rate[tx["dormant"]] *= 0.3
    rate[_COPY_ROW] = 0.0
    months = (end - start + 1) / 30.44
    rate *= np.where(is_key, 1.0, 9_200 / np.sum((rate * months)[~is_key]))
    counts = rng.poisson(rate * months)
    c = np.repeat(np.arange(n), counts)
    day = start[c] + (rng.random(len(c)) * (end[c] - start[c] + 1)).astype(int)
    m = len(c)

    # staff: mostly the account manager; a third of the key accounts only ever see theirs
    single = is_key & (rng.random(n) < 0.35)
    other = (rng.random(m) < 0.2) & ~single[c]
    use_specialist = rng.random(m) < 0.5
    spec_pick = rng.integers(0, len(SPECIALISTS), m)
    team_pick = rng.integers(0, 1000, m)
    staff = []
    for k in range(m):
        i = c[k]
        if not other[k]:
            staff.append(cust["am"][i])
        elif use_specialist[k]:
            staff.append(SPECIALISTS[spec_pick[k]])
        else:
            team = [s for s in ACCOUNT_MANAGERS[REGIONS[cust["region"][i]]] if s != cust["am"][i]]
            staff.append(team[team_pick[k] % len(team)])

    seg = cust["segment"][c]
    ch_p = np.array([(25, 20, 20, 15, 20), (15, 25, 25, 25, 10), (5, 35, 30, 25, 5)], float)
    ch_p /= ch_p.sum(axis=1, keepdims=True)
    u = rng.random(m)
    channel = (u[:, None] > np.cumsum(ch_p[seg], axis=1)).sum(axis=1)
    subject = _pick(rng, CONTACT_SUBJECTS, (12, 10, 18, 12, 9, 9, 6, 6, 6, 12), m)
    outcome = _pick(rng, CONTACT_OUTCOMES, (14, 16, 24, 14, 20, 9, 3), m)
    order = np.lexsort((np.arange(m), c, day))
    return dict(cust=c[order], day=day[order], channel=channel[order],
                staff=[staff[k] for k in order], subject=subject[order], outcome=outcome[order],
                single=single)


def _complaints(rng: np.random.Generator, cust: dict, tx: dict) -> dict:
    sale = np.flatnonzero(tx["amount"] > 0)
    # complaints follow orders, slightly more often as the window goes on
    p = 650 / len(sale) * (0.85 + 0.3 * tx["day"][sale] / _N_DAYS)
    picked = sale[rng.random(len(sale)) < p]
    opened = tx["day"][picked] + rng.integers(1, 22, len(picked))
    picked, opened = picked[opened < _N_DAYS], opened[opened < _N_DAYS]
    c = tx["cust"][picked]
    m = len(c)
    category = _pick(rng, COMPLAINT_CATEGORIES, (30, 25, 15, 18, 12), m)
    severity = _pick(rng, SEVERITIES, (35, 40, 20, 5), m)
    # resolution gets faster over the window: median ~11 days at the start, ~6 at the end
    median = 11.0 - 5.0 * opened / _N_DAYS
    duration = np.maximum(1, np.round(median * np.array([0.8, 1.0, 1.3, 1.1])[severity]
                                      * rng.lognormal(0, 0.55, m))).astype(int)
    closed = opened + duration
    stuck = rng.random(m) < 0.085
    is_open = (closed > _N_DAYS - 1) | stuck
    recent = closed >= _N_DAYS - 31
    status = np.where(is_open, 0, np.where(recent & (rng.random(m) < 0.7), 1,
                                           np.where(rng.random(m) < 0.9, 2, 1)))
    order = np.lexsort((np.arange(m), c, opened))
    return dict(cust=c[order], opened=opened[order], closed=closed[order],
                is_open=is_open[order], category=category[order], severity=severity[order],
                status=status[order])
