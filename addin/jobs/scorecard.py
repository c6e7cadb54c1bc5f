"""Balanced-scorecard evaluation of a workbook: what ``crm-addin scorecard`` and the ribbon's
``evaluate_scorecard`` both run. Reads Scorecard, Settings and the optional AHP sheet; returns
the ``Scorecard Results`` sheet.

Perspective weights, in this order of preference:

* the AHP sheet's ``perspectives`` matrix (pairwise judgements, one a row; see
  :mod:`addin.scorecard.judgements`); a matrix named after a perspective weighs its objectives;
* Settings ``perspective_ahp``: Saaty 1-9 judgements of the four perspectives in the order
  financial, customer, internal process, learning and growth, the upper triangle row by row
  (six values: F-C, F-I, F-L, C-I, C-L, I-L; ``1/3`` or ``0.333`` for "less important");
* Settings ``perspective_weights``: four numbers in the same order, or ``name: weight`` pairs;
* otherwise equal weights.

AHP weights are the principal eigenvector; the sheet shows lambda_max, CI, RI, CR and, when CR
>= 0.10, the judgement to revisit. Settings ``ahp_random_index`` chooses the RI table:
``saaty1980`` (default) or ``saaty2005`` (see :data:`addin.scorecard.ahp.RANDOM_INDEX_TABLES`).
Settings ``fiscal_year_start`` (a month, default 1) sets where the trend's forecast ends. Every
key is read by the one Settings reader (:mod:`addin.contract.settings`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from addin.contract.settings import SettingValues, read_settings
from addin.contract.units import excel_format, kpi_kind
from addin.errors import InputError
from addin.scorecard import (
    DEFAULT_RANDOM_INDEX,
    PERSPECTIVE_ORDER,
    PERSPECTIVES_MATRIX,
    AHPResult,
    ScorecardResult,
    StrategyMap,
    ahp_weights,
    evaluate_scorecard,
    period_columns,
    scorecard_ahp,
    scorecard_trend,
    strategy_map,
)
from addin.workbook import Chart, CRMWorkbook, ResultTable, Rule

SHEET = "Scorecard Results"
# the contract sheets this job reads: a command checks only these, so a bad cell elsewhere
# does not stop it
READS = ("Scorecard", "AHP", "Settings")


def _bad_setting(s: SettingValues, key: str, expected: str) -> InputError:
    return s.fail(key, expected)


def _number(text: str) -> float:
    return float(Fraction(text)) if "/" in text else float(text)


def judgement_text(value: float) -> str:
    """A judgement as a person types it on Saaty's scale: ``8``, ``1/8``; else two decimals."""
    for v, fmt in ((value, "{:d}"), (1 / value, "1/{:d}")):
        if abs(v - round(v)) < 1e-9 and round(v) >= 1:
            return fmt.format(round(v))
    return f"{value:.2f}"


def random_index_table(settings: pd.DataFrame | SettingValues | None) -> str:
    """The RI table named by Settings ``ahp_random_index`` (default ``saaty1980``)."""
    return read_settings(settings).get("ahp_random_index")


def year_end_month(settings: pd.DataFrame | SettingValues | None) -> int:
    """The last month of the fiscal year, from Settings ``fiscal_year_start`` (a month 1-12,
    default 1: the year ends in December), for the trend's forecast."""
    start = read_settings(settings).get("fiscal_year_start")
    return (start - 2) % 12 + 1


def perspective_weights(settings: pd.DataFrame | SettingValues | None,
                        ri_table: str = DEFAULT_RANDOM_INDEX) -> dict:
    """The ``weights`` argument of :func:`evaluate_scorecard` from the Settings sheet."""
    s = read_settings(settings)
    text = s.text("perspective_ahp")
    if text:
        parts = [p for p in re.split(r"[,;\s]+", text) if p]
        try:
            values = [_number(p) for p in parts]
        except (ValueError, ZeroDivisionError):
            values = []
        if len(values) != 6 or any(v <= 0 for v in values):
            raise _bad_setting(s, "perspective_ahp", "six positive judgements F-C, F-I, F-L, "
                               "C-I, C-L, I-L (Saaty 1-9 scale, 1/3 for less)")
        matrix = np.ones((4, 4))
        pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        for (i, j), v in zip(pairs, values, strict=True):
            matrix[i, j], matrix[j, i] = v, 1 / v
        frame = pd.DataFrame(matrix, index=PERSPECTIVE_ORDER, columns=PERSPECTIVE_ORDER)
        return {"perspectives": ahp_weights(frame, ri_table=ri_table, name="perspective_ahp")}
    text = s.text("perspective_weights")
    if text:
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
            raise _bad_setting(s, "perspective_weights", "four weights (financial, customer, "
                               "internal process, learning and growth) or name: weight pairs")
        return {"perspectives": pairs}
    return {}


