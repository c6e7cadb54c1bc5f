"""The book a ribbon macro works on: read the CRM sheets, write result sheets, talk to the user.

Every macro of :mod:`addin.excel.macros` is written against :class:`Book`, which has two
implementations:

* :class:`ExcelBook` wraps the live workbook that pressed the button (``xw.Book.caller()``,
  classic xlwings only; nothing here imports ``xlwings.server`` or ``xlwings.pro``). It reads
  each contract sheet's cells from A1 to the end of its used range and sends them through
  :func:`addin.workbook.load_crm_workbook_from_values`, so the live workbook gets exactly the
  checks and messages a file gets; it writes each result sheet into the workbook itself
  (replacing the cells of an old one, so formulas elsewhere that point at it keep working) and
  speaks through ``app.alert``.
* :class:`FileBook` is the headless twin: an ``.xlsx`` file read with our reader and written
  with :func:`addin.workbook.write_result_sheets` (into a copy by default, or back into the file
  with a backup). Its messages and confirmations are recorded, and its answers given in
  advance, so tests can run every macro and assert what the user would have seen.

Both write the same :class:`~addin.workbook.ResultTable` lists, laid out alike: each table's
title, values, number formats, links, an Excel table, its conditional formats and its native
chart (the live writer uses classic xlwings' chart and conditional-format API, xlwings 0.37.5 or
later).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from addin.contract.schema import canonical_sheet
from addin.jobs.validate import ValidationReport, validate_values, validate_workbook
from addin.workbook import (
    CRMWorkbook,
    ResultTable,
    default_results_path,
    load_crm_workbook,
    load_crm_workbook_from_values,
    write_result_sheets,
)
from addin.workbook.results import (
    CHART_ROWS,
    FORMULA_START,
    HEATMAP,
    RAG_FILLS,
    RAG_FONTS,
    TABLE_STYLE,
    Chart,
    Rule,
    cell_value,
    column_formats,
    result_tables,
    safe_cell_text,
    table_name,
    unique_headers,
)

Sheets = Mapping[str, Sequence[ResultTable]]
TITLE = "CRM"


class Book:
    """What a macro needs from a workbook. ``path`` names it; ``folder`` is where files made
    from it go (PDFs, e-mails)."""

    path: Path

    @property
    def folder(self) -> Path:
        return self.path.parent

    def load(self, sheets: Iterable[str] | None = None) -> CRMWorkbook:
        """Every contract sheet (or those in ``sheets``), validated (raises InputError naming
        sheet, row, column)."""
        raise NotImplementedError

    def validate(self) -> ValidationReport:
        """Every problem of every contract sheet, and the duplicate customers."""
        raise NotImplementedError

    def write(self, sheets: Sheets) -> str:
        """Write result sheets (``{sheet name: [ResultTable, ...]}``); say where, for a
        message."""
        raise NotImplementedError

    def message(self, text: str, *, error: bool = False) -> None:
        raise NotImplementedError

    def confirm(self, text: str) -> bool:
        """Ask a yes/no question (OK / Cancel); True to go on."""
        raise NotImplementedError

    def open_folder(self, folder: Path) -> None:
        raise NotImplementedError


def open_in_file_manager(folder: Path) -> bool:
    """Show ``folder`` in Explorer, Finder or the desktop's file manager; False when there is
    none (a server without a desktop: the message the macro shows names the folder anyway)."""
    try:
        if sys.platform.startswith("win"):
            os.startfile(folder)  # type: ignore[attr-defined]
        else:
            import subprocess  # here: the xlwings Lite door imports this module in a browser

            opener = "open" if sys.platform == "darwin" else "xdg-open"
            subprocess.Popen([opener, str(folder)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------- a file


class FileBook(Book):
    """An ``.xlsx``/``.xlsm`` file. Results go to ``dest`` (default
    :func:`~addin.workbook.default_results_path`: ``book_results.xlsx`` beside it), or into the
    file itself with ``in_place=True`` (atomically, after a backup). ``answers`` are the
    replies :meth:`confirm` gives, in order (default: always yes); ``messages``,
    ``questions``, ``written`` and ``opened`` record what happened."""

    def __init__(self, path: str | Path, dest: str | Path | None = None, in_place: bool = False,
                 answers: Iterable[bool] = ()) -> None:
        if in_place and dest is not None:
            raise ValueError("give either dest or in_place, not both")
        self.path = Path(path)
        self.dest = None if dest is None else Path(dest)
        self.in_place = in_place
        self._answers = list(answers)
        self.messages: list[tuple[str, bool]] = []  # (text, error)
        self.questions: list[str] = []
        self.written: list[Path] = []
        self.opened: list[Path] = []

    def load(self, sheets: Iterable[str] | None = None) -> CRMWorkbook:
        return load_crm_workbook(self.path, sheets=sheets)

    def validate(self) -> ValidationReport:
        return validate_workbook(self.path)

    def write(self, sheets: Sheets) -> str:
        dest = self.path if self.in_place else self.dest or default_results_path(self.path)
        if self.in_place:
            write_result_sheets(dest, dict(sheets), in_place=True)
        elif dest in self.written:  # later macros add to the copy, as to a live workbook
            write_result_sheets(dest, dict(sheets), in_place=True, backup=False)
        else:
            write_result_sheets(dest, dict(sheets), source=self.path)
        self.written.append(dest)
        return str(dest)

    def message(self, text: str, *, error: bool = False) -> None:
        self.messages.append((text, error))

    def confirm(self, text: str) -> bool:
        self.questions.append(text)
        return self._answers.pop(0) if self._answers else True

    def open_folder(self, folder: Path) -> None:
        self.opened.append(Path(folder))


# --------------------------------------------------------------------------- the live workbook




def _as_text_cell(value: str) -> str:
    """Text as Excel must keep it: a leading apostrophe makes ``=SUM(A1)`` (or ``-5 days``)
    from the data stay text instead of becoming a formula; the apostrophe itself is not
    shown."""
    value = safe_cell_text(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _live_cell(value: object) -> object:
    """A data value as Excel can hold it, as the file writer writes it: missing as ``None``,
    numbers, booleans and dates as they are, text kept as text, anything else as its text."""
    value = cell_value(value)
    return _as_text_cell(value) if isinstance(value, str) else value


def _formula_text(text: str) -> str:
    """A string literal inside a formula: quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def _link_text(value: object) -> str:
    """What a HYPERLINK formula shows: a number stays a number, anything else quoted text."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)):
        return repr(float(value)) if float(value) != int(value) else str(int(value))
    return _formula_text(safe_cell_text(str(value)))


ALERT_LIMIT = 1000  # Excel's message box shows about 1,024 characters


def _fit_alert(text: str) -> str:
    """Text for a message box, cut at a line end (with "...") when longer than it shows."""
    if len(text) <= ALERT_LIMIT:
        return text
    cut = text.rfind("\n", 0, ALERT_LIMIT - 4)
    return text[:cut if cut > 0 else ALERT_LIMIT - 4] + "\n..."


def live_values(table: ResultTable) -> pd.DataFrame:
    """The frame as it is handed to xlwings: headers made unique, missing values ``None``,
    text that Excel would read as a formula kept as text, values Excel has no type for as
    their text (as the file writer writes them), link cells as ``HYPERLINK`` formulas (the
    only formulas written, built from our own targets with quotes escaped)."""
    frame = table.frame
    out: dict[str, object] = {}
    for i, header in enumerate(unique_headers(list(frame.columns))):
        name = frame.columns[i]
        series = frame.iloc[:, i].reset_index(drop=True)
        cells = np.array(series.to_numpy(dtype=object), dtype=object)  # a writable copy
        cells[series.isna().to_numpy()] = None
        targets = table.links.get(str(name))
        if targets is not None:
            cells = np.array([
                None if v is None else
                f"=HYPERLINK({_formula_text(safe_cell_text(str(t)))},"
                f"{_link_text(v)})" if t else
                _live_cell(v) for t, v in zip(targets, cells, strict=True)], dtype=object)
        elif not (pd.api.types.is_datetime64_any_dtype(series.dtype)
                  or pd.api.types.is_numeric_dtype(series.dtype)):
            cells = np.array([_live_cell(v) for v in cells], dtype=object)
        out[header] = cells
    return pd.DataFrame(out, index=range(len(frame)), columns=list(out), dtype=object)


LIVE_CHART_TYPES = {"line": "line", "bar": "column_clustered", "scatter": "xy_scatter"}
CHART_WIDTH, CHART_HEIGHT = 16 / 2.54 * 72, 7.5 / 2.54 * 72  # the file's 16 x 7.5 cm, in points
BAR_COLOUR = "#5B9BD5"
DIVERGING = ("#F8696B", "#FFFFFF", "#63BE7B")  # red, white at 0, green


def _add_rule(rng: Any, rule: Rule, values: pd.Series) -> None:
    """One :class:`~addin.workbook.Rule` as classic xlwings conditional formats, the same
    colours as the file writer's: data bars from 0; Excel's good/neutral/bad styles on cells
    reading green/amber/red; a red-white-green scale with white at 0 (symmetric, from minus to
    plus the largest distance from 0 in the column); negative numbers in dark red."""
    formats = rng.conditional_formats
    if rule.kind == "databar":
        formats.add_data_bar(BAR_COLOUR, minimum=0)
    elif rule.kind == "rag":
        for word, fill in RAG_FILLS.items():
            formats.add_cell_value("equal_to", f'="{word}"', fill_color="#" + fill,
                                   font_color="#" + RAG_FONTS[word])
    elif rule.kind == "diverging":
        numbers = pd.to_numeric(values, errors="coerce").abs()
        reach = float(numbers.max()) if numbers.notna().any() else 0.0
        reach = reach if np.isfinite(reach) and reach > 0 else 1.0
        formats.add_color_scale(list(DIVERGING), thresholds=[-reach, 0, reach],
                                threshold_type="number")
    elif rule.kind == "heatmap":
        formats.add_color_scale(["#" + c for c in HEATMAP], thresholds=[0, 0.5, 1],
                                threshold_type="number")
    else:  # negative_red
        formats.add_cell_value("less_than", 0, font_color="#" + RAG_FONTS["red"])


def _add_chart(sheet: Any, spec: Chart, index: dict[str, int], header_row: int, last: int,
               anchor_col: int) -> bool:
    """The table's chart to the right of it, as the file writer draws it: the ``y`` columns
    (with their headers as series names) against the ``x`` column, titles on chart and axes.
    Classic xlwings charts one block of columns (it has no way to add a series), so ``y``
    columns that are not side by side are left to the file writer: returns False."""
    columns = [index[name] for name in spec.y]
    if columns != list(range(columns[0], columns[0] + len(columns))):
        return False
    chart = sheet.charts.add(
        width=CHART_WIDTH, height=CHART_HEIGHT, chart_type=LIVE_CHART_TYPES[spec.kind],
        source=sheet.range((header_row, columns[0]), (last, columns[-1])), plot_by="columns",
        anchor=sheet.range((header_row, anchor_col)))
    x = index[spec.x]
    chart.set_x_axis_values(sheet.range((header_row + 1, x), (last, x)))
    chart.title = spec.title or None
    chart.category_axis.title = spec.x_title or spec.x
    chart.value_axis.title = spec.y_title or (spec.y[0] if len(spec.y) == 1 else None)
    return True


class ExcelBook(Book):
    """The live workbook through classic xlwings (``ExcelBook(xw.Book.caller())``)."""

    def __init__(self, xw_book: Any) -> None:
        self.book = xw_book
        self.path = Path(xw_book.fullname)

    # reading ---------------------------------------------------------------------------

    def sheet_values(self) -> tuple[dict[str, list[list[object]]], list[str]]:
        """The cells of every contract sheet (from A1 to the end of the used range, so row
        numbers are Excel's; error values as their text) and the names of hidden ones."""
        values: dict[str, list[list[object]]] = {}
        hidden: list[str] = []
        for sheet in self.book.sheets:
            name = sheet.name
            if canonical_sheet(name) is None:
                continue
            last = sheet.used_range.last_cell
            rows = sheet.range((1, 1), (last.row, last.column)).options(
                ndim=2, err_to_str=True).value
            values[name] = rows or []
            if not sheet.visible:
                hidden.append(name)
        return values, hidden

    def load(self, sheets: Iterable[str] | None = None) -> CRMWorkbook:
        values, hidden = self.sheet_values()
        return load_crm_workbook_from_values(values, path=self.path, hidden=hidden,
                                             sheets=sheets)

    def validate(self) -> ValidationReport:
        values, hidden = self.sheet_values()
        return validate_values(values, path=self.path, hidden=hidden)

    # writing ---------------------------------------------------------------------------

    def _result_sheet(self, name: str):
        """The sheet ``name``, emptied (its charts, then cells, formats, conditional formats
        and the tables on them), or a new one after the last sheet."""
        sheets = self.book.sheets
        names = [s.name for s in sheets]
        if name in names:
            sheet = sheets[name]
            for chart in list(sheet.charts):  # Cells.Clear leaves charts behind
                chart.delete()
            sheet.clear()
            return sheet
        return sheets.add(name, after=sheets[names[-1]]) if names else sheets.add(name)

    def _table_names(self, skip: str) -> set[str]:
        return {t.name.casefold() for s in self.book.sheets if s.name != skip
                for t in s.tables}

    def write(self, sheets: Sheets) -> str:
        app = self.book.app
        app.screen_updating = False
        try:
            for name, content in sheets.items():
                name = name[:31]
                sheet = self._result_sheet(name)
                taken = self._table_names(name)
                row = 1
                for table in result_tables(content):
                    row = self._write_table(sheet, table, row, taken)
                sheet.autofit("c")
        finally:
            app.screen_updating = True
        return "the sheet" + ("s " if len(sheets) > 1 else " ") + ", ".join(sheets)

    def _write_table(self, sheet: Any, table: ResultTable, top: int, taken: set[str]) -> int:
        """Title, header and values at row ``top``; a number format per column; an Excel table
        over header and rows; the table's conditional formats and chart. Returns the next free
        row (one blank row between tables, below the chart if it reaches further), as the file
        writer lays the sheet out."""
        frame = table.frame
        row = top
        if table.title:
            title = sheet.range((row, 1))
            title.value = _as_text_cell(table.title)
            title.font.bold = True
            row += 1
        values = live_values(table)
        header_row = row
        sheet.range((header_row, 1)).options(index=False, header=True).value = values
        last = header_row + len(frame)
        ncols = frame.shape[1]
        if len(frame) and ncols:
            for c, name in enumerate(frame.columns, start=1):
                fmt = column_formats(table)[c - 1]
                if isinstance(fmt, str):
                    sheet.range((header_row + 1, c), (last, c)).number_format = fmt
                elif fmt is not None:  # one per row: a headline's value column
                    for r, one in enumerate(fmt):
                        if one and not isinstance(frame[name].iloc[r], str):
                            sheet.range((header_row + 1 + r, c)).number_format = one
            sheet.tables.add(source=sheet.range((header_row, 1), (last, ncols)),
                             name=table_name(sheet.name, taken),
                             table_style_name=TABLE_STYLE)
            index = {str(name): c for c, name in enumerate(frame.columns, start=1)}
            for rule in table.rules:
                c = index[rule.column]
                _add_rule(sheet.range((header_row + 1, c), (last, c)), rule, frame[rule.column])
            if table.chart is not None and _add_chart(sheet, table.chart, index, header_row,
                                                      last, ncols + 2):
                last = max(last, header_row + CHART_ROWS)
        else:
            sheet.range((header_row, 1), (header_row, max(ncols, 1))).font.bold = True
        return last + 2

    # talking to the user ---------------------------------------------------------------

    def message(self, text: str, *, error: bool = False) -> None:
        self.book.app.alert(_fit_alert(text), title=TITLE, buttons="ok",
                            mode="critical" if error else "info")

    def confirm(self, text: str) -> bool:
        return self.book.app.alert(_fit_alert(text), title=TITLE, buttons="ok_cancel",
                                   mode="info") == "ok"

    def open_folder(self, folder: Path) -> None:
        open_in_file_manager(folder)


def caller_book() -> ExcelBook:
    """The workbook whose ribbon button (or RunPython call) started this macro."""
    import xlwings as xw

    return ExcelBook(xw.Book.caller())


__all__ = ["Book", "ExcelBook", "FileBook", "caller_book", "live_values",
           "open_in_file_manager"]
