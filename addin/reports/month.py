"""The month data behind the PDF reports, built from the workbook's DataFrames.

:func:`prepare_reports` computes once what every report of a month needs (the tiering as of
the month's end and of the eleven month-ends before it, period sums, survey scores, the
measures of the next-action rules); :func:`review_context` and :func:`summary_context` then
cut one plain dict per report out of it. The dicts hold numbers, dates, text, lists and
dicts only: numbers stay numbers and the templates format them per language (the i18n
filters), so Python never writes a number meant for the page.

Every figure comes from a routine of the add-in or a plain pandas sum stated here:

* tiers, pyramid level, RFM, CLV, probability alive, life-cycle stage, relationship level:
  :func:`addin.tiering.tier_customers` as of the month's last day; the tier history and the
  tier movers take the pyramid alone (:func:`addin.tiering.pyramid_history`, the same column
  without the lifetime-value fits) as of each earlier month's last day (lines after that day
  are ignored, so last month's tiers are the tiers last month's report showed);
* revenue and margin: net sums of ``amount`` and ``margin`` (returns included), as the
  tiering defines revenue; orders are purchase days, from :func:`addin.tiering.rfm_summary`
  over the period's lines. The month is the report month; year to date runs from the first
  day of the fiscal year (Settings ``fiscal_year_start``, a month number, default 1) to the
  month's end; "last year" is the same span one year earlier. When the transaction log starts
  after that earlier span begins, ``last_year_partial`` says so;
* NPS with its margin of error and CSAT: :func:`addin.surveys.nps` and
  :func:`addin.surveys.csat` with the Settings' survey keys, over the answers of the last
  12 months up to the month's end; the CSAT interval is the Wilson score interval of its
  top-box share (``scipy.stats.binomtest(...).proportion_ci``); satisfaction is the mean of
  the valid ``overall`` answers (:func:`addin.surveys.clean_answers`);
* the scorecard: the :class:`addin.scorecard.ScorecardResult` the caller evaluated;
* service: a complaint is open at the month's end when it was opened by then and has no
  ``closed`` date on or before it, unless its ``status`` says closed or resolved; its age is
  the days from ``opened`` to the month's end; mean resolution time is over the complaints
  closed in the last 12 months;
* relationship: distinct ``staff`` names in the Contacts of the last 6 months;
* next actions: :func:`addin.reports.actions.next_actions`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from addin.errors import InputError
from addin.reports.actions import next_actions
from addin.reports.settings import ReportSettings, report_settings
from addin.scorecard import ScorecardResult
from addin.surveys import SurveySettings, clean_answers, csat, nps
from addin.tiering import pyramid_history, rfm_summary, tier_customers, tier_settings

TREND_MONTHS = 18
HISTORY_MONTHS = 12
SURVEY_MONTHS = 12
RELATIONSHIP_MONTHS = 6
TREND_QUARTERS = 6
_CLOSED_WORDS = {"closed", "resolved", "done", "已关闭", "关闭", "已解决", "解决", "已处理"}


# --------------------------------------------------------------------------------------------
# small helpers, shared by the review and the summary

def plain(value: Any) -> Any:
    """A value fit for a template: Python numbers and dates; None for missing."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).date()
    return value


def record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): plain(v) for k, v in row.items()}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [record(r) for r in frame.to_dict("records")]


def account_name(data: ReportData, customer_id: str, lang: str) -> str:
    """The account's name in ``lang``: the Customers ``name_zh`` (中文名称) for Chinese,
    ``name_en`` (英文名称) for English; else ``name`` (the name as registered); else the
    other language's name; else the id. A company with one name keeps it in both languages."""
    own, other = ("name_zh", "name_en") if lang == "zh" else ("name_en", "name_zh")
    card = data.customers
    for column in (own, "name", other):
        if column in card.columns and customer_id in card.index:
            value = plain(card.at[customer_id, column])
            if isinstance(value, str) and value.strip():
                return value.strip()
    if "name" in data.tiers.columns and customer_id in data.tiers.index:
        value = plain(data.tiers.at[customer_id, "name"])
        if isinstance(value, str) and value.strip():
            return value.strip()
    return str(customer_id)


def ratio(num: float | None, den: float | None) -> float | None:
    """num / den; None when either is missing or den is 0."""
    if den is None or num is None or not math.isfinite(den) or den == 0 \
            or not math.isfinite(num):
        return None
    return float(num) / float(den)


