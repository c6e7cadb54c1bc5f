"""Next actions for a key account: documented rules, each reported with the number that
triggered it.

One table, :data:`ACTION_RULES`, states every rule; :func:`next_actions` applies them to one
row of measures per account (vectorised) and returns one row per triggered action. The
thresholds come from the Settings sheet (:class:`ActionThresholds`, read by
:func:`addin.reports.settings.report_settings`).

Rules, most urgent first (the order of :data:`ACTION_RULES`):

* ``win_back``: the account is lost by the churn loss rule (:mod:`addin.churn.loss`: no
  order for more than ``loss_gap_factor`` (3) times its usual gap, the median days between
  its purchase days, or a P(alive) under the threshold): the Churn sheet's win-back list.
  The value is the days since the last order, the limit ``loss_gap_factor`` x the usual gap
  (at least ``churn_min_silence_days``, the loss rule's floor),
  the detail the value at stake (the account's revenue of the year before it went quiet, or
  its CLV, whichever is larger).
* ``complaint_overdue``: the age in days of the account's open complaints. Triggers when an
  open complaint is older than ``complaint_target_days`` (14): the workbook's own service
  target.
* ``low_satisfaction``: the mean ``overall`` satisfaction of the account's answers in the
  last 12 months. Triggers with at least one answer and a mean below
  ``satisfaction_threshold`` (3.5 on 1..5), the survey settings' line between satisfied and
  not (the satisfaction x loyalty matrix of Jones & Sasser 1995).
* ``spend_declining``: revenue of the last 180 days against the 180 days before
  (``recent_revenue`` / ``prior_revenue`` of the tiering). Triggers when the earlier window had
  revenue and the change is below -``spend_decline_share`` (-25 %): an early warning, before
  the life cycle's decline stage (a drop of ``decline_drop``, 50 %).
* ``purchase_overdue``: days since the last purchase against the account's own mean gap
  between purchases, (``tenure_days`` - ``recency_days``) / (``orders`` - 1). Triggers with
  two or more purchase days when the days since the last exceed ``overdue_factor`` (3) times
  the gap: the life cycle's overdue rule (:class:`addin.tiering.LifecycleRules`; with random,
  Poisson, gaps a steady buyer exceeds 3 gaps about 5 % of the time).
* ``single_contact``: distinct staff names in the Contacts of the last 6 months. Triggers at
  ``single_contact_staff`` (1) or fewer: when one person alone holds the relationship, it
  leaves with them.

Each result row carries ``value`` (the measure that triggered), ``limit`` (the threshold it
crossed, in the measure's unit) and ``detail`` (the second number the sentence needs: the
mean gap, the count of overdue complaints, the number of answers, the contacts). Missing
measures never trigger: an account without survey answers has no satisfaction action.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.contract import units
from addin.reports import i18n
from addin.reports import labels as _labels  # noqa: F401  (registers the report labels)


@dataclass(frozen=True)
class ActionRule:
    """One row of the rule table: the action's key, the measure it watches, when it
    triggers and the Settings key of its threshold (the advice is the label
    ``advice_<key>``)."""

    key: str
    measure: str
    trigger: str
    setting: str


ACTION_RULES: tuple[ActionRule, ...] = (
    ActionRule("win_back", "the churn loss rule: days since the last order against the usual "
               "gap between orders (or P(alive))", "the account is lost: more days than the "
               "factor times the usual gap (and than churn_min_silence_days), or P(alive) "
               "under its threshold",
               "loss_gap_factor"),
    ActionRule("complaint_overdue", "age in days of each open complaint",
               "an open complaint is older than the target", "complaint_target_days"),
    ActionRule("low_satisfaction", "mean overall satisfaction of the answers of the last "
               "12 months", "at least one answer and the mean below the threshold",
               "satisfaction_threshold"),
    ActionRule("spend_declining", "revenue change, last 180 days against the 180 days before",
               "the earlier window had revenue and the drop is larger than the share",
               "spend_decline_share"),
    ActionRule("purchase_overdue", "days since the last purchase against the mean gap "
               "between purchases", "two or more purchase days and more days than the factor "
               "times the gap", "overdue_factor"),
    ActionRule("single_contact", "distinct staff in the Contacts of the last 6 months",
               "this many staff or fewer", "single_contact_staff"),
)
ACTION_KEYS = tuple(rule.key for rule in ACTION_RULES)
ACTION_COLUMNS = ["customer_id", "action", "value", "limit", "detail"]
MEASURE_COLUMNS = (
    "orders", "recency_days", "tenure_days", "recent_revenue", "prior_revenue",
    "oldest_open_complaint_days", "open_over_target", "satisfaction_mean", "satisfaction_n",
    "staff_6m", "contacts_6m", "lost", "usual_gap_days", "value_at_stake",
)


@dataclass(frozen=True)
class ActionThresholds:
    """The thresholds of :data:`ACTION_RULES` (Settings keys of the same names)."""

    complaint_target_days: float = 14
    satisfaction_threshold: float = 3.5
    spend_decline_share: float = 0.25
    overdue_factor: float = 3.0
    single_contact_staff: int = 1
    loss_gap_factor: float = 3.0  # the churn loss rule's k (addin.churn.settings)
    min_silence_days: float = 90.0  # and its floor, churn_min_silence_days
    trend_days: int = 180  # the tiering's recent/prior revenue windows (rfm_summary)


def rules_markdown() -> str:
    """The rule table as Markdown, with each threshold's default (the README shows it; a
    test keeps the two equal)."""
    defaults = ActionThresholds()
    lines = ["| action | measure | triggers when | setting (default) |",
             "| --- | --- | --- | --- |"]
    lines += [f"| `{r.key}` | {r.measure} | {r.trigger} | `{r.setting}` "
              f"({getattr(defaults, r.setting):g}) |" for r in ACTION_RULES]
    return "\n".join(lines)


def _col(measures: pd.DataFrame, name: str) -> np.ndarray:
    if name not in measures.columns:
        return np.full(len(measures), np.nan)
    return pd.to_numeric(measures[name], errors="coerce").to_numpy(dtype=float,
                                                                   na_value=np.nan)


def next_actions(measures: pd.DataFrame, thresholds: ActionThresholds | None = None
                 ) -> pd.DataFrame:
    """The triggered actions of every account in ``measures`` (indexed by ``customer_id``,
    columns :data:`MEASURE_COLUMNS`; a missing column or value never triggers).

    Returns one row per triggered action, columns :data:`ACTION_COLUMNS`, ordered by account
    (as in ``measures``) and then by the rule table's order (the most urgent first).

    Hand-worked (defaults): 10 purchase days over a tenure of 300 days, the last 60 days ago:
    mean gap (300 - 60) / 9 = 26.7 days, limit 3 x 26.7 = 80 days, 60 < 80: no action; the
    last 90 days ago: gap (300 - 90) / 9 = 23.3, limit 70, 90 > 70: ``purchase_overdue`` with
    value 90, limit 70, detail 23.3.
    """
    th = thresholds or ActionThresholds()
    ids = measures.index.to_numpy(dtype=object)
    orders = _col(measures, "orders")
    recency = _col(measures, "recency_days")
    tenure = _col(measures, "tenure_days")
    recent = _col(measures, "recent_revenue")
    prior = _col(measures, "prior_revenue")
    oldest = _col(measures, "oldest_open_complaint_days")
    over = _col(measures, "open_over_target")
    sat_mean = _col(measures, "satisfaction_mean")
    sat_n = _col(measures, "satisfaction_n")
    staff = _col(measures, "staff_6m")
    contacts = _col(measures, "contacts_6m")
    lost = _col(measures, "lost")
    usual_gap = _col(measures, "usual_gap_days")
    at_stake = _col(measures, "value_at_stake")

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        gap = (tenure - recency) / (orders - 1)
        change = recent / prior - 1
        rules = {
            "win_back": (lost > 0, recency,
                         np.fmax(th.loss_gap_factor * usual_gap, th.min_silence_days),
                         at_stake),
            "complaint_overdue": (oldest > th.complaint_target_days, oldest,
                                  np.full(len(ids), float(th.complaint_target_days)), over),
            "low_satisfaction": ((sat_n >= 1) & (sat_mean < th.satisfaction_threshold),
                                 sat_mean, np.full(len(ids), th.satisfaction_threshold), sat_n),
            "spend_declining": ((prior > 0) & (change < -th.spend_decline_share), change,
                                np.full(len(ids), -th.spend_decline_share),
                                np.full(len(ids), float(th.trend_days))),
            "purchase_overdue": ((orders >= 2) & (gap > 0)
                                 & (recency > th.overdue_factor * gap),
                                 recency, th.overdue_factor * gap, gap),
            "single_contact": (staff <= th.single_contact_staff, staff,
                               np.full(len(ids), float(th.single_contact_staff)), contacts),
        }
    parts = []
    position = np.arange(len(ids))
    for order, key in enumerate(ACTION_KEYS):
        hit, value, limit, detail = rules[key]
        hit = np.asarray(hit, dtype=bool)
        if hit.any():
            parts.append(pd.DataFrame({
                "customer_id": ids[hit], "action": key, "value": value[hit],
                "limit": limit[hit], "detail": detail[hit],
                "_pos": position[hit], "_order": order}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("customer_id", "action")
                                          else float) for c in ACTION_COLUMNS})
    out = pd.concat(parts, ignore_index=True).sort_values(["_pos", "_order"], kind="stable")
    return out[ACTION_COLUMNS].reset_index(drop=True)


def describe_action(action: dict, lang: str = "en", short: bool = False,
                    currency: str = i18n.DEFAULT_CURRENCY) -> str:
    """The sentence that states an action with its numbers, in ``lang`` (the PDF and the
    email both use it, so they say the same thing); ``short`` gives the few words of the
    portfolio summary's list. ``action`` is a row of :func:`next_actions` as a mapping; an
    amount (win-back's value at stake) is money in ``currency``, whole units as the reports'
    money columns show it."""
    key = action["action"]
    value, limit, detail = action["value"], action["limit"], action["detail"]
    if key == "win_back":
        fields = {"days": i18n.number(value, lang), "limit": i18n.number(limit, lang),
                  "value": i18n.money(detail, lang, currency, 0)}
    elif key == "complaint_overdue":
        fields = {"count": i18n.number(detail, lang), "days": _in(value, "age", lang),
                  "target": _in(limit, "age", lang)}
    elif key == "low_satisfaction":
        fields = {"mean": _in(value, "score", lang), "answers": i18n.number(detail, lang),
                  "threshold": _in(limit, "score", lang)}
    elif key == "spend_declining":
        fields = {"change": i18n.percent(value, lang), "days": i18n.number(detail, lang),
                  "limit": i18n.percent(limit, lang, 0)}
    elif key == "purchase_overdue":
        fields = {"days": _in(value, "age", lang), "gap": _in(detail, "days", lang),
                  "limit": _in(limit, "days", lang)}
    elif key == "single_contact":
        fields = {"staff": i18n.number(value, lang), "contacts": i18n.number(detail, lang)}
    else:
        raise KeyError(f"unknown action {key!r}")
    return i18n.label(f"action_{'tag_' if short else ''}{key}", lang, **fields)


def _in(value: object, kind: str, lang: str) -> str:
    """The number alone, rounded as its kind rounds at every door (the label adds the unit)."""
    return i18n.number(value, lang, units.digits(kind))


def advice(key: str, lang: str = "en") -> str:
    """What to do about an action, in ``lang``."""
    return i18n.label(f"advice_{key}", lang)


__all__ = ["ACTION_RULES", "ACTION_KEYS", "ACTION_COLUMNS", "MEASURE_COLUMNS", "ActionRule",
           "ActionThresholds", "next_actions", "describe_action", "advice", "rules_markdown"]
