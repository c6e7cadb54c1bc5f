"""The workflows behind the doors: what ``crm-addin CMD`` and the ribbon macro of the same name
both run. One module per feature; each workflow takes a loaded :class:`~addin.workbook.CRMWorkbook`
(or a path) and returns a report object whose ``result_sheets()`` the doors write.
"""

from addin.jobs.scorecard import ScorecardReport, scorecard_workbook
from addin.jobs.survey import SurveyResults, survey_workbook
from addin.jobs.validate import ValidationReport, validate_workbook

__all__ = ["ScorecardReport", "SurveyResults", "ValidationReport", "scorecard_workbook",
           "survey_workbook", "validate_workbook"]
