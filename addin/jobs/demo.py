"""The month's analysis of a workbook in one call: what ``crm-addin demo`` runs before it
renders and mails, so a ribbon button or a schedule can run the same code.

:func:`analyse_month` validates the workbook, tiers the customers, analyses the survey by
pyramid tier and evaluates the balanced scorecard, each through the job the matching command
runs (:mod:`addin.jobs.validate`, :mod:`.tier`, :mod:`.survey`, :mod:`.scorecard`), and gathers
their result sheets in the order a reader goes through them. The PDFs and the email come after
(:func:`addin.jobs.report.report_workbook`, :mod:`addin.mail`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from addin.errors import InputError
from addin.jobs.scorecard import ScorecardReport, scorecard_workbook
from addin.jobs.survey import SurveyResults, survey_workbook
from addin.jobs.tier import TierReport, tier_workbook
from addin.jobs.validate import ValidationReport, validate_workbook
from addin.workbook import ResultTable


@dataclass(frozen=True)
class MonthAnalysis:
    """What :func:`analyse_month` found: each job's report, and their sheets together."""

    validation: ValidationReport
    tiers: TierReport
    survey: SurveyResults
    scorecard: ScorecardReport

    def result_sheets(self) -> dict[str, list[ResultTable]]:
        """``Validation``, ``Tiers``, ``Survey Results`` and ``Scorecard Results``."""
        sheets = dict(self.validation.result_sheets())
        for report in (self.tiers, self.survey, self.scorecard):
            sheets.update(report.result_sheets())
        return sheets

    def summary_lines(self) -> list[str]:
        """What a terminal or a message box says about the month."""
        t = self.tiers
        return [f"Tiers: {len(t.tiers):,} customers; {t.pareto()}",
                *self.survey.summary_lines(), *self.scorecard.summary_lines()]


def analyse_month(path: str | Path, *,
                  progress: Callable[[str], None] | None = None) -> MonthAnalysis:
    """Validate the workbook at ``path`` and run tier, survey (by pyramid tier) and scorecard
    on it. A workbook with errors raises one :class:`InputError` listing them all (nothing is
    computed); ``progress`` is called with each sheet's name as it is read."""
    validation = validate_workbook(path, progress=progress)
    if not validation.ok or validation.workbook is None:
        raise InputError.from_problems(validation.errors)
    wb = validation.workbook
    tiers = tier_workbook(wb)
    survey = survey_workbook(wb, by="tier", tiers=tiers.tiers)
    return MonthAnalysis(validation, tiers, survey, scorecard_workbook(wb))


__all__ = ["MonthAnalysis", "analyse_month"]
