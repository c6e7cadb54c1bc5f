"""Plain contexts for the PDF reports, built from the workbook's DataFrames.

:func:`prepare_reports` computes once what every report of a month needs (the tiering as of
the month's end and of the eleven month-ends before it, period sums, survey scores, the
measures of the next-action rules); :func:`review_context` and :func:`summary_context` then
cut one plain dict per report out of it. The dicts hold numbers, dates, text, lists and
dicts only: numbers stay numbers and the templates format them per language (the i18n
filters), so Python never writes a number meant for the page.

Every figure comes from a routine of the add-in or a plain pandas sum stated here:

* tiers, pyramid level, RFM, CLV, probability alive, life-cycle stage, relationship level:
  :func:`addin.tiering.tier_customers` as of the month's last day; the tier history and the
  tier movers call it again as of each earlier month's last day (lines after that day are
  ignored, so last month's tiers are the tiers last month's report showed);
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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from addin.errors import InputError
from addin.reports.actions import ACTION_KEYS, ActionThresholds, next_actions
from addin.scorecard import ScorecardResult, kpi_status
from addin.surveys import SurveySettings, clean_answers, csat, nps
from addin.tiering import TierSettings, rfm_summary, tier_customers, tier_settings
from addin.workbook import coerce
from addin.workbook.schema import header_key

TREND_MONTHS = 18
HISTORY_MONTHS = 12
SURVEY_MONTHS = 12
RELATIONSHIP_MONTHS = 6
TREND_QUARTERS = 6
LAST_INTERACTIONS = 8
MAIN_CONTACTS = 3
TOP_ACCOUNTS = 20
AT_RISK_ROWS = 15
_CLOSED_WORDS = {"closed", "resolved", "done", "已关闭", "关闭", "已解决", "解决", "已处理"}
_CURRENCY_ALIASES = {"rmb": "CNY", "人民币": "CNY", "元": "CNY", "¥": "CNY", "￥": "CNY",
                     "$": "USD", "us$": "USD", "€": "EUR"}
_ISO_CURRENCY = re.compile(r"^[A-Z]{3}$")


# --------------------------------------------------------------------------------------------
# settings


@dataclass(frozen=True)
class ReportSettings:
    """What the reports read from the Settings sheet (every key optional):

    | key | default | meaning |
    | --- | --- | --- |
    | ``company_name`` | blank | the running header and the PDF author |
    | ``company_name_zh`` | ``company_name`` | the same in Chinese reports |
    | ``currency`` | CNY | ISO 4217 code (RMB and 人民币 read as CNY) |
    | ``fiscal_year_start`` | 1 | month number the fiscal year starts in (year to date) |
    | ``complaint_target_days`` | 14 | days within which a complaint should be resolved |
    | ``spend_decline_share`` | 0.25 | revenue drop that makes a next action |
    | ``single_contact_staff`` | 1 | at most this many staff in 6 months is a single point |

    plus the tiering keys (:func:`addin.tiering.tier_settings`) and the survey keys
    (:class:`addin.surveys.SurveySettings`).
    """

    company: str = ""
    company_zh: str = ""
    currency: str = "CNY"
    fiscal_year_start: int = 1
    actions: ActionThresholds = field(default_factory=ActionThresholds)
    tiers: TierSettings = field(default_factory=TierSettings)
    survey: SurveySettings = field(default_factory=SurveySettings)

    def company_for(self, lang: str) -> str:
        return (self.company_zh or self.company) if lang == "zh" else self.company


def _settings_rows(settings: pd.DataFrame | Mapping[str, object] | None
                   ) -> dict[str, tuple[int | None, object]]:
    rows: dict[str, tuple[int | None, object]] = {}
    if settings is None:
        return rows
    if isinstance(settings, pd.DataFrame):
        items = zip(settings.index, settings["key"], settings["value"], strict=True)
    else:
        items = ((None, k, v) for k, v in settings.items())
    for row, key, value in items:
        if key is None or (isinstance(key, float) and math.isnan(key)):
            continue
        if value is None or (isinstance(value, float) and math.isnan(value)) or (
                isinstance(value, str) and not value.strip()):
            continue
        excel_row = int(row) if isinstance(row, (int, np.integer)) else None
        rows[header_key(key)] = (excel_row, value)
    return rows


def report_settings(settings: pd.DataFrame | Mapping[str, object] | None,
                    sheet: str = "Settings") -> ReportSettings:
    """Read :class:`ReportSettings` from the Settings sheet (a frame indexed by Excel row, or
    a ``{key: value}`` mapping). A bad value raises InputError naming its row."""
    rows = _settings_rows(settings)

    def fail(key: str, expected: str) -> InputError:
        row, value = rows[header_key(key)]
        return InputError(f"setting {key!r}: expected {expected}", sheet=sheet, row=row,
                          column="value", value=value, has_value=True)

    def number(key: str, default: float, expected: str, ok) -> float:
        if header_key(key) not in rows:
            return default
        value, bad = coerce.to_number(pd.Series([rows[header_key(key)][1]], dtype=object))
        v = float(value.iloc[0])
        if bool(bad.iloc[0]) or not math.isfinite(v) or not ok(v):
            raise fail(key, expected)
        return v

    def text(key: str) -> str:
        return str(rows[header_key(key)][1]).strip() if header_key(key) in rows else ""

    currency = text("currency") or "CNY"
    currency = _CURRENCY_ALIASES.get(currency.casefold(), currency.upper())
    if not _ISO_CURRENCY.match(currency):
        raise fail("currency", "a three-letter ISO 4217 code such as CNY or USD")
    fiscal = number("fiscal_year_start", 1, "a month number 1..12",
                    lambda v: v.is_integer() and 1 <= v <= 12)
    tiers = tier_settings(settings, sheet)
    survey = SurveySettings.from_settings(settings)
    actions = ActionThresholds(
        complaint_target_days=number("complaint_target_days", 14,
                                     "a number of days >= 0", lambda v: v >= 0),
        satisfaction_threshold=survey.satisfaction_threshold,
        spend_decline_share=number("spend_decline_share", 0.25,
                                   "a share between 0 and 1 (such as 0.25 or 25%)",
                                   lambda v: 0 < v <= 1),
        overdue_factor=tiers.lifecycle.overdue_factor,
        single_contact_staff=int(number("single_contact_staff", 1,
                                        "a whole number of staff >= 0",
                                        lambda v: v.is_integer() and v >= 0)),
    )
    company = text("company_name")
    return ReportSettings(company=company, company_zh=text("company_name_zh") or company,
                          currency=currency, fiscal_year_start=int(fiscal), actions=actions,
                          tiers=tiers, survey=survey)


# --------------------------------------------------------------------------------------------
# small helpers


def _plain(value: Any) -> Any:
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


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): _plain(v) for k, v in row.items()}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_record(r) for r in frame.to_dict("records")]


def _ratio(num: float | None, den: float | None) -> float | None:
    """num / den; None when either is missing or den is 0."""
    if den is None or num is None or not math.isfinite(den) or den == 0 \
            or not math.isfinite(num):
        return None
    return float(num) / float(den)


def _change(now: float, before: float) -> float | None:
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
    dated = tx["date"]
    data_start = pd.Timestamp(dated.min()) if len(dated) else None
    if data_start is None or data_start > as_of:
        raise InputError(f"no transactions on or before the end of {month}: the log starts "
                         f"{data_start.date() if data_start is not None else 'nowhere'}",
                         sheet="Transactions", column="date")
    has_margin = "margin" in tx.columns and tx["margin"].notna().any()
    customers_sheet = sheets.get("Customers")

    tiers = tier_customers(customers_sheet, tx, cfg.tiers, as_of=as_of)
    history_ends = [p.to_timestamp(how="end").normalize() for p in
                    pd.period_range(end=month, periods=HISTORY_MONTHS, freq="M")]
    history = {}
    for end in history_ends:
        label = end.strftime("%Y-%m")
        if end == as_of:
            history[label] = tiers["pyramid_tier"]
        elif end >= data_start:
            history[label] = tier_customers(customers_sheet, tx, cfg.tiers,
                                            as_of=end)["pyramid_tier"]
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

    measured = list(dict.fromkeys([*ids, *key_ids]))
    measures = _measures(measured, tiers, contacts, complaints, survey, as_of, cfg)
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


def _recent_survey(survey: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    start = as_of - pd.DateOffset(months=SURVEY_MONTHS)
    dates = pd.to_datetime(survey["date"])
    return survey[dates.isna() | (dates > start)]


def _mean_satisfaction(values: pd.Series, scale: int) -> tuple[float | None, int]:
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
        recent = _recent_survey(survey, as_of)
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
# the key-account review


def _tier_level(data: ReportData, tier: Any) -> int | None:
    labels = list(data.settings.tiers.pyramid_labels)
    return labels.index(tier) + 1 if tier in labels else None


def _window_quarters(month: str) -> list[pd.Period]:
    """The ``TREND_QUARTERS`` quarters ending with the report month's quarter."""
    last = pd.Period(month, freq="M").asfreq("Q")
    return [last - i for i in range(TREND_QUARTERS - 1, -1, -1)]


