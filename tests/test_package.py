"""Safe write-back: result sheets are grafted into the user's package and nothing that was
there is lost.

The rich test workbooks are made by real programs, in two steps:

1. LibreOffice headless converts a flat ODF spreadsheet written below (``RICH_FODS``) to
   .xlsx. That gives a real pivot table (LibreOffice's "DataPilot") with its pivot cache
   definition and records, and a real external link (a formula reading another workbook).
2. openpyxl loads that file (it keeps pivot tables and external links) and adds a bar chart,
   a PNG picture, a comment (with its VML drawing), a list validation, a conditional format,
   a global and a sheet-local defined name; the .xlsm variant also gets the real
   ``vbaProject.bin`` of the xlwings ``quickstart.xlsm`` template (installed with xlwings).

A third source is ``quickstart_standalone.xlsm`` from the xlwings package as it is: a workbook
saved by Excel, with Excel's namespace declarations and ``mc:Ignorable`` lists, and VBA.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import addin.workbook.opc as opc
import addin.workbook.package as package
from addin.errors import InputError
from addin.workbook import Chart, ResultTable, Rule, write_result_sheets
from addin.workbook.package import MAIN, transform_sheet

XLWINGS = Path(__import__("xlwings").__file__).parent
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
ALLOWED_TO_CHANGE = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/styles.xml"}

RICH_FODS = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:body><office:spreadsheet>
<table:table table:name="Data">
 <table:table-row>
  <table:table-cell office:value-type="string"><text:p>region</text:p></table:table-cell>
  <table:table-cell office:value-type="string"><text:p>amount</text:p></table:table-cell>
  <table:table-cell office:value-type="string"><text:p>linked</text:p></table:table-cell>
 </table:table-row>
 <table:table-row>
  <table:table-cell office:value-type="string"><text:p>East</text:p></table:table-cell>
  <table:table-cell office:value-type="float" office:value="10"/>
  <table:table-cell table:formula="of:=['{prices}'#$Sheet1.A1]"
   office:value-type="float" office:value="7"/>
 </table:table-row>
 <table:table-row>
  <table:table-cell office:value-type="string"><text:p>West</text:p></table:table-cell>
  <table:table-cell office:value-type="float" office:value="20"/>
 </table:table-row>
 <table:table-row>
  <table:table-cell office:value-type="string"><text:p>East</text:p></table:table-cell>
  <table:table-cell office:value-type="float" office:value="5"/>
 </table:table-row>
</table:table>
<table:table table:name="Pivot"><table:table-row><table:table-cell/></table:table-row></table:table>
<table:data-pilot-tables>
 <table:data-pilot-table table:name="RegionPivot" table:target-range-address="Pivot.A1:Pivot.B5">
  <table:source-cell-range table:cell-range-address="Data.A1:Data.B4"/>
  <table:data-pilot-field table:source-field-name="region" table:orientation="row">
   <table:data-pilot-level table:show-empty="false"/>
  </table:data-pilot-field>
  <table:data-pilot-field table:source-field-name="amount" table:orientation="data"
   table:function="sum"/>
 </table:data-pilot-table>
</table:data-pilot-tables>
</office:spreadsheet></office:body></office:document>
"""

# what each rich workbook must really hold, as part names
FEATURES = {
    "chart": r"xl/charts/chart\d+\.xml",
    "picture": r"xl/media/image\d+\.png",
    "pivot table": r"xl/pivotTables/pivotTable\d+\.xml",
    "pivot cache": r"xl/pivotCache/pivotCacheDefinition\d+\.xml",
    "pivot records": r"xl/pivotCache/pivotCacheRecords\d+\.xml",
    "comments": r"xl/comments/comment\d+\.xml",
    "comment drawing": r"xl/drawings/commentsDrawing\d+\.vml",
    "external link": r"xl/externalLinks/externalLink\d+\.xml",
}

TIERS = pd.DataFrame({
    "customer_id": ["C1", "C2", "C3"],
    "name": ['=HYPERLINK("http://evil.example/","click")', "上海华信贸易有限公司", "@SUM(A1)"],
    "note": ["+1 555", "-2", "plain"],
    "revenue": [1234.5, 80.25, 10.0],
    "revenue_share": [0.25, 0.7, 0.05],
    "first_order": pd.to_datetime(["2025-01-01", "2025-06-30", "2026-10-31"]),
    "status": ["green", "red", "amber"],
})
FORMULA_LOOKING = ['=HYPERLINK("http://evil.example/","click")', "@SUM(A1)", "+1 555", "-2"]


