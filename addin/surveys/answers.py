"""Survey answers as they arrive: numbers, blanks, text such as "N/A" or "don't know", and
numbers outside the scale. Every routine cleans its answers here, so each one reports the same
way how many answers it left out and why, instead of dropping them silently.

Reasons, in the order they are checked:

* ``blank``: an empty cell, whitespace, or an Excel error value (``#N/A``, ``#DIV/0!``, ...,
  which the workbook reader and the Excel functions turn into blanks);
* ``text``: anything that is not a number ("N/A", "don't know", "不清楚", TRUE/FALSE);
* ``out_of_range``: a number that is not a point of the scale: below its lowest or above its
  highest point, or between two points (4.5 on a 1..5 scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.contract.schema import EXCEL_ERRORS
from addin.errors import InputError

VALID, BLANK, TEXT, OUT_OF_RANGE = 0, 1, 2, 3
REASONS = {BLANK: "blank", TEXT: "text", OUT_OF_RANGE: "out of range"}
_ERRORS = frozenset(e.casefold() for e in EXCEL_ERRORS)


@dataclass(frozen=True)
class Exclusions:
    """How many answers a routine left out, by reason."""

    blank: int = 0
    text: int = 0
    out_of_range: int = 0

    @property
    def total(self) -> int:
        return self.blank + self.text + self.out_of_range

    def __add__(self, other: Exclusions) -> Exclusions:
        return Exclusions(self.blank + other.blank, self.text + other.text,
                          self.out_of_range + other.out_of_range)

    def describe(self) -> str:
        """``"2 blank, 1 text, 1 out of range"``, or ``"none"``."""
        parts = [f"{count} {name}" for name, count in
                 (("blank", self.blank), ("text", self.text),
                  ("out of range", self.out_of_range)) if count]
        return ", ".join(parts) or "none"

    @classmethod
    def from_codes(cls, codes: np.ndarray) -> Exclusions:
        counts = np.bincount(np.asarray(codes, dtype=np.int8).ravel(), minlength=4)
        return cls(int(counts[BLANK]), int(counts[TEXT]), int(counts[OUT_OF_RANGE]))


@dataclass(frozen=True)
class CleanAnswers:
    """Answers as floats (NaN where left out), the reason code of each answer (``VALID``,
    ``BLANK``, ``TEXT``, ``OUT_OF_RANGE``) and the counts."""

    values: pd.Series
    codes: np.ndarray
    excluded: Exclusions

    @property
    def valid(self) -> pd.Series:
        return self.values[self.codes == VALID]

    @property
    def n(self) -> int:
        return int(np.count_nonzero(self.codes == VALID))


def as_series(values: object) -> pd.Series:
    """A scalar, list, array or Series as a Series (a Series keeps its index)."""
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InputError(f"expected one column of answers, got {values.shape[1]} columns")
        return values.iloc[:, 0]
    if np.ndim(values) == 0:
        values = [values]
    array = np.asarray(values, dtype=object).ravel()
    return pd.Series(array, dtype=object)


def answer_codes(values: object, low: float, high: float, whole: bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(numbers, codes) of ``values`` on the scale ``low..high``: numbers as float64 with NaN
    where an answer is left out, and one reason code per answer (see the module docstring).
    ``whole=True`` accepts only the scale's whole points."""
    series = as_series(values)
    kind = series.dtype.kind
    if kind in "iuf":
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        codes = np.where(np.isnan(numbers), BLANK, VALID).astype(np.int8)
    else:
        obj = series.to_numpy(dtype=object)
        if kind == "b":
            obj = obj.astype(object)
        missing = pd.isna(obj)
        is_str = np.fromiter((isinstance(v, str) for v in obj), dtype=bool, count=len(obj))
        is_bool = np.fromiter((isinstance(v, (bool, np.bool_)) for v in obj), dtype=bool,
                              count=len(obj))
        blank = missing.copy()
        if is_str.any():
            text = np.char.strip(obj[is_str].astype(str))
            blank[is_str] = (text == "") | np.isin(np.char.lower(text), list(_ERRORS))
        numbers = pd.to_numeric(pd.Series(obj, dtype=object), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan, copy=True)
        numbers[is_bool | blank] = np.nan
        codes = np.full(len(obj), VALID, dtype=np.int8)
        codes[np.isnan(numbers)] = TEXT
        codes[blank] = BLANK
    present = codes == VALID
    bad = ~((numbers >= low) & (numbers <= high))
    if whole:
        bad |= numbers != np.round(numbers)
    codes[present & bad] = OUT_OF_RANGE
    numbers = np.where(codes == VALID, numbers, np.nan)
    return numbers, codes


def clean_answers(values: object, low: float, high: float, whole: bool = True) -> CleanAnswers:
    """The answers of one question on the scale ``low..high``, cleaned (see the module
    docstring); the result keeps the input's index (a Survey sheet's Excel rows)."""
    series = as_series(values)
    numbers, codes = answer_codes(series, low, high, whole)
    return CleanAnswers(pd.Series(numbers, index=series.index), codes,
                        Exclusions.from_codes(codes))


class Score(float):
    """A float (CSAT, CES, an index) that also says on how many answers it rests (``n``) and
    which answers were left out (``excluded``, an :class:`Exclusions`)."""

    n: int
    excluded: Exclusions

    def __new__(cls, value: float, n: int = 0, excluded: Exclusions | None = None) -> Score:
        obj = super().__new__(cls, value)
        obj.n = n
        obj.excluded = excluded if excluded is not None else Exclusions()
        return obj

    def __reduce__(self):
        return (Score, (float(self), self.n, self.excluded))


def check_scale(low: float, high: float, name: str = "scale") -> None:
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        raise InputError(f"{name} must run from a lower to a higher point (got {low}..{high})")
