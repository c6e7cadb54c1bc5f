"""Where a customer stands in its life cycle, and how close a relationship it deserves.

Public through :mod:`addin.tiering`: ``lifecycle_stage`` with its thresholds in
``LifecycleRules``, and ``relationship_level`` with Kotler's table ``RELATIONSHIP_LEVELS``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from addin.errors import InputError

# The five stages of the customer relationship life cycle (客户关系生命周期), in order, with the
# names Chinese CRM textbooks give them.
LIFECYCLE_STAGES: dict[str, str] = {
    "exploration": "考察期",
    "formation": "形成期",
    "stability": "稳定期",
    "decline": "衰退期",
    "termination": "终止期",
}


@dataclass(frozen=True)
class LifecycleRules:
    """Thresholds of :func:`lifecycle_stage`; each is also a key of the Settings sheet.

    * ``inactive_days`` (180): no purchase for longer than this is termination.
    * ``alive_threshold`` (0.1): a BG/NBD probability of being alive below this is termination.
    * ``exploration_days`` (90): a first purchase at most this many days ago is exploration.
    * ``stability_days`` (365) and ``stability_orders`` (4): repeat buyers with at least this
      tenure and this many purchase days are stable.
    * ``decline_drop`` (0.5): spend in the recent window down by more than this share from the
      window before is decline. Halved, by default: the half-year revenue of a customer with
      ten orders of log-normal size varies by about a third between half-years, so a 30 %
      drop is often noise.
    * ``overdue_factor`` (3): no purchase for more than this many times the customer's own mean
      gap between purchases is decline. With purchases at random (Poisson) gaps, a steady
      customer exceeds 3 gaps only about 5 % of the time (e^-3), 2 gaps 14 % of the time.
    """

    inactive_days: int = 180
    alive_threshold: float = 0.1
    exploration_days: int = 90
    stability_days: int = 365
    stability_orders: int = 4
    decline_drop: float = 0.5
    overdue_factor: float = 3.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not np.isfinite(value) or value < 0:
                raise InputError(f"{f.name} must be a number >= 0 (got {value!r})")
        if not 0 <= self.alive_threshold <= 1:
            raise InputError("alive_threshold must be a probability between 0 and 1")
        if not 0 < self.decline_drop <= 1:
            raise InputError("decline_drop must be a share in (0, 1]")


def _float(summary: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(summary[column], errors="coerce").to_numpy(dtype=float,
                                                                    na_value=np.nan)


def lifecycle_stage(summary: pd.DataFrame, prob_alive: object = None,
                    rules: LifecycleRules | None = None, lost: object = None) -> pd.Series:
    """Life-cycle stage of each customer from :func:`addin.tiering.rfm_summary`.

    The first rule that holds decides (thresholds from ``rules``, see :class:`LifecycleRules`):

    1. **termination** (终止期): no purchase at all (``orders`` 0), or the account is lost.
       With ``lost`` given (one flag per customer: the loss rule of
       :func:`addin.churn.loss.lost_accounts`, as :func:`addin.tiering.tier_customers`
       passes it), lost means exactly that, so the stage and the churn analysis agree.
       Without it: the last purchase more than ``inactive_days`` ago, or ``prob_alive``
       (given, or a column of the summary) below ``alive_threshold``.
    2. **exploration** (考察期): one purchase day only, or the first purchase at most
       ``exploration_days`` ago: the customer is still trying the supplier out.
    3. **decline** (衰退期): spend falling (``recent_revenue`` below (1 - ``decline_drop``)
       times ``prior_revenue``, when that is positive) or purchases overdue relative to the
       customer's own cadence (``recency_days`` above ``overdue_factor`` times the mean gap
       (``tenure_days`` - ``recency_days``) / (``orders`` - 1)).
    4. **stability** (稳定期): steady repeat buying over a long tenure (``tenure_days`` at
       least ``stability_days`` and ``orders`` at least ``stability_orders``).
    5. **formation** (形成期): the rest: repeat buying, spend not falling, tenure still short.

    The stages follow the customer relationship life cycle of Dwyer, Schurr and Oh (1987),
    "Developing buyer-seller relationships" (awareness, exploration, expansion, commitment,
    dissolution) as Chinese CRM textbooks phrase it (考察期, 形成期, 稳定期, 衰退期, 终止期).
    Returns English stage names (keys of :data:`LIFECYCLE_STAGES`) on the summary's index.
    """
    rules = rules or LifecycleRules()
    need = ["orders", "recency_days", "tenure_days", "recent_revenue", "prior_revenue"]
    missing = [c for c in need if c not in summary.columns]
    if missing:
        raise InputError(f"the summary needs {', '.join(need)} (missing: {', '.join(missing)}); "
                         "make it with rfm_summary")
    orders = _float(summary, "orders")
    recency = _float(summary, "recency_days")
    tenure = _float(summary, "tenure_days")
    recent = _float(summary, "recent_revenue")
    prior = _float(summary, "prior_revenue")
    if prob_alive is None and "prob_alive" in summary.columns:
        prob_alive = summary["prob_alive"]
    alive = (np.full(len(summary), np.nan) if prob_alive is None
             else np.asarray(pd.to_numeric(pd.Series(prob_alive), errors="coerce"), float))
    if alive.shape != orders.shape:
        raise InputError("prob_alive needs one value per customer of the summary")

    with np.errstate(invalid="ignore", divide="ignore"):
        cadence = (tenure - recency) / (orders - 1)
        if lost is None:
            terminated = ((orders < 1) | np.isnan(recency) | (recency > rules.inactive_days)
                          | (alive < rules.alive_threshold))
        else:
            flags = pd.Series(lost).astype("boolean").fillna(False).to_numpy(dtype=bool)
            if flags.shape != orders.shape:
                raise InputError("lost needs one flag per customer of the summary")
            terminated = (orders < 1) | np.isnan(recency) | flags
        exploring = (orders <= 1) | (tenure <= rules.exploration_days)
        falling = (prior > 0) & (recent < (1 - rules.decline_drop) * prior)
        overdue = (orders >= 2) & (cadence > 0) & (recency > rules.overdue_factor * cadence)
        stable = (tenure >= rules.stability_days) & (orders >= rules.stability_orders)
    stage = np.select(
        [terminated, exploring, falling | overdue, stable],
        ["termination", "exploration", "decline", "stability"],
        default="formation",
    )
    return pd.Series(stage.astype(object), index=summary.index, name="lifecycle_stage")


# Kotler's levels of relationship marketing by the number of customers and the profit margin
# (Kotler, "Marketing Management", the chapter on building customer relationships; 客户数量与
# 利润率决定的关系营销水平). For many customers with a low margin Kotler gives "basic or
# reactive"; the table takes basic.
RELATIONSHIP_LEVELS: dict[tuple[str, str], str] = {
    ("many", "high"): "accountable",
    ("many", "medium"): "reactive",
    ("many", "low"): "basic",
    ("medium", "high"): "proactive",
    ("medium", "medium"): "accountable",
    ("medium", "low"): "reactive",
    ("few", "high"): "partnership",
    ("few", "medium"): "proactive",
    ("few", "low"): "accountable",
}
_COUNT_WORDS = {"many": "many", "多": "many", "medium": "medium", "中": "medium",
                "few": "few", "少": "few"}
_MARGIN_WORDS = {"high": "high", "高": "high", "medium": "medium", "中": "medium",
                 "low": "low", "低": "low"}


def _classes(values: object, words: dict[str, str], what: str) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series([values], dtype=object)
    keys = series.astype(object).where(series.notna(), None).astype(str).str.strip() \
        .str.casefold().map(words)
    bad = keys.isna() & series.notna()
    if bad.any():
        found = series[bad].iloc[0]
        raise InputError(f"{what} must be one of {', '.join(dict.fromkeys(words.values()))} "
                         f"(found {found!r})")
    return keys


def relationship_level(customer_count_class: object, margin_class: object):
    """Kotler's level of relationship marketing: basic, reactive, accountable, proactive or
    partnership, by the number of customers (many / medium / few) and the margin per
    customer (high / medium / low), from :data:`RELATIONSHIP_LEVELS`::

                      high margin   medium margin   low margin
        many          accountable   reactive        basic
        medium        proactive     accountable     reactive
        few           partnership   proactive       accountable

    Words are case-insensitive; 多/中/少 and 高/中/低 are accepted. Scalars give a string,
    Series a Series (aligned on the first one's index); a missing class gives a missing level;
    any other word raises ``InputError``.
    """
    scalar = not isinstance(customer_count_class, pd.Series) and not isinstance(
        margin_class, pd.Series)
    count = _classes(customer_count_class, _COUNT_WORDS, "the customer-count class")
    margin = _classes(margin_class, _MARGIN_WORDS, "the margin class")
    if len(count) == 1 and len(margin) > 1:
        count = pd.Series(count.iloc[0], index=margin.index)
    if len(margin) == 1 and len(count) > 1:
        margin = pd.Series(margin.iloc[0], index=count.index)
    if len(count) != len(margin):
        raise InputError("the two classes need the same number of customers")
    table = {f"{c}|{m}": level for (c, m), level in RELATIONSHIP_LEVELS.items()}
    levels = (count.astype(object) + "|" + margin.astype(object).to_numpy()).map(table)
    levels = levels.astype(object).where(levels.notna(), None)
    if scalar:
        return levels.iloc[0]
    return pd.Series(levels.to_numpy(), index=count.index, dtype=object,
                     name="relationship_level")
