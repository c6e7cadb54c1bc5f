"""The plain context of the portfolio summary (``report_templates/summary.html``), cut out of
the month's :class:`~addin.reports.month.ReportData`; see :mod:`addin.reports.month` for
where every figure comes from."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from addin.reports.actions import ACTION_KEYS
from addin.reports.month import (
    SURVEY_MONTHS,
    ReportData,
    account_name,
    change,
    csat_block,
    nps_block,
    plain,
    quarter_scores,
    ratio,
    recent_survey,
    record,
    records,
    window_quarters,
)
from addin.scorecard import kpi_status

TOP_ACCOUNTS = 20
AT_RISK_ROWS = 15

def summary_context(data: ReportData, lang: str = "en") -> dict[str, Any]:
    """The plain context of the portfolio summary (see ``report_templates/summary.html``).

    Its top accounts are ranked by the period the table shows (:func:`top_accounts`, revenue
    year to date, the basis in ``top_basis``); NPS and CSAT follow
    :func:`addin.reports.month.too_few`; the RFM segments shown are reconciled with the life
    cycle (:func:`addin.tiering.reconcile_segment`); ``data_warning`` is
    :func:`addin.reports.month.month_data_warning`'s verdict."""
    from addin.tiering import pareto_point, pareto_table

    s = data.settings
    t = data.tiers
    value_col = "margin" if s.tiers.tier_by == "margin" and t["margin"].notna().any() \
        else "revenue"
    n = len(t)
    labels = list(s.tiers.pyramid_labels)

    # tier distribution
    total_value = float(t["revenue"].clip(lower=0).sum())
    ytd = data.periods["ytd"]["revenue"].reindex(t.index).fillna(0.0)
    grouped = pd.DataFrame({"tier": t["pyramid_tier"], "revenue": t["revenue"],
                            "ytd": ytd}).groupby("tier", sort=False).agg(
        customers=("revenue", "size"), revenue=("revenue", "sum"), ytd=("ytd", "sum"))
    grouped = grouped.reindex(labels)
    ytd_total = data.totals["ytd"]["revenue"]
    tiers_rows = []
    for label, row in grouped.iterrows():
        customers = int(row["customers"]) if pd.notna(row["customers"]) else 0
        revenue, ytd_sum = plain(row["revenue"]) or 0.0, plain(row["ytd"]) or 0.0
        tiers_rows.append({
            "tier": label, "key": label in s.tiers.key_account_tiers, "customers": customers,
            "customer_share": customers / n if n else None, "revenue": revenue,
            "revenue_share": ratio(revenue, total_value), "ytd": ytd_sum,
            "ytd_share": ratio(ytd_sum, ytd_total)})

    table = pareto_table(t[value_col])
    point = pareto_point(t[value_col])
    top20 = pareto_point(t[value_col], 0.2) if n else None
    counts = np.unique(np.ceil(np.round(np.arange(1, 101) / 100 * n, 9)).astype(np.int64)) \
        if n else np.array([], dtype=np.int64)
    cumulative = table["cumulative_share"].to_numpy()
    curve = {"x": [0.0, *(counts / n).tolist()] if n else [],
             "y": [0.0, *cumulative[counts - 1].tolist()] if n else []}
    pareto = {"customers": point.customers, "n": point.n,
              "customer_share": plain(point.customer_share),
              "value_share": plain(point.value_share),
              "top20_share": plain(top20.value_share) if top20 else None,
              "value": value_col, "curve": curve}

    # top accounts, by the period the table shows (top_accounts)
    top = top_accounts(t, ytd)
    ytd_ly = data.periods["ytd_ly"]["revenue"]
    top_rows = []
    for position, (cid, row) in enumerate(top.iterrows(), start=1):
        y = float(ytd.get(cid, 0.0))
        top_rows.append({
            "customer_id": cid, "name": account_name(data, cid, lang),
            "region": plain(row.get("region")), "tier": row["pyramid_tier"],
            "rank": position, "tier_rank": int(row["rank"]),
            "revenue": float(row["revenue"]),
            "value_share": plain(row["value_share"]), "ytd": y,
            "ytd_share": ratio(y, ytd_total),
            "ytd_change": change(y, float(ytd_ly.get(cid, 0.0))),
            "rfm_segment": plain(row.get("rfm_segment_reconciled", row["rfm_segment"])),
            "rfm_reconciled": plain(row.get("rfm_segment_reconciled", row["rfm_segment"]))
            != plain(row["rfm_segment"]),
            "lifecycle_stage": plain(row["lifecycle_stage"])})

    movers = _movers(data, lang)
    at_risk_all = _at_risk(data, lang)
    at_risk = at_risk_all[:AT_RISK_ROWS]
    survey = _summary_survey(data)
    scorecard = _summary_scorecard(data)
    key = t["key_account"]
    headline = {
        "customers": n, "buyers": int((t["orders"] > 0).sum()),
        "key_accounts": int(key.sum()),
        "key_tiers": list(s.tiers.key_account_tiers),
        "revenue_month": data.totals["month"]["revenue"],
        "revenue_month_ly": data.totals["month_ly"]["revenue"],
        "month_change": change(data.totals["month"]["revenue"],
                                data.totals["month_ly"]["revenue"]),
        "revenue_ytd": ytd_total, "revenue_ytd_ly": data.totals["ytd_ly"]["revenue"],
        "ytd_change": change(ytd_total, data.totals["ytd_ly"]["revenue"]),
        "margin_ytd": data.totals["ytd"]["margin"],
        "margin_rate_ytd": ratio(data.totals["ytd"]["margin"], ytd_total)
        if data.totals["ytd"]["margin"] is not None else None,
        "key_share_ytd": ratio(float(ytd[key].sum()), ytd_total),
        "at_risk": len(at_risk_all),
        "nps": survey["nps"]["score"] if survey and survey.get("nps") else None,
        "nps_moe": survey["nps"]["moe"] if survey and survey.get("nps") else None,
        "nps_n": survey["nps"]["n"] if survey and survey.get("nps") else None,
        "csat": survey["csat"]["score"] if survey and survey.get("csat") else None,
        "csat_moe": survey["csat"]["moe"] if survey and survey.get("csat") else None,
        "csat_n": survey["csat"]["n"] if survey and survey.get("csat") else None,
        "scorecard": scorecard["overall"] if scorecard else None,
    }
    return {
        "kind": "summary", "lang": lang, "currency": s.currency,
        "company": s.company_for(lang), "month": data.month,
        "month_start": data.month_start.date(), "as_of": data.as_of.date(),
        "data_start": data.data_start.date() if data.data_start is not None else None,
        "last_year_partial": data.last_year_partial, "headline": headline,
        "tiers": tiers_rows, "pareto": pareto, "top": top_rows,
        "top_basis": {"start": data.period_spans["ytd"][0].date(), "end": data.as_of.date()},
        "movers": movers,
        "at_risk": at_risk, "at_risk_more": len(at_risk_all) - len(at_risk),
        "survey": survey, "scorecard": scorecard, "linked": [],
        "data_warning": data.data_warning,
        "retention": data.churn.get("retention"), "churn": _churn_in(data, lang),
        "forecast": data.churn.get("forecast"), "churn_notes": data.churn.get("notes", []),
        "monthly_total": {"months": list(data.trend_months),
                          "revenue": [plain(v) or 0.0 for v in
                                      data.monthly_total["revenue"]],
                          "margin": ([plain(v) for v in data.monthly_total["margin"]]
                                     if data.totals["month"]["margin"] is not None else None)},
    }


