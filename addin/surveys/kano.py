"""Kano's model: classify each respondent's pair of answers about a feature, then summarise
the feature (category by mode, Better/Worse coefficients, Fong's test).

Sources: Kano, Seraku, Takahashi & Tsuji, "Attractive quality and must-be quality", Journal of
the Japanese Society for Quality Control 14(2), 1984; Berger et al., "Kano's methods for
understanding customer-defined quality", Center for Quality of Management Journal 2(4), 1993
(the evaluation table, the Better/Worse coefficients after Timko); Matzler, Hinterhuber,
Bailom & Sauerwein, "How to delight your customers", Journal of Product & Brand Management
5(2), 1996 (the M > O > A > I rule); Fong, "Using the self-stated importance questionnaire to
interpret Kano questionnaire results", Center for Quality of Management Journal 5(3), 1996.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from addin.errors import InputError
from addin.surveys.answers import VALID, Exclusions, answer_codes, as_series

#: The answer codes of both questions.
KANO_ANSWERS = {1: "like", 2: "expect (must-be)", 3: "neutral", 4: "live with", 5: "dislike"}
KANO_NAMES = {"A": "attractive", "O": "one-dimensional", "M": "must-be", "I": "indifferent",
              "R": "reverse", "Q": "questionable"}
#: Ties between categories are resolved in this order (M > O > A > I, Matzler et al. 1996:
#: a feature that may be must-be matters more than one that may be indifferent); R and Q
#: come last.
TIE_ORDER = ("M", "O", "A", "I", "R", "Q")
KANO_COLUMNS = ["feature", "n", *TIE_ORDER, "category", "category_name", "second",
                "fong_threshold", "significant", "better", "worse", "better_worse",
                "excluded"]

# Berger et al. (1993), the Kano evaluation table: rows are the functional answer ("if the
# product has the feature, how do you feel?"), columns the dysfunctional answer ("if it does
# not have it?"), both coded 1 like, 2 expect, 3 neutral, 4 live with, 5 dislike.
_TABLE = (
    ("Q", "A", "A", "A", "O"),  # like
    ("R", "I", "I", "I", "M"),  # expect
    ("R", "I", "I", "I", "M"),  # neutral
    ("R", "I", "I", "I", "M"),  # live with
    ("R", "R", "R", "R", "Q"),  # dislike
)


def kano_table(like_like: str = "Q") -> tuple[tuple[str, ...], ...]:
    """The 5 x 5 Kano evaluation table (rows: functional answer 1..5, columns: dysfunctional
    answer 1..5).

    ``like_like`` is the category of the pair like/like. Berger et al. (1993) and most of the
    literature code it **Q** (questionable: liking both the presence and the absence of a
    feature is a contradiction, usually a misread question); some practitioner tables code it
    **O**, reading it as "I like it either way, more is better". The default is Q; the
    workbook setting ``kano_like_like`` chooses O.
    """
    if like_like not in ("Q", "O"):
        raise InputError(f"kano_like_like must be 'Q' or 'O' (got {like_like!r})")
    rows = [list(row) for row in _TABLE]
    rows[0][0] = like_like
    return tuple(tuple(row) for row in rows)


def _codes_of(functional: object, dysfunctional: object
              ) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    f_series, d_series = as_series(functional), as_series(dysfunctional)
    if len(f_series) != len(d_series):
        raise InputError(f"functional and dysfunctional answers differ in length "
                         f"({len(f_series)} and {len(d_series)})")
    f, f_codes = answer_codes(f_series, 1, 5)
    d, d_codes = answer_codes(d_series, 1, 5)
    return f_series.index, f, d, f_codes, d_codes


def kano_category(functional: object, dysfunctional: object, like_like: str = "Q"
                  ) -> str | pd.Series:
    """The Kano category of a pair of answers by the evaluation table (:func:`kano_table`):
    "A" attractive, "O" one-dimensional, "M" must-be, "I" indifferent, "R" reverse,
    "Q" questionable.

    Answers are coded 1 like, 2 expect (must-be), 3 neutral, 4 live with, 5 dislike. Two
    scalars give one letter (a blank, text or off-scale answer raises ``InputError``); two
    sequences of equal length give a Series of letters, None where either answer is blank,
    text or not 1..5 (:func:`kano_exclusions` counts the answers left out).
    """
    table = np.array(kano_table(like_like), dtype=object)
    scalar = np.ndim(functional) == 0 and np.ndim(dysfunctional) == 0
    index, f, d, f_codes, d_codes = _codes_of(functional, dysfunctional)
    ok = (f_codes == VALID) & (d_codes == VALID)
    if scalar:
        if not ok[0]:
            which = "functional" if f_codes[0] != VALID else "dysfunctional"
            value = functional if which == "functional" else dysfunctional
            raise InputError(f"the {which} answer must be 1..5 (1 like, 2 expect, 3 neutral, "
                             f"4 live with, 5 dislike), found {value!r}")
        return str(table[int(f[0]) - 1, int(d[0]) - 1])
    out = np.full(len(f), None, dtype=object)
    out[ok] = table[f[ok].astype(int) - 1, d[ok].astype(int) - 1]
    return pd.Series(out, index=index, dtype=object)


def kano_exclusions(functional: object, dysfunctional: object) -> Exclusions:
    """The answers :func:`kano_category` leaves out (blank, text, off 1..5), functional and
    dysfunctional together."""
    *_, f_codes, d_codes = _codes_of(functional, dysfunctional)
    return Exclusions.from_codes(f_codes) + Exclusions.from_codes(d_codes)


def fong_threshold(a: int, b: int, n: int) -> float:
    """Fong's (1996) critical value ``1.65 * sqrt((a + b) * (2n - a - b) / (2n))`` for the
    counts ``a`` and ``b`` of the two most frequent categories among ``n`` answers: if
    ``|a - b|`` is below it, the two do not differ significantly (at about the 10 % level,
    two-sided) and the feature is a mix of both."""
    if n <= 0:
        return math.nan
    return 1.65 * math.sqrt((a + b) * (2 * n - a - b) / (2 * n))


def _quadrant(better: float, worse: float) -> str | None:
    if math.isnan(better):
        return None
    return {(True, True): "O", (True, False): "A", (False, True): "M",
            (False, False): "I"}[(better >= 0.5, -worse >= 0.5)]


def _pairs(pairs_by_feature: object) -> dict[str, tuple[object, object]]:
    if isinstance(pairs_by_feature, pd.DataFrame):
        cols = {str(c).casefold(): c for c in pairs_by_feature.columns}
        pairs = {}
        for key, col in cols.items():
            if key.startswith("kano_f_"):
                name = str(col)[len("kano_f_"):]
                other = cols.get("kano_d_" + key[len("kano_f_"):])
                if other is None:
                    raise InputError(f"kano_f_{name} has no kano_d_{name} column")
                pairs[name] = (pairs_by_feature[col], pairs_by_feature[other])
        lonely = [str(cols[k]) for k in cols if k.startswith("kano_d_")
                  and "kano_f_" + k[len("kano_d_"):] not in cols]
        if lonely:
            raise InputError(f"{lonely[0]} has no functional (kano_f_) column")
        return pairs
    if isinstance(pairs_by_feature, Mapping):
        return {str(k): tuple(v) for k, v in pairs_by_feature.items()}
    raise InputError("kano_summary takes {feature: (functional, dysfunctional)} or a frame "
                     "of kano_f_X / kano_d_X columns")


def kano_summary(pairs_by_feature: object, like_like: str = "Q") -> pd.DataFrame:
    """One row per feature: the counts of M, O, A, I, R and Q, the category, the Better and
    Worse coefficients and Fong's test.

    ``pairs_by_feature`` is ``{feature: (functional answers, dysfunctional answers)}`` or a
    DataFrame with ``kano_f_X`` / ``kano_d_X`` column pairs.

    * ``category``: the most frequent category (the mode); ties are resolved M > O > A > I
      (Matzler et al. 1996), then R, then Q. Blank when the feature has no valid pair.
    * ``second``: the next most frequent category by the same order; ``fong_threshold`` and
      ``significant``: Fong's (1996) test ``|a - b| >= 1.65 * sqrt((a+b)(2n-a-b)/(2n))``
      with ``a``, ``b`` the counts of ``category`` and ``second`` and ``n`` every valid pair
      (R and Q included); not significant means the feature is a mix of the two.
    * ``better = (A + O) / (A + O + M + I)`` and ``worse = -(O + M) / (A + O + M + I)``
      (Berger et al. 1993, after Timko): how much meeting the need adds to satisfaction and
      how much missing it costs; blank when A + O + M + I is 0.
    * ``better_worse``: the category read from the Better-Worse diagram instead of the
      mode, with 0.5 as the line on both axes: ``better >= 0.5`` and ``|worse| >= 0.5`` O,
      only ``better`` A, only ``|worse|`` M, neither I (the quadrants of Timko's diagram in
      Berger et al. 1993; many studies classify this way, e.g. Miao et al., Scientific
      Reports 15:6793, 2025). It can differ from the mode when the counts are spread.
    * ``excluded``: the answers left out (blank, text, off 1..5), functional and
      dysfunctional together; a pair with one bad answer is not counted.
    """
    rows = []
    for feature, (functional, dysfunctional) in _pairs(pairs_by_feature).items():
        cats = kano_category(functional, dysfunctional, like_like)
        counts = {c: 0 for c in TIE_ORDER}
        for cat, count in cats.value_counts().items():
            counts[str(cat)] = int(count)
        n = sum(counts.values())
        ranked = sorted(TIE_ORDER, key=lambda c: (-counts[c], TIE_ORDER.index(c)))
        top, second = (ranked[0], ranked[1]) if n else (None, None)
        a, b = (counts[top], counts[second]) if n else (0, 0)
        threshold = fong_threshold(a, b, n)
        base = counts["A"] + counts["O"] + counts["M"] + counts["I"]
        better = (counts["A"] + counts["O"]) / base if base else math.nan
        worse = -(counts["O"] + counts["M"]) / base if base else math.nan
        rows.append({
            "feature": feature, "n": n, **counts,
            "category": top, "category_name": KANO_NAMES.get(top) if top else None,
            "second": second, "fong_threshold": threshold,
            "significant": bool(abs(a - b) >= threshold) if n else None,
            "better": better, "worse": worse,
            "better_worse": _quadrant(better, worse),
            "excluded": kano_exclusions(functional, dysfunctional).describe(),
        })
    frame = pd.DataFrame(rows, columns=KANO_COLUMNS)
    return frame.astype({c: "int64" for c in ("n", *TIE_ORDER)})