def _quarter_scores(answers: pd.DataFrame, quarters: list[pd.Period], s: SurveySettings
                    ) -> list[dict[str, Any]]:
    """Satisfaction (mean overall) and NPS for each of ``quarters`` (a quarter without
    answers is listed with 0 responses and no scores, so a trend keeps its time axis)."""
    out = []
    dated = answers[answers["quarter"].notna()] if "quarter" in answers.columns \
        else answers.iloc[0:0]
    groups = {q: part for q, part in dated.groupby("quarter", sort=True)}
    for quarter in quarters:
        part = groups.get(quarter)
        row: dict[str, Any] = {"quarter": str(quarter), "responses": 0, "satisfaction": None,
                               "satisfaction_n": 0, "nps": None, "nps_moe": None, "nps_n": 0}
        if part is not None and len(part):
            row["responses"] = int(len(part))
            if "overall" in part.columns:
                row["satisfaction"], row["satisfaction_n"] = _mean_satisfaction(
                    part["overall"], s.overall_scale)
            if "nps" in part.columns:
                result = nps(part["nps"], s.nps_promoter_min, s.nps_detractor_max)
                row["nps"] = _plain(result.score)
                row["nps_moe"] = _plain(result.margin_of_error)
                row["nps_n"] = result.n
        out.append(row)
    return out


