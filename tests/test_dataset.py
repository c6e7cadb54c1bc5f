"""``--transactions`` as a Parquet dataset (a folder or a glob), read out of core with DuckDB
(:mod:`addin.workbook.dataset`): the same Tiers numbers as the log read whole, to the last
digit, and bad datasets named by file, row and column."""

import sys

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from addin.cli import cli
from addin.errors import InputError
from addin.jobs.tier import tier_workbook
from addin.tiering import customer_days, rfm_summary
from addin.workbook import load_crm_workbook

pytest.importorskip("duckdb")


def a_log(seed: int = 3, customers: int = 60, lines: int = 900) -> pd.DataFrame:
    """Order lines with several lines on one customer's day (sums of 3+ doubles, whose last
    digit depends on the order they are added in), returns and margins."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, lines)
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, lines), "D")
    amount = np.round(rng.gamma(2.0, 300.0, lines), 2) * np.where(rng.random(lines) < 0.05,
                                                                    -1, 1)
    frame = pd.DataFrame({"customer_id": [f"C{i:03d}" for i in ids], "date": day,
                          "amount": amount, "margin": np.round(amount * 0.3, 2),
                          "product": "widget"})
    # one day with three lines whose sum depends on the order they are added in
    burst = pd.DataFrame({"customer_id": "C001", "date": pd.Timestamp("2024-06-03"),
                          "amount": [0.1, 0.2, 0.3], "margin": [0.1] * 3,
                          "product": "widget"})
    # rows 450-452: split between part-1 and part-2 when the log is cut into four files
    return pd.concat([frame.iloc[:450], burst, frame.iloc[450:]], ignore_index=True)


def a_book(folder):
    wb = openpyxl.Workbook()
    wb.active.title = "Settings"
    wb.active.append(["key", "value"])
    wb.active.append(["clv_months", 12])
    customers = wb.create_sheet("Customers")
    customers.append(["customer_id", "name"])
    for i in range(0, 70, 7):
        customers.append([f"C{i:03d}", f"Customer {i}"])
    path = folder / "book.xlsx"
    wb.save(path)
    return path


def split(log: pd.DataFrame, folder, parts: int):
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(log)), parts)):
        log.iloc[rows].to_parquet(folder / f"part-{i}.parquet")
    return folder


def tiers(book, transactions) -> pd.DataFrame:
    wb = load_crm_workbook(book, transactions=transactions,
                           sheets=("Customers", "Transactions", "Settings"))
    return tier_workbook(wb).tiers


def test_the_three_line_day_depends_on_the_order_of_addition():
    # why the dataset path keeps the log's order within a day: numpy's netting of the day
    # gives a different last digit for the lines in another order
    net = customer_days(a_log().iloc[450:453])["amount"].iloc[0]
    backwards = customer_days(a_log().iloc[450:453].iloc[::-1])["amount"].iloc[0]
    assert net != backwards and abs(net - backwards) < 1e-15


def test_one_file_a_folder_and_a_glob_give_the_same_tiers_to_the_last_digit(tmp_path):
    log = a_log()
    book = a_book(tmp_path)
    log.to_parquet(tmp_path / "log.parquet")
    whole = tiers(book, tmp_path / "log.parquet")
    folder = split(log, tmp_path / "log", 4)
    by_folder = tiers(book, folder)
    by_glob = tiers(book, tmp_path / "log" / "*.parquet")
    single_as_dataset = tiers(book, tmp_path / "log*.parquet")  # a glob matching one file
    for other in (by_folder, by_glob, single_as_dataset):
        pd.testing.assert_frame_equal(whole, other, check_exact=True)
    assert len(whole) == 60 + 1  # the Customers sheet's C063 has no orders
    # the day of three lines, across two files, is netted in the log's order, as in memory
    days = load_crm_workbook(book, transactions=folder, sheets=("Transactions",))["Transactions"]
    day = days[(days["customer_id"] == "C001") & (days["date"] == "2024-06-03")]
    assert day["amount"].iloc[0] == customer_days(log.iloc[450:453])["amount"].iloc[0]


def test_the_dataset_reads_as_one_line_per_customer_and_day(tmp_path):
    log = a_log()
    folder = split(log, tmp_path / "log", 3)
    book = a_book(tmp_path)
    days = load_crm_workbook(book, transactions=folder, sheets=("Transactions",))["Transactions"]
    expected = customer_days(log)
    assert list(days.columns) == ["customer_id", "date", "amount", "margin"]
    np.testing.assert_array_equal(days["customer_id"].to_numpy(),
                                  expected["customer_id"].to_numpy())
    np.testing.assert_array_equal(days["amount"].to_numpy(), expected["amount"].to_numpy())
    # the summary of the days is the summary of the lines
    pd.testing.assert_frame_equal(rfm_summary(days), rfm_summary(log), check_exact=True)


def test_hive_partitions_in_subfolders_are_read(tmp_path):
    log = a_log()
    book = a_book(tmp_path)
    log.to_parquet(tmp_path / "log.parquet")
    for year, part in log.groupby(log["date"].dt.year):
        (tmp_path / "hive" / f"year={year}").mkdir(parents=True)
        part.to_parquet(tmp_path / "hive" / f"year={year}" / "part-0.parquet")
    # the year folders sort in date order, so each day's lines keep the log's order
    pd.testing.assert_frame_equal(tiers(book, tmp_path / "log.parquet"),
                                  tiers(book, tmp_path / "hive"), check_exact=True)


def problems_of(book, transactions) -> list[str]:
    with pytest.raises(InputError) as info:
        load_crm_workbook(book, transactions=transactions, sheets=("Transactions",))
    return [str(p) for p in info.value.problems]


def test_a_missing_column_is_named_with_its_file(tmp_path):
    log = a_log()
    folder = split(log, tmp_path / "log", 3)
    log.iloc[:10].drop(columns="amount").to_parquet(folder / "part-9.parquet")
    [problem] = problems_of(a_book(tmp_path), folder)
    assert "part-9.parquet" in problem and "missing required column amount" in problem


def test_a_column_of_the_wrong_type_is_named_with_its_file(tmp_path):
    folder = split(a_log(), tmp_path / "log", 2)
    bad = a_log().iloc[:5].assign(amount=True)
    bad.to_parquet(folder / "part-2.parquet")
    [problem] = problems_of(a_book(tmp_path), folder)
    assert "part-2.parquet" in problem and "'amount'" in problem
    assert "Parquet type bool" in problem and "expected numbers" in problem


def test_bad_rows_are_named_by_file_row_and_column(tmp_path):
    log = a_log()  # dates and amounts as text, as an export may give them
    log["date"] = log["date"].dt.strftime("%Y-%m-%d")
    log["amount"] = log["amount"].map("{:,.2f}".format)
    log.loc[7, "date"] = "31/12/2024"  # ambiguous day-first text
    log.loc[500, "amount"] = "twelve"
    log.loc[501, "customer_id"] = None
    folder = split(log, tmp_path / "log", 2)  # lines 0-451 and 452-902
    found = problems_of(a_book(tmp_path), folder)
    assert len(found) == 3
    # record i of a file is row i + 1 (the header is row 1), as for one .parquet file
    assert "sheet 'part-0.parquet', row 9, column 'date'" in found[0]
    assert "'31/12/2024'" in found[0]
    assert "sheet 'part-1.parquet', row 50, column 'amount'" in found[1]
    assert "'twelve'" in found[1]
    assert "sheet 'part-1.parquet', row 51, column 'customer_id'" in found[2]
    # the same rows, read as one file, are named the same way
    log.to_parquet(tmp_path / "one.parquet")
    whole = problems_of(a_book(tmp_path), tmp_path / "one.parquet")
    assert "row 9" in whole[0] and "row 502" in whole[1] and "row 503" in whole[2]


def test_an_empty_folder_and_a_glob_matching_nothing(tmp_path):
    book = a_book(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no logs here")
    [problem] = problems_of(book, tmp_path / "empty")
    assert "holds no .parquet files" in problem
    [problem] = problems_of(book, tmp_path / "logs" / "*.parquet")
    assert "matches no file" in problem
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "a.csv").write_text("customer_id,date,amount\n")
    [problem] = problems_of(book, tmp_path / "mixed" / "*")
    assert "a.csv" in problem and "is not a .parquet file" in problem


def test_the_cli_tiers_a_folder_and_reports_a_bad_one_without_a_traceback(tmp_path):
    book = a_book(tmp_path)
    folder = split(a_log(), tmp_path / "log", 3)
    out = CliRunner().invoke(cli, ["tier", str(book), "--transactions", str(folder), "-o",
                                   str(tmp_path / "out.xlsx")])
    assert out.exit_code == 0, out.output
    assert "61 customers tiered" in out.output
    a_log().iloc[:3].drop(columns="date").to_parquet(folder / "part-7.parquet")
    out = CliRunner().invoke(cli, ["tier", str(book), "--transactions",
                                   str(tmp_path / "log" / "*.parquet")])
    assert out.exit_code == 2
    assert "part-7.parquet" in out.output and "missing required column date" in out.output
    assert "Traceback" not in out.output


def test_a_file_whose_name_looks_like_a_glob_is_read_as_one_file(tmp_path):
    log = a_log()
    book = a_book(tmp_path)
    log.to_parquet(tmp_path / "log[2026].parquet")
    log.to_parquet(tmp_path / "log.parquet")
    pd.testing.assert_frame_equal(tiers(book, tmp_path / "log[2026].parquet"),
                                  tiers(book, tmp_path / "log.parquet"), check_exact=True)
    wb = load_crm_workbook(book, transactions=tmp_path / "log[2026].parquet",
                           sheets=("Transactions",))
    assert "product" in wb["Transactions"].columns  # the lines, not netted days


def test_without_duckdb_the_message_says_what_to_install(tmp_path, monkeypatch):
    folder = split(a_log(), tmp_path / "log", 2)
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now fails
    [problem] = problems_of(a_book(tmp_path), folder)
    assert "needs DuckDB" in problem and "crm-addin[scale]" in problem
