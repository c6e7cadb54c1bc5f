"""``crm-addin tier`` on a copy of the demo workbook and on small workbooks: the Tiers sheet read
back, its numbers checked against an independent pandas computation, LibreOffice opening it."""

import csv
import datetime as dt
import math
import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write_xlsx

from addin.cli import cli
from addin.demo import demo_workbook_path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def read_tables(path, sheet="Tiers") -> dict[str, pd.DataFrame]:
    """Every Excel table of a sheet as a DataFrame, by the bold title written above it."""
    ws = openpyxl.load_workbook(path)[sheet]
    tables = {}
    for table in ws.tables.values():
        (top, left), (bottom, right) = (
            openpyxl.utils.cell.coordinate_to_tuple(c) for c in table.ref.split(":"))
        rows = [[ws.cell(r, c).value for c in range(left, right + 1)]
                for r in range(top, bottom + 1)]
        title = ws.cell(top - 1, left).value
        tables[title] = pd.DataFrame(rows[1:], columns=rows[0])
    return tables


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tier")
    book = folder / "demo_crm.xlsx"
    shutil.copyfile(demo_workbook_path(), book)
    result = run("tier", book)
    return book, folder / "demo_crm_results.xlsx", result


@pytest.fixture(scope="module")
def demo_revenue(demo_run) -> pd.Series:
    """Net revenue per customer up to the as_of setting, computed here without addin."""
    book = demo_run[0]
    settings = pd.read_excel(book, sheet_name="Settings", engine="calamine")
    as_of = pd.Timestamp(settings.set_index("key").loc["as_of", "value"])
    tx = pd.read_excel(book, sheet_name="Transactions", engine="calamine")
    customers = pd.read_excel(book, sheet_name="Customers", engine="calamine")
    tx = tx[pd.to_datetime(tx["date"]) <= as_of]
    ids = customers["customer_id"].astype(str).drop_duplicates()
    return tx.groupby("customer_id")["amount"].sum().reindex(ids, fill_value=0.0)


@pytest.mark.slow
def test_tier_writes_the_sheet_into_a_copy(demo_run):
    book, results, result = demo_run
    assert result.exit_code == 0, result.output
    assert "1,999 customers tiered as of 2026-10-31" in result.output
    assert "Pyramid: VIP 20, Key 80, Standard 300, Small 1,599" in result.output
    assert results.exists()
    wb = openpyxl.load_workbook(results)
    assert "Tiers" in wb.sheetnames and "Transactions" in wb.sheetnames  # a copy, plus Tiers
    ws = wb["Tiers"]
    assert len(ws._charts) == 1  # the native Pareto chart
    tables = read_tables(results)
    assert list(tables) == ["Customer tiering", "By ABC class", "By pyramid tier",
                            "By RFM segment", "By life-cycle stage", "Pareto curve",
                            "Customers"]
    headline = dict(zip(tables["Customer tiering"]["measure"],
                        tables["Customer tiering"]["value"], strict=True))
    assert headline["as of"] == dt.datetime(2026, 10, 31) and headline["customers"] == 1999
    share = headline["top 20% of customers bring"]  # a number with a percent format
    assert isinstance(share, float) and 0.75 < share < 0.8
    # the demo's 80/20: about a fifth of the customers bring about four fifths of revenue
    # by hand from the sheets: 1,999 customers' net revenue, largest first; the top 420
    # (21.0 %) bring 79.0 %, the first k with k / n + their share >= 1
    assert headline["Pareto point"] == "21.0% of customers bring 79.0% of value"


