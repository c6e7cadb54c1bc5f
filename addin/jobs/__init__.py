"""The workflows behind the doors: what ``crm-addin CMD`` and the ribbon macro of the same name
both run. One module per feature; each workflow takes a loaded :class:`~addin.workbook.CRMWorkbook`
(or a path) and returns a report object whose ``result_sheets()`` the doors write.

The names below are imported on first use (PEP 562), so ``crm-addin tier`` does not pay for
the survey job's statistics imports (scipy.stats: seconds on a busy machine).
"""

from __future__ import annotations

import importlib

_HOMES = {
    "ScorecardReport": "scorecard", "scorecard_workbook": "scorecard",
    "SurveyResults": "survey", "survey_workbook": "survey",
    "ValidationReport": "validate", "validate_workbook": "validate",
}

__all__ = ["ScorecardReport", "SurveyResults", "ValidationReport", "scorecard_workbook",
           "survey_workbook", "validate_workbook"]


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'addin.jobs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"addin.jobs.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
