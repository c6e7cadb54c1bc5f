"""``analyse_survey``: every survey routine over one Survey sheet, with the workbook's
settings, overall and by group. The result feeds the ``Survey Results`` sheet and the PDF
reports, so a number is the same wherever it appears."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from addin.contract.settings import read_settings
from addin.errors import InputError, Problem
from addin.surveys.answers import (
    REASONS,
    VALID,
    Exclusions,
    Score,
    answer_codes,
    clean_answers,
)
from addin.surveys.drivers import (
    DRIVER_COLUMNS,
    AlphaResult,
    KeyDrivers,
    cronbach_alpha,
    key_drivers,
)
from addin.surveys.gaps import (
    GAP_COLUMNS,
    IPA_COLUMNS,
    SERVQUAL_DIMENSIONS,
    ImportancePerformance,
    gap_analysis,
    importance_performance,
    item_name,
    servqual_dimension,
)
from addin.surveys.indicators import (
    LOYALTY_COLUMNS,
    loyalty_counts,
    satisfaction_indicators,
    satisfaction_loyalty,
)
from addin.surveys.kano import kano_summary
from addin.surveys.scores import (
    NPSResult,
    _nps_from,
    ces,
    csat,
    nps_difference,
    satisfaction_index,
)

UNKNOWN_GROUP = "(unknown)"
GROUP_COLUMNS = ["group", "responses", "csat", "nps", "nps_moe", "nps_low", "nps_high", "ces",
                 "index", "nps_vs_rest", "p_value", "significant"]
ANSWER_COLUMNS = ["column", "scale", "valid", "blank", "text", "out_of_range"]
EXCLUDED_COLUMNS = ["respondent_id", "row", "column", "value", "reason"]
RELIABILITY_COLUMNS = ["scale", "items", "n", "alpha", "ci_low", "ci_high", "rows_dropped"]


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _shown(value: object) -> str | None:
    """An answer as the user typed it: 11, not 11.0; None for a blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class SurveySettings:
    """The workbook settings the survey analysis reads (Settings sheet, key -> value), with
    their defaults. Every key is optional."""

    overall_scale: int = 5            # overall satisfaction: 1..overall_scale
    ces_scale: int = 7                # customer effort: 1..ces_scale (higher = easier)
    item_scale: int = 7               # perf_/imp_/exp_ items: 1..item_scale
    csat_top_box: int = 2             # CSAT: share in the top csat_top_box points
    nps_promoter_min: int = 9
    nps_detractor_max: int = 6
    satisfaction_threshold: float = 3.5   # a customer with mean overall >= this is satisfied
    repeat_orders_min: int = 2        # a customer with this many orders is loyal
    kano_like_like: str = "Q"         # Q (Berger et al. 1993) or O
    ipa_split: str = "mean"           # mean or midpoint
    survey_period_start: pd.Timestamp | None = None
    survey_period_end: pd.Timestamp | None = None
    servqual_dimensions: dict[str, str] = field(default_factory=dict)
    satisfaction_index_items: tuple[str, ...] = ()
    ask_by_name_item: str = "ask_by_name"
    price_sensitivity_item: str = "price_sensitivity"

    @classmethod
    def from_settings(cls, settings: Mapping[str, object] | pd.DataFrame | None
                      ) -> SurveySettings:
        """Read the keys this analysis knows from a Settings mapping or a Settings sheet
        (a frame with ``key`` and ``value``, indexed by Excel row, so errors name the row).
        Every bad value is reported at once."""
        s = read_settings(settings)
        v, problems = s.checked("survey")  # every problem, each with its row, raised at once
        out = {f.name: v[f.name] for f in fields(cls) if f.name in v and s.has(f.name)}
        if s.has("servqual_dimensions"):
            mapping = {}
            for part in s.text("servqual_dimensions").replace("\n", ";").split(";"):
                if not part.strip():
                    continue
                item, sep, dim = part.partition("=")
                if not sep or not item.strip() or not dim.strip():
                    problems.append(s.problem(
                        "servqual_dimensions", "item=dimension pairs separated by ';' "
                        "(reliability_1=reliability; speed=responsiveness)"))
                    break
                mapping[item_name(item.strip())] = dim.strip().casefold()
            out["servqual_dimensions"] = mapping
        merged = {f.name: out.get(f.name, getattr(cls(), f.name)) for f in fields(cls)}
        if merged["csat_top_box"] >= merged["overall_scale"]:
            problems.append(s.problem("csat_top_box", f"fewer than overall_scale "
                                      f"({merged['overall_scale']}) points"))
        if not 0 <= merged["nps_detractor_max"] < merged["nps_promoter_min"] <= 10:
            problems.append(Problem(
                "settings nps_detractor_max and nps_promoter_min: expected "
                "0 <= nps_detractor_max < nps_promoter_min <= 10", sheet=s.sheet,
                row=s.row("nps_promoter_min") or s.row("nps_detractor_max"), column="value"))
        if problems:
            raise InputError.from_problems(problems)
        return cls(**merged)