def change(now: float, before: float) -> float | None:
    """Relative change now / before - 1; None when before is not positive."""
    if before is None or not before > 0:
        return None
    return float(now) / float(before) - 1


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of ``YYYY-MM``."""
    start = pd.Timestamp(f"{month}-01")
    return start, start + pd.offsets.MonthEnd(0)


def default_month(sheets: Mapping[str, pd.DataFrame]) -> str:
    """The report month: the month of the Settings ``as_of`` date, else of the last
    transaction."""
    tiers = tier_settings(sheets.get("Settings"))
    if tiers.as_of is not None:
        return tiers.as_of.strftime("%Y-%m")
    tx = sheets.get("Transactions")
    if tx is None or tx["date"].notna().sum() == 0:
        raise InputError("no month to report: the Transactions sheet has no dated lines and "
                         "Settings has no as_of date", sheet="Transactions")
    return pd.Timestamp(tx["date"].max()).strftime("%Y-%m")


def _period_sums(tx: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                 has_margin: bool) -> pd.DataFrame:
    """revenue, margin and orders per customer over [start, end] (rfm_summary's
    definitions: net sums, purchase days)."""
    part = tx[(tx["date"] >= start) & (tx["date"] <= end)]
    summary = rfm_summary(part, as_of=end)
    cols = ["revenue", "orders"] + (["margin"] if has_margin else [])
    out = summary[cols].copy()
    if not has_margin:
        out["margin"] = np.nan
    return out


# --------------------------------------------------------------------------------------------
# everything a month's reports need

@dataclass
class ReportData:
    """What :func:`prepare_reports` computed for one month; read it through
    :func:`review_context` and :func:`summary_context`."""

    month: str
    month_start: pd.Timestamp
    as_of: pd.Timestamp
    settings: ReportSettings
    tiers: pd.DataFrame
    tier_history: pd.DataFrame  # customer_id x month (YYYY-MM) -> pyramid tier
    accounts: list[str]  # the accounts to review, in order
    key_accounts: list[str]  # every key account, by rank (the summary's at-risk list)
    customers: pd.DataFrame  # indexed by customer_id (first row of an id)
    periods: dict[str, pd.DataFrame]  # month, month_ly, ytd, ytd_ly -> per customer sums
    period_spans: dict[str, tuple[pd.Timestamp, pd.Timestamp]]
    totals: dict[str, dict[str, float]]  # company sums per period
    last_year_partial: bool
    data_start: pd.Timestamp | None
    monthly: pd.DataFrame  # customer_id x month -> revenue, margin (trend window)
    monthly_total: pd.DataFrame  # month -> revenue, margin of the company
    trend_months: list[str]
    measures: pd.DataFrame  # per reported account: the next-action measures
    actions: pd.DataFrame  # next_actions(measures)
    contacts: pd.DataFrame | None
    complaints: pd.DataFrame | None
    survey: pd.DataFrame | None  # answers up to as_of, with quarter and customer tier
    scorecard: ScorecardResult | None = None
    scorecard_by_period: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    # the summary's retention, churn and forecast sections (addin.reports.churn)
    churn: dict[str, Any] = field(default_factory=dict)
    # the last transaction date up to the month's end, and month_data_warning's verdict
    data_end: pd.Timestamp | None = None
    data_warning: dict[str, Any] | None = None


def _complaints_open(complaints: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    c = complaints[complaints["opened"].notna() & (complaints["opened"] <= as_of)].copy()
    closed = c["closed"] if "closed" in c.columns else pd.Series(pd.NaT, index=c.index)
    closed = pd.to_datetime(closed)
    is_closed = closed.notna() & (closed <= as_of)
    if "status" in c.columns:
        status = c["status"].astype("string").str.strip().str.casefold()
        said_closed = status.isin(_CLOSED_WORDS).fillna(False).to_numpy(dtype=bool)
        is_closed = is_closed | (closed.isna().to_numpy() & said_closed)
    c["closed_on"] = closed.where(closed <= as_of)
    c["is_open"] = ~is_closed
    c["age_days"] = (as_of - c["opened"]).dt.days
    c["resolution_days"] = (c["closed_on"] - c["opened"]).dt.days
    return c


DATA_GAP_DAYS = 7


def month_data_warning(data_end: pd.Timestamp | None, month_start: pd.Timestamp,
                       as_of: pd.Timestamp) -> dict[str, Any] | None:
    """Whether the report month's figures are incomplete, for the warning every report, the
    email's PDFs and the CLI show (one rule, here):

    * ``no_data``: the transaction log has no line in the month (``data_end``, its last date
      up to the month's end, is before the month's first day): the month reads zero because
      its data is not there yet, not because nothing was sold;
    * ``partial``: the log stops more than :data:`DATA_GAP_DAYS` (7) days before the month's
      last day (a week covers weekends and holidays without orders): the month is cut short.

    None when the log reaches into the last week of the month. The verdict holds ``kind``,
    ``last`` (the last transaction date, or None), ``days`` (days from it to the month's
    end) and ``month_start``/``month_end``."""
    if data_end is not None and data_end >= month_start \
            and (as_of - data_end).days <= DATA_GAP_DAYS:
        return None
    kind = "no_data" if data_end is None or data_end < month_start else "partial"
    return {"kind": kind, "last": data_end.date() if data_end is not None else None,
            "days": int((as_of - data_end).days) if data_end is not None else None,
            "month_start": month_start.date(), "month_end": as_of.date()}


def month_data_message(warning: dict[str, Any] | None, month: str) -> str | None:
    """:func:`month_data_warning`'s verdict as one English line for the command's output."""
    if warning is None:
        return None
    if warning["kind"] == "no_data":
        return (f"the Transactions sheet has no line in {month} (its last date is "
                f"{warning['last']}): the reports show this month as zero, with a warning")
    return (f"the Transactions sheet stops on {warning['last']}, {warning['days']} days before "
            f"{month} ends: this month's figures are incomplete (the reports say so)")


def first_order(tx: pd.DataFrame, month: str) -> pd.Timestamp:
    """The first order date of ``tx``; InputError when there is none on or before the end
    of ``month`` (nothing to report)."""
    dated = tx["date"][tx["customer_id"].notna() & tx["date"].notna()]
    data_start = pd.Timestamp(dated.min()) if len(dated) else None
    if data_start is None or data_start > month_bounds(month)[1]:
        raise InputError(f"no transactions on or before the end of {month}: the log starts "
                         f"{data_start.date() if data_start is not None else 'nowhere'}",
                         sheet="Transactions", column="date")
    return data_start


def prepare_reports(sheets: Mapping[str, pd.DataFrame], month: str | None = None, *,
                    accounts: list[str] | None = None,
                    scorecard: ScorecardResult | None = None,
                    scorecard_by_period: pd.DataFrame | None = None) -> ReportData:
    """Compute everything the month's reports need from the contract sheets (``sheets``:
    ``CRMWorkbook.sheets``; Transactions is required, Customers, Contacts, Complaints, Survey
    and Settings are used when present).

    ``month`` (``YYYY-MM``) defaults to :func:`default_month`; the reports are as of its last
    day. ``accounts`` lists the customer ids to review (any customer), by default the key
    accounts: customers whose pyramid tier is in Settings ``key_account_tiers``, by rank.
    ``scorecard`` is the evaluated scorecard for the summary (and ``scorecard_by_period`` its
    overall score per month), when the workbook has one.
    """
    tx = sheets.get("Transactions")
    if tx is None:
        raise InputError("the workbook has no Transactions sheet; the reports need the orders "
                         "(customer_id, date, amount)", sheet="Transactions")
    settings_frame = sheets.get("Settings")
    cfg = report_settings(settings_frame)
    month = month or default_month(sheets)
    month_start, as_of = month_bounds(month)
    tx = tx[tx["customer_id"].notna() & tx["date"].notna()]
    data_start = first_order(tx, month)
    has_margin = "margin" in tx.columns and tx["margin"].notna().any()
    customers_sheet = sheets.get("Customers")

    from addin.churn.loss import LossRule  # the life cycle's termination is the loss rule
    from addin.churn.settings import churn_settings

    loss = LossRule.from_settings(churn_settings(settings_frame))
    tiers = tier_customers(customers_sheet, tx, cfg.tiers, as_of=as_of, loss=loss).table
    history_ends = [p.to_timestamp(how="end").normalize() for p in
                    pd.period_range(end=month, periods=HISTORY_MONTHS, freq="M")]
    earlier = pyramid_history(customers_sheet, tx, cfg.tiers,
                              ends=[e for e in history_ends if e != as_of and e >= data_start])
    history = {}
    for end in history_ends:
        label = end.strftime("%Y-%m")
        if end == as_of:
            history[label] = tiers["pyramid_tier"]
        elif end in earlier:
            history[label] = earlier[end]
    tier_history = pd.DataFrame(history).reindex(tiers.index)

    key_ids = list(tiers[tiers["key_account"]].sort_values("rank", kind="stable").index)
    if accounts is None:
        ids = key_ids
    else:
        unknown = [a for a in accounts if a not in tiers.index]
        if unknown:
            raise InputError(f"--accounts names {', '.join(map(str, unknown))}, which the "
                             f"Customers and Transactions sheets do not have",
                             sheet="Customers", column="customer_id")
        ids = list(dict.fromkeys(accounts))

    if customers_sheet is not None:
        customers = customers_sheet[customers_sheet["customer_id"].notna()].drop_duplicates(
            "customer_id").set_index("customer_id")
    else:
        customers = pd.DataFrame(index=pd.Index([], name="customer_id"))

    # periods: the month, year to date, and both a year earlier
    fy = cfg.fiscal_year_start
    ytd_year = as_of.year if as_of.month >= fy else as_of.year - 1
    ytd_start = pd.Timestamp(year=ytd_year, month=fy, day=1)
    year = pd.DateOffset(years=1)
    spans = {
        "month": (month_start, as_of),
        "month_ly": (month_start - year, (month_start - year) + pd.offsets.MonthEnd(0)),
        "ytd": (ytd_start, as_of),
        "ytd_ly": (ytd_start - year, as_of - year),
    }
    periods = {name: _period_sums(tx, start, end, has_margin)
               for name, (start, end) in spans.items()}
    totals = {}
    for name, (start, end) in spans.items():
        part = tx[(tx["date"] >= start) & (tx["date"] <= end)]
        totals[name] = {"revenue": float(part["amount"].sum()),
                        "margin": float(part["margin"].sum()) if has_margin else None,
                        "orders": int(periods[name]["orders"].sum())}
    last_year_partial = data_start > spans["ytd_ly"][0]

    # 18-month trend
    months = pd.period_range(end=month, periods=TREND_MONTHS, freq="M")
    window = tx[(tx["date"] >= months[0].to_timestamp()) & (tx["date"] <= as_of)]
    period = window["date"].dt.to_period("M")
    margin_col = window["margin"] if has_margin else pd.Series(np.nan, index=window.index)
    frame = pd.DataFrame({"customer_id": window["customer_id"], "month": period,
                          "revenue": window["amount"], "margin": margin_col})
    reported = frame[frame["customer_id"].isin(ids)]  # the reviews' trends
    monthly = reported.groupby(["customer_id", "month"], observed=True)[
        ["revenue", "margin"]].sum(min_count=1)
    monthly_total = frame.groupby("month")[["revenue", "margin"]].sum(min_count=1).reindex(
        months)

    contacts = sheets.get("Contacts")
    complaints = sheets.get("Complaints")
    if complaints is not None:
        complaints = _complaints_open(complaints, as_of)
    survey = _survey_frame(sheets.get("Survey"), as_of, tiers)

    from addin.reports.churn import churn_reports, churn_sections

    churn_report, forecast_report, churn_notes = churn_reports(sheets, as_of, tiers)
    measured = list(dict.fromkeys([*ids, *key_ids]))
    measures = _measures(measured, tiers, contacts, complaints, survey, as_of, cfg)
    if churn_report is not None:  # the win-back rule: the churn loss rule's verdict
        accounts = churn_report.accounts.reindex(measures.index)
        measures["lost"] = accounts["lost"].astype(float)
        measures["usual_gap_days"] = accounts["usual_gap_days"]
        clv = tiers["clv"].reindex(measures.index).astype(float).fillna(0.0)
        measures["value_at_stake"] = np.fmax(clv, accounts["revenue_12m"].astype(float))
    actions = next_actions(measures, cfg.actions)
    data = ReportData(
        month=month, month_start=month_start, as_of=as_of, settings=cfg, tiers=tiers,
        tier_history=tier_history, accounts=ids, key_accounts=key_ids, customers=customers,
        periods=periods,
        period_spans=spans, totals=totals, last_year_partial=bool(last_year_partial),
        data_start=data_start, monthly=monthly, monthly_total=monthly_total,
        trend_months=[str(m) for m in months], measures=measures, actions=actions,
        contacts=contacts, complaints=complaints, survey=survey, scorecard=scorecard,
        scorecard_by_period=scorecard_by_period)
    data.churn = churn_sections(churn_report, forecast_report, churn_notes)
    if churn_report is not None:  # per customer, for an executive's scope (summary.py)
        flags = churn_report.accounts
        data.churn["lost_ids"] = [str(c) for c in flags.index[flags["lost"].astype(bool)]]
        data.churn["at_risk_ids"] = [str(c) for c in
                                     flags.index[flags["at_risk"].astype(bool)]]
    upto = tx["date"][tx["date"] <= as_of]
    data.data_end = pd.Timestamp(upto.max()).normalize() if len(upto) else None
    data.data_warning = month_data_warning(data.data_end, month_start, as_of)
    return data


def _survey_frame(survey: pd.DataFrame | None, as_of: pd.Timestamp,
                  tiers: pd.DataFrame) -> pd.DataFrame | None:
    """Survey answers dated up to ``as_of`` (undated answers are kept: they count as current)
    with their quarter and the respondent customer's tier."""
    if survey is None or survey.empty:
        return None
    s = survey
    if "date" in s.columns:
        dates = pd.to_datetime(s["date"])
        s = s[dates.isna() | (dates <= as_of)].copy()
        s["quarter"] = pd.to_datetime(s["date"]).dt.to_period("Q")
    else:
        s = s.copy()
        s["date"] = pd.NaT
        s["quarter"] = pd.NaT
    if "customer_id" in s.columns:
        s["tier"] = s["customer_id"].map(tiers["pyramid_tier"])
    else:
        s["customer_id"] = None
        s["tier"] = None
    return s


