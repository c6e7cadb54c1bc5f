"""The bounds that keep the work of any input finite: one place, each bound with its reason.

A workbook is data from outside; a hostile or unlucky one must not make a command hang, eat the
machine's memory or crash. Every limit the add-in applies to its input is named here, so the
README, the error messages and the tests quote the same numbers.

Numbers (:mod:`addin.workbook.reader`)
    ``MAX_MAGNITUDE``: a number cell must lie within +-10^15. Excel keeps 15 significant
    digits, so a larger amount cannot even hold its units exactly, and no CRM amount, margin,
    weight or KPI is that large; non-finite values (``inf``, ``1e400`` in a CSV) are refused
    too. The bound makes every sum safe: even 2^31 lines of 10^15 add up to 2.2 * 10^24, far
    from the float overflow at 1.8 * 10^308 (where matplotlib then fails with "Axis limits
    cannot be NaN or Inf" and shares print as ``nan%``).

Zip packages (.xlsx, .xlsm, .ods; :mod:`addin.workbook.guard`)
    A part is refused before it is inflated when its uncompressed size passes
    ``MAX_PART_BYTES`` or, for parts over ``RATIO_FLOOR_BYTES``, its compression ratio passes
    ``MAX_RATIO`` (a zip bomb: 4 MB that inflate to 1.1 GB is 275:1; real sheet XML compresses
    5-30:1); the whole package may not inflate to more than ``MAX_PACKAGE_BYTES``. The sizes a
    zip declares are checked first; the parts that are read are then inflated in a stream that
    stops at the same limits, so a zip that lies about its sizes is caught too.

Sheets (:mod:`addin.workbook.guard`)
    The fast reader (calamine) lays a sheet out as the dense rectangle from A1 to the last cell
    that is present, so one stray cell at XFD1048576 would ask for 17 billion cells. A sheet
    whose rectangle holds more than ``DENSE_CELLS`` cells and more than ``SPARSE_FACTOR``
    times the cells actually present is read cell by cell instead, so memory follows the data,
    not the used range.

Reports (:mod:`addin.reports`)
    A field that reaches a PDF, a running header or a chart is cut for layout at
    ``FIELD_CHARS`` columns (a Chinese character takes two) with an ellipsis; the result
    sheets keep the full value. Without the cut, a 2,000-character name laid out in the title,
    the running header of every page and the charts took 50 s a review. The running header
    shows the company and the document title cut to ``HEADER_CHARS`` columns each. A review
    or summary that still takes longer than the Settings key ``review_time_limit`` (default
    ``REVIEW_SECONDS``) is stopped in its worker and reported as skipped.

CSV logs (:mod:`addin.workbook.sources`)
    The header line is read once, on its own: duplicated names are reported once each (at most
    ``MAX_LISTED`` of them named) before pandas would rename 64,000 of them one by one.
"""

from __future__ import annotations

MAX_MAGNITUDE = 1e15

MAX_PART_BYTES = 512 * 1024 * 1024
MAX_PACKAGE_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 16 * 1024 * 1024

DENSE_CELLS = 2_000_000
SPARSE_FACTOR = 4

FIELD_CHARS = 80
HEADER_CHARS = 40
REVIEW_SECONDS = 60.0

MAX_LISTED = 10


def _width(ch: str) -> int:
    import unicodedata

    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def ellipsis(text: str, limit: int = FIELD_CHARS) -> str:
    """``text`` cut to at most ``limit`` columns (a Chinese character takes two, as on the
    page), ending in an ellipsis when cut."""
    if len(text) <= limit // 2:
        return text
    used = 0
    for i, ch in enumerate(text):
        used += _width(ch)
        if used > limit - 1:
            return text[:i].rstrip() + "\u2026"
    return text


def bound_strings(value, limit: int = FIELD_CHARS):
    """A copy of a report context (dicts, lists, tuples) with every string cut by
    :func:`ellipsis`: what reaches a PDF, a running header or a chart is bounded for layout,
    whatever the data holds."""
    if isinstance(value, str):
        return ellipsis(value, limit)
    if isinstance(value, dict):
        return {k: bound_strings(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [bound_strings(v, limit) for v in value]
    if isinstance(value, tuple):
        return tuple(bound_strings(v, limit) for v in value)
    return value


def magnitude_text() -> str:
    """The number bound as users read it in messages."""
    return "between -1e15 and 1e15"
