"""The Settings-sheet keys that the churn analyses read, their defaults and their checks.

``churn_settings(settings)`` takes the Settings sheet as read (indexed by Excel row, so a bad
value is reported with its row) or a plain ``{key: value}`` mapping and returns a
:class:`ChurnSettings`. Keys match as in :mod:`addin.tiering.settings` (ignoring case, spaces,
``_`` and ``-``); a missing or blank key takes its default; a value that cannot be used raises
:class:`~addin.errors.InputError` naming the Settings row and what was expected.

| key | default | meaning |
| --- | --- | --- |
| ``loss_rule`` | ``either`` | ``gap``, ``alive`` or ``either``: which test marks an account lost |
| ``loss_gap_factor`` | 3 | k: lost when the last order is older than k x the usual gap |
| ``alive_threshold`` | 0.1 | lost when P(alive) is below this (shared with the life cycle) |
| ``at_risk_gap_factor`` | 2 | at risk when the last order is older than this x the usual gap |
| ``churn_period`` | ``quarter`` | ``month`` or ``quarter``: the periods of the churn rate |
| ``churn_periods`` | 8 | how many periods the churn table shows |
| ``forecast_months`` | 12 | forecast horizon in months |
| ``holdout_months`` | 6 | months held out to backtest the forecasts |
| ``revenue_plan`` | none | planned revenue of the forecast horizon (forecast vs plan) |
| ``reason_window_days`` | 365 | days before the loss (or as-of) that the reasons look at |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from addin.tiering.settings import SHEET, _Reader

LOSS_RULES = ("gap", "alive", "either")
CHURN_PERIODS = {"month": "M", "quarter": "Q"}


@dataclass(frozen=True)
class ChurnSettings:
    """Everything the churn, win-back and forecast routines read from the Settings sheet."""

    loss_rule: str = "either"
    loss_gap_factor: float = 3.0
    alive_threshold: float = 0.1
    at_risk_gap_factor: float = 2.0
    churn_period: str = "quarter"
    churn_periods: int = 8
    forecast_months: int = 12
    holdout_months: int = 6
    revenue_plan: float | None = None
    reason_window_days: int = 365
    as_of: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        if self.loss_rule not in LOSS_RULES:
            raise ValueError(f"loss_rule must be one of {', '.join(LOSS_RULES)}")
        if not self.loss_gap_factor > 0:
            raise ValueError("loss_gap_factor must be a number > 0")
        if not 0 < self.at_risk_gap_factor:
            raise ValueError("at_risk_gap_factor must be a number > 0")


def churn_settings(settings: Mapping[str, object] | pd.DataFrame | None,
                   sheet: str = SHEET) -> ChurnSettings:
    """Read the churn keys of the Settings sheet (see the module table) into
    :class:`ChurnSettings`; a bad value raises InputError naming its row of ``sheet``.
    ``loss_gap_factor`` 0 is refused (every account would be lost at once)."""
    s = _Reader(settings, sheet)
    rule = ChurnSettings.loss_rule
    if s.has("loss_rule"):
        rule = str(s.raw("loss_rule")).strip().casefold()
        if rule not in LOSS_RULES:
            raise s.fail("loss_rule", "gap, alive or either")
    k = s.number("loss_gap_factor", 3.0, "a number of usual gaps > 0, such as 3",
                 lambda v: v > 0)
    risk = s.number("at_risk_gap_factor", min(2.0, k), "a number of usual gaps > 0 and at most "
                    "loss_gap_factor, such as 2", lambda v: 0 < v <= k)
    period = ChurnSettings.churn_period
    if s.has("churn_period"):
        period = str(s.raw("churn_period")).strip().casefold()
        if period not in CHURN_PERIODS:
            raise s.fail("churn_period", "month or quarter")
    months = s.whole("forecast_months", 12, "a whole number of months from 1 to 36")
    if s.has("forecast_months") and not 1 <= months <= 36:
        raise s.fail("forecast_months", "a whole number of months from 1 to 36")
    holdout = s.whole("holdout_months", 6, "a whole number of months >= 1")
    if s.has("holdout_months") and holdout < 1:
        raise s.fail("holdout_months", "a whole number of months >= 1")
    periods = s.whole("churn_periods", 8, "a whole number of periods >= 1")
    if s.has("churn_periods") and periods < 1:
        raise s.fail("churn_periods", "a whole number of periods >= 1")
    window = s.whole("reason_window_days", 365, "a whole number of days >= 1")
    if s.has("reason_window_days") and window < 1:
        raise s.fail("reason_window_days", "a whole number of days >= 1")
    plan = None
    if s.has("revenue_plan"):
        plan = s.number("revenue_plan", None, "an amount > 0 (the plan for the forecast months)",
                        lambda v: v > 0)
    return ChurnSettings(
        loss_rule=rule,
        loss_gap_factor=k,
        alive_threshold=s.number("alive_threshold", 0.1,
                                 "a share between 0 and 1 (such as 0.1 or 10%)",
                                 lambda v: 0 <= v <= 1),
        at_risk_gap_factor=risk,
        churn_period=period,
        churn_periods=periods,
        forecast_months=months,
        holdout_months=holdout,
        revenue_plan=plan,
        reason_window_days=window,
        as_of=s.date("as_of"),
    )