def results(frame: pd.DataFrame = TIERS) -> dict:
    return {
        "Tiers": [ResultTable(frame, "Customer tiers",
                              chart=Chart("bar", "customer_id", ["revenue"], "Revenue"),
                              rules=[Rule("status", "rag"), Rule("revenue", "databar")])],
        "Summary": pd.DataFrame({"tier": ["A", "B"], "customers": np.array([1, 2])}),
    }


def build_rich(folder: Path, soffice, macro: bool) -> Path:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from PIL import Image as PILImage

    fods = folder / "base.fods"
    fods.write_text(RICH_FODS.format(prices=(folder / "prices.ods").as_uri()), encoding="utf-8")
    base = soffice.convert(fods, "xlsx", folder)
    wb = openpyxl.load_workbook(base, keep_links=True)
    ws = wb["Data"]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    ws.add_chart(chart, "E2")
    png = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(png, "PNG")
    ws.add_image(Image(png), "E20")
    ws["A2"].comment = Comment("check this region", "Ann")
    validation = DataValidation(type="list", formula1='"East,West"')
    ws.add_data_validation(validation)
    validation.add("A2:A4")
    ws.conditional_formatting.add("B2:B4", CellIsRule(
        operator="greaterThan", formula=["15"], fill=PatternFill("solid", start_color="FFC7CE")))
    wb.defined_names["Amounts"] = DefinedName("Amounts", attr_text="Data!$B$2:$B$4")
    ws.defined_names["LocalRegion"] = DefinedName("LocalRegion", attr_text="Data!$A$2:$A$4")
    if macro:
        wb.vba_archive = zipfile.ZipFile(XLWINGS / "quickstart.xlsm")
    path = folder / ("rich.xlsm" if macro else "rich.xlsx")
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def rich(tmp_path_factory, soffice):
    folder = tmp_path_factory.mktemp("rich")
    return {"xlsx": build_rich(folder, soffice, macro=False),
            "xlsm": build_rich(folder, soffice, macro=True)}


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def c14n(el) -> bytes:
    return etree.tostring(el, method="c14n")


def children(xml: bytes, name: str) -> list:
    root = etree.fromstring(xml)
    section = root if name == "" else root.find(f"{{{MAIN}}}{name}")
    return [] if section is None else [c for c in section if isinstance(c.tag, str)]


def assert_features(parts: dict[str, bytes], kind: str) -> None:
    for feature, pattern in FEATURES.items():
        assert any(re.fullmatch(pattern, n) for n in parts), f"fixture has no {feature}"
    sheet1 = parts["xl/worksheets/sheet1.xml"]
    assert b"<dataValidation " in sheet1 and b"<conditionalFormatting " in sheet1
    wb = parts["xl/workbook.xml"]
    assert b'name="Amounts"' in wb and b'localSheetId="0"' in wb
    assert (b"pivotCaches" in wb) and (b"externalReferences" in wb)
    assert ("xl/vbaProject.bin" in parts) == (kind == "xlsm")


def assert_changed_parts_keep_what_they_said(before: dict, after: dict) -> None:
    """The four parts that change still say everything they said: old children unchanged,
    in order, and the style sheet's lists only grown at the end (indices stay valid)."""
    old_wb = etree.fromstring(before["xl/workbook.xml"])
    new_wb = etree.fromstring(after["xl/workbook.xml"])
    assert [c.tag for c in old_wb] == [c.tag for c in new_wb]
    for old, new in zip(old_wb, new_wb, strict=True):
        if etree.QName(old).localname == "sheets":
            assert [c14n(s) for s in old] == [c14n(s) for s in new][:len(old)]
        else:
            assert c14n(old) == c14n(new)
    for part in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        old_items = [c14n(c) for c in children(before[part], "")]
        new_items = [c14n(c) for c in children(after[part], "")]
        assert set(old_items) <= set(new_items), part
    for section in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                    "cellStyles", "dxfs"):
        old_items = [c14n(c) for c in children(before["xl/styles.xml"], section)]
        new_items = [c14n(c) for c in children(after["xl/styles.xml"], section)]
        assert new_items[:len(old_items)] == old_items, section


