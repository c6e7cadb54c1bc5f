"""Excel ranges in, plain Python out, and back: the one place where UDF arguments are converted.

Classic xlwings hands a UDF its arguments as Excel gives them. Every CRM function declares its
range arguments raw (``ndim=2``, errors as strings), so each arrives as a list of rows:

* blank cells are ``None``; numbers are floats; date cells are ``datetime`` objects, but a date
  computed by a formula or typed into a General cell is an Excel serial number (a float);
* an error cell is its text (``"#N/A"``, ``"#DIV/0!"``), or ``None`` when Excel sends it as empty;
* a single cell is ``[[value]]`` (a bare scalar is accepted too, as tests and VBA callers pass).

Off Windows ``xw.func``/``xw.arg`` do nothing and no converter runs, which is why the conversion
lives here rather than in xlwings converters: the same code runs in Excel and in the tests.

:func:`column` reads a one-row or one-column range into a Series, :func:`table` a range with a
header row into a DataFrame, :func:`scalar` one value; the typing rules are those of the workbook
reader (:mod:`addin.contract.coerce`), so a value means the same in a cell and on a sheet.
:func:`spill` turns an answer back into a plain 2-D list that spills in Excel 365.

Header rows are detected, not assumed (``header=None``): for numbers, dates and answers, the first
cell is a header when it is text that does not read as that type while some later cell does; for
text, when it names a column of the workbook contract (``customer_id``, ``客户编号``, ...) or the
argument itself. ``header=True`` or ``False`` decides it outright.

Errors never reach a cell as a traceback: :func:`excel_function` turns bad input (an
:class:`~addin.errors.InputError`, and nothing else) into one short string, ``#CRM! values: row
3 is not a number (found 'lots')``, where the row counts within the selected range (the header
included), as the user sees it. Any other exception is a bug: the cell reads ``#CRM! internal
error in CRM_X (details in ...)`` and the traceback goes to the per-user log file
(:func:`addin.errors.log_folder`). Classic UDFs cannot return a real
``#N/A``; the ``#CRM!`` prefix makes the message easy to find with ``ISERROR``-style checks such
as ``LEFT(A1,5)="#CRM!"``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import inspect
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from addin.contract import coerce
from addin.contract.schema import EXCEL_ERRORS, SHEETS, canonical_column, header_key
from addin.errors import InputError, log_bug

ERROR_PREFIX = "#CRM!"
MAX_MESSAGE = 250  # Excel shows a long cell text, but a message must be readable in one line

log = logging.getLogger(__name__)

KINDS = ("number", "date", "text", "answer", "any")

_CONVERT: dict[str, Callable[[pd.Series], tuple[pd.Series, pd.Series]]] = {
    "number": coerce.to_number,
    "date": coerce.to_date,
    "text": coerce.to_text,
    "answer": coerce.to_answer,
    "any": coerce.to_extra,
}
_EXPECTED = {
    "number": "a number",
    "date": "a date (a date cell, an Excel serial number or ISO text such as 2026-03-31)",
    "text": "text",
    "answer": "an answer",
    "any": "a value",
}


# --------------------------------------------------------------------------------------------
# The function registry and the decorator


@dataclass(frozen=True)
class Argument:
    name: str
    doc: str
    optional: bool


@dataclass(frozen=True)
class FunctionInfo:
    """What Excel's function wizard and ``crm-addin excel functions`` show for one UDF."""

    name: str
    category: str
    summary: str
    arguments: tuple[Argument, ...]
    heavy: bool
    func: Callable[..., Any]

    @property
    def signature(self) -> str:
        parts = [f"[{a.name}]" if a.optional else a.name for a in self.arguments]
        return f"{self.name}({', '.join(parts)})"

    def xlwings_options(self) -> dict[str, Any]:
        """The keyword arguments given to ``xw.func`` (one place, so tests can check them)."""
        return {"category": self.category, "call_in_wizard": not self.heavy, "volatile": False}


FUNCTIONS: dict[str, FunctionInfo] = {}


def _first_line(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "")
    return text.split("\n\n")[0].replace("\n", " ").strip()


