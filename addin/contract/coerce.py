"""Type coercion of raw cell values into typed pandas columns.

Each ``to_*`` function takes a Series of raw values as a reader delivers them (Python objects
from an Excel sheet, or typed columns from CSV/Parquet) and returns ``(typed, bad)``: the typed
Series and a boolean mask of the non-empty cells that could not be read as that type. The rules:

* Blank cells, whitespace-only text and Excel error values (``#N/A``, ``#DIV/0!``, ...) are
  missing. (The calamine reader already returns a cell holding an error as blank.)
* Numbers: numeric cells as they are; numbers stored as text are read after removing spaces,
  thousands separators (``,``, ``，``, ``'``, thin spaces) and currency signs (¥ ￥ $ € £ and
  the codes CNY RMB USD EUR GBP), with ``(1,234)`` read as -1234 (accounting negatives) and
  ``12%`` as 0.12. Booleans and dates are not numbers.
* Dates: date cells as they are; numbers are Excel serial dates of the 1900 date system
  (serial 1 = 1900-01-01; Excel's phantom 1900-02-29, serial 60, is rejected; the fraction is the
  time of day); text in ISO order (``2026-03-31``, ``2026/3/31``, ``2026.03.31``, with an optional
  time) or Chinese (``2026年3月31日``). Day-first or month-first text such as ``03/04/2026`` is
  ambiguous and rejected with a request for ISO dates.
* Ids and text: text stripped of surrounding spaces; numbers written without a spurious ``.0``
  (an id typed as 1001 is the text ``"1001"``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from itertools import repeat

import numpy as np
import pandas as pd

from addin.contract.schema import EXCEL_ERRORS

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Microsecond resolution: nanoseconds end in 2262, and ERP exports use 9999-12-31 for "never".
DATE_DTYPE = "datetime64[us]"
_MAX_SERIAL = 2_958_465  # 9999-12-31

_NUMBER_JUNK = re.compile(r"[\s,，'\u00a0\u2009\u202f¥￥$€£]|CNY|RMB|USD|EUR|GBP", re.IGNORECASE)
_ISO_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating, Decimal)) and not isinstance(
        value, (bool, np.bool_)
    )


# Census codes: what each raw cell holds. Computed in one pass over the column with a type
# lookup, then refined on the (usually few) strings and floats, so a 200,000-row column costs
# a few tens of milliseconds rather than a Python loop of isinstance checks per cell.
MISSING, NUMBER, TEXT, DATE, OTHER = 0, 1, 2, 3, 4
_TYPE_CODE = {
    float: NUMBER, int: NUMBER, np.float64: NUMBER, np.int64: NUMBER, np.float32: NUMBER,
    np.int32: NUMBER, Decimal: NUMBER, str: TEXT, dt.date: DATE, dt.datetime: DATE,
    pd.Timestamp: DATE, type(None): MISSING, type(pd.NA): MISSING, type(pd.NaT): MISSING,
}


def _strip_unique(strings: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes into the distinct values and the distinct values stripped: CRM columns repeat
    (ids, products, channels), so strip each distinct string once."""
    codes, uniques = pd.factorize(strings)
    return codes, [u.strip() for u in np.asarray(uniques, dtype=object)]


Census = tuple[np.ndarray, np.ndarray]


def _typed_census(raw: pd.Series) -> Census | None:
    """The census of a column whose dtype already says what every cell holds (Parquet, or
    CSV columns pandas typed), without looking at the cells one by one: datetime64 (DATE or
    MISSING), numpy numbers (NUMBER, MISSING where NaN), pandas strings (TEXT, MISSING
    for NA, blanks and Excel errors, checked once per distinct string). The values stay in
    their own array (the coercions of typed columns do not read them; the rare text of a date
    or number reads them one at a time). None for any other dtype (object columns from Excel
    sheets): they take the cell-by-cell census."""
    dtype = raw.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = raw.to_numpy()
        if values.dtype == object:  # time-zone aware: Timestamps, still typed
            values = raw.dt.tz_localize(None).to_numpy()
        codes = np.where(np.isnat(values), MISSING, DATE).astype(np.int8)
        return values, codes
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        values = raw.to_numpy()
        codes = np.full(len(values), NUMBER, dtype=np.int8)
        if dtype.kind == "f":  # NaN is a blank; an infinity is a value, as cell by cell
            codes[np.isnan(values)] = MISSING
        return values, codes
    if isinstance(dtype, pd.StringDtype):
        values = raw.array  # indexable like an array; Arrow-backed strings factorize in C
        which, uniques = pd.factorize(values)  # -1 for NA
        stripped = [u.strip() for u in np.asarray(uniques, dtype=object)]
        blank = np.array([not t or t.upper() in EXCEL_ERRORS for t in stripped] + [True],
                         dtype=bool)  # the last entry: NA (code -1)
        codes = np.where(blank[which], MISSING, TEXT).astype(np.int8)
        return values, codes
    return None


