"""Open workbook files and get their sheets' raw cells, or say clearly why not.

What a file really is (zip package, OLE container, CSV/Parquet) is told from its first bytes,
not only its name; encrypted, damaged, mis-named and non-workbook files each get a message that
says what to do. A sheet comes out as a :class:`RawSheet`: its header cells and one column of
raw values per header, indexed by Excel row number, for :mod:`addin.workbook.reader` to
validate. Files are opened for reading only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from addin.contract.schema import SHEETS, canonical_column, canonical_sheet
from addin.errors import InputError, Problem, column_letter

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".xltx", ".xltm", ".xlam")
TABLE_SUFFIXES = (".csv", ".txt", ".parquet", ".pq")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


def sniff(path: Path) -> str:
    """'zip', 'ole', 'table' or raise InputError for a file we cannot read.

    Looks at the first bytes, not only the name: exports named ``.xls`` are often a web page or
    plain text, and a message that says so tells the user what to do."""
    import codecs

    if not path.exists():
        raise InputError(f"file not found: {path}; check the file name and folder")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a file; give the workbook file inside it")
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        raise InputError(f"{path.name} cannot be opened ({exc.strerror or exc}); "
                         "check that you may read it") from exc
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
            raise InputError(f"{path.name} is an Excel workbook, not a {suffix[1:].upper()} file; "
                             "give it its own extension (.xlsx, .xls or .ods)")
        return "table"
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    if not head:
        raise InputError(f"{path.name} is an empty file (0 bytes), not a workbook; "
                         "save or export it again")
    if head[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04") and head[2:4] in (
            b"\x04\x00", b"\x06\x00", b"\x08\x00"):  # the BOF record of BIFF2, 3 or 4
        raise InputError(f"{path.name} is an Excel version before 97 (an Excel 2.x-4.0 file), "
                         "which cannot be read; open it in Excel or LibreOffice and save it "
                         "as .xlsx")
    text = None
    if b"\x00" not in head:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
                break
            except UnicodeDecodeError:
                continue
    # control characters other than line ends and tabs mean binary data, not text
    if text is not None and not any(ord(ch) < 32 and ch not in "\r\n\t\f" for ch in text):
        low = text.lstrip().lower()
        if low.startswith(("<!doctype html", "<html")) or "<table" in low:
            kind, extra = "a web page (HTML)", ""
        elif low.startswith("<?xml"):
            kind, extra = "an XML file (perhaps an Excel 2003 XML spreadsheet)", ""
        else:
            kind, extra = "a text file", " (or, if it holds comma-separated values, name it .csv)"
        raise InputError(f"{path.name} is not an Excel workbook but {kind}; open it in Excel "
                         f"and save it as .xlsx{extra}")
    raise InputError(
        f"{path.name} is not an Excel workbook (expected .xlsx, .xlsm, .xlsb, .xls or .ods; "
        "or .csv/.parquet for a transaction log)"
    )


def _is_encrypted_ole(path: Path) -> bool:
    """An OLE container holding ``EncryptionInfo`` is a password-protected OOXML workbook."""
    marker = "EncryptionInfo".encode("utf-16-le")
    with path.open("rb") as fh:
        tail = b""
        while chunk := fh.read(1 << 20):
            if marker in tail + chunk:
                return True
            tail = chunk[-len(marker):]
    return False


class CheckedBook:
    """A calamine workbook with what :func:`addin.workbook.guard.inspect_package` found
    (``sparse``: the sheets to read cell by cell); everything else is the workbook's."""

    def __init__(self, book, sparse: set[str], path: Path | None = None,
                 warnings: list[Problem] | None = None) -> None:
        self._book, self.sparse = book, sparse
        self.warnings = warnings or []
        if path is not None:
            self.path = str(path)

    def __getattr__(self, name: str):
        return getattr(self._book, name)


