"""Streaming the rows of a large result table into the sheet part, in bounded memory.

openpyxl keeps a cell object per value and the package graft then parses the rendered sheet
again: a 100,000-row x 28-column Tiers sheet took 108 s and 4 GB. Here a large table is rendered
by openpyxl as a *skeleton*: its title, header, table definition, conditional formats and chart
span all its rows, but only its first data row is written, as a template holding one cell per
formatted column with that column's number format. After the graft has remapped the styles
(:func:`addin.workbook.package.transform_sheet`), :func:`splice_rows` reads the template's
style indices, cuts the sheet XML there and writes the data rows in its place, a few thousand
rows at a time, straight into the zip entry. The cells are the ones openpyxl writes for the
same values (:func:`addin.workbook.results.cell_value`): numbers as ``<v>``, dates as Excel
serial numbers with the column's date format, booleans as ``t="b"``, text as inline strings
(never a formula, characters XML cannot hold removed), blanks left out. Source: ECMA-376
Part 1, §18.3.1 (``sheetData``, ``row``, ``c``, ``is``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from addin.workbook.results import _ILLEGAL_XML, cell_value

STREAM_ROWS = 2_000  # tables longer than this are streamed (shorter ones: openpyxl as before)
CHUNK_ROWS = 512  # rows per chunk: 1,024 peaked 5 MB higher for 5 % less time
_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")
_DAY_US = 86_400_000_000
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*\br="(\d+)"')
_CELL_STYLE = re.compile(rb'<(?:\w+:)?c\b[^>]*\br="([A-Z]+)\d+"([^>]*)>')
_DIMENSION = re.compile(rb'(<(?:\w+:)?dimension\b[^>]*\bref="[A-Z]+\d+:[A-Z]+)(\d+)(")')


@dataclass(frozen=True)
class StreamedTable:
    """A table whose data rows are written by :func:`splice_rows`: its frame, the Excel row
    of its first data row (the template row of the skeleton), and the column letters."""

    frame: pd.DataFrame
    first_row: int
    letters: tuple[str, ...]
    # columns without a number format whose template cell is a date: their numbers have no
    # style and their dates openpyxl's default date style, as openpyxl writes them
    date_only: frozenset[str] = frozenset()


def _serials(values: np.ndarray) -> np.ndarray:
    """Excel serial numbers (1900 date system, days since 1899-12-30) of datetime64 values."""
    us = values.astype("datetime64[us]")
    return (us - _EPOCH).astype(np.int64) / _DAY_US


def _number_text(value: float) -> str:
    return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _text_cell(ref: str, text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _object_cells(values: np.ndarray, letter: str, rows: range, style: str,
                  date_style: str) -> list[str]:
    """One cell per value of an object column, typed value by value as openpyxl does."""
    out = []
    for value, row in zip(values, rows, strict=True):
        v = cell_value(value)
        ref = f"{letter}{row}"
        if v is None:
            out.append("")
        elif isinstance(v, str):
            out.append(_text_cell(ref, v))
        elif isinstance(v, bool):
            out.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
        elif isinstance(v, (dt.datetime, dt.date)):
            serial = _serials(np.array([np.datetime64(v, "us")]))[0]
            out.append(f'<c r="{ref}"{date_style}><v>{_number_text(float(serial))}</v></c>')
        elif isinstance(v, (int, float)) and np.isfinite(v):
            out.append(f'<c r="{ref}"{style}><v>{_number_text(float(v))}</v></c>')
        else:
            out.append("")
    return out


def _join(*parts):
    """Element-wise concatenation of string arrays and scalars (null where any part is)."""
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*parts, "")


def _column_cells(series: pd.Series, letter: str, rows, style: str, date_style: str):
    """The cells of one column as an Arrow string array, "" where the value is blank. Typed
    columns are converted whole in Arrow's C kernels (numbers as the shortest text that reads
    back as the same double); only object columns of mixed types go value by value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = series.dtype
    head = f'<c r="{letter}'
    if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        flags = pa.array(series.to_numpy(dtype=bool))
        return _join(head, rows, pc.if_else(flags, '" t="b"><v>1</v></c>',
                                            '" t="b"><v>0</v></c>'))
    if pd.api.types.is_datetime64_any_dtype(dtype) or (
            pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
        if pd.api.types.is_datetime64_any_dtype(dtype):
            raw = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
            stamps = raw.to_numpy(dtype="datetime64[us]")
            values = np.where(np.isnat(stamps), np.nan, _serials(stamps))
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu":
            values = series.to_numpy()
        else:
            values = series.to_numpy(dtype=float, na_value=np.nan)
        blank = ~np.isfinite(values) if values.dtype.kind == "f" else None
        text = pc.cast(pa.array(values, mask=blank), pa.string())
        return pc.coalesce(_join(head, rows, f'"{style}><v>', text, "</v></c>"), "")
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        text = pa.array(series.astype(object).where(series.notna(), None).to_numpy(),
                        type=pa.string())
        text = pc.replace_substring_regex(text, _ILLEGAL_XML.pattern, "")
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            text = pc.replace_substring(text, char, entity)
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()),
                          text)
        padded = pc.not_equal(text, pc.utf8_trim_whitespace(text))
        mid = pc.if_else(padded, '" t="inlineStr"><is><t xml:space="preserve">',
                         '" t="inlineStr"><is><t>')
        return pc.coalesce(_join(head, rows, mid, text, "</t></is></c>"), "")
    first = int(rows[0].as_py())
    return pa.array(_object_cells(series.to_numpy(dtype=object), letter,
                                  range(first, first + len(series)), style, date_style),
                    type=pa.string())


