"""Add result sheets to a user's .xlsx/.xlsm at the package level, losing nothing that was there.

An ``.xlsx`` is an OPC package: a zip of XML parts linked by relationship (``.rels``) parts.
openpyxl rebuilds every part from its own object model when it saves, so charts, pictures,
pivot tables, slicers, some validations, comment formatting and anything it does not model are
lost, and a 60,000-row workbook takes seconds to load and save. Here the user's workbook is
never parsed as a whole. The result sheets are rendered alone (by openpyxl, into a small
workbook: the *rendered* package) and their parts are grafted into the user's package:

* every part of the source is copied byte for byte, except the few that must change:
  ``[Content_Types].xml``, the workbook part and its relationships, and ``styles.xml`` when the
  result sheets need cell formats the source lacks (formats already there are reused, so a
  re-run adds none). ``docProps/app.xml`` keeps its old list of sheet titles (only Explorer's
  property page shows it; Excel rewrites it on the next save);
* the grafted sheets' style indices (``s=``, ``style=``, ``dxfId=``) are remapped into the
  merged style sheet; their strings are inline strings (openpyxl writes them so; shared strings
  would be inlined), so ``sharedStrings.xml`` stays untouched;
* tables get workbook-unique ids and names; drawings and charts come along with their
  relationship parts, under part names that are free in the source;
* a sheet with a result sheet's name (a result of an earlier run) is replaced in place: it keeps
  its position, ``sheetId`` and relationship id, so sheet-local defined names
  (``localSheetId``) and other sheets' formulas, charts and pivot caches that refer to it keep
  working; the parts only it used are removed (found by reachability over the relationships);
  ``calcChain.xml`` is dropped when it lists cells of a replaced sheet (Excel rebuilds it);
* new sheets are appended after the last sheet.

What cannot be kept is refused with an :class:`~addin.errors.InputError` that names it: an
encrypted workbook (the encryption), a Strict Open XML workbook, a digitally signed one (the
signature), one whose structure is protected or that is a legacy shared workbook, a macro
workbook written to ``.xlsx`` (the VBA), and a sheet to be replaced that holds what a result
sheet never holds (pivot tables, comments, pictures, controls, a chart sheet). Source: ECMA-376
Part 2 (Open Packaging Conventions) for parts, relationships and content types, Part 1 §18 for
SpreadsheetML (workbook, styles, tables, calculation chain).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from addin.errors import InputError
from addin.workbook.opc import (
    CONTENT_TYPES,
    CT_NS,
    PKG_REL,
    Package,
    parse_xml,
    reachable,
    relative,
    rels_name,
    serialize,
    write_package,
)
from addin.workbook.stream import splice_rows
from addin.workbook.stylesheet import StyleMerger

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RT_WORKSHEET = f"{REL}/worksheet"
RT_CALC_CHAIN = f"{REL}/calcChain"
RT_SHARED_STRINGS = f"{REL}/sharedStrings"
RT_STYLES = f"{REL}/styles"
RT_REVISION_HEADERS = f"{REL}/revisionHeaders"
RT_SIGNATURE_ORIGIN = f"{PKG_REL}/digital-signature/origin"
MACRO_MAIN_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_PREFIX = "application/vnd.openxmlformats-officedocument."
WORKSHEET_CT = CT_PREFIX + "spreadsheetml.worksheet+xml"
TABLE_CT = CT_PREFIX + "spreadsheetml.table+xml"

# Content types of the parts a result sheet is made of: replacing a sheet loses nothing else.
RESULT_PART_TYPES = {
    WORKSHEET_CT,
    TABLE_CT,
    CT_PREFIX + "drawing+xml",
    CT_PREFIX + "drawingml.chart+xml",
    CT_PREFIX + "drawingml.chartshapes+xml",
    CT_PREFIX + "themeOverride+xml",
    CT_PREFIX + "spreadsheetml.printerSettings",
    CT_PREFIX + "spreadsheetml.calcChain+xml",
    "application/vnd.ms-office.chartstyle+xml",
    "application/vnd.ms-office.chartcolorstyle+xml",
}
# What a user would call the other kinds of part, for the refusal message.
_PART_WORDS = (
    ("pivotTable", "a pivot table"),
    ("threadedComment", "threaded comments"),
    ("comments", "comments"),
    ("vmlDrawing", "comments or form controls"),
    ("ctrlProp", "form controls"),
    ("image/", "pictures"),
    ("oleObject", "embedded objects"),
    ("queryTable", "a query table"),
    ("slicer", "slicers"),
    ("timeline", "timelines"),
    ("chartsheet", "a chart sheet"),
    ("dialogsheet", "a dialog sheet"),
    ("macrosheet", "an Excel 4 macro sheet"),
)
_STUB_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="' + MAIN.encode() + b'"><sheetData/></worksheet>')
_TABLE_DXF_ATTRS = ("headerRowDxfId", "dataDxfId", "totalsRowDxfId", "headerRowBorderDxfId",
                    "tableBorderDxfId", "totalsRowBorderDxfId")


@dataclass
class GraftResult:
    """What a graft did: sheets replaced in place and appended, parts removed, added and
    changed (every other part was copied as it was)."""

    replaced: list[str] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)
    removed_parts: list[str] = field(default_factory=list)
    added_parts: list[str] = field(default_factory=list)
    changed_parts: list[str] = field(default_factory=list)


def graft_sheets(source: Path, rendered: Path, out: BinaryIO, *,
                 macro_dest: bool = False, only: Collection[str] | None = None,
                 streams: dict | None = None,
                 stubs: Collection[str] = ()) -> GraftResult:
    """Write to ``out`` the package ``source`` with the sheets of the ``rendered`` workbook
    grafted into it (see the module docstring); ``source`` itself is only read.
    ``macro_dest``: the result is an .xlsm (the source must then hold VBA, and vice versa).
    ``only``: graft just these sheets of ``rendered`` (names as Excel compares them, case
    folded), which may then be any workbook, such as an earlier results copy: its other sheets
    and its defined names are not carried.
    ``streams``: sheet name -> the :class:`~addin.workbook.stream.StreamedTable` s whose
    rows are spliced into that rendered skeleton as it is written.
    ``stubs``: carried sheets about to be replaced: they keep their place as empty sheets,
    never parsed (an earlier 100,000-row result took 2.6 GB to carry only to be replaced)."""
    with open_source(source) as src_zip, zipfile.ZipFile(rendered) as ren_zip:
        graft = _Graft(source.name, Package(src_zip), Package(ren_zip), macro_dest)
        graft.ren_file = rendered.name
        graft.streams = streams or {}
        if only is not None:
            graft.only = {name.casefold() for name in only}
        graft.streams = streams or {}
        graft.stubs = {name.casefold() for name in stubs}
        return graft.write(out)


def sheet_names(path: Path) -> list[str]:
    """The sheet names of an .xlsx/.xlsm package, in tab order (worksheets, chart sheets and
    the rest alike), read from its workbook part alone."""
    with open_source(path) as zf:
        try:
            pkg = Package(zf)
            wb = parse_xml(pkg.read(pkg.main_part())).getroot()
        except (KeyError, etree.XMLSyntaxError) as exc:
            raise InputError(f"{path.name} is damaged (its workbook part cannot be read: "
                             f"{exc}); let Excel repair it and save it again") from exc
        return [el.get("name", "") for el in wb.iter(f"{{{MAIN}}}sheet")]


def open_source(path: Path) -> zipfile.ZipFile:
    """The source workbook as a zip, or an InputError saying why it cannot take result sheets."""
    from addin.workbook.sources import _OLE_MAGIC, _is_encrypted_ole

    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE_MAGIC) and _is_encrypted_ole(path):
        raise InputError(
            f"{path.name} is password-protected (encrypted): result sheets cannot be added "
            "without losing the encryption; remove the password in Excel (File > Info > "
            "Protect Workbook) or write the results to a copy")
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path.name} is damaged or not an .xlsx/.xlsm workbook ({exc}); let "
                         "Excel repair it and save it again") from exc


def graft_problems(pkg: Package, workbook_part: str, workbook: etree._Element,
                   macro_dest: bool) -> list[str]:
    """What would be lost (or broken) by adding sheets to this package; empty when nothing."""
    problems = []
    if etree.QName(workbook).namespace == STRICT_MAIN:
        problems.append("it is saved as Strict Open XML Spreadsheet (save it as an Excel "
                        "Workbook, .xlsx)")
    if any(rel.type == RT_SIGNATURE_ORIGIN for rel in pkg.rels("")):
        problems.append("its digital signature would no longer be valid (remove the signature "
                        "or write the results to a copy)")
    protection = workbook.find(f"{{{MAIN}}}workbookProtection")
    if protection is not None and protection.get("lockStructure") in ("1", "true"):
        problems.append("its structure is protected, so sheets may not be added (Review > "
                        "Protect Workbook to unprotect it)")
    if any(rel.type == RT_REVISION_HEADERS for rel in pkg.rels(workbook_part)):
        problems.append("it is a shared workbook (legacy) whose change history would break "
                        "(stop sharing it first)")
    macro_source = pkg.content_type(workbook_part) == MACRO_MAIN_CT
    if macro_source and not macro_dest:
        problems.append("it holds macros (VBA), which an .xlsx cannot keep (write to .xlsm)")
    if macro_dest and not macro_source:
        problems.append("it has no macros, so it must stay an .xlsx (an .xlsm holding a "
                        "macro-free workbook does not open in Excel)")
    return problems


def describe_parts(content_types: Iterable[str]) -> list[str]:
    """Content types in a user's words (``a pivot table``, ``pictures``), each once."""
    words = []
    for ct in content_types:
        word = next((w for key, w in _PART_WORDS if key.lower() in ct.lower()), ct or "a part")
        if word not in words:
            words.append(word)
    if "comments" in words and "comments or form controls" in words:
        words.remove("comments or form controls")  # the comments' own VML drawing
    return words