def open_workbook(path: Path):
    import zipfile

    import python_calamine as pc

    from addin.workbook.guard import inspect_package

    kind = sniff(path)
    suffix = path.suffix.lower()
    if kind == "table":
        raise InputError(f"{path.name} is a {suffix[1:].upper()} file, not a workbook; give it "
                         "as the Transactions log next to a workbook (--transactions)")
    password = (f"{path.name} is password-protected (encrypted); remove the password in Excel "
                "(File > Info > Protect Workbook > Encrypt with Password, clear it), save, "
                "and read that copy")
    sparse = inspect_package(path).sparse if kind == "zip" else set()
    if kind == "ole" and _has_filepass(path):  # calamine reads XOR-obfuscated bytes as data
        raise InputError(password)
    try:
        return CheckedBook(pc.CalamineWorkbook.from_path(str(path)), sparse)
    except pc.PasswordError as exc:
        raise InputError(password) from exc
    except Exception as exc:  # calamine raises several types for damaged packages
        failure = exc
    if kind == "zip":
        for rewrite in (_without_macro_sheets, _main_part_renamed):
            try:
                rewritten = rewrite(path)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError):
                continue  # not a readable zip at all (truncated?): diagnosed below
            if rewritten is None:
                continue
            data, warnings = rewritten
            try:
                book = pc.CalamineWorkbook.from_filelike(data)
            except Exception:  # noqa: BLE001  damaged besides: diagnosed below
                continue
            return CheckedBook(book, sparse, path, warnings)
    # Only now look closer, so a readable file never pays for these checks. The messages name
    # the file and what to do; calamine's own text is kept as the exception's cause.
    if kind == "ole":
        if _is_encrypted_ole(path):  # an encrypted .xlsx is an OLE file holding EncryptionInfo
            raise InputError(password) from failure
        if suffix != ".xls":
            raise InputError(f"{path.name} is an old-format .xls workbook (or another Office "
                             f"file) named {suffix or 'without an extension'}; rename it to "
                             f"{path.stem}.xls") from failure
        raise InputError(f"{path.name} is damaged or not an Excel workbook; open it in Excel "
                         "and save it as .xlsx") from failure
    try:
        with zipfile.ZipFile(path) as zf:
            parts = set(zf.namelist())
            mimetype = zf.read("mimetype")[:200] if "mimetype" in parts else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError(f"{path.name} is damaged: the file is incomplete or corrupt (an "
                         "interrupted download or copy?); copy or export it again") from exc
    if "xl/workbook.xml" in parts:
        actual = ".xlsx"
    elif "xl/workbook.bin" in parts:
        actual = ".xlsb"
    elif b"opendocument.spreadsheet" in mimetype:
        actual = ".ods"
    else:
        raise InputError(f"{path.name} is damaged or not a workbook: the zip archive holds no "
                         "workbook parts; save or export the workbook again") from failure
    xlsx_family = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xlam")
    if actual != suffix and not (actual == ".xlsx" and suffix in xlsx_family):
        raise InputError(f"{path.name} is really an {actual} workbook named "
                         f"{suffix or 'without an extension'}; rename it to "
                         f"{path.stem}{actual}") from failure
    raise InputError(f"{path.name} is damaged: its workbook parts cannot be read; open it in "
                     "Excel, let Excel repair it, and save it again") from failure


_MACRO_KINDS = {"xlMacrosheet": "an Excel 4.0 macro sheet",
                "xlIntlMacrosheet": "an Excel 4.0 macro sheet",
                "dialogsheet": "an Excel 5.0 dialog sheet"}


def _without_macro_sheets(path: Path):
    """The package without its Excel 4.0 macro and dialog sheets (which calamine does not
    read, and the contract has no use for), in memory, with a warning for each; None when it
    has none."""
    import html
    import io
    import zipfile

    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        rels_name = "xl/_rels/workbook.xml.rels"
        if "xl/workbook.xml" not in names or rels_name not in names:
            return None
        rels = zf.read(rels_name).decode("utf-8", "replace")
        odd = {}
        for tag in re.findall(r"<Relationship\b[^>]*>", rels):
            kind = re.search(r'Type="[^"]*/(\w+)"', tag)
            rid = re.search(r'\bId="([^"]+)"', tag)
            if kind and rid and kind.group(1) in _MACRO_KINDS:
                odd[rid.group(1)] = _MACRO_KINDS[kind.group(1)]
        if not odd:
            return None
        workbook = zf.read("xl/workbook.xml").decode("utf-8")
        warnings = []

        def drop(m: re.Match) -> str:
            rid = re.search(r'\bid="([^"]+)"', m.group(0))
            if rid is None or rid.group(1) not in odd:
                return m.group(0)
            name = re.search(r'\bname="([^"]*)"', m.group(0))
            sheet = html.unescape(name.group(1)) if name else "?"
            warnings.append(Problem(f"the sheet is {odd[rid.group(1)]}; it was skipped",
                                    sheet=sheet, severity="warning"))
            return ""

        workbook = re.sub(r"<(?:\w+:)?sheet\b[^>]*/>", drop, workbook)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zf.infolist():
                if info.filename.startswith(("xl/macrosheets/", "xl/dialogsheets/")):
                    continue
                data = workbook.encode() if info.filename == "xl/workbook.xml" \
                    else zf.read(info)
                zout.writestr(info.filename, data, compresslevel=1)
    out.seek(0)
    return out, warnings


