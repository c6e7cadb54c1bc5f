"""Look at a zip workbook before the fast reader does: refuse bombs, find sheets to read sparsely.

calamine (the Rust reader) trusts the package: it inflates a part whatever its size, and lays a
sheet out as the dense rectangle from A1 to its farthest cell, so a 4 MB zip bomb costs
gigabytes and one stray cell at XFD1048576 aborts the interpreter. :func:`inspect_package`
runs first, with the bounds of :mod:`addin.contract.limits`:

* every part's declared size and compression ratio are checked before anything is inflated;
* the parts calamine will read (workbook, styles, shared strings, the contract sheets) are
  then inflated here as a stream, through Python's zipfile, which stops at the declared size
  and checks the CRC: a zip that lies about its sizes is "damaged", never inflated further;
* while a sheet streams by, its last row and column and its rows and cells are counted
  (matching only the longest row numbers, wide column references and tags, so the pass costs
  a fraction of the read). A sheet whose rectangle passes ``DENSE_CELLS`` and is more than
  ``SPARSE_FACTOR`` times the cells it holds is named in :attr:`PackageCheck.sparse`, and the
  reader reads it cell by cell (:func:`read_sparse_rows`).

Only .xlsx-family packages are inspected; .xls sheets are bounded by the format itself
(65,536 x 256 cells).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from addin.contract import limits
from addin.contract.schema import canonical_sheet
from addin.errors import InputError

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CHUNK = 8 << 20
_OVERLAP = 32
_ROW_OF = {d: re.compile(rb'<row r="(\d{%d})"' % d) for d in range(1, 8)}
_FAR_ROW = re.compile(rb'<c r="[A-Z]{1,3}\d{7}"')
_WIDE = re.compile(rb'<c r="([A-Z]{2,3})\d')


@dataclass
class PackageCheck:
    """What :func:`inspect_package` found: the workbook sheets (by name) to read cell by cell,
    and the size of each inspected sheet (rows x columns of its rectangle, cells present)."""

    sparse: set[str] = field(default_factory=set)
    extents: dict[str, tuple[int, int, int]] = field(default_factory=dict)


def _too_big(file: str, part: str, why: str) -> InputError:
    return InputError(
        f"{file} cannot be read safely: its part {part} {why} (limits: "
        f"{limits.MAX_PART_BYTES // 2**20:,} MB per part, {limits.MAX_RATIO}:1 compression, "
        f"{limits.MAX_PACKAGE_BYTES // 2**20:,} MB in all). A workbook saved by Excel is never "
        "like this; if you trust the file, open it in Excel and save it again")


def check_sizes(zf: zipfile.ZipFile, file: str) -> None:
    """Refuse a package whose declared sizes pass the limits, before inflating anything."""
    total = 0
    for info in zf.infolist():
        size = info.file_size
        total += size
        if size > limits.MAX_PART_BYTES:
            raise _too_big(file, info.filename, f"inflates to {size / 2**20:,.0f} MB")
        ratio = size / max(info.compress_size, 1)
        if size > limits.RATIO_FLOOR_BYTES and ratio > limits.MAX_RATIO:
            raise _too_big(file, info.filename, f"is compressed {ratio:,.0f}:1 (a zip bomb?)")
    if total > limits.MAX_PACKAGE_BYTES:
        raise _too_big(file, "set", f"inflates to {total / 2**20:,.0f} MB in all")


def _parse(zf: zipfile.ZipFile, part: str):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    return etree.fromstring(zf.read(part), parser)


def _sheet_parts(zf: zipfile.ZipFile, names: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The parts calamine reads besides the sheets, and sheet name -> part of each sheet the
    contract would read; best effort (a package this cannot follow is left to calamine's own
    diagnosis)."""
    main = None
    if "_rels/.rels" in names:
        for el in _parse(zf, names["_rels/.rels"]).iter(f"{{{_PKG_REL}}}Relationship"):
            if el.get("Type", "").endswith("/officeDocument"):
                main = el.get("Target", "").lstrip("/")
    if not main or main.lower() not in names:
        return [], {}
    main = names[main.lower()]
    rels_part = posixpath.join(posixpath.dirname(main), "_rels", posixpath.basename(main) + ".rels")
    targets: dict[str, str] = {}
    others = [main]
    if rels_part.lower() in names:
        others.append(names[rels_part.lower()])
        for el in _parse(zf, names[rels_part.lower()]).iter(f"{{{_PKG_REL}}}Relationship"):
            target = el.get("Target", "")
            part = (target.lstrip("/") if target.startswith("/")
                    else posixpath.normpath(posixpath.join(posixpath.dirname(main), target)))
            if part.lower() in names:
                targets[el.get("Id", "")] = names[part.lower()]
                if el.get("Type", "").endswith(("/sharedStrings", "/styles")):
                    others.append(names[part.lower()])
    sheets = {}
    if main.endswith(".xml"):
        for el in _parse(zf, main).iter(f"{{{_MAIN}}}sheet"):
            name, rid = el.get("name", ""), el.get(f"{{{_REL}}}id", "")
            if canonical_sheet(name) is not None and rid in targets:
                sheets[name] = targets[rid]
    return others, sheets