def transform_sheet(sheet: bytes | etree._ElementTree, xf_map: dict[int, int],
                    dxf_map: dict[int, int], strings: list[etree._Element]) -> bytes:
    """A rendered worksheet ready for the source: style indices remapped, shared strings made
    inline (``<is>`` has the same content as ``<si>``), and not selected (two selected tabs
    would group the sheets in Excel, so typing would change both)."""
    tree = parse_xml(sheet) if isinstance(sheet, bytes) else sheet
    m = f"{{{MAIN}}}"
    cell_tag, row_tag, col_tag, view_tag = f"{m}c", f"{m}row", f"{m}col", f"{m}sheetView"
    for el in tree.getroot().iter(cell_tag, row_tag, col_tag, view_tag, f"{m}cfRule"):
        tag = el.tag
        if tag == cell_tag or tag == row_tag:
            s = el.get("s")
            if s is not None:
                el.set("s", str(xf_map.get(int(s), 0)))
            if tag == cell_tag and el.get("t") == "s":
                value = el.find(f"{m}v")
                si = strings[int(value.text)]
                el.remove(value)
                inline = etree.SubElement(el, f"{m}is")
                inline.extend(etree.fromstring(etree.tostring(si)).iterchildren())
                el.set("t", "inlineStr")
        elif tag == col_tag:
            if el.get("style") is not None:
                el.set("style", str(xf_map.get(int(el.get("style")), 0)))
        elif tag == view_tag:
            el.attrib.pop("tabSelected", None)
        elif el.get("dxfId") is not None:
            el.set("dxfId", str(dxf_map[int(el.get("dxfId"))]))
    return serialize(tree)