def excel_function(category: str, *, heavy: bool = False, **arg_docs: str):
    """Declare a CRM worksheet function.

    Applies ``@xw.func`` (never volatile; ``call_in_wizard=False`` when ``heavy``, so Excel's
    function wizard does not run a long computation on every keystroke) and ``@xw.arg(name,
    ndim=2, err_to_str=True, doc=...)`` to every argument, registers the function for the
    reference table, and wraps it so that bad input returns one readable ``#CRM!`` string.
    Every argument must be documented: the wizard shows the docs, and a missing one is a bug.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        name = func.__name__
        if not name.isidentifier() or "." in name or not name.startswith("CRM_"):
            raise TypeError(f"{name}: Excel function names are CRM_XXX (no dots)")
        if not func.__doc__:
            raise TypeError(f"{name}: the function wizard needs a docstring")
        params = list(inspect.signature(func).parameters.values())
        undocumented = [p.name for p in params if p.name not in arg_docs]
        unknown = sorted(set(arg_docs) - {p.name for p in params})
        if undocumented or unknown:
            raise TypeError(f"{name}: argument docs missing for {undocumented}, "
                            f"or given for unknown {unknown}")
        for p in params:
            if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
                raise TypeError(f"{name}: xlwings UDFs take positional arguments only")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # A 100,000-row range in and a spilled answer out create millions of small lists
            # and floats, none of them cyclic; the cyclic collector would walk them again and
            # again (4x the conversion's own time). Reference counting still frees everything.
            collecting = gc.isenabled()
            gc.disable()
            try:
                return func(*args, **kwargs)
            except InputError as exc:  # bad input, and only that: a ValueError is a bug
                return udf_error(exc)
            except Exception as exc:  # a bug: log the traceback, keep the cell readable
                return internal_error(name, exc)
            finally:
                if collecting:
                    gc.enable()

        info = FunctionInfo(
            name=name,
            category=category,
            summary=_first_line(func.__doc__),
            arguments=tuple(Argument(p.name, arg_docs[p.name],
                                     p.default is not inspect.Parameter.empty)
                            for p in params),
            heavy=heavy,
            func=wrapper,
        )
        decorated: Callable[..., Any] = wrapper
        for arg in reversed(info.arguments):
            decorated = xw.arg(arg.name, ndim=2, err_to_str=True, doc=arg.doc)(decorated)
        decorated = xw.func(**info.xlwings_options())(decorated)
        decorated.__crm__ = info  # type: ignore[attr-defined]
        FUNCTIONS[name] = info
        return decorated

    return decorate


def internal_error(name: str, exc: BaseException) -> str:
    """A bug in a UDF: the traceback goes to the per-user log (:func:`addin.errors.log_bug`)
    and to the ``addin.functions.ranges`` logger; the cell says ``#CRM! internal error`` and
    where the log is, never the exception's text as if it were bad input."""
    log.error("%s failed", name, exc_info=exc)
    where = log_bug(name, exc)
    see = f"details in {where}" if where is not None else "the log could not be written"
    return udf_error(f"internal error in {name} ({see}); please report it")


