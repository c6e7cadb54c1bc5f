"""``validate`` is the promise of the later commands: on hostile variants of the demo workbook,
when ``crm-addin validate`` exits 0, ``tier``, ``survey``, ``scorecard``, ``report`` and
``mail --dry-run`` never exit 2 (bad input); and each hostile variant is refused by
``validate`` itself, naming the cell.

The variants are built here from a small slice of the demo workbook (60 customers and what
belongs to them, the whole Scorecard, an AHP sheet, the Distribution and Settings sheets), so
each command runs in well under a second; ``report`` (which renders PDFs) runs on two."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_xlsx

from addin.cli import cli
from addin.demo import demo_tables

Tables = dict[str, tuple[list[str], list[list]]]
KEEP = 60
AHP = [("perspectives", "financial", "customer", 1),
       ("perspectives", "financial", "internal process", 3),
       ("perspectives", "financial", "learning and growth", 3),
       ("perspectives", "customer", "internal process", 3),
       ("perspectives", "customer", "learning and growth", 3),
       ("perspectives", "internal process", "learning and growth", 1)]


@pytest.fixture(scope="module")
def base() -> Tables:
    return slice_of_demo()


def slice_of_demo() -> Tables:
    tables = demo_tables()
    head, customers = tables["Customers"]
    kept = customers[:KEEP]
    ids = {row[0] for row in kept}
    out: Tables = {"Customers": (head, kept)}
    for sheet in ("Transactions", "Contacts", "Complaints", "Survey"):
        head, rows = tables[sheet]
        column = head.index("customer_id")
        out[sheet] = (head, [r for r in rows if r[column] in ids])
    for sheet in ("Scorecard", "Distribution", "Settings"):
        out[sheet] = tables[sheet]
    out["AHP"] = (["matrix", "element", "versus", "judgement"], [list(r) for r in AHP])
    return out


def _setting(key: str, value: object) -> Callable[[Tables], None]:
    def change(t: Tables) -> None:
        rows = t["Settings"][1]
        for row in rows:
            if row[0] == key:
                row[1] = value
                return
        rows.append([key, value])
    return change


def _cell(sheet: str, row: int, column: str, value: object) -> Callable[[Tables], None]:
    """Set the cell of ``column`` on Excel row ``row`` (2 is the first data row)."""
    def change(t: Tables) -> None:
        head, rows = t[sheet]
        rows[row - 2][head.index(column)] = value
    return change


def _drop_setting(key: str) -> Callable[[Tables], None]:
    def change(t: Tables) -> None:
        t["Settings"][1][:] = [r for r in t["Settings"][1] if r[0] != key]
    return change


def _drop_ahp_row(row: int) -> Callable[[Tables], None]:
    def change(t: Tables) -> None:
        del t["AHP"][1][row - 2]
    return change


def _blank_period(period: str) -> Callable[[Tables], None]:
    def change(t: Tables) -> None:
        head, rows = t["Scorecard"]
        for r in rows:
            r[head.index(period)] = None
    return change


# name -> (changes, what validate must say, or None when the variant is fine)
VARIANTS: dict[str, tuple[list[Callable[[Tables], None]], str | None]] = {
    "the slice as it is": ([], None),
    # a share typed 80%, a thousands separator, a misspelt key (a warning, not an error)
    "every harmless change at once": ([_setting("abc_a", "80%"), _setting("inactive_days", "1,000"),
                                       _setting("compnay_name_zh", "北风")], None),
    "a share typed 80": ([_setting("abc_a", 80)], "setting 'abc_a': expected a share"),
    "days in words": ([_setting("complaint_target_days", "十四天")],
                      "setting 'complaint_target_days': expected a number >= 0"),
    "a month 13": ([_setting("fiscal_year_start", 13)], "expected a whole number from 1 to 12"),
    "pyramid shares not adding up": ([_setting("pyramid_shares", "0.1,0.2,0.3,0.3")],
                                     "add up to 1"),
    "an unknown key-account tier": ([_setting("key_account_tiers", "Platinum")],
                                    "Platinum is not one"),
    "NPS limits crossed": ([_setting("nps_detractor_max", 9)], "nps_detractor_max <"),
    "an unknown currency": ([_setting("currency", "Dollars")], "ISO 4217"),
    "as_of before every order": ([_setting("as_of", dt.date(2020, 1, 31))],
                                 "no transactions on or before the end of 2020-01"),
    "an index item the survey lacks": ([_setting("satisfaction_index_items", "perf_nothing")],
                                       "Survey sheet does not have"),
    "a judgement Excel made a date": ([_cell("AHP", 3, "judgement", dt.datetime(2026, 1, 6))],
                                      "1/6 became 2026-01-06"),
    "a judgement that is not the reciprocal": (
        [lambda t: t["AHP"][1].append(["perspectives", "customer", "financial", 5])],
        "the reciprocal of row 2's"),
    "a missing pair": ([_drop_ahp_row(7)], "missing: internal process vs learning and growth"),
    "red and amber in the wrong order": ([_cell("Scorecard", 2, "red", 99.0),
                                          _cell("Scorecard", 2, "polarity", "higher")],
                                         "an amber limit with the red limit at or below it"),
    "the report month's column left blank": ([_blank_period("2026-10")],
                                             "no KPI of the Scorecard sheet has an actual"),
    "a weight in words": ([_cell("Scorecard", 3, "weight", "heavy")], "expected a number"),
    "a month's actual in words": ([_cell("Scorecard", 4, "2026-09", "n/a yet")],
                                  "expected a number"),
    "a language nobody renders": ([_cell("Distribution", 2, "language", "fr")], "fr"),
    "a scope naming no region": ([_cell("Distribution", 2, "scope", "region: Nowhere")],
                                 "'Nowhere' is no customer's region"),
    "a scope of unknown kind": ([_cell("Distribution", 3, "scope", "manager: Vivian Luo")],
                                "is not a kind of scope"),
    "an address with a display name": ([_cell("Distribution", 2, "email",
                                              "Emily <emily@example.com>")],
                                       "an e-mail address"),
    "no sender": ([_drop_setting("sender_email")], "a sender_email setting"),
    "a bad order date": ([_cell("Transactions", 5, "date", "soon")], "expected a date"),
}
REPORTED = "every harmless change at once"  # report (rendering PDFs) and mail run on this
MISSPELT = "unknown setting `compnay_name_zh` on row {row}: did you mean `company_name_zh`?"


def _workbook(base: Tables, changes, folder: Path) -> Path:
    tables = copy.deepcopy(base)
    for change in changes:
        change(tables)
    sheets = {name: [head, *rows] for name, (head, rows) in tables.items()}
    return write_xlsx(folder / "book.xlsx", sheets)


def _run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("name", list(VARIANTS))
def test_validate_passes_only_what_the_commands_accept(base, tmp_path, name):
    changes, refusal = VARIANTS[name]
    book = _workbook(base, changes, tmp_path)
    checked = _run("validate", book)
    if refusal is not None:
        assert checked.exit_code == 2, checked.output
        assert refusal in checked.output, checked.output
        return
    assert checked.exit_code == 0, checked.output
    misspelt = name == "every harmless change at once"
    warning = MISSPELT.format(row=len(base["Settings"][1]) + 2)
    assert (warning in checked.output) == misspelt
    for command in ("tier", "survey", "scorecard"):
        result = _run(command, book, "-o", tmp_path / f"{command}.xlsx")
        assert result.exit_code == 0, f"{command} after validate passed:\n{result.output}"
        assert (warning in result.output) == misspelt  # every command that reads Settings
    if name != REPORTED:
        return
    reports = tmp_path / "reports"
    first_id = base["Customers"][1][0][0]
    result = _run("report", book, "--out", reports, "--accounts", first_id, "--jobs", 1)
    assert result.exit_code == 0, f"report after validate passed:\n{result.output}"
    assert warning in result.output
    result = _run("mail", book, "--reports", reports, "--month", "2026-10",
                  "--dry-run", tmp_path / "emails")
    assert result.exit_code == 0, f"mail --dry-run after validate passed:\n{result.output}"
    assert warning in result.output


def test_scorecard_does_not_read_the_transactions_it_never_uses(base, tmp_path):
    book = _workbook(base, VARIANTS["a bad order date"][0], tmp_path)
    assert _run("scorecard", book, "-o", tmp_path / "out.xlsx").exit_code == 0
    assert _run("tier", book, "-o", tmp_path / "out.xlsx").exit_code == 2


def test_a_bad_cell_elsewhere_does_not_hide_the_settings_problems(base, tmp_path):
    changes = [*VARIANTS["a bad order date"][0], *VARIANTS["days in words"][0],
               _setting("compnay_name_zh", "北风")]
    output = _run("validate", _workbook(base, changes, tmp_path)).output
    assert "sheet 'Transactions', row 5, column 'date'" in output
    assert "setting 'complaint_target_days': expected a number >= 0" in output
    assert "did you mean `company_name_zh`?" in output
