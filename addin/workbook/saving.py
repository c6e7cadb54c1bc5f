"""Saving result sheets safely, into a copy of the user's workbook or back into it.

Each result is an Excel table (ListObject) with a header row, number formats by column type
(dates ``yyyy-mm-dd``, integers ``#,##0``, decimals ``#,##0.00``, shares ``0.0%``), a frozen
header and column widths fitted to the content (CJK characters count double). A sheet may hold
several tables one below the other, each under a bold title.

Safety rules:

* The user's workbook is read, never rebuilt: result sheets are added at the package level
  (:mod:`addin.workbook.package`), so every part already there (charts, pictures, pivot tables,
  VBA, names, external links) is copied byte for byte. Results go to a copy unless
  ``in_place=True`` asks to write them back, which first keeps a backup
  (``book.bak-YYYYmmdd-HHMMSS.xlsx`` beside the workbook).
* The write is atomic: a temporary file in the destination folder, then a rename, so an
  interrupted run leaves either the old file or the new one, never half of one. A run killed
  mid-write (``kill -9``) leaves its temporary files; they carry its process id, and the next
  write to the same workbook removes those whose process is gone.
* Text from the data is written as text, never as a formula: a value that begins with ``=``,
  ``+``, ``-`` or ``@`` is stored as a string cell, so ``=HYPERLINK(...)`` in a customer name
  stays inert. Characters XML cannot hold are removed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from addin.contract.schema import EXCEL_MAX_ROWS
from addin.errors import InputError
from addin.workbook.results import CHART_ROWS, ResultTable, SheetContent, result_tables
from addin.workbook.writer import add_result_sheet

_OPENPYXL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")


_TMP_MARK = "crm-tmp"
_RENDERED = "crm-results"


def _tmp_prefix(dest: Path) -> str:
    """Temporary files carry the writer's process id, so the next run can tell a leftover
    of a killed run (its process is gone) from a write still going on."""
    return f".{dest.stem}.{_TMP_MARK}-{os.getpid()}-"


def _dead(pid_text: str) -> bool:
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, but another user's
        return False
    return False


def clean_leftovers(dest: Path) -> list[Path]:
    """Remove what a killed write left behind (``kill -9``, a power cut): the temporary copy
    beside ``dest`` and the rendered result sheets in the temporary folder, when the process
    that wrote them is gone. Returns the files removed."""
    removed = []
    candidates = [(p, p.name[len(f".{dest.stem}.{_TMP_MARK}-"):])
                  for p in dest.parent.glob(f".{dest.stem}.{_TMP_MARK}-*")]
    candidates += [(p, p.name[len(f"{_RENDERED}-"):])
                   for p in Path(tempfile.gettempdir()).glob(f"{_RENDERED}-*-*.xlsx")]
    for path, rest in candidates:
        if _dead(rest.split("-", 1)[0]):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def atomic_save(wb, dest: Path) -> None:
    """Save an openpyxl workbook to ``dest`` through a temporary file and a rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(dest)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(dest), suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_results_path(source: str | Path) -> Path:
    """``book.xlsx`` -> ``book_results.xlsx`` beside it (``.xlsm`` keeps its macros suffix)."""
    source = Path(source)
    suffix = source.suffix.lower() if source.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    return source.with_name(f"{source.stem}_results{suffix}")


_PACKAGE_SUFFIXES = (".xlsx", ".xlsm")


