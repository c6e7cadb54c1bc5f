"""Hostile variants of a workbook, made at the package level: a part rewritten, a cell placed
far away, a zip bomb. Each returns the path of the variant it wrote."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path


def edit_package(source: Path, dest: Path,
                 edits: Mapping[str, Callable[[bytes], bytes]],
                 compress: Mapping[str, int] | None = None) -> Path:
    """``source`` with each part named in ``edits`` replaced by ``edit(old bytes)``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in edits:
                data = edits[info.filename](data)
            level = (compress or {}).get(info.filename, 6)
            zout.writestr(info.filename, data, zipfile.ZIP_DEFLATED, compresslevel=level)
    return dest


def sheet_part(source: Path, sheet: str) -> str:
    """The part name of a worksheet (as openpyxl writes them: sheetN.xml in sheet order)."""
    with zipfile.ZipFile(source) as zf:
        wb = zf.read("xl/workbook.xml").decode()
    names = re.findall(r'<sheet [^>]*name="([^"]+)"', wb)
    return f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"


def add_stray_cell(source: Path, dest: Path, sheet: str, ref: str, value: str = "x") -> Path:
    """``source`` with one inline-string cell at ``ref`` (such as ``XFD1048576``) added to
    ``sheet``, after its last row, as a stray keystroke far away leaves it."""
    row = re.sub(r"[A-Z]+", "", ref)

    def edit(data: bytes) -> bytes:
        cell = (f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
                "</row>").encode()
        data = re.sub(rb"<dimension [^>]*/>", b"", data)
        return data.replace(b"</sheetData>", cell + b"</sheetData>", 1)

    return edit_package(source, dest, {sheet_part(source, sheet): edit})


def add_junk_after_root(source: Path, dest: Path, part: str) -> Path:
    return edit_package(source, dest, {part: lambda data: data + b"<junk/>garbage"})