@dataclass
class SurveyReport:
    """Everything :func:`analyse_survey` found, as plain numbers and frames."""

    responses: int
    csat: Score
    nps: NPSResult
    ces: Score
    index: Score
    alpha: AlphaResult | None
    gaps: pd.DataFrame
    kano: pd.DataFrame
    ipa: ImportancePerformance
    drivers: KeyDrivers
    reliability: pd.DataFrame
    indicators: pd.DataFrame
    loyalty: pd.DataFrame
    loyalty_counts: pd.DataFrame
    answers: pd.DataFrame
    excluded_answers: pd.DataFrame
    settings: SurveySettings
    period: tuple[pd.Timestamp | None, pd.Timestamp | None]
    by: str | None = None
    groups: pd.DataFrame | None = None

    def headline(self) -> pd.DataFrame:
        """The headline block: measure, value, and what it rests on."""
        s = self.settings
        n = self.nps
        rows = [
            ("responses", float(self.responses), "rows of the Survey sheet"),
            (f"CSAT (% top {s.csat_top_box} of 1..{s.overall_scale})", float(self.csat),
             f"{self.csat.n:,} answers; left out: {self.csat.excluded.describe()}"),
            ("NPS", n.score, f"{n.n:,} answers: {n.promoters:,} promoters, {n.passives:,} "
             f"passives, {n.detractors:,} detractors; left out: {n.excluded.describe()}"),
            ("NPS margin of error (95 %, +/- points)", n.margin_of_error,
             f"NPS from {n.ci_low:.1f} to {n.ci_high:.1f}" if n.n >= 2 else "too few answers"),
            (f"CES (mean of 1..{s.ces_scale}, higher is easier)", float(self.ces),
             f"{self.ces.n:,} answers; left out: {self.ces.excluded.describe()}"),
            ("satisfaction index (0..100)", float(self.index),
             f"{self.index.n:,} respondents; left out: {self.index.excluded.describe()}"),
        ]
        if self.alpha is not None:
            a = self.alpha
            rows.append(("Cronbach's alpha (performance items)", a.alpha,
                         f"{a.k} items, {a.n:,} complete rows; 95 % CI {a.ci_low:.3f} to "
                         f"{a.ci_high:.3f}"))
        return pd.DataFrame(rows, columns=["measure", "value", "basis"])


def _columns(survey: pd.DataFrame, prefix: str) -> list[str]:
    return [c for c in survey.columns if str(c).casefold().startswith(prefix)]


def _scales(survey: pd.DataFrame, s: SurveySettings) -> dict[str, tuple[int, int]]:
    scales: dict[str, tuple[int, int]] = {}
    for col, scale in (("overall", (1, s.overall_scale)), ("nps", (0, 10)),
                       ("ces", (1, s.ces_scale))):
        if col in survey.columns:
            scales[col] = scale
    for prefix in ("perf_", "imp_", "exp_"):
        for col in _columns(survey, prefix):
            scales[col] = (1, s.item_scale)
    for prefix in ("kano_f_", "kano_d_"):
        for col in _columns(survey, prefix):
            scales[col] = (1, 5)
    return scales