def write_result_sheets(
    dest: str | Path,
    sheets: Mapping[str, SheetContent],
    *,
    source: str | Path | None = None,
    in_place: bool = False,
    backup: bool = True,
) -> Path:
    """Write ``sheets`` (sheet name -> DataFrame, ResultTable or list of them) to ``dest``.

    With ``source``, ``dest`` is that workbook with the result sheets added (a sheet of the
    same name, from an earlier run, is replaced where it stands; new ones go last). When
    ``dest`` already exists (an earlier results copy), the sheets it holds that the source does
    not (the results of other commands) are kept, so ``tier``, ``survey`` and ``scorecard`` run
    one after another leave all their sheets in one copy, beside the source's current data;
    :func:`earlier_sheets` names them. An .xlsx or
    .xlsm source is copied part for part, so nothing in it is lost; what could not be kept
    (encryption, a signature, VBA going to .xlsx, ...) is refused with an InputError naming it.
    Other sources (.xls, .xlsb, .ods, CSV) give a new workbook holding the result sheets.

    ``dest`` may not be the source, unless ``in_place=True``: then ``dest`` is the user's own
    .xlsx/.xlsm (``source`` may be omitted or must name the same file), the results are
    written into it through a temporary file in its folder and an atomic rename, and with
    ``backup`` the original is first kept as ``<name>.bak-YYYYmmdd-HHMMSS<suffix>`` beside it.
    A failure at any point leaves the original as it was. Returns ``dest``.

    A sheet whose tables need more rows than Excel's 1,048,576 keeps the first rows of its
    longest table, and that table goes whole to a Parquet file beside ``dest``
    (:func:`spill_rows`); the sheet says so in the table's title.
    """
    dest = Path(dest)
    if dest.suffix.lower() not in _PACKAGE_SUFFIXES:
        raise InputError(f"{dest.name}: result workbooks are written as .xlsx (or .xlsm)")
    if in_place:
        if source is not None and Path(source).resolve() != dest.resolve():
            raise ValueError("in_place writes into dest itself; source must be dest or None")
        source = dest
        _check_writable_in_place(dest)
    elif source is not None:
        source = Path(source)
        if source.exists() and dest.exists() and source.resolve() == dest.resolve():
            raise InputError(
                f"{dest.name} is the workbook being read; results go to a copy "
                f"(for example {default_results_path(source).name}), or back into it "
                "with in-place writing")
    sheets = spill_rows(dest, sheets)
    if source is not None and source.suffix.lower() in _PACKAGE_SUFFIXES:
        carry = [] if in_place else _earlier_results(dest, source)
        _write_into_package(dest, sheets, source, in_place=in_place, backup=backup,
                            carry=carry)
        return dest
    if not in_place and dest.exists():  # an earlier results copy of a CSV, .xls, ... source
        _earlier_results(dest, None)  # refuses a file that is not a workbook
        _write_into_package(dest, sheets, dest, in_place=False, backup=False)
        return dest
    return _write_with_openpyxl(dest, sheets, source)


def earlier_sheets(dest: str | Path, source: str | Path | None,
                   sheets: Mapping[str, SheetContent] | Iterable[str]) -> list[str]:
    """The sheets of an existing results copy ``dest`` that writing ``sheets`` from ``source``
    keeps (results of earlier commands, and anything else the copy holds that the source does
    not): what a command tells the user it kept. Empty when ``dest`` does not exist yet or is
    the source itself."""
    dest = Path(dest)
    if not dest.exists() or (source is not None and Path(source).exists()
                             and Path(source).resolve() == dest.resolve()):
        return []
    if source is not None and Path(source).suffix.lower() not in _PACKAGE_SUFFIXES:
        source = None
    now = {name.casefold() for name in sheets}
    return [name for name in _earlier_results(dest, source) if name.casefold() not in now]


def _earlier_results(dest: Path, source: Path | None) -> list[str]:
    """Every sheet of an existing ``dest`` that ``source`` does not have (same-named sheets
    come from the source, whose data is newer)."""
    from addin.workbook.package import sheet_names

    if not dest.exists():
        return []
    try:
        names = sheet_names(dest)
    except InputError as exc:
        raise InputError(f"{dest.name} already exists and the results cannot be added to it: "
                         f"{exc}. Move it away, or write the results to another file") from exc
    mine = {n.casefold() for n in sheet_names(source)} if source is not None else set()
    return [name for name in names if name.casefold() not in mine]


SHEET_ROWS = EXCEL_MAX_ROWS  # rows of a worksheet (1,048,576), header rows included


