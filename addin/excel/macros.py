"""The CRM ribbon's macros: thin doors over the workflows the CLI runs.

Each button of the ``CRM`` ribbon tab runs one function here through xlwings' ``RunPython``
(``import addin.excel.macros as crm; crm.tier()``). A macro is named after the ``crm-addin``
command it twins (``validate``, ``tier``, ``survey``, ``scorecard``), never after the routine it
calls, and is written against the small book interface of :mod:`addin.excel.book`, never
against xlwings directly, following one pattern::

    @macro
    def tier(book: Book) -> TierReport:
        report = tier_workbook(book.load())               # the same job as `crm-addin tier`
        where = book.write(report.result_sheets())        # the same result sheet
        book.message(f"... written to {where}")           # a few lines for the user
        return report

The :func:`macro` decorator supplies the plumbing shared by every door:

* ``book = book or caller_book()``: from Excel, the workbook that pressed the button (classic
  xlwings, ``xw.Book.caller()``); from tests and scripts, any :class:`~addin.excel.book.Book`,
  such as a :class:`~addin.excel.book.FileBook` on an ``.xlsx`` file, so every macro has a
  headless twin;
* bad input (:class:`~addin.errors.InputError`) becomes a message box that names the sheet, the
  Excel row and the column of each problem (the first five, then a count), never a traceback.
  Anything else is a bug and is raised, which xlwings shows with its traceback.

Adding a macro: write the workflow in :mod:`addin.jobs` (shared with the CLI), add a function
here with the pattern above, and a button whose ``tag`` names it on the ribbon.

The report macros write beside the workbook: ``key_account_reviews`` renders the month's
PDFs into ``<workbook folder>/Key-account reviews/YYYY-MM`` (:func:`reviews_folder`) and
``email_executives`` mails what is there, after a confirmation, through the transport of
the Settings sheet (:func:`addin.mail.transport_from_settings`): its SMTP server or Graph,
else the user's own Outlook on Windows, or ``.eml`` files (then opened) on a Mac.
"""

from __future__ import annotations

import functools
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pandas as pd

from addin import __version__
from addin.errors import InputError
from addin.excel.book import Book, caller_book
from addin.workbook import ResultTable

T = TypeVar("T")
MAX_PROBLEM_LINES = 5  # a message box holds about 1,000 characters
FUNCTIONS_SHEET = "CRM Functions"
# What a message box calls each action ("Analyse survey stopped: ..."); the macros themselves are
# named after their CLI twins.
ACTIONS = {"validate": "Validate workbook", "tier": "Tier customers",
           "survey": "Analyse survey", "scorecard": "Evaluate scorecard",
           "churn": "Analyse churn", "forecast": "Forecast revenue"}


def problem_message(action: str, exc: InputError, limit: int = MAX_PROBLEM_LINES) -> str:
    """What the message box says when the input is bad: one line per problem, naming sheet,
    Excel row and column (capped at ``limit``, with a count of the rest)."""
    count = len(exc.problems)
    head = f"{action} stopped: the workbook has {count} problem{'s' * (count != 1)} to fix."
    lines = [head, "", *(f"- {line}" for line in exc.lines(limit=limit))]
    if count > limit:
        lines += ["", "Validate lists every problem on the Validation sheet, with links to the "
                  "cells."]
    return "\n".join(lines)


def macro(func: Callable[[Book], T]) -> Callable[[Book | None], T | None]:
    """The shared plumbing of a ribbon macro (see the module docstring)."""
    action = ACTIONS.get(func.__name__, func.__name__.replace("_", " ").capitalize())

    @functools.wraps(func)
    def door(book: Book | None = None) -> T | None:
        book = book or caller_book()
        try:
            return func(book)
        except InputError as exc:
            book.message(problem_message(action, exc), error=True)
            return None

    del door.__wrapped__  # the door's own signature, ``(book=None)``, is the one to show
    return door


