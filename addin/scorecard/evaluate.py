"""The balanced-scorecard roll-up, its trend, the strategy map, and fuzzy evaluation.

Roll-up (Kaplan & Norton 1996; weighted-sum scoring as in the Chinese CRM-BSC literature):

* each KPI's progress comes from :func:`~addin.scorecard.progress.kpi_progress` (capped at
  ``cap``), its status from the KPI's own red/amber limits where the sheet gives both, else
  from progress bands;
* KPI weights are normalised within their objective over the KPIs **that have an actual**: a
  KPI with no actual is left out, its objective's other weights renormalised, and the result's
  ``notes`` say so; an objective with no KPI left is left out of its perspective the same way;
* objective score = sum of (normalised KPI weight x progress); objectives weigh equally within
  their perspective unless ``weights["objectives"]`` says otherwise (keyed by objective, or by
  ``(perspective, objective)`` when a name repeats across perspectives; normalised within the
  perspective over the objectives that are scored);
* perspective score = weighted mean of its objectives; perspectives weigh equally unless
  ``weights["perspectives"]`` (numbers, or an :class:`AHPResult`) says otherwise;
* overall = 100 x the weighted mean of the perspective scores (0..100, or up to 100 x cap).

Each KPI's ``global_weight`` is the product of its normalised weights down the hierarchy, so the
``weighted_score`` column (100 x global weight x progress) sums to the overall score.
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from addin.errors import InputError, Problem
from addin.scorecard.ahp import AHPResult
from addin.scorecard.progress import kpi_progress, kpi_status

PERSPECTIVE_ORDER = ("financial", "customer", "internal process", "learning and growth")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SHEET = "Scorecard"


# --------------------------------------------------------------------------------------------
# fuzzy comprehensive evaluation


@dataclass
class FuzzyResult:
    membership: pd.Series  # B, normalised, by grade
    grade: str
    score: float


def fuzzy_evaluation(weights: Any, membership: Any, grades: Any) -> FuzzyResult:
    """Fuzzy comprehensive evaluation with the weighted-average operator M(., +):
    ``B = W . R`` (W the 1 x m weights, R the m x k membership of each factor in each grade),
    normalised to sum 1; the overall grade is the one of maximum membership; the crisp score is
    ``B . v`` with the grade values ``v`` (as used to evaluate CRM performance in the Chinese BSC
    literature, e.g. the 模糊综合评价 of CRM performance with AHP weights).

    ``grades`` maps grade name -> value (e.g. {"excellent": 95, "good": 80, ...}) or is a list
    of names (then the score is NaN). ``membership`` rows are factors, columns grades."""
    w = np.asarray(weights, dtype=float).ravel()
    r = np.asarray(membership, dtype=float)
    if r.ndim != 2 or r.shape[0] != len(w):
        raise InputError(f"membership must have one row per weight ({len(w)}), got {r.shape}")
    if (w < 0).any() or (r < 0).any():
        raise InputError("weights and memberships must not be negative")
    names = list(grades.keys()) if isinstance(grades, dict) else list(grades)
    if r.shape[1] != len(names):
        raise InputError(f"membership has {r.shape[1]} grade columns, grades name {len(names)}")
    b = (w / w.sum()) @ r
    if b.sum() <= 0:
        raise InputError("no membership in any grade")
    b = b / b.sum()
    values = np.asarray(list(grades.values()), dtype=float) if isinstance(grades, dict) else None
    score = float(b @ values) if values is not None else float("nan")
    return FuzzyResult(pd.Series(b, index=names, name="membership"), names[int(np.argmax(b))],
                       score)


# --------------------------------------------------------------------------------------------
# roll-up


@dataclass
class ScorecardResult:
    kpis: pd.DataFrame
    objectives: pd.DataFrame
    perspectives: pd.DataFrame
    overall: float
    period: str | None
    notes: list[str] = field(default_factory=list)
    weights_source: str = "equal perspective and objective weights"
    ahp: AHPResult | None = None

    def overview(self) -> list[dict[str, Any]]:
        """Perspective, score (0..100) and status, in scorecard order, for the reports."""
        return [{"perspective": p, "score": float(r["score"]), "status": r["status"]}
                for p, r in self.perspectives.iterrows()]


def period_columns(kpis: pd.DataFrame) -> list[str]:
    return sorted(c for c in kpis.columns if isinstance(c, str) and _PERIOD.match(c))


def _row_error(sheet: str | None, label: Any, column: str, expected: str,
               value: Any) -> Problem:
    return Problem(expected, sheet=sheet,
                   row=int(label) if isinstance(label, (int, np.integer)) else None,
                   column=column, value=value, has_value=True)


def check_scorecard(kpis: pd.DataFrame, sheet: str | None = SHEET) -> None:
    """Sheet-level checks the reader cannot make: a target equal to its baseline (progress has
    no distance to measure; almost always a typing mistake) and red/amber limits in the wrong
    order for the polarity (higher is better: red at or below amber; lower is better: red at or
    above amber; otherwise the amber band is empty and the limits were likely typed for the
    other polarity). Raises one InputError listing every such row, naming ``sheet`` (None
    when the rows are those of a range, as in ``CRM_BSC``)."""
    problems = []
    blank = pd.Series(np.nan, kpis.index)
    baseline = kpis["baseline"] if "baseline" in kpis.columns else blank
    polarity = kpis["polarity"].fillna("higher") if "polarity" in kpis.columns else \
        pd.Series("higher", kpis.index)
    same = baseline.notna() & (kpis["target"] == baseline) & (polarity != "target")
    for label in kpis.index[same]:
        problems.append(_row_error(sheet, label, "baseline",
                                   "a baseline different from the target (progress is measured "
                                   "from baseline to target)", baseline[label]))
    red, amber = kpis.get("red", blank), kpis.get("amber", blank)
    wrong = ((polarity == "higher") & (red > amber)) | ((polarity == "lower") & (red < amber))
    for label in kpis.index[wrong]:
        side = "at or below" if polarity[label] == "higher" else "at or above"
        problems.append(_row_error(sheet, label, "amber",
                                   f"an amber limit with the red limit {side} it ({polarity[label]}"
                                   f" is better; red is {red[label]:g})", amber[label]))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InputError.from_problems(problems)


def _column(kpis: pd.DataFrame, name: str, default: Any = np.nan) -> np.ndarray:
    """One column of the KPI rows as an array (numbers as float, polarity as text), or the
    default for every row when the sheet has no such column."""
    if name not in kpis.columns:
        return np.full(len(kpis), default, dtype=object if isinstance(default, str) else float)
    if name == "polarity":
        return kpis[name].fillna(default).to_numpy(dtype=object)
    return pd.to_numeric(kpis[name], errors="coerce").to_numpy(dtype=float)


def rag_status(actual: np.ndarray, progress: np.ndarray, polarity: np.ndarray,
               red: np.ndarray, amber: np.ndarray,
               thresholds: tuple[float, float] | None = None) -> np.ndarray:
    """The status the scorecard shows: by the KPI's own ``red``/``amber`` limits (in the
    actual's unit) where both are given and the polarity has a direction, else by progress
    bands (:func:`~addin.scorecard.progress.kpi_status`). Arrays of one shape (one row per
    KPI, or KPIs x months), so the sheet's status and the trend's "reaches target" come from
    this one rule."""
    status = np.asarray(kpi_status(progress, thresholds), dtype=object)
    limited = ~np.isnan(red) & ~np.isnan(amber) & (polarity != "target") & ~np.isnan(actual)
    if limited.any():
        direction = np.where(polarity == "target", "higher", polarity)  # masked out below
        by_limits = np.asarray(kpi_status(actual, polarity=direction, red=red, amber=amber),
                               dtype=object)
        status = np.where(limited, by_limits, status)
    return status


def _normalise(weights: pd.Series, groups: pd.Series) -> pd.Series:
    totals = weights.groupby(groups).transform("sum")
    equal = 1.0 / groups.map(groups.value_counts()).astype(float)
    return (weights / totals).where(totals > 0, equal)


def _perspective_weights(weights: dict | None, present: list[str]) -> tuple[pd.Series, str,
                                                                            AHPResult | None]:
    spec = (weights or {}).get("perspectives")
    if spec is None:
        w = pd.Series(1.0, index=present)
        return w / w.sum(), "equal perspective weights", None
    ahp = spec if isinstance(spec, AHPResult) else None
    raw = pd.Series(ahp.weights if ahp is not None else spec, dtype=float)
    unknown = sorted(set(raw.index) - set(PERSPECTIVE_ORDER))
    if unknown:
        raise InputError(f"perspective weights name unknown perspectives: {', '.join(unknown)}")
    if (raw < 0).any():
        raise InputError("perspective weights must not be negative")
    w = raw.reindex(present).fillna(0.0)
    if w.sum() <= 0:
        raise InputError("perspective weights are all zero for the perspectives with data")
    source = "AHP perspective weights" if ahp is not None else "perspective weights given"
    return w / w.sum(), source, ahp


def evaluate_scorecard(kpis: pd.DataFrame, period: str | None = None,
                       weights: dict | None = None, cap: float = 1.0,
                       thresholds: tuple[float, float] | None = None,
                       sheet: str | None = SHEET) -> ScorecardResult:
    """Score every KPI, roll the scores up to objectives, perspectives and the overall score
    (0..100); see the module docstring for the rules. ``period`` ("YYYY-MM") scores that
    month's column instead of ``actual``. ``weights`` may hold ``"perspectives"`` (mapping or
    AHPResult) and ``"objectives"`` (mapping objective or (perspective, objective) -> weight).
    A sheet (or month) where no KPI has an actual is an InputError: nothing to score. Problems
    name ``sheet`` and the index as its Excel rows (``sheet=None`` for a range's rows)."""
    if kpis is None or kpis.empty:
        raise InputError("the Scorecard sheet has no KPIs", sheet=SHEET)
    check_scorecard(kpis, sheet)
    if period is not None:
        if period not in kpis.columns:
            have = ", ".join(period_columns(kpis)) or "none"
            raise InputError(f"the Scorecard sheet has no {period} column (periods: {have})",
                             sheet=SHEET)
        actual = kpis[period]
    else:
        actual = kpis["actual"]
    t = kpis.copy()
    t["actual"] = pd.to_numeric(actual, errors="coerce")
    polarity = t["polarity"].fillna("higher") if "polarity" in t.columns else "higher"
    baseline = t["baseline"] if "baseline" in t.columns else None
    tolerance = t["tolerance"] if "tolerance" in t.columns else None
    t["progress"] = kpi_progress(t["actual"], t["target"], baseline, polarity, tolerance, cap)
    t["status"] = pd.Series(
        rag_status(t["actual"].to_numpy(dtype=float), t["progress"].to_numpy(dtype=float),
                   _column(t, "polarity", "higher"), _column(t, "red"), _column(t, "amber"),
                   thresholds), index=t.index, dtype=object)
    notes: list[str] = []
    has = t["progress"].notna()
    if not has.any():
        raise InputError(f"no KPI of the Scorecard sheet has an actual"
                         f"{' for ' + period if period else ''}: there is nothing to score",
                         sheet=sheet)
    for label in t.index[~has]:
        notes.append(f"{t.at[label, 'kpi']} (row {label}) has no actual"
                     f"{' for ' + period if period else ''}: left out, and the other KPIs of "
                     f"'{t.at[label, 'objective']}' reweighted")
    # an objective is named within its perspective: the same name may appear under two
    t["_objective_key"] = t["perspective"].astype(str) + "\x1f" + t["objective"].astype(str)
    scored = t[has].copy()
    scored["kpi_weight"] = _normalise(scored["weight"].astype(float), scored["_objective_key"])
    obj_w = (weights or {}).get("objectives") or {}
    scored["_weighted"] = scored["kpi_weight"] * scored["progress"]
    objectives = (scored.groupby(["perspective", "objective"], sort=False)["_weighted"]
                  .agg(score="sum", kpis="size").reset_index())
    dropped = set(t["_objective_key"]) - set(scored["_objective_key"])
    for name in sorted(key.split("\x1f")[1] for key in dropped):
        notes.append(f"objective '{name}' has no KPI with an actual: left out of its "
                     "perspective")
    raw = pd.Series([float(obj_w.get((p, o), obj_w.get(o, 1.0))) for p, o in
                     zip(objectives["perspective"], objectives["objective"], strict=True)],
                    index=objectives.index)
    if (raw < 0).any():
        raise InputError("objective weights must not be negative")
    objectives["objective_weight"] = _normalise(raw, objectives["perspective"])
    present = [p for p in PERSPECTIVE_ORDER if p in set(objectives["perspective"])]
    p_weights, source, ahp = _perspective_weights(weights, present)
    perspectives = (objectives.assign(w=objectives["objective_weight"] * objectives["score"])
                    .groupby("perspective")["w"].sum().reindex(present).rename("score").to_frame())
    perspectives["weight"] = p_weights
    perspectives["status"] = kpi_status(perspectives["score"], thresholds)
    perspectives["score"] = 100 * perspectives["score"]
    overall = float((perspectives["score"] * perspectives["weight"]).sum())
    objectives["score"] = 100 * objectives["score"]
    objectives["status"] = kpi_status(objectives["score"] / 100, thresholds)
    # global weight of each KPI: kpi x objective x perspective
    o_index = pd.Series(objectives["objective_weight"].to_numpy(),
                        index=objectives["perspective"].astype(str) + "\x1f"
                        + objectives["objective"].astype(str))
    t["kpi_weight"] = scored["kpi_weight"]
    t["global_weight"] = (t["kpi_weight"] * t["_objective_key"].map(o_index)
                          * t["perspective"].map(p_weights))
    t = t.drop(columns="_objective_key")
    t["weighted_score"] = 100 * t["global_weight"] * t["progress"]
    perspectives.index.name = "perspective"
    return ScorecardResult(t, objectives, perspectives, overall, period, notes, source, ahp)


# --------------------------------------------------------------------------------------------
# trend


def scorecard_trend(kpis: pd.DataFrame, periods: list[str] | None = None, cap: float = 1.0,
                    flat_share: float = 0.05, window: int = 6,
                    year_end_month: int = 12, stale_after: int = 3,
                    thresholds: tuple[float, float] | None = None) -> pd.DataFrame:
    """Per KPI: the actuals and progress over the period columns (``YYYY-MM``, in month
    order), the direction over the last ``window`` periods, and a straight-line forecast to
    the end of the (fiscal) year.

    * direction: the least-squares line through the last ``window`` actuals (x in months, so a
      skipped month counts) changes by ``slope x months spanned``; that change is *flat* when
      smaller than ``flat_share`` of the KPI's scale (``|target - baseline|``, else
      ``|target|``), else *improving* or *worsening* by polarity (for ``target`` polarity:
      improving when the line ends closer to target);
    * forecast: the least-squares line through all periods, extended month by month to the
      year's last month ``year_end_month`` (12: December; 3 for a fiscal year starting in
      April); none when the last period is that month. ``reaches_target`` is "already" when
      the scorecard shows the last period's actual green, else the first forecast month the
      scorecard would show green (the same rule, :func:`rag_status`: progress bands, or the
      row's red/amber limits), or, for ``target`` polarity, in which the line crosses the
      target; blank when the line does not get there this year. So a KPI shown red or amber
      is never "already" at its target.
    * blanks: a missing actual is left out of the fits; with fewer than two actuals in a fit
      the direction is "no data" and the forecast blank.
    * stale data: when the last ``stale_after`` period columns (or more) hold no actual for a
      KPI, its direction is "stale" and there is no forecast (a line through old months says
      nothing about this year); ``last_actual`` names the last period with an actual.
    Vectorised over KPIs: one pass of sums, no loop per KPI.
    """
    if not 1 <= year_end_month <= 12:
        raise InputError(f"year_end_month {year_end_month}: a month 1..12")
    periods = sorted(periods or period_columns(kpis))
    if not periods:
        raise InputError("the Scorecard sheet has no period columns (YYYY-MM) for a trend",
                         sheet=SHEET)
    y = kpis[periods].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    target = kpis["target"].to_numpy(dtype=float)
    baseline = kpis["baseline"].to_numpy(dtype=float) if "baseline" in kpis.columns else \
        np.full(len(kpis), np.nan)
    pol = (kpis["polarity"].fillna("higher").to_numpy(dtype=object)
           if "polarity" in kpis.columns else np.full(len(kpis), "higher", dtype=object))
    given_tol = (kpis["tolerance"].to_numpy(dtype=float) if "tolerance" in kpis.columns
                 else np.full(len(kpis), np.nan))

    def fit(values: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ok = ~np.isnan(values)
        n = ok.sum(axis=1)
        xs = np.where(ok, x, 0.0)
        ys = np.where(ok, values, 0.0)
        sx, sy = xs.sum(axis=1), ys.sum(axis=1)
        sxx, sxy = (xs * xs).sum(axis=1), (xs * ys).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
            intercept = (sy - slope * sx) / n
        slope = np.where(n >= 2, slope, np.nan)
        return slope, intercept, n

    first = pd.Period(periods[0], freq="M")
    x_all = np.array([(pd.Period(p, freq="M") - first).n for p in periods], dtype=float)
    w = min(window, len(periods))
    slope_w, intercept_w, n_w = fit(y[:, -w:], x_all[-w:])
    scale = np.where(np.isnan(baseline), np.abs(target), np.abs(target - baseline))
    change = slope_w * (x_all[-1] - x_all[-w])
    start = intercept_w + slope_w * x_all[-w]
    end = start + change
    better = np.where(pol == "higher", change > 0,
                      np.where(pol == "lower", change < 0,
                               np.abs(end - target) < np.abs(start - target)))
    direction = np.where(np.isnan(change), "no data",
                         np.where(np.abs(change) < flat_share * scale, "flat",
                                  np.where(better, "improving", "worsening")))
    slope, intercept, _ = fit(y, x_all)
    last = pd.Period(periods[-1], freq="M")
    ahead = (year_end_month - last.month) % 12
    months = [str(last + k) for k in range(1, ahead + 1)]
    forecast = intercept[:, None] + slope[:, None] * (x_all[-1] + np.arange(1, ahead + 1))
    year_end = forecast[:, -1] if ahead else intercept + slope * x_all[-1]
    red, amber = _column(kpis, "red"), _column(kpis, "amber")

    def green(v: np.ndarray) -> np.ndarray:
        """Where the scorecard would show ``v`` green (rows: KPIs; columns: months)."""
        if v.ndim == 1:
            v = v[:, None]
        def col(a: np.ndarray) -> np.ndarray:
            return np.broadcast_to(a[:, None], v.shape)

        progress = np.asarray(kpi_progress(v, col(target), col(baseline), col(pol),
                                           col(given_tol), cap), dtype=float).reshape(v.shape)
        status = rag_status(v, progress, col(pol), col(red), col(amber), thresholds)
        return (status == "green") & ~np.isnan(v)

    has = ~np.isnan(y)
    last_idx = np.where(has.any(axis=1), y.shape[1] - 1 - np.argmax(has[:, ::-1], axis=1), -1)
    months_without = np.where(last_idx >= 0, x_all[-1] - x_all[np.maximum(last_idx, 0)],
                              np.inf)
    stale = (months_without >= stale_after) & (last_idx >= 0)
    last_actual = y[:, -1]
    reached_now = green(last_actual)[:, 0]
    reaches = np.full(len(kpis), None, dtype=object)
    if ahead:
        hit = green(forecast)
        # target polarity: the month in which the line crosses the target also reaches it
        end_fit = intercept + slope * x_all[-1]
        side = np.sign(np.concatenate([end_fit[:, None], forecast], axis=1) - target[:, None])
        crossed = (side[:, 1:] != side[:, :-1]) | (side[:, 1:] == 0)
        hit |= (pol[:, None] == "target") & crossed & ~np.isnan(forecast)
        first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
        for i in np.flatnonzero((first >= 0) & ~stale):
            reaches[i] = months[first[i]]
    reaches[reached_now] = "already"
    direction = np.where(stale, "stale", direction)
    forecast_end = np.where(stale, np.nan, year_end)
    progress = np.asarray(kpi_progress(y, target[:, None], baseline[:, None], pol[:, None],
                                       given_tol[:, None], cap), dtype=float).reshape(y.shape)
    out = pd.DataFrame({"perspective": kpis["perspective"].to_numpy(),
                        "objective": kpis["objective"].to_numpy(),
                        "kpi": kpis["kpi"].to_numpy(), "polarity": pol, "target": target},
                       index=kpis.index)
    for j, p in enumerate(periods):
        out[p] = y[:, j]
    for j, p in enumerate(periods):
        out[f"progress {p}"] = progress[:, j]
    out["direction"] = direction
    out["slope_per_month"] = slope_w
    out["forecast_year_end"] = forecast_end
    out["reaches_target"] = pd.Series(reaches, index=out.index, dtype=object)
    out["last_actual"] = pd.Series([periods[i] if i >= 0 else None for i in last_idx],
                                   index=out.index, dtype=object)
    return out


# --------------------------------------------------------------------------------------------
# strategy map


@dataclass
class StrategyMap:
    nodes: pd.DataFrame  # objective, perspective
    edges: list[tuple[str, str]]  # (cause objective, effect objective)
    order: list[str]  # objectives, causes before effects

    def graph(self) -> dict[str, list[dict[str, str]]]:
        """Plain data for the reports: ``{"nodes": [{"id", "perspective"}], "edges":
        [{"source", "target"}]}``, nodes causes first."""
        perspective = dict(zip(self.nodes["objective"], self.nodes["perspective"], strict=True))
        return {"nodes": [{"id": o, "perspective": perspective[o]} for o in self.order],
                "edges": [{"source": c, "target": e} for c, e in self.edges]}


def strategy_map(kpis: pd.DataFrame) -> StrategyMap:
    """The cause-and-effect links of the optional ``drives`` column: each objective drives the
    objectives named there (separated by ``;`` or ``,``; 、 and ； too). Every name must be an
    objective of the sheet, and the links must not form a cycle (an objective cannot, through
    others, drive itself). Errors name the Scorecard row."""
    nodes = kpis.drop_duplicates("objective")[["objective", "perspective"]].reset_index(drop=True)
    known = set(nodes["objective"])
    edges: list[tuple[str, str]] = []
    problems = []
    if "drives" in kpis.columns:
        for label, row in kpis[kpis["drives"].notna()].iterrows():
            for name in re.split(r"[;,；、]", str(row["drives"])):
                name = name.strip()
                if not name:
                    continue
                if name not in known:
                    problems.append(_row_error(SHEET, label, "drives",
                                               "names of objectives on this sheet", name))
                elif (row["objective"], name) not in edges:
                    edges.append((row["objective"], name))
    if problems:
        raise InputError.from_problems(problems)
    graph = {o: set() for o in known}
    for cause, effect in edges:
        graph[effect].add(cause)
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        first = kpis.index[kpis["objective"] == exc.args[1][0]][0]
        raise InputError.from_problems([_row_error(
            SHEET, first, "drives", "links without a cycle (an objective cannot drive itself "
            "through others)", cycle)]) from None
    return StrategyMap(nodes, edges, order)


__all__ = ["FuzzyResult", "ScorecardResult", "StrategyMap", "PERSPECTIVE_ORDER",
           "fuzzy_evaluation", "evaluate_scorecard", "check_scorecard", "scorecard_trend",
           "strategy_map", "period_columns"]
