"""Transaction logs beyond memory: a Parquet dataset reduced to one line per customer and day.

``--transactions`` may name a *dataset*: a folder of ``.parquet`` files (its subfolders too,
as Hive-style partitions ``year=2026/part-0.parquet`` are laid out) or a glob such as
``logs/*.parquet``. :func:`read_transactions_dataset` reads it in three steps, in memory that
does not grow with the log:

1. **Check** each file's columns (the contract's names and aliases, as on a sheet) and types
   from its Parquet footer, then read it in batches of :data:`BATCH_ROWS` records, each
   validated by the reader's own rules (:func:`addin.workbook.reader.validate_raw`: blank or
   unreadable customer ids, dates and amounts, amounts beyond :mod:`addin.contract.limits`),
   every problem naming the file, the row (record ``i`` of a file is row ``i + 1``, counting
   the header as row 1, as for a single ``.parquet`` or ``.csv`` log) and the column.
2. **Sort** the valid lines (customer id, day, amount, margin and the line's position in the
   dataset) in DuckDB, an embedded engine that keeps its table in a database file and spills
   its sort to disk beyond ``memory_limit`` (:func:`duckdb_config`).
3. **Net** the sorted stream per customer and day, batch by batch, with
   :func:`addin.tiering.customer_days`, the same routine the tiering applies to a log in
   memory. The lines of a customer and day arrive in the order of the dataset (files in the
   order of their paths, then rows), so each day's sum adds the same doubles in the same order
   as for the log read whole: the Tiers sheet's numbers are identical to the last digit.

What stays in memory is one line per customer and purchase day (12 bytes of numbers and a
reference to the customer's id), not the log's lines and columns. Floating-point sums are not
done in SQL: DuckDB adds in parallel, in an order that is not the log's, and its sums could
differ from the in-memory path's in the last bit.

DuckDB is an optional dependency (``pip install crm-addin[scale]``), imported only here.
"""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from addin.contract.schema import SHEETS, canonical_column
from addin.errors import InputError, Problem

DATASET_SUFFIXES = (".parquet", ".pq")
BATCH_ROWS = 1 << 20  # records validated at a time, and sorted lines netted at a time
MAX_PROBLEMS = 1_000  # stop reading once this many problems are found: the first ones say it
_NEEDED = ("customer_id", "date", "amount", "margin")  # the columns tiering reads
_GLOB = set("*?[")


def is_dataset(spec: str | Path) -> bool:
    """A folder, or a name with glob characters (``*``, ``?``, ``[``) that is not itself a
    file (``log[2026].csv`` is one file): a Parquet dataset."""
    path = Path(str(spec))
    return path.is_dir() or (not path.is_file() and any(ch in _GLOB for ch in str(spec)))


def dataset_files(spec: str | Path) -> list[tuple[Path, str]]:
    """The files of a dataset as (path, name shown in messages), sorted by path: a folder's
    ``.parquet`` files (subfolders included), or a glob's matches (``**`` for any depth).
    InputError for an empty folder, a glob matching nothing, or a match that is no Parquet
    file."""
    text = str(spec)
    root = Path(text)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*")
                       if p.is_file() and p.suffix.lower() in DATASET_SUFFIXES)
        if not files:
            raise InputError(f"the folder {root} holds no .parquet files; a transaction "
                             "dataset is a folder of .parquet files (or a glob such as "
                             "logs/*.parquet)")
        return [(p, p.relative_to(root).as_posix()) for p in files]
    files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
    if not files:
        raise InputError(f"{text} matches no file; check the folder and the pattern "
                         "(for example logs/*.parquet)")
    wrong = [p for p in files if p.suffix.lower() not in DATASET_SUFFIXES]
    if wrong:
        raise InputError(f"{wrong[0]} (matched by {text}) is not a .parquet file; a transaction "
                         "dataset holds .parquet files only: narrow the pattern, e.g. "
                         f"{Path(text).parent / '*.parquet'}")
    return [(p, str(p)) for p in files]


def _import_duckdb():
    try:
        import duckdb
    except ImportError as exc:
        raise InputError("reading a Parquet dataset (a folder or a glob) needs DuckDB, which "
                         "is not installed; install it with: pip install 'crm-addin[scale]' "
                         "(or give one .parquet or .csv file)") from exc
    return duckdb