def census(raw: pd.Series) -> Census:
    """``(values, codes)``: the column's values and one census code per cell (MISSING for
    blanks, whitespace, NaN and Excel error values). Typed columns take a vectorised path
    (:func:`_typed_census`); others (cells as read from a sheet) are looked at one by one."""
    typed = _typed_census(raw)
    if typed is not None:
        return typed
    values = raw.to_numpy(dtype=object)
    codes = np.fromiter(map(_TYPE_CODE.get, map(type, values), repeat(OTHER)), dtype=np.int8,
                        count=len(values))
    other = np.flatnonzero(codes == OTHER)
    for i in other:  # subclasses (numpy scalars of other widths, datetime subclasses)
        v = values[i]
        codes[i] = NUMBER if _is_number(v) else DATE if isinstance(v, dt.date) else OTHER
    numbers = np.flatnonzero(codes == NUMBER)
    if len(numbers):
        as_float = values[numbers].astype(float)
        # NaN is a blank; an infinity is a value (bad input the number check names)
        codes[numbers[np.isnan(as_float)]] = MISSING
    texts = np.flatnonzero(codes == TEXT)
    if len(texts):
        which, stripped = _strip_unique(values[texts])
        blank = np.array([not t or t.upper() in EXCEL_ERRORS for t in stripped], dtype=bool)
        codes[texts[blank[which]]] = MISSING
    return values, codes


def missing_mask(raw: pd.Series) -> pd.Series:
    """True where a cell is blank, whitespace, NaN/None or an Excel error value."""
    if raw.dtype != object and not pd.api.types.is_string_dtype(raw.dtype):
        return raw.isna()
    _, codes = census(raw)
    return pd.Series(codes == MISSING, index=raw.index)


def _text_of_number(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    if f.is_integer() and abs(f) < 1e16:
        return str(int(f))
    return repr(f)


def _as_text(v: object) -> str:
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, np.datetime64):  # a cell of a typed date column
        v = pd.Timestamp(v)
    if _is_number(v):
        return _text_of_number(v)
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return v.isoformat(sep=" ") if (v.hour or v.minute or v.second) else v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    return str(v).strip()


def _no_bad(raw: pd.Series) -> pd.Series:
    return pd.Series(False, index=raw.index)


def to_text(raw: pd.Series, pre: Census | None = None) -> tuple[pd.Series, pd.Series]:
    """Text column: strings stripped, numbers without a spurious ``.0``; never bad."""
    values, codes = pre or census(raw)
    out = np.full(len(values), None, dtype=object)
    texts = np.flatnonzero(codes == TEXT)
    if len(texts):
        which, stripped = _strip_unique(values[texts])
        out[texts] = np.array(stripped, dtype=object)[which]
    for i in np.flatnonzero((codes != TEXT) & (codes != MISSING)):
        out[i] = _as_text(values[i])
    return pd.Series(out, index=raw.index, dtype=object), _no_bad(raw)


def _parse_number_text(s: str) -> float | None:
    s = s.strip()
    negative = s.startswith("(") and s.endswith(")")
    if negative:
        s = s[1:-1]
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    s = _NUMBER_JUNK.sub("", s)
    if s.endswith("-") and s[:-1].replace(".", "", 1).isdigit():
        s = "-" + s[:-1]  # trailing minus, as some ledgers export negatives
    try:
        f = float(s)
    except ValueError:
        return None
    if not np.isfinite(f):
        return None
    f = -f if negative else f
    return f / 100 if percent else f