def settings_notes(wb) -> list[str]:
    """The Settings warnings of a loaded workbook (an unknown key and the known key it is
    probably meant to be), as lines to add to a macro's message."""
    sheet = wb.names.get("Settings", "Settings")
    notes = [f"- {p}" for p in wb.warnings if p.sheet == sheet]
    return ["", "Settings warnings:", *notes] if notes else []


@macro
def validate(book: Book):
    """Check the workbook against the CRM contract; list every problem on the ``Validation``
    sheet with a link to its cell, and the duplicate customers: the sheet ``crm-addin
    validate`` writes, written the same way."""
    report = book.validate()
    where = book.write(report.result_sheets())
    dups = report.duplicates
    groups = 0 if dups is None or dups.empty else dups["group"].nunique()
    records = 0 if dups is None else len(dups)
    lines = [f"{book.path.name}: {len(report.errors)} error{'s' * (len(report.errors) != 1)}, "
             f"{len(report.warnings)} warning{'s' * (len(report.warnings) != 1)}, "
             f"{groups} group{'s' * (groups != 1)} of duplicate customers "
             f"({records} record{'s' * (records != 1)})."]
    if report.ok:
        lines.append("The workbook can be used.")
    else:
        lines.append("Fix the errors before running the other CRM buttons.")
    lines.append(f"Written to {where}; click a cell reference to go there.")
    book.message("\n".join(lines), error=not report.ok)
    return report


def _write_and_tell(book: Book, report, notes: Sequence[str] = ()):
    """Write a job's result sheets into the book and show its summary lines, the Settings
    notes and where the sheets went; the job's report is the macro's result."""
    where = book.write(report.result_sheets())
    book.message("\n".join([*report.summary_lines(), *notes, "", f"Written to {where}."]))
    return report


@macro
def survey(book: Book):
    """Analyse the Survey sheet into a ``Survey Results`` sheet (``crm-addin survey``)."""
    from addin.jobs.survey import READS, survey_workbook

    wb = book.load(READS)
    return _write_and_tell(book, survey_workbook(wb), settings_notes(wb))


@macro
def tier(book: Book):
    """Tier every customer (ABC, pyramid, RFM, CLV, life cycle) into a ``Tiers`` sheet
    (``crm-addin tier``)."""
    from addin.jobs.tier import READS, tier_workbook

    wb = book.load(READS)
    report = tier_workbook(wb)
    counts = report.tiers["pyramid_tier"].value_counts()
    when = report.as_of.date().isoformat() if report.as_of is not None else "-"
    where = book.write(report.result_sheets())
    book.message("\n".join([
        f"{len(report.tiers):,} customers tiered as of {when}; {report.pareto()}",
        "Pyramid: " + ", ".join(f"{label} {int(counts.get(label, 0)):,}"
                                for label in report.settings.pyramid_labels),
        *settings_notes(wb), "", f"Written to {where}."]))
    return report


@macro
def scorecard(book: Book):
    """Evaluate the balanced scorecard into a ``Scorecard Results`` sheet (``crm-addin
    scorecard``): KPI progress and status, the roll-up to an overall score, the trend."""
    from addin.jobs.scorecard import READS, scorecard_workbook

    wb = book.load(READS)
    return _write_and_tell(book, scorecard_workbook(wb), settings_notes(wb))


@macro
def churn(book: Book):
    """Cohort retention, who was lost and why, and the win-back list into ``Retention`` and
    ``Churn`` sheets (``crm-addin churn``)."""
    from addin.jobs.churn import READS, churn_workbook

    wb = book.load(READS)
    return _write_and_tell(book, churn_workbook(wb), settings_notes(wb))


@macro
def forecast(book: Book):
    """The revenue forecast (BG/NBD x Gamma-Gamma and an exponential-smoothing baseline, both
    backtested) into a ``Forecast`` sheet (``crm-addin forecast``)."""
    from addin.jobs.forecast import READS, forecast_workbook

    wb = book.load(READS)
    return _write_and_tell(book, forecast_workbook(wb), settings_notes(wb))