def _main_part_renamed(path: Path):
    """The package with its workbook part moved to where calamine looks for it
    (``xl/workbook.bin`` or ``.xml``), in memory; None unless the package names another part
    of the ``xl/`` folder as its workbook (Excel follows the relationship, calamine does not).
    """
    import io
    import posixpath
    import zipfile

    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        if "_rels/.rels" not in names:
            return None
        rels = zf.read("_rels/.rels").decode("utf-8", "replace")
        tags = [t for t in re.findall(r"<Relationship\b[^>]*>", rels)
                if re.search(r'Type="[^"]*/officeDocument"', t)]
        target = re.search(r'Target="/?([^"]+)"', tags[0]) if tags else None
        if target is None:
            return None
        main = target.group(1)
        folder, ext = posixpath.dirname(main), posixpath.splitext(main)[1]
        usual = f"xl/workbook{ext}"
        if folder != "xl" or ext not in (".bin", ".xml") or main == usual or \
                main not in names or usual in names:
            return None
        moves = {main: usual, f"xl/_rels/{posixpath.basename(main)}.rels":
                 f"xl/_rels/workbook{ext}.rels"}
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zf.infolist():
                data = zf.read(info)
                if info.filename in ("_rels/.rels", "[Content_Types].xml"):
                    data = data.replace(main.encode(), usual.encode())
                zout.writestr(moves.get(info.filename, info.filename), data, compresslevel=1)
    out.seek(0)
    return out, []


def _has_filepass(path: Path) -> bool:
    """A BIFF5/BIFF8 workbook stream whose BOF record is followed by FILEPASS (0x002F): the
    file is encrypted or XOR-obfuscated ([MS-XLS] 2.4.117). Streams start on a sector
    boundary (512 bytes at least), so only those offsets are looked at."""
    with path.open("rb") as fh:
        offset = 0
        while block := fh.read(1 << 20):
            for i in range(0, len(block) - 32, 512):
                if block[i:i + 2] == b"\x09\x08" and block[i + 2] in (8, 16) and \
                        block[i + 3] == 0:
                    after = i + 4 + block[i + 2]
                    if block[after:after + 2] == b"\x2f\x00":
                        return True
            offset += len(block)
    return False


def resolve_sheets(names: Iterable[str], file: str) -> dict[str, str]:
    """Contract sheet -> workbook sheet name; two workbook sheets for one contract sheet is an
    error (which one would we read?)."""
    found: dict[str, str] = {}
    problems = []
    for name in names:
        canon = canonical_sheet(name)
        if canon is None:
            continue
        if canon in found:
            problems.append(Problem(
                f"sheets {found[canon]!r} and {name!r} both look like the {canon} sheet; "
                "rename or remove one", sheet=name))
        else:
            found[canon] = name
    if problems:
        raise InputError.from_problems(problems)
    return found


@dataclass
class RawSheet:
    name: str  # as in the workbook
    header: list[object]
    columns: list[pd.Series]  # raw values, index = Excel row numbers
    total_rows: int  # rows the sheet spans, header included
    hidden: bool = False
    merged_header: list[str] = field(default_factory=list)
    # (Excel row, 0-based column) of the cells formatted as percentages, where the source
    # keeps number formats (.xlsx, .xlsm); calamine gives values only
    percent_cells: frozenset[tuple[int, int]] = frozenset()


_LITERAL = re.compile(r'"[^"]*"|\\.')  # quoted text and escaped characters show as typed


def percent_cells(path: Path, sheet: str) -> frozenset[tuple[int, int]]:
    """The cells of ``sheet`` whose number format is a percentage (``0%``, ``0.0%``), as
    (Excel row, 0-based column), for an .xlsx or .xlsm file; empty for any other source.
    Read with openpyxl in read-only mode: styles and this one sheet, not the whole book."""
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
        return frozenset()
    import openpyxl

    wb = None
    out = set()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for row in wb[sheet].iter_rows():
            for cell in row:
                fmt = getattr(cell, "number_format", None)
                if (isinstance(cell.value, (int, float)) and isinstance(fmt, str)
                        and "%" in _LITERAL.sub("", fmt)):
                    out.add((cell.row, cell.column - 1))
    except Exception:  # calamine reads the values and reports damage; formats are a hint
        return frozenset()
    finally:
        if wb is not None:
            wb.close()
    return frozenset(out)