def to_number(raw: pd.Series, pre: Census | None = None) -> tuple[pd.Series, pd.Series]:
    """Numeric column (float64). Numbers stored as text are read; see the module rules."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        # infinities stay, as in the census: the reader names them (addin.contract.limits)
        return raw.astype("float64"), _no_bad(raw)
    values, codes = pre or census(raw)
    out = np.full(len(values), np.nan)
    numbers = codes == NUMBER
    out[numbers] = values[numbers].astype(float)
    bad = (codes == DATE) | (codes == OTHER)
    for i in np.flatnonzero(codes == TEXT):
        f = _parse_number_text(values[i])
        if f is None:
            bad[i] = True
        else:
            out[i] = f
    return pd.Series(out, index=raw.index), pd.Series(bad, index=raw.index)


def excel_serial_to_timestamp(serial: float) -> pd.Timestamp | None:
    """Excel 1900-system serial -> Timestamp; None outside 1..9999-12-31 or for serial 60."""
    if not (1 <= serial < _MAX_SERIAL + 1) or 60 <= serial < 61:
        return None
    days = serial if serial >= 61 else serial + 1  # before the phantom leap day
    return (EXCEL_EPOCH.as_unit("us")
            + pd.Timedelta(round(days * 86_400_000_000), unit="us"))


def _parse_date_text(s: str) -> pd.Timestamp | None:
    m = _ISO_DATE.match(s.strip())
    if not m:
        return None
    y, mo, d, hh, mm, ss = m.groups()
    try:
        return pd.Timestamp(
            int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0)
        )
    except ValueError:
        return None


def to_date(raw: pd.Series, pre: Census | None = None) -> tuple[pd.Series, pd.Series]:
    """Date column (datetime64). Dates, Excel serials and ISO or Chinese date text."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        out = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
        return out.astype(DATE_DTYPE), _no_bad(raw)
    values, codes = pre or census(raw)
    out = np.full(len(values), np.datetime64("NaT"), dtype=DATE_DTYPE)
    bad = codes == OTHER
    dates = np.flatnonzero(codes == DATE)
    if len(dates):
        try:  # pandas converts date and datetime objects in C (20x numpy's per-object path)
            converted = pd.to_datetime(values[dates])
            if converted.tz is not None:
                converted = converted.tz_localize(None)
            out[dates] = converted.as_unit("us").to_numpy()
        except (TypeError, ValueError, OverflowError):  # mixed or odd time zones: one by one
            out[dates] = [pd.Timestamp(v).tz_localize(None).as_unit("us").to_datetime64()
                          for v in values[dates]]
    texts = np.flatnonzero(codes == TEXT)
    if len(texts):  # a log repeats its dates: parse each distinct text once
        which, uniques = pd.factorize(values[texts])
        parsed = [_parse_date_text(u) for u in uniques]
        ok = np.array([ts is not None for ts in parsed], dtype=bool)
        stamps = np.array([ts.as_unit("us").to_datetime64() if ts is not None
                           else np.datetime64("NaT") for ts in parsed], dtype=DATE_DTYPE)
        out[texts] = stamps[which]
        bad[texts[~ok[which]]] = True
    for i in np.flatnonzero(codes == NUMBER):
        ts = excel_serial_to_timestamp(float(values[i]))
        if ts is None:
            bad[i] = True
        else:
            out[i] = ts.as_unit("us").to_datetime64()
    return pd.Series(out, index=raw.index), pd.Series(bad, index=raw.index)


def to_answer(raw: pd.Series, pre: Census | None = None) -> tuple[pd.Series, pd.Series]:
    """Survey answer: a number where the cell holds one (numbers stored as text included), the
    stripped text otherwise ("N/A", "don't know"), missing for blanks and Excel errors. Never
    bad: the survey routines count and report the answers they cannot use."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        # infinities stay, as in the census: the reader names them (addin.contract.limits)
        return raw.astype("float64"), _no_bad(raw)
    values, codes = pre or census(raw)
    out = np.full(len(values), np.nan, dtype=object)
    numbers = codes == NUMBER
    out[numbers] = values[numbers].astype(float)
    has_text = False
    for i in np.flatnonzero((codes != NUMBER) & (codes != MISSING)):
        v = values[i]
        f = _parse_number_text(v) if isinstance(v, str) else None
        out[i] = f if f is not None else _as_text(v)
        has_text = has_text or f is None
    series = pd.Series(out, index=raw.index, dtype=object)
    if not has_text:
        series = series.astype("float64")
    return series, _no_bad(raw)


_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")


def to_email(raw: pd.Series, pre: Census | None = None) -> tuple[pd.Series, pd.Series]:
    """E-mail address: text that looks like ``local@domain.tld`` (one address, no display name,
    no spaces, commas or angle brackets, so it cannot smuggle a second address or header)."""
    text, _ = to_text(raw, pre)
    bad = text.map(lambda v: v is not None and not _EMAIL.match(v)).astype(bool)
    return text, bad


def to_extra(raw: pd.Series, pre: Census | None = None) -> tuple[pd.Series, pd.Series]:
    """A column the contract does not list: kept as read (numbers, dates and text as they are),
    blanks and Excel errors made missing; a column of only numbers (or only dates) is typed."""
    codes = (pre or census(raw))[1]
    miss = codes == MISSING
    out = raw.astype(object).where(~miss, None)
    present = codes[~miss]
    if len(present):
        if (present == NUMBER).all():
            out = pd.to_numeric(out, errors="coerce").astype("float64")
        elif (present == DATE).all():
            out = pd.to_datetime(out, errors="coerce")
            if getattr(out.dt, "tz", None) is not None:  # a zoned Parquet column: local time
                out = out.dt.tz_localize(None)
            out = out.astype(DATE_DTYPE)
    return out, pd.Series(False, index=raw.index)