def duckdb_config(workdir: Path) -> dict[str, str]:
    """DuckDB's settings for the sort: a quarter of the machine's memory (at least 256 MB;
    the rest is for the netted days, the fits and the sheet), spilling to ``workdir``, and
    at most four threads (the sort is not the long part)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # Windows: no sysconf
        total = 4 << 30
    limit = max(256, total // 4 >> 20)
    return {"memory_limit": f"{limit}MB", "temp_directory": str(workdir / "spill"),
            "threads": str(max(1, min(4, os.cpu_count() or 1))),
            "preserve_insertion_order": "false"}


# --- 1. check -------------------------------------------------------------------------------


def _type_problem(kind: str, arrow_type) -> str | None:
    """Why a Parquet column of ``arrow_type`` cannot hold a contract column of ``kind``; None
    when it can (text is read as the reader reads text: numbers, dates, ``1,200.50``)."""
    import pyarrow as pa

    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    text = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)
    number = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    if kind == "id":
        ok = text or number
        expected = "customer ids (text or whole numbers)"
    elif kind == "date":
        ok = text or pa.types.is_timestamp(t) or pa.types.is_date(t) or number
        expected = "dates (a date or timestamp type, or text such as 2026-03-31)"
    else:
        ok = text or number
        expected = "numbers"
    return None if ok else f"holds values of Parquet type {t}; expected {expected}"


def _plan_file(path: Path, name: str) -> tuple[dict[str, str], list[Problem]]:
    """Contract column -> the file's column name, for the columns tiering reads, and the
    problems of the file's footer (unreadable, a required column missing, a wrong type)."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:
        return {}, [Problem(f"is not a readable Parquet file ({str(exc).strip()[:120]}); "
                            "export it again", sheet=name)]
    spec = SHEETS["Transactions"]
    plan: dict[str, str] = {}
    problems = []
    for field in schema:
        canon = canonical_column("Transactions", field.name)
        if canon not in _NEEDED:
            continue
        if canon in plan:
            problems.append(Problem(f"columns {plan[canon]!r} and {field.name!r} both mean "
                                    f"{canon!r}; keep one", sheet=name, row=1,
                                    column=field.name))
            continue
        plan[canon] = field.name
        why = _type_problem(spec.column(canon).kind, field.type)  # type: ignore[union-attr]
        if why:
            problems.append(Problem(why, sheet=name, row=1, column=field.name))
    missing = [c for c in ("customer_id", "date", "amount") if c not in plan]
    if missing:
        problems.append(Problem(
            f"missing required column{'s' * (len(missing) > 1)} {', '.join(missing)} "
            f"(found: {', '.join(schema.names) or 'nothing'})", sheet=name, row=1))
    return plan, problems


def _valid_batches(path: Path, name: str, plan: dict[str, str], problems: list[Problem],
                   warnings: list[Problem]):
    """The file's records in batches, validated as a sheet is: each batch's good lines as
    (customer ids, days since 1970-01-01, amounts, margins or None), problems appended."""
    import pyarrow.parquet as pq

    from addin.workbook.reader import validate_raw
    from addin.workbook.sources import RawSheet

    spec = SHEETS["Transactions"]
    pf = pq.ParquetFile(path)
    total = pf.metadata.num_rows
    first, first_batch = 2, True
    columns = list(plan.values())
    for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        frame = batch.to_pandas()
        frame.index = pd.RangeIndex(first, first + len(frame), name="row")
        first += len(frame)
        raw = RawSheet(name, columns, [frame[c] for c in columns], total + 1)
        typed, errors, batch_warnings = validate_raw(raw, spec)
        # a warning about the whole file (no row) once, from its first batch
        warnings.extend(w for w in batch_warnings if w.row is not None or first_batch)
        first_batch = False
        if errors:
            problems.extend(errors)
            if len(problems) >= MAX_PROBLEMS:
                return
            continue
        days = typed["date"].to_numpy().astype("datetime64[D]").astype(np.int32)
        margin = typed["margin"].to_numpy(dtype=float) if "margin" in typed else None
        yield (typed["customer_id"].to_numpy(dtype=object), days,
               typed["amount"].to_numpy(dtype=float), margin)


# --- 2. sort and 3. net ---------------------------------------------------------------------


