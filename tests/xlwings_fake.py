"""A fake of the classic xlwings object graph, at the thinnest seam the live book uses.

It mimics ``book.sheets[...]``, ``sheets.add``, ``sheet.range(...).options(...).value``,
``number_format``, ``font.bold``, ``sheet.tables.add``, ``sheet.autofit`` and ``app.alert``, and
records every call in one log so tests assert the exact xlwings calls. ``REAL`` maps each fake
class to the xlwings class it stands in for; ``tests/test_book.py`` checks that every attribute
a fake offers exists on the real class, so the fake cannot drift from xlwings unnoticed.

Charts and conditional formats go one layer deeper: ``sheet.charts`` and
``range.conditional_formats`` are the REAL ``xlwings.main`` classes over recording engine
objects (``IMPL`` maps those to ``xlwings.base_classes``, the interface every engine
implements), so xlwings itself validates each call (chart types, colours, thresholds) and the
log holds what it hands the engine.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from xlwings.conversion.pandas_conv import PandasDataFrameConverter

# what the Windows engine hands Excel (xlwings/_xlwindows.py prepare_xl_data_element: dates
# and datetimes, numpy numbers made floats, NaN and None made blank; anything else as it is,
# which COM can take only for these types)
EXCEL_TYPES = (type(None), str, bool, int, float, dt.date, np.number, np.datetime64)


def excel_cells(rows: list[list[Any]]) -> None:
    """Raise TypeError, as Excel would refuse it, for a cell value Excel cannot hold."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if not isinstance(value, EXCEL_TYPES) or isinstance(value, np.bool_):
                raise TypeError(f"row {r}, column {c}: Excel cannot take {value!r}")


def xlwings_values(path: str | Path) -> dict[str, list[list[Any]]]:
    """{sheet: rows} of an .xlsx as classic xlwings reads its cells: blanks None, every number
    a float, dates as datetimes."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return {name: [[float(v) if isinstance(v, int) and not isinstance(v, bool)
                        else None if v == "" else v for v in row]
                       for row in book.get_sheet_by_name(name).to_python(
                           skip_empty_area=False)]
                for name in book.sheet_names}
    finally:
        book.close()


class Log(list):
    def add(self, *call: Any) -> None:
        self.append(call)


class FakeFont:
    def __init__(self, log: Log, address: tuple) -> None:
        self._log, self._address = log, address

    @property
    def bold(self) -> bool:
        return False

    @bold.setter
    def bold(self, value: bool) -> None:
        self._log.add("font.bold", self._address, value)


class FakeRange:
    def __init__(self, sheet: FakeSheet, first: tuple, last: tuple | None = None,
                 options: dict | None = None) -> None:
        self._sheet, self._first, self._last = sheet, first, last
        self._options = options or {}

    @property
    def address(self) -> tuple:
        return (self._sheet.name, self._first, self._last)

    @property
    def row(self) -> int:
        return self._first[0]

    @property
    def column(self) -> int:
        return self._first[1]

    @property
    def last_cell(self) -> FakeRange:
        return FakeRange(self._sheet, self._last or self._first)

    def options(self, **options: Any) -> FakeRange:
        return FakeRange(self._sheet, self._first, self._last, options)

    @property
    def value(self) -> Any:
        self._sheet._log.add("read", self.address, self._options)
        rows, cols = self._last[0] - self._first[0] + 1, self._last[1] - self._first[1] + 1
        data = self._sheet._rows
        return [[data[r][c] if r < len(data) and c < len(data[r]) else None
                 for c in range(cols)] for r in range(rows)]

    @value.setter
    def value(self, value: Any) -> None:
        if isinstance(value, pd.DataFrame):  # xlwings' own conversion, then Excel's types
            excel_cells(PandasDataFrameConverter.write_value(value, dict(self._options)))
        else:
            excel_cells([[value]])
        self._sheet._log.add("value", self.address, self._options, value)

    @property
    def number_format(self) -> str:
        return "General"

    @number_format.setter
    def number_format(self, value: str) -> None:
        self._sheet._log.add("number_format", self.address, value)

    @property
    def font(self) -> FakeFont:
        return FakeFont(self._sheet._log, self.address)

    @property
    def impl(self) -> FakeRange:  # what xlwings hands its engine for a Range argument
        return self

    @property
    def conditional_formats(self):
        from xlwings import main

        return main.ConditionalFormats(impl=ConditionalFormatsImpl(self._sheet._log,
                                                                   self.address))


class ConditionalFormatsImpl:
    """The engine side of ``range.conditional_formats``: records each rule's spec."""

    def __init__(self, log: Log, address: tuple) -> None:
        self._log, self._address = log, address

    def _add(self, kind: str, spec: dict) -> object:
        self._log.add(f"cf.{kind}", self._address, spec)
        return object()

    def add_cell_value(self, spec):
        return self._add("add_cell_value", spec)

    def add_custom(self, spec):
        return self._add("add_custom", spec)

    def add_color_scale(self, spec):
        return self._add("add_color_scale", spec)

    def add_data_bar(self, spec):
        return self._add("add_data_bar", spec)

    def add_icon_set(self, spec):
        return self._add("add_icon_set", spec)

    def clear(self):
        self._log.add("cf.clear", self._address)