def top_accounts(tiers: pd.DataFrame, ytd: pd.Series, count: int = TOP_ACCOUNTS
                 ) -> pd.DataFrame:
    """The summary's top accounts: ranked by the period the table shows, revenue year to
    date (``ytd``, per customer), largest first; ties by the tiering's rank (all orders to
    date). Accounts without positive revenue this year are left out, so the list's #1 has
    the year's largest revenue, never an account that has not bought since last year (the
    tiering's rank, on all orders to date, can put such an account first)."""
    y = ytd.reindex(tiers.index).fillna(0.0).astype(float)
    frame = tiers.assign(_ytd=y)
    frame = frame[frame["_ytd"] > 0]
    return frame.sort_values(["_ytd", "rank"], ascending=[False, True],
                             kind="stable").head(count).drop(columns="_ytd")


def _movers(data: ReportData, lang: str = "en") -> dict[str, Any]:
    """Tier changes since the previous month's end: every change into, out of or within
    the key-account tiers, and a from x to count of all customers."""
    hist = data.tier_history
    labels = list(data.settings.tiers.pyramid_labels)
    key_tiers = set(data.settings.tiers.key_account_tiers)
    if hist.shape[1] < 2:
        return {"previous_month": None, "rows": [], "matrix": [], "labels": labels,
                "changed": 0}
    previous_month, current_month = hist.columns[-2], hist.columns[-1]
    before, now = hist[previous_month], hist[current_month]
    changed = before.notna() & now.notna() & (before != now)
    level = {label: i for i, label in enumerate(labels)}
    moved = pd.DataFrame({"before": before[changed], "now": now[changed]})
    moved["up"] = moved["now"].map(level) < moved["before"].map(level)
    relevant = moved[moved["before"].isin(key_tiers) | moved["now"].isin(key_tiers)]
    t = data.tiers.reindex(relevant.index)
    relevant = relevant.assign(name=t.get("name"), region=t.get("region"),
                               rank=t["rank"], revenue=t["revenue"])
    relevant = relevant.sort_values(["up", "rank"], ascending=[False, True], kind="stable")
    rows = [{"customer_id": cid, **record(r)} for cid, r in
            relevant[["name", "region", "before", "now", "up", "rank", "revenue"]].iterrows()]
    for r in rows:
        r["name"] = account_name(data, r["customer_id"], lang)
    matrix = pd.crosstab(before[before.notna() & now.notna()],
                         now[before.notna() & now.notna()]).reindex(
        index=labels, columns=labels, fill_value=0)
    return {"previous_month": previous_month, "rows": rows, "labels": labels,
            "matrix": [{"from": f, "counts": [int(v) for v in matrix.loc[f]]}
                       for f in labels],
            "changed": int(changed.sum()), "key_changed": len(rows)}


