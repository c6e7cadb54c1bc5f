"""Balanced-scorecard evaluation of the CRM strategy: KPI progress and status
(:mod:`.progress`), AHP weights (:mod:`.ahp`) and the judgements of the AHP sheet
(:mod:`.judgements`), the roll-up, trend, strategy map and fuzzy evaluation (:mod:`.evaluate`).
Pure routines over pandas objects."""

from addin.scorecard.ahp import (
    CONSISTENT_BELOW,
    DEFAULT_RANDOM_INDEX,
    RANDOM_INDEX,
    RANDOM_INDEX_TABLES,
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
from addin.scorecard.judgements import (
    PERSPECTIVES_MATRIX,
    ScorecardAHP,
    judgement_matrices,
    judgement_value,
    scorecard_ahp,
)
from addin.scorecard.progress import DEFAULT_THRESHOLDS, POLARITIES, kpi_progress, kpi_status

__all__ = [
    "CONSISTENT_BELOW", "DEFAULT_RANDOM_INDEX", "RANDOM_INDEX", "RANDOM_INDEX_TABLES",
    "AHPResult", "ahp_hierarchy", "ahp_weights", "random_index", "validate_matrix",
    "PERSPECTIVE_ORDER", "FuzzyResult", "ScorecardResult", "StrategyMap", "check_scorecard",
    "evaluate_scorecard", "fuzzy_evaluation", "period_columns", "scorecard_trend",
    "strategy_map", "PERSPECTIVES_MATRIX", "ScorecardAHP", "judgement_matrices",
    "judgement_value", "scorecard_ahp", "DEFAULT_THRESHOLDS", "POLARITIES", "kpi_progress",
    "kpi_status",
]