def _rows_used(table: ResultTable) -> int:
    """Rows a table takes on its sheet, as :func:`addin.workbook.writer.write_table` lays it
    out: title, header, data (or the chart's height below the header, if more)."""
    data = len(table.frame)
    if table.chart is not None and data:
        data = max(data, CHART_ROWS)
    return (1 if table.title else 0) + 1 + data


def spill_rows(dest: Path, sheets: Mapping[str, SheetContent]) -> dict[str, SheetContent]:
    """Sheets that fit Excel's 1,048,576 rows: when a sheet's tables need more, its longest
    table is written whole to ``<dest stem>_<sheet>.parquet`` beside ``dest`` (atomically)
    and the sheet keeps its first rows, under a title saying how many and where the rest is.
    Other sheets are returned as they are."""
    out: dict[str, SheetContent] = {}
    for name, content in sheets.items():
        tables = result_tables(content)
        excess = sum(_rows_used(t) + 1 for t in tables) - 1 - SHEET_ROWS  # a blank between
        if excess <= 0:
            out[name] = content
            continue
        longest = max(range(len(tables)), key=lambda i: len(tables[i].frame))
        table = tables[longest]
        n = len(table.frame)
        keep = max(n - excess, 0)
        target = dest.with_name(f"{dest.stem}_{re.sub(r'[^A-Za-z0-9_-]+', '_', name)}.parquet")
        _atomic_parquet(table.frame, target)
        title = (f"{table.title or name}: the first {keep:,} of {n:,} rows (more than a sheet "
                 f"holds); all {n:,} rows are in {target.name} beside this workbook")
        tables[longest] = replace(
            table, frame=table.frame.iloc[:keep], title=title,
            links={c: list(v)[:keep] for c, v in table.links.items()})
        out[name] = tables
    return out


def _atomic_parquet(frame: pd.DataFrame, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=".parquet", dir=dest.parent)
    os.close(fd)
    try:
        try:
            frame.to_parquet(tmp, index=False)
        except (TypeError, ValueError):  # Arrow refuses object columns of mixed types
            mixed = frame.select_dtypes(include="object").columns
            frame.astype({c: "string" for c in mixed}).to_parquet(tmp, index=False)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_with_openpyxl(dest: Path, sheets: Mapping[str, SheetContent],
                         source: Path | None) -> Path:
    """The workbook rebuilt by openpyxl: for sources that are not OOXML packages (they become
    a new workbook of result sheets) and templates. Loses what openpyxl does not model."""
    from openpyxl import Workbook, load_workbook

    if source is not None and source.suffix.lower() in _OPENPYXL_SUFFIXES:
        keep_vba = source.suffix.lower() in (".xlsm", ".xltm")
        try:
            wb = load_workbook(source, keep_vba=keep_vba, keep_links=True)
        except Exception as exc:
            raise InputError(f"{source.name} cannot be copied ({type(exc).__name__}: "
                             f"{str(exc)[:120]})") from exc
    else:
        wb = Workbook()
        wb.remove(wb.active)
    for name, content in sheets.items():
        add_result_sheet(wb, name, content)
    atomic_save(wb, dest)
    return dest


def _check_writable_in_place(path: Path) -> None:
    if path.suffix.lower() not in _PACKAGE_SUFFIXES:
        raise InputError(f"{path.name}: results can be written back into .xlsx and .xlsm "
                         "workbooks only; write them to a copy")
    if not path.is_file():
        raise InputError(f"file not found: {path}; check the file name and folder")
    for lock in (f"~${path.name}", f".~lock.{path.name}#"):
        if (path.parent / lock).exists():
            raise InputError(f"{path.name} is open in Excel or LibreOffice ({lock} exists); "
                             "close it first, or write the results to a copy")


