"""The demo's CRM balanced scorecard: about 20 KPIs over the four perspectives with 12 monthly
actuals, several of them computed from the demo's own transactions, contacts and surveys."""

from __future__ import annotations

import numpy as np

from addin.demo.calendar import (
    _month_index,
)
from addin.demo.vocabulary import (
    _COPY_ROW,
    MISSING_KPI,
)


def _monthly(values_by_month: np.ndarray) -> tuple[float, list[float]]:
    """(baseline = mean of May-Oct 2025, the 12 months Nov 2025 - Oct 2026)."""
    return float(np.mean(values_by_month[:6])), [float(v) for v in values_by_month[6:18]]


def _scorecard(rng: np.random.Generator, cust: dict, tx: dict, contacts: dict, comp: dict,
               survey: dict, key: np.ndarray) -> list[list]:
    month_tx = _month_index(tx["day"])
    is_key = np.zeros(cust["n"], dtype=bool)
    is_key[key] = True

    def per_month(weights, months):
        return np.bincount(months, weights=weights, minlength=18)[:18]

    key_rev = per_month(tx["amount"] * is_key[tx["cust"]], month_tx) / 1e6
    margin_pct = 100 * per_month(tx["margin"], month_tx) / per_month(tx["amount"], month_tx)
    since_m = np.array([(d.year - 2025) * 12 + d.month - 5 for d in cust["since"]])
    first = np.ones(cust["n"], dtype=bool)
    first[_COPY_ROW] = False
    new_cust = np.bincount(since_m[(since_m >= 0) & first], minlength=18)[:18].astype(float)

    # complaints per 100 customers who bought that month
    active = np.zeros(18)
    for mth in range(18):
        active[mth] = len(np.unique(tx["cust"][month_tx == mth]))
    comp_m = np.bincount(_month_index(comp["opened"]), minlength=18)[:18]
    comp_rate = 100 * comp_m / active
    closed_m = np.full(len(comp["closed"]), -1)
    done = ~comp["is_open"]
    closed_m[done] = _month_index(comp["closed"][done])
    dur = (comp["closed"] - comp["opened"]).astype(float)
    res_time = np.array([dur[closed_m == mth].mean() if np.any(closed_m == mth) else np.nan
                         for mth in range(18)])

    # CSAT and NPS from the valid survey answers
    def valid(col, lo, hi):
        v = np.array([x if isinstance(x, int) and lo <= x <= hi else -1
                      for x in survey["cols"][col]])
        return v
    ov, nps = valid("overall", 1, 5), valid("nps", 0, 10)
    s_month = _month_index(survey["day"])
    csat = np.array([ov[(s_month == mth) & (ov >= 0)].mean() for mth in range(18)])
    nps_m = np.array([
        100 * (np.mean(nps[(s_month == mth) & (nps >= 0)] >= 9)
               - np.mean(nps[(s_month == mth) & (nps >= 0)] <= 6)) for mth in range(18)])

    # contacts with key accounts per key account per month; share of key accounts with 2+
    # different staff in the trailing 6 months
    c_month = _month_index(contacts["day"])
    key_contacts = np.bincount(c_month[is_key[contacts["cust"]]], minlength=18)[:18] / len(key)
    staff_codes: dict[str, int] = {}
    staff_id = np.array([staff_codes.setdefault(s, len(staff_codes)) for s in contacts["staff"]])
    spread = np.zeros(18)
    for mth in range(18):
        sel = is_key[contacts["cust"]] & (c_month <= mth) & (c_month > mth - 6)
        pairs = np.unique(np.stack([contacts["cust"][sel], staff_id[sel]]), axis=1)
        per_cust = np.bincount(pairs[0], minlength=cust["n"])[key]
        spread[mth] = 100 * np.mean(per_cust >= 2)

    def synthetic(first_v, last_v, noise, decimals=1):
        t = np.linspace(0, 1, 18)
        v = first_v + (last_v - first_v) * t + rng.normal(0, noise, 18)
        return np.round(v, decimals)

    rows = []

    def kpi(perspective, objective, name, weight, target, series, unit, polarity, red, amber,
            owner, decimals=1, baseline=None):
        base, months = _monthly(np.asarray(series, dtype=float))
        base = base if baseline is None else float(baseline)
        if any(np.isnan(v) for v in (base, *months)):
            raise AssertionError(f"demo scorecard: {name} has an empty month")
        months = [round(v, decimals) if decimals else int(round(v)) for v in months]
        rows.append([perspective, objective, name, weight, target, months[-1], unit,
                     round(base, decimals), polarity, red, amber, owner, *months])

    f1, f2 = "Grow key-account revenue", "Improve customer profitability"
    kr_base = float(np.mean(key_rev[:6]))
    kpi("financial", f1, "Revenue from key accounts", 0.6, round(kr_base * 1.15, 1), key_rev,
        "M CNY", "higher", round(kr_base * 0.9, 1), round(kr_base * 1.05, 1),
        "Head of Key Accounts")
    kpi("financial", f1, MISSING_KPI, 0.4, 35.0, synthetic(30.8, 33.9, 0.5), "%", "higher",
        28.0, 32.0, "Head of Key Accounts")
    kpi("financial", f2, "Customer profitability (gross margin)", 0.5,
        round(float(np.mean(margin_pct[:6])) + 1.5, 1), margin_pct, "%", "higher", None, None,
        "Finance Controller")
    kpi("financial", f2, "Cost to serve", 0.5, 9.0, synthetic(9.6, 10.7, 0.2),
        "% of revenue", "lower", 11.0, 10.0, "Finance Controller")
    c1, c2 = "Delight customers", "Retain and grow the customer base"
    kpi("customer", c1, "CSAT", 0.4, 4.2, csat, "score (1-5)", "higher", 3.5, 4.0,
        "Head of Customer Experience", decimals=2)
    kpi("customer", c1, "Net promoter score", 0.3, 30.0, nps_m, "points", "higher", None, None,
        "Head of Customer Experience")
    kpi("customer", c1, "Complaint rate", 0.3, round(float(np.mean(comp_rate[:6])) * 0.8, 2),
        comp_rate, "per 100 active customers", "lower", None, None,
        "Customer Service Manager", decimals=2)
    kpi("customer", c2, "Retention rate", 0.4, 92.0, synthetic(90.6, 88.7, 0.4), "%",
        "higher", 85.0, 90.0, "Sales Director")
    kpi("customer", c2, "New customers acquired", 0.3,
        float(round(float(np.mean(new_cust[:6])) * 1.2)), new_cust, "customers", "higher",
        None, None, "Sales Director", decimals=0)
    kpi("customer", c2, "Cross-sell rate", 0.3, 25.0, synthetic(17.8, 22.6, 0.6), "%",
        "higher", None, None, "Sales Director")
    p1, p2 = "Respond fast", "Manage accounts well"
    kpi("internal process", p1, "Complaint resolution time", 0.4, 7.0, res_time, "days",
        "lower", 14.0, 10.0, "Customer Service Manager")
    kpi("internal process", p1, "First response time", 0.3, 4.0, synthetic(7.6, 5.1, 0.3),
        "hours", "lower", 12.0, 8.0, "Customer Service Manager")
    kpi("internal process", p1, "On-time delivery", 0.3, 97.0, synthetic(94.1, 95.6, 0.4), "%",
        "higher", 90.0, 95.0, "Logistics Manager")
    kpi("internal process", p2, "Duplicate record rate", 0.3, 0.1,
        synthetic(0.62, 0.2, 0.03, decimals=2), "%", "lower", 1.0, 0.5, "CRM Manager",
        decimals=2)
    kpi("internal process", p2, "Data completeness", 0.3, 98.0, synthetic(91.2, 95.3, 0.4),
        "%", "higher", None, None, "CRM Manager")
    kpi("internal process", p2, "Key-account contacts per month", 0.4, 3.0, key_contacts,
        "contacts per account", "target", None, None, "Head of Key Accounts", decimals=2)
    l1, l2 = "Build CRM capability", "Keep and spread know-how"
    kpi("learning and growth", l1, "CRM adoption", 0.6, 85.0, synthetic(61.5, 81.0, 1.2),
        "% of staff weekly active", "higher", 60.0, 75.0, "CRM Manager")
    kpi("learning and growth", l1, "Training hours", 0.4, 4.0, synthetic(3.1, 2.2, 0.15),
        "hours per staff", "higher", None, None, "HR Manager")
    kpi("learning and growth", l2, "Staff retention", 0.5, 96.0, synthetic(95.4, 92.8, 0.4),
        "%", "higher", 88.0, 93.0, "HR Manager")
    kpi("learning and growth", l2, "Knowledge spread", 0.5, 80.0, spread,
        "% of key accounts with 2+ staff contacts", "higher", 50.0, 70.0,
        "Head of Key Accounts", baseline=spread[5])  # Oct 2025: the first full 6 months

    for row in rows:
        if row[2] == MISSING_KPI:
            row[5] = None
            row[-1] = None
    return rows
