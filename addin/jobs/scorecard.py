"""Balanced-scorecard evaluation of a workbook: what ``crm-addin scorecard`` and the ribbon's
``evaluate_scorecard`` both run. Reads Scorecard and Settings; returns the ``Scorecard
Results`` sheet.

Perspective weights come from Settings, in this order of preference:

* ``perspective_ahp``: Saaty 1-9 judgements of the four perspectives in the order financial,
  customer, internal process, learning and growth, the upper triangle row by row (six values:
  F-C, F-I, F-L, C-I, C-L, I-L; ``1/3`` or ``0.333`` for "less important"). The weights are the
  AHP eigenvector; the sheet shows lambda_max, CI, CR and, when CR >= 0.10, the judgement to
  revisit;
* ``perspective_weights``: four numbers in the same order, or ``name: weight`` pairs;
* otherwise equal weights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from addin.errors import InputError, Problem
from addin.scorecard import (
    PERSPECTIVE_ORDER,
    ScorecardResult,
    ahp_weights,
    evaluate_scorecard,
    period_columns,
    scorecard_trend,
)
from addin.workbook import Chart, CRMWorkbook, ResultTable, Rule

SHEET = "Scorecard Results"


def _setting_row(settings: pd.DataFrame | None, key: str) -> tuple[int | None, str | None]:
    if settings is None or settings.empty:
        return None, None
    hits = settings[settings["key"].astype(str).str.strip().str.lower() == key]
    if hits.empty or pd.isna(hits["value"].iloc[0]):
        return None, None
    return int(hits.index[0]), str(hits["value"].iloc[0]).strip()


def _bad_setting(row: int, key: str, expected: str, value: str) -> InputError:
    return InputError.from_problems([Problem(expected, sheet="Settings", row=row,
                                             column="value", value=f"{key} = {value}",
                                             has_value=True)])


def _number(text: str) -> float:
    return float(Fraction(text)) if "/" in text else float(text)


def judgement_text(value: float) -> str:
    """A judgement as a person types it on Saaty's scale: ``8``, ``1/8``; else two decimals."""
    for v, fmt in ((value, "{:d}"), (1 / value, "1/{:d}")):
        if abs(v - round(v)) < 1e-9 and round(v) >= 1:
            return fmt.format(round(v))
    return f"{value:.2f}"


def perspective_weights(settings: pd.DataFrame | None) -> dict:
    """The ``weights`` argument of :func:`evaluate_scorecard` from the Settings sheet."""
    row, text = _setting_row(settings, "perspective_ahp")
    if text is not None:
        parts = [p for p in re.split(r"[,;\s]+", text) if p]
        try:
            values = [_number(p) for p in parts]
        except (ValueError, ZeroDivisionError):
            values = []
        if len(values) != 6 or any(v <= 0 for v in values):
            raise _bad_setting(row, "perspective_ahp", "six positive judgements F-C, F-I, F-L, "
                               "C-I, C-L, I-L (Saaty 1-9 scale, 1/3 for less)", text)
        matrix = np.ones((4, 4))
        pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        for (i, j), v in zip(pairs, values, strict=True):
            matrix[i, j], matrix[j, i] = v, 1 / v
        frame = pd.DataFrame(matrix, index=PERSPECTIVE_ORDER, columns=PERSPECTIVE_ORDER)
        return {"perspectives": ahp_weights(frame, name="perspective_ahp")}
    row, text = _setting_row(settings, "perspective_weights")
    if text is not None:
        parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
        try:
            if all(":" in p for p in parts):
                pairs = dict((k.strip().lower(), float(v)) for k, v in
                             (p.split(":", 1) for p in parts))
            else:
                pairs = dict(zip(PERSPECTIVE_ORDER, map(float, parts), strict=True))
        except ValueError:
            pairs = {}
        if not pairs or set(pairs) - set(PERSPECTIVE_ORDER) or min(pairs.values()) < 0:
            raise _bad_setting(row, "perspective_weights", "four weights (financial, customer, "
                               "internal process, learning and growth) or name: weight pairs",
                               text)
        return {"perspectives": pairs}
    return {}