@pytest.mark.slow
def test_revenue_per_tier_and_class_match_an_independent_computation(demo_run, demo_revenue):
    tables = read_tables(demo_run[1])
    revenue = demo_revenue
    n = len(revenue)
    # pyramid: rank 1 = largest, ties share the best rank; cut at ceil(1 %, 5 %, 20 % of n)
    ranks = revenue.rank(method="min", ascending=False)
    cuts = [math.ceil(n * s) for s in (0.01, 0.05, 0.20)]
    tier = np.select([ranks <= cuts[0], ranks <= cuts[1], ranks <= cuts[2]],
                     ["VIP", "Key", "Standard"], "Small")
    expected = revenue.groupby(tier).agg(["size", "sum"])
    got = tables["By pyramid tier"].set_index("pyramid tier")
    assert got.index.tolist() == ["VIP", "Key", "Standard", "Small"]
    for label in got.index:
        assert got.loc[label, "customers"] == expected.loc[label, "size"]
        assert got.loc[label, "revenue"] == pytest.approx(expected.loc[label, "sum"], rel=1e-9)
    # ABC: largest first (ties by id), A while the share above is < 80 %, B while < 95 %
    ordered = revenue.sort_index().sort_values(ascending=False, kind="stable")
    positive = ordered.clip(lower=0)
    above = (positive.cumsum() - positive) / positive.sum()
    abc = pd.Series(np.where(above < 0.8, "A", np.where(above < 0.95, "B", "C")),
                    index=ordered.index).where(ordered > 0, "C")
    expected_abc = ordered.groupby(abc).agg(["size", "sum"])
    got_abc = tables["By ABC class"].set_index("abc class")
    for label in ("A", "B", "C"):
        assert got_abc.loc[label, "customers"] == expected_abc.loc[label, "size"]
        assert got_abc.loc[label, "revenue"] == pytest.approx(expected_abc.loc[label, "sum"])
    # the per-customer table agrees, customer by customer
    customers = tables["Customers"].set_index("customer_id")
    assert customers["revenue"].to_numpy() == pytest.approx(
        revenue.reindex(customers.index).to_numpy())
    assert (customers["pyramid_tier"] == pd.Series(tier, index=revenue.index)
            .reindex(customers.index)).all()
    # the Pareto curve ends at 100 % of customers and of revenue
    curve = tables["Pareto curve"]
    assert curve.iloc[0].tolist() == [0, 0, 0]
    assert curve.iloc[-1]["customers"] == n and curve.iloc[-1]["value_share"] == pytest.approx(1)


@pytest.mark.slow
@pytest.mark.libreoffice
def test_libreoffice_opens_the_tiers_sheet(demo_run, soffice, tmp_path):
    out = soffice.to_csv(demo_run[1], sheet="Tiers", outdir=tmp_path)
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    cells = {row[0]: row[1:] for row in rows if row}
    assert cells["Pareto point"][0].endswith("of value")
    assert cells["VIP"][0] == "20"  # customers in the VIP tier, as LibreOffice shows it
    assert "Customers" in cells and "Pareto curve" in cells


SETTINGS = [["key", "value"], ["as_of", "2026-02-28"], ["abc_a", "0.8"]]
CUSTOMERS = [["customer_id", "name"], ["a", "Alpha"], ["b", "Beta"], ["c", "Gamma"]]
TRANSACTIONS = [["customer_id", "date", "amount"], ["a", "2026-01-05", 500],
                ["b", "2026-01-20", 300], ["c", "2026-02-01", 200], ["c", "2026-03-10", 900]]


def test_tier_as_of_an_earlier_date(tmp_path):
    book = write_xlsx(tmp_path / "small.xlsx", {"Customers": CUSTOMERS,
                                               "Transactions": TRANSACTIONS,
                                               "Settings": SETTINGS})
    out = tmp_path / "jan.xlsx"
    result = run("tier", book, "--as-of", "2026-01-31", "-o", out)
    assert result.exit_code == 0, result.output
    assert "as of 2026-01-31" in result.output
    customers = read_tables(out)["Customers"].set_index("customer_id")
    # by Jan 31 only a (500) and b (300) had bought
    assert customers["revenue"].to_dict() == {"a": 500, "b": 300, "c": 0}
    # without --as-of the as_of setting (Feb 28) holds: c has 200, its March order not yet
    run("tier", book, "-o", out)
    assert read_tables(out)["Customers"].set_index("customer_id")["revenue"]["c"] == 200


def test_bad_setting_exits_2_naming_the_row(tmp_path):
    settings = [*SETTINGS, ["pyramid_shares", "0.02,0.04,0.15,0.75"]]
    book = write_xlsx(tmp_path / "bad.xlsx", {"Customers": CUSTOMERS,
                                             "Transactions": TRANSACTIONS,
                                             "Settings": settings})
    result = CliRunner().invoke(cli, ["tier", str(book)])
    assert result.exit_code == 2
    assert "sheet 'Settings', row 4" in result.output
    assert "pyramid_shares" in result.output and "add up to 1" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "bad_results.xlsx").exists()


def test_a_workbook_without_transactions_exits_2(tmp_path):
    book = write_xlsx(tmp_path / "nolog.xlsx", {"Customers": CUSTOMERS})
    result = CliRunner().invoke(cli, ["tier", str(book)])
    assert result.exit_code == 2 and "no Transactions sheet" in result.output
