"""Write the demo tables as a byte-for-byte reproducible .xlsx: fixed document times, fixed zip
member times, order, attributes and compression, and an atomic move into place."""

from __future__ import annotations

import datetime as dt
import io
import os
import pathlib
import zipfile

from addin.demo.vocabulary import (
    COMPANY_NAME,
    DEMO_AS_OF,
    SHEET_ORDER,
)
from addin.errors import column_letter

_WIDTHS = {
    "Customers": (11, 34, 16, 8, 12, 16, 8, 10, 12, 44, 20),
    "Transactions": (11, 12, 13, 12, 22, 12, 17),
    "Contacts": (11, 12, 10, 14, 26, 20),
    "Complaints": (11, 12, 12, 11, 10, 10),
    "Scorecard": (18, 30, 36, 8, 9, 9, 28, 9, 9, 7, 7, 28),
    "Distribution": (16, 30, 16, 10),
    "Settings": (24, 24),
}


def _write_xlsx(tables: dict[str, tuple[list[str], list[list]]], out: io.BytesIO) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    stamp = dt.datetime.combine(DEMO_AS_OF, dt.time())
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = COMPANY_NAME
    wb.properties.title = f"{COMPANY_NAME}: CRM demo workbook"
    bold = Font(bold=True)
    for name in SHEET_ORDER:
        headers, rows = tables[name]
        ws = wb.create_sheet(name)
        ws.freeze_panes = "B2" if name in ("Customers", "Survey", "Scorecard") else "A2"
        widths = _WIDTHS.get(name, ())
        for i in range(len(headers)):
            ws.column_dimensions[column_letter(i)].width = widths[i] if i < len(widths) else 11
        header = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in rows:
            ws.append(row)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # save_workbook() would stamp the current time


def _normalise_zip(data: bytes) -> bytes:
    """The same archive with fixed member times, order, attributes and compression."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = src.namelist()
        names = sorted(names, key=lambda n: (n != "[Content_Types].xml", names.index(n)))
        with zipfile.ZipFile(out, "w") as dst:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 0
                info.external_attr = 0o600 << 16
                dst.writestr(info, src.read(name), compresslevel=6)
    return out.getvalue()


def write_reproducible_xlsx(tables, path: str | os.PathLike) -> pathlib.Path:
    """Write ``tables`` (sheet -> (headers, rows)) to ``path``; the same tables give the same
    bytes (with the same openpyxl and zlib). Written to a temporary name, then moved."""
    path = pathlib.Path(path)
    buf = io.BytesIO()
    _write_xlsx(tables, buf)
    data = _normalise_zip(buf.getvalue())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
