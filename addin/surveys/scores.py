"""Headline scores: CSAT, NPS (with its margin of error and a test between two groups), CES
and an ACSI-style satisfaction index on 0..100."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from addin.errors import InputError
from addin.surveys.answers import (
    VALID,
    CleanAnswers,
    Exclusions,
    Score,
    answer_codes,
    check_scale,
    clean_answers,
)

#: z for a two-sided 95 % interval, rounded as the NPS literature writes it.
Z95 = 1.96


def csat(scores: object, scale: int = 5, top_box: int = 2) -> float:
    """Customer satisfaction score: the share of top-box answers, in percent.

    ``CSAT = 100 * (answers in the top `top_box` points of 1..scale) / (valid answers)``; with
    the defaults, the share of 4s and 5s on a 1..5 scale, the "top-two-box" (Hayes,
    *Measuring Customer Satisfaction and Loyalty*, 3rd ed., ASQ Quality Press, 2008).

    Answers that are blank, text or not a whole point of 1..scale are left out and counted
    (``result.excluded``); the result is a :class:`~addin.surveys.answers.Score`, a float
    that also carries ``n`` (valid answers). No valid answer gives NaN with ``n = 0``; one
    answer gives 0 or 100.
    """
    if scale < 2 or not 1 <= top_box < scale:
        raise InputError(f"top_box must be 1..{scale - 1} for a 1..{scale} scale "
                         f"(got top_box={top_box}, scale={scale})")
    answers = clean_answers(scores, 1, scale)
    valid = answers.valid
    value = 100.0 * float((valid > scale - top_box).mean()) if len(valid) else math.nan
    return Score(value, len(valid), answers.excluded)


@dataclass(frozen=True)
class NPSResult:
    """Net promoter score of one group of answers.

    ``score`` in -100..100, ``promoters``/``passives``/``detractors``/``n`` counts of valid
    answers, ``margin_of_error`` (95 %, in points), ``excluded`` the answers left out.
    """

    score: float
    promoters: int
    passives: int
    detractors: int
    n: int
    margin_of_error: float
    excluded: Exclusions

    @property
    def variance(self) -> float:
        """Variance of one answer scored +1/0/-1: (pP + pD) - (pP - pD)^2."""
        if self.n == 0:
            return math.nan
        p_pro, p_det = self.promoters / self.n, self.detractors / self.n
        return (p_pro + p_det) - (p_pro - p_det) ** 2

    @property
    def ci_low(self) -> float:
        return self.score - self.margin_of_error

    @property
    def ci_high(self) -> float:
        return self.score + self.margin_of_error


def _nps_counts(valid: np.ndarray, promoter_min: int, detractor_max: int) -> tuple[int, int, int]:
    promoters = int(np.count_nonzero(valid >= promoter_min))
    detractors = int(np.count_nonzero(valid <= detractor_max))
    return promoters, len(valid) - promoters - detractors, detractors


def nps(scores: object, promoter_min: int = 9, detractor_max: int = 6) -> NPSResult:
    """Net promoter score (Reichheld, "The One Number You Need to Grow", HBR 2003).

    Answers to "how likely are you to recommend us" on 0..10: promoters answer
    ``promoter_min``..10 (9-10), detractors 0..``detractor_max`` (0-6), passives the rest.
    ``NPS = 100 * (promoters - detractors) / n``.

    The margin of error is the 95 % half-width from the variance of the difference of two
    proportions of one multinomial sample: each answer scores +1, 0 or -1, so
    ``var = (pP + pD) - (pP - pD)^2`` and ``MOE = 1.96 * sqrt(var / n) * 100`` points. With
    fewer than two valid answers the margin is NaN (one answer says nothing about spread).

    Blanks, text ("N/A", "don't know") and numbers that are not whole points of 0..10 (11,
    7.5, -1) are left out and counted in ``excluded``. No valid answer gives ``score`` NaN.
    """
    if not 0 <= detractor_max < promoter_min <= 10:
        raise InputError("need 0 <= detractor_max < promoter_min <= 10 "
                         f"(got detractor_max={detractor_max}, promoter_min={promoter_min})")
    answers = clean_answers(scores, 0, 10)
    return _nps_from(answers, promoter_min, detractor_max)


def _nps_from(answers: CleanAnswers, promoter_min: int = 9, detractor_max: int = 6
              ) -> NPSResult:
    valid = answers.valid.to_numpy()
    promoters, passives, detractors = _nps_counts(valid, promoter_min, detractor_max)
    n = len(valid)
    score = 100.0 * (promoters - detractors) / n if n else math.nan
    result = NPSResult(score, promoters, passives, detractors, n, math.nan, answers.excluded)
    moe = Z95 * math.sqrt(result.variance / n) * 100.0 if n >= 2 else math.nan
    return NPSResult(score, promoters, passives, detractors, n, moe, answers.excluded)


@dataclass(frozen=True)
class NPSDifference:
    """``a.score - b.score`` with its standard error (points), z and two-sided p-value."""

    difference: float
    standard_error: float
    z: float
    p_value: float
    a: NPSResult
    b: NPSResult

    @property
    def significant(self) -> bool:
        """True when the difference is significant at the 5 % level."""
        return bool(self.p_value < 0.05)


def nps_difference(a: object, b: object) -> NPSDifference:
    """z-test of the difference between two net promoter scores from independent samples
    (two periods, two segments).

    ``SE = 100 * sqrt(var_a / n_a + var_b / n_b)`` with ``var = (pP + pD) - (pP - pD)^2`` of
    each sample, ``z = (NPS_a - NPS_b) / SE``, ``p = 2 * (1 - Phi(|z|))`` (the normal
    approximation; for the variance see :func:`nps`). ``a`` and ``b`` are
    :class:`NPSResult` or raw 0..10 answers. A sample with fewer than two valid answers
    gives NaN for SE, z and p; an SE of 0 (every answer alike in both) gives z = 0 and p = 1
    when the scores are equal, otherwise an infinite z and p = 0.
    """
    a = a if isinstance(a, NPSResult) else nps(a)
    b = b if isinstance(b, NPSResult) else nps(b)
    diff = a.score - b.score
    if a.n < 2 or b.n < 2:
        return NPSDifference(diff, math.nan, math.nan, math.nan, a, b)
    se = 100.0 * math.sqrt(a.variance / a.n + b.variance / b.n)
    if se == 0:
        z = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    else:
        z = diff / se
    p = float(2 * stats.norm.sf(abs(z)))
    return NPSDifference(diff, se, z, p, a, b)


def ces(scores: object, scale: int = 7) -> float:
    """Customer effort score: the mean answer on 1..scale.

    The CES 2.0 question ("the company made it easy for me to handle my issue", 1 strongly
    disagree .. 7 strongly agree; Dixon, Toman & DeLisi, *The Effortless Experience*, 2013):
    higher is easier. Answers that are blank, text or not a whole point of 1..scale are left
    out and counted; the result is a :class:`~addin.surveys.answers.Score` (NaN, ``n = 0``
    without a valid answer).
    """
    if scale < 2:
        raise InputError(f"scale must be at least 2 (got {scale})")
    answers = clean_answers(scores, 1, scale)
    valid = answers.valid
    return Score(float(valid.mean()) if len(valid) else math.nan, len(valid), answers.excluded)


def satisfaction_index(items: pd.DataFrame, weights: Mapping[str, float] | None = None,
                       scales: Mapping[str, tuple[float, float]] | tuple[float, float] = (1, 10)
                       ) -> float:
    """An ACSI-style satisfaction index on 0..100.

    Each item's valid answers are averaged, the mean is rescaled from the item's scale
    ``(low, high)`` to 0..100 as ``100 * (mean - low) / (high - low)``, and the index is the
    weighted mean of the rescaled item means (Fornell et al., "The American Customer
    Satisfaction Index", Journal of Marketing 60(4), 1996, report the index this way; their
    weights come from a PLS model, ours are given, equal by default).

    ``items`` is a DataFrame, one column per question; ``scales`` one ``(low, high)`` for
    all, or per column; ``weights`` per column (normalised to add up to 1 over the items
    that have at least one valid answer). Answers that are blank, text or off the scale are
    left out and counted. Returns a :class:`~addin.surveys.answers.Score` with ``n`` the
    respondents with at least one valid answer; NaN when no item has a valid answer.
    """
    if isinstance(items, pd.Series):
        items = items.to_frame()
    if items.shape[1] == 0:
        raise InputError("satisfaction_index needs at least one item")
    weights = dict(weights) if weights is not None else {c: 1.0 for c in items.columns}
    unknown = set(weights) - set(items.columns)
    if unknown:
        raise InputError(f"weights name columns that are not items: {sorted(map(str, unknown))}")
    if any(w < 0 or not np.isfinite(w) for w in weights.values()):
        raise InputError("weights must be finite and not negative")
    means, used, excluded = [], [], Exclusions()
    answered = np.zeros(len(items), dtype=bool)
    for col in items.columns:
        low, high = scales[col] if isinstance(scales, Mapping) else scales
        check_scale(low, high, f"the scale of {col}")
        numbers, codes = answer_codes(items[col], low, high)
        excluded += Exclusions.from_codes(codes)
        valid = codes == VALID
        answered |= valid
        if valid.any() and weights.get(col, 0.0) > 0:
            means.append(100.0 * (numbers[valid].mean() - low) / (high - low))
            used.append(weights[col])
    n = int(answered.sum())
    if not used or sum(used) == 0:
        return Score(math.nan, n, excluded)
    return Score(float(np.average(means, weights=used)), n, excluded)
