"""Large result tables streamed into the package: the same cells, formats, table, conditional
formats and chart as openpyxl writes them, read back with openpyxl and LibreOffice."""

import datetime as dt
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from addin.workbook import Chart, ResultTable, Rule, stream, write_result_sheets

N = 2_600  # above STREAM_ROWS, so the Customers table is streamed


def _frame(n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    revenue = np.round(rng.lognormal(6, 1, n), 2)
    revenue[3] = np.nan
    dates = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n),
                                                                   unit="D"))
    dates[5] = pd.NaT
    names = np.array([f"Customer {i}" for i in range(n)], dtype=object)
    names[:4] = ['=HYPERLINK("http://x/","y")', "上海华信 & <Co>", " padded ", None]
    return pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n)],
        "name": names,
        "revenue": revenue,
        "orders": rng.integers(1, 40, n).astype("int64"),
        "value_share": revenue / np.nansum(revenue),
        "last_purchase": dates.astype("datetime64[us]"),
        "key_account": rng.random(n) < 0.05,
        "mixed": pd.Series([1.5, "text", None, dt.date(2025, 3, 1)] * (n // 4)
                           + [None] * (n % 4), dtype=object),
    })


def _sheets(frame: pd.DataFrame) -> dict:
    curve = pd.DataFrame({"share": [0.0, 0.5, 1.0], "value": [0.0, 0.8, 1.0]})
    return {"Tiers": [
        ResultTable(pd.DataFrame({"measure": ["customers"], "value": [len(frame)]}), "Headline"),
        ResultTable(curve, "Pareto curve", chart=Chart("line", "share", ["value"], "Pareto")),
        ResultTable(frame, "Customers", formats={"value_share": "0.00%"},
                    rules=[Rule("value_share", "databar")]),
    ]}


