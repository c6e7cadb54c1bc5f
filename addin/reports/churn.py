"""The portfolio summary's churn sections: the retention heat map, churn and its reasons, the
win-back list and forecast vs plan, as a plain context cut out of the jobs' reports (the same
numbers as the Retention, Churn and Forecast sheets).

:func:`churn_reports` runs the two analyses once for the month (as of its last day); a
workbook with too little history for one of them gets a note instead of that section, never a
failed summary. :func:`churn_sections` turns them into plain values for
``report_templates/summary.html`` (numbers stay numbers; the template formats them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from addin.errors import InputError
from addin.reports.i18n import add_labels
from addin.reports.month import plain

COHORTS = 12  # the heat map's last cohorts
MONTHS = 12  # and months since acquisition
WINBACK_ROWS = 10
HEAT_LEVELS = 5  # classes heat-0 .. heat-4 in report.css


def churn_reports(sheets: Mapping[str, pd.DataFrame], as_of: pd.Timestamp,
                  tiers: pd.DataFrame | None = None) -> tuple[Any, Any, list[str]]:
    """(churn report or None, forecast report or None, notes) as of ``as_of``."""
    from addin.jobs.churn import churn_analysis
    from addin.jobs.forecast import forecast_analysis

    notes: list[str] = []
    churn = forecast = None
    try:
        churn = churn_analysis(sheets, as_of, tiers=tiers)
    except InputError as exc:
        notes.append(f"churn: {exc.lines(limit=1)[0]}")
    try:
        forecast = forecast_analysis(sheets, as_of)
    except InputError as exc:
        notes.append(f"forecast: {exc.lines(limit=1)[0]}")
    return churn, forecast, notes


def _heat(value: float | None) -> int | None:
    if value is None or not np.isfinite(value):
        return None
    return int(min(HEAT_LEVELS - 1, max(0, np.floor(value * HEAT_LEVELS))))


def retention_section(churn: Any) -> dict[str, Any] | None:
    """The last :data:`COHORTS` cohorts by the first :data:`MONTHS` months: share still
    buying per cell with its heat class (0 = under 20 %, ... 4 = 80 % or more)."""
    if churn is None:
        return None
    c = churn.cohorts
    cohorts = sorted(c["cohort"].unique())[-COHORTS:]
    c = c[c["cohort"].isin(cohorts) & (c["months_since"] < MONTHS)]
    rows = []
    for cohort in cohorts:
        part = c[c["cohort"] == cohort].set_index("months_since")
        cells = []
        for m in range(MONTHS):
            share = plain(part["active_share"].get(m)) if m in part.index else None
            cells.append({"share": share, "heat": _heat(share)})
        rows.append({"cohort": cohort, "size": int(part["cohort_size"].iloc[0]),
                     "cells": cells})
    curve = churn.curve()
    m3 = curve.loc[curve["months_since"] == 3, "active_share"]
    return {"months": list(range(MONTHS)), "rows": rows,
            "month3": plain(m3.iloc[0]) if len(m3) else None}


def churn_section(churn: Any) -> dict[str, Any] | None:
    """The latest churn rate with its interval, the lost and at-risk counts, each significant
    reason (structured, so the template words it in either language) or why there is none,
    and the top of the win-back list."""
    if churn is None:
        return None
    a = churn.accounts
    last = churn.periods.iloc[-1]
    comp = churn.comparison
    reasons = [{"factor": r.factor, "binary": r.test == "Fisher exact",
                "effect": plain(r.effect), "low": plain(r.effect_low),
                "high": plain(r.effect_high), "p": plain(r.p_value),
                "lost_value": plain(r.lost_value), "retained_value": plain(r.retained_value)}
               for r in comp[comp["significant"]].itertuples()]
    too_few = bool(len(comp) and comp["conclusion"].str.startswith("too few").all())
    w = churn.winback.head(WINBACK_ROWS)
    winback = [{"customer_id": r.customer_id, "name": plain(r.name) or r.customer_id,
                "manager": plain(r.account_manager), "tier": plain(r.pyramid_tier),
                "status": r.status, "value": plain(r.value_at_stake),
                "recency_days": int(r.recency_days),
                "gaps": plain(r.recency_days / r.usual_gap_days) if r.usual_gap_days else None}
               for r in w.itertuples()]
    return {"period": last["period"], "rate": plain(last["churn_rate"]),
            "low": plain(last["churn_low"]), "high": plain(last["churn_high"]),
            "revenue_rate": plain(last["revenue_churn_rate"]),
            "lost": int(a["lost"].sum()), "at_risk": int(a["at_risk"].sum()),
            "accounts": len(a), "rule": churn.settings.loss_rule,
            "k": plain(churn.settings.loss_gap_factor),
            "floor": int(churn.settings.churn_min_silence_days), "reasons": reasons,
            "too_few": too_few, "winback": winback,
            "winback_total": plain(churn.winback["value_at_stake"].sum())
            if len(churn.winback) else 0.0,
            "winback_count": len(churn.winback)}


def forecast_section(forecast: Any) -> dict[str, Any] | None:
    """The model's months with their interval, the baseline beside them, the backtest errors
    and forecast vs plan."""
    if forecast is None:
        return None
    line = forecast.line
    comparison = forecast.comparison()
    errors = forecast.errors.set_index(["method", "against"])
    model = errors.loc[("BG/NBD x Gamma-Gamma", "all revenue")]
    base = errors.loc[("exponential smoothing", "all revenue")]
    return {
        "months": [str(p) for p in line["period"]],
        "model": [plain(v) for v in line["expected_revenue"]],
        "low": [plain(v) for v in line["revenue_low"]],
        "high": [plain(v) for v in line["revenue_high"]],
        "baseline": [plain(v) for v in comparison.set_index("period")["baseline_revenue"]
                     .reindex(line["period"])],
        "model_total": plain(line["expected_revenue"].sum()),
        "baseline_total": plain(forecast.baseline.sum()),
        "model_mape": plain(model["mape"]), "model_bias": plain(model["bias"]),
        "baseline_mape": plain(base["mape"]), "baseline_bias": plain(base["bias"]),
        "holdout": forecast.settings.holdout_months,
        "trust": "model" if model["mape"] <= base["mape"] else "baseline",
        "plan": forecast.plan,
    }


def churn_sections(churn: Any, forecast: Any, notes: list[str]) -> dict[str, Any]:
    """The three sections of the summary and the notes of any left out."""
    return {"retention": retention_section(churn), "churn": churn_section(churn),
            "forecast": forecast_section(forecast), "notes": list(notes)}


def headline_line(sections: dict[str, Any]) -> dict[str, float | None]:
    """The monthly email's headline numbers on churn and forecast (manifest keys of
    :data:`addin.reports.manifest.PORTFOLIO_HEADLINES`): the latest churn rate, the key
    accounts to win back and their value at stake, the forecast of the next months and its
    gap to the plan; None where an analysis did not run."""
    c, f = sections.get("churn"), sections.get("forecast")
    return {"churn_rate": c["rate"] if c else None,
            "winback_accounts": c["winback_count"] if c else None,
            "winback_value": c["winback_total"] if c else None,
            "revenue_forecast": f["model_total"] if f else None,
            "forecast_vs_plan": f["plan"]["gap_share"] if f and f["plan"] else None}


CHURN_LABELS: dict[str, dict[str, str]] = {
    "retention_section": {"en": "Customer retention by cohort", "zh": "按获客月份的客户保留率"},
    "retention_note": {
        "en": "Share of each acquisition-month cohort that bought again in each month since "
              "its first order (darker green: more still buying).",
        "zh": "各获客月份客户群在首单后各月仍有购买的比例（绿色越深，留存越多）。"},
    "retention_month3": {"en": "On average {share} of a cohort still buys in its fourth month.",
                         "zh": "平均而言，每个客户群在第四个月仍有{share}的客户购买。"},
    "retention_cohort": {"en": "Cohort", "zh": "获客月份"},
    "retention_size": {"en": "Customers", "zh": "客户数"},
    "retention_month": {"en": "M{m}", "zh": "第{m}月"},
    "churn_section": {"en": "Churn and why customers leave", "zh": "客户流失及原因"},
    "churn_rate_period": {"en": "Churn rate {period}", "zh": "{period}流失率"},
    "churn_interval": {"en": "95% CI {low}–{high}", "zh": "95%置信区间 {low}–{high}"},
    "churn_revenue_rate": {"en": "Revenue churn", "zh": "收入流失率"},
    "churn_lost": {"en": "Lost accounts", "zh": "流失客户"},
    "churn_at_risk": {"en": "At risk", "zh": "有流失风险"},
    "churn_rule": {
        "en": "Lost: no order for more than {k} times the account's usual gap between orders "
              "and more than {floor} days, or a BG/NBD probability of being alive under the "
              "threshold ({rule}).",
        "zh": "流失：超过该客户通常下单间隔的{k}倍且超过{floor}天未下单，或BG/NBD存活概率低于阈值"
              "（{rule}）。"},
    "churn_reasons": {"en": "Why they left", "zh": "流失原因"},
    "churn_reason_binary": {
        "en": "Accounts with {factor} were lost with {ratio} times the odds "
              "(95% CI {low}–{high}).",
        "zh": "有{factor}的客户流失几率是其他客户的{ratio}倍（95%置信区间 {low}–{high}）。"},
    "churn_reason_numeric": {
        "en": "Lost accounts averaged {lost} in {factor}, retained accounts {retained}.",
        "zh": "流失客户的{factor}平均为{lost}，保留客户为{retained}。"},
    "churn_reasons_none": {"en": "No factor differs clearly between lost and retained accounts.",
                           "zh": "流失客户与保留客户在各因素上无明显差异。"},
    "churn_reasons_too_few": {"en": "Too few lost or retained accounts to conclude.",
                              "zh": "流失或保留客户太少，无法得出结论。"},
    "factor_complaints": {"en": "complaints", "zh": "投诉次数"},
    "factor_open_complaint_30d": {"en": "a complaint open over 30 days",
                                  "zh": "超过30天未解决的投诉"},
    "factor_high_severity_complaint": {"en": "a high-severity complaint", "zh": "严重投诉"},
    "factor_satisfaction": {"en": "satisfaction", "zh": "满意度"},
    "factor_nps_detractor": {"en": "a detractor NPS answer (0-6)", "zh": "贬损者NPS评分（0-6）"},
    "factor_single_contact": {"en": "a single contact person", "zh": "单一联系人"},
    "factor_contacts_per_month": {"en": "contacts a month", "zh": "每月联系次数"},
    "factor_order_size_trend": {"en": "order-size trend", "zh": "订单金额趋势"},
    "factor_discount": {"en": "discount", "zh": "折扣"},
    "factor_price_change": {"en": "price change", "zh": "价格变动"},
    "factor_payment_delay_days": {"en": "payment delay (days)", "zh": "付款延迟（天）"},
    "winback_title": {"en": "Key accounts to win back ({count}, {value} at stake)",
                      "zh": "需挽回的重点客户（{count}家，潜在损失{value}）"},
    "winback_silent": {"en": "Days without an order", "zh": "未下单天数"},
    "winback_status": {"en": "Status", "zh": "状态"},
    "winback_status_lost": {"en": "lost", "zh": "已流失"},
    "winback_status_at_risk": {"en": "at risk", "zh": "有风险"},
    "winback_none": {"en": "No key account is lost or at risk.",
                     "zh": "没有流失或有风险的重点客户。"},
    "forecast_section": {"en": "Revenue forecast vs plan", "zh": "销售收入预测与计划"},
    "forecast_total": {
        "en": "Next {months} months: {model} expected from existing customers (BG/NBD × "
              "Gamma-Gamma), {baseline} by exponential smoothing of the monthly totals.",
        "zh": "未来{months}个月：现有客户预计贡献{model}（BG/NBD × Gamma-Gamma模型），"
              "月度总额指数平滑预测为{baseline}。"},
    "forecast_backtest": {
        "en": "Backtest on the last {months} months: model MAPE {model}, baseline MAPE "
              "{baseline}.",
        "zh": "最近{months}个月回测：模型平均绝对百分比误差{model}，基线为{baseline}。"},
    "forecast_trust_model": {"en": "The model erred less.", "zh": "模型误差较小。"},
    "forecast_trust_baseline": {"en": "The baseline erred less.", "zh": "基线误差较小。"},
    "forecast_plan": {"en": "Plan {plan}: the forecast is {gap} ({share}) against it.",
                      "zh": "计划{plan}：预测与计划相差{gap}（{share}）。"},
    "forecast_no_plan": {"en": "No plan: set revenue_plan on the Settings sheet, or a revenue "
                               "target on the Scorecard, to compare.",
                         "zh": "未设定计划：请在设置表中填写 revenue_plan，"
                               "或在计分卡中设收入目标，以作比较。"},
    "forecast_chart": {"en": "Forecast by month", "zh": "按月预测"},
    "forecast_model": {"en": "Model", "zh": "模型"},
    "forecast_interval": {"en": "95% interval", "zh": "95%区间"},
    "forecast_baseline": {"en": "Exponential smoothing", "zh": "指数平滑"},
    "churn_left_out": {"en": "Left out: {reason}", "zh": "未列出：{reason}"},
}
add_labels(CHURN_LABELS)