def recent_survey(survey: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    start = as_of - pd.DateOffset(months=SURVEY_MONTHS)
    dates = pd.to_datetime(survey["date"])
    return survey[dates.isna() | (dates > start)]


def mean_satisfaction(values: pd.Series, scale: int) -> tuple[float | None, int]:
    valid = clean_answers(values, 1, scale).valid
    return (float(valid.mean()) if len(valid) else None), int(len(valid))


def _measures(ids: list[str], tiers: pd.DataFrame, contacts: pd.DataFrame | None,
              complaints: pd.DataFrame | None, survey: pd.DataFrame | None,
              as_of: pd.Timestamp, cfg: ReportSettings) -> pd.DataFrame:
    """The measures of the next-action rules, one row per reported account."""
    index = pd.Index(ids, name="customer_id", dtype=object)
    m = tiers.reindex(index)[["orders", "recency_days", "tenure_days", "recent_revenue",
                              "prior_revenue"]].copy()
    if complaints is not None:
        open_ = complaints[complaints["is_open"] & complaints["customer_id"].isin(ids)]
        target = cfg.actions.complaint_target_days
        grouped = open_.groupby("customer_id")["age_days"]
        m["open_complaints"] = grouped.size().reindex(index).fillna(0).astype(int)
        m["oldest_open_complaint_days"] = grouped.max().reindex(index)
        m["open_over_target"] = (open_["age_days"] > target).groupby(
            open_["customer_id"]).sum().reindex(index).fillna(0).astype(int)
    else:
        m["open_complaints"] = 0
        m["oldest_open_complaint_days"] = np.nan
        m["open_over_target"] = 0
    if survey is not None and "overall" in survey.columns:
        recent = recent_survey(survey, as_of)
        recent = recent[recent["customer_id"].isin(ids)]
        valid = clean_answers(recent["overall"], 1, cfg.survey.overall_scale).valid
        by = recent.loc[valid.index, "customer_id"]
        m["satisfaction_mean"] = valid.groupby(by).mean().reindex(index)
        m["satisfaction_n"] = valid.groupby(by).size().reindex(index).fillna(0).astype(int)
    else:
        m["satisfaction_mean"] = np.nan
        m["satisfaction_n"] = 0
    if contacts is not None:
        start = as_of - pd.DateOffset(months=RELATIONSHIP_MONTHS)
        c = contacts[contacts["customer_id"].isin(ids) & (contacts["date"] > start)
                     & (contacts["date"] <= as_of)]
        m["contacts_6m"] = c.groupby("customer_id").size().reindex(index).fillna(0).astype(
            int)
        if "staff" in c.columns:
            staff = c["staff"].astype("string").str.strip().replace("", pd.NA)
            m["staff_6m"] = staff.groupby(c["customer_id"]).nunique().reindex(index).fillna(
                0).astype(int)
        else:
            m["staff_6m"] = np.nan  # no staff column: the rule cannot tell
    else:
        m["contacts_6m"] = np.nan
        m["staff_6m"] = np.nan
    return m


# --------------------------------------------------------------------------------------------
# survey blocks, shared by the review and the summary

def window_quarters(month: str) -> list[pd.Period]:
    """The ``TREND_QUARTERS`` quarters ending with the report month's quarter."""
    last = pd.Period(month, freq="M").asfreq("Q")
    return [last - i for i in range(TREND_QUARTERS - 1, -1, -1)]


def quarter_scores(answers: pd.DataFrame, quarters: list[pd.Period], s: SurveySettings,
                   min_answers: int = 1) -> list[dict[str, Any]]:
    """Satisfaction (mean overall) and NPS for each of ``quarters`` (a quarter without
    answers is listed with 0 responses and no scores, so a trend keeps its time axis). A
    quarter's NPS from fewer than ``min_answers`` answers is withheld (:func:`too_few`):
    ``nps`` and ``nps_moe`` None, ``nps_too_few`` True, ``nps_n`` kept."""
    out = []
    dated = answers[answers["quarter"].notna()] if "quarter" in answers.columns \
        else answers.iloc[0:0]
    groups = {q: part for q, part in dated.groupby("quarter", sort=True)}
    for quarter in quarters:
        part = groups.get(quarter)
        row: dict[str, Any] = {"quarter": str(quarter), "responses": 0, "satisfaction": None,
                               "satisfaction_n": 0, "nps": None, "nps_moe": None, "nps_n": 0,
                               "nps_too_few": False}
        if part is not None and len(part):
            row["responses"] = int(len(part))
            if "overall" in part.columns:
                row["satisfaction"], row["satisfaction_n"] = mean_satisfaction(
                    part["overall"], s.overall_scale)
            if "nps" in part.columns:
                result = nps(part["nps"], s.nps_promoter_min, s.nps_detractor_max)
                row["nps_n"] = result.n
                row["nps_too_few"] = too_few(result.n, min_answers)
                if not row["nps_too_few"]:
                    row["nps"] = plain(result.score)
                    row["nps_moe"] = plain(result.margin_of_error)
        out.append(row)
    return out


def too_few(n: int | None, min_answers: int) -> bool:
    """The survey rule of the reports and the email (Settings ``min_survey_answers``,
    default 10): an NPS or CSAT from at least one but fewer than ``min_answers`` valid
    answers is not shown as a score but as "too few answers" with its n. With 3 answers
    an NPS can only be -100, -67, -33, 0, 33, 67 or 100, and its 95 % margin of error is
    about +-100 points; below ten answers a score misleads more than it informs. No answers
    at all is not "too few": it is no score (a dash)."""
    return n is not None and 0 < int(n) < int(min_answers)


def nps_block(values: pd.Series, s: SurveySettings, min_answers: int = 1) -> dict[str, Any]:
    """NPS of ``values`` with its 95 % margin of error (:func:`addin.surveys.nps`); from
    fewer than ``min_answers`` answers (:func:`too_few`) the score, margin and interval are
    None and ``too_few`` is True (``n`` and the counts stay)."""
    r = nps(values, s.nps_promoter_min, s.nps_detractor_max)
    out = {"score": plain(r.score), "moe": plain(r.margin_of_error), "n": r.n,
           "low": plain(r.ci_low), "high": plain(r.ci_high), "promoters": r.promoters,
           "passives": r.passives, "detractors": r.detractors,
           "too_few": too_few(r.n, min_answers), "min_answers": min_answers}
    if out["too_few"]:
        out.update(score=None, moe=None, low=None, high=None)
    return out


def csat_block(values: pd.Series, s: SurveySettings, min_answers: int = 1) -> dict[str, Any]:
    """CSAT (top-box share in percent, :func:`addin.surveys.csat`) with the Wilson 95 %
    interval of that share and half its width as the margin; from fewer than
    ``min_answers`` answers (:func:`too_few`) score, interval and margin are None and
    ``too_few`` is True."""
    from scipy.stats import binomtest

    score = csat(values, s.overall_scale, s.csat_top_box)
    out = {"score": plain(float(score)), "n": score.n, "low": None, "high": None,
           "moe": None, "top_box": s.csat_top_box, "scale": s.overall_scale,
           "too_few": too_few(score.n, min_answers), "min_answers": min_answers}
    if out["too_few"]:
        out["score"] = None
    elif score.n >= 1:
        k = int(round(float(score) * score.n / 100))
        ci = binomtest(k, score.n).proportion_ci(confidence_level=0.95, method="wilson")
        out.update(low=100 * float(ci.low), high=100 * float(ci.high),
                   moe=100 * float(ci.high - ci.low) / 2)
    return out


