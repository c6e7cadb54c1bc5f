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


MACRO_REL = "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet"
DIALOG_REL = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
              "dialogsheet")
_SHEET_XML = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              b'<{tag} xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>=RETURN()</t></is></c>'
              b'</row></sheetData></{tag}>')


def add_macro_and_dialog_sheets(source: Path, dest: Path, names=("Macro1", "Dialog1")) -> Path:
    """``source`` with an Excel 4.0 macro sheet and a dialog sheet appended, as Excel keeps
    them in an .xlsm (parts, relationships, content types and ``<sheet>`` entries)."""
    import shutil

    shutil.copyfile(source, dest)
    parts = {"xl/macrosheets/sheet1.xml": (_SHEET_XML.replace(b"{tag}", b"xm:macrosheet")
                                           .replace(b'xmlns="', b'xmlns:xm="http://schemas.'
                                                    b'microsoft.com/office/excel/2006/main" '
                                                    b'xmlns="'),
                                           "application/vnd.ms-excel.macrosheet+xml",
                                           MACRO_REL, "../macrosheets/sheet1.xml"),
             "xl/dialogsheets/sheet1.xml": (_SHEET_XML.replace(b"{tag}", b"dialogsheet"),
                                            "application/vnd.openxmlformats-officedocument."
                                            "spreadsheetml.dialogsheet+xml",
                                            DIALOG_REL, "dialogsheets/sheet1.xml")}
    with zipfile.ZipFile(source) as zin:
        ct = zin.read("[Content_Types].xml").decode()
        rels = zin.read("xl/_rels/workbook.xml.rels").decode()
        wb = zin.read("xl/workbook.xml").decode()
        members = {i.filename: zin.read(i) for i in zin.infolist()}
    sheet_id = 100
    for (part, (_xml, ctype, rtype, target)), name in zip(parts.items(), names, strict=True):
        rid = f"rIdX{sheet_id}"
        ct = ct.replace("</Types>", f'<Override PartName="/{part}" ContentType="{ctype}"/>'
                        "</Types>")
        rels = rels.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{rtype}" '
                            f'Target="{target.replace("../", "")}"/></Relationships>')
        wb = wb.replace("</sheets>", f'<sheet name="{name}" sheetId="{sheet_id}" '
                        f'r:id="{rid}"/></sheets>')
        sheet_id += 1
    members["[Content_Types].xml"] = ct.encode()
    members["xl/_rels/workbook.xml.rels"] = rels.encode()
    members["xl/workbook.xml"] = wb.encode()
    for part, (xml, *_rest) in parts.items():
        members[part] = xml
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    return dest