def raw_from_calamine(book, name: str, hidden: bool) -> RawSheet:
    file = Path(str(book.path or "the workbook"))
    if name in getattr(book, "sparse", ()):
        return raw_from_sparse(file, name, hidden)
    try:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        ranges = sheet.merged_cell_ranges
        if ranges is None and file.suffix.lower() == ".ods":
            ranges = _ods_header_merges(file, name)
    except Exception as exc:  # calamine parses a sheet only when asked: damage shows up here
        raise InputError(f"{file.name} is damaged: this sheet cannot be read; open the file in "
                         "Excel, let Excel repair it, and save it again", sheet=name) from exc
    except BaseException as exc:  # a Rust panic (pyo3's PanicException is no Exception)
        if type(exc).__name__ != "PanicException":
            raise
        # calamine panics on a cell it cannot convert (1.7e308 formatted as a date): the
        # streaming reader turns that cell into an error value, which validation names
        if file.suffix.lower() in (".xlsx", ".xlsm", ".xltx", ".xltm", ".xlam") and \
                file.is_file():
            return raw_from_sparse(file, name, hidden)
        raise InputError(f"{file.name}: a cell of this sheet holds a value that cannot be read "
                         "(a date beyond the year 9999?); correct it in Excel and save again",
                         sheet=name) from None
    merged = []
    for (r0, c0), (r1, c1) in (ranges or []):
        if r0 == 0 and (c1 > c0 or r1 > r0):
            merged.append(f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}")
    return raw_from_rows(name, rows, hidden=hidden, merged_header=merged)


def raw_from_sparse(path: Path, name: str, hidden: bool) -> RawSheet:
    """A sheet whose used range is far larger than its data, read cell by cell
    (:func:`addin.workbook.guard.read_sparse_rows`): one column per position up to the last
    column holding a value, indexed by the Excel rows that hold one."""
    from addin.workbook.guard import read_sparse_rows

    try:
        header, body = read_sparse_rows(path, name)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path.name} is damaged: this sheet cannot be read; open the file in "
                         "Excel, let Excel repair it, and save it again", sheet=name) from exc
    rows = sorted(body)
    width = max([len(header)] + [max(cells) + 1 for cells in body.values()])
    named = len(header)
    header = header + [""] * (width - named)
    index = pd.Index(rows, name="row", dtype="int64")
    filled: dict[int, np.ndarray] = {}
    for i, row in enumerate(rows):
        for col, value in body[row].items():
            if col not in filled:
                filled[col] = np.full(len(rows), None, dtype=object)
            filled[col][i] = value
    # blank positions share one column; past the header it is float NaN, whose blank test
    # is cheap, as there may be 16,000 of them before a stray cell in column XFD
    blank = pd.Series(np.full(len(rows), None, dtype=object), index=index)
    far = pd.Series(np.full(len(rows), np.nan), index=index)
    columns = [pd.Series(filled[c], index=index) if c in filled
               else blank if c < named else far for c in range(width)]
    return RawSheet(name, header, columns, max(rows, default=1), hidden)


def raw_from_rows(name: str, rows: Sequence[Sequence[object]], *, hidden: bool = False,
                  merged_header: Sequence[str] = ()) -> RawSheet:
    """A sheet given as its cell values, one list per row from row 1 (a header row, then the
    data), as calamine reads a file and xlwings reads a live sheet (``None`` or ``""`` for a
    blank cell); rows may be ragged."""
    merged = list(merged_header)
    if not rows:
        return RawSheet(name, [], [], 0, hidden, merged)
    width = max(len(r) for r in rows)
    header = list(rows[0]) + [""] * (width - len(rows[0]))
    body = rows[1:]
    index = pd.RangeIndex(2, 2 + len(body), name="row")
    columns = []
    if body:
        import itertools

        # calamine's rows are rectangular; pad anyway rather than lose columns to zip()
        transposed = list(itertools.zip_longest(*body, fillvalue=""))
        for c in range(width):
            columns.append(pd.Series(np.array(transposed[c], dtype=object), index=index))
    else:
        columns = [pd.Series([], dtype=object, index=index) for _ in range(width)]
    return RawSheet(name, header, columns, len(rows), hidden, merged)


