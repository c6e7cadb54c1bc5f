"""Write result sheets as real Excel tables, into a copy of the user's workbook.

Each result is an Excel table (ListObject) with a header row, number formats by column type
(dates ``yyyy-mm-dd``, integers ``#,##0``, decimals ``#,##0.00``, shares ``0.0%``), a frozen
header and column widths fitted to the content (CJK characters count double). A sheet may hold
several tables one below the other, each under a bold title.

Safety rules:

* The user's workbook is read, never rebuilt: result sheets are added at the package level
  (:mod:`addin.workbook.package`), so every part already there (charts, pictures, pivot tables,
  VBA, names, external links) is copied byte for byte. Results go to a copy unless
  ``in_place=True`` asks to write them back, which first keeps a backup
  (``book.bak-YYYYmmdd-HHMMSS.xlsx`` beside the workbook).
* The write is atomic: a temporary file in the destination folder, then a rename, so an
  interrupted run leaves either the old file or the new one, never half of one.
* Text from the data is written as text, never as a formula: a value that begins with ``=``,
  ``+``, ``-`` or ``@`` is stored as a string cell, so ``=HYPERLINK(...)`` in a customer name
  stays inert. Characters XML cannot hold are removed.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from addin.errors import InputError

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
TABLE_STYLE = "TableStyleMedium2"

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@")
_PERCENT_NAME = re.compile(r"(share|_pct|percent|_rate|^rate)$", re.I)
_OPENPYXL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")


CHART_KINDS = ("line", "scatter", "bar")
RULE_KINDS = ("databar", "rag", "diverging", "negative_red")
RAG_FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE"}  # Excel's built-in styles
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
    scale centred on 0 (gaps); ``negative_red``: negative numbers in dark red."""

    column: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise ValueError(f"rule kind {self.kind!r}: use one of {RULE_KINDS}")


