"""Bad input: every kind of file a user may hand us gets one tested, clear outcome.

Files that are not workbooks, encrypted or damaged workbooks, other spreadsheet formats, empty
sheets, merged headers, hidden sheets and sheets at Excel's row limit: each is built here for
real (openpyxl, msoffcrypto-tool, LibreOffice headless, zipfile), read through both
``read_sheet`` and ``load_crm_workbook``, and checked for the exact outcome. An error is one
``InputError`` whose one-line message names the file (or sheet, row and column) and says what
to do; no calamine or zip exception text leaks into it. Reading never changes the input.

About ``.xlsb``: LibreOffice cannot write it, so a real one is written with ``pyxlsbwriter``
(PyPI, pure Python, MIT; a test dependency). Files *named* .xlsb that are really an .xlsx, or
garbage, are tested too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import random
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_xlsx

from addin.errors import InputError
from addin.workbook import load_crm_workbook, read_sheet, read_sheet_checked

READERS = {
    "read_sheet": lambda path: read_sheet(path, "Customers"),
    "load_crm_workbook": load_crm_workbook,
}

CUSTOMERS = [
    ["customer_id", "name", "industry", "since"],
    ["C001", "Acme Ltd", "制造", dt.datetime(2024, 1, 5)],
    [1002, "上海华信贸易有限公司", "零售", dt.datetime(2025, 2, 6)],
    ["C003", "Beta GmbH", None, None],
]
TRANSACTIONS = [
    ["customer_id", "date", "amount", "margin"],
    ["C001", dt.datetime(2026, 3, 31, 14, 30), 1234.5, 200],
    [1002, dt.datetime(2026, 1, 2), -20, 0.25],
    ["C003", dt.datetime(2025, 12, 31), 99.99, None],
]
COMPLAINTS = [
    ["customer_id", "opened", "category"],
    ["C001", dt.datetime(2026, 2, 1), "delivery"],
]
CONTACTS = [
    ["customer_id", "date", "channel"],
    ["C003", dt.datetime(2026, 2, 3), "phone"],
]
PASSWORD_MESSAGE = (
    "{name} is password-protected (encrypted); remove the password in Excel (File > Info > "
    "Protect Workbook > Encrypt with Password, clear it), save, and read that copy"
)
MERGED_MESSAGE = (
    "sheet 'Customers', row 1: header cells {cells} are merged; unmerge them and give each "
    "column its own header in row 1"
)
HIDDEN_WARNING = ("sheet '{sheet}': the sheet is hidden in the workbook; it was read like a "
                  "visible one (unhide it to see what was read)")


def warnings_of(path, sheet: str) -> list[str]:
    """The warnings of reading one sheet (they come beside the frame, never on its attrs)."""
    return [str(w) for w in read_sheet_checked(path, sheet)[1]]


@pytest.fixture(params=list(READERS))
def read(request):
    return READERS[request.param]


def fails(read, path) -> InputError:
    """Read ``path``, expect exactly an InputError with a one-line message and no leaked
    exception text from calamine, zipfile or pandas."""
    with pytest.raises(InputError) as info:
        read(path)
    err = info.value
    assert type(err) is InputError
    text = str(err)
    assert "\n" not in text
    for leak in ("Traceback", "Calamine", "XmlError", "ZipError", "BadZipFile", "Error:"):
        assert leak not in text, text
    return err


def customers_book(tmp_path: Path, name: str = "book.xlsx") -> Path:
    return write_xlsx(tmp_path / name, {"Customers": CUSTOMERS})


# --------------------------------------------------------------------------- not a workbook


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


@pytest.mark.parametrize("name, content, message", [
    ("report.xlsx", b"customer_id,name\nC1,Acme\n",
     "report.xlsx is not an Excel workbook but a text file; open it in Excel and save it as "
     ".xlsx (or, if it holds comma-separated values, name it .csv)"),
    ("客户.xlsx", "客户编号,客户名称\nC1,华信\n".encode("gb18030"),
     "客户.xlsx is not an Excel workbook but a text file; open it in Excel and save it as "
     ".xlsx (or, if it holds comma-separated values, name it .csv)"),
    ("logo.xlsx", PNG,
     "logo.xlsx is not an Excel workbook (expected .xlsx, .xlsm, .xlsb, .xls or .ods; or "
     ".csv/.parquet for a transaction log)"),
    ("empty.xlsx", b"", "empty.xlsx is an empty file (0 bytes), not a workbook; save or export "
                        "it again"),
    ("export.xls", b"<html><body><table><tr><td>customer_id</td></tr></table></body></html>",
     "export.xls is not an Excel workbook but a web page (HTML); open it in Excel and save it "
     "as .xlsx"),
    ("export.xls", b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:'
                   b'spreadsheet"></Workbook>',
     "export.xls is not an Excel workbook but an XML file (perhaps an Excel 2003 XML "
     "spreadsheet); open it in Excel and save it as .xlsx"),
    ("garbage.xlsb", random.Random(7).randbytes(4096),
     "garbage.xlsb is not an Excel workbook (expected .xlsx, .xlsm, .xlsb, .xls or .ods; or "
     ".csv/.parquet for a transaction log)"),
])
def test_a_file_that_is_not_a_workbook(tmp_path, read, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    err = fails(read, path)
    assert str(err) == message
    assert err.sheet is None and err.row is None


def test_a_missing_path(tmp_path, read):
    path = tmp_path / "nope.xlsx"
    err = fails(read, path)
    assert str(err) == f"file not found: {path}; check the file name and folder"


def test_a_folder(tmp_path, read):
    folder = tmp_path / "Q1.xlsx"
    folder.mkdir()
    err = fails(read, folder)
    assert str(err) == f"{folder} is a folder, not a file; give the workbook file inside it"


def test_a_csv_is_not_a_workbook_and_a_workbook_is_not_a_csv(tmp_path):
    csv = tmp_path / "log.csv"
    csv.write_text("customer_id,date,amount\nC1,2026-01-01,5\n", encoding="utf-8")
    err = fails(load_crm_workbook, csv)
    assert str(err) == ("log.csv is a CSV file, not a workbook; give it as the Transactions log "
                        "next to a workbook (--transactions)")
    named_csv = tmp_path / "book.csv"
    named_csv.write_bytes(customers_book(tmp_path).read_bytes())
    err = fails(lambda p: read_sheet(p, "Transactions"), named_csv)
    assert str(err) == ("book.csv is an Excel workbook, not a CSV file; give it its own "
                        "extension (.xlsx, .xls or .ods)")


# --------------------------------------------------------------------------- encrypted


def encrypt(src: Path, dest: Path, password: str = "s3cret") -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with src.open("rb") as plain, dest.open("wb") as out:
        OOXMLFile(plain).encrypt(password, out)
    return dest


@pytest.mark.parametrize("name", ["locked.xlsx", "locked.xls", "locked.xlsm"])
def test_an_encrypted_workbook_says_password_protected(tmp_path, read, name):
    path = encrypt(customers_book(tmp_path), tmp_path / name)
    # it is really encrypted: the password opens it again
    from msoffcrypto import OfficeFile

    plain = io.BytesIO()
    with path.open("rb") as fh:
        office = OfficeFile(fh)
        office.load_key(password="s3cret")
        office.decrypt(plain)
    assert zipfile.ZipFile(plain).read("xl/workbook.xml")

    err = fails(read, path)
    assert str(err) == PASSWORD_MESSAGE.format(name=name)


# --------------------------------------------------------------------------- damaged


def rewrite_zip(src: Path, dest: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, replace.get(item.filename, zin.read(item.filename)))
    return dest


def test_a_truncated_xlsx_is_damaged(tmp_path, read):
    data = customers_book(tmp_path, "whole.xlsx").read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    err = fails(read, path)
    assert str(err) == ("half.xlsx is damaged: the file is incomplete or corrupt (an interrupted "
                        "download or copy?); copy or export it again")


def test_a_zip_without_workbook_parts_is_damaged(tmp_path, read):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "quarterly numbers")
        zf.writestr("data/customers.csv", "customer_id,name\nC1,Acme\n")
    err = fails(read, path)
    assert str(err) == ("archive.xlsx is damaged or not a workbook: the zip archive holds no "
                        "workbook parts; save or export the workbook again")


def test_an_xlsx_whose_sheet_xml_is_garbage_is_damaged(tmp_path, read):
    path = rewrite_zip(customers_book(tmp_path, "whole.xlsx"), tmp_path / "broken.xlsx",
                       {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row r=\"1\"><c"})
    err = fails(read, path)
    assert str(err) == ("sheet 'Customers': broken.xlsx is damaged: this sheet cannot be read; "
                        "open the file in Excel, let Excel repair it, and save it again")
    assert err.sheet == "Customers"


def test_an_xlsx_whose_workbook_xml_is_garbage_is_damaged(tmp_path, read):
    path = rewrite_zip(customers_book(tmp_path, "whole.xlsx"), tmp_path / "broken.xlsx",
                       {"xl/workbook.xml": b"\x00\x01 not xml at all <<<"})
    err = fails(read, path)
    assert str(err) == ("broken.xlsx is damaged: its workbook parts cannot be read; open it in "
                        "Excel, let Excel repair it, and save it again")


def test_a_damaged_sheet_we_do_not_read_does_not_matter(tmp_path, make_xlsx):
    whole = make_xlsx({"Customers": CUSTOMERS, "Notes": [["free text"]]}, name="whole.xlsx")
    path = rewrite_zip(whole, tmp_path / "notes_broken.xlsx",
                       {"xl/worksheets/sheet2.xml": b"<<garbage"})
    assert list(load_crm_workbook(path).sheets) == ["Customers"]
    assert len(read_sheet(path, "Customers")) == 3


# --------------------------------------------------------------------------- other formats


@pytest.fixture(scope="module")
def formats(tmp_path_factory, soffice):
    """One workbook with visible, hidden and very hidden contract sheets, as .xlsx and as the
    .xls and .ods LibreOffice makes of it."""
    folder = tmp_path_factory.mktemp("formats")
    xlsx = write_xlsx(folder / "crm.xlsx",
                      {"Customers": CUSTOMERS, "Transactions": TRANSACTIONS,
                       "Complaints": COMPLAINTS, "Contacts": CONTACTS},
                      states={"Complaints": "hidden", "Contacts": "veryHidden"})
    return {"xlsx": xlsx, "xls": soffice.convert(xlsx, "xls", folder / "xls"),
            "ods": soffice.convert(xlsx, "ods", folder / "ods")}


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
@pytest.mark.parametrize("sheet", ["Customers", "Transactions", "Complaints", "Contacts"])
def test_xls_and_ods_read_the_same_values_as_xlsx(formats, fmt, sheet):
    want = read_sheet(formats["xlsx"], sheet)
    got = read_sheet(formats[fmt], sheet)
    pd.testing.assert_frame_equal(got, want)
    assert warnings_of(formats[fmt], sheet) == warnings_of(formats["xlsx"], sheet)
    for column in ("since", "date", "opened"):
        if column in got:
            assert str(got[column].dtype).startswith("datetime64")
    if sheet == "Transactions":
        assert got.loc[2, "date"] == pd.Timestamp(2026, 3, 31, 14, 30)
        assert got["amount"].tolist() == [1234.5, -20.0, 99.99]
        assert got["customer_id"].tolist() == ["C001", "1002", "C003"]


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_load_crm_workbook_reads_every_format_alike(formats, fmt):
    book = load_crm_workbook(formats[fmt])
    assert list(book.sheets) == ["Customers", "Transactions", "Contacts", "Complaints"]
    reference = load_crm_workbook(formats["xlsx"])
    for name, frame in book.sheets.items():
        pd.testing.assert_frame_equal(frame, reference[name])
    assert sorted(str(w) for w in book.warnings) == [
        HIDDEN_WARNING.format(sheet="Complaints"), HIDDEN_WARNING.format(sheet="Contacts")]


def test_a_real_xlsb_is_read(tmp_path):
    import pyxlsbwriter as xlsbwriter
    path = tmp_path / "crm.xlsb"
    with xlsbwriter.XlsbWriter(str(path)) as writer:
        writer.add_sheet("Customers")
        writer.write_sheet(CUSTOMERS)
        writer.add_sheet("Complaints", hidden=True)
        writer.write_sheet(COMPLAINTS)
    want = read_sheet(customers_book(tmp_path), "Customers")
    pd.testing.assert_frame_equal(read_sheet(path, "Customers"), want)
    book = load_crm_workbook(path)
    assert [str(w) for w in book.warnings] == [HIDDEN_WARNING.format(sheet="Complaints")]


@pytest.mark.parametrize("name", ["book.xlsb", "book.xls", "book.ods"])
def test_an_xlsx_with_the_wrong_extension_says_rename_it(tmp_path, read, name):
    path = tmp_path / name
    path.write_bytes(customers_book(tmp_path, "real.xlsx").read_bytes())
    err = fails(read, path)
    assert str(err) == (f"{name} is really an .xlsx workbook named {Path(name).suffix}; rename "
                        "it to book.xlsx")


def test_an_xlsx_without_an_extension_is_read_by_its_content(tmp_path):
    path = tmp_path / "book"
    path.write_bytes(customers_book(tmp_path, "real.xlsx").read_bytes())
    assert read_sheet(path, "Customers")["customer_id"].tolist() == ["C001", "1002", "C003"]
    assert list(load_crm_workbook(path).sheets) == ["Customers"]


@pytest.mark.libreoffice
def test_an_xls_named_xlsx_says_rename_it(formats, tmp_path, read):
    path = tmp_path / "old.xlsx"
    path.write_bytes(formats["xls"].read_bytes())
    err = fails(read, path)
    assert str(err) == ("old.xlsx is an old-format .xls workbook (or another Office file) named "
                        ".xlsx; rename it to old.xls")


# --------------------------------------------------------------------------- empty sheets


def test_a_sheet_with_nothing_at_all(make_xlsx, read):
    path = make_xlsx({"Customers": []})
    err = fails(read, path)
    assert str(err) == ("sheet 'Customers', row 1: the sheet is empty; put the headers "
                        "(customer_id, name) in row 1 and the data below them, or delete the "
                        "sheet")
    assert (err.sheet, err.row) == ("Customers", 1)


def test_a_header_without_data_rows_is_an_empty_frame(make_xlsx, read):
    path = make_xlsx({"Customers": CUSTOMERS[:1], "Transactions": TRANSACTIONS[:1]})
    result = read(path)
    frame = result if isinstance(result, pd.DataFrame) else result["Customers"]
    assert list(frame.columns) == ["customer_id", "name", "industry", "since"]
    assert len(frame) == 0 and frame.index.name == "row"
    assert str(frame["since"].dtype).startswith("datetime64")
    transactions = load_crm_workbook(path)["Transactions"]
    assert len(transactions) == 0
    assert transactions["amount"].dtype == "float64"


@pytest.mark.parametrize("blank_rows, advice", [(1, "delete row 1"), (3, "delete rows 1 to 3")])
def test_data_under_a_blank_row_1_names_row_1(make_xlsx, read, blank_rows, advice):
    path = make_xlsx({"Customers": [[None]] * blank_rows + CUSTOMERS})
    err = fails(read, path)
    first = blank_rows + 1
    assert str(err) == (f"sheet 'Customers', row 1: row 1 is blank, but the sheet has data from "
                        f"row {first}; the headers (customer_id, name) must be in row 1: "
                        f"{advice}")
    assert (err.sheet, err.row) == ("Customers", 1)


# --------------------------------------------------------------------------- merged cells


@pytest.mark.parametrize("cells", ["B1:C1", "A1:A2"])
def test_merged_header_cells_name_the_range(make_xlsx, read, cells):
    path = make_xlsx({"Customers": CUSTOMERS}, merged={"Customers": [cells]})
    err = fails(read, path)
    assert str(err) == MERGED_MESSAGE.format(cells=cells)
    assert (err.sheet, err.row) == ("Customers", 1)


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_merged_header_cells_in_xls_and_ods(make_xlsx, soffice, read, fmt):
    xlsx = make_xlsx({"Customers": CUSTOMERS}, merged={"Customers": ["B1:C1"]})
    path = soffice.convert(xlsx, fmt)
    err = fails(read, path)
    assert str(err) == MERGED_MESSAGE.format(cells="B1:C1")


def test_merged_cells_in_data_rows_are_fine(make_xlsx):
    path = make_xlsx({"Customers": CUSTOMERS}, merged={"Customers": ["B3:C3", "A4:A5"]})
    frame = read_sheet(path, "Customers")
    assert frame["name"].tolist() == ["Acme Ltd", "上海华信贸易有限公司", "Beta GmbH"]
    assert frame.loc[3, "industry"] is None  # the merged-over cell is blank
    assert warnings_of(path, "Customers") == []
    assert load_crm_workbook(path).warnings == []


# --------------------------------------------------------------------------- hidden sheets


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheets_are_read_with_a_warning(make_xlsx, state):
    path = make_xlsx({"Customers": CUSTOMERS, "Transactions": TRANSACTIONS},
                     states={"Customers": state})
    visible = make_xlsx({"Customers": CUSTOMERS}, name="visible.xlsx")
    frame = read_sheet(path, "Customers")
    pd.testing.assert_frame_equal(frame, read_sheet(visible, "Customers"))
    assert warnings_of(path, "Customers") == [HIDDEN_WARNING.format(sheet="Customers")]
    book = load_crm_workbook(path)
    assert list(book.sheets) == ["Customers", "Transactions"]
    assert [str(w) for w in book.warnings] == [HIDDEN_WARNING.format(sheet="Customers")]
    assert book.warnings[0].severity == "warning"
    assert warnings_of(path, "Transactions") == []


# --------------------------------------------------------------------------- two sheets, one role


def test_two_sheets_for_one_contract_sheet_name_both(make_xlsx, read):
    path = make_xlsx({"Customers": CUSTOMERS, "客户": CUSTOMERS})
    err = fails(read, path)
    assert str(err) == ("sheet '客户': sheets 'Customers' and '客户' both look like the "
                        "Customers sheet; rename or remove one")


# --------------------------------------------------------------------------- Excel's row limit

EXCEL_ROWS = 1_048_576

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Transactions" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>')


def write_full_transactions_sheet(path: Path, last_row: int = EXCEL_ROWS) -> Path:
    """A minimal xlsx whose Transactions sheet runs to ``last_row``: a header, then numbers
    only (customer id, the date as an Excel serial, amount), streamed into the sheet XML
    (openpyxl would take minutes for a million rows)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetData><row r="1">'
                b'<c r="A1" t="inlineStr"><is><t>customer_id</t></is></c>'
                b'<c r="B1" t="inlineStr"><is><t>date</t></is></c>'
                b'<c r="C1" t="inlineStr"><is><t>amount</t></is></c></row>')
            for start in range(2, last_row + 1, 50_000):
                stop = min(start + 50_000, last_row + 1)
                sheet.write("".join(
                    f'<row r="{r}"><c r="A{r}"><v>{1000 + r % 500}</v></c>'
                    f'<c r="B{r}"><v>{45292 + r % 730}</v></c>'
                    f'<c r="C{r}"><v>{r % 1000}.5</v></c></row>'
                    for r in range(start, stop)).encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


ROW_LIMIT_WARNING = (
    "sheet 'Transactions': the sheet reaches Excel's row limit (1,048,576 rows), so the data "
    "was probably cut off there; give the full log as a .csv or .parquet file (--transactions)")


@pytest.mark.slow
def test_a_sheet_at_excels_row_limit_is_read_with_a_warning(tmp_path):
    path = write_full_transactions_sheet(tmp_path / "full.xlsx")
    frame, warnings = read_sheet_checked(path, "Transactions")
    assert len(frame) == EXCEL_ROWS - 1
    assert (frame.index[0], frame.index[-1]) == (2, EXCEL_ROWS)
    assert frame.loc[EXCEL_ROWS, "amount"] == EXCEL_ROWS % 1000 + 0.5
    assert frame.loc[EXCEL_ROWS, "customer_id"] == str(1000 + EXCEL_ROWS % 500)
    assert frame.loc[2, "date"] == pd.Timestamp("2024-01-01") + pd.Timedelta(days=2)
    assert [str(w) for w in warnings] == [ROW_LIMIT_WARNING]
    del frame
    book = load_crm_workbook(path)
    assert [str(w) for w in book.warnings] == [ROW_LIMIT_WARNING]
    assert len(book["Transactions"]) == EXCEL_ROWS - 1


def test_a_sheet_one_row_short_of_the_limit_gets_no_warning(tmp_path):
    # the same check without a million rows: only the last row counts, not the row count
    path = write_full_transactions_sheet(tmp_path / "short.xlsx", last_row=3)
    assert warnings_of(path, "Transactions") == []


# --------------------------------------------------------------------------- CSV and Parquet logs

LOG_ROWS = 50_000


def transactions_log(rows: int = LOG_ROWS) -> pd.DataFrame:
    i = pd.RangeIndex(rows)
    return pd.DataFrame({
        "customer_id": [f"{n:06d}" for n in i % 700],  # ids with leading zeros stay text
        "date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(i % 900, unit="D"))
        .strftime("%Y-%m-%d"),
        "amount": (i % 997) + 0.25,
    })


@pytest.fixture
def csv_log(tmp_path) -> Path:
    path = tmp_path / "transactions.csv"
    transactions_log().to_csv(path, index=False)
    return path


def test_a_csv_log_is_read_with_line_numbers_as_rows(csv_log):
    frame, warnings = read_sheet_checked(csv_log, "Transactions")
    assert len(frame) == LOG_ROWS
    assert (frame.index[0], frame.index[-1]) == (2, LOG_ROWS + 1)  # line 1 is the header
    assert frame.loc[2, "customer_id"] == "000000"
    assert frame.loc[LOG_ROWS + 1, "amount"] == (LOG_ROWS - 1) % 997 + 0.25
    assert str(frame["date"].dtype).startswith("datetime64")
    assert warnings == []


def test_a_csv_log_replaces_the_transactions_sheet(make_xlsx, csv_log):
    book = load_crm_workbook(make_xlsx({"Customers": CUSTOMERS, "Transactions": TRANSACTIONS}),
                             transactions=csv_log)
    assert len(book["Transactions"]) == LOG_ROWS
    assert book.names["Transactions"] == "transactions.csv"
    assert book["Transactions"].index[-1] == LOG_ROWS + 1


def test_a_parquet_log_is_read(tmp_path, make_xlsx):
    path = tmp_path / "transactions.parquet"
    transactions_log().to_parquet(path, index=False)
    frame = read_sheet(path, "Transactions")
    assert len(frame) == LOG_ROWS and frame.index[-1] == LOG_ROWS + 1
    book = load_crm_workbook(make_xlsx({"Customers": CUSTOMERS}), transactions=path)
    pd.testing.assert_frame_equal(book["Transactions"], frame)


def test_a_bad_csv_value_names_its_line(tmp_path):
    lines = ["customer_id,date,amount"] + [f"C{n},2026-01-01,{n}" for n in range(2, 40_000)]
    lines[30_000 - 1] = "C30000,2026-01-01,lots"  # line 30,000
    lines[10 - 1] = ""  # a blank line keeps its number
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = fails(lambda p: read_sheet(p, "Transactions"), path)
    assert str(err) == ("sheet 'log.csv', row 30000, column 'amount' (C): expected a number "
                        "(found 'lots')")
    lines[30_000 - 1] = "C30000,2026-01-01,5"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = read_sheet(path, "Transactions")
    assert 10 not in frame.index and frame.loc[11, "customer_id"] == "C11"


def test_a_csv_line_with_too_many_values_names_its_line(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("customer_id,date,amount\nC1,2026-01-01,5\nC2,2026-01-02,1,250.00\n")
    err = fails(lambda p: read_sheet(p, "Transactions"), path)
    assert str(err) == ("sheet 'log.csv', row 3: this line has 4 values but the header line has "
                        "3; put values that hold a comma in double quotes")


def test_a_gb18030_csv_with_chinese_headers(tmp_path, make_xlsx):
    path = tmp_path / "交易.csv"
    path.write_bytes("客户编号,日期,金额\n000123,2026年3月31日,\"1,234.50\"\n华信,2026-04-01,88\n"
                     .encode("gb18030"))
    frame = read_sheet(path, "Transactions")
    assert list(frame.columns) == ["customer_id", "date", "amount"]
    assert frame["customer_id"].tolist() == ["000123", "华信"]
    assert frame["date"].tolist() == [pd.Timestamp("2026-03-31"), pd.Timestamp("2026-04-01")]
    assert frame["amount"].tolist() == [1234.5, 88.0]
    book = load_crm_workbook(make_xlsx({"Customers": CUSTOMERS}), transactions=path)
    pd.testing.assert_frame_equal(book["Transactions"], frame)


# --------------------------------------------------------------------------- never modified


def fingerprint(path: Path) -> tuple[str, int, list[str]]:
    return (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns,
            sorted(p.name for p in path.parent.iterdir()))


@pytest.fixture
def inputs(tmp_path, request):
    """Each kind of input, alone in its own folder so a lock or temp file would show."""
    kind = request.param
    folder = tmp_path / kind
    folder.mkdir()
    sheets = {"Customers": CUSTOMERS, "Transactions": TRANSACTIONS}
    if kind in ("xlsx", "xls", "ods"):
        xlsx = write_xlsx(tmp_path / "src.xlsx", sheets, states={"Transactions": "hidden"})
        if kind == "xlsx":
            return (tmp_path / "src.xlsx").rename(folder / "crm.xlsx")
        soffice = request.getfixturevalue("soffice")
        return soffice.convert(xlsx, kind, folder)
    if kind == "csv":
        transactions_log(1000).to_csv(folder / "log.csv", index=False)
        return folder / "log.csv"
    if kind == "parquet":
        transactions_log(1000).to_parquet(folder / "log.parquet", index=False)
        return folder / "log.parquet"
    if kind == "damaged":
        data = write_xlsx(tmp_path / "src.xlsx", sheets).read_bytes()
        (folder / "half.xlsx").write_bytes(data[: len(data) // 2])
        return folder / "half.xlsx"
    if kind == "encrypted":
        return encrypt(write_xlsx(tmp_path / "src.xlsx", sheets), folder / "locked.xlsx")
    raise AssertionError(kind)


@pytest.mark.parametrize("inputs", [
    "xlsx",
    pytest.param("xls", marks=pytest.mark.libreoffice),
    pytest.param("ods", marks=pytest.mark.libreoffice),
    "csv", "parquet", "damaged", "encrypted",
], indirect=True)
def test_reading_never_modifies_the_input(inputs, make_xlsx):
    path = inputs
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = fingerprint(path)
    if path.suffix in (".csv", ".parquet"):
        attempts = [lambda: read_sheet(path, "Transactions"),
                    lambda: load_crm_workbook(make_xlsx({"Customers": CUSTOMERS}),
                                              transactions=path)]
    else:
        attempts = [lambda: read_sheet(path, "Customers"),
                    lambda: read_sheet(path, "Transactions"),
                    lambda: load_crm_workbook(path)]
    for attempt in attempts:
        try:
            attempt()
        except InputError:
            assert path.name in ("half.xlsx", "locked.xlsx")
    assert fingerprint(path) == before