def _ods_header_merges(path: Path, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Merged cells of row 1 of an .ods sheet, as calamine gives them for xlsx/xls (it reports
    none for .ods). Streams content.xml and stops at the sheet's first row."""
    import xml.etree.ElementTree as ET
    import zipfile

    table = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    cells = (f"{table}table-cell", f"{table}covered-table-cell")
    inside = False
    with zipfile.ZipFile(path) as zf, zf.open("content.xml") as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            if el.tag == f"{table}table":
                inside = event == "start" and el.get(f"{table}name") == sheet
                if event == "end":
                    el.clear()
            elif event == "end" and el.tag == f"{table}table-row":
                if not inside:
                    el.clear()
                    continue
                merged, col = [], 0
                for cell in el:
                    if cell.tag not in cells:
                        continue
                    across = int(cell.get(f"{table}number-columns-spanned", 1))
                    down = int(cell.get(f"{table}number-rows-spanned", 1))
                    if cell.tag == cells[0] and (across > 1 or down > 1):
                        merged.append(((0, col), (down - 1, col + across - 1)))
                    col += int(cell.get(f"{table}number-columns-repeated", 1))
                return merged
    return []


def raw_from_transactions_file(path: Path) -> RawSheet:
    if sniff(path) != "table":
        raise InputError(f"{path.name}: a transaction log must be a .csv or .parquet file")
    return raw_from_table(path)


def raw_from_table(path: Path) -> RawSheet:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = _read_csv(path)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path.name} is not a readable {suffix[1:].upper()} file "
                         f"({str(exc).strip()[:120]}); export it again") from exc
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    return RawSheet(path.name, list(frame.columns), [frame[c] for c in frame.columns],
                     len(frame) + 1)


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV file as raw columns; record ``i`` is on line ``i + 2`` (blank lines are kept as
    blank records, so row numbers stay line numbers). Id and text columns are read as text, so
    an id such as ``000123`` keeps its zeros and still matches the Customers sheet."""
    textual = {"id", "text", "email", "category"}

    def as_text(header: object) -> bool:
        for spec in SHEETS.values():
            canon = canonical_column(spec.name, header)
            if canon is not None and spec.column(canon).kind in textual:  # type: ignore[union-attr]
                return True
        return False

    last: Exception | None = None
    for encoding in ("utf-8-sig", "gb18030"):  # Excel's Chinese CSV exports are GB18030
        try:
            _check_csv_header(path, encoding)
            headers = pd.read_csv(path, encoding=encoding, nrows=0, engine="c").columns
            return pd.read_csv(path, encoding=encoding, keep_default_na=False, na_values=[""],
                               dtype={h: str for h in headers if as_text(h)},
                               skip_blank_lines=False, engine="c", low_memory=False)
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
        except pd.errors.ParserError as exc:
            m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            if not m:
                raise
            expected, line, saw = (int(g) for g in m.groups())
            raise InputError(f"this line has {saw} values but the header line has {expected}; "
                             "put values that hold a comma in double quotes",
                             sheet=path.name, row=line) from exc
    raise InputError(f"{path.name} is neither UTF-8 nor GB18030 text; save it again as "
                     "CSV UTF-8") from last


def _check_csv_header(path: Path, encoding: str) -> None:
    """Duplicated header names, each reported once, before pandas renames them one by one
    (``a.1``, ``a.2``, ...: quadratic in their number, 71 s for 64,000 copies)."""
    import csv
    from collections import Counter

    from addin.contract.limits import MAX_LISTED, ellipsis

    with path.open(encoding=encoding, newline="") as fh:
        try:
            header = next(csv.reader(fh), [])
        except csv.Error:  # a field over csv's limit: pandas reads it and says what is wrong
            return
    counts = Counter(h.strip() for h in header if h.strip())
    dups = [(name, n) for name, n in counts.items() if n > 1]
    if not dups:
        return
    shown = "; ".join(f"{ellipsis(name, 40)!r} {n:,} times" for name, n in dups[:MAX_LISTED])
    more = f"; and {len(dups) - MAX_LISTED:,} more names" if len(dups) > MAX_LISTED else ""
    raise InputError(f"the header line repeats column names ({shown}{more}); give each "
                     "column its own name", sheet=path.name, row=1)