def _stream(zf: zipfile.ZipFile, part: str, file: str) -> Iterable[bytes]:
    """The part's bytes in chunks (each beginning with the last bytes of the one before, so a
    pattern across a boundary is seen); stops at the declared size and checks the CRC."""
    tail = b""
    try:
        with zf.open(part) as fh:
            while chunk := fh.read(_CHUNK):
                yield tail + chunk
                tail = chunk[-_OVERLAP:]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise InputError(f"{file} is damaged: its part {part} cannot be inflated ({exc}); copy "
                         "or export the workbook again") from exc


def _extent(zf: zipfile.ZipFile, part: str, file: str) -> tuple[int, int, int, int]:
    """(last row, last column, rows present, cells present) of a sheet, in one streaming pass
    that matches only what is cheap to match: the row numbers of the most digits, the columns
    of two or three letters, and the row and cell tags (counted, not parsed). A cell reference
    with a row of seven digits counts as row 1,048,576, so a cell placed beyond its row
    element is not missed. One-letter columns count as 26 (a sheet that narrow is sparse
    only if its rows are)."""
    from openpyxl.utils import column_index_from_string

    top = b""  # the largest row number seen, as digits
    cells = present = 0
    longest = b"A"
    for chunk in _stream(zf, part, file):
        cells += chunk.count(b"<c ")  # a cell without attributes holds nothing far away
        present += chunk.count(b"<row ")
        for digits in range(7, max(len(top), 1) - 1, -1):  # 7 digits down to 1
            if _ROW_OF[digits].search(chunk):
                found = max(_ROW_OF[digits].findall(chunk))  # same length: bytes order
                if (len(found), found) > (len(top), top):
                    top = found
                break
        if len(top) < 7 and _FAR_ROW.search(chunk):
            top = b"1048576"
        for letters in set(_WIDE.findall(chunk)):
            if (len(letters), letters) > (len(longest), longest):
                longest = letters
    width = 26 if len(longest) == 1 else column_index_from_string(longest.decode())
    return int(top or 0), width, present, cells


def inspect_package(path: Path) -> PackageCheck:
    """Check a zip workbook (see the module docstring); an InputError when it is a bomb or
    lies about its sizes. Packages that are not OOXML workbooks get only the size checks."""
    check = PackageCheck()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return check  # the reader's own diagnosis says what is wrong with it
    with zf:
        check_sizes(zf, path.name)
        names = {i.filename.lower(): i.filename for i in zf.infolist() if not i.is_dir()}
        try:
            others, sheets = _sheet_parts(zf, names)
        except Exception:  # noqa: BLE001  damaged XML: calamine's diagnosis names it
            return check
        for part in others:
            for _ in _stream(zf, part, path.name):
                pass
        for name, part in sheets.items():
            rows, cols, present, cells = _extent(zf, part, path.name)
            check.extents[name] = (rows, cols, cells)
            area = rows * cols
            if cols <= 26:  # narrow: sparse when most rows are missing
                sparse = rows > limits.SPARSE_FACTOR * max(present, 1)
            else:
                sparse = area > limits.SPARSE_FACTOR * max(cells, 1)
            if area > limits.DENSE_CELLS and sparse:
                check.sparse.add(name)
    return check


def read_sparse_rows(path: Path, sheet: str) -> tuple[list[object], dict[int, dict[int, object]]]:
    """A sheet read cell by cell (openpyxl's streaming parser, values as Excel last computed
    them): the header row as a list and ``{excel row: {0-based column: value}}`` of the cells
    below it that hold a value. Memory follows the cells present, not the used range."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.utils.datetime import from_excel
    from openpyxl.worksheet._reader import WorkSheetParser

    # openpyxl's own load_workbook(read_only=True) would parse every sheet to size it
    reader = ExcelReader(str(path), read_only=True, data_only=True)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        target = next(rel.target for ws, rel in reader.parser.find_sheets() if ws.name == sheet)
        wb = reader.wb
        header: dict[int, object] = {}
        body: dict[int, dict[int, object]] = {}
        dates, times = wb._date_formats, wb._timedelta_formats

        def value(cell: dict) -> object:
            v = cell["value"]
            if cell["style_id"] in dates and isinstance(v, (int, float)):
                try:  # a serial out of range stays a number, which validation names
                    return from_excel(v, wb.epoch, timedelta=cell["style_id"] in times)
                except (OverflowError, ValueError):
                    return v
            return v

        with reader.archive.open(target) as src:
            parser = WorkSheetParser(src, reader.shared_strings, data_only=True, epoch=wb.epoch)
            for row, cells in parser.parse():
                values = {c["column"] - 1: value(c) for c in cells
                          if c["value"] is not None and c["value"] != ""}
                if row == 1:
                    header = values
                elif values:
                    body[row] = values
    finally:
        reader.archive.close()
    width = max(header, default=-1) + 1
    return [header.get(c, "") for c in range(width)], body
