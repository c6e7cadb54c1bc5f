"""Read CRM workbooks into validated, typed DataFrames.

``read_sheet(path, sheet)`` reads one sheet of the contract (see :mod:`addin.contract.schema`);
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

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from addin.contract import coerce, limits
from addin.contract.schema import (
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
from addin.contract.settings import settings_warnings
from addin.contract.units import PERCENT_UNIT, is_percent_unit
from addin.errors import InputError, Problem, column_letter
from addin.workbook.sources import (
    RawSheet,
    open_workbook,
    percent_cells,
    raw_from_calamine,
    raw_from_rows,
    raw_from_table,
    raw_from_transactions_file,
    resolve_sheets,
    sniff,
)

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
        for k, v in zip(settings["key"], settings["value"], strict=True)
    }


def _period_name(header: object) -> str | None:
    """Scorecard period column: a date header or text like 2026-03 / 2026年3月 -> '2026-03'."""
    if isinstance(header, (dt.date, pd.Timestamp)):
        return f"{header.year:04d}-{header.month:02d}"
    m = _PERIOD.match(str(header).strip())
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    return None


_KPI_VALUES = ("target", "actual", "baseline", "red", "amber", "tolerance")
_PERIOD_COLUMN = re.compile(r"^\d{4}-\d{2}$")


def _percent_points(raw: RawSheet, plan: list[tuple[int, str, Column]],
                    data: dict[str, pd.Series], errors: list[Problem]) -> None:
    """The Scorecard's percentage rule (:mod:`addin.contract.units`), in place: a value typed
    as a percentage (a cell with a percent number format, or the text ``22%``) in a KPI
    column is read in percentage points (0.22 -> 22), and its row's unit, when blank, is
    ``%``; on a row whose unit is something else it is an error naming the cell."""
    units = data.get("unit")
    marked: set[int] = set()
    for pos, name, _ in plan:
        if name not in _KPI_VALUES and not _PERIOD_COLUMN.match(name):
            continue
        series = data[name]
        if not pd.api.types.is_numeric_dtype(series.dtype):
            continue
        cells = raw.columns[pos].reindex(series.index)
        typed = [(int(row), pos) in raw.percent_cells
                 or (isinstance(v, str) and v.strip().endswith(("%", "％")))
                 for row, v in cells.items()]
        pct = pd.Series(typed, index=series.index, dtype=bool) & series.notna()
        if not pct.any():
            continue
        for row in pct[pct].index:
            unit = None if units is None else units.get(row)
            if unit is not None and not pd.isna(unit) and not is_percent_unit(unit):
                errors.append(Problem(
                    f"a value in the KPI's unit ({unit}); this cell holds a percentage, which "
                    f"only a KPI whose unit is % can hold: type {series[row]:g} without the "
                    "percent format, or change the unit to %", sheet=raw.name, row=int(row),
                    column=str(raw.header[pos]).strip(), letter=column_letter(pos),
                    value=f"{series[row] * 100:g}%", has_value=True))
            else:
                marked.add(int(row))
        data[name] = series.where(~pct, (series * 100).round(10))
    if marked:
        rows = pd.Index(sorted(marked))
        index = next(iter(data.values())).index
        current = units if units is not None else pd.Series(None, index=index, dtype=object)
        blank = current.isna() & index.isin(rows)
        data["unit"] = current.astype(object).where(~blank, PERCENT_UNIT)


def _plan_columns(raw: RawSheet, spec: SheetSpec) -> tuple[list[tuple[int, str, Column]],
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
    if column.kind == "number" and pd.api.types.is_numeric_dtype(values.dtype):
        # inf and values whose sums could overflow (addin.contract.limits)
        huge = values.abs() > limits.MAX_MAGNITUDE
        for row in huge[huge].index:
            errors.append(Problem(f"expected a number {limits.magnitude_text()} (a larger or "
                                  "infinite value is not an amount: check the cell)",
                                  sheet=sheet, row=int(row), column=header, letter=letter,
                                  value=raw.at[row], has_value=True))
        values = values.where(~huge)
        bad = bad | huge
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


def _validate(raw: RawSheet, spec: SheetSpec) -> tuple[pd.DataFrame, list[Problem],
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
    if spec.name == "Scorecard":
        _percent_points(raw, plan, data, errors)
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


def validate_raw(raw: RawSheet, spec: SheetSpec) -> tuple[pd.DataFrame, list[Problem],
                                                         list[Problem]]:
    """A sheet's raw cells checked against ``spec``: the typed frame (indexed by row), the
    errors and the warnings. The one set of rules for every source, a batch of a Parquet
    dataset included (:mod:`addin.workbook.dataset`)."""
    return _validate(raw, spec)


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
    if sniff(path) == "table":
        raw = raw_from_table(path)
    else:
        book = open_workbook(path)
        try:
            visible = {m.name: str(m.visible).endswith("Visible") for m in book.sheets_metadata}
            found = resolve_sheets(book.sheet_names, path.name)
            if spec.name not in found:
                raise InputError(
                    f"{path.name} has no {spec.name} sheet (sheets found: "
                    f"{', '.join(book.sheet_names) or 'none'})", sheet=spec.name)
            name = found[spec.name]
            raw = raw_from_calamine(book, name, hidden=not visible.get(name, True))
        finally:
            book.close()
        if spec.name == "Scorecard":
            raw = dataclasses.replace(raw, percent_cells=percent_cells(path, name))
    frame, errors, warnings = _validate(raw, spec)
    if errors:
        raise InputError.from_problems(errors)
    return frame, warnings


def read_sheet(path: str | Path, sheet: str) -> pd.DataFrame:
    """One contract sheet of a workbook (or a .csv/.parquet file) as a validated DataFrame.

    ``sheet`` is the contract's name or any alias (``"Customers"``, ``"客户"``). Raises
    :class:`~addin.errors.InputError` listing every bad cell. The warnings (hidden sheet, a
    sheet at Excel's row limit, a column without a header) come with
    :func:`read_sheet_checked`.
    """
    return read_sheet_checked(path, sheet)[0]


def load_crm_workbook(
    path: str | Path,
    *,
    transactions: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    sheets: Iterable[str] | None = None,
) -> CRMWorkbook:
    """Every contract sheet present in the workbook, validated, in one :class:`CRMWorkbook`.

    ``transactions`` names a .csv or .parquet log that replaces the Transactions sheet (for logs
    beyond Excel's row limit), or a Parquet dataset (a folder or a glob such as
    ``logs/*.parquet``), which is checked and reduced to one line per customer and day out of
    core (:mod:`addin.workbook.dataset`; for tiering, which needs no more). Problems of all
    sheets are collected and raised together as one :class:`~addin.errors.InputError`.
    ``progress`` is called with each sheet's name as it is read (for a progress bar).
    ``sheets`` (contract names) limits the reading to the sheets a command uses, so a bad
    cell in a sheet it never reads does not stop it.
    """
    path = Path(path)
    book = open_workbook(path)
    try:
        visible = {m.name: str(m.visible).endswith("Visible") for m in book.sheets_metadata}

        def raw(name: str) -> RawSheet:
            return raw_from_calamine(book, name, hidden=not visible.get(name, True))

        wb = _load(path, book.sheet_names, raw, transactions=transactions,
                   progress=progress, only=sheets,
                   percent=lambda name: percent_cells(path, name))
        wb.warnings[:0] = getattr(book, "warnings", [])  # sheets skipped on opening
        return wb
    finally:
        book.close()


def load_crm_workbook_from_values(
    values: Mapping[str, Sequence[Sequence[object]]],
    *,
    path: str | Path,
    hidden: Iterable[str] = (),
    progress: Callable[[str], None] | None = None,
    sheets: Iterable[str] | None = None,
) -> CRMWorkbook:
    """The same as :func:`load_crm_workbook`, for a workbook given as its cell values.

    ``values`` maps each sheet's name (in workbook order) to its rows from row 1, as a live
    workbook gives them (xlwings: ``None`` for blanks, numbers as floats, dates as datetimes,
    Excel errors as ``None`` or their text); ``path`` names the workbook in messages and in the
    result; ``hidden`` names the hidden sheets. The checks, and the messages naming sheet, row
    and column, are those of a file: only where the cells come from differs.
    """
    hidden = set(hidden)

    def raw(name: str) -> RawSheet:
        return raw_from_rows(name, values[name], hidden=name in hidden)

    return _load(Path(path), list(values), raw, progress=progress, only=sheets)


def read_sheet_values_checked(values: Mapping[str, Sequence[Sequence[object]]], sheet: str,
                              *, path: str | Path, hidden: Iterable[str] = ()
                              ) -> tuple[pd.DataFrame, list[Problem]]:
    """:func:`read_sheet_checked` for a workbook given as its cell values (see
    :func:`load_crm_workbook_from_values`)."""
    spec = _spec(sheet)
    found = resolve_sheets(list(values), Path(path).name)
    if spec.name not in found:
        raise InputError(f"{Path(path).name} has no {spec.name} sheet (sheets found: "
                         f"{', '.join(values) or 'none'})", sheet=spec.name)
    name = found[spec.name]
    frame, errors, warnings = _validate(
        raw_from_rows(name, values[name], hidden=name in set(hidden)), spec)
    if errors:
        raise InputError.from_problems(errors)
    return frame, warnings


def _load(path: Path, sheet_names: Sequence[str], raw_sheet: Callable[[str], RawSheet], *,
          transactions: str | Path | None = None,
          progress: Callable[[str], None] | None = None,
          only: Iterable[str] | None = None,
          percent: Callable[[str], frozenset] | None = None) -> CRMWorkbook:
    """Validate every contract sheet among ``sheet_names`` (``raw_sheet(name)`` gives its
    cells; only those named in ``only``, when given), collecting the problems of all sheets
    into one InputError."""
    wanted = set(SHEETS) if only is None else {canonical_sheet(s) or s for s in only}
    sheets: dict[str, pd.DataFrame] = {}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    found = resolve_sheets(sheet_names, path.name)
    if not found:
        raise InputError(
            f"{path.name} has none of the CRM sheets ({', '.join(SHEETS)}); sheets found: "
            f"{', '.join(sheet_names) or 'none'}")
    for canon in SHEETS:
        if progress:
            progress(canon)
        if canon not in wanted:
            continue
        if canon == "Transactions" and transactions is not None:
            from addin.workbook.dataset import is_dataset, read_transactions_dataset

            if is_dataset(transactions):  # a folder or glob of Parquet files, out of core
                try:
                    sheets[canon], dataset_warnings = read_transactions_dataset(transactions)
                except InputError as exc:
                    errors.extend(exc.problems)
                else:
                    warnings.extend(dataset_warnings)
                continue
            raw = raw_from_transactions_file(Path(transactions))
        elif canon in found:
            raw = raw_sheet(found[canon])
            if canon == "Scorecard" and percent is not None:
                raw = dataclasses.replace(raw, percent_cells=percent(found[canon]))
        else:
            continue
        frame, sheet_errors, sheet_warnings = _validate(raw, SHEETS[canon])
        errors.extend(sheet_errors)
        warnings.extend(sheet_warnings)
        sheets[canon] = frame
    if errors:
        raise InputError.from_problems(errors)
    names = {canon: found.get(canon, canon) for canon in sheets}
    if transactions is not None:
        from addin.workbook.dataset import is_dataset

        names["Transactions"] = (str(transactions) if is_dataset(transactions)
                                 else Path(transactions).name)
    if "Settings" in sheets:  # unknown keys, with the closest known one (the one reader's)
        warnings.extend(settings_warnings(sheets["Settings"], names["Settings"]))
    return CRMWorkbook(path=path, sheets=sheets, names=names, warnings=warnings)
