"""The Settings-sheet keys that the churn analyses read, their defaults and their checks.

``churn_settings(settings)`` takes the Settings sheet as read (indexed by Excel row, so a bad
value is reported with its row) or a plain ``{key: value}`` mapping and returns a
:class:`ChurnSettings`. The keys live in the one registry, :mod:`addin.contract.settings`
(names, Chinese aliases, types, defaults, ranges), which matches them like headers; a missing
or blank key takes its default; a value that cannot be used raises
:class:`~addin.errors.InputError` naming the Settings row and what was expected.

| key | default | meaning |
| --- | --- | --- |
| ``loss_rule`` | ``either`` | ``gap``, ``alive`` or ``either``: which test marks an account lost |
| ``loss_gap_factor`` | 3 | k: lost when the last order is older than k x the usual gap |
| ``churn_min_silence_days`` | 90 | ... and older than this many days (a floor) |
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

from addin.contract.settings import SHEET, SettingValues, read_settings
from addin.errors import InputError

LOSS_RULES = ("gap", "alive", "either")
CHURN_PERIODS = {"month": "M", "quarter": "Q"}


@dataclass(frozen=True)
class ChurnSettings:
    """Everything the churn, win-back and forecast routines read from the Settings sheet."""

    loss_rule: str = "either"
    loss_gap_factor: float = 3.0
    alive_threshold: float = 0.1
    at_risk_gap_factor: float = 2.0
    churn_min_silence_days: int = 90
    churn_period: str = "quarter"
    churn_periods: int = 8
    forecast_months: int = 12
    holdout_months: int = 6
    revenue_plan: float | None = None
    reason_window_days: int = 365
    as_of: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        if self.loss_rule not in LOSS_RULES:
            raise InputError(f"loss_rule must be one of {', '.join(LOSS_RULES)}")
        if not self.loss_gap_factor > 0:
            raise InputError("loss_gap_factor must be a number > 0")
        if not 0 < self.at_risk_gap_factor:
            raise InputError("at_risk_gap_factor must be a number > 0")


def churn_settings(settings: Mapping[str, object] | pd.DataFrame | SettingValues | None,
                   sheet: str = SHEET) -> ChurnSettings:
    """Read the churn keys of the Settings sheet (see the module table) into
    :class:`ChurnSettings` through the one Settings reader
    (:func:`addin.contract.settings.read_settings`); every bad value raises at once, as one
    InputError naming its row of ``sheet``. ``loss_gap_factor`` 0 is refused (every account
    would be lost at once); ``at_risk_gap_factor`` may not exceed it."""
    s = read_settings(settings, sheet)
    v = s.values("churn")
    k = v["loss_gap_factor"]
    risk = v["at_risk_gap_factor"] if s.has("at_risk_gap_factor") else min(2.0, k)
    if risk > k:
        raise s.fail("at_risk_gap_factor", "a number of usual gaps > 0 and at most "
                                           "loss_gap_factor, such as 2")
    return ChurnSettings(
        loss_rule=v["loss_rule"],
        loss_gap_factor=k,
        alive_threshold=v["alive_threshold"],
        at_risk_gap_factor=risk,
        churn_min_silence_days=v["churn_min_silence_days"],
        churn_period=v["churn_period"],
        churn_periods=v["churn_periods"],
        forecast_months=v["forecast_months"],
        holdout_months=v["holdout_months"],
        revenue_plan=v["revenue_plan"],
        reason_window_days=v["reason_window_days"],
        as_of=v["as_of"],
    )