# --- every part kept -----------------------------------------------------------------------

@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["xlsx", "xlsm"])
def test_every_part_of_the_users_workbook_is_kept_byte_for_byte(rich, tmp_path, kind):
    src = shutil.copyfile(rich[kind], tmp_path / f"book.{kind}")
    dest = write_result_sheets(tmp_path / f"out.{kind}", results(), source=src)
    before, after = members(src), members(dest)
    assert_features(before, kind)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed <= ALLOWED_TO_CHANGE
    assert_changed_parts_keep_what_they_said(before, after)
    added = sorted(set(after) - set(before))
    # two sheets (with their rels), two tables, one drawing (with its rels) and one chart
    patterns = [r"xl/worksheets/sheet\d+\.xml", r"xl/worksheets/_rels/sheet\d+\.xml\.rels",
                r"xl/tables/table\d+\.xml", r"xl/drawings/drawing\d+\.xml",
                r"xl/drawings/_rels/drawing\d+\.xml\.rels", r"xl/charts/chart\d+\.xml"]
    counts = [sum(bool(re.fullmatch(p, n)) for n in added) for p in patterns]
    assert counts == [2, 2, 2, 1, 1, 1] and len(added) == 9, added
    wb = openpyxl.load_workbook(dest, keep_vba=kind == "xlsm")
    assert wb.sheetnames == ["Data", "Pivot", "Tiers", "Summary"]


def test_an_excel_made_macro_workbook_keeps_its_vba_and_declarations(tmp_path):
    src = shutil.copyfile(XLWINGS / "quickstart_standalone.xlsm", tmp_path / "book.xlsm")
    dest = write_result_sheets(tmp_path / "out.xlsm", results(), source=src)
    before, after = members(src), members(dest)
    assert {n for n in before if before[n] != after.get(n)} <= ALLOWED_TO_CHANGE
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert_changed_parts_keep_what_they_said(before, after)
    for part in ("xl/workbook.xml", "xl/styles.xml"):
        root = etree.fromstring(after[part])
        ignorable = root.get(f"{{{MC}}}Ignorable").split()
        assert ignorable == etree.fromstring(before[part]).get(f"{{{MC}}}Ignorable").split()
        # Excel refuses a part whose mc:Ignorable names an undeclared prefix
        assert all(prefix in root.nsmap for prefix in ignorable), part
        assert after[part].startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    wb = openpyxl.load_workbook(dest, keep_vba=True)
    assert wb.sheetnames == ["Sheet1", "_xlwings.conf", "Tiers", "Summary"]


def test_rendered_sheets_are_not_selected_alongside_the_users_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Customers"
    wb.active.sheet_view.tabSelected = True
    src = tmp_path / "book.xlsx"
    wb.save(src)
    dest = write_result_sheets(tmp_path / "out.xlsx", results(), source=src)
    parts = members(dest)
    # two selected tabs would group the sheets in Excel, and typing would change both
    selected = [n for n, data in parts.items()
                if n.startswith("xl/worksheets/sheet") and b'tabSelected="1"' in data]
    assert selected == ["xl/worksheets/sheet1.xml"]


# --- re-running ----------------------------------------------------------------------------

@pytest.mark.libreoffice
def test_rerun_replaces_the_result_sheet_where_it_stands(rich, tmp_path):
    book = shutil.copyfile(rich["xlsx"], tmp_path / "book.xlsx")
    write_result_sheets(book, results(), in_place=True, backup=False)
    first = members(book)
    write_result_sheets(book, {"Tiers": results(TIERS.iloc[:1])["Tiers"]}, in_place=True,
                        backup=False)
    second = members(book)
    gone, new = set(first) - set(second), set(second) - set(first)
    # the old Tiers sheet, its rels, table, drawing (+ rels) and chart went; as many came
    assert len(gone) == len(new) == 6
    assert all(re.search(r"/(sheet|table|drawing|chart)\d+\.xml(\.rels)?$", n) for n in gone)
    # nothing else changed, not even the style sheet: the formats were there already
    unchanged = set(first) - gone - {"[Content_Types].xml", "xl/workbook.xml",
                                     "xl/_rels/workbook.xml.rels"}
    assert all(first[n] == second[n] for n in unchanged)
    wb = openpyxl.load_workbook(book)
    # Tiers kept its place before Summary, so localSheetId of the local name still means Data
    assert wb.sheetnames == ["Data", "Pivot", "Tiers", "Summary"]
    assert wb["Data"].defined_names["LocalRegion"].attr_text == "Data!$A$2:$A$4"
    ws = wb["Tiers"]
    assert ws.tables["Tiers"].ref == "A2:G3"
    assert ws["A3"].value == "C1" and ws["A4"].value is None
    # workbook-wide unique table ids and names
    tables = [etree.fromstring(second[n]) for n in second if n.startswith("xl/tables/")]
    assert len({t.get("id") for t in tables}) == len({t.get("name") for t in tables}) == 2


