"""Validation: read every contract sheet, run the checks every later command makes (the
Settings, the scorecard with its AHP sheet, the survey, the report month, the Distribution),
collect the problems, find duplicate customers. A workbook it passes is not refused later for
bad input (``tests/test_validate_property.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from addin.contract.settings import FEATURES, SettingValues, read_settings
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
        lambda sheet: read_sheet_checked(path, sheet))


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
        lambda sheet: read_sheet_values_checked(values, sheet, path=path, hidden=hidden))


def validate_loaded(
    path: Path,
    load: Callable[[], CRMWorkbook],
    read_one: Callable[[str], tuple[pd.DataFrame, list[Problem]]],
) -> ValidationReport:
    """The validation itself, wherever the cells come from: ``load()`` reads every contract
    sheet (raising one InputError with all problems), ``read_one(sheet)`` reads one sheet
    alone, so when another sheet has errors the duplicate customers are still found and the
    Settings still checked."""
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
            customers, report.warnings = read_one("Customers")
        except InputError:
            pass
        try:  # a Settings sheet that reads is still checked
            found = read_settings(read_one("Settings")[0])
        except InputError:
            found = None
        if found is not None:
            report.warnings.extend(found.warnings)
            report.errors.extend(settings_problems(found))
    if customers is not None:
        report.duplicates = find_duplicate_customers(customers)
    if report.workbook is not None:
        report.errors.extend(command_problems(report.workbook))
    return report


def _collect(problems: list[Problem], check: Callable[[], object]) -> None:
    """Run one of the later commands' checks; add the problems it raises (once each)."""
    try:
        check()
    except InputError as exc:
        seen = {str(p) for p in problems}
        problems.extend(p for p in exc.problems if p.severity == "error" and str(p) not in seen)


def settings_problems(settings: SettingValues) -> list[Problem]:
    """Every problem of the Settings sheet: each key's type and range (the one reader's), then
    the checks between keys that each feature's reader makes (tiering, survey, churn, reports,
    scorecard)."""
    from addin.churn.settings import churn_settings
    from addin.jobs.scorecard import perspective_weights, random_index_table
    from addin.reports.settings import report_settings
    from addin.surveys import SurveySettings
    from addin.tiering import tier_settings

    problems: list[Problem] = []
    _collect(problems, lambda: settings.values(*FEATURES))
    for check in (lambda: tier_settings(settings), lambda: SurveySettings.from_settings(settings),
                  lambda: churn_settings(settings), lambda: report_settings(settings),
                  lambda: perspective_weights(settings, random_index_table(settings))):
        _collect(problems, check)
    return problems


def command_problems(wb: CRMWorkbook) -> list[Problem]:
    """What ``tier``, ``survey``, ``scorecard``, ``report`` and ``mail`` would refuse in a
    workbook whose sheets all read: found by calling the very checks those commands make (the
    Settings readers of every feature, the scorecard's evaluation with its AHP sheet, the
    survey analysis, the report month and languages, the Distribution's recipients), so a
    workbook that passes ``validate`` is not stopped later for bad input. Every problem at
    once, in that order."""
    from addin.jobs.report import report_languages, scorecard_for_month
    from addin.jobs.scorecard import scorecard_workbook
    from addin.jobs.survey import survey_workbook
    from addin.mail.compose import read_sender
    from addin.reports.month import default_month, first_order
    from addin.scorecard.judgements import judgement_matrices

    settings = read_settings(wb.get("Settings"), wb.names.get("Settings", "Settings"))
    problems = settings_problems(settings)
    card: list[Problem] = []
    if "Scorecard" in wb:
        _collect(card, lambda: scorecard_workbook(wb))
    elif "AHP" in wb:
        _collect(card, lambda: judgement_matrices(wb["AHP"]))
    if "Survey" in wb:
        _collect(problems, lambda: survey_workbook(wb))
    months: list[str] = []
    if "Transactions" in wb:
        _collect(problems, lambda: months.append(default_month(wb.sheets)))
    for month in months:
        _collect(problems, lambda m=month: first_order(wb["Transactions"], m))
        if "Scorecard" in wb and not card:  # the report scores the month's own column
            _collect(card, lambda m=month: scorecard_for_month(wb, m))
    if "Distribution" in wb:
        _collect(problems, lambda: read_sender(settings))
        _collect(problems, lambda: _check_distribution(wb, report_languages(wb),
                                                        settings.get("report_language")))
    seen = {str(p) for p in problems}
    return problems + [p for p in card if str(p) not in seen]


_SCOPE_COLUMNS = {"regions": "region", "segments": "segment", "accounts": "customer_id"}


def _check_distribution(wb: CRMWorkbook, languages: list[str], default: str) -> None:
    """The Distribution sheet through the mail's own :func:`~addin.mail.recipients_from`
    (addresses, languages, scopes), against every customer of the Customers sheet; and a
    scope that names a region, segment or account no customer has (it would mail nothing)."""
    from addin.mail.recipients import recipients_from
    from addin.mail.scope import ScopeClause, parse_scope
    from addin.reports.manifest import AccountReport, Manifest

    customers = wb.get("Customers")
    if customers is None:
        customers = pd.DataFrame(columns=["customer_id", "name"])

    def text(rec: pd.Series, column: str) -> str | None:
        value = rec.get(column)
        return None if value is None or pd.isna(value) else str(value)

    accounts = [AccountReport(str(rec["customer_id"]), str(rec["name"]), text(rec, "region"),
                              text(rec, "segment")) for _, rec in customers.iterrows()]
    manifest = Manifest("", "", "", languages=languages, accounts=accounts)
    problems: list[Problem] = []
    try:
        recipients_from(wb["Distribution"], manifest, default)
    except InputError as exc:
        problems.extend(exc.problems)
    bad_rows = {p.row for p in problems}
    for row, scope_text in wb["Distribution"].get("scope", pd.Series(dtype=object)).items():
        if row in bad_rows:
            continue
        try:
            scope = parse_scope(scope_text, accounts)
        except ValueError:
            continue
        for clause in scope.clauses:
            column = _SCOPE_COLUMNS[clause.kind]
            have = customers[column].dropna() if column in customers else pd.Series([])
            known = ScopeClause(clause.kind, tuple(map(str, have))).keys
            unknown = [v for v in clause.values
                       if not ScopeClause(clause.kind, (v,)).keys <= known]
            if unknown:
                kind = clause.kind[:-1]
                problems.append(Problem(
                    f"a {kind} of the Customers sheet; {', '.join(map(repr, unknown))} is no "
                    f"customer's {column} (this executive would get no review for it)",
                    "Distribution", int(row), "scope", value=scope_text, has_value=True))
    if problems:
        raise InputError.from_problems(problems)
