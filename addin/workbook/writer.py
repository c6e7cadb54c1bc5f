"""Rendering result sheets with openpyxl: each :class:`~addin.workbook.results.ResultTable`
as an Excel table with its formats, links, conditional formats and native chart. Where the
rendered sheets go, and how safely, is :mod:`addin.workbook.saving`'s."""

from __future__ import annotations

import datetime as dt

import numpy as np

from addin.workbook.results import (
    CHART_ROWS,
    DATETIME_FORMAT,
    HEATMAP,
    RAG_FILLS,
    RAG_FONTS,
    TABLE_STYLE,
    Chart,
    ResultTable,
    Rule,
    SheetContent,
    cell_format,
    cell_value,
    column_formats,
    display_width,
    result_tables,
    safe_cell_text,
    table_name,
    unique_headers,
)
from addin.workbook.stream import STREAM_ROWS, StreamedTable


def write_table(ws, table: ResultTable, top: int, taken: set[str],
                streamed: list[StreamedTable] | None = None) -> int:
    """Write one table at row ``top`` of worksheet ``ws``; return the next free row.

    With a ``streamed`` list, a table of more than ``STREAM_ROWS`` rows (and no links) is
    written as a skeleton: everything spans all its rows, but its data is one template row
    (a 0 in each column, with the column's number format) that
    :func:`addin.workbook.stream.splice_rows` replaces by the rows when the package is
    written; the table is appended to ``streamed``."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    frame = table.frame
    row = top
    if table.title:
        title = ws.cell(row=row, column=1, value=safe_cell_text(table.title))
        title.font = Font(bold=True, size=12)
        title.data_type = "s"
        row += 1
    headers = unique_headers(list(frame.columns))
    for c, header in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=c, value=header)
        cell.data_type = "s"
        cell.font = Font(bold=True)
    header_row = row
    formats = column_formats(table)
    skeleton = (streamed is not None and len(frame) > STREAM_ROWS and not table.links
                and len(headers) > 0)
    shown = frame.iloc[:500] if skeleton else frame  # a skeleton's first rows fit the widths
    columns = [shown.iloc[:, i].to_numpy(dtype=object) for i in range(frame.shape[1])]
    if skeleton:
        letters = tuple(get_column_letter(c + 1) for c in range(len(headers)))
        date_only = set()
        for c in range(len(headers)):
            if formats[c] or frame.dtypes.iloc[c] is not np.dtype(object):
                cell = ws.cell(row=row + 1, column=c + 1, value=0)
                if cell_format(formats[c], 0):
                    cell.number_format = cell_format(formats[c], 0)
            else:  # a date in a mixed column gets openpyxl's date style: let it pick that
                ws.cell(row=row + 1, column=c + 1, value=dt.date(2000, 1, 1))
                date_only.add(letters[c])
        streamed.append(StreamedTable(frame, row + 1, letters, frozenset(date_only)))
        row += len(frame)
    for r in range(0 if skeleton else len(frame)):
        row += 1
        for c, values in enumerate(columns):
            value = cell_value(values[r])
            if value is None:
                continue
            cell = ws.cell(row=row, column=c + 1, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text begins with
            elif (fmt := cell_format(formats[c], r)):
                cell.number_format = fmt
    _add_links(ws, table, header_row)
    if len(frame) and len(headers):
        ref = f"A{header_row}:{get_column_letter(len(headers))}{row}"
        excel_table = Table(displayName=table_name(ws.title, taken), ref=ref)
        # named here: openpyxl would otherwise read the header through ws[ref], creating a
        # cell object for every cell of the table (28 s and 180 MB for a streamed skeleton)
        excel_table.tableColumns = [TableColumn(id=i + 1, name=h)
                                    for i, h in enumerate(headers)]
        excel_table.autoFilter = AutoFilter(ref=ref)
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
    elif rule.kind == "heatmap":
        ws.conditional_formatting.add(ref, ColorScaleRule(
            start_type="num", start_value=0, start_color=HEATMAP[0], mid_type="num",
            mid_value=0.5, mid_color=HEATMAP[1], end_type="num", end_value=1,
            end_color=HEATMAP[2]))
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
            v = cell_value(value)
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


def add_result_sheet(wb, name: str, content: SheetContent,
                     streamed: list[StreamedTable] | None = None) -> None:
    """Replace (or add) sheet ``name`` in an openpyxl workbook with the given tables (large
    ones as skeletons added to ``streamed``, when given: see :func:`write_table`)."""
    if name in wb.sheetnames:
        del wb[name]
    ws = wb.create_sheet(title=name[:31])
    taken = {t.casefold() for sheet in wb.worksheets for t in sheet.tables}
    tables = result_tables(content)
    row = 1
    for table in tables:
        row = write_table(ws, table, row, taken, streamed)
    if len(tables) == 1 and not tables[0].title:
        ws.freeze_panes = "A2"  # one table from row 1: keep its header in view