def test_a_users_table_name_is_not_taken_and_ids_stay_unique(tmp_path):
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["a", "b"])
    ws.append([1, 2])
    ws.add_table(Table(displayName="Tiers", ref="A1:B2"))
    wb.create_sheet("Other")
    src = tmp_path / "book.xlsx"
    wb.save(src)
    dest = write_result_sheets(tmp_path / "out.xlsx", results(), source=src)
    parts = members(dest)
    tables = {t.get("id"): t.get("displayName") for t in
              (etree.fromstring(parts[n]) for n in parts if n.startswith("xl/tables/"))}
    # the user's table 1 "Tiers" keeps both; ours take ids 2 and 3 and a free name
    assert tables == {"1": "Tiers", "2": "Tiers_2", "3": "Summary"}
    assert sorted(openpyxl.load_workbook(dest)["Tiers"].tables) == ["Tiers_2"]


# --- formats -------------------------------------------------------------------------------

def test_new_number_formats_take_fresh_ids_and_the_users_keep_theirs(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"] = 1.23456
    ws["A1"].number_format = "0.000"  # the source's one custom format: id 164
    src = tmp_path / "book.xlsx"
    wb.save(src)
    dest = write_result_sheets(tmp_path / "out.xlsx", results(), source=src)
    numfmts = {int(el.get("numFmtId")): el.get("formatCode")
               for el in children(members(dest)["xl/styles.xml"], "numFmts")}
    # 164 was taken, so the two custom formats of the results (0.0% and yyyy-mm-dd; #,##0.00
    # and #,##0 are built in, ids 4 and 3) take 165 and 166
    assert numfmts[164] == "0.000"
    assert sorted(numfmts) == [164, 165, 166]
    assert {numfmts[165], numfmts[166]} == {"0.0%", "yyyy-mm-dd"}
    back = openpyxl.load_workbook(dest)
    assert back["Data"]["A1"].number_format == "0.000"
    tiers = back["Tiers"]  # title row 1, header row 2, data from row 3
    assert tiers["D3"].number_format == "#,##0.00"
    assert tiers["E3"].number_format == "0.0%"
    assert tiers["F3"].number_format == "yyyy-mm-dd"
    assert tiers["A1"].font.b and tiers["A2"].font.b
    assert back["Summary"]["B2"].number_format == "#,##0"
    # the conditional formats point at the dxfs that were appended for them
    rules = {str(cf.sqref): [r.dxf.fill.fgColor.rgb if r.dxf else None for r in cf.rules]
             for cf in tiers.conditional_formatting}
    assert rules["G3:G5"] == ["00C6EFCE", "00FFEB9C", "00FFC7CE"]


def test_shared_strings_of_a_rendered_sheet_become_inline_strings():
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetViews><sheetView tabSelected="1" '
             'workbookViewId="0"/></sheetViews><sheetData><row r="1" s="2" customFormat="1">'
             '<c r="A1" s="1" t="s"><v>1</v></c><c r="B1"><v>5</v></c></row></sheetData>'
             '<conditionalFormatting sqref="B1"><cfRule type="cellIs" dxfId="0" priority="1" '
             'operator="lessThan"><formula>0</formula></cfRule></conditionalFormatting>'
             '</worksheet>').encode()
    strings = [etree.fromstring(f'<si xmlns="{MAIN}"><t>zero</t></si>'),
               etree.fromstring(f'<si xmlns="{MAIN}"><t xml:space="preserve"> =1+1 </t></si>')]
    out = etree.fromstring(transform_sheet(sheet, {1: 7, 2: 9}, {0: 4}, strings))
    a1, b1 = out.iter(f"{{{MAIN}}}c")
    assert a1.get("t") == "inlineStr" and a1.get("s") == "7"
    assert a1.find(f"{{{MAIN}}}v") is None
    assert a1.findtext(f"{{{MAIN}}}is/{{{MAIN}}}t") == " =1+1 "  # text, spaces kept
    assert b1.get("s") is None and b1.findtext(f"{{{MAIN}}}v") == "5"
    assert out.find(f".//{{{MAIN}}}row").get("s") == "9"
    assert out.find(f".//{{{MAIN}}}cfRule").get("dxfId") == "4"
    assert out.find(f".//{{{MAIN}}}sheetView").get("tabSelected") is None