def transform_table(data: bytes, table_id: int, name: str, dxf_map: dict[int, int]) -> bytes:
    """A rendered table with a workbook-unique id and name, its dxf indices remapped."""
    tree = parse_xml(data)
    root = tree.getroot()
    root.set("id", str(table_id))
    root.set("name", name)
    root.set("displayName", name)
    for el in root.iter():
        for attr in _TABLE_DXF_ATTRS:
            if el.get(attr) is not None:
                el.set(attr, str(dxf_map[int(el.get(attr))]))
    return serialize(tree)


def _style_ids(root: etree._Element) -> tuple[set[int], set[int]]:
    """The cellXfs and dxfs indices a worksheet or table part uses."""
    m = f"{{{MAIN}}}"
    if etree.QName(root).localname == "table":
        return set(), {int(el.get(a)) for el in root.iter() for a in _TABLE_DXF_ATTRS
                       if el.get(a) is not None}
    xfs, dxfs = set(), set()
    for el in root.iter(f"{m}c", f"{m}row", f"{m}col", f"{m}cfRule"):
        value = el.get("style" if el.tag == f"{m}col" else "dxfId" if el.tag == f"{m}cfRule"
                       else "s")
        if value is not None:
            (dxfs if el.tag == f"{m}cfRule" else xfs).add(int(value))
    return xfs, dxfs