class ChartAxisImpl:
    def __init__(self, chart: ChartImpl, which: str) -> None:
        self._chart, self._which = chart, which

    def set(self, **values):
        from xlwings.base_classes import _Unset

        self._chart._log.add("axis.set", self._chart.key, self._which,
                             {k: v for k, v in values.items() if not isinstance(v, _Unset)})


class ChartImpl:
    """The engine side of one chart: records what is set on it."""

    def __init__(self, log: Log, key: tuple) -> None:
        self._log, self.key = log, key

    def set_x_axis_values(self, rng):
        self._log.add("chart.x_values", self.key, rng.address)

    @property
    def title(self):
        return None

    @title.setter
    def title(self, value):
        self._log.add("chart.title", self.key, value)

    @property
    def category_axis(self):
        return ChartAxisImpl(self, "category")

    @property
    def value_axis(self):
        return ChartAxisImpl(self, "value")

    def delete(self):
        self._log.add("chart.delete", self.key)


class ChartsImpl:
    """The engine side of ``sheet.charts``."""

    def __init__(self, sheet: FakeSheet) -> None:
        self._sheet = sheet
        self._charts: list[ChartImpl] = []

    def __len__(self):
        return len(self._charts)

    def __iter__(self):
        return iter(list(self._charts))

    def __call__(self, key):
        return self._charts[key - 1]

    def __contains__(self, key):
        return False

    def add(self, left, top, width, height, chart_type=None, source=None, plot_by=None,
            name=None, anchor=None, style=227):
        key = (self._sheet.name, len(self._charts) + 1)
        self._sheet._log.add("charts.add", key, source.address if source else None,
                             chart_type, plot_by, anchor.address if anchor else None,
                             round(width, 1), round(height, 1))
        chart = ChartImpl(self._sheet._log, key)
        self._charts.append(chart)
        return chart


class FakeTable:
    def __init__(self, name: str) -> None:
        self.name = name


class FakeTables:
    def __init__(self, sheet: FakeSheet, names: tuple[str, ...] = ()) -> None:
        self._sheet = sheet
        self._tables = [FakeTable(n) for n in names]

    def __iter__(self):
        return iter(list(self._tables))

    def add(self, source: FakeRange | None = None, name: str | None = None,
            table_style_name: str = "TableStyleMedium2") -> FakeTable:
        self._sheet._log.add("tables.add", source.address if source else None, name,
                             table_style_name)
        table = FakeTable(name or f"Table{len(self._tables) + 1}")
        self._tables.append(table)
        return table


