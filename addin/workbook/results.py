"""The result-sheet model: what a result sheet holds (tables, charts, conditional formats,
links) and how a value becomes a cell. Shared by every writer: the file writer
(:mod:`addin.workbook.writer`, then :mod:`addin.workbook.saving`) and the live workbook of the
ribbon (:mod:`addin.excel.book`), so a sheet reads the same whichever door wrote it.

Each result is an Excel table (ListObject) with a header row, number formats by column type
(dates ``yyyy-mm-dd``, integers ``#,##0``, decimals ``#,##0.00``, shares ``0.0%``), a frozen
header and column widths fitted to the content (CJK characters count double). A sheet may hold
several tables one below the other, each under a bold title.

Text from the data is written as text, never as a formula: a value that begins with ``=``,
``+``, ``-`` or ``@`` is stored as a string cell, so ``=HYPERLINK(...)`` in a customer name
stays inert. Characters XML cannot hold are removed (:func:`safe_cell_text`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
TABLE_STYLE = "TableStyleMedium2"

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMULA_START = ("=", "+", "-", "@")  # text starting so would be a formula in Excel
_PERCENT_NAME = re.compile(r"(share|_pct|percent|_rate|^rate)$", re.I)


CHART_KINDS = ("line", "scatter", "bar")
RULE_KINDS = ("databar", "rag", "diverging", "negative_red", "heatmap")
RAG_FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE"}  # Excel's built-in styles
HEATMAP = ("F8696B", "FFEB84", "63BE7B")  # Excel's red-yellow-green scale at 0, 0.5, 1
CHART_ROWS = 16  # rows a chart covers at its default height (7.5 cm)
RAG_FONTS = {"green": "006100", "amber": "9C5700", "red": "9C0006"}


@dataclass(frozen=True)
class Chart:
    """A native Excel chart of a table, placed to the right of it.

    ``line`` and ``bar`` plot the ``y`` columns against ``x`` as categories; ``scatter`` plots
    each ``y`` column against the numeric ``x`` column as markers (an importance-performance
    map, say)."""

    kind: str
    x: str
    y: tuple[str, ...] | list[str]
    title: str = ""
    x_title: str = ""
    y_title: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CHART_KINDS:
            raise ValueError(f"chart kind {self.kind!r}: use one of {CHART_KINDS}")


@dataclass(frozen=True)
class Rule:
    """A conditional format on one column of a table.

    ``databar``: progress bars from 0 to the column's maximum; ``rag``: cells reading green,
    amber or red get Excel's good/neutral/bad fills; ``diverging``: a red-white-green colour
    scale centred on 0 (gaps); ``negative_red``: negative numbers in dark red; ``heatmap``: a
    red-yellow-green scale fixed at 0, 0.5 and 1 (shares such as cohort retention), the same in
    every column it is put on, so a matrix of shares reads as one heat map."""

    column: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise ValueError(f"rule kind {self.kind!r}: use one of {RULE_KINDS}")


@dataclass
class ResultTable:
    """One table of a result sheet: a DataFrame (written without its index), an optional title
    above it, number formats by column name overriding the defaults (one format for the
    column, or a sequence of one per row, ``None`` for none, where a column mixes kinds, as a
    headline's ``value`` column does), an optional native chart and conditional-format rules.

    ``links`` makes the cells of a column hyperlinks: column name -> one target per row
    (``None`` for no link); a target ``#'Sheet'!C3`` (see :func:`cell_link`) goes to that cell
    of the workbook, any other target is opened as an address."""

    frame: pd.DataFrame
    title: str | None = None
    formats: dict[str, str | Sequence[str | None]] = field(default_factory=dict)
    chart: Chart | None = None
    rules: list[Rule] = field(default_factory=list)
    links: dict[str, Sequence[str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = {str(c) for c in self.frame.columns}
        for column, fmt in self.formats.items():
            if not isinstance(fmt, str) and fmt is not None and len(fmt) != len(self.frame):
                raise ValueError(f"table {self.title!r}: {len(fmt)} formats for column "
                                 f"{column!r} of {len(self.frame)} rows")
        for column, targets in self.links.items():
            if len(targets) != len(self.frame):
                raise ValueError(f"table {self.title!r}: {len(targets)} links for column "
                                 f"{column!r} of {len(self.frame)} rows")
        wanted = [r.column for r in self.rules] + list(self.links)
        if self.chart is not None:
            wanted += [self.chart.x, *self.chart.y]
        missing = [c for c in wanted if c not in names]
        if missing:
            raise ValueError(f"table {self.title!r} has no column(s) {missing}")


SheetContent = pd.DataFrame | ResultTable | Sequence[ResultTable]


def result_tables(content: SheetContent) -> list[ResultTable]:
    if isinstance(content, pd.DataFrame):
        return [ResultTable(content)]
    if isinstance(content, ResultTable):
        return [content]
    return list(content)


def cell_link(sheet: str, cell: str = "A1") -> str:
    """The in-workbook link target of a cell: ``#'Sheet'!C3``. The sheet name is always quoted
    and a quote inside it doubled (``O'Brien`` -> ``#'O''Brien'!A1``), as Excel writes it."""
    return "#'" + sheet.replace("'", "''") + "'!" + cell


def safe_cell_text(value: str) -> str:
    """Text as it may go into a cell: without characters XML cannot hold."""
    return _ILLEGAL_XML.sub("", value)


def default_format(name: str, series: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(series.dtype):
        return None
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        times = series.dropna()
        has_time = bool(len(times)) and bool((times != times.dt.normalize()).any())
        return DATETIME_FORMAT if has_time else DATE_FORMAT
    if pd.api.types.is_integer_dtype(series.dtype):
        return INTEGER_FORMAT
    if pd.api.types.is_float_dtype(series.dtype):
        return PERCENT_FORMAT if _PERCENT_NAME.search(str(name)) else DECIMAL_FORMAT
    return None


def column_formats(table: ResultTable) -> list[str | Sequence[str | None] | None]:
    """The number format of each column of ``table``: its own (one, or one per row), else
    :func:`default_format`. Both writers use this, so a cell reads the same in either."""
    frame = table.frame
    return [table.formats.get(str(name)) or default_format(str(name), frame[name])
            for name in frame.columns]


def cell_format(fmt: str | Sequence[str | None] | None, row: int) -> str | None:
    """The format of row ``row`` (0-based) of a column whose formats are ``fmt``."""
    return fmt if fmt is None or isinstance(fmt, str) else fmt[row]


def cell_value(value: object) -> object:
    """Python value for openpyxl; None for missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (dt.datetime, dt.date, int, float, bool)):
        return value
    return safe_cell_text(str(value))


def display_width(text: str) -> int:
    """Columns a text takes in Excel's default font: East Asian wide characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table_name(sheet_title: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", unicodedata.normalize("NFKD", sheet_title).encode(
        "ascii", "ignore").decode()) or "Result"
    if not base[0].isalpha():
        base = "T_" + base
    base = base[:200]
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name.casefold())
    return name


def unique_headers(columns: Sequence[object]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for col in columns:
        text = safe_cell_text(str(col)).strip() or "column"
        name, n = text, 1
        while name.casefold() in seen:
            n += 1
            name = f"{text} ({n})"
        seen.add(name.casefold())
        out.append(name)
    return out