REVIEWS_FOLDER = "Key-account reviews"


def reviews_folder(book: Book, month: str) -> Path:
    """Where the ribbon puts a month's reviews: ``Key-account reviews/YYYY-MM`` beside the
    workbook (a new, never-saved workbook has no folder: save it first)."""
    if not book.path.is_absolute() and not book.path.exists():  # Excel's "Book1"
        raise InputError(f"save {book.path.name} first: the reviews go into a folder beside it")
    return book.folder / REVIEWS_FOLDER / month


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


@macro
def key_account_reviews(book: Book):
    """Render the month's PDF review of every key account and the portfolio summary, in every
    language of the Distribution sheet, into a folder beside the workbook, then open it
    (``crm-addin report``). The month is the Settings ``as_of`` month, else the last order's.
    A review that fails is listed and skipped; the others are written."""
    from addin.jobs.report import report_languages, report_workbook
    from addin.reports.month import default_month

    wb = book.load()
    month = default_month(wb.sheets)
    folder = reviews_folder(book, month)
    # every key account in every language, one PDF each: the folder is for browsing
    outcome = report_workbook(wb, folder, month=month, jobs=os.cpu_count() or 1,
                              languages=report_languages(wb))
    manifest = outcome.manifest
    reviews = sum(len(a.files) for a in manifest.accounts)
    accounts = _plural(len(manifest.accounts), "key account")
    summaries = _plural(len(manifest.summary), "portfolio summary", "portfolio summaries")
    lines = [f"{month}: {_plural(reviews, 'review')} of {accounts} and {summaries} "
             f"({', '.join(manifest.languages)}) written to {folder}."]
    if outcome.failed:
        lines += ["", f"{_plural(len(outcome.failed), 'review')} failed and were skipped:",
                  *(f"- {label}: {error}" for label, error in outcome.failed.items())]
    lines += [*settings_notes(wb), "", "Email executives sends them to the Distribution sheet."]
    book.message("\n".join(lines), error=bool(outcome.failed))
    if manifest.files():
        book.open_folder(folder)
    return outcome