@pytest.fixture
def source(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Customers"
    wb.active.append(["customer_id", "name"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_streamed_rows_are_the_cells_openpyxl_writes(tmp_path, source, monkeypatch):
    frame = _frame()
    ours = write_result_sheets(tmp_path / "streamed.xlsx", _sheets(frame), source=source)
    monkeypatch.setattr("addin.workbook.writer.STREAM_ROWS", 10**9)  # all through openpyxl
    theirs = write_result_sheets(tmp_path / "openpyxl.xlsx", _sheets(frame), source=source)
    with zipfile.ZipFile(ours) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet")
                     and n.endswith(".xml") and b"Pareto" in z.read(n))
        xml = z.read(sheet)
    assert xml.count(b"<row ") > N  # every row is there, written by the streamer
    a = openpyxl.load_workbook(ours)["Tiers"]
    b = openpyxl.load_workbook(theirs)["Tiers"]
    assert a.max_row == b.max_row and a.max_column == b.max_column
    for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
        for ca, cb in zip(row_a, row_b, strict=True):
            assert ca.data_type == cb.data_type, ca.coordinate
            if isinstance(cb.value, float):  # openpyxl rounds to 16 digits; ours round-trip
                assert ca.value == pytest.approx(cb.value, rel=1e-15), ca.coordinate
            else:
                assert ca.value == cb.value, ca.coordinate
            if ca.value is not None:
                assert ca.number_format == cb.number_format, ca.coordinate
    assert dict(a.tables.items()) == dict(b.tables.items())
    assert [str(cf.sqref) for cf in a.conditional_formatting] == \
        [str(cf.sqref) for cf in b.conditional_formatting]
    # spot checks against the frame itself
    # headline: title 1, header 2, row 3; curve: title 5, header 6, its chart to row 22;
    # Customers: title 24, header 25, rows from 26
    first = 26
    assert a.cell(first - 1, 1).value == "customer_id"
    assert a.cell(first, 2).value == '=HYPERLINK("http://x/","y")' and \
        a.cell(first, 2).data_type == "s"
    assert a.cell(first + 1, 2).value == "上海华信 & <Co>"
    assert a.cell(first + 2, 2).value == " padded "
    assert a.cell(first + 3, 3).value is None  # NaN: no cell
    assert a.cell(first + 5, 6).value is None  # NaT: no cell
    assert a.cell(first, 6).value == frame["last_purchase"][0].to_pydatetime()
    assert a.cell(first, 6).number_format == "yyyy-mm-dd"
    assert a.cell(first, 5).number_format == "0.00%"
    assert a.cell(first + N - 1, 1).value == f"C{N - 1:05d}"
    assert a.cell(first + 7, 5).value == frame["value_share"][7]  # every digit kept


def test_a_100000_row_sheet_is_written_in_bounded_memory(tmp_path, source):
    # the streamed part never holds the sheet: peak memory of the write stays near the
    # frame's own size (measured in a child process, so this test's own heap does not count)
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import resource, sys
        sys.path.insert(0, {str(__file__.rsplit('/', 1)[0])!r})
        from test_stream import _frame, _sheets
        from addin.workbook import write_result_sheets
        from pathlib import Path
        frame = _frame(100_000)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        write_result_sheets(Path({str(tmp_path / 'big.xlsx')!r}), _sheets(frame),
                            source=Path({str(source)!r}))
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(before, after)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    before, after = (int(v) for v in out.stdout.split())
    assert (after - before) / 1024 < 150, (before, after)  # MB; openpyxl took 4 GB at 100k
    wb = openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True)
    assert wb["Tiers"].max_row == 26 + 100_000 - 1


@pytest.mark.libreoffice
def test_libreoffice_opens_a_streamed_sheet_with_its_formats_and_chart(tmp_path, source,
                                                                         soffice):
    dest = write_result_sheets(tmp_path / "out.xlsx", _sheets(_frame()), source=source)
    csv = soffice.to_csv(dest, sheet="Tiers")
    lines = csv.read_text(encoding="utf-8").splitlines()
    header = lines.index(next(line for line in lines if line.startswith("customer_id")))
    first = lines[header + 1].split(",")
    assert first[0] == "C00000"
    assert len(lines) >= header + 1 + N
    frame = _frame()
    row = next(line for line in lines[header + 1:] if line.startswith("C00010,"))
    assert frame["last_purchase"][10].strftime("%Y-%m-%d") in row  # date format applied
    assert f"{frame['value_share'][10]:.2%}" in row  # the column's own percent format
    pdf = soffice.convert(dest, "pdf", tmp_path / "pdf")
    assert pdf.stat().st_size > 0
    assert stream.STREAM_ROWS < N


def test_a_table_longer_than_a_sheet_spills_to_parquet_beside_the_workbook(tmp_path, source,
                                                                          monkeypatch):
    # a sheet of 3,000 rows (Excel's 1,048,576, scaled down): headline 3 rows, a blank row,
    # then Customers' title and header, so 3000 - 4 - 2 = 2,994 of the 5,000 rows fit
    monkeypatch.setattr("addin.workbook.saving.SHEET_ROWS", 3_000)
    frame = _frame(5_000).drop(columns="mixed")
    sheets = {"Tiers": [
        ResultTable(pd.DataFrame({"measure": ["customers"], "value": [5_000]}), "Headline"),
        ResultTable(frame, "Customers")]}
    dest = write_result_sheets(tmp_path / "out.xlsx", sheets, source=source)
    spilled = pd.read_parquet(tmp_path / "out_Tiers.parquet")
    pd.testing.assert_frame_equal(spilled, frame, check_dtype=False)
    ws = openpyxl.load_workbook(dest, read_only=True)["Tiers"]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 3_000
    assert rows[4][0] == ("Customers: the first 2,994 of 5,000 rows (more than a sheet holds); "
                          "all 5,000 rows are in out_Tiers.parquet beside this workbook")
    assert rows[-1][0] == frame["customer_id"][2_993]


def _tiers_log(customers: int) -> pd.DataFrame:
    """A log of about 4 orders a customer over two years (seeded); customers buy at rates
    spread by a gamma mix, as in the tiering bench, so the BG/NBD has a heterogeneity to fit."""
    rng = np.random.default_rng(3)
    n = customers * 4
    weight = rng.gamma(0.8, 1.0, customers)
    who = np.concatenate([np.arange(customers),
                          rng.choice(customers, size=n - customers, p=weight / weight.sum())])
    return pd.DataFrame({
        "customer_id": [f"K{c:05d}" for c in who],
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
        "amount": np.round(rng.lognormal(5, 1, n), 2),
    })


@pytest.mark.libreoffice
def test_the_tiers_sheet_of_a_streamed_size_opens_in_libreoffice_with_formats_and_chart(
        tmp_path, source, soffice):
    from addin.jobs.tier import TierReport
    from addin.tiering import tier_customers, tier_settings

    tiers = tier_customers(None, _tiers_log(3_000), None)
    report = TierReport(None, tiers, tier_settings(None))
    sheets = report.result_sheets()
    customers = next(t for t in sheets["Tiers"] if t.title == "Customers")
    assert len(customers.frame) > stream.STREAM_ROWS  # the customer rows are streamed
    dest = write_result_sheets(tmp_path / "tiers.xlsx", sheets, source=source)
    import csv

    text = soffice.to_csv(dest, sheet="Tiers").read_text(encoding="utf-8")
    lines = list(csv.reader(text.splitlines()))
    header = next(i for i, line in enumerate(lines) if line and line[0] == "customer_id")
    table = report.customers_table()
    assert len(lines) - header - 1 >= len(table)
    first = next(line for line in lines[header + 1:] if line and line[0] == "K00000")
    cells = dict(zip(lines[header], first, strict=False))
    row = table.set_index("customer_id").loc["K00000"]
    assert cells["last_purchase"] == row["last_purchase"].strftime("%Y-%m-%d")  # date format
    assert report.result.clv_method != "margin formula"
    assert cells["prob_alive"] == f"{row['prob_alive']:.1%}"  # the sheet's percent format
    assert cells["value_share"] == f"{row['value_share']:.1%}"
    assert cells["pyramid_tier"] == row["pyramid_tier"]
    # LibreOffice keeps the Pareto chart as a chart object when it saves the sheet as .ods
    ods = soffice.convert(dest, "ods", tmp_path / "ods")
    with zipfile.ZipFile(ods) as z:
        charts = [n for n in z.namelist() if n.startswith("Object") and n.endswith("content.xml")
                  and b"<chart:chart" in z.read(n)]
    assert charts


def test_rewriting_a_large_result_keeps_its_place_without_parsing_the_old_one(
        tmp_path, source, monkeypatch):
    from addin.workbook import package

    dest = tmp_path / "book_results.xlsx"
    write_result_sheets(dest, _sheets(_frame()), source=source)
    write_result_sheets(dest, {"Other": pd.DataFrame({"a": [1]})}, source=source)
    parsed = []
    real = package.parse_xml
    monkeypatch.setattr(package, "parse_xml", lambda data, *part: parsed.append(len(data)) or
                        real(data, *part))
    write_result_sheets(dest, _sheets(_frame()), source=source)  # Tiers again, rows changed?
    assert max(parsed) < 100_000  # the old 2,600-row sheet (about 1 MB of XML) was not parsed
    wb = openpyxl.load_workbook(dest, read_only=True)
    assert wb.sheetnames == ["Customers", "Tiers", "Other"]  # Tiers kept its place
    rows = list(wb["Tiers"].iter_rows(values_only=True))
    assert rows[25][0] == "C00000" and rows[25 + N - 1][0] == f"C{N - 1:05d}"