def _at_risk(data: ReportData, lang: str = "en") -> list[dict[str, Any]]:
    """Key accounts with at least one next action: most actions first, then the most urgent
    action (the rule table's order), then by rank."""
    a = data.actions
    a = a[a["customer_id"].isin(data.key_accounts)]
    if a.empty:
        return []
    t = data.tiers
    out = []
    for cid, part in a.groupby("customer_id", sort=False):
        out.append({"customer_id": cid, "name": plain(t.at[cid, "name"]) if "name" in t
                    else cid, "region": plain(t.at[cid, "region"]) if "region" in t else None,
                    "tier": t.at[cid, "pyramid_tier"], "rank": int(t.at[cid, "rank"]),
                    "revenue": float(t.at[cid, "revenue"]), "actions": records(part)})
    urgency = {key: i for i, key in enumerate(ACTION_KEYS)}
    out.sort(key=lambda r: (-len(r["actions"]), urgency[r["actions"][0]["action"]], r["rank"]))
    for r in out:
        r["name"] = account_name(data, r["customer_id"], lang)
    return out


def _summary_survey(data: ReportData) -> dict[str, Any] | None:
    if data.survey is None or data.survey.empty:
        return None
    s = data.settings.survey
    least = data.settings.min_survey_answers
    recent = recent_survey(data.survey, data.as_of)
    dates = pd.to_datetime(recent["date"])
    out: dict[str, Any] = {"responses": int(len(recent)),
                           "start": plain(dates.min()), "end": plain(dates.max()),
                           "months": SURVEY_MONTHS, "nps": None, "csat": None,
                           "min_answers": least}
    if "nps" in recent.columns:
        out["nps"] = nps_block(recent["nps"], s, least)
    if "overall" in recent.columns:
        out["csat"] = csat_block(recent["overall"], s, least)
    by_tier = []
    for label in data.settings.tiers.pyramid_labels:
        part = recent[recent["tier"] == label]
        row = {"tier": label, "responses": int(len(part)), "nps": None, "csat": None}
        if "nps" in part.columns:
            row["nps"] = nps_block(part["nps"], s, least)
        if "overall" in part.columns:
            row["csat"] = csat_block(part["overall"], s, least)
        by_tier.append(row)
    out["by_tier"] = by_tier
    out["quarters"] = quarter_scores(data.survey, window_quarters(data.month), s, least)
    out["ipa"] = _summary_ipa(recent, s, least)
    return out


