"""The report settings: every Settings key the PDF reports read (company names, currency,
fiscal year, the next-action thresholds), with the tiering and survey keys they share."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from addin.churn.settings import churn_settings
from addin.contract import coerce
from addin.contract.schema import header_key
from addin.errors import InputError
from addin.reports.actions import ActionThresholds
from addin.surveys import SurveySettings
from addin.tiering import TierSettings, tier_settings

_CURRENCY_ALIASES = {"rmb": "CNY", "人民币": "CNY", "元": "CNY", "¥": "CNY", "￥": "CNY",
                     "$": "USD", "us$": "USD", "€": "EUR"}
_ISO_CURRENCY = re.compile(r"^[A-Z]{3}$")


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
        loss_gap_factor=churn_settings(settings, sheet).loss_gap_factor,
    )
    company = text("company_name")
    return ReportSettings(company=company, company_zh=text("company_name_zh") or company,
                          currency=currency, fiscal_year_start=int(fiscal), actions=actions,
                          tiers=tiers, survey=survey)