@dataclass
class ResultTable:
    """One table of a result sheet: a DataFrame (written without its index), an optional title
    above it, number formats by column name overriding the defaults, an optional native chart
    and conditional-format rules.

    ``links`` makes the cells of a column hyperlinks: column name -> one target per row
    (``None`` for no link); a target ``#'Sheet'!C3`` (see :func:`cell_link`) goes to that cell
    of the workbook, any other target is opened as an address."""

    frame: pd.DataFrame
    title: str | None = None
    formats: dict[str, str] = field(default_factory=dict)
    chart: Chart | None = None
    rules: list[Rule] = field(default_factory=list)
    links: dict[str, Sequence[str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = {str(c) for c in self.frame.columns}
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


def _tables(content: SheetContent) -> list[ResultTable]:
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


def _default_format(name: str, series: pd.Series) -> str | None:
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


def _cell_value(value: object) -> object:
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


def _table_name(sheet_title: str, taken: set[str]) -> str:
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


def _unique_headers(columns: Sequence[object]) -> list[str]:
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


def write_table(ws, table: ResultTable, top: int, taken: set[str]) -> int:
    """Write one table at row ``top`` of worksheet ``ws``; return the next free row."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    frame = table.frame
    row = top
    if table.title:
        title = ws.cell(row=row, column=1, value=safe_cell_text(table.title))
        title.font = Font(bold=True, size=12)
        title.data_type = "s"
        row += 1
    headers = _unique_headers(list(frame.columns))
    for c, header in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=c, value=header)
        cell.data_type = "s"
        cell.font = Font(bold=True)
    header_row = row
    formats = [table.formats.get(str(name)) or _default_format(str(name), frame[name])
               for name in frame.columns]
    columns = [frame.iloc[:, i].to_numpy(dtype=object) for i in range(frame.shape[1])]
    for r in range(len(frame)):
        row += 1
        for c, values in enumerate(columns):
            value = _cell_value(values[r])
            if value is None:
                continue
            cell = ws.cell(row=row, column=c + 1, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text begins with
            elif formats[c]:
                cell.number_format = formats[c]
    _add_links(ws, table, header_row)
    if len(frame) and len(headers):
        ref = f"A{header_row}:{get_column_letter(len(headers))}{row}"
        excel_table = Table(displayName=_table_name(ws.title, taken), ref=ref)
        excel_table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
        ws.add_table(excel_table)
        first, last = header_row + 1, row
        index = {str(name): i + 1 for i, name in enumerate(frame.columns)}
        for rule in table.rules:
            _add_rule(ws, rule, index[rule.column], first, last)
        if table.chart is not None:
            _add_chart(ws, table.chart, index, header_row, last, len(headers) + 2)
    _fit_widths(ws, headers, columns, formats)
    if table.chart is not None and len(frame):
        row = max(row, header_row + CHART_ROWS)
    return row + 2


LINK_COLOUR = "0563C1"  # Excel's Hyperlink cell style


def _add_links(ws, table: ResultTable, header_row: int) -> None:
    from openpyxl.styles import Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    index = {str(name): i + 1 for i, name in enumerate(table.frame.columns)}
    for column, targets in table.links.items():
        for r, target in enumerate(targets):
            cell = ws.cell(row=header_row + 1 + r, column=index[column])
            if not target or cell.value is None:
                continue
            target = safe_cell_text(str(target))
            if target.startswith("#"):
                cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target[1:])
            else:
                cell.hyperlink = target
            cell.font = Font(color=LINK_COLOUR, underline="single")


SERIES_COLOURS = ("4472C4", "ED7D31", "A5A5A5", "FFC000", "5B9BD5", "70AD47")
CHART_ROWS = 16  # rows a chart covers at its default height (7.5 cm)


def _add_rule(ws, rule: Rule, col: int, first: int, last: int) -> None:
    from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, DataBarRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(col)
    ref = f"{letter}{first}:{letter}{last}"
    if rule.kind == "databar":
        ws.conditional_formatting.add(ref, DataBarRule(
            start_type="num", start_value=0, end_type="max", color="5B9BD5"))
    elif rule.kind == "rag":
        for word, fill in RAG_FILLS.items():
            ws.conditional_formatting.add(ref, CellIsRule(
                operator="equal", formula=[f'"{word}"'],
                fill=PatternFill(start_color=fill, end_color=fill, fill_type="solid"),
                font=Font(color=RAG_FONTS[word])))
    elif rule.kind == "diverging":
        ws.conditional_formatting.add(ref, ColorScaleRule(
            start_type="min", start_color="F8696B", mid_type="num", mid_value=0,
            mid_color="FFFFFF", end_type="max", end_color="63BE7B"))
    else:  # negative_red
        ws.conditional_formatting.add(ref, CellIsRule(
            operator="lessThan", formula=["0"], font=Font(color="9C0006")))


def _add_chart(ws, spec: Chart, index: dict[str, int], header_row: int, last: int,
               anchor_col: int) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.utils import get_column_letter

    x_ref = Reference(ws, min_col=index[spec.x], min_row=header_row + 1, max_row=last)
    if spec.kind == "scatter":
        chart = ScatterChart()
        chart.style = 13
        for name in spec.y:
            y_ref = Reference(ws, min_col=index[name], min_row=header_row, max_row=last)
            series = Series(y_ref, x_ref, title_from_data=True)
            series.marker.symbol = "circle"
            series.marker.size = 7
            colour = SERIES_COLOURS[len(chart.series) % len(SERIES_COLOURS)]
            series.marker.graphicalProperties = GraphicalProperties(solidFill=colour)
            series.marker.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.noFill = True  # markers only
            chart.series.append(series)
    else:
        chart = LineChart() if spec.kind == "line" else BarChart()
        for name in spec.y:
            y_ref = Reference(ws, min_col=index[name], min_row=header_row, max_row=last)
            chart.add_data(y_ref, titles_from_data=True)
        chart.set_categories(x_ref)
        for series in chart.series:
            series.smooth = False  # a trend is drawn point to point, not as a spline
    chart.title = spec.title or None
    chart.x_axis.title = spec.x_title or spec.x
    chart.y_axis.title = spec.y_title or (spec.y[0] if len(spec.y) == 1 else None)
    chart.x_axis.delete = False  # openpyxl >= 3.1 hides axes unless told
    chart.y_axis.delete = False
    chart.width, chart.height = 16, 7.5
    ws.add_chart(chart, f"{get_column_letter(anchor_col)}{header_row}")


def _fit_widths(ws, headers: list[str], columns: list[np.ndarray], formats: list) -> None:
    from openpyxl.utils import get_column_letter

    for c, header in enumerate(headers):
        sample = columns[c][:500]
        widths = [display_width(header) + 2]
        for value in sample:
            v = _cell_value(value)
            if v is None:
                continue
            if isinstance(v, (dt.date, dt.datetime)):
                widths.append(16 if formats[c] == DATETIME_FORMAT else 11)
            elif isinstance(v, float):
                widths.append(len(f"{v:,.2f}") + 1)
            else:
                widths.append(display_width(str(v)))
        letter = get_column_letter(c + 1)
        current = ws.column_dimensions[letter].width or 0
        ws.column_dimensions[letter].width = max(current, min(max(widths) + 2, 60))


def add_result_sheet(wb, name: str, content: SheetContent) -> None:
    """Replace (or add) sheet ``name`` in an openpyxl workbook with the given tables."""
    if name in wb.sheetnames:
        del wb[name]
    ws = wb.create_sheet(title=name[:31])
    taken = {t.casefold() for sheet in wb.worksheets for t in sheet.tables}
    tables = _tables(content)
    row = 1
    for table in tables:
        row = write_table(ws, table, row, taken)
    if len(tables) == 1 and not tables[0].title:
        ws.freeze_panes = "A2"  # one table from row 1: keep its header in view


def atomic_save(wb, dest: Path) -> None:
    """Save an openpyxl workbook to ``dest`` through a temporary file and a rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_results_path(source: str | Path) -> Path:
    """``book.xlsx`` -> ``book_results.xlsx`` beside it (``.xlsm`` keeps its macros suffix)."""
    source = Path(source)
    suffix = source.suffix.lower() if source.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    return source.with_name(f"{source.stem}_results{suffix}")


_PACKAGE_SUFFIXES = (".xlsx", ".xlsm")


def write_result_sheets(
    dest: str | Path,
    sheets: Mapping[str, SheetContent],
    *,
    source: str | Path | None = None,
    in_place: bool = False,
    backup: bool = True,
) -> Path:
    """Write ``sheets`` (sheet name -> DataFrame, ResultTable or list of them) to ``dest``.

    With ``source``, ``dest`` is that workbook with the result sheets added (a sheet of the
    same name, from an earlier run, is replaced where it stands; new ones go last). An .xlsx or
    .xlsm source is copied part for part, so nothing in it is lost; what could not be kept
    (encryption, a signature, VBA going to .xlsx, ...) is refused with an InputError naming it.
    Other sources (.xls, .xlsb, .ods, CSV) give a new workbook holding the result sheets.

    ``dest`` may not be the source, unless ``in_place=True``: then ``dest`` is the user's own
    .xlsx/.xlsm (``source`` may be omitted or must name the same file), the results are
    written into it through a temporary file in its folder and an atomic rename, and with
    ``backup`` the original is first kept as ``<name>.bak-YYYYmmdd-HHMMSS<suffix>`` beside it.
    A failure at any point leaves the original as it was. Returns ``dest``.
    """
    dest = Path(dest)
    if dest.suffix.lower() not in _PACKAGE_SUFFIXES:
        raise InputError(f"{dest.name}: result workbooks are written as .xlsx (or .xlsm)")
    if in_place:
        if source is not None and Path(source).resolve() != dest.resolve():
            raise ValueError("in_place writes into dest itself; source must be dest or None")
        source = dest
        _check_writable_in_place(dest)
    elif source is not None:
        source = Path(source)
        if source.exists() and dest.exists() and source.resolve() == dest.resolve():
            raise InputError(
                f"{dest.name} is the workbook being read; results go to a copy "
                f"(for example {default_results_path(source).name}), or back into it "
                "with in-place writing")
    if source is not None and source.suffix.lower() in _PACKAGE_SUFFIXES:
        _write_into_package(dest, sheets, source, in_place=in_place, backup=backup)
        return dest
    return _write_with_openpyxl(dest, sheets, source)


def _write_with_openpyxl(dest: Path, sheets: Mapping[str, SheetContent],
                         source: Path | None) -> Path:
    """The workbook rebuilt by openpyxl: for sources that are not OOXML packages (they become
    a new workbook of result sheets) and templates. Loses what openpyxl does not model."""
    from openpyxl import Workbook, load_workbook

    if source is not None and source.suffix.lower() in _OPENPYXL_SUFFIXES:
        keep_vba = source.suffix.lower() in (".xlsm", ".xltm")
        try:
            wb = load_workbook(source, keep_vba=keep_vba, keep_links=True)
        except Exception as exc:
            raise InputError(f"{source.name} cannot be copied ({type(exc).__name__}: "
                             f"{str(exc)[:120]})") from exc
    else:
        wb = Workbook()
        wb.remove(wb.active)
    for name, content in sheets.items():
        add_result_sheet(wb, name, content)
    atomic_save(wb, dest)
    return dest


def _check_writable_in_place(path: Path) -> None:
    if path.suffix.lower() not in _PACKAGE_SUFFIXES:
        raise InputError(f"{path.name}: results can be written back into .xlsx and .xlsm "
                         "workbooks only; write them to a copy")
    if not path.is_file():
        raise InputError(f"file not found: {path}; check the file name and folder")
    for lock in (f"~${path.name}", f".~lock.{path.name}#"):
        if (path.parent / lock).exists():
            raise InputError(f"{path.name} is open in Excel or LibreOffice ({lock} exists); "
                             "close it first, or write the results to a copy")


def _file_state(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _write_into_package(dest: Path, sheets: Mapping[str, SheetContent], source: Path, *,
                        in_place: bool, backup: bool) -> None:
    """Render the result sheets alone with openpyxl, graft them into ``source``'s package, and
    put the result at ``dest`` atomically (after a backup when writing in place)."""
    from openpyxl import Workbook

    from addin.workbook.package import graft_sheets, open_source

    before = _file_state(source)
    fd, rendered = tempfile.mkstemp(prefix="crm-results-", suffix=".xlsx")
    os.close(fd)
    rendered = Path(rendered)
    try:
        if sheets:
            wb = Workbook()
            wb.remove(wb.active)
            for name, content in sheets.items():
                add_result_sheet(wb, name, content)
            wb.save(rendered)

        def write(fh) -> None:
            if sheets:
                graft_sheets(source, rendered, fh, macro_dest=dest.suffix.lower() == ".xlsm")
            else:
                open_source(source).close()
                with source.open("rb") as src:
                    shutil.copyfileobj(src, fh)

        def before_replace() -> Path | None:
            if not in_place:
                return None
            if _file_state(source) != before:
                raise InputError(f"{source.name} was changed by another program while the "
                                 "results were being written; nothing was written, run again")
            return keep_backup(source) if backup else None

        _atomic_write(dest, write, before_replace)
    finally:
        rendered.unlink(missing_ok=True)


def _atomic_write(dest: Path, write, before_replace) -> None:
    """``write(file)`` into a temporary file beside ``dest``, flushed to disk, then
    ``before_replace()`` (which may return a backup it made) and an atomic rename over
    ``dest``; on any failure the temporary file (and that backup) is removed and ``dest`` is as
    it was."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=dest.suffix, dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if dest.exists():
            shutil.copymode(dest, tmp)
        else:  # mkstemp makes the file private; a results workbook is as shareable as any
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        made = before_replace()
        try:
            os.replace(tmp, dest)
        except OSError as exc:
            if made is not None:
                made.unlink(missing_ok=True)
            raise InputError(f"{dest.name} could not be replaced ({exc.strerror or exc}); it "
                             "may be open in another program. Nothing was changed") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup_path(path: Path, when: dt.datetime, n: int = 1) -> Path:
    """``book.xlsx`` -> ``book.bak-20261123-091500.xlsx`` (``-2``, ``-3`` ... for a second
    backup within the same second); the suffix stays, so Excel opens the backup as it is."""
    extra = "" if n == 1 else f"-{n}"
    return path.with_name(f"{path.stem}.bak-{when:%Y%m%d-%H%M%S}{extra}{path.suffix}")


def keep_backup(path: Path) -> Path:
    """Keep the current ``path`` as a backup beside it (a hard link where the file system has
    them: instant, and the rename that follows leaves it holding the old file; else a copy)."""
    when = dt.datetime.now()
    n = 1
    while True:
        target = backup_path(path, when, n)
        try:
            os.link(path, target)
            return target
        except FileExistsError:
            n += 1
        except OSError:
            try:
                with path.open("rb") as src, target.open("xb") as out:
                    try:
                        shutil.copyfileobj(src, out, 1 << 20)
                    except BaseException:
                        target.unlink(missing_ok=True)
                        raise
            except FileExistsError:
                n += 1
                continue
            shutil.copystat(path, target)
            return target
