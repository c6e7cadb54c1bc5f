"""Read CRM workbooks into validated, typed DataFrames.

``read_sheet(path, sheet)`` reads one sheet of the contract (see :mod:`addin.workbook.schema`);
``load_crm_workbook(path)`` reads every contract sheet the workbook has. Both check every cell
and raise one :class:`~addin.errors.InputError` listing every problem at once.

Reading uses calamine (a Rust reader, about 10x faster than openpyxl, see
``bench/bench_read.py``), which also reads ``.xls``, ``.xlsb`` and ``.ods``; a ``.csv`` or
``.parquet`` file stands in for one sheet (the Transactions log beyond Excel's row limit).
Reading opens the file for reading only and never writes to it.

The returned DataFrame has one column per recognised header, renamed to the contract's name
(``客户编号`` -> ``customer_id``), plus the extra columns of the sheet under snake_case names;
its index is the Excel row number of each record (``row``; row 2 is the first data row), so any
later check can name the row. Blank rows are skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from addin.errors import InputError, Problem, column_letter
from addin.workbook import coerce
from addin.workbook.schema import (
    EXCEL_MAX_ROWS,
    SHEETS,
    SURVEY_PREFIXES,
    Column,
    SheetSpec,
    canonical_column,
    canonical_sheet,
    choice_index,
    header_key,
    snake_name,
)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".xltx", ".xltm", ".xlam")
TABLE_SUFFIXES = (".csv", ".txt", ".parquet", ".pq")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_PERIOD = re.compile(r"^(?:actual\s*[_\-]?\s*)?(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$", re.I)

_COERCE: dict[str, Callable[..., tuple[pd.Series, pd.Series]]] = {
    "id": coerce.to_text,
    "text": coerce.to_text,
    "email": coerce.to_email,
    "date": coerce.to_date,
    "number": coerce.to_number,
    "answer": coerce.to_answer,
    "extra": coerce.to_extra,
}
_EXPECT = {
    "id": "an id",
    "text": "text",
    "email": "an e-mail address like name@example.com",
    "date": "a date (an Excel date, or text such as 2026-03-31)",
    "number": "a number",
    "answer": "an answer",
    "extra": "a value",
}


@dataclass
class CRMWorkbook:
    """The contract sheets of one workbook, each a validated DataFrame.

    ``sheets`` maps the contract's sheet name (``"Customers"``) to its DataFrame; ``names``
    maps it to the sheet's name in the workbook (``"客户"``); ``warnings`` holds what is worth
    knowing but does not stop the work (hidden sheets, a sheet at Excel's row limit, ...).
    """

    path: Path
    sheets: dict[str, pd.DataFrame]
    names: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def __getitem__(self, sheet: str) -> pd.DataFrame:
        return self.sheets[sheet]

    def __contains__(self, sheet: object) -> bool:
        return sheet in self.sheets

    def get(self, sheet: str, default: pd.DataFrame | None = None) -> pd.DataFrame | None:
        return self.sheets.get(sheet, default)

    @property
    def settings(self) -> dict[str, str]:
        frame = self.sheets.get("Settings")
        return settings_dict(frame) if frame is not None else {}


def settings_dict(settings: pd.DataFrame) -> dict[str, str]:
    """The Settings sheet as ``{key: value}`` (keys as written, stripped; values as text)."""
    return {
        str(k): ("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        for k, v in zip(settings["key"], settings["value"])
    }


# --------------------------------------------------------------------------- opening files


def _sniff(path: Path) -> str:
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


def _open_calamine(path: Path):
    import python_calamine as pc

    import zipfile

    kind = _sniff(path)
    suffix = path.suffix.lower()
    if kind == "table":
        raise InputError(f"{path.name} is a {suffix[1:].upper()} file, not a workbook; give it "
                         "as the Transactions log next to a workbook (--transactions)")
    password = (f"{path.name} is password-protected (encrypted); remove the password in Excel "
                "(File > Info > Protect Workbook > Encrypt with Password, clear it), save, "
                "and read that copy")
    try:
        return pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError as exc:
        raise InputError(password) from exc
    except Exception as exc:  # calamine raises several types for damaged packages
        failure = exc
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


def _resolve_sheets(names: Iterable[str], file: str) -> dict[str, str]:
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


# --------------------------------------------------------------------------- one sheet


@dataclass
class _RawSheet:
    name: str  # as in the workbook
    header: list[object]
    columns: list[pd.Series]  # raw values, index = Excel row numbers
    total_rows: int  # rows the sheet spans, header included
    hidden: bool = False
    merged_header: list[str] = field(default_factory=list)


def _raw_from_calamine(book, name: str, hidden: bool) -> _RawSheet:
    file = Path(str(book.path or "the workbook"))
    try:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        ranges = sheet.merged_cell_ranges
        if ranges is None and file.suffix.lower() == ".ods":
            ranges = _ods_header_merges(file, name)
    except Exception as exc:  # calamine parses a sheet only when asked: damage shows up here
        raise InputError(f"{file.name} is damaged: this sheet cannot be read; open the file in "
                         "Excel, let Excel repair it, and save it again", sheet=name) from exc
    merged = []
    for (r0, c0), (r1, c1) in (ranges or []):
        if r0 == 0 and (c1 > c0 or r1 > r0):
            merged.append(f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}")
    if not rows:
        return _RawSheet(name, [], [], 0, hidden, merged)
    width = max(len(r) for r in rows)
    header = list(rows[0]) + [""] * (width - len(rows[0]))
    body = rows[1:]
    index = pd.RangeIndex(2, 2 + len(body), name="row")
    columns = []
    if body:
        transposed = list(zip(*body))
        for c in range(width):
            columns.append(pd.Series(np.array(transposed[c], dtype=object), index=index))
    else:
        columns = [pd.Series([], dtype=object, index=index) for _ in range(width)]
    return _RawSheet(name, header, columns, len(rows), hidden, merged)


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


def _raw_from_transactions_file(path: Path) -> _RawSheet:
    if _sniff(path) != "table":
        raise InputError(f"{path.name}: a transaction log must be a .csv or .parquet file")
    return _raw_from_table(path)


def _raw_from_table(path: Path) -> _RawSheet:
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
    return _RawSheet(path.name, list(frame.columns), [frame[c] for c in frame.columns],
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


def _period_name(header: object) -> str | None:
    """Scorecard period column: a date header or text like 2026-03 / 2026年3月 -> '2026-03'."""
    if isinstance(header, (dt.date, pd.Timestamp)):
        return f"{header.year:04d}-{header.month:02d}"
    m = _PERIOD.match(str(header).strip())
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    return None


def _plan_columns(raw: _RawSheet, spec: SheetSpec) -> tuple[list[tuple[int, str, Column]],
                                                            list[Problem], list[Problem]]:
    """Map header cells to (position, output name, column spec)."""
    sheet = raw.name
    errors: list[Problem] = []
    warnings: list[Problem] = []
    plan: list[tuple[int, str, Column]] = []
    seen: dict[str, int] = {}
    for pos, header in enumerate(raw.header):
        text = "" if header is None else str(header).strip()
        letter = column_letter(pos)
        if not text:
            if pos < len(raw.columns) and not coerce.missing_mask(raw.columns[pos]).all():
                warnings.append(Problem("this column has data but no header in row 1; "
                                        "it is not read", sheet=sheet, row=1, letter=letter,
                                        severity="warning"))
            continue
        canon = canonical_column(spec.name, text)
        column: Column
        if canon is not None:
            column = spec.column(canon)  # type: ignore[assignment]
            name = canon
        elif spec.item_prefixes and snake_name(text).startswith(SURVEY_PREFIXES):
            name = snake_name(text)
            column = Column(name, "answer")
        elif spec.period_columns and (period := _period_name(header)) is not None:
            name = period
            column = Column(name, "number")
        else:
            name = snake_name(text)
            column = Column(name, "extra")
        if name in seen:
            errors.append(Problem(
                f"columns {column_letter(seen[name])} and {letter} both mean {name!r}; "
                "keep one", sheet=sheet, row=1, column=text, letter=letter))
            continue
        seen[name] = pos
        plan.append((pos, name, column))
    missing = [c.name for c in spec.columns if c.required and c.name not in seen]
    if missing:
        errors.append(Problem(
            f"missing required column{'s' * (len(missing) > 1)} {', '.join(missing)} "
            f"(row 1 must hold the headers; found: "
            f"{', '.join(str(h) for h in raw.header if str(h).strip()) or 'nothing'})",
            sheet=sheet, row=1))
    return plan, errors, warnings


def _coerce_column(raw: pd.Series, column: Column, sheet: str, header: str, letter: str,
                   errors: list[Problem], warnings: list[Problem],
                   pre: coerce.Census) -> pd.Series:
    if column.kind == "category":
        values, bad = coerce.to_text(raw, pre)
        index = choice_index(column.choices or {})
        mapped = values.map(lambda v: None if v is None else index.get(header_key(v), "\0"))
        bad = mapped == "\0"
        values = mapped.where(~bad, None)
        expected = "one of " + ", ".join(column.choices or {})
    else:
        values, bad = _COERCE[column.kind](raw, pre)
        expected = _EXPECT[column.kind]
    if column.strict:
        for row in bad[bad].index:
            errors.append(Problem(f"expected {expected}", sheet=sheet, row=int(row),
                                  column=header, letter=letter, value=raw.at[row],
                                  has_value=True))
    else:
        for row in bad[bad].index:
            warnings.append(Problem(f"expected {expected}; read as blank", sheet=sheet,
                                    row=int(row), column=header, letter=letter,
                                    value=raw.at[row], has_value=True, severity="warning"))
        values = values.where(~bad, None)
        bad = bad & False
    if column.minimum is not None and pd.api.types.is_numeric_dtype(values.dtype):
        low = values < column.minimum
        for row in low[low].index:
            errors.append(Problem(f"expected a number >= {column.minimum:g}", sheet=sheet,
                                  row=int(row), column=header, letter=letter,
                                  value=raw.at[row], has_value=True))
    if not column.nullable:
        empty = values.isna() & ~bad
        for row in empty[empty].index:
            errors.append(Problem(
                f"a value is required here ({_EXPECT.get(column.kind, 'a value')}); "
                "the cell is blank or holds an Excel error such as #N/A",
                sheet=sheet, row=int(row), column=header, letter=letter))
    return values


def _validate(raw: _RawSheet, spec: SheetSpec) -> tuple[pd.DataFrame, list[Problem],
                                                        list[Problem]]:
    sheet = raw.name
    warnings: list[Problem] = []
    if raw.hidden:
        warnings.append(Problem("the sheet is hidden in the workbook; it was read like a "
                                "visible one (unhide it to see what was read)",
                                sheet=sheet, severity="warning"))
    if raw.merged_header:
        return pd.DataFrame(), [Problem(
            f"header cells {', '.join(raw.merged_header)} are merged; unmerge them and give "
            "each column its own header in row 1", sheet=sheet, row=1)], warnings
    if not any(h is not None and str(h).strip() for h in raw.header):
        filled = [int(c.index[~coerce.missing_mask(c).to_numpy()][0]) for c in raw.columns
                  if not coerce.missing_mask(c).all()]
        wanted = ", ".join(spec.required)
        if not filled:
            expected = (f"the sheet is empty; put the headers ({wanted}) in row 1 and the "
                        "data below them, or delete the sheet")
        else:
            first = min(filled)
            blank = "row 1" if first == 2 else f"rows 1 to {first - 1}"
            expected = (f"row 1 is blank, but the sheet has data from row {first}; the headers "
                        f"({wanted}) must be in row 1: delete {blank}")
        return pd.DataFrame(), [Problem(expected, sheet=sheet, row=1)], warnings
    # Excel stops at its last row (a CSV of exactly that many lines was likely saved from such
    # a sheet); a longer CSV or Parquet log is what we ask for, so it gets no warning.
    if raw.total_rows == EXCEL_MAX_ROWS:
        advice = ("give the full log as a .csv or .parquet file (--transactions)"
                  if spec.name == "Transactions" else "check that no rows are missing")
        warnings.append(Problem(
            f"the sheet reaches Excel's row limit ({EXCEL_MAX_ROWS:,} rows), so the data was "
            f"probably cut off there; {advice}", sheet=sheet, severity="warning"))

    plan, errors, plan_warnings = _plan_columns(raw, spec)
    warnings.extend(plan_warnings)
    if errors:
        return pd.DataFrame(), errors, warnings

    # Rows that are blank in every read column are skipped (Excel rows keep their numbers).
    keep = np.zeros(len(raw.columns[0]) if raw.columns else 0, dtype=bool)
    censuses = {}
    for pos, _, _ in plan:
        censuses[pos] = coerce.census(raw.columns[pos])
        keep |= censuses[pos][1] != coerce.MISSING
    data: dict[str, pd.Series] = {}
    for pos, name, column in plan:
        series = raw.columns[pos][keep]
        values, codes = censuses[pos]
        data[name] = _coerce_column(series, column, sheet, str(raw.header[pos]).strip(),
                                    column_letter(pos), errors, warnings,
                                    (values[keep], codes[keep]))
    errors.sort(key=lambda p: (p.row or 0, len(p.letter or ""), p.letter or ""))
    index = raw.columns[0].index[keep] if raw.columns else pd.RangeIndex(2, 2, name="row")
    frame = pd.DataFrame(data, index=index)
    frame.index.name = "row"
    for name in spec.unique:
        if name in frame:
            dup = frame[name].notna() & frame[name].duplicated(keep=False)
            for value, rows in frame.index[dup].groupby(frame.loc[dup, name]).items():
                warnings.append(Problem(
                    f"{name} {value!r} appears on rows {', '.join(map(str, rows))}; "
                    "it should be unique", sheet=sheet, column=name, severity="warning"))
    return frame, errors, warnings


# --------------------------------------------------------------------------- public API


def _spec(sheet: str) -> SheetSpec:
    canon = canonical_sheet(sheet)
    if canon is None:
        raise InputError(f"{sheet!r} is not a sheet of the CRM workbook contract; expected one "
                         f"of {', '.join(SHEETS)}")
    return SHEETS[canon]


def read_sheet_checked(path: str | Path, sheet: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Like :func:`read_sheet`, also returning the warnings (hidden sheet, row limit, ...)."""
    path = Path(path)
    spec = _spec(sheet)
    if _sniff(path) == "table":
        raw = _raw_from_table(path)
    else:
        book = _open_calamine(path)
        try:
            visible = {m.name: str(m.visible).endswith("Visible") for m in book.sheets_metadata}
            found = _resolve_sheets(book.sheet_names, path.name)
            if spec.name not in found:
                raise InputError(
                    f"{path.name} has no {spec.name} sheet (sheets found: "
                    f"{', '.join(book.sheet_names) or 'none'})", sheet=spec.name)
            name = found[spec.name]
            raw = _raw_from_calamine(book, name, hidden=not visible.get(name, True))
        finally:
            book.close()
    frame, errors, warnings = _validate(raw, spec)
    if errors:
        raise InputError.from_problems(errors)
    return frame, warnings


def read_sheet(path: str | Path, sheet: str) -> pd.DataFrame:
    """One contract sheet of a workbook (or a .csv/.parquet file) as a validated DataFrame.

    ``sheet`` is the contract's name or any alias (``"Customers"``, ``"客户"``). Raises
    :class:`~addin.errors.InputError` listing every bad cell. Warnings (hidden sheet, a sheet
    at Excel's row limit, a column without a header) are in ``frame.attrs["warnings"]``.
    """
    frame, warnings = read_sheet_checked(path, sheet)
    frame.attrs["warnings"] = [str(w) for w in warnings]
    return frame


def load_crm_workbook(
    path: str | Path,
    *,
    transactions: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> CRMWorkbook:
    """Every contract sheet present in the workbook, validated, in one :class:`CRMWorkbook`.

    ``transactions`` names a .csv or .parquet log that replaces the Transactions sheet (for logs
    beyond Excel's row limit). Problems of all sheets are collected and raised together as one
    :class:`~addin.errors.InputError`. ``progress`` is called with each sheet's name as it is
    read (for a progress bar).
    """
    path = Path(path)
    book = _open_calamine(path)
    sheets: dict[str, pd.DataFrame] = {}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    try:
        visible = {m.name: str(m.visible).endswith("Visible") for m in book.sheets_metadata}
        found = _resolve_sheets(book.sheet_names, path.name)
        if not found:
            raise InputError(
                f"{path.name} has none of the CRM sheets ({', '.join(SHEETS)}); sheets found: "
                f"{', '.join(book.sheet_names) or 'none'}")
        for canon in SHEETS:
            if progress:
                progress(canon)
            if canon == "Transactions" and transactions is not None:
                raw = _raw_from_transactions_file(Path(transactions))
            elif canon in found:
                name = found[canon]
                raw = _raw_from_calamine(book, name, hidden=not visible.get(name, True))
            else:
                continue
            frame, sheet_errors, sheet_warnings = _validate(raw, SHEETS[canon])
            errors.extend(sheet_errors)
            warnings.extend(sheet_warnings)
            sheets[canon] = frame
    finally:
        book.close()
    if errors:
        raise InputError.from_problems(errors)
    names = {canon: found.get(canon, canon) for canon in sheets}
    if transactions is not None:
        names["Transactions"] = Path(transactions).name
    return CRMWorkbook(path=path, sheets=sheets, names=names, warnings=warnings)