def _summary_ipa(recent: pd.DataFrame, s: Any, least: int) -> dict[str, Any] | None:
    """The importance-performance map of the last 12 months' answers: the survey routine
    :func:`addin.surveys.importance_performance` (Martilla & James 1977) with the Settings
    ``ipa_split`` (the cross-hairs at the grand means, or at the scale midpoint),
    ``item_scale`` and ``servqual_dimensions``, exactly as the Survey Results sheet computes
    it. An item with fewer than ``min_survey_answers`` valid importance or performance
    answers is left off the map and counted in ``too_few``. None without imp_/perf_ pairs."""
    from addin.surveys import importance_performance
    from addin.surveys.gaps import item_name

    perf = {item_name(c): c for c in recent.columns if str(c).casefold().startswith("perf_")}
    pairs = [(c, perf[item_name(c)]) for c in recent.columns
             if str(c).casefold().startswith("imp_") and item_name(c) in perf]
    if not pairs or recent.empty:
        return None
    result = importance_performance(recent[[i for i, _ in pairs]],
                                    recent[[p for _, p in pairs]], s.ipa_split,
                                    (1, s.item_scale), s.servqual_dimensions or None)
    table = result.table
    enough = (table["n_importance"] >= least) & (table["n_performance"] >= least) \
        & table["quadrant"].notna()
    if not enough.any():
        return None
    return {"items": records(table[enough][["item", "dimension", "importance", "performance",
                                            "quadrant"]]),
            "importance_split": float(result.importance_split),
            "performance_split": float(result.performance_split), "split": result.split,
            "scale": s.item_scale, "too_few": int((~enough).sum())}


def _summary_scorecard(data: ReportData) -> dict[str, Any] | None:
    r = data.scorecard
    if r is None:
        return None
    overall_status = str(kpi_status(pd.Series([r.overall / 100]))[0])
    perspectives = [{"perspective": p, "score": plain(row["score"]),
                     "weight": plain(row["weight"]), "status": row["status"],
                     "kpis": int((r.kpis["perspective"] == p).sum()),
                     "red": int(((r.kpis["perspective"] == p)
                                 & (r.kpis["status"] == "red")).sum())}
                    for p, row in r.perspectives.iterrows()]
    kpis = r.kpis[r.kpis["status"].isin(["red", "amber"])]
    cols = [c for c in ("perspective", "kpi", "target", "actual", "unit", "status", "progress")
            if c in kpis.columns]
    trend = None
    if data.scorecard_by_period is not None and not data.scorecard_by_period.empty:
        bp = data.scorecard_by_period
        trend = {"periods": [str(p) for p in bp["period"]],
                 "overall": [plain(v) for v in bp["overall"]]}
    return {"overall": float(r.overall), "status": overall_status, "period": r.period,
            "perspectives": perspectives, "weights_source": r.weights_source,
            "attention": records(kpis[cols].sort_values("status", key=lambda s: s.map(
                {"red": 0, "amber": 1}), kind="stable")),
            "notes": list(r.notes), "trend": trend}