@dataclass
class ScorecardReport:
    path: Path | None
    result: ScorecardResult
    trend: pd.DataFrame
    by_period: pd.DataFrame  # perspective and overall scores per period
    ahp: dict[str, AHPResult] = field(default_factory=dict)  # matrix name -> result
    strategy: StrategyMap | None = None  # from the optional drives column

    def summary_lines(self) -> list[str]:
        r = self.result
        lines = [f"Scorecard{' ' + r.period if r.period else ''}: overall {r.overall:.1f} "
                 f"of 100 ({r.weights_source})"]
        for p, row in r.perspectives.iterrows():
            lines.append(f"  {p}: {row['score']:.1f} ({row['status']}, weight "
                         f"{row['weight']:.3f})")
        for name, a in self.ahp.items():
            lines.append(f"  AHP {name}: lambda_max {a.lambda_max:.3f}, CR {a.cr:.3f} "
                         f"({'consistent' if a.consistent else 'revisit the judgements'})")
        lines += [f"  note: {n}" for n in r.notes]
        return lines

    def _ahp_tables(self) -> list[ResultTable]:
        weights = pd.DataFrame([(name, element, float(w)) for name, a in self.ahp.items()
                                for element, w in a.weights.items()],
                               columns=["matrix", "element", "weight"])
        rows = []
        for name, a in self.ahp.items():
            w = a.worst_judgement
            revisit = (f"{w['row']} vs {w['column']}: {judgement_text(w['judgement'])} -> "
                       f"{judgement_text(w['suggested'])} (CR {w['cr_after']:.3f})"
                       if w else "")
            rows.append({"matrix": name, "elements": len(a.weights),
                         "lambda_max": a.lambda_max, "CI": a.ci, "RI": a.random_index,
                         "CR": a.cr, "status": "green" if a.consistent else "red",
                         "consistent (CR < 0.10)": "yes" if a.consistent else "no",
                         "judgement to revisit": revisit, "RI table": a.ri_table})
        return [ResultTable(weights, "AHP weights"),
                ResultTable(pd.DataFrame(rows), "AHP consistency",
                            formats={c: "0.000" for c in ("lambda_max", "CI", "RI", "CR")},
                            rules=[Rule("status", "rag")])]

    def result_sheets(self) -> dict[str, list[ResultTable]]:
        r = self.result
        headline = pd.DataFrame({"measure": ["overall score (0-100)", "period", "weights",
                                             "KPIs scored", "KPIs without an actual"],
                                 "value": [r.overall, r.period or "latest actual",
                                           r.weights_source,
                                           int(r.kpis["progress"].notna().sum()),
                                           int(r.kpis["progress"].isna().sum())]})
        # the score as computed (the one CRM_BSC gives), shown to one decimal by its format
        formats = [excel_format("points"), None, None, excel_format("count"),
                   excel_format("count")]
        tables = [ResultTable(headline, "Balanced scorecard", formats={"value": formats})]
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
        # a KPI's values in its own unit: 22.0 % for the unit %, else two decimals
        units = kpis["unit"] if "unit" in kpis.columns else pd.Series(None, index=kpis.index)
        in_unit = [excel_format(kpi_kind(u)) for u in units]
        formats = {c: in_unit for c in ("baseline", "target", "actual", "red", "amber")
                   if c in kpis.columns}
        formats.update(progress=excel_format("share"), kpi_weight=excel_format("ratio"),
                       global_weight=excel_format("ratio"),
                       weighted_score=excel_format("points"))
        tables.append(ResultTable(kpis, "KPIs", formats=formats,
                                  rules=[Rule("progress", "databar"), Rule("status", "rag")]))
        if self.ahp:
            tables += self._ahp_tables()
        if r.notes:
            tables.append(ResultTable(pd.DataFrame({"note": r.notes}), "Notes"))
        if self.strategy is not None and self.strategy.edges:
            where = dict(zip(self.strategy.nodes["objective"],
                             self.strategy.nodes["perspective"], strict=True))
            links = pd.DataFrame([(c, where[c], e, where[e]) for c, e in self.strategy.edges],
                                 columns=["cause", "cause perspective", "effect",
                                          "effect perspective"])
            tables.append(ResultTable(links, "Strategy map (cause and effect)"))
        if not self.by_period.empty:
            chart = Chart("line", "period", [c for c in self.by_period.columns
                                             if c != "period"],
                          "Scores by month", "month", "score (0-100)")
            tables.append(ResultTable(self.by_period, "Scores by month", chart=chart))
        if not self.trend.empty:
            trend = self.trend.reset_index()
            unit = r.kpis["unit"] if "unit" in r.kpis.columns else pd.Series(None, r.kpis.index)
            in_unit = [excel_format(kpi_kind(u)) for u in unit.reindex(self.trend.index)]
            values = [c for c in trend.columns if c in ("target", "forecast_year_end")
                      or c in set(period_columns(r.kpis))]
            tables.append(ResultTable(trend, "Trend and forecast",
                                      formats={c: in_unit for c in values}))
        return {SHEET: tables}