def _answers_tables(survey: pd.DataFrame, scales: dict[str, tuple[int, int]]
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary, detail = [], []
    ids = survey["respondent_id"] if "respondent_id" in survey.columns else \
        pd.Series(None, index=survey.index, dtype=object)
    for col, (low, high) in scales.items():
        _, codes = answer_codes(survey[col], low, high)
        ex = Exclusions.from_codes(codes)
        summary.append({"column": col, "scale": f"{low}..{high}",
                        "valid": int((codes == VALID).sum()), "blank": ex.blank,
                        "text": ex.text, "out_of_range": ex.out_of_range})
        bad = np.flatnonzero(codes != VALID)
        if len(bad):
            values = survey[col].to_numpy(dtype=object)[bad]
            detail.append(pd.DataFrame({
                "respondent_id": ids.to_numpy(dtype=object)[bad],
                "row": survey.index.to_numpy()[bad], "column": col,
                "value": [_shown(v) for v in values],
                "reason": [REASONS[c] + (f" (scale {low}..{high})" if c == 3 else "")
                           for c in codes[bad]],
            }))
    detail_frame = (pd.concat(detail, ignore_index=True) if detail
                    else pd.DataFrame(columns=EXCLUDED_COLUMNS))
    if len(detail_frame):
        detail_frame = detail_frame.sort_values(["row", "column"], kind="stable",
                                                ignore_index=True)
    return pd.DataFrame(summary, columns=ANSWER_COLUMNS), detail_frame


def _index_items(survey: pd.DataFrame, s: SurveySettings, scales: dict) -> list[str]:
    if s.satisfaction_index_items:
        missing = [c for c in s.satisfaction_index_items if c not in scales]
        if missing:
            raise InputError(
                f"setting satisfaction_index_items names {', '.join(missing)}, which the "
                "Survey sheet does not have as an answer column", sheet="Settings",
                column="value")
        return list(s.satisfaction_index_items)
    return [c for c in ("overall", *_columns(survey, "perf_")) if c in scales]


def _headline_scores(survey: pd.DataFrame, s: SurveySettings, scales: dict
                     ) -> tuple[Score, NPSResult, Score, Score]:
    empty = pd.Series([], dtype=object)
    overall = survey["overall"] if "overall" in survey.columns else empty
    csat_score = csat(overall, s.overall_scale, s.csat_top_box)
    nps_result = _nps_from(clean_answers(survey["nps"] if "nps" in survey.columns else empty,
                                         0, 10), s.nps_promoter_min, s.nps_detractor_max)
    ces_score = ces(survey["ces"] if "ces" in survey.columns else empty, s.ces_scale)
    items = _index_items(survey, s, scales)
    if items:
        index = satisfaction_index(survey[items], scales={c: scales[c] for c in items})
    else:
        index = Score(math.nan, 0)
    return csat_score, nps_result, ces_score, index


def _groups(survey: pd.DataFrame, by: str, customers: pd.DataFrame | None) -> pd.Series:
    """The group of each response: the survey's own column ``by``, or the customer's."""
    if by in survey.columns:
        return survey[by].map(_text).fillna(UNKNOWN_GROUP)
    if customers is None or by not in customers.columns:
        if by == "tier":
            raise InputError(
                "cannot group by tier: the Customers sheet has no 'tier' column; run the "
                "tiering first (it writes each customer's tier) or group by segment or "
                "region", sheet="Customers", row=1, column="tier")
        raise InputError(f"cannot group by {by!r}: neither the Survey nor the Customers sheet "
                         f"has that column", sheet="Customers", row=1, column=by)
    if "customer_id" not in survey.columns:
        raise InputError(f"cannot group by {by!r}: the Survey sheet has no customer_id column "
                         f"to find each respondent's customer", sheet="Survey", row=1,
                         column="customer_id")
    first = customers.drop_duplicates("customer_id", keep="first")
    lookup = pd.Series(first[by].map(_text).to_numpy(), index=first["customer_id"].to_numpy())
    return survey["customer_id"].map(lookup).fillna(UNKNOWN_GROUP)


def _group_table(survey: pd.DataFrame, groups: pd.Series, s: SurveySettings, scales: dict
                 ) -> pd.DataFrame:
    rows = []
    names = sorted(groups.unique(), key=lambda g: (g == UNKNOWN_GROUP, str(g)))
    nps_col = survey["nps"] if "nps" in survey.columns else None
    for name in names:
        mask = (groups == name).to_numpy()
        part = survey[mask]
        c, n, e, i = _headline_scores(part, s, scales)
        if nps_col is not None:
            rest = _nps_from(clean_answers(nps_col[~mask], 0, 10), s.nps_promoter_min,
                             s.nps_detractor_max)
            test = nps_difference(n, rest)
            diff, p = test.difference, test.p_value
        else:
            diff = p = math.nan
        rows.append({"group": name, "responses": int(mask.sum()), "csat": float(c),
                     "nps": n.score, "nps_moe": n.margin_of_error, "nps_low": n.ci_low,
                     "nps_high": n.ci_high, "ces": float(e), "index": float(i),
                     "nps_vs_rest": diff, "p_value": p,
                     "significant": bool(p < 0.05) if p == p else None})
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)


