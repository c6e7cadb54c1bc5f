"""Satisfaction survey: analyse the Survey sheet of a workbook and lay out the ``Survey
Results`` sheet (what ``crm-addin survey`` and the ribbon macro both run)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from addin.contract.units import excel_format
from addin.errors import InputError
from addin.surveys import SurveyReport, analyse_survey
from addin.workbook import Chart, CRMWorkbook, ResultTable, Rule, load_crm_workbook

SHEET = "Survey Results"
# the contract sheets this job reads: a command checks only these, so a bad cell elsewhere
# does not stop it
READS = ("Survey", "Customers", "Transactions", "Complaints", "Settings")
GROUPINGS = ("segment", "tier", "region")


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:,.{digits}f}"


@dataclass
class SurveyResults:
    """The survey analysis of one workbook, ready to be written as a result sheet."""

    path: Path | None
    report: SurveyReport

    def summary_lines(self) -> list[str]:
        """A few lines for a terminal: the headline numbers and what was left out."""
        r = self.report
        n = r.nps
        lines = [
            f"Survey: {r.responses:,} responses",
            f"  CSAT {_fmt(r.csat)} % ({r.csat.n:,} answers; left out: "
            f"{r.csat.excluded.describe()})",
            f"  NPS {_fmt(n.score)} +/- {_fmt(n.margin_of_error)} ({n.n:,} answers; left out: "
            f"{n.excluded.describe()})",
            f"  CES {_fmt(r.ces, 2)}; satisfaction index {_fmt(r.index)} of 100",
        ]
        if r.alpha is not None:
            lines.append(f"  Cronbach's alpha {_fmt(r.alpha.alpha, 3)} "
                         f"({r.alpha.k} performance items)")
        if r.groups is not None:
            for row in r.groups.itertuples(index=False):
                flag = " (differs from the rest, p < 0.05)" if row.significant else ""
                lines.append(f"  {r.by} {row.group}: {row.responses:,} responses, NPS "
                             f"{_fmt(row.nps)} +/- {_fmt(row.nps_moe)}{flag}")
        left = len(r.excluded_answers)
        lines.append(f"  {left:,} answer{'s' * (left != 1)} left out (listed on the sheet)")
        return lines

    def result_sheets(self) -> dict[str, list[ResultTable]]:
        """The ``Survey Results`` sheet, top to bottom: headline, groups, gaps, Kano,
        importance-performance (with its map), drivers, reliability, indicators, satisfaction
        x loyalty, and the answers left out."""
        r = self.report
        s = r.settings
        start, end = r.period
        period = (f"{start:%Y-%m-%d} to {end:%Y-%m-%d}" if start is not None and end is not None
                  else "all dates")
        headline = r.headline()
        # responses, CSAT, NPS, its margin, CES, index (and alpha): a format per row
        kinds = ["count", "percent", "points", "points", "score", "points", "ratio"]
        tables = [ResultTable(headline, "Survey headline", formats={
            "value": [excel_format(k) for k in kinds[:len(headline)]]})]
        if r.groups is not None:
            tables.append(ResultTable(
                r.groups, f"By {r.by} (NPS of each group against the rest: z-test)",
                formats={c: "0.0" for c in ("csat", "nps", "nps_moe", "nps_low", "nps_high",
                                            "index", "nps_vs_rest")}
                | {"p_value": "0.000", "ces": "0.00"},
                rules=[Rule("nps_vs_rest", "diverging")]))
        tables.append(ResultTable(
            r.gaps, "Expectation gaps: perceived - expected (SERVQUAL), paired 95 % CI, "
            "worst first", rules=[Rule("gap", "diverging")]))
        tables.append(ResultTable(
            r.kano, f"Kano categories (evaluation table with like/like = {s.kano_like_like}; "
            "ties M > O > A > I; Fong's test of the top two)",
            formats={"better": "0.000", "worse": "0.000", "fong_threshold": "0.0"},
            rules=[Rule("better", "databar")]))
        ipa = r.ipa
        split = (f"split at the {ipa.split}: importance {ipa.importance_split:.2f}, "
                 f"performance {ipa.performance_split:.2f}" if not ipa.table.empty else "")
        tables.append(ResultTable(
            ipa.table, f"Importance-performance ({split})" if split else "Importance-performance",
            chart=Chart("scatter", x="performance", y=["importance"],
                        title="Importance-performance map", x_title="performance (mean)",
                        y_title="importance (mean)")))
        d = r.drivers
        drivers_title = "Key drivers of overall satisfaction (Johnson's relative weights"
        if d.n:
            drivers_title += f"; R² = {d.r_squared:.3f}, n = {d.n:,}"
        tables.append(ResultTable(r.drivers.table, drivers_title + ")",
                                  formats={"r": "0.000", "raw_weight": "0.000"},
                                  rules=[Rule("share", "databar")]))
        tables.append(ResultTable(
            r.reliability, "Reliability: Cronbach's alpha with Feldt's 95 % interval",
            formats={c: "0.000" for c in ("alpha", "ci_low", "ci_high")}))
        if r.alpha is not None:
            tables.append(ResultTable(
                r.alpha.if_deleted, "Alpha if item deleted (performance items)",
                formats={"alpha_if_deleted": "0.000", "item_rest_r": "0.000"}))
        tables.append(ResultTable(r.indicators, f"Satisfaction indicators ({period})"))
        tables.append(ResultTable(
            r.loyalty_counts, f"Satisfaction x loyalty (Jones & Sasser 1995): satisfied = "
            f"mean overall >= {s.satisfaction_threshold:g}, loyal = {s.repeat_orders_min}+ "
            f"orders ({period})", rules=[Rule("customers", "databar")]))
        tables.append(ResultTable(r.answers, "Answers by column: valid and left out"))
        tables.append(ResultTable(r.excluded_answers, "Every answer left out, and why"))
        return {SHEET: tables}


def survey_workbook(workbook: CRMWorkbook | str | Path, by: str | None = None,
                    tiers: pd.DataFrame | None = None) -> SurveyResults:
    """Analyse the Survey sheet of ``workbook`` (a loaded :class:`CRMWorkbook` or a path) with
    its Settings, Customers, Transactions and Complaints; ``by`` groups the headline by a
    Customers column (``segment``, ``region``, ``tier``) or a Survey column.

    ``by="tier"`` uses a ``tier`` column on Customers when the workbook has one; otherwise each
    customer's key-account pyramid tier from the tiering (``tiers``, the output of
    :func:`addin.tiering.tier_customers`, computed here when not given)."""
    wb = workbook if isinstance(workbook, CRMWorkbook) else load_crm_workbook(workbook)
    customers = wb.get("Customers")
    if by == "tier" and (customers is None or "tier" not in customers.columns) \
            and wb.get("Transactions") is not None:
        if tiers is None:
            from addin.jobs.tier import tier_workbook

            tiers = tier_workbook(wb).tiers
        lookup = tiers["pyramid_tier"]  # indexed by customer_id
        base = customers if customers is not None else tiers.index.to_frame(index=False)
        customers = base.assign(tier=base["customer_id"].map(lookup))
    survey = wb.get("Survey")
    if survey is None:
        raise InputError(f"{wb.path.name} has no Survey sheet (or 调查/问卷); paste the survey "
                         "export into a sheet named Survey, one response per row",
                         sheet="Survey")
    report = analyse_survey(survey, customers, wb.get("Transactions"),
                            wb.get("Complaints"), wb.get("Settings"), by=by)
    return SurveyResults(path=wb.path, report=report)


__all__ = ["GROUPINGS", "READS", "SHEET", "SurveyResults", "survey_workbook"]
