"""Fixtures shared by the test modules: workbooks built from a few rows, and LibreOffice
headless conversions (to .xls, .ods or .csv) so tests see what another spreadsheet program sees.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import openpyxl
import pytest
from hypothesis import settings

# Property tests check invariants, not speed (speed lives in bench/): on a shared CI machine a
# first example that imports scipy can take longer than hypothesis' 200 ms default deadline.
settings.register_profile("crm", deadline=None, max_examples=60)
settings.load_profile("crm")


def write_xlsx(
    path: Path,
    sheets: Mapping[str, Iterable[Iterable[object]]],
    *,
    states: Mapping[str, str] | None = None,
    merged: Mapping[str, Iterable[str]] | None = None,
) -> Path:
    """Write ``{sheet: rows}`` to ``path`` with openpyxl. ``states`` hides sheets
    (``"hidden"`` or ``"veryHidden"``); ``merged`` merges ranges (``{"Customers": ["B1:C1"]}``).
    A visible "Notes" sheet is added when every sheet is hidden (a workbook needs one)."""
    states, merged = states or {}, merged or {}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
        for cells in merged.get(title, ()):
            ws.merge_cells(cells)
        ws.sheet_state = states.get(title, "visible")
    if not any(ws.sheet_state == "visible" for ws in wb.worksheets):
        wb.create_sheet("Notes")
    wb.save(path)
    return path


@pytest.fixture
def make_xlsx(tmp_path):
    """``make_xlsx({"Customers": rows}, name="book.xlsx", states=..., merged=...)`` -> path
    of a workbook written into the test's own folder."""

    def make(sheets, name: str = "book.xlsx", **kwargs) -> Path:
        return write_xlsx(tmp_path / name, sheets, **kwargs)

    return make


class Soffice:
    """LibreOffice headless. Each call gets its own user profile, so parallel runs (and a
    LibreOffice the developer has open) do not clash, and a time limit."""

    def __init__(self, exe: str, timeout: float = 180) -> None:
        self.exe = exe
        self.timeout = timeout

    def convert(self, src: Path, fmt: str, outdir: Path | None = None,
                infilter: str | None = None) -> Path:
        """``soffice --convert-to FMT --outdir DIR SRC``; ``fmt`` may carry a filter
        (``"csv:Text - txt - csv (StarCalc):..."``); ``infilter`` names the import filter
        where LibreOffice does not detect the type itself (an ``.xlam``). Returns the written
        file."""
        src = Path(src)
        outdir = Path(outdir) if outdir is not None else src.parent
        outdir.mkdir(parents=True, exist_ok=True)
        profile = Path(tempfile.mkdtemp(prefix="soffice-profile-"))
        cmd = [self.exe, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", *([f"--infilter={infilter}"] if infilter else []),
               "--convert-to", fmt, "--outdir", str(outdir), str(src)]
        # soffice is a wrapper script that starts soffice.bin: kill the whole group on timeout
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"soffice took more than {self.timeout:.0f} s converting {src.name}")
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        # "convert a.xlsx -> a.xls using filter ..." or, for one sheet of a CSV export,
        # "Writing sheet Tiers -> a-Tiers.csv"
        written = [line.split(" -> ", 1)[1].split(" using filter")[0].strip()
                   for line in out.splitlines() if " -> " in line]
        result = Path(written[-1]) if written else outdir / f"{src.stem}.{fmt.split(':')[0]}"
        if proc.returncode != 0 or not result.exists():
            pytest.fail(f"soffice did not convert {src.name} to {fmt} "
                        f"(exit {proc.returncode}): {out} {err}")
        return result

    def to_csv(self, src: Path, sheet: str | None = None, outdir: Path | None = None) -> Path:
        """One sheet (the first by default) as UTF-8 CSV with cells as shown."""
        number = 1
        if sheet is not None:
            import python_calamine

            book = python_calamine.CalamineWorkbook.from_path(str(src))
            try:
                number = book.sheet_names.index(sheet) + 1
            finally:
                book.close()
        # field sep ",", quote '"', UTF-8, ..., save cell contents as shown, sheet number
        fmt = f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,{number}"
        return self.convert(src, fmt, outdir)


@pytest.fixture(scope="session")
def soffice():
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        message = "LibreOffice (soffice) is not installed; scripts/setup.sh installs it"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI runs the set-up script: a missing soffice is a bug there
        pytest.skip(message)
    return Soffice(exe)


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 for one test: ``(inbox, port)``, see smtp_helpers."""
    from smtp_helpers import Inbox, running_server

    inbox = Inbox()
    with running_server(inbox) as port:
        yield inbox, port


@pytest.fixture(autouse=True)
def _bug_log_in_the_test_folder(tmp_path_factory, monkeypatch):
    """A UDF bug is logged in the per-user log folder: in tests, a temporary one, never the
    developer's own."""
    if "CRM_ADDIN_LOG_DIR" not in os.environ:
        monkeypatch.setenv("CRM_ADDIN_LOG_DIR", str(tmp_path_factory.getbasetemp() / "logs"))


# Files whose module fixtures take minutes (the wheel is built, installed and runs the whole demo)
# go first: pytest-xdist's --dist loadfile hands out files in collection order, and the last
# file to start sets the suite's end (test_wheel.py, last by name, ran two minutes alone).
_LONGEST_FIRST = ("test_wheel.py", "test_report_macros.py", "test_mail_transports.py",
                  "test_bad_input.py")


def pytest_collection_modifyitems(config, items):
    def rank(item):
        name = item.path.name
        return _LONGEST_FIRST.index(name) if name in _LONGEST_FIRST else len(_LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within each file, and of the others, is kept