# --- readers -------------------------------------------------------------------------------

@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["xlsx", "xlsm"])
def test_libreoffice_opens_it_keeps_its_parts_and_sees_our_values(rich, tmp_path, soffice,
                                                                   kind):
    src = shutil.copyfile(rich[kind], tmp_path / f"book.{kind}")
    dest = write_result_sheets(tmp_path / f"out.{kind}", results(), source=src)
    back = pd.read_csv(soffice.to_csv(dest, sheet="Tiers", outdir=tmp_path / "csv"), dtype=str,
                       keep_default_na=False, skiprows=1)  # row 1 is the table's title
    assert back["name"].tolist() == TIERS["name"].tolist()  # shown as text, not evaluated
    assert back["note"].tolist() == ["+1 555", "-2", "plain"]
    assert back["revenue"].tolist() == ["1,234.50", "80.25", "10.00"]
    assert back["revenue_share"].tolist() == ["25.0%", "70.0%", "5.0%"]
    assert back["first_order"].tolist() == ["2025-01-01", "2025-06-30", "2026-10-31"]
    data = soffice.to_csv(dest, sheet="Data", outdir=tmp_path / "csv2").read_text()
    assert data.splitlines()[:4] == ["region,amount,linked", "East,10,Err:540", "West,20,",
                                     "East,5,"]  # Err:540: LibreOffice will not load links
    assert data == soffice.to_csv(src, sheet="Data", outdir=tmp_path / "csv3").read_text()
    # what LibreOffice understood of the user's parts: it writes them back as ODF
    ods = soffice.convert(dest, "ods", tmp_path / "ods")
    with zipfile.ZipFile(ods) as z:
        content = z.read("content.xml").decode()
    assert 'table:data-pilot-table table:name="RegionPivot"' in content
    assert "<office:annotation" in content and "check this region" in content
    assert "<table:content-validation " in content
    assert "<draw:image" in content and "<draw:object" in content  # picture; our/their charts
    assert content.count("<draw:object") == 2
    assert "prices.ods" in content  # the external link


def test_openpyxl_and_calamine_read_the_grafted_sheets(tmp_path, make_xlsx):
    import python_calamine

    src = make_xlsx({"Customers": [["customer_id", "name"], ["C1", "Acme"]]})
    dest = write_result_sheets(tmp_path / "out.xlsx", results(), source=src)
    ws = openpyxl.load_workbook(dest)["Tiers"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=5, max_col=7)]
    assert [r[:5] for r in rows] == TIERS.iloc[:, :5].values.tolist()
    book = python_calamine.CalamineWorkbook.from_path(str(dest))
    assert book.sheet_names == ["Customers", "Tiers", "Summary"]
    got = book.get_sheet_by_name("Tiers").to_python()
    assert got[1] == list(TIERS.columns)
    assert [r[:5] for r in got[2:5]] == TIERS.iloc[:, :5].values.tolist()
    assert [r[5] for r in got[2:5]] == [d.date() for d in TIERS["first_order"]]
    assert book.get_sheet_by_name("Summary").to_python() == [["tier", "customers"],
                                                            ["A", 1], ["B", 2]]


