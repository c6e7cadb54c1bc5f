"""The report settings: every Settings key the PDF reports read (company names, currency,
fiscal year, the next-action thresholds), with the tiering and survey keys they share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from addin.churn.settings import churn_settings
from addin.contract.limits import REVIEW_SECONDS
from addin.contract.settings import read_settings
from addin.reports.actions import ActionThresholds
from addin.surveys import SurveySettings
from addin.tiering import TierSettings, tier_settings

_CURRENCY_ALIASES = {"rmb": "CNY", "人民币": "CNY", "元": "CNY", "¥": "CNY", "￥": "CNY",
                     "$": "USD", "us$": "USD", "€": "EUR"}
_ISO_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class ReportSettings:
    """What the reports read from the Settings sheet (every key optional; types, defaults and
    ranges in :mod:`addin.contract.settings`): ``company_name``, ``company_name_zh``,
    ``currency``, ``fiscal_year_start``, ``complaint_target_days``, ``spend_decline_share``,
    ``single_contact_staff``, ``review_time_limit`` (seconds one review may take to render
    before it is stopped and reported as skipped), ``min_survey_answers`` (an NPS or CSAT
    from fewer answers reads "too few answers", not a score), plus the tiering keys
    (:func:`addin.tiering.tier_settings`) and the survey keys
    (:class:`addin.surveys.SurveySettings`).
    """

    company: str = ""
    company_zh: str = ""
    currency: str = "CNY"
    fiscal_year_start: int = 1
    actions: ActionThresholds = field(default_factory=ActionThresholds)
    tiers: TierSettings = field(default_factory=TierSettings)
    survey: SurveySettings = field(default_factory=SurveySettings)
    review_time_limit: float = REVIEW_SECONDS
    min_survey_answers: int = 10

    def company_for(self, lang: str) -> str:
        return (self.company_zh or self.company) if lang == "zh" else self.company


def report_settings(settings: pd.DataFrame | Mapping[str, object] | None,
                    sheet: str = "Settings") -> ReportSettings:
    """Read :class:`ReportSettings` from the Settings sheet (a frame indexed by Excel row, or
    a ``{key: value}`` mapping) through the one Settings reader
    (:mod:`addin.contract.settings`). Every unreadable value of the keys the reports read
    (their own, the tiering's and the survey's) is raised at once, naming its row."""
    s = read_settings(settings, sheet)
    v = s.values("report", "tier", "survey")
    currency = s.text("currency") or "CNY"
    currency = _CURRENCY_ALIASES.get(currency.casefold(), currency.upper())
    if not _ISO_CURRENCY.match(currency):
        raise s.fail("currency", "a three-letter ISO 4217 code such as CNY or USD")
    tiers = tier_settings(s)
    survey = SurveySettings.from_settings(s)
    actions = ActionThresholds(
        complaint_target_days=v["complaint_target_days"],
        satisfaction_threshold=survey.satisfaction_threshold,
        spend_decline_share=v["spend_decline_share"],
        overdue_factor=tiers.lifecycle.overdue_factor,
        single_contact_staff=v["single_contact_staff"],
        loss_gap_factor=churn_settings(s).loss_gap_factor,
        min_silence_days=churn_settings(s).churn_min_silence_days,
    )
    company = v["company_name"]
    return ReportSettings(company=company, company_zh=v["company_name_zh"] or company,
                          currency=currency, fiscal_year_start=v["fiscal_year_start"],
                          actions=actions, tiers=tiers, survey=survey,
                          review_time_limit=v["review_time_limit"],
                          min_survey_answers=v["min_survey_answers"])
