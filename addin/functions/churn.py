"""Churn and forecast as worksheet functions: CRM_RETENTION, CRM_CHURN, CRM_FORECAST. Thin
doors: ranges in through :mod:`addin.functions.ranges`, the routines of :mod:`addin.churn` (the
same calls the ``Retention``, ``Churn`` and ``Forecast`` sheets make), a spilled array out."""

from __future__ import annotations

from typing import Any

from addin.churn.forecast import fit_models, portfolio_forecast
from addin.churn.history import clean_log
from addin.churn.loss import LossRule, account_table, lost_accounts
from addin.churn.retention import cohort_retention, retention_matrix
from addin.churn.settings import LOSS_RULES
from addin.errors import InputError
from addin.functions.ranges import excel_function, scalar, spill
from addin.functions.tiering import _transactions

__all__ = ["CRM_CHURN", "CRM_FORECAST", "CRM_RETENTION"]

CATEGORY = "CRM Churn"
_IDS = "the customer id of each transaction (a column)"
_DATES = "the date of each transaction"
_AMOUNTS = "the amount of each transaction (returns negative)"
_AS_OF = "the date to compute as of (default: the last date)"


def _log(customer_ids: Any, dates: Any, amounts: Any):
    return clean_log(_transactions(customer_ids, dates, amounts), "customer_ids")


@excel_function(CATEGORY, heavy=True, customer_ids=_IDS, dates=_DATES, amounts=_AMOUNTS,
                as_of=_AS_OF)
def CRM_RETENTION(customer_ids, dates, amounts, as_of=None):
    """Cohort retention: one row per acquisition month (with its size), one column per month
    since the first order, the share of the cohort that bought in that month."""
    log = _log(customer_ids, dates, amounts)
    when = scalar(as_of, "as_of", "date", default=None)
    return spill(retention_matrix(cohort_retention(log, when), "active_share"))


@excel_function(CATEGORY, heavy=True, customer_ids=_IDS, dates=_DATES, amounts=_AMOUNTS,
                loss_gap_factor="k: lost when the last order is older than k usual gaps "
                                "(default 3)",
                loss_rule="gap, alive or either (default either)",
                as_of=_AS_OF,
                min_silence_days="the gap test never marks an account lost before this many "
                                 "days without an order (default 90; 0: no floor)")
def CRM_CHURN(customer_ids, dates, amounts, loss_gap_factor=None, loss_rule=None, as_of=None,
              min_silence_days=None):
    """Who was lost: per customer the usual gap between orders, days since the last, P(alive)
    from a BG/NBD fit, lost and at-risk flags and the loss date, by the documented loss rule
    (silent for more than k usual gaps and at least min_silence_days, or P(alive) low)."""
    from addin.tiering import tier_customers  # the same fit the Churn sheet uses

    tx = _transactions(customer_ids, dates, amounts)
    log = clean_log(tx, "customer_ids")
    k = scalar(loss_gap_factor, "loss_gap_factor", default=3.0)
    rule = scalar(loss_rule, "loss_rule", "text", default="either")
    rule = str(rule).strip().casefold()
    if rule not in LOSS_RULES:
        raise InputError(f"loss_rule: expected gap, alive or either (found {rule!r})")
    if not k > 0:
        raise InputError(f"loss_gap_factor: expected a number of usual gaps > 0 (found {k!r})")
    floor = scalar(min_silence_days, "min_silence_days", default=90.0)
    if not (floor >= 0 and float(floor).is_integer()):
        raise InputError(f"min_silence_days: expected a whole number of days >= 0 "
                         f"(found {floor!r})")
    when = scalar(as_of, "as_of", "date", default=None)
    end = when if when is not None else log["day"].max()
    loss = LossRule(rule, k, min_silence_days=float(floor))
    tiers = tier_customers(None, tx, {"as_of": end}, loss=loss).table
    return spill(account_table(lost_accounts(log, end, loss, tiers["prob_alive"])))


@excel_function(CATEGORY, heavy=True, customer_ids=_IDS, dates=_DATES, amounts=_AMOUNTS,
                months="forecast horizon in months (default 12)", as_of=_AS_OF)
def CRM_FORECAST(customer_ids, dates, amounts, months=None, as_of=None):
    """Revenue forecast of the existing customers: BG/NBD expected purchases times the
    Gamma-Gamma spend, per month, summed over customers, with a 95 % interval."""
    log = _log(customer_ids, dates, amounts)
    horizon = scalar(months, "months", default=12.0)
    if not (1 <= horizon <= 36 and float(horizon).is_integer()):
        raise InputError(f"months: expected a whole number of months from 1 to 36 "
                         f"(found {horizon!r})")
    when = scalar(as_of, "as_of", "date", default=None)
    return spill(portfolio_forecast(fit_models(log, when), int(horizon)))