def test_text_that_looks_like_a_formula_stays_text_after_grafting(tmp_path, make_xlsx):
    src = make_xlsx({"Customers": [["customer_id", "name"], ["C1", "Acme"]]})
    dest = write_result_sheets(tmp_path / "out.xlsx", results(), source=src)
    parts = members(dest)
    rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    wb = etree.fromstring(parts["xl/workbook.xml"])
    rid = next(s.get(f"{{{package.REL}}}id") for s in wb.iter(f"{{{MAIN}}}sheet")
               if s.get("name") == "Tiers")
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    sheet = etree.fromstring(parts[opc.resolve("xl/workbook.xml", target)])
    assert sheet.find(f".//{{{MAIN}}}f") is None  # not one formula on the sheet
    cells = {c.findtext(f"{{{MAIN}}}is/{{{MAIN}}}t"): c.get("t")
             for c in sheet.iter(f"{{{MAIN}}}c")}
    for text in FORMULA_LOOKING:
        assert cells[text] == "inlineStr", text
    ws = openpyxl.load_workbook(dest)["Tiers"]
    assert ws["B3"].data_type == "s" and ws["B3"].value == FORMULA_LOOKING[0]


# --- writing in place ----------------------------------------------------------------------

def backups(folder: Path, stem: str) -> list[Path]:
    return sorted(folder.glob(f"{stem}.bak-*"))


def test_in_place_writes_back_and_keeps_a_backup(tmp_path, make_xlsx):
    book = make_xlsx({"Customers": [["customer_id", "name"], ["C1", "Acme"]]})
    original = book.read_bytes()
    assert write_result_sheets(book, results(), in_place=True) == book
    (backup,) = backups(tmp_path, "book")
    assert re.fullmatch(r"book\.bak-\d{8}-\d{6}\.xlsx", backup.name)
    assert backup.read_bytes() == original
    assert openpyxl.load_workbook(book).sheetnames == ["Customers", "Tiers", "Summary"]
    # a second write within the same second gets its own backup
    write_result_sheets(book, results(), in_place=True)
    assert len(backups(tmp_path, "book")) == 2
    write_result_sheets(book, results(), in_place=True, backup=False)
    assert len(backups(tmp_path, "book")) == 2
    # no temporary files are left beside it
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("book.bak-")) \
        == ["book.xlsx"]


def test_a_failure_mid_write_leaves_the_original_untouched(tmp_path, make_xlsx, monkeypatch):
    book = make_xlsx({"Customers": [["customer_id", "name"], ["C1", "Acme"]]})
    before = sha(book)
    calls = []

    def copy_then_fail(*args):
        calls.append(args)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_copy(*args)

    real_copy = opc.copy_member
    monkeypatch.setattr(opc, "copy_member", copy_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_result_sheets(book, results(), in_place=True)
    assert sha(book) == before
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]  # no temp file, no backup


def test_a_failed_rename_leaves_the_original_untouched(tmp_path, make_xlsx, monkeypatch):
    import os

    book = make_xlsx({"Customers": [["customer_id", "name"], ["C1", "Acme"]]})
    before = sha(book)

    def refuse(src, dst):  # what Windows does while Excel has the file open
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(InputError, match=r"book\.xlsx could not be replaced \(Permission "
                                         r"denied\); it may be open in another program"):
        write_result_sheets(book, results(), in_place=True)
    assert sha(book) == before
    # the backup made just before the rename went too: nothing changed, nothing left over
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_in_place_refuses_when_another_program_saved_meanwhile(tmp_path, make_xlsx,
                                                                 monkeypatch):
    book = make_xlsx({"Customers": [["customer_id", "name"], ["C1", "Acme"]]})
    real_graft = package.graft_sheets

    def graft_while_user_saves(source, rendered, out, **kwargs):
        result = real_graft(source, rendered, out, **kwargs)
        source.write_bytes(source.read_bytes() + b"\0")  # the user saved in the meantime
        return result

    monkeypatch.setattr(package, "graft_sheets", graft_while_user_saves)
    with pytest.raises(InputError, match="changed by another program"):
        write_result_sheets(book, results(), in_place=True)
    assert book.read_bytes().endswith(b"\0")  # their save stands
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


@pytest.mark.parametrize("lock", ["~$book.xlsx", ".~lock.book.xlsx#"])
def test_in_place_refuses_a_workbook_open_in_excel(tmp_path, make_xlsx, lock):
    book = make_xlsx({"Customers": [["customer_id", "name"], ["C1", "Acme"]]})
    (tmp_path / lock).write_bytes(b"owner")
    with pytest.raises(InputError, match=r"book\.xlsx is open in Excel or LibreOffice"):
        write_result_sheets(book, results(), in_place=True)