def _reliability(survey: pd.DataFrame, s: SurveySettings, dims: Mapping[str, str]
                 ) -> tuple[AlphaResult | None, pd.DataFrame]:
    perf = _columns(survey, "perf_")
    scale = (1, s.item_scale)
    rows = []
    alpha = None
    if len(perf) >= 2:
        alpha = cronbach_alpha(survey[perf], scale)
        rows.append(("performance items (all)", alpha))
    by_dim: dict[str, list[str]] = {}
    for col in perf:
        dim = dims.get(item_name(col)) or servqual_dimension(col)
        if dim:
            by_dim.setdefault(dim, []).append(col)
    order = [d for d in SERVQUAL_DIMENSIONS if d in by_dim] + \
        [d for d in by_dim if d not in SERVQUAL_DIMENSIONS]
    for dim in order:
        if len(by_dim[dim]) >= 2:
            rows.append((f"{dim} (performance)", cronbach_alpha(survey[by_dim[dim]], scale)))
    table = pd.DataFrame([{"scale": name, "items": r.k, "n": r.n, "alpha": r.alpha,
                           "ci_low": r.ci_low, "ci_high": r.ci_high,
                           "rows_dropped": r.rows_dropped} for name, r in rows],
                         columns=RELIABILITY_COLUMNS)
    return alpha, table


def _period(survey: pd.DataFrame, s: SurveySettings
            ) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    start, end = s.survey_period_start, s.survey_period_end
    if "date" in survey.columns and survey["date"].notna().any():
        dates = pd.to_datetime(survey["date"])
        start = start if start is not None else dates.min().normalize()
        end = end if end is not None else dates.max().normalize()
    return start, end


