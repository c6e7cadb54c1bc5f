"""The xlwings Lite door: the CRM worksheet functions and ribbon actions in Excel on Windows,
on a Mac and on the web, with Python running in the browser (Pyodide) inside the free xlwings
Lite add-in.

Lite's Python side is the ``xlwings`` package it ships: there ``xw.func``, ``xw.arg`` and
``xw.script`` are Lite's own decorators (elsewhere they change nothing, so this module imports
and runs anywhere). For every declared ``CRM_`` function (:data:`addin.functions.ranges.
FUNCTIONS`, so a new function comes along by itself) this module defines a function of the same
name, signature, help and category that takes its arguments ``raw`` and reads them with
:func:`~addin.functions.ranges.from_officejs` (Office.js hands dates over as serial numbers,
errors as ``{"type": "Error", "basicValue": "#N/A"}``, blanks as null) before calling the classic
function: one pass over the cells instead of xlwings' per-cell conversion, and the same answer
as the classic door on the same cells.

The scripts (Lite's buttons) run the ribbon macros of :mod:`addin.excel.macros` over Lite's
``book``: Validate, Tier, Analyse survey, Evaluate scorecard and Function reference. PDF reviews
and the monthly email stay with the CLI and the classic add-in (:data:`NOT_IN_LITE` says why);
their script says so. Nothing here, nor anything it imports, needs WeasyPrint, SMTP, processes
or subprocesses (``tests/test_lite.py`` imports it with those blocked). This module never
imports ``xlwings.server`` or ``xlwings.pro``.

``crm-addin excel lite`` prints the ``main.py`` and ``requirements.txt`` to paste into Lite's
editor (:func:`lite_files`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import xlwings as xw

import addin.functions  # noqa: F401  (declares every CRM_ function)
from addin import __version__
from addin.functions.ranges import FUNCTIONS, FunctionInfo, from_officejs

DIST_NAME = "crm-addin"
# Pyodide releases whose pandas keeps 9999-12-31 a date (pandas 3); see the README.
PYODIDE = "314.0.8"
NOT_IN_LITE = (
    "PDF key-account reviews and the monthly email are not available in xlwings Lite: the PDFs "
    "need WeasyPrint with the Pango library, which the browser does not have, and a browser "
    "opens no SMTP connection. Run `crm-addin report` and `crm-addin monthly` on a computer, "
    "or use the Reports buttons of the classic CRM add-in in Excel on Windows or a Mac."
)


def lite_function(info: FunctionInfo) -> Callable[..., Any]:
    """The Lite twin of one classic CRM function: same name, signature, docstring, argument
    help and category; arguments declared ``raw`` and read by :func:`from_officejs`."""
    classic = info.func

    def door(*args: Any) -> Any:
        return classic(*(from_officejs(a) for a in args))

    door.__name__ = door.__qualname__ = info.name
    door.__doc__ = classic.__doc__
    door.__module__ = __name__
    door.__signature__ = inspect.signature(classic)  # type: ignore[attr-defined]
    door.__crm__ = info  # type: ignore[attr-defined]
    decorated: Callable[..., Any] = door
    for arg in reversed(info.arguments):
        decorated = xw.arg(arg.name, "raw", doc=arg.doc)(decorated)
    return xw.func(**info.xlwings_options())(decorated)


FUNCTIONS_LITE: dict[str, Callable[..., Any]] = {
    name: lite_function(info) for name, info in sorted(FUNCTIONS.items())}
globals().update(FUNCTIONS_LITE)


def _run(macro: str, book: Any) -> Any:
    from addin.excel import macros
    from addin.excel.book import ExcelBook

    return getattr(macros, macro)(ExcelBook(book))


@xw.script
def crm_validate(book: xw.Book):
    """Validate: check the workbook against the CRM contract, problems on a Validation sheet."""
    return _run("validate", book)


@xw.script
def crm_tier(book: xw.Book):
    """Tier: ABC, key-account pyramid, RFM, lifetime value and life cycle on a Tiers sheet."""
    return _run("tier", book)


@xw.script
def crm_survey(book: xw.Book):
    """Analyse survey: CSAT, NPS, gaps, Kano, drivers and reliability on Survey Results."""
    return _run("survey", book)


@xw.script
def crm_scorecard(book: xw.Book):
    """Evaluate scorecard: progress, status, roll-up, AHP weights on Scorecard Results."""
    return _run("scorecard", book)


@xw.script
def crm_function_reference(book: xw.Book):
    """Function reference: every CRM_ function with its arguments, on a sheet."""
    return _run("show_function_reference", book)


@xw.script
def crm_reports_and_email(book: xw.Book):
    """Reports and email: says where to make them (not in the browser)."""
    from addin.excel.book import ExcelBook

    ExcelBook(book).message(NOT_IN_LITE)


SCRIPTS = ("crm_validate", "crm_tier", "crm_survey", "crm_scorecard", "crm_function_reference",
           "crm_reports_and_email")


def lite_files(wheel_url: str | None = None) -> dict[str, str]:
    """``main.py`` and ``requirements.txt`` for xlwings Lite's editor, pinned to this version.
    The package comes from PyPI by name, or from ``wheel_url`` (an HTTPS address whose host
    allows CORS, e.g. a release asset); its core dependencies are all in Pyodide or pure
    Python (no WeasyPrint, click, pyOpenVBA or SMTP pieces: those are extras)."""
    if wheel_url is not None and not wheel_url.startswith("https://"):
        raise ValueError(f"--wheel-url must be an https:// address (got {wheel_url!r}): "
                         "xlwings Lite installs packages over HTTPS only")
    main = (
        f'"""The CRM add-in {__version__} in xlwings Lite: the CRM_ worksheet functions and the\n'
        "CRM scripts (Validate, Tier, Analyse survey, Evaluate scorecard, Function reference).\n"
        f"Generated by `crm-addin excel lite`; needs Pyodide {PYODIDE} or later (pandas 3).\n"
        '"""\n\n'
        "from addin.excel.lite import *  # noqa: F403\n"
    )
    requirement = wheel_url or f"{DIST_NAME}=={__version__}"
    requirements = (
        f"# The CRM add-in {__version__} (core only: no PDF or mail pieces in the browser)\n"
        f"{requirement}\n"
    )
    return {"main.py": main, "requirements.txt": requirements}


__all__ = [*FUNCTIONS_LITE, *SCRIPTS]  # what main.py imports into Lite