# --------------------------------------------------------------------------------------------
# an executive's scope beside the company (the pack's summary part)

def scope_data(data: ReportData, ids: list[str]) -> ReportData:
    """``data`` cut to the customers ``ids`` (a scope, :meth:`addin.mail.scope.Scope.customers`):
    their tiering rows, tier history, period sums and totals (sums of theirs), key accounts,
    next actions and survey answers. The company's trend, scorecard and churn sections stay
    the company's (they are not per customer), and so do the tiering's ranks and shares (an
    account is the company's n-th most valuable wherever it is read)."""
    import dataclasses

    wanted = set(ids)  # once: a set built per customer cost 0.2-0.5 s a pack
    keep = pd.Index([c for c in data.tiers.index if c in wanted])
    kept = set(keep)
    periods = {name: frame.reindex(frame.index.intersection(keep))
               for name, frame in data.periods.items()}
    totals = {}
    for name, frame in periods.items():
        has_margin = data.totals[name]["margin"] is not None
        totals[name] = {"revenue": float(frame["revenue"].sum()),
                        "margin": float(frame["margin"].sum()) if has_margin else None,
                        "orders": int(frame["orders"].sum())}
    survey = data.survey
    if survey is not None:
        survey = survey[survey["customer_id"].isin(keep)]
    return dataclasses.replace(
        data, tiers=data.tiers.loc[keep], tier_history=data.tier_history.reindex(keep),
        key_accounts=[c for c in data.key_accounts if c in kept], periods=periods,
        totals=totals, actions=data.actions[data.actions["customer_id"].isin(keep)],
        survey=survey)


def _scope_figures(data: ReportData) -> dict[str, Any]:
    """The comparison's figures of ``data`` (the company's, or :func:`scope_data`'s)."""
    t = data.tiers
    key = t["key_account"].astype(bool)
    acted = set(data.actions["customer_id"]) if len(data.actions) else set()
    ytd, ytd_ly = data.totals["ytd"]["revenue"], data.totals["ytd_ly"]["revenue"]
    out: dict[str, Any] = {
        "revenue_month": data.totals["month"]["revenue"], "revenue_ytd": ytd,
        "revenue_yoy": change(ytd, ytd_ly), "margin_ytd": data.totals["ytd"]["margin"],
        "customers": len(t), "buyers": int((t["orders"] > 0).sum()),
        "key_accounts": int(key.sum()),
        "accounts_at_risk": sum(1 for c in data.key_accounts if c in acted),
        "nps": None, "nps_n": 0, "csat": None, "csat_n": 0,
        "blocks": {"nps": None, "csat": None}}
    survey = data.survey
    if survey is not None and not survey.empty:
        recent = recent_survey(survey, data.as_of)
        s, least = data.settings.survey, data.settings.min_survey_answers
        # the same blocks and the same min_survey_answers rule as the summary and the reviews:
        # a scope's NPS from three answers reads "too few answers (n = 3)", not a score
        if "nps" in recent.columns:
            block = nps_block(recent["nps"], s, least)
            out.update(nps=block["score"], nps_n=block["n"])
            out["blocks"]["nps"] = block
        if "overall" in recent.columns:
            block = csat_block(recent["overall"], s, least)
            out.update(csat=block["score"], csat_n=block["n"])
            out["blocks"]["csat"] = block
    ytd_by = data.periods["ytd"]["revenue"].reindex(t.index).fillna(0.0)
    out["tiers"] = {label: {"customers": int((t["pyramid_tier"] == label).sum()),
                            "revenue_ytd": float(ytd_by[t["pyramid_tier"] == label].sum())}
                    for label in data.settings.tiers.pyramid_labels}
    return out