def _weights(wb: CRMWorkbook, kpis: pd.DataFrame) -> tuple[dict, dict[str, AHPResult],
                                                          list[str], str]:
    """evaluate_scorecard's weights, the AHP results to show, notes, and where the weights came
    from (in words, for the sheet)."""
    settings = read_settings(wb.get("Settings"), wb.names.get("Settings", "Settings"))
    settings.values("scorecard")  # every unreadable scorecard setting at once
    ri_table = random_index_table(settings)
    from_settings = perspective_weights(settings, ri_table)
    judgements = wb.get("AHP")
    sheet = (scorecard_ahp(judgements, kpis, ri_table)
             if judgements is not None and not judgements.empty else None)
    weights = dict(sheet.weights) if sheet else {}
    results = dict(sheet.results) if sheet else {}
    notes = []
    if "perspectives" in weights:
        source = "AHP perspective weights (AHP sheet)"
        if "perspectives" in from_settings:
            notes.append("the AHP sheet's perspectives matrix sets the perspective weights; "
                         "Settings perspective_ahp / perspective_weights were not used")
    elif isinstance(from_settings.get("perspectives"), AHPResult):
        weights["perspectives"] = from_settings["perspectives"]
        results = {PERSPECTIVES_MATRIX: from_settings["perspectives"], **results}
        source = "AHP perspective weights (Settings perspective_ahp)"
    elif "perspectives" in from_settings:
        weights["perspectives"] = from_settings["perspectives"]
        source = "perspective weights from Settings"
    else:
        source = "equal perspective weights"
    by_ahp = [m for m in results if m != PERSPECTIVES_MATRIX]
    source += (f"; AHP objective weights in {', '.join(by_ahp)}" if by_ahp
               else "; equal objective weights")
    return weights, results, notes, source


def scorecard_workbook(wb: CRMWorkbook, period: str | None = None,
                       cap: float = 1.0) -> ScorecardReport:
    """Evaluate the Scorecard sheet of a loaded workbook (``period`` YYYY-MM, default the
    ``actual`` column), its trend over the period columns, the score of each month, the AHP
    weights of Settings or the AHP sheet, and the strategy map of the ``drives`` column."""
    kpis = wb.get("Scorecard")
    if kpis is None:
        raise InputError("the workbook has no Scorecard sheet (or 平衡计分卡)", sheet="Scorecard")
    weights, ahp, notes, source = _weights(wb, kpis)
    year_end = year_end_month(wb.get("Settings"))  # checked even without period columns
    result = evaluate_scorecard(kpis, period, weights, cap)
    result.weights_source = source
    result.notes.extend(notes)
    strategy = strategy_map(kpis) if "drives" in kpis.columns else None
    periods = period_columns(kpis)
    trend = (scorecard_trend(kpis, periods, cap, year_end_month=year_end) if periods
             else pd.DataFrame())
    rows = []
    for p in periods:
        if kpis[p].isna().all():  # a month column laid out ahead, not filled in yet
            continue
        month = evaluate_scorecard(kpis, p, weights, cap)
        row = {"period": p, "overall": month.overall}
        row.update({name: float(s) for name, s in month.perspectives["score"].items()})
        rows.append(row)
    return ScorecardReport(wb.path, result, trend, pd.DataFrame(rows), ahp, strategy)


__all__ = ["READS", "SHEET", "ScorecardReport", "judgement_text", "perspective_weights",
           "random_index_table", "scorecard_workbook", "year_end_month"]