@macro
def email_executives(book: Book):
    """Email each executive of the Distribution sheet the month's portfolio summary and the
    reviews of the key accounts in their scope (``crm-addin mail``), from the folder Key-account
    reviews wrote. First asks, showing how many messages go to whom; sends through the Settings
    ``smtp_server`` (or ``mail_transport``), else through the user's own Outlook on Windows, or
    writes ``.eml`` files and opens their folder on a Mac; the send log skips whoever already
    received the month."""
    from addin.mail import (
        MailSetupError,
        SendBusy,
        plan,
        send_monthly_mail,
        transport_from_settings,
    )
    from addin.reports.manifest import MANIFEST_NAME
    from addin.reports.month import default_month

    wb = book.load()
    month = default_month(wb.sheets)
    folder = reviews_folder(book, month)
    # a settings mistake stops before asking (read from the sheet, so it names its row)
    transport = transport_from_settings(wb.get("Settings"), eml_folder=folder / "emails")
    try:
        transport.check()  # Outlook starts, a token comes: before asking, not after
    except MailSetupError as exc:
        book.message(f"Nothing was sent: {exc}", error=True)
        return None
    if not (folder / MANIFEST_NAME).exists():
        book.message(f"There are no {month} reviews in {folder} yet: press Key-account reviews "
                     "first.", error=True)
        return None
    planned = plan(wb, folder, month)
    going = [p for p in planned if p.to_send]
    done = [p for p in planned if p.messages and not p.to_send and not p.in_doubt]
    doubt = [p for p in planned if p.in_doubt]
    too_large = [p for p in planned if not p.messages]
    # a message in doubt may already be in the mailbox: the button never re-sends it (the
    # CLI's --resend-in-doubt does, after someone checked)
    doubt_lines = [f"\n{p.recipient}: {_plural(p.in_doubt, 'message')} in doubt (the server "
                   "may have it), not re-sent; check their mailbox, then use crm-addin mail "
                   "--resend-in-doubt if it did not arrive" for p in doubt]
    if not going:
        book.message(f"Nothing to send: {_plural(len(done), 'executive')} already received the "
                     f"{month} reports (send log {folder.name}/mail_log.jsonl)."
                     + "".join(f"\n{p.recipient}: a PDF is over the size limit"
                               for p in too_large) + "".join(doubt_lines),
                     error=bool(too_large or doubt))
        return []
    total = sum(p.to_send for p in going)
    lines = [f"Send the {month} reports to {_plural(len(going), 'executive')} "
             f"({_plural(total, 'message')}) through {transport.where()}?", ""]
    lines += [f"- {p.recipient}: {_plural(p.to_send, 'message')}, "
              f"{_plural(p.attachments, 'PDF')}" for p in going]
    if done:
        lines += ["", f"Already sent, skipped: {', '.join(str(p.recipient) for p in done)}"]
    if too_large:
        lines += ["", "Not sent, a PDF is over the size limit: "
                  + ", ".join(str(p.recipient) for p in too_large)]
    if doubt:
        lines += ["", *(line.lstrip("\n") for line in doubt_lines)]
    lines += settings_notes(wb)
    if not book.confirm("\n".join(lines)):
        book.message("Nothing was sent.")
        return None
    try:
        outcomes = send_monthly_mail(wb, folder, month, transport)
    except (MailSetupError, SendBusy) as exc:
        book.message(f"Nothing was sent: {exc}", error=True)
        return None
    failed = sum(o.status in ("failed", "in doubt") for o in outcomes)
    summary = (f"{_plural(failed, 'recipient')} failed or in doubt; press Email executives "
               "again to retry the failed ones (nobody gets a message twice)." if failed
               else "Done.")
    book.message("\n".join([*(o.line() for o in outcomes), "", summary]), error=bool(failed))
    if transport.name == "eml":  # a Mac: the user sends the files from their mail program
        book.open_folder(transport.folder)
    return outcomes


def function_reference() -> pd.DataFrame:
    """The CRM worksheet functions as a table: one row per function with its category, what it
    returns and its arguments (from :data:`addin.functions.ranges.FUNCTIONS`)."""
    import addin.functions  # noqa: F401  (registers every function)
    from addin.functions.ranges import FUNCTIONS

    infos = sorted(FUNCTIONS.values(), key=lambda i: (i.category, i.name))
    return pd.DataFrame({
        "function": [i.signature for i in infos],
        "category": [i.category for i in infos],
        "what it returns": [i.summary for i in infos],
        "arguments": ["\n".join(f"{a.name}{' (optional)' if a.optional else ''}: {a.doc}"
                                for a in i.arguments) for i in infos],
    })


@macro
def show_function_reference(book: Book):
    """Write the ``CRM Functions`` sheet: every CRM worksheet function and its arguments."""
    frame = function_reference()
    title = (f"CRM worksheet functions ({len(frame)}); a result starting #CRM! explains bad "
             "input")
    where = book.write({FUNCTIONS_SHEET: [ResultTable(frame, title)]})
    book.message(f"{len(frame)} CRM functions listed on {where}.")
    return frame


def about_text() -> str:
    """Version lines: the add-in, Python and xlwings."""
    import xlwings

    return "\n".join([f"CRM add-in {__version__}",
                      f"Python {platform.python_version()} ({platform.system()})",
                      f"xlwings {xlwings.__version__}"])


@macro
def about(book: Book):
    """Show the versions of the add-in, Python and xlwings."""
    text = about_text()
    book.message(text)
    return text


__all__ = ["about", "churn", "email_executives", "forecast", "key_account_reviews",
           "scorecard", "show_function_reference", "survey", "tier", "validate"]