def _calc_chain_sheets(data: bytes, part: str | None = None) -> set[str]:
    """sheetIds the calculation chain lists (an entry without ``i`` continues the last one)."""
    ids, current = set(), None
    for el in parse_xml(data, part).getroot().iter(f"{{{MAIN}}}c"):
        current = el.get("i", current)
        ids.add(current)
    return ids


def _free_name(wanted: str, taken: set[str]) -> str:
    """``wanted`` when it is free (any case, its rels part too), else the first free
    ``xl/tables/tableN.xml`` for ``xl/tables/table1.xml``."""
    stem, ext = wanted.rsplit(".", 1) if "." in wanted else (wanted, "")
    stem = re.sub(r"\d+$", "", stem)
    ext = f".{ext}" if ext else ""
    name, n = wanted, 0
    while {name.lower(), rels_name(name).lower()} & taken:
        n += 1
        name = f"{stem}{n}{ext}"
    taken.update((name.lower(), rels_name(name).lower()))
    return name


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name.casefold())
    return name


def _rels_xml(source_part: str, rels: list[tuple[str, str, str]]) -> bytes:
    root = etree.Element(f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL})
    for rid, rtype, target in rels:
        etree.SubElement(root, f"{{{PKG_REL}}}Relationship",
                         Id=rid, Type=rtype, Target=relative(source_part, target))
    return serialize(etree.ElementTree(root))