SCOPE_ROWS: tuple[tuple[str, str], ...] = (
    ("revenue_month", "money"), ("revenue_ytd", "money"), ("revenue_yoy", "change"),
    ("margin_ytd", "money"), ("customers", "count"), ("buyers_head", "count"),
    ("key_accounts", "count"), ("accounts_at_risk", "count"), ("nps", "points"),
    ("nps_answers", "count"), ("csat", "percent"), ("csat_answers", "count"),
    ("lost_customers", "count"), ("at_risk_customers", "count"))


def scope_comparison(data: ReportData, ids: list[str]) -> dict[str, Any]:
    """The executive's scope (the customers ``ids``) beside the company, row by row:
    revenue this month and year to date (net sums of their order lines, as the company's),
    the change against the same months last year, margin, customers and buyers (customers
    with an order), key accounts and those with a next action, NPS and CSAT of their
    customers' answers of the last 12 months with the number of answers, the churn loss
    rule's lost and at-risk customers (when the churn analysis ran), and per pyramid tier
    the customers and the revenue year to date. ``rows`` are (key, kind, scope, company)
    with the kinds of :data:`addin.reports.i18n.QUANTITY_KINDS`; the template formats them."""
    scoped = scope_data(data, ids)
    scope, company = _scope_figures(scoped), _scope_figures(data)
    for figures, who in ((scope, set(ids)), (company, None)):
        figures["buyers_head"] = figures["buyers"]
        figures["nps_answers"], figures["csat_answers"] = figures["nps_n"], figures["csat_n"]
        for key, ids_key in (("lost_customers", "lost_ids"),
                             ("at_risk_customers", "at_risk_ids")):
            listed = data.churn.get(ids_key)
            figures[key] = None if listed is None else \
                sum(1 for c in listed if who is None or c in who)
    rows = [{"key": key, "kind": kind, "scope": scope[key], "company": company[key],
             # NPS and CSAT rows carry their blocks (score, margin, n, too_few) to print
             "blocks": (scope["blocks"][key], company["blocks"][key])
             if key in scope["blocks"] else None}
            for key, kind in SCOPE_ROWS
            if not (key.endswith("_customers") and company[key] is None)
            and not (key == "margin_ytd" and company[key] is None)]
    tiers = [{"tier": label, "key": label in data.settings.tiers.key_account_tiers,
              **{f"{who}_{k}": figures["tiers"][label][k]
                 for who, figures in (("scope", scope), ("company", company))
                 for k in ("customers", "revenue_ytd")}}
             for label in data.settings.tiers.pyramid_labels]
    return {"rows": rows, "tiers": tiers, "customers": len(scoped.tiers)}


def scope_summary_context(data: ReportData, ids: list[str], lang: str = "en",
                          scope_clauses: list[dict[str, Any]] | None = None,
                          comparison: dict[str, Any] | None = None) -> dict[str, Any]:
    """The portfolio summary of an executive's scope (the customers ``ids``): every section
    :func:`summary_context` cuts per customer (headline, tiers, Pareto, top accounts, tier
    movers, accounts needing attention, survey) over their customers alone, the company's
    sections that are not per customer (trend, scorecard, churn, forecast) as they are, and
    ``compare``: :func:`scope_comparison`, the scope beside the company (``comparison`` when
    the caller has it already: the pack's cover shows the same figures)."""
    context = summary_context(scope_data(data, ids), lang)
    if comparison is None:
        comparison = scope_comparison(data, ids)
    context["compare"] = {**comparison,
                          "scope": {"everything": False, "clauses": list(scope_clauses or [])}}
    return context


def _churn_in(data: ReportData, lang: str) -> dict[str, Any] | None:
    """The churn section with each win-back account named in ``lang`` (account_name), as
    every other table of the summary names them; the section is computed once for all
    languages."""
    churn = data.churn.get("churn")
    if churn is None:
        return None
    winback = [{**r, "name": account_name(data, r["customer_id"], lang)}
               for r in churn["winback"]]
    return {**churn, "winback": winback}