@dataclass
class ScorecardReport:
    path: Path | None
    result: ScorecardResult
    trend: pd.DataFrame
    by_period: pd.DataFrame  # perspective and overall scores per period

    def summary_lines(self) -> list[str]:
        r = self.result
        lines = [f"Scorecard{' ' + r.period if r.period else ''}: overall {r.overall:.1f} "
                 f"of 100 ({r.weights_source})"]
        for p, row in r.perspectives.iterrows():
            lines.append(f"  {p}: {row['score']:.1f} ({row['status']}, weight "
                         f"{row['weight']:.3f})")
        if r.ahp is not None:
            lines.append(f"  AHP: lambda_max {r.ahp.lambda_max:.3f}, CR {r.ahp.cr:.3f} "
                         f"({'consistent' if r.ahp.consistent else 'revisit the judgements'})")
        lines += [f"  note: {n}" for n in r.notes]
        return lines

    def result_sheets(self) -> dict[str, list[ResultTable]]:
        r = self.result
        headline = pd.DataFrame({"measure": ["overall score (0-100)", "period", "weights",
                                             "KPIs scored", "KPIs without an actual"],
                                 "value": [round(r.overall, 1), r.period or "latest actual",
                                           r.weights_source,
                                           int(r.kpis["progress"].notna().sum()),
                                           int(r.kpis["progress"].isna().sum())]})
        tables = [ResultTable(headline, "Balanced scorecard")]
        persp = r.perspectives.reset_index()[["perspective", "weight", "score", "status"]]
        tables.append(ResultTable(persp, "Perspectives", rules=[Rule("status", "rag"),
                                                                Rule("score", "databar")]))
        obj = r.objectives[["perspective", "objective", "kpis", "objective_weight", "score",
                            "status"]]
        tables.append(ResultTable(obj, "Objectives", rules=[Rule("status", "rag"),
                                                            Rule("score", "databar")]))
        cols = [c for c in ("perspective", "objective", "kpi", "unit", "polarity", "baseline",
                            "target", "actual", "progress", "status", "red", "amber",
                            "kpi_weight", "global_weight", "weighted_score", "owner")
                if c in r.kpis.columns]
        kpis = r.kpis[cols].reset_index()
        tables.append(ResultTable(kpis, "KPIs", formats={"progress": "0%"},
                                  rules=[Rule("progress", "databar"), Rule("status", "rag")]))
        if r.ahp is not None:
            ahp = pd.DataFrame({"measure": [*[f"weight: {k}" for k in r.ahp.weights.index],
                                            "lambda_max", "CI", "CR", "consistent (CR < 0.10)"],
                                "value": [*map(float, r.ahp.weights), r.ahp.lambda_max,
                                          r.ahp.ci, r.ahp.cr, "yes" if r.ahp.consistent
                                          else "no"]})
            if r.ahp.worst_judgement:
                w = r.ahp.worst_judgement
                ahp.loc[len(ahp)] = ["judgement to revisit",
                                     f"{w['row']} vs {w['column']}: "
                                     f"{judgement_text(w['judgement'])} -> "
                                     f"{judgement_text(w['suggested'])} "
                                     f"(CR {w['cr_after']:.3f})"]
            tables.append(ResultTable(ahp, "AHP consistency of the perspective weights"))
        if r.notes:
            tables.append(ResultTable(pd.DataFrame({"note": r.notes}), "Notes"))
        if not self.by_period.empty:
            chart = Chart("line", "period", [c for c in self.by_period.columns
                                             if c != "period"],
                          "Scores by month", "month", "score (0-100)")
            tables.append(ResultTable(self.by_period, "Scores by month", chart=chart))
        if not self.trend.empty:
            tables.append(ResultTable(self.trend.reset_index(), "Trend and forecast"))
        return {SHEET: tables}


def scorecard_workbook(wb: CRMWorkbook, period: str | None = None,
                       cap: float = 1.0) -> ScorecardReport:
    """Evaluate the Scorecard sheet of a loaded workbook (``period`` YYYY-MM, default the
    ``actual`` column), its trend over the period columns, and the score of each month."""
    kpis = wb.get("Scorecard")
    if kpis is None:
        raise InputError("the workbook has no Scorecard sheet (or 平衡计分卡)", sheet="Scorecard")
    weights = perspective_weights(wb.get("Settings"))
    result = evaluate_scorecard(kpis, period, weights, cap)
    periods = period_columns(kpis)
    trend = scorecard_trend(kpis, periods, cap) if periods else pd.DataFrame()
    rows = []
    for p in periods:
        month = evaluate_scorecard(kpis, p, weights, cap)
        row = {"period": p, "overall": month.overall}
        row.update({name: float(s) for name, s in month.perspectives["score"].items()})
        rows.append(row)
    return ScorecardReport(wb.path, result, trend, pd.DataFrame(rows))


__all__ = ["SHEET", "ScorecardReport", "judgement_text", "perspective_weights",
           "scorecard_workbook"]