def _rows_xml(table: StreamedTable, styles: dict[str, str]) -> Iterator[memoryview]:
    import pyarrow as pa

    frame = table.frame.copy(deep=False)
    frame.attrs = {}  # nothing travels on attrs; a frame from elsewhere might carry some
    series = [frame.iloc[:, c] for c in range(frame.shape[1])]
    n = len(frame)
    # Arrow's default allocator (mimalloc) keeps the pages of freed chunks mapped: 12 MB more
    # at the peak of a 100,000-row sheet than the C library's, which hands them back. The
    # switch is for this loop only (pandas' Arrow-backed text columns allocate here too).
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield from _chunks(table, styles, series, n)
    finally:
        pa.set_memory_pool(previous)


def _chunks(table: StreamedTable, styles: dict[str, str], series: list[pd.Series],
            n: int) -> Iterator[memoryview]:
    import pyarrow as pa

    for start in range(0, n, CHUNK_ROWS):
        stop = min(n, start + CHUNK_ROWS)
        rows = pa.array(np.arange(table.first_row + start, table.first_row + stop)
                        .astype(str).astype(object), type=pa.string())
        columns = [_column_cells(series[c].iloc[start:stop], letter, rows,
                                 "" if letter in table.date_only else styles.get(letter, ""),
                                 styles.get(letter, ""))
                   for c, letter in enumerate(table.letters)]
        xml = _join('<row r="', rows, '">', *columns, "</row>")
        # a string array without nulls: its data buffer is the rows one after the other,
        # handed on as it is (a view, not a copy)
        offsets = np.frombuffer(xml.buffers()[1], dtype=np.int32)[
            xml.offset:xml.offset + len(xml) + 1]
        yield memoryview(xml.buffers()[2])[offsets[0]:offsets[-1]]


def splice_rows(sheet_xml: bytes, tables: list[StreamedTable]
                ) -> Iterator[bytes | memoryview]:
    """The sheet part with each streamed table's template row replaced by its data rows, as
    chunks of bytes or views of them (the sheet XML is split, never parsed again); the
    ``dimension`` reaches the last row written."""
    last = max(t.first_row + len(t.frame) - 1 for t in tables)
    sheet_xml = _DIMENSION.sub(
        lambda m: m.group(1) + str(max(int(m.group(2)), last)).encode() + m.group(3),
        sheet_xml, count=1)
    rows = {m.group(1).decode(): m for m in _ROW.finditer(sheet_xml)}
    position = 0
    for table in sorted(tables, key=lambda t: t.first_row):
        start_match = rows.get(str(table.first_row))
        if start_match is None:
            raise RuntimeError(f"the skeleton has no template row {table.first_row}")
        start = start_match.start()
        end = sheet_xml.index(b"row>", start_match.end()) + len(b"row>")  # its </row>
        template = sheet_xml[start:end]
        styles = {m.group(1).decode(): (f' s="{s.group(1).decode()}"'
                                        if (s := re.search(rb'\bs="(\d+)"', m.group(2)))
                                        else "")
                  for m in _CELL_STYLE.finditer(template)}
        yield sheet_xml[position:start]
        # made here, chunk by chunk, as zlib takes them: a second thread making the next chunk
        # while zlib compresses gained little and kept a second allocator heap (7 MB)
        yield from _rows_xml(table, styles)
        position = end
    yield sheet_xml[position:]
