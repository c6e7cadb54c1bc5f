"""Satisfaction surveys: CSAT, NPS, CES, a satisfaction index, SERVQUAL expectation gaps,
Kano, importance-performance, key drivers, reliability, the seven satisfaction indicators and
the satisfaction x loyalty matrix.

Pure routines over pandas objects (no Excel, no files): the Excel functions, the ribbon macro,
the ``crm-addin survey`` command and the PDF reports all call these. Survey answers arrive as
numbers or text; each routine leaves out blank, text and off-scale answers and says how many
and why (:mod:`addin.surveys.answers`).
"""

from addin.surveys.analysis import SurveyReport, SurveySettings, analyse_survey
from addin.surveys.answers import CleanAnswers, Exclusions, Score, clean_answers
from addin.surveys.drivers import (
    AlphaResult,
    KeyDrivers,
    cronbach_alpha,
    key_drivers,
    relative_weights,
)
from addin.surveys.gaps import (
    SERVQUAL_DIMENSIONS,
    ImportancePerformance,
    gap_analysis,
    importance_performance,
    servqual_dimension,
)
from addin.surveys.indicators import (
    SatisfactionLoyalty,
    loyalty_counts,
    orders_per_customer,
    satisfaction_indicators,
    satisfaction_loyalty,
)
from addin.surveys.kano import (
    KANO_NAMES,
    fong_threshold,
    kano_category,
    kano_exclusions,
    kano_summary,
    kano_table,
)
from addin.surveys.scores import (
    NPSDifference,
    NPSResult,
    ces,
    csat,
    nps,
    nps_difference,
    satisfaction_index,
)

__all__ = [
    "AlphaResult", "CleanAnswers", "Exclusions", "ImportancePerformance", "KANO_NAMES",
    "KeyDrivers", "SatisfactionLoyalty", "NPSDifference", "NPSResult",
    "SERVQUAL_DIMENSIONS", "Score", "SurveyReport", "SurveySettings", "analyse_survey", "ces",
    "clean_answers", "cronbach_alpha", "csat", "fong_threshold", "gap_analysis",
    "importance_performance", "kano_category", "kano_exclusions", "kano_summary", "kano_table",
    "key_drivers",
    "loyalty_counts", "nps", "nps_difference", "orders_per_customer", "relative_weights",
    "satisfaction_index", "satisfaction_indicators", "satisfaction_loyalty",
    "servqual_dimension",
]
