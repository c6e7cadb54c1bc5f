"""Customer tiering: the 80/20 rule, the key-account pyramid, RFM, lifetime value, life cycle.

Pure routines over pandas objects (no Excel, no files); every door (Excel functions, the
``Tiers`` sheet, the PDF reviews) calls these. The public API, one module per concept:

* ``abc_classes``, ``pareto_table``, ``pareto_point``, ``key_account_pyramid``
  (:mod:`.ranking`);
* ``rfm_summary``, ``rfm_scores``, ``rfm_segment`` with the one rule table ``RFM_SEGMENTS``,
  ``reconcile_segment`` (the segment reconciled with the life cycle and P(alive))
  (:mod:`.rfm`);
* ``fit_bgnbd``, ``fit_gamma_gamma``, ``fit_nbd`` (the no-drop-out fallback),
  ``customer_lifetime_value``, ``simple_clv`` (:mod:`.clv`), and ``simulate_customers``
  (:mod:`.simulate`: customers drawn from known models, for tests and benchmarks);
* ``lifecycle_stage`` with ``LifecycleRules``, ``relationship_level`` with Kotler's
  ``RELATIONSHIP_LEVELS`` (:mod:`.lifecycle`);
* ``tier_customers``: one row per customer with all of the above, ``pyramid_as_of``, its
  pyramid tiers alone, and ``pyramid_history``, those at several days from one pass over the
  log (:mod:`.customers`); ``customer_days``, the log netted per customer and day; its
  Settings keys read by ``tier_settings`` (:mod:`.settings`).

"Recency" means two things and keeps two names: ``recency_days`` is RFM's days since the last
purchase; ``recency`` is the BG/NBD's age of the customer at the last purchase (first to last
purchase, in periods).
"""

from addin.tiering.clv import (
    DAYS_PER_MONTH,
    BGNBDFit,
    GammaGammaFit,
    NBDFit,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_nbd,
    simple_clv,
)
from addin.tiering.customers import (
    MODEL_CLV,
    NBD_CLV,
    SIMPLE_CLV,
    CustomerTiers,
    pyramid_as_of,
    pyramid_history,
    tier_customers,
)
from addin.tiering.lifecycle import (
    LIFECYCLE_STAGES,
    RELATIONSHIP_LEVELS,
    LifecycleRules,
    lifecycle_stage,
    relationship_level,
)
from addin.tiering.ranking import (
    ABC_CLASSES,
    DEFAULT_PYRAMID_LABELS,
    DEFAULT_PYRAMID_SHARES,
    ParetoPoint,
    abc_classes,
    key_account_pyramid,
    pareto_point,
    pareto_table,
)
from addin.tiering.rfm import (
    NO_PURCHASE,
    RFM_SEGMENTS,
    RFMSegment,
    customer_days,
    reconcile_segment,
    rfm_customer_scores,
    rfm_scores,
    rfm_segment,
    rfm_summary,
)
from addin.tiering.settings import TierSettings, tier_settings
from addin.tiering.simulate import simulate_customers

__all__ = [
    "ABC_CLASSES",
    "BGNBDFit",
    "DAYS_PER_MONTH",
    "DEFAULT_PYRAMID_LABELS",
    "DEFAULT_PYRAMID_SHARES",
    "GammaGammaFit",
    "LIFECYCLE_STAGES",
    "LifecycleRules",
    "MODEL_CLV",
    "NBDFit",
    "NBD_CLV",
    "ParetoPoint",
    "RELATIONSHIP_LEVELS",
    "CustomerTiers",
    "NO_PURCHASE",
    "RFM_SEGMENTS",
    "RFMSegment",
    "SIMPLE_CLV",
    "TierSettings",
    "abc_classes",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_nbd",
    "key_account_pyramid",
    "lifecycle_stage",
    "pareto_point",
    "pareto_table",
    "pyramid_as_of",
    "reconcile_segment",
    "pyramid_history",
    "relationship_level",
    "rfm_customer_scores",
    "rfm_scores",
    "rfm_segment",
    "customer_days",
    "rfm_summary",
    "simple_clv",
    "simulate_customers",
    "tier_customers",
    "tier_settings",
]