def udf_error(problem: BaseException | str) -> str:
    """One short line for a cell: ``#CRM! <what is wrong>``."""
    if isinstance(problem, InputError):
        lines = problem.lines(limit=1)
        text = lines[0] if lines else str(problem)
        if len(problem.problems) > 1:
            text += f" (and {len(problem.problems) - 1} more)"
    else:
        text = str(problem)
    text = " ".join(text.split())
    message = f"{ERROR_PREFIX} {text}"
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def reference_markdown() -> str:
    """The function reference as a Markdown table (README, ``crm-addin excel functions``)."""
    import addin.functions  # noqa: F401  (registers every function)

    lines = ["| function | category | what it returns | arguments |", "| --- | --- | --- | --- |"]
    for info in sorted(FUNCTIONS.values(), key=lambda i: (i.category, i.name)):
        args = "<br>".join(f"`{a.name}`{' (optional)' if a.optional else ''}: {a.doc}"
                           for a in info.arguments)
        summary = info.summary.replace("|", "\\|")
        lines.append(f"| `{info.signature}` | {info.category} | {summary} | "
                     f"{args.replace('|', chr(92) + '|')} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Ranges in


def _classic_cell(v: Any) -> Any:
    """One Office.js cell as classic xlwings hands it over (see :func:`from_officejs`)."""
    cls = v.__class__
    if cls is float or cls is str or v is None or cls is bool:
        return v
    if cls is int:
        return float(v)
    if cls is dict:  # a typed value: {"type": "Error", "basicValue": "#N/A", ...}
        if v.get("type") == "Empty":
            return None
        return _classic_cell(v.get("basicValue"))
    if cls.__name__ == "JsNull":  # Pyodide >= 0.28 hands JavaScript null over as JsNull
        return None
    return v


def from_officejs(value: Any) -> Any:
    """An argument as xlwings Lite hands it over raw from Office.js, in the shape classic
    xlwings gives (``ndim=2, err_to_str=True``), so every function reads it the same way:

    * an error cell, ``{"type": "Error", "basicValue": "#N/A"}``, becomes its text ``"#N/A"``
      (any other typed value becomes its ``basicValue``; ``{"type": "Empty"}`` a blank);
    * JavaScript null (``None``, or Pyodide's ``JsNull``) is a blank, ``None``;
    * a whole number is a float, as Excel's numbers reach classic xlwings;
    * a date cell is a serial number, which the date rules already read (a date cell and its
      serial are the same date); a single cell may come bare or as ``[[value]]``.

    One pass over the cells, in plain Python: xlwings' own per-cell conversion of a
    100,000-cell range costs seconds, so the Lite door declares its arguments ``raw``.
    """
    if isinstance(value, (list, tuple)):
        cell = _classic_cell
        return [[v if v.__class__ is float else cell(v) for v in row]
                if isinstance(row, (list, tuple)) else cell(row) for row in value]
    return _classic_cell(value)


def rows_of(value: Any) -> list[list[Any]]:
    """Any argument as a list of rows: a scalar is one cell, a flat list one column."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (pd.Series, pd.Index)):
        return [[v] for v in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return [list(value.columns), *value.to_numpy(dtype=object).tolist()]
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not value:
        return []
    if not isinstance(value[0], (list, tuple)):
        return [[v] for v in value]
    return value  # read only: no copy of a 100,000-row range


def _is_error(v: Any) -> bool:
    return isinstance(v, str) and v.strip().upper() in EXCEL_ERRORS


def _error_positions(values: Iterable[Any]) -> list[bool]:
    """For each value, whether it is an Excel error value such as ``#N/A``."""
    return [v.__class__ is str and v.lstrip()[:1] == "#" and _is_error(v) for v in values]


def _is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _reads_as(kind: str, v: Any) -> bool:
    """Whether one non-blank raw value reads as ``kind`` (for header detection)."""
    if _is_blank(v) or _is_error(v):
        return False
    typed, bad = _CONVERT[kind](pd.Series([v], dtype=object))
    return not bool(bad.iloc[0]) and not pd.isna(typed.iloc[0])


def _known_header(text: str, name: str) -> bool:
    key = header_key(text)
    if key == header_key(name):
        return True
    return any(canonical_column(sheet, text) is not None for sheet in SHEETS)


def _has_header(values: list[Any], kind: str, name: str) -> bool:
    if len(values) < 2:
        return False
    first = values[0]
    if not isinstance(first, str) or _is_blank(first) or _is_error(first):
        return False
    if kind in ("text", "any"):
        return _known_header(first, name)
    if _reads_as("number" if kind == "answer" else kind, first):
        return False
    if kind == "answer":  # "NPS" over numbers; "N/A" over numbers is an answer, not a header
        if first.strip().upper() in {"N/A", "NA", "-", "DK", "DON'T KNOW"}:
            return False
        return any(_reads_as("number", v) for v in values[1:50])
    return any(_reads_as(kind, v) for v in values[1:50])


def _flatten(rng: Any, name: str) -> list[Any]:
    if isinstance(rng, list) and rng and not isinstance(rng[0], (list, tuple)):
        return rng  # already one column of values
    rows = rows_of(rng)
    if not rows:
        return []
    try:  # the common case, one column: a single pass (6x faster than measuring widths)
        return [v for (v,) in rows]
    except (TypeError, ValueError):
        pass
    width = max(map(len, rows))
    if width <= 1:
        if min(map(len, rows)) == 1:
            return list(map(itemgetter(0), rows))
        return [r[0] if r else None for r in rows]
    if len(rows) == 1:
        return list(rows[0])
    raise InputError(f"{name}: expected one row or one column, "
                     f"got {len(rows)} rows x {width} columns")


def _convert(raw: list[Any], kind: str, name: str, first_row: int,
             column: str | None = None) -> pd.Series:
    """Typed Series of ``raw``; bad cells and (outside ``answer``/``any``) error values raise
    one InputError listing each by its row in the range."""
    if kind not in _CONVERT:
        raise TypeError(f"unknown kind {kind!r}; use one of {KINDS}")
    series = pd.Series(raw, dtype=object)
    pre = coerce.census(series)
    typed, bad = _CONVERT[kind](series, pre)
    where = f"column '{column}' " if column else ""
    bad_at = np.flatnonzero(bad.to_numpy())
    # an error value is text the census counted as missing: look only at those cells
    missing = np.flatnonzero(pre[1] == coerce.MISSING)
    error_at = np.array([], dtype=np.intp)
    if kind in ("number", "date", "text") and len(missing):
        error_at = missing[np.array(_error_positions(raw[i] for i in missing), dtype=bool)]
    if len(bad_at) or len(error_at):
        i = int(min(np.concatenate([bad_at, error_at])))
        if i in set(error_at.tolist()):
            first = f"row {first_row + i} {where}holds the Excel error {str(raw[i]).strip()}"
        else:
            shown = str(raw[i])
            shown = shown if len(shown) <= 40 else shown[:39] + "…"
            first = f"row {first_row + i} {where}is not {_EXPECTED[kind]} (found {shown!r})"
        count = len(set(bad_at.tolist()) | set(error_at.tolist()))
        more = f" (and {count - 1} more)" if count > 1 else ""
        raise InputError(f"{name}: {first}{more}")
    if kind == "answer" and len(missing):  # an error is an answer the routines count
        errors = missing[np.array(_error_positions(raw[i] for i in missing), dtype=bool)]
        if len(errors):
            typed = typed.astype(object)
            typed.iloc[errors] = [str(raw[i]).strip().upper() for i in errors]
    typed = typed.reset_index(drop=True)
    typed.name = column or name
    return typed


def column(rng: Any, name: str, kind: str = "number", *,
           header: bool | None = None) -> pd.Series:
    """A one-row or one-column range as a Series (RangeIndex from 0), header dropped.

    ``kind`` is ``number``, ``date``, ``text``, ``answer`` (a number where the cell reads as one,
    text such as "N/A" kept for the routine to count) or ``any``. Blank cells are missing (NaN,
    NaT or None). For ``number``, ``date`` and ``text`` an Excel error value in a cell is an
    error naming its row; for ``answer`` and ``any`` it is kept as its text.
    """
    values = _flatten(rng, name)
    has_header = _has_header(values, kind, name) if header is None else bool(header and values)
    body = values[1:] if has_header else values
    return _convert(body, kind, name, first_row=2 if has_header else 1)


def table(rng: Any, name: str, *, sheet: str | None = None,
          kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A range whose first row holds headers, as a DataFrame of raw values.

    With ``sheet``, headers are renamed to the contract's names for that sheet (so ``客户编号``
    becomes ``customer_id``); columns named in ``kinds`` are typed like :func:`column`, with
    errors naming the row within the range and the column.
    """
    rows = rows_of(rng)
    if len(rows) < 1:
        raise InputError(f"{name}: the range is empty; select it with its header row")
    width = max(len(r) for r in rows)
    headers: list[str] = []
    for c in range(width):
        h = rows[0][c] if c < len(rows[0]) else None
        if _is_blank(h) or _is_error(h):
            raise InputError(f"{name}: the first row must hold a header in every column "
                             f"(column {c + 1} is blank)")
        text = str(h).strip()
        if sheet is not None:
            text = canonical_column(sheet, text) or text
        if text in headers:
            raise InputError(f"{name}: header '{text}' appears twice")
        headers.append(text)
    body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
    frame = pd.DataFrame(body, columns=headers, dtype=object)
    for col, kind in (kinds or {}).items():
        if col not in frame.columns:
            raise InputError(f"{name}: needs a column '{col}' (headers: {', '.join(headers)})")
        frame[col] = _convert(frame[col].tolist(), kind, name, first_row=2, column=col)
    return frame


_REQUIRED = object()


def scalar(value: Any, name: str, kind: str = "number", default: Any = _REQUIRED) -> Any:
    """One value (a single cell, or a scalar). Blank gives ``default``, or an error when there
    is none. ``kind`` as in :func:`column`, plus ``bool`` (TRUE/FALSE, 1/0, yes/no)."""
    rows = rows_of(value)
    cells = [v for r in rows for v in r]
    if len(cells) > 1:
        raise InputError(f"{name}: expected one cell, got {len(cells)}")
    v = cells[0] if cells else None
    if _is_blank(v):
        if default is _REQUIRED:
            raise InputError(f"{name}: a value is required")
        return default
    if kind == "bool":
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        text = str(v).strip().casefold()
        if text in {"true", "1", "1.0", "yes", "y", "是"}:
            return True
        if text in {"false", "0", "0.0", "no", "n", "否"}:
            return False
        raise InputError(f"{name}: expected TRUE or FALSE (found {v!r})")
    typed = _convert([v], kind, name, first_row=1)
    out = typed.iloc[0]
    if isinstance(out, np.generic):
        out = out.item()
    return out


# --------------------------------------------------------------------------------------------
# Answers out


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return ""
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.datetime64):
        return "" if np.isnat(v) else pd.Timestamp(v).to_pydatetime()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (str, int, float, bool, dt.date)):
        return v
    return str(v)


def _cells(series: pd.Series) -> list[Any]:
    """A column's values as cells, vectorised for the common dtypes (a 100,000-row answer
    must not cost more than the routine that computed it)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _cells(series.astype(object))
    numpy_dtype = isinstance(dtype, np.dtype)
    if numpy_dtype and dtype.kind in "biu":
        return series.tolist()
    if numpy_dtype and dtype.kind == "f":
        return [v if v == v else "" for v in series.tolist()]  # NaN != NaN
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "biuf":
        # pandas' nullable Int64 / Float64 / boolean: NA becomes an empty cell
        values = series.to_numpy(dtype=object, na_value="").tolist()
        return [v if v == v else "" for v in values] if dtype.kind == "f" else values
    if numpy_dtype and dtype.kind == "M":
        return [("" if v is pd.NaT else v.to_pydatetime()) for v in series.tolist()]
    if (numpy_dtype and dtype.kind == "O") or pd.api.types.is_string_dtype(dtype):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind in ("string", "empty"):
            return [v if v.__class__ is str else "" for v in series.tolist()]
    return [_cell(v) for v in series.tolist()]