def test_no_result_sheets_give_an_identical_copy(tmp_path, make_xlsx):
    src = make_xlsx({"Customers": [["customer_id"], ["C1"]]})
    assert sha(write_result_sheets(tmp_path / "out.xlsx", {}, source=src)) == sha(src)


def test_in_place_needs_an_xlsx_or_xlsm_and_one_file(tmp_path, make_xlsx):
    with pytest.raises(InputError, match="written as .xlsx"):
        write_result_sheets(tmp_path / "book.xls", results(), in_place=True)
    book = make_xlsx({"Customers": [["customer_id"], ["C1"]]})
    with pytest.raises(ValueError, match="in_place"):
        write_result_sheets(book, results(), source=tmp_path / "other.xlsx", in_place=True)
    with pytest.raises(InputError, match="file not found"):
        write_result_sheets(tmp_path / "missing.xlsx", results(), in_place=True)


# --- refusals ------------------------------------------------------------------------------

def _rewrite(path: Path, edit) -> Path:
    parts = members(path)
    edit(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _encrypted(path: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    locked = path.with_name("locked.xlsx")
    with path.open("rb") as plain, locked.open("wb") as out:
        OOXMLFile(plain).encrypt("secret", out)
    return locked


def _strict(path: Path) -> Path:
    def edit(parts):
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            MAIN.encode(), package.STRICT_MAIN.encode())
    return _rewrite(path, edit)


def _signed(path: Path) -> Path:
    def edit(parts):
        parts["_rels/.rels"] = parts["_rels/.rels"].replace(
            b"</Relationships>",
            f'<Relationship Id="rIdSig" Type="{package.RT_SIGNATURE_ORIGIN}" '
            'Target="_xmlsignatures/origin.sigs"/></Relationships>'.encode())
        parts["_xmlsignatures/origin.sigs"] = b""
    return _rewrite(path, edit)


def _protected(path: Path) -> Path:
    from openpyxl.workbook.protection import WorkbookProtection

    wb = openpyxl.load_workbook(path)
    wb.security = WorkbookProtection(lockStructure=True)
    wb.save(path)
    return path


def _chartsheet_named_tiers(path: Path) -> Path:
    from openpyxl.chart import BarChart, Reference

    wb = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(wb["Customers"], min_col=1, min_row=1, max_row=2))
    wb.create_chartsheet("Tiers").add_chart(chart)
    wb.save(path)
    return path


@pytest.mark.parametrize("make, words", [
    (_encrypted, "password-protected (encrypted)"),
    (_strict, "Strict Open XML"),
    (_signed, "digital signature would no longer be valid"),
    (_protected, "structure is protected"),
    (_chartsheet_named_tiers, "sheet 'Tiers' is a chart sheet"),
])
def test_what_cannot_be_kept_is_refused_by_name(tmp_path, make_xlsx, make, words):
    src = make(make_xlsx({"Customers": [["customer_id", "name"], ["C1", "Acme"]]}))
    before = sha(src)
    with pytest.raises(InputError, match=re.escape(words)):
        write_result_sheets(tmp_path / "out.xlsx", results(), source=src)
    with pytest.raises(InputError, match=re.escape(words)):
        write_result_sheets(src, results(), in_place=True)
    assert sha(src) == before
    assert not (tmp_path / "out.xlsx").exists()
    assert not backups(tmp_path, src.stem)


@pytest.mark.libreoffice
def test_replacing_a_sheet_that_holds_a_pivot_table_is_refused(rich, tmp_path):
    src = shutil.copyfile(rich["xlsx"], tmp_path / "book.xlsx")
    with pytest.raises(InputError, match=r"would replace sheets that hold a pivot table"):
        write_result_sheets(tmp_path / "out.xlsx", {"Pivot": TIERS}, source=src)
    with pytest.raises(InputError, match=r"hold comments, pictures; rename those sheets"):
        write_result_sheets(tmp_path / "out.xlsx", {"Data": TIERS}, source=src)


def test_macros_and_suffixes_must_agree(tmp_path):
    src = shutil.copyfile(XLWINGS / "quickstart_standalone.xlsm", tmp_path / "book.xlsm")
    with pytest.raises(InputError, match=r"holds macros \(VBA\), which an \.xlsx cannot keep"):
        write_result_sheets(tmp_path / "out.xlsx", results(), source=src)
    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    with pytest.raises(InputError, match="must stay an .xlsx"):
        write_result_sheets(tmp_path / "out.xlsm", results(), source=plain)