def _nps_block(values: pd.Series, s: SurveySettings) -> dict[str, Any]:
    r = nps(values, s.nps_promoter_min, s.nps_detractor_max)
    return {"score": _plain(r.score), "moe": _plain(r.margin_of_error), "n": r.n,
            "low": _plain(r.ci_low), "high": _plain(r.ci_high), "promoters": r.promoters,
            "passives": r.passives, "detractors": r.detractors}


def _csat_block(values: pd.Series, s: SurveySettings) -> dict[str, Any]:
    from scipy.stats import binomtest

    score = csat(values, s.overall_scale, s.csat_top_box)
    out = {"score": _plain(float(score)), "n": score.n, "low": None, "high": None,
           "moe": None, "top_box": s.csat_top_box, "scale": s.overall_scale}
    if score.n >= 1:
        k = int(round(float(score) * score.n / 100))
        ci = binomtest(k, score.n).proportion_ci(confidence_level=0.95, method="wilson")
        out.update(low=100 * float(ci.low), high=100 * float(ci.high),
                   moe=100 * float(ci.high - ci.low) / 2)
    return out


def _period_block(data: ReportData, customer_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, sums in data.periods.items():
        row = sums.reindex([customer_id]).iloc[0]
        revenue = float(row["revenue"]) if pd.notna(row["revenue"]) else 0.0
        margin = _plain(row["margin"])
        if margin is None and data.totals[name]["margin"] is not None:
            margin = 0.0
        out[name] = {"revenue": revenue, "margin": margin,
                     "orders": int(row["orders"]) if pd.notna(row["orders"]) else 0,
                     "margin_rate": _ratio(margin, revenue) if margin is not None else None,
                     "share": _ratio(revenue, data.totals[name]["revenue"])}
    out["month_change"] = _change(out["month"]["revenue"], out["month_ly"]["revenue"])
    out["ytd_change"] = _change(out["ytd"]["revenue"], out["ytd_ly"]["revenue"])
    if out["ytd"]["margin"] is not None and out["ytd_ly"]["margin"] is not None:
        out["ytd_margin_change"] = _change(out["ytd"]["margin"], out["ytd_ly"]["margin"])
    else:
        out["ytd_margin_change"] = None
    return out


def _actions_for(data: ReportData, customer_id: str) -> list[dict[str, Any]]:
    a = data.actions[data.actions["customer_id"] == customer_id]
    return _records(a)


def review_context(data: ReportData, customer_id: str, lang: str = "en") -> dict[str, Any]:
    """The plain context of one key-account review (see ``report_templates/review.html``)."""
    s = data.settings
    t = data.tiers.loc[customer_id]
    card = (data.customers.loc[customer_id] if customer_id in data.customers.index
            else pd.Series(dtype=object))

    def field_(name: str) -> Any:
        return _plain(card.get(name)) if name in card.index else None

    tier = _plain(t["pyramid_tier"])
    account = {
        "customer_id": customer_id,
        "name": _plain(t.get("name")) or field_("name") or customer_id,
        "tier": tier, "tier_level": _tier_level(data, tier),
        "tier_levels": len(s.tiers.pyramid_labels),
        "key_account": bool(t["key_account"]), "abc_class": _plain(t["abc_class"]),
        "rank": _plain(t["rank"]), "customers": int(len(data.tiers)),
        **{k: field_(k) for k in ("account_manager", "industry", "region", "segment", "size",
                                  "credit_level", "since", "email", "phone")},
    }
    value = {
        **_period_block(data, customer_id),
        **{k: _plain(t[k]) for k in ("clv", "clv_method", "prob_alive", "rfm_segment",
                                     "rfm_score", "r_score", "f_score", "m_score",
                                     "lifecycle_stage", "relationship_level", "recency_days",
                                     "orders", "revenue", "margin", "first_purchase",
                                     "last_purchase", "value_share", "expected_purchases")},
    }
    value["clv_months"] = s.tiers.clv_months

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
    tier_history = [{"month": m, "tier": _plain(v)} for m, v in history.items()
                    if _plain(v) is not None]
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
    recent = _recent_survey(answers, data.as_of)
    out: dict[str, Any] = {"responses": int(len(answers)), "recent_responses": int(len(recent)),
                           "quarters": _quarter_scores(answers, _window_quarters(data.month),
                                                       s),
                           "scale": s.overall_scale, "nps": None, "satisfaction": None,
                           "satisfaction_n": 0}
    if "nps" in recent.columns:
        out["nps"] = _nps_block(recent["nps"], s)
    if "overall" in recent.columns:
        out["satisfaction"], out["satisfaction_n"] = _mean_satisfaction(recent["overall"],
                                                                         s.overall_scale)
    last = pd.to_datetime(answers["date"]).max() if "date" in answers.columns else pd.NaT
    out["last_answer"] = _plain(last)
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
    rows = _records(open_[cols])
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
                           "staff_6m": _plain(m.get("staff_6m")),
                           "contacts_6m": _plain(m.get("contacts_6m")), "staff_names": [],
                           "main_contacts": [], "months": RELATIONSHIP_MONTHS,
                           "single_point": False, "manager_only": False}
    if data.contacts is None:
        return out
    c = data.contacts[(data.contacts["customer_id"] == customer_id)
                      & (data.contacts["date"] <= data.as_of)]
    cols = [k for k in ("date", "channel", "staff", "subject", "outcome") if k in c.columns]
    out["last"] = _records(c.sort_values("date", ascending=False, kind="stable")
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
                               and out["staff_names"][0] == _plain(manager))
    return out


