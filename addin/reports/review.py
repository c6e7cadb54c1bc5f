"""The plain context of one key-account review (``report_templates/review.html``), cut out of
the month's :class:`~addin.reports.month.ReportData`; see :mod:`addin.reports.month` for
where every figure comes from."""

from __future__ import annotations

from typing import Any

import pandas as pd

from addin.reports.month import (
    RELATIONSHIP_MONTHS,
    ReportData,
    account_name,
    change,
    mean_satisfaction,
    nps_block,
    plain,
    quarter_scores,
    ratio,
    recent_survey,
    records,
    window_quarters,
)

LAST_INTERACTIONS = 8
MAIN_CONTACTS = 3

def _tier_level(data: ReportData, tier: Any) -> int | None:
    labels = list(data.settings.tiers.pyramid_labels)
    return labels.index(tier) + 1 if tier in labels else None



def _period_block(data: ReportData, customer_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, sums in data.periods.items():
        row = sums.reindex([customer_id]).iloc[0]
        revenue = float(row["revenue"]) if pd.notna(row["revenue"]) else 0.0
        margin = plain(row["margin"])
        if margin is None and data.totals[name]["margin"] is not None:
            margin = 0.0
        out[name] = {"revenue": revenue, "margin": margin,
                     "orders": int(row["orders"]) if pd.notna(row["orders"]) else 0,
                     "margin_rate": ratio(margin, revenue) if margin is not None else None,
                     "share": ratio(revenue, data.totals[name]["revenue"])}
    out["month_change"] = change(out["month"]["revenue"], out["month_ly"]["revenue"])
    out["ytd_change"] = change(out["ytd"]["revenue"], out["ytd_ly"]["revenue"])
    if out["ytd"]["margin"] is not None and out["ytd_ly"]["margin"] is not None:
        out["ytd_margin_change"] = change(out["ytd"]["margin"], out["ytd_ly"]["margin"])
    else:
        out["ytd_margin_change"] = None
    return out


def _actions_for(data: ReportData, customer_id: str) -> list[dict[str, Any]]:
    a = data.actions[data.actions["customer_id"] == customer_id]
    return records(a)


def review_context(data: ReportData, customer_id: str, lang: str = "en") -> dict[str, Any]:
    """The plain context of one account's review (see ``report_templates/review.html``).

    What keeps it from being misread (README, "Nothing a manager would misread"):

    * ``account.key_account`` False (an account named with ``--accounts`` outside Settings
      ``key_account_tiers``): the review is headed "Account review", never "Key-account
      review", with a note naming its tier;
    * ``value.rfm_segment`` is the segment reconciled with the life cycle
      (:func:`addin.tiering.reconcile_segment`), ``rfm_segment_scored`` the RFM grid's,
      ``rfm_reason`` why they differ (``termination`` or ``alive``) and ``stage_vs_alive``
      True when a termination stage sits beside a P(alive) at or above the threshold (the
      review says the two answer different questions);
    * the survey's NPS, per account and per quarter, follows
      :func:`addin.reports.month.too_few` (Settings ``min_survey_answers``);
    * ``data_warning``: :func:`addin.reports.month.month_data_warning`.
    """
    s = data.settings
    t = data.tiers.loc[customer_id]
    card = (data.customers.loc[customer_id] if customer_id in data.customers.index
            else pd.Series(dtype=object))

    def field_(name: str) -> Any:
        return plain(card.get(name)) if name in card.index else None

    tier = plain(t["pyramid_tier"])
    account = {
        "customer_id": customer_id,
        "name": account_name(data, customer_id, lang),
        "tier": tier, "tier_level": _tier_level(data, tier),
        "tier_levels": len(s.tiers.pyramid_labels),
        "key_account": bool(t["key_account"]), "abc_class": plain(t["abc_class"]),
        "rank": plain(t["rank"]), "customers": int(len(data.tiers)),
        **{k: field_(k) for k in ("account_manager", "industry", "region", "segment", "size",
                                  "credit_level", "since", "email", "phone")},
    }
    value = {
        **_period_block(data, customer_id),
        **{k: plain(t[k]) for k in ("clv", "clv_method", "prob_alive", "rfm_segment",
                                     "rfm_score", "r_score", "f_score", "m_score",
                                     "lifecycle_stage", "relationship_level", "recency_days",
                                     "orders", "revenue", "margin", "first_purchase",
                                     "last_purchase", "value_share", "expected_purchases")},
    }
    value["clv_months"] = s.tiers.clv_months
    # the segment shown is reconciled with the life cycle (addin.tiering.reconcile_segment)
    value["rfm_segment_scored"] = value["rfm_segment"]
    value["rfm_segment"] = plain(t.get("rfm_segment_reconciled", t["rfm_segment"]))
    value["rfm_reconciled"] = value["rfm_segment"] != value["rfm_segment_scored"]
    value["alive_threshold"] = s.tiers.lifecycle.alive_threshold
    # why the three measures may disagree, for the notes under them: termination (the churn
    # loss rule) or a low P(alive) moved the segment; a termination next to a high P(alive)
    # is two questions (the model: a customer at all; the loss rule: silent past its rhythm)
    terminated = value["lifecycle_stage"] == "termination"
    alive = value["prob_alive"]
    value["rfm_reason"] = ("termination" if terminated else "alive") \
        if value["rfm_reconciled"] else None
    value["stage_vs_alive"] = bool(terminated and alive is not None
                                   and alive >= value["alive_threshold"])

    # 18-month trend
    if customer_id in data.monthly.index.get_level_values(0):
        own = data.monthly.loc[customer_id]
        own.index = own.index.astype(str)
    else:
        own = pd.DataFrame(columns=["revenue", "margin"])
    own = own.reindex(data.trend_months)
    trend = {"months": list(data.trend_months),
             "revenue": [float(v) if pd.notna(v) else 0.0 for v in own["revenue"]],
             "margin": ([float(v) if pd.notna(v) else 0.0 for v in own["margin"]]
                        if data.totals["month"]["margin"] is not None else None)}

    history = data.tier_history.loc[customer_id]
    tier_history = [{"month": m, "tier": plain(v)} for m, v in history.items()
                    if plain(v) is not None]
    previous = tier_history[-2]["tier"] if len(tier_history) >= 2 else None

    m = data.measures.loc[customer_id]
    context = {
        "kind": "review", "lang": lang, "currency": s.currency,
        "company": s.company_for(lang), "month": data.month,
        "month_start": data.month_start.date(), "as_of": data.as_of.date(),
        "account": account, "value": value, "trend": trend,
        "tier_history": tier_history, "previous_tier": previous,
        "tier_labels": list(s.tiers.pyramid_labels),
        "last_year_partial": data.last_year_partial,
        "data_start": data.data_start.date() if data.data_start is not None else None,
        "survey": _review_survey(data, customer_id),
        "service": _review_service(data, customer_id, m),
        "relationship": _review_relationship(data, customer_id, m),
        "actions": _actions_for(data, customer_id),
        "data_warning": data.data_warning,
        "thresholds": {"complaint_target_days": s.actions.complaint_target_days,
                       "satisfaction_threshold": s.actions.satisfaction_threshold,
                       "overall_scale": s.survey.overall_scale},
    }
    return context


def _review_survey(data: ReportData, customer_id: str) -> dict[str, Any] | None:
    if data.survey is None:
        return None
    answers = data.survey[data.survey["customer_id"] == customer_id]
    if answers.empty:
        return None
    s = data.settings.survey
    least = data.settings.min_survey_answers
    recent = recent_survey(answers, data.as_of)
    out: dict[str, Any] = {"responses": int(len(answers)), "recent_responses": int(len(recent)),
                           "quarters": quarter_scores(answers, window_quarters(data.month),
                                                      s, least),
                           "scale": s.overall_scale, "nps": None, "satisfaction": None,
                           "satisfaction_n": 0, "min_answers": least}
    if "nps" in recent.columns:
        out["nps"] = nps_block(recent["nps"], s, least)
    if "overall" in recent.columns:
        out["satisfaction"], out["satisfaction_n"] = mean_satisfaction(recent["overall"],
                                                                         s.overall_scale)
    last = pd.to_datetime(answers["date"]).max() if "date" in answers.columns else pd.NaT
    out["last_answer"] = plain(last)
    return out


def _review_service(data: ReportData, customer_id: str, m: pd.Series) -> dict[str, Any]:
    target = data.settings.actions.complaint_target_days
    out: dict[str, Any] = {"target_days": target, "available": data.complaints is not None,
                           "open": [], "open_count": 0, "over_target": 0,
                           "resolved_month": 0, "mean_resolution_days": None,
                           "resolved_12m": 0}
    if data.complaints is None:
        return out
    c = data.complaints[data.complaints["customer_id"] == customer_id]
    open_ = c[c["is_open"]].sort_values("opened")
    cols = [k for k in ("opened", "age_days", "category", "severity", "status")
            if k in open_.columns]
    rows = records(open_[cols])
    for r in rows:
        r["over_target"] = r["age_days"] is not None and r["age_days"] > target
    out["open"] = rows
    out["open_count"] = len(rows)
    out["over_target"] = sum(r["over_target"] for r in rows)
    closed = c[c["closed_on"].notna()]
    out["resolved_month"] = int((closed["closed_on"] >= data.month_start).sum())
    year_ago = data.as_of - pd.DateOffset(months=12)
    last_year = closed[closed["closed_on"] > year_ago]
    out["resolved_12m"] = int(len(last_year))
    if len(last_year):
        out["mean_resolution_days"] = float(last_year["resolution_days"].mean())
        out["within_target_12m"] = float((last_year["resolution_days"] <= target).mean())
    return out


def _review_relationship(data: ReportData, customer_id: str, m: pd.Series
                         ) -> dict[str, Any]:
    out: dict[str, Any] = {"available": data.contacts is not None, "last": [],
                           "staff_6m": plain(m.get("staff_6m")),
                           "contacts_6m": plain(m.get("contacts_6m")), "staff_names": [],
                           "main_contacts": [], "months": RELATIONSHIP_MONTHS,
                           "single_point": False, "manager_only": False}
    if data.contacts is None:
        return out
    c = data.contacts[(data.contacts["customer_id"] == customer_id)
                      & (data.contacts["date"] <= data.as_of)]
    cols = [k for k in ("date", "channel", "staff", "subject", "outcome") if k in c.columns]
    out["last"] = records(c.sort_values("date", ascending=False, kind="stable")
                           .head(LAST_INTERACTIONS)[cols])
    if "staff" in c.columns:
        start6 = data.as_of - pd.DateOffset(months=RELATIONSHIP_MONTHS)
        recent = c[c["date"] > start6]
        staff = recent["staff"].dropna().astype(str).str.strip()
        staff = staff[staff != ""]
        out["staff_names"] = sorted(staff.unique().tolist())
        year = c[c["date"] > data.as_of - pd.DateOffset(months=12)]
        counts = year["staff"].dropna().astype(str).str.strip()
        counts = counts[counts != ""].value_counts()
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        out["main_contacts"] = [{"staff": k, "contacts": int(v)}
                                for k, v in counts.head(MAIN_CONTACTS).items()]
        limit = data.settings.actions.single_contact_staff
        out["single_point"] = out["staff_6m"] is not None and out["staff_6m"] <= limit
        manager = data.customers["account_manager"].get(customer_id) \
            if "account_manager" in data.customers.columns else None
        out["manager_only"] = (len(out["staff_names"]) == 1
                               and out["staff_names"][0] == plain(manager))
    return out
