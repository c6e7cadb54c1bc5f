"""Validation: read every contract sheet, collect the problems, find duplicate customers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from addin.errors import InputError, Problem
from addin.workbook import (
    CRMWorkbook,
    ResultTable,
    load_crm_workbook,
    load_crm_workbook_from_values,
    read_sheet_checked,
)
from addin.workbook.duplicates import find_duplicate_customers
from addin.workbook.reader import read_sheet_values_checked
from addin.workbook.results import cell_link
from addin.workbook.sources import TABLE_SUFFIXES

SHEET = "Validation"  # the one sheet both doors write (CLI validate, the ribbon's Validate)
PROBLEMS_SHEET = SHEET  # the name the ribbon's sheet had before; kept for callers
PROBLEM_COLUMNS = ["severity", "sheet", "row", "column", "cell", "problem", "value"]


@dataclass
class ValidationReport:
    """Everything ``validate`` found: the readable sheets, the problems (errors stop the work,
    warnings do not) and the duplicate customer records."""

    path: Path
    workbook: CRMWorkbook | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    duplicates: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def problems_frame(self) -> pd.DataFrame:
        rows = [
            {
                "severity": p.severity,
                "sheet": p.sheet,
                "row": p.row,
                "column": p.column,
                "cell": p.cell,
                "problem": p.expected,
                "value": None if not p.has_value else str(p.value),
            }
            for p in [*self.errors, *self.warnings]
        ]
        frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def sheets_frame(self) -> pd.DataFrame:
        wb = self.workbook
        rows = [] if wb is None else [
            {"sheet": canon, "name in workbook": wb.names.get(canon, canon),
             "rows": len(frame), "columns": frame.shape[1]}
            for canon, frame in wb.sheets.items()
        ]
        frame = pd.DataFrame(rows, columns=["sheet", "name in workbook", "rows", "columns"])
        return frame.astype({"rows": "int64", "columns": "int64"})

    def result_sheets(self) -> dict[str, list[ResultTable]]:
        """The ``Validation`` sheet, the same whichever door writes it (``crm-addin
        validate -o`` and the ribbon's Validate): every problem with a link to its cell
        (``#'Sheet'!C3``; the row's first cell when no column is known, the sheet's A1 when no
        row is), the duplicate customers linked to their rows, then the sheets read."""
        problems = self.problems_frame()
        links = [
            None if not p.sheet or p.sheet.lower().endswith(TABLE_SUFFIXES)
            else cell_link(p.sheet, p.cell or f"A{p.row or 1}")
            for p in [*self.errors, *self.warnings]
        ]
        problems["cell"] = [c if c is not None or link is None else link.rsplit("!", 1)[1]
                            for c, link in zip(problems["cell"], links, strict=True)]
        tables = [ResultTable(problems, f"Problems: {len(self.errors)} errors, "
                              f"{len(self.warnings)} warnings (click a cell to go there)",
                              links={"cell": links})]
        dups = self.duplicates
        if dups is not None:
            sheet = self.workbook.names.get("Customers") if self.workbook is not None else None
            dup_links = [None if sheet is None else cell_link(sheet, f"A{row}")
                         for row in dups["row"]] if "row" in dups else [None] * len(dups)
            tables.append(ResultTable(dups, "Duplicate customers",
                                      links={"row": dup_links} if "row" in dups else {}))
        else:
            tables.append(ResultTable(pd.DataFrame(), "Duplicate customers"))
        tables.append(ResultTable(self.sheets_frame(), "Sheets read"))
        return {SHEET: tables}

    problems_sheet = result_sheets  # the ribbon's name for it


def validate_workbook(
    path: str | Path,
    *,
    transactions: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ValidationReport:
    """Read every contract sheet, collect all problems, and look for duplicate customers.

    A workbook that cannot be opened at all raises :class:`InputError`; problems inside sheets
    are collected in the report (so duplicates are still found when, say, one transaction has a
    bad date).
    """
    path = Path(path)
    return validate_loaded(
        path, lambda: load_crm_workbook(path, transactions=transactions, progress=progress),
        lambda: read_sheet_checked(path, "Customers"))


def validate_values(
    values: Mapping[str, Sequence[Sequence[object]]],
    *,
    path: str | Path,
    hidden: Iterable[str] = (),
    progress: Callable[[str], None] | None = None,
) -> ValidationReport:
    """:func:`validate_workbook` for a workbook given as its cell values (a live workbook; see
    :func:`addin.workbook.load_crm_workbook_from_values`)."""
    hidden = list(hidden)
    return validate_loaded(
        Path(path),
        lambda: load_crm_workbook_from_values(values, path=path, hidden=hidden,
                                              progress=progress),
        lambda: read_sheet_values_checked(values, "Customers", path=path, hidden=hidden))


def validate_loaded(
    path: Path,
    load: Callable[[], CRMWorkbook],
    read_customers: Callable[[], tuple[pd.DataFrame, list[Problem]]],
) -> ValidationReport:
    """The validation itself, wherever the cells come from: ``load()`` reads every contract
    sheet (raising one InputError with all problems), ``read_customers()`` reads Customers
    alone, so duplicates are still found when another sheet has errors."""
    report = ValidationReport(path=path, workbook=None)
    try:
        report.workbook = load()
        report.warnings = list(report.workbook.warnings)
        customers = report.workbook.get("Customers")
    except InputError as exc:
        report.errors = [p for p in exc.problems if p.severity == "error"]
        if not any(p.sheet for p in exc.problems):
            raise  # the file itself could not be read
        customers = None
        try:
            customers, report.warnings = read_customers()
        except InputError:
            pass
    if customers is not None:
        report.duplicates = find_duplicate_customers(customers)
    return report
