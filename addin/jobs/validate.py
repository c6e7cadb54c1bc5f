"""Validation: read every contract sheet, collect the problems, find duplicate customers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from addin.errors import InputError, Problem
from addin.workbook import CRMWorkbook, ResultTable, load_crm_workbook, read_sheet_checked
from addin.workbook.duplicates import find_duplicate_customers

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
        """The ``Validation`` result sheet: sheets read, problems, duplicate customers."""
        dups = self.duplicates if self.duplicates is not None else pd.DataFrame()
        return {
            "Validation": [
                ResultTable(self.sheets_frame(), "Sheets read"),
                ResultTable(self.problems_frame(), "Problems"),
                ResultTable(dups, "Duplicate customers"),
            ]
        }


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
    report = ValidationReport(path=path, workbook=None)
    try:
        report.workbook = load_crm_workbook(path, transactions=transactions, progress=progress)
        report.warnings = list(report.workbook.warnings)
        customers = report.workbook.get("Customers")
    except InputError as exc:
        report.errors = [p for p in exc.problems if p.severity == "error"]
        if not any(p.sheet for p in exc.problems):
            raise  # the file itself could not be read
        customers = None
        try:
            customers, report.warnings = read_sheet_checked(path, "Customers")
        except InputError:
            pass
    if customers is not None:
        report.duplicates = find_duplicate_customers(customers)
    return report