def spill(obj: Any, header: bool = True) -> Any:
    """An answer as Excel takes it: a scalar stays one cell; a Series becomes a column (under
    its name when ``header``); a DataFrame a header row and its rows (index dropped; reset it
    first to keep it); a mapping or dataclass two columns of name and value. Missing values are
    empty cells; numpy and pandas scalars become plain Python values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)
               if not isinstance(getattr(obj, f.name), (pd.DataFrame, pd.Series, list, dict))}
    if isinstance(obj, Mapping):
        return [[str(k), _cell(v)] for k, v in obj.items()] or [[""]]
    if isinstance(obj, pd.DataFrame):
        if obj.shape[1] == 0:
            return [[""]]
        columns = [_cells(obj.iloc[:, i]) for i in range(obj.shape[1])]
        body = [list(row) for row in zip(*columns, strict=True)]
        if header:
            body.insert(0, [str(c) for c in obj.columns])
        return body or [[""]]
    if isinstance(obj, pd.Series):
        body = [[v] for v in _cells(obj)]
        if header and obj.name is not None:
            body.insert(0, [str(obj.name)])
        return body or [[""]]
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        if obj and isinstance(obj[0], Sequence) and not isinstance(obj[0], str):
            return [[_cell(v) for v in row] for row in obj]
        return [[_cell(v)] for v in obj] or [[""]]
    return _cell(obj)


__all__ = [
    "ERROR_PREFIX", "FUNCTIONS", "FunctionInfo", "Argument", "excel_function", "udf_error",
    "reference_markdown", "rows_of", "column", "table", "scalar", "spill", "KINDS",
    "from_officejs",
]
