"""Whom to win back: lost and at-risk key accounts ranked by the value at stake.

The **value at stake** of an account is the larger of its CLV (the expected discounted value
of its next months, as tiering computed it, before the loss) and its net revenue of the 365
days up to its last purchase (a year of the business that went quiet; for a lost account the
CLV today is near zero, so the year's revenue is what was lost). Accounts rank by it, largest
first (ties by customer id). The **triggering facts** say in words why the account is on the
list: days since the last order against its usual gap, P(alive), complaints, a low survey
answer. Key accounts are those of the ``key_account_tiers`` (Kotler's key-account management:
the few customers whose loss costs the most deserve a personal win-back call).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINBACK_COLUMNS = ("customer_id", "name", "account_manager", "pyramid_tier", "status",
                   "value_at_stake", "last_purchase", "recency_days", "usual_gap_days",
                   "prob_alive", "triggering_facts", "next_action")


def _facts(row: pd.Series) -> str:
    facts = [f"no order for {int(row['recency_days'])} days "
             f"({row['overdue_gaps']:.1f} x its usual gap of {row['usual_gap_days']:.0f} days)"]
    if pd.notna(row.get("prob_alive")):
        facts.append(f"P(alive) {row['prob_alive']:.0%}")
    if row.get("complaints", 0) and row["complaints"] > 0:
        facts.append(f"{int(row['complaints'])} complaint(s) in the year before")
    if row.get("open_complaint_30d", 0) and row["open_complaint_30d"] > 0:
        facts.append("a complaint open over 30 days")
    if pd.notna(row.get("satisfaction")):
        facts.append(f"satisfaction {row['satisfaction']:.1f}")
    if row.get("nps_detractor", 0) and row["nps_detractor"] > 0:
        facts.append("NPS detractor")
    if row.get("single_contact", 0) and row["single_contact"] > 0:
        facts.append("one contact person only")
    if pd.notna(row.get("order_size_trend")) and row["order_size_trend"] < -0.2:
        facts.append(f"order size down {-row['order_size_trend']:.0%}")
    return "; ".join(facts)


def winback_list(accounts: pd.DataFrame, tiers: pd.DataFrame,
                 factors: pd.DataFrame | None = None,
                 key_tiers: tuple[str, ...] = ("VIP", "Key")) -> pd.DataFrame:
    """The win-back list (columns :data:`WINBACK_COLUMNS`): the accounts of
    :func:`addin.churn.loss.lost_accounts` that are lost or at risk and in ``key_tiers``
    (``tiers``: :func:`addin.tiering.tier_customers`' table, for tier, name, manager and CLV),
    ranked by value at stake. ``status`` is "lost" or "at risk"; ``next_action`` the win-back
    step for the account review."""
    t = tiers.reindex(accounts.index)
    key = t["pyramid_tier"].isin(key_tiers) if "pyramid_tier" in t.columns else pd.Series(
        False, index=accounts.index)
    pick = (accounts["lost"] | accounts["at_risk"]) & key
    a = accounts[pick].copy()
    if a.empty:
        return pd.DataFrame(columns=list(WINBACK_COLUMNS))
    clv = (t.loc[a.index, "clv"].astype(float) if "clv" in t.columns
           else pd.Series(np.nan, index=a.index))
    a["value_at_stake"] = np.fmax(clv.fillna(0.0).to_numpy(), a["revenue_12m"].to_numpy())
    for c in ("name", "account_manager", "pyramid_tier"):
        a[c] = t.loc[a.index, c] if c in t.columns else None
    if factors is not None:
        a = a.join(factors, how="left")
    a["status"] = np.where(a["lost"], "lost", "at risk")
    a["triggering_facts"] = [_facts(r) for _, r in a.iterrows()]
    a["next_action"] = np.where(
        a["lost"], "win back: call the decision maker, resolve open issues, make an offer",
        "retain: review the account before it lapses")
    a = a.reset_index().sort_values(["value_at_stake", "customer_id"],
                                    ascending=[False, True], kind="stable")
    return a[list(WINBACK_COLUMNS)].reset_index(drop=True)