# --------------------------------------------------------------------------------------------
# the portfolio summary


def summary_context(data: ReportData, lang: str = "en") -> dict[str, Any]:
    """The plain context of the portfolio summary (see ``report_templates/summary.html``)."""
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
        revenue, ytd_sum = _plain(row["revenue"]) or 0.0, _plain(row["ytd"]) or 0.0
        tiers_rows.append({
            "tier": label, "key": label in s.tiers.key_account_tiers, "customers": customers,
            "customer_share": customers / n if n else None, "revenue": revenue,
            "revenue_share": _ratio(revenue, total_value), "ytd": ytd_sum,
            "ytd_share": _ratio(ytd_sum, ytd_total)})

    table = pareto_table(t[value_col])
    point = pareto_point(t[value_col])
    top20 = pareto_point(t[value_col], 0.2) if n else None
    counts = np.unique(np.ceil(np.round(np.arange(1, 101) / 100 * n, 9)).astype(np.int64)) \
        if n else np.array([], dtype=np.int64)
    cumulative = table["cumulative_share"].to_numpy()
    curve = {"x": [0.0, *(counts / n).tolist()] if n else [],
             "y": [0.0, *cumulative[counts - 1].tolist()] if n else []}
    pareto = {"customers": point.customers, "n": point.n,
              "customer_share": _plain(point.customer_share),
              "value_share": _plain(point.value_share),
              "top20_share": _plain(top20.value_share) if top20 else None,
              "value": value_col, "curve": curve}

    # top accounts, by the tiering's rank
    top = t.sort_values("rank", kind="stable").head(TOP_ACCOUNTS)
    ytd_ly = data.periods["ytd_ly"]["revenue"]
    top_rows = []
    for cid, row in top.iterrows():
        y = float(ytd.get(cid, 0.0))
        top_rows.append({
            "customer_id": cid, "name": _plain(row.get("name")) or cid,
            "region": _plain(row.get("region")), "tier": row["pyramid_tier"],
            "rank": int(row["rank"]), "revenue": float(row["revenue"]),
            "value_share": _plain(row["value_share"]), "ytd": y,
            "ytd_share": _ratio(y, ytd_total),
            "ytd_change": _change(y, float(ytd_ly.get(cid, 0.0))),
            "rfm_segment": _plain(row["rfm_segment"]),
            "lifecycle_stage": _plain(row["lifecycle_stage"])})

    movers = _movers(data)
    at_risk_all = _at_risk(data)
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
        "month_change": _change(data.totals["month"]["revenue"],
                                data.totals["month_ly"]["revenue"]),
        "revenue_ytd": ytd_total, "revenue_ytd_ly": data.totals["ytd_ly"]["revenue"],
        "ytd_change": _change(ytd_total, data.totals["ytd_ly"]["revenue"]),
        "margin_ytd": data.totals["ytd"]["margin"],
        "margin_rate_ytd": _ratio(data.totals["ytd"]["margin"], ytd_total)
        if data.totals["ytd"]["margin"] is not None else None,
        "key_share_ytd": _ratio(float(ytd[key].sum()), ytd_total),
        "at_risk": len(at_risk_all),
        "nps": survey["nps"]["score"] if survey and survey.get("nps") else None,
        "nps_moe": survey["nps"]["moe"] if survey and survey.get("nps") else None,
        "csat": survey["csat"]["score"] if survey and survey.get("csat") else None,
        "scorecard": scorecard["overall"] if scorecard else None,
    }
    return {
        "kind": "summary", "lang": lang, "currency": s.currency,
        "company": s.company_for(lang), "month": data.month,
        "month_start": data.month_start.date(), "as_of": data.as_of.date(),
        "data_start": data.data_start.date() if data.data_start is not None else None,
        "last_year_partial": data.last_year_partial, "headline": headline,
        "tiers": tiers_rows, "pareto": pareto, "top": top_rows, "movers": movers,
        "at_risk": at_risk, "at_risk_more": len(at_risk_all) - len(at_risk),
        "survey": survey, "scorecard": scorecard,
        "monthly_total": {"months": list(data.trend_months),
                          "revenue": [_plain(v) or 0.0 for v in
                                      data.monthly_total["revenue"]],
                          "margin": ([_plain(v) for v in data.monthly_total["margin"]]
                                     if data.totals["month"]["margin"] is not None else None)},
    }