# --- calculation chain ---------------------------------------------------------------------

def _with_calc_chain(path: Path, sheet_id: int) -> Path:
    def edit(parts):
        parts["xl/calcChain.xml"] = (f'<calcChain xmlns="{MAIN}"><c r="D1" i="{sheet_id}"/>'
                                     '</calcChain>').encode()
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>",
            f'<Relationship Id="rIdCalc" Type="{package.RT_CALC_CHAIN}" '
            'Target="calcChain.xml"/></Relationships>'.encode())
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')
    return _rewrite(path, edit)


def test_calc_chain_goes_only_when_it_lists_a_replaced_sheet(tmp_path, make_xlsx):
    sheets = {"Customers": [["customer_id", "x"], ["C1", "=1+1"]], "Tiers": [["old"], [1]]}
    kept = _with_calc_chain(make_xlsx(sheets, name="a.xlsx"), sheet_id=1)
    out = write_result_sheets(tmp_path / "a_out.xlsx", results(), source=kept)
    assert members(out)["xl/calcChain.xml"] == members(kept)["xl/calcChain.xml"]
    dropped = _with_calc_chain(make_xlsx(sheets, name="b.xlsx"), sheet_id=2)
    out = write_result_sheets(tmp_path / "b_out.xlsx", results(), source=dropped)
    parts = members(out)
    assert "xl/calcChain.xml" not in parts
    assert b"calcChain" not in parts["[Content_Types].xml"]
    assert b"calcChain" not in parts["xl/_rels/workbook.xml.rels"]
    assert openpyxl.load_workbook(out).sheetnames == ["Customers", "Tiers", "Summary"]


def test_a_package_without_a_style_sheet_gets_the_results_styles(tmp_path, make_xlsx):
    def edit(parts):
        del parts["xl/styles.xml"]
        rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
        for rel in list(rels):
            if rel.get("Type") == package.RT_STYLES:
                rels.remove(rel)
        parts["xl/_rels/workbook.xml.rels"] = etree.tostring(rels)

    src = _rewrite(make_xlsx({"Customers": [["customer_id"], ["C1"]]}), edit)
    dest = write_result_sheets(tmp_path / "out.xlsx", results(), source=src)
    ws = openpyxl.load_workbook(dest)["Tiers"]
    assert ws["E3"].number_format == "0.0%" and ws["A1"].font.b


# --- invariants ----------------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"),
                min_size=1, max_size=12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(
    st.one_of(_TEXT, st.builds(str.__add__, st.sampled_from("=+-@"), _TEXT)),
    st.one_of(st.none(), st.floats(-1e300, 1e300, width=64), st.just(math.nan)),
    st.integers(-10**12, 10**12)), min_size=1, max_size=8))
def test_any_results_keep_every_part_and_read_back_as_written(rows):
    """Whatever the data, the user's parts stay byte for byte, nothing becomes a formula, and
    the cells read back as the values written (text without XML-illegal characters)."""
    from addin.workbook.results import safe_cell_text

    frame = pd.DataFrame(rows, columns=["text", "number", "count"])
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "book.xlsx"
        wb = openpyxl.Workbook()
        wb.active.title = "Customers"
        wb.active.append(["customer_id", "amount"])
        wb.active.append(["C1", 12.5])
        wb.save(src)
        dest = write_result_sheets(Path(tmp) / "out.xlsx", {"R": frame}, source=src)
        before, after = members(src), members(dest)
        assert {n for n in before if before[n] != after[n]} <= ALLOWED_TO_CHANGE
        assert all(b"<f>" not in after[n] for n in set(after) - set(before))
        ws = openpyxl.load_workbook(dest)["R"]
        got = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_col=3)]
    # text and integers exactly; decimals to the 15 significant digits Excel keeps
    assert [[t, c] for t, _, c in got] == [[safe_cell_text(t) or None, c] for t, _, c in rows]
    missing = [n is None or math.isnan(n) for _, n, _ in rows]  # NaN is an empty cell
    assert [n is None for _, n, _ in got] == missing
    assert all(math.isclose(g, n, rel_tol=1e-15, abs_tol=1e-300)
               for (_, g, _), (_, n, _), m in zip(got, rows, missing, strict=True) if not m)