def _net_sorted(reader, has_margin: bool) -> pd.DataFrame:
    """The sorted stream of lines netted per customer and day, one batch at a time; the last
    customer of a batch waits for the next, so no customer's day is split between two."""
    from addin.tiering import customer_days

    parts: list[pd.DataFrame] = []
    held: pd.DataFrame | None = None

    def net(lines: pd.DataFrame) -> None:
        if len(lines):
            parts.append(customer_days(lines))

    for batch in reader:
        frame = pd.DataFrame({
            "customer_id": batch.column(0).to_numpy(zero_copy_only=False).astype(object),
            "date": batch.column(1).to_numpy(zero_copy_only=False).astype(np.int64).astype(
                "datetime64[D]"),
            "amount": batch.column(2).to_numpy(zero_copy_only=False)})
        if has_margin:
            frame["margin"] = batch.column(3).to_numpy(zero_copy_only=False)
        if held is not None:
            frame = pd.concat([held, frame], ignore_index=True)
        ids = frame["customer_id"].to_numpy()
        last = ids[-1]
        cut = len(ids) - int(np.argmax(ids[::-1] != last)) if (ids != last).any() else 0
        net(frame.iloc[:cut])
        held = frame.iloc[cut:].reset_index(drop=True)
    if held is not None:
        net(held)
    if not parts:
        columns = {"customer_id": pd.Series(dtype=object),
                   "date": pd.Series(dtype="datetime64[s]"), "amount": pd.Series(dtype=float)}
        if has_margin:
            columns["margin"] = pd.Series(dtype=float)
        return pd.DataFrame(columns)
    out = pd.concat(parts, ignore_index=True)
    out.index = pd.RangeIndex(2, 2 + len(out), name="row")
    return out


def read_transactions_dataset(spec: str | Path, *,
                              progress: Callable[[str], None] | None = None
                              ) -> tuple[pd.DataFrame, list[Problem]]:
    """A Parquet dataset (folder or glob, see :func:`dataset_files`) as one line per customer
    and day (``customer_id``, ``date``, ``amount`` and ``margin`` netted, as
    :func:`addin.tiering.customer_days` gives them for a log in memory), and the warnings.

    Every file is checked (columns, types, then each record by the reader's rules); all
    problems of all files are raised together as one InputError (reading stops after
    :data:`MAX_PROBLEMS`). ``progress`` is called with each file's name as it is read."""
    files = dataset_files(spec)
    duckdb = _import_duckdb()
    import pyarrow as pa

    problems: list[Problem] = []
    warnings: list[Problem] = []
    plans = []
    for path, name in files:
        plan, file_problems = _plan_file(path, name)
        problems.extend(file_problems)
        plans.append(plan)
    if problems:
        raise InputError.from_problems(problems)
    has_margin = any("margin" in plan for plan in plans)

    with tempfile.TemporaryDirectory(prefix="crm-addin-dataset-") as tmp:
        work = Path(tmp)
        con = duckdb.connect(str(work / "lines.duckdb"), config=duckdb_config(work))
        try:
            con.execute("CREATE TABLE lines (customer_id VARCHAR, day INTEGER, amount DOUBLE, "
                        "margin DOUBLE, seq BIGINT)")
            seq = 0
            for (path, name), plan in zip(files, plans, strict=True):
                if progress:
                    progress(name)
                for ids, days, amounts, margins in _valid_batches(path, name, plan, problems,
                                                                  warnings):
                    n = len(ids)
                    seq += n
                    if problems:  # after a problem, only the checking goes on
                        continue
                    con.register("batch", pa.table({
                        "customer_id": pa.array(ids, pa.string()),
                        "day": pa.array(days, pa.int32()),
                        "amount": pa.array(amounts, pa.float64()),
                        "margin": pa.array(margins if margins is not None else np.full(n, np.nan),
                                           pa.float64()),
                        "seq": pa.array(np.arange(seq - n, seq, dtype=np.int64)),
                    }))
                    con.execute("INSERT INTO lines SELECT * FROM batch")
                    con.unregister("batch")
                if len(problems) >= MAX_PROBLEMS:
                    break
            if problems:
                raise InputError.from_problems(problems)
            sorted_lines = con.sql("SELECT customer_id, day, amount, margin FROM lines "
                                   "ORDER BY customer_id, day, seq")
            # the streaming Arrow reader: to_arrow_reader in DuckDB 2, fetch_arrow_reader in 1.x
            stream = (getattr(sorted_lines, "to_arrow_reader", None)
                      or sorted_lines.fetch_arrow_reader)
            reader = stream(BATCH_ROWS)
            days = _net_sorted(reader, has_margin)
        finally:
            con.close()
    return days, warnings