def analyse_survey(survey: pd.DataFrame, customers: pd.DataFrame | None = None,
                   transactions: pd.DataFrame | None = None,
                   complaints: pd.DataFrame | None = None,
                   settings: Mapping[str, object] | pd.DataFrame | None = None,
                   by: str | None = None) -> SurveyReport:
    """Every survey routine over one Survey sheet (the frame ``load_crm_workbook`` gives:
    one row per response, indexed by Excel row; answers as numbers or text).

    * headline: CSAT of ``overall``, NPS of ``nps`` with its margin, CES of ``ces``, the
      satisfaction index (``overall`` and the ``perf_`` items, or the Settings list
      ``satisfaction_index_items``), Cronbach's alpha of the ``perf_`` items;
    * ``gaps`` (``perf_X`` vs ``exp_X``), ``ipa`` (``imp_X`` vs ``perf_X``), ``drivers``
      (``overall`` on the ``perf_`` items), ``kano`` (``kano_f_X``/``kano_d_X``),
      ``reliability`` (all ``perf_`` items, then each SERVQUAL dimension with 2+ items);
    * ``indicators`` and ``loyalty`` over the period: Settings ``survey_period_start`` /
      ``survey_period_end``, by default the survey's own first to last date (all orders and
      complaints when the survey has no dates);
    * ``answers`` (per column: valid, blank, text, out of range) and ``excluded_answers``
      (every answer left out, with respondent, Excel row, column, value and reason);
    * with ``by`` (a Survey column, or a Customers column such as ``segment``, ``region`` or
      ``tier`` reached through ``customer_id``): ``groups``, the headline per group and each
      group's NPS against the rest (:func:`nps_difference`); respondents whose group is
      unknown form the group "(unknown)".

    The scales come from ``settings`` (:class:`SurveySettings`). A section whose columns the
    survey lacks is empty; a survey without rows gives blank scores.
    """
    s = SurveySettings.from_settings(settings)
    scales = _scales(survey, s)
    csat_score, nps_result, ces_score, index = _headline_scores(survey, s, scales)
    perf, imp, exp = (_columns(survey, p) for p in ("perf_", "imp_", "exp_"))
    dims = s.servqual_dimensions
    item_scale = (1, s.item_scale)
    perf_items = {item_name(c): c for c in perf}
    exp_pairs = [(perf_items[item_name(c)], c) for c in exp if item_name(c) in perf_items]
    if exp_pairs:
        gaps = gap_analysis(survey[[p for p, _ in exp_pairs]], survey[[e for _, e in exp_pairs]],
                            dims or None, item_scale)
    else:
        gaps = pd.DataFrame(columns=GAP_COLUMNS)
    imp_pairs = [(c, perf_items[item_name(c)]) for c in imp if item_name(c) in perf_items]
    if imp_pairs:
        ipa = importance_performance(survey[[i for i, _ in imp_pairs]],
                                     survey[[p for _, p in imp_pairs]], s.ipa_split,
                                     item_scale, dims or None)
    else:
        ipa = ImportancePerformance(pd.DataFrame(columns=IPA_COLUMNS), math.nan, math.nan,
                                    s.ipa_split)
    if perf and "overall" in survey.columns:
        drivers = key_drivers(survey["overall"], survey[perf].rename(columns=item_name),
                              (1, s.overall_scale), item_scale)
    else:
        drivers = KeyDrivers(pd.DataFrame(columns=DRIVER_COLUMNS))
    kano_cols = _columns(survey, "kano_f_") + _columns(survey, "kano_d_")
    kano = kano_summary(survey[kano_cols], s.kano_like_like)
    alpha, reliability = _reliability(survey, s, dims)
    start, end = _period(survey, s)
    indicators = satisfaction_indicators(
        customers, transactions, complaints, survey, start=start, end=end,
        overall_scale=s.overall_scale, top_box=s.csat_top_box,
        promoter_min=s.nps_promoter_min, name_item=s.ask_by_name_item,
        price_item=s.price_sensitivity_item)
    if "customer_id" in survey.columns and "overall" in survey.columns \
            and transactions is not None:
        loyalty = satisfaction_loyalty(survey, transactions, threshold=s.satisfaction_threshold,
                                       repeat_min=s.repeat_orders_min,
                                       overall_scale=s.overall_scale, start=start,
                                       end=end).table
    else:
        loyalty = pd.DataFrame(columns=LOYALTY_COLUMNS)
    answers, excluded = _answers_tables(survey, scales)
    groups = None
    if by:
        groups = _group_table(survey, _groups(survey, by, customers), s, scales)
    return SurveyReport(
        responses=len(survey), csat=csat_score, nps=nps_result, ces=ces_score, index=index,
        alpha=alpha, gaps=gaps, kano=kano, ipa=ipa, drivers=drivers, reliability=reliability,
        indicators=indicators, loyalty=loyalty, loyalty_counts=loyalty_counts(loyalty),
        answers=answers, excluded_answers=excluded, settings=s, period=(start, end), by=by,
        groups=groups)