def _file_state(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _write_into_package(dest: Path, sheets: Mapping[str, SheetContent], source: Path, *,
                        in_place: bool, backup: bool, carry: Sequence[str] = ()) -> None:
    """Render the result sheets alone with openpyxl, graft them into ``source``'s package, and
    put the result at ``dest`` atomically (after a backup when writing in place).

    ``carry``: sheets of the existing ``dest`` (an earlier results copy) grafted into the
    source first, so results of earlier commands accumulate. A sheet rewritten now is carried
    as an empty stub (never parsed: an earlier 100,000-row sheet would cost its size in memory)
    and then replaced where it stands, so the tabs keep their order."""
    from openpyxl import Workbook

    from addin.workbook.package import graft_sheets, open_source

    before = _file_state(source)
    clean_leftovers(dest)
    fd, rendered = tempfile.mkstemp(prefix=f"{_RENDERED}-{os.getpid()}-", suffix=".xlsx")
    os.close(fd)
    rendered = Path(rendered)
    fd, carried = tempfile.mkstemp(prefix="crm-carried-", suffix=dest.suffix)
    os.close(fd)
    carried = Path(carried)
    streams: dict[str, list] = {}
    try:
        if sheets:
            wb = Workbook()
            wb.remove(wb.active)
            for name, content in sheets.items():
                streamed: list = []
                add_result_sheet(wb, name, content, streamed)
                if streamed:  # large tables: rendered as skeletons, their rows streamed
                    streams[wb.worksheets[-1].title] = streamed
            wb.save(rendered)
            del wb

        macro = dest.suffix.lower() == ".xlsm"
        rewritten = {name[:31].casefold() for name in sheets}

        def write(fh) -> None:
            base = source
            if carry:
                base = carried
                with carried.open("wb") as out:  # sheets rewritten now: places only
                    graft_sheets(source, dest, out, macro_dest=macro, only=carry,
                                 stubs=[n for n in carry if n.casefold() in rewritten])
            if sheets:
                graft_sheets(base, rendered, fh, macro_dest=macro, streams=streams)
            else:
                open_source(base).close()
                with base.open("rb") as src:
                    shutil.copyfileobj(src, fh)

        def before_replace() -> Path | None:
            if not in_place:
                return None
            if _file_state(source) != before:
                raise InputError(f"{source.name} was changed by another program while the "
                                 "results were being written; nothing was written, run again")
            return keep_backup(source) if backup else None

        _atomic_write(dest, write, before_replace)
    finally:
        rendered.unlink(missing_ok=True)
        carried.unlink(missing_ok=True)


def _atomic_write(dest: Path, write, before_replace) -> None:
    """``write(file)`` into a temporary file beside ``dest``, flushed to disk, then
    ``before_replace()`` (which may return a backup it made) and an atomic rename over
    ``dest``; on any failure the temporary file (and that backup) is removed and ``dest`` is as
    it was."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(dest), suffix=dest.suffix, dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if dest.exists():
            shutil.copymode(dest, tmp)
        else:  # mkstemp makes the file private; a results workbook is as shareable as any
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        made = before_replace()
        try:
            os.replace(tmp, dest)
        except OSError as exc:
            if made is not None:
                made.unlink(missing_ok=True)
            raise InputError(f"{dest.name} could not be replaced ({exc.strerror or exc}); it "
                             "may be open in another program. Nothing was changed") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup_path(path: Path, when: dt.datetime, n: int = 1) -> Path:
    """``book.xlsx`` -> ``book.bak-20261123-091500.xlsx`` (``-2``, ``-3`` ... for a second
    backup within the same second); the suffix stays, so Excel opens the backup as it is."""
    extra = "" if n == 1 else f"-{n}"
    return path.with_name(f"{path.stem}.bak-{when:%Y%m%d-%H%M%S}{extra}{path.suffix}")


def keep_backup(path: Path) -> Path:
    """Keep the current ``path`` as a backup beside it (a hard link where the file system has
    them: instant, and the rename that follows leaves it holding the old file; else a copy)."""
    when = dt.datetime.now()
    n = 1
    while True:
        target = backup_path(path, when, n)
        try:
            os.link(path, target)
            return target
        except FileExistsError:
            n += 1
        except OSError:
            try:
                with path.open("rb") as src, target.open("xb") as out:
                    try:
                        shutil.copyfileobj(src, out, 1 << 20)
                    except BaseException:
                        target.unlink(missing_ok=True)
                        raise
            except FileExistsError:
                n += 1
                continue
            shutil.copystat(path, target)
            return target