class FakeSheet:
    def __init__(self, log: Log, name: str, rows: list[list[Any]] | None = None,
                 visible: bool = True, tables: tuple[str, ...] = ()) -> None:
        self._log, self._rows, self._name = log, rows or [], name
        self._visible = visible
        self._tables = FakeTables(self, tables)
        self._charts = ChartsImpl(self)

    @property
    def name(self) -> str:
        return self._name

    @property
    def visible(self) -> bool:
        return self._visible

    @property
    def tables(self) -> FakeTables:
        return self._tables

    @property
    def charts(self):
        from xlwings import main

        return main.Charts(impl=self._charts)

    @property
    def used_range(self) -> FakeRange:
        rows = max(len(self._rows), 1)
        cols = max((len(r) for r in self._rows), default=1) or 1
        return FakeRange(self, (1, 1), (rows, cols))

    def range(self, cell1: tuple, cell2: tuple | None = None) -> FakeRange:
        return FakeRange(self, cell1, cell2)

    def clear(self) -> None:  # Cells.Clear: values, formats and tables; charts stay
        self._log.add("clear", self.name)
        self._rows = []
        self._tables = FakeTables(self)

    def autofit(self, axis: str | None = None) -> None:
        self._log.add("autofit", self.name, axis)


class FakeSheets:
    def __init__(self, log: Log, sheets: list[FakeSheet]) -> None:
        self._log, self._sheets = log, sheets

    def __iter__(self):
        return iter(list(self._sheets))

    def __len__(self) -> int:
        return len(self._sheets)

    def __getitem__(self, key: str) -> FakeSheet:
        for sheet in self._sheets:
            if sheet.name == key:
                return sheet
        raise KeyError(key)

    def add(self, name: str | None = None, before: FakeSheet | None = None,
            after: FakeSheet | None = None) -> FakeSheet:
        self._log.add("sheets.add", name, None if before is None else before.name,
                      None if after is None else after.name)
        sheet = FakeSheet(self._log, name or f"Sheet{len(self._sheets) + 1}")
        self._sheets.append(sheet)
        return sheet


class FakeApp:
    def __init__(self, log: Log, answers: list[str] | None = None) -> None:
        self._log, self._answers = log, list(answers or [])
        self._screen_updating = True

    @property
    def screen_updating(self) -> bool:
        return self._screen_updating

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self._log.add("screen_updating", value)
        self._screen_updating = value

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok",
              mode: str | None = None, callback: str | None = None) -> str | None:
        self._log.add("alert", prompt, title, buttons, mode)
        if buttons == "ok":
            return "ok"
        return self._answers.pop(0) if self._answers else "ok"


class FakeBook:
    def __init__(self, sheets: dict[str, list[list[Any]]], fullname: str = "/work/book.xlsx",
                 hidden: tuple[str, ...] = (), answers: list[str] | None = None) -> None:
        self.log = Log()
        self._sheets = FakeSheets(self.log, [
            FakeSheet(self.log, name, rows, visible=name not in hidden)
            for name, rows in sheets.items()])
        self._app = FakeApp(self.log, answers)
        self._fullname = fullname

    @property
    def sheets(self) -> FakeSheets:
        return self._sheets

    @property
    def app(self) -> FakeApp:
        return self._app

    @property
    def fullname(self) -> str:
        return self._fullname

    @property
    def name(self) -> str:
        return self._fullname.rsplit("/", 1)[-1]

    def calls(self, kind: str) -> list[tuple]:
        return [c for c in self.log if c[0] == kind]


def _real() -> dict[type, type]:
    from xlwings import main

    return {FakeBook: main.Book, FakeSheets: main.Sheets, FakeSheet: main.Sheet,
            FakeRange: main.Range, FakeApp: main.App, FakeTables: main.Tables,
            FakeTable: main.Table, FakeFont: main.Font}


def _impl() -> dict[type, tuple[type, ...]]:
    from xlwings import base_classes

    # the engines' Charts are (Collection, base_classes.Charts)
    return {ConditionalFormatsImpl: (base_classes.ConditionalFormats,),
            ChartsImpl: (base_classes.Charts, base_classes.Collection),
            ChartImpl: (base_classes.Chart,), ChartAxisImpl: (base_classes.ChartAxis,)}


REAL = _real()
IMPL = _impl()
