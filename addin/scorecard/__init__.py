"""Balanced-scorecard evaluation of the CRM strategy: KPI progress and status
(:mod:`.progress`), AHP weights (:mod:`.ahp`), the roll-up, trend, strategy map and fuzzy
evaluation (:mod:`.evaluate`). Pure routines over pandas objects."""

from addin.scorecard.ahp import (
    CONSISTENT_BELOW,
    RANDOM_INDEX,
    AHPResult,
    ahp_hierarchy,
    ahp_weights,
    random_index,
    validate_matrix,
)
from addin.scorecard.evaluate import (
    PERSPECTIVE_ORDER,
    FuzzyResult,
    ScorecardResult,
    StrategyMap,
    check_scorecard,
    evaluate_scorecard,
    fuzzy_evaluation,
    period_columns,
    scorecard_trend,
    strategy_map,
)
from addin.scorecard.progress import DEFAULT_THRESHOLDS, POLARITIES, kpi_progress, kpi_status

__all__ = [
    "CONSISTENT_BELOW", "RANDOM_INDEX", "AHPResult", "ahp_hierarchy", "ahp_weights",
    "random_index", "validate_matrix", "PERSPECTIVE_ORDER", "FuzzyResult", "ScorecardResult",
    "StrategyMap", "check_scorecard", "evaluate_scorecard", "fuzzy_evaluation",
    "period_columns", "scorecard_trend", "strategy_map", "DEFAULT_THRESHOLDS", "POLARITIES",
    "kpi_progress", "kpi_status",
]