def _movers(data: ReportData) -> dict[str, Any]:
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
    rows = [{"customer_id": cid, **_record(r)} for cid, r in
            relevant[["name", "region", "before", "now", "up", "rank", "revenue"]].iterrows()]
    for r in rows:
        r["name"] = r["name"] or r["customer_id"]
    matrix = pd.crosstab(before[before.notna() & now.notna()],
                         now[before.notna() & now.notna()]).reindex(
        index=labels, columns=labels, fill_value=0)
    return {"previous_month": previous_month, "rows": rows, "labels": labels,
            "matrix": [{"from": f, "counts": [int(v) for v in matrix.loc[f]]}
                       for f in labels],
            "changed": int(changed.sum()), "key_changed": len(rows)}


def _at_risk(data: ReportData) -> list[dict[str, Any]]:
    """Key accounts with at least one next action: most actions first, then the most urgent
    action (the rule table's order), then by rank."""
    a = data.actions
    a = a[a["customer_id"].isin(data.key_accounts)]
    if a.empty:
        return []
    t = data.tiers
    out = []
    for cid, part in a.groupby("customer_id", sort=False):
        out.append({"customer_id": cid, "name": _plain(t.at[cid, "name"]) if "name" in t
                    else cid, "region": _plain(t.at[cid, "region"]) if "region" in t else None,
                    "tier": t.at[cid, "pyramid_tier"], "rank": int(t.at[cid, "rank"]),
                    "revenue": float(t.at[cid, "revenue"]), "actions": _records(part)})
    urgency = {key: i for i, key in enumerate(ACTION_KEYS)}
    out.sort(key=lambda r: (-len(r["actions"]), urgency[r["actions"][0]["action"]], r["rank"]))
    for r in out:
        r["name"] = r["name"] or r["customer_id"]
    return out


