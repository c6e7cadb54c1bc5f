"""Bad input as a value for users: one exception type carrying where and what.

Every problem names the sheet, the row as Excel shows it (row 1 is the header, row 2 the first
data row), the column (its header and its letter) and what was expected, so a manager can go
straight to the cell. Reading collects every problem of a workbook before raising (as pandera's
``validate(lazy=True)`` does), so one run lists them all.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]

LOG_DIR_ENV = "CRM_ADDIN_LOG_DIR"  # overrides the per-user folder (tests, locked-down PCs)
LOG_NAME = "crm-addin.log"
LOG_MAX_BYTES = 1_000_000  # then the file becomes crm-addin.log.1 and a new one starts


def column_letter(index: int) -> str:
    """Excel column letter for a 0-based column index (0 -> A, 25 -> Z, 26 -> AA)."""
    if index < 0:
        raise ValueError("column index must be >= 0")
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel shows -1, not -1.0
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) about the input.

    ``row`` is the Excel row number; ``column`` the header as the user wrote it and
    ``letter`` its column letter, when known. ``expected`` says what would have been right.
    """

    expected: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    letter: str | None = None
    value: object = None
    has_value: bool = False
    severity: Severity = "error"

    @property
    def cell(self) -> str | None:
        if self.letter and self.row:
            return f"{self.letter}{self.row}"
        return None

    def location(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            col = f"column {self.column!r}"
            if self.letter:
                col += f" ({self.letter})"
            parts.append(col)
        elif self.letter:
            parts.append(f"column {self.letter}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.expected}" if where else self.expected
        if self.has_value:
            text += f" (found {_show(self.value)})"
        return text


class InputError(ValueError):
    """The input cannot be used as given. Carries one or more :class:`Problem`.

    The one exception for bad input: every routine raises it (never a bare ``ValueError``),
    and every door turns it into a message for the user (the CLI's exit 2, a ``#CRM!`` cell,
    a message box). It is a ``ValueError`` so that code written against the standard
    exception still catches it; a door must not do the reverse (take any ``ValueError`` for
    bad input): a ``ValueError`` that is not an ``InputError`` is a bug.

    ``InputError("expected a date", sheet="Transactions", row=7, column="date")`` for one
    problem, or ``InputError.from_problems(problems)`` for many. The first problem's fields are
    exposed as ``sheet``, ``row``, ``column`` and ``expected``.
    """

    def __init__(
        self,
        expected: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        letter: str | None = None,
        value: object = None,
        has_value: bool = False,
        problems: Iterable[Problem] | None = None,
    ) -> None:
        if problems is not None:
            self.problems = list(problems)
        else:
            self.problems = [
                Problem(expected, sheet, row, column, letter, value, has_value, "error")
            ]
        first = self.problems[0]
        self.sheet, self.row, self.column = first.sheet, first.row, first.column
        self.expected = first.expected
        super().__init__(self._summary())

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> InputError:
        problems = list(problems)
        if not problems:
            raise ValueError("InputError needs at least one problem")
        return cls(problems[0].expected, problems=problems)

    def _summary(self) -> str:
        first = str(self.problems[0])
        more = len(self.problems) - 1
        return first if not more else f"{first} (and {more} more problem{'s' * (more > 1)})"

    def lines(self, limit: int | None = None) -> list[str]:
        """One readable line per problem, capped at ``limit`` with a count of the rest."""
        shown = self.problems if limit is None else self.problems[:limit]
        out = [str(p) for p in shown]
        rest = len(self.problems) - len(shown)
        if rest > 0:
            out.append(f"... and {rest} more problem{'s' * (rest > 1)}")
        return out


# --------------------------------------------------------------------------------------------
# Bugs: logged with their traceback where the user can find them


def log_folder() -> Path:
    """The per-user folder of the add-in's log: ``%LOCALAPPDATA%\\crm-addin\\Logs`` on
    Windows, ``~/Library/Logs/crm-addin`` on macOS, ``$XDG_STATE_HOME/crm-addin`` (default
    ``~/.local/state/crm-addin``) elsewhere; the environment variable ``CRM_ADDIN_LOG_DIR``
    overrides it."""
    override = os.environ.get(LOG_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    home = Path.home()
    system = platform.system()
    if system == "Windows":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "crm-addin" \
            / "Logs"
    if system == "Darwin":
        return home / "Library" / "Logs" / "crm-addin"
    return Path(os.environ.get("XDG_STATE_HOME") or home / ".local" / "state") / "crm-addin"


def log_bug(where: str, exc: BaseException) -> Path | None:
    """Append ``exc`` with its traceback to ``crm-addin.log`` in :func:`log_folder` (kept
    under about 1 MB: the older half moves to ``crm-addin.log.1``). Returns the file, or None
    when it cannot be written (a read-only profile must not turn one bug into two)."""
    path = log_folder() / LOG_NAME
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
            path.replace(path.with_name(LOG_NAME + ".1"))
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {where} failed (a bug; please report it with this entry)\n{text}\n")
    except OSError:
        return None
    return path