class _Graft:
    """One graft of a rendered workbook's sheets into a source package, step by step."""

    def __init__(self, file: str, src: Package, ren: Package, macro_dest: bool) -> None:
        self.file, self.src, self.ren = file, src, ren
        self.result = GraftResult()
        self.wb_part = src.main_part()
        self.wb_tree = parse_xml(src.read(self.wb_part), self.wb_part)
        self.wb = self.wb_tree.getroot()
        problems = graft_problems(src, self.wb_part, self.wb, macro_dest)
        if problems:
            raise InputError(f"{file}: result sheets cannot be added without loss, because "
                             + "; ".join(problems))
        rels_part = rels_name(self.wb_part)
        self.rels_tree = parse_xml(src.read(rels_part), rels_part) if src.has(rels_part) else \
            etree.ElementTree(etree.Element(f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL}))
        self.rel_els = {el.get("Id"): el for el in self.rels_tree.getroot()
                        if isinstance(el.tag, str)}
        self.sheets_el = self.wb.find(f"{{{MAIN}}}sheets")
        if self.sheets_el is None:
            raise InputError(f"{file} is damaged (its workbook part lists no sheets); let "
                             "Excel repair it and save it again")
        self.taken = set(src.names)
        self.ren_wb_part = ren.main_part()
        self.retargeted: set[str] = set()  # ids of relationships now pointing at a new sheet
        self.parsed: dict[str, etree._ElementTree] = {}  # rendered parts parsed once
        self.streams: dict = {}  # sheet name -> tables whose rows are streamed in
        self.stubs: set[str] = set()  # casefolded names of sheets carried as empty stubs
        self.stub_parts: set[str] = set()
        self.only: set[str] | None = None  # casefolded names of the rendered sheets to graft
        self.ren_file = "the rendered workbook"

    def write(self, out: BinaryIO) -> GraftResult:
        ren_sheets = self._rendered_sheets()
        self.stub_parts = {part.lower() for name, part in ren_sheets
                           if name.casefold() in self.stubs}
        closure = self._closure([part for _, part in ren_sheets])
        if self.only is not None:  # carried sheets: only what a result sheet is made of
            other = sorted({self.ren.content_type(p) for p in closure} - RESULT_PART_TYPES)
            if other:
                raise InputError(
                    f"{self.ren_file}: sheets {', '.join(n for n, _ in ren_sheets)} hold "
                    f"{', '.join(describe_parts(other))}, which cannot be carried into a new "
                    "results copy; move what you added to another workbook, or write the "
                    "results to another file with --out")
        merger, xf_map, dxf_map = self._merge_styles(closure)
        names = {p.lower(): _free_name(p, self.taken) for p in closure}
        if merger is None:  # the source has no style sheet: it gets the rendered one
            styles = next(r.target for r in self.ren.rels(self.ren_wb_part)
                          if r.type == RT_STYLES)
            closure.append(styles)
            names[styles.lower()] = _free_name(styles, self.taken)
            self._new_rel(RT_STYLES, names[styles.lower()])
        replaced = self._place_sheets(ren_sheets, names)
        self._drop_stale_calc_chain(replaced)
        removed = self._removed_parts()
        new_parts, new_types = self._grafted_parts(closure, names, xf_map, dxf_map, removed)
        changed = {
            CONTENT_TYPES: self._content_types(removed, new_types),
            self.wb_part: serialize(self.wb_tree),
            rels_name(self.wb_part): serialize(self.rels_tree),
        }
        if merger is not None and merger.changed:
            styles_part = next(r.target for r in self.src.rels(self.wb_part)
                               if r.type == RT_STYLES)
            changed[self.src.names[styles_part.lower()]] = merger.to_bytes()
        self.result.removed_parts = sorted(removed)
        self.result.added_parts = list(new_parts)
        self.result.changed_parts = sorted(changed)
        write_package(self.src, changed, removed, new_parts, out)
        return self.result

    def _rendered_sheets(self) -> list[tuple[str, str]]:
        """(name, part) of each rendered sheet, in order."""
        ren_wb = parse_xml(self.ren.read(self.ren_wb_part)).getroot()
        if self.only is None and \
                ren_wb.find(f"{{{MAIN}}}definedNames/{{{MAIN}}}definedName") is not None:
            raise RuntimeError("result sheets with defined names cannot be grafted")
        rels = {rel.id: rel for rel in self.ren.rels(self.ren_wb_part)}
        sheets = [(el.get("name"), rels[el.get(f"{{{REL}}}id")].target)
                  for el in ren_wb.iter(f"{{{MAIN}}}sheet")
                  if self.only is None or el.get("name", "").casefold() in self.only]
        for name, part in sheets:
            kind = self.ren.content_type(part)
            if kind != WORKSHEET_CT:
                raise InputError(f"{self.ren_file}: sheet {name!r} is "
                                 f"{describe_parts([kind])[0]}, which cannot be carried over; "
                                 "move it to another workbook or write the results elsewhere")
        return sheets

    def _closure(self, parts: list[str]) -> list[str]:
        """The rendered parts the sheets need: themselves and all they link to."""
        closure: list[str] = []
        seen: set[str] = set()
        stack = list(reversed(parts))
        while stack:
            part = stack.pop()
            if part.lower() in seen:
                continue
            seen.add(part.lower())
            closure.append(part)
            if part.lower() in self.stub_parts:
                continue  # an empty stand-in: none of its tables or drawings
            stack.extend(reversed([r.target for r in self.ren.rels(part) if r.target]))
        return closure

    def _merge_styles(self, closure: list[str]):
        xfs, dxfs = set(), set()
        for part in closure:
            if part.lower() in self.stub_parts:
                self.parsed[part] = parse_xml(_STUB_SHEET)
            elif self.ren.content_type(part) in (WORKSHEET_CT, TABLE_CT):
                self.parsed[part] = parse_xml(self.ren.read(part))
                used = _style_ids(self.parsed[part].getroot())
                xfs |= used[0]
                dxfs |= used[1]
        styles = next((r.target for r in self.src.rels(self.wb_part)
                       if r.type == RT_STYLES and r.target and self.src.has(r.target)), None)
        if styles is None:
            return None, {i: i for i in xfs}, {i: i for i in dxfs}
        ren_styles = next(r.target for r in self.ren.rels(self.ren_wb_part)
                          if r.type == RT_STYLES)
        parse_xml(self.src.read(styles), styles)  # damage named before merging
        merger = StyleMerger(self.src.read(styles), self.ren.read(ren_styles))
        return merger, merger.merge_xfs(sorted(xfs)), merger.merge_dxfs(sorted(dxfs))

    def _new_rel(self, rel_type: str, target: str) -> str:
        numbers = [int(m.group(1)) for rid in self.rel_els
                   if (m := re.fullmatch(r"rId(\d+)", rid or ""))]
        rid = f"rId{max(numbers, default=0) + 1}"
        self.rel_els[rid] = etree.SubElement(
            self.rels_tree.getroot(), f"{{{PKG_REL}}}Relationship",
            Id=rid, Type=rel_type, Target=relative(self.wb_part, target))
        return rid

    def _place_sheets(self, ren_sheets: list[tuple[str, str]], names: dict[str, str]) -> set:
        """Point a same-named sheet at its new part (position, sheetId, r:id kept) or append
        a sheet; return the sheetIds of the sheets replaced."""
        sheets = [el for el in self.sheets_el if isinstance(el.tag, str)]  # not comments
        by_name = {el.get("name", "").casefold(): el for el in sheets}
        src_rels = {rel.id: rel for rel in self.src.rels(self.wb_part)}
        next_id = max((int(el.get("sheetId", 0)) for el in sheets), default=0) + 1
        replaced = set()
        for name, part in ren_sheets:
            target = names[part.lower()]
            old = by_name.get(name.casefold())
            if old is None:
                rid = self._new_rel(RT_WORKSHEET, target)
                etree.SubElement(self.sheets_el, f"{{{MAIN}}}sheet",
                                 {"name": name, "sheetId": str(next_id), f"{{{REL}}}id": rid})
                next_id += 1
                self.result.appended.append(name)
                continue
            rid = old.get(f"{{{REL}}}id")
            if rid not in self.rel_els or rid not in src_rels:
                raise InputError(f"{self.file} is damaged (sheet {old.get('name')!r} has no "
                                 "part); let Excel repair it and save it again")
            old_type = self.src.content_type(src_rels[rid].target or "")
            if old_type != WORKSHEET_CT:
                raise InputError(
                    f"{self.file}: sheet {old.get('name')!r} is {describe_parts([old_type])[0]}"
                    ", which a result sheet of that name would replace; rename it")
            old.set("name", name)
            rel = self.rel_els[rid]
            rel.set("Type", RT_WORKSHEET)
            rel.set("Target", relative(self.wb_part, target))
            replaced.add(old.get("sheetId"))
            self.retargeted.add(rid)
            self.result.replaced.append(name)
        return replaced

    def _drop_stale_calc_chain(self, replaced: set) -> None:
        """The calculation chain may not list cells of a replaced sheet: drop it then (Excel
        rebuilds it when it next calculates)."""
        for rel in self.src.rels(self.wb_part):
            if replaced and rel.type == RT_CALC_CHAIN and rel.target and \
                    self.src.has(rel.target) and \
                    _calc_chain_sheets(self.src.read(rel.target), rel.target) & replaced:
                self.rels_tree.getroot().remove(self.rel_els.pop(rel.id))

    def _removed_parts(self) -> set[str]:
        """Source parts no longer reachable (with their rels parts); refused when that would
        lose what a result sheet never holds."""
        rels_now = [r for r in self.src.rels(self.wb_part)
                    if r.id in self.rel_els and r.id not in self.retargeted]
        gone = reachable(self.src) - reachable(self.src, {self.wb_part: rels_now})
        lost = describe_parts(ct for p in sorted(gone)
                              if (ct := self.src.content_type(p)) not in RESULT_PART_TYPES)
        if lost:
            raise InputError(
                f"{self.file}: result sheet(s) {', '.join(self.result.replaced)} would replace "
                f"sheets that hold {', '.join(lost)}; rename those sheets (or move what they "
                "hold) first")
        removed = {self.src.names[p] for p in gone}
        return removed | {self.src.names[rels_name(n).lower()] for n in removed
                          if self.src.has(rels_name(n))}

    def _table_names(self, removed: set[str]) -> tuple[set[str], int]:
        """Names taken by the tables and defined names that stay, and the next free table id."""
        names, ids = set(), [0]
        defined = self.wb.find(f"{{{MAIN}}}definedNames")
        if defined is not None:
            names |= {el.get("name", "").casefold() for el in defined if isinstance(el.tag, str)}
        for part in self.src.names.values():
            if part in removed or self.src.content_type(part) != TABLE_CT:
                continue
            for _, el in etree.iterparse(self.src.zf.open(part), events=("start",)):
                ids.append(int(el.get("id", 0)))
                names |= {el.get("name", "").casefold(), el.get("displayName", "").casefold()}
                break
        return names, max(ids) + 1

    def _grafted_parts(self, closure, names, xf_map, dxf_map, removed):
        """The rendered parts under their new names, remapped, with their rels parts."""
        strings = next((list(parse_xml(self.ren.read(r.target)).getroot().iter(f"{{{MAIN}}}si"))
                        for r in self.ren.rels(self.ren_wb_part)
                        if r.type == RT_SHARED_STRINGS and r.target), [])
        table_names, table_id = self._table_names(removed)
        parts, types = {}, {}
        streamed = {part.lower(): self.streams.get(name)
                    for name, part in self._rendered_sheets()}
        for part in closure:
            name, ct = names[part.lower()], self.ren.content_type(part)
            data = b"" if ct == WORKSHEET_CT else self.ren.read(part)
            if ct == WORKSHEET_CT:
                data = transform_sheet(self.parsed.pop(part), xf_map, dxf_map, strings)
                if streamed.get(part.lower()):
                    data = splice_rows(data, streamed[part.lower()])
            elif ct == TABLE_CT:
                base = parse_xml(data).getroot().get("displayName", "Table")
                data = transform_table(data, table_id, _unique(base, table_names), dxf_map)
                table_id += 1
            parts[name], types[name] = data, ct
            rels = [] if part.lower() in self.stub_parts else self.ren.rels(part)
            if any(r.target is None for r in rels):
                raise RuntimeError(f"rendered part {part} has external relationships")
            if rels:
                parts[rels_name(name)] = _rels_xml(
                    name, [(r.id, r.type, names[r.target.lower()]) for r in rels])
        return parts, types

    def _content_types(self, removed: set[str], new_types: dict[str, str]) -> bytes:
        """The source's content types without the removed parts, with the new ones."""
        tree = parse_xml(self.src.read(CONTENT_TYPES), CONTENT_TYPES)
        root = tree.getroot()
        drop = {n.lower() for n in removed} | {n.lower() for n in new_types}
        for el in list(root.iter(f"{{{CT_NS}}}Override")):
            if el.get("PartName", "").lstrip("/").lower() in drop:
                root.remove(el)
        if "rels" not in self.src.defaults:
            etree.SubElement(root, f"{{{CT_NS}}}Default", Extension="rels",
                             ContentType=self.ren.defaults["rels"])
        for name, ct in new_types.items():
            etree.SubElement(root, f"{{{CT_NS}}}Override", PartName=f"/{name}", ContentType=ct)
        return serialize(tree)