def _summary_survey(data: ReportData) -> dict[str, Any] | None:
    if data.survey is None or data.survey.empty:
        return None
    s = data.settings.survey
    recent = _recent_survey(data.survey, data.as_of)
    dates = pd.to_datetime(recent["date"])
    out: dict[str, Any] = {"responses": int(len(recent)),
                           "start": _plain(dates.min()), "end": _plain(dates.max()),
                           "months": SURVEY_MONTHS, "nps": None, "csat": None}
    if "nps" in recent.columns:
        out["nps"] = _nps_block(recent["nps"], s)
    if "overall" in recent.columns:
        out["csat"] = _csat_block(recent["overall"], s)
    by_tier = []
    for label in data.settings.tiers.pyramid_labels:
        part = recent[recent["tier"] == label]
        row = {"tier": label, "responses": int(len(part)), "nps": None, "csat": None}
        if "nps" in part.columns:
            row["nps"] = _nps_block(part["nps"], s)
        if "overall" in part.columns:
            row["csat"] = _csat_block(part["overall"], s)
        by_tier.append(row)
    out["by_tier"] = by_tier
    out["quarters"] = _quarter_scores(data.survey, _window_quarters(data.month), s)
    return out


def _summary_scorecard(data: ReportData) -> dict[str, Any] | None:
    r = data.scorecard
    if r is None:
        return None
    overall_status = str(kpi_status(pd.Series([r.overall / 100]))[0])
    perspectives = [{"perspective": p, "score": _plain(row["score"]),
                     "weight": _plain(row["weight"]), "status": row["status"],
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
                 "overall": [_plain(v) for v in bp["overall"]]}
    return {"overall": float(r.overall), "status": overall_status, "period": r.period,
            "perspectives": perspectives, "weights_source": r.weights_source,
            "attention": _records(kpis[cols].sort_values("status", key=lambda s: s.map(
                {"red": 0, "amber": 1}), kind="stable")),
            "notes": list(r.notes), "trend": trend}


__all__ = ["ReportData", "ReportSettings", "report_settings", "prepare_reports",
           "review_context", "summary_context", "default_month", "month_bounds"]
