"""Merge the cell formats of rendered result sheets into a user's ``styles.xml``.

A cell's ``s`` attribute indexes ``cellXfs``; each ``xf`` there points at a number format, a
font, a fill and a border by index; conditional formats and tables point into ``dxfs``
(ECMA-376 Part 1, §18.8). Grafting a sheet into another workbook therefore means carrying the
formats it uses over, with new indices. Formats the source already has (compared element by
element, attributes and children) are reused, so writing the same results twice adds nothing the
second time. The defaults map to the defaults: the rendered workbook's font 0, fills 0-1 and
border 0 become the source's, so unformatted and formatted cells of a result sheet show the
user's default font. Custom number formats get fresh ids from 164 up (ids below are built in).
"""

from __future__ import annotations

import copy

from lxml import etree

from addin.workbook.opc import parse_xml, serialize

FIRST_CUSTOM_NUMFMT = 164
# the order of a styleSheet's children (CT_Stylesheet), to insert a section that is missing
SECTION_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                 "cellStyles", "dxfs", "tableStyles", "colors", "extLst")
DEFAULT_COUNT = {"fonts": 1, "fills": 2, "borders": 1}


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def element_key(el: etree._Element) -> tuple:
    """Equality of two formats regardless of namespace prefixes and attribute order."""
    attrs = tuple(sorted((etree.QName(k).localname, v) for k, v in el.attrib.items()))
    children = tuple(element_key(c) for c in el if isinstance(c.tag, str))
    return (_local(el), attrs, (el.text or "").strip(), children)


class StyleMerger:
    """The source style sheet, growing by the formats that rendered sheets use."""

    def __init__(self, source: bytes, rendered: bytes) -> None:
        self.tree = parse_xml(source)
        self.root = self.tree.getroot()
        self.ns = etree.QName(self.root).namespace
        self.ren = parse_xml(rendered).getroot()
        self.changed = False
        self._numfmt_map: dict[int, int] = {}

    def _section(self, root: etree._Element, name: str, create: bool = False):
        for child in root:
            if isinstance(child.tag, str) and _local(child) == name:
                return child
        if not create:
            return None
        el = etree.Element(f"{{{self.ns}}}{name}")
        later = SECTION_ORDER[SECTION_ORDER.index(name) + 1:]
        for i, child in enumerate(root):
            if isinstance(child.tag, str) and _local(child) in later:
                root.insert(i, el)
                break
        else:
            root.append(el)
        return el

    def _items(self, root: etree._Element, name: str) -> list[etree._Element]:
        section = self._section(root, name)
        return [] if section is None else [c for c in section if isinstance(c.tag, str)]

    def _add(self, name: str, el: etree._Element) -> int:
        """Index of ``el`` in section ``name`` of the source, appending it when new."""
        key = element_key(el)
        items = self._items(self.root, name)
        for i, item in enumerate(items):
            if element_key(item) == key:
                return i
        section = self._section(self.root, name, create=True)
        section.append(el)
        section.set("count", str(len(items) + 1))
        self.changed = True
        return len(items)

    def _component(self, name: str, index: int) -> int:
        if index < DEFAULT_COUNT[name] and len(self._items(self.root, name)) > index:
            return index
        return self._add(name, copy.deepcopy(self._items(self.ren, name)[index]))

    def _numfmt(self, numfmt_id: int, code: str | None = None) -> int:
        """Source id of a rendered number format (``code`` given where the element says it,
        as inside a ``dxf``)."""
        if numfmt_id < FIRST_CUSTOM_NUMFMT:
            return numfmt_id
        if code is None and numfmt_id in self._numfmt_map:
            return self._numfmt_map[numfmt_id]
        if code is None:
            code = next(el.get("formatCode") for el in self._items(self.ren, "numFmts")
                        if int(el.get("numFmtId")) == numfmt_id)
        existing = self._items(self.root, "numFmts")
        new_id = next((int(el.get("numFmtId")) for el in existing
                       if el.get("formatCode") == code), None)
        if new_id is None:
            new_id = max([FIRST_CUSTOM_NUMFMT - 1,
                          *(int(el.get("numFmtId")) for el in existing)]) + 1
            section = self._section(self.root, "numFmts", create=True)
            etree.SubElement(section, f"{{{self.ns}}}numFmt", numFmtId=str(new_id),
                             formatCode=code)
            section.set("count", str(len(existing) + 1))
            self.changed = True
        self._numfmt_map.setdefault(numfmt_id, new_id)
        return new_id

    def merge_xfs(self, indices: list[int]) -> dict[int, int]:
        """Rendered ``cellXfs`` index -> source index, for the indices the sheets use."""
        rendered = self._items(self.ren, "cellXfs")
        out = {0: 0}
        for i in indices:
            if i == 0:
                continue
            xf = copy.deepcopy(rendered[i])
            xf.set("numFmtId", str(self._numfmt(int(xf.get("numFmtId", 0)))))
            for attr, name in (("fontId", "fonts"), ("fillId", "fills"),
                               ("borderId", "borders")):
                xf.set(attr, str(self._component(name, int(xf.get(attr, 0)))))
            if xf.get("xfId") is not None:
                xf.set("xfId", "0")  # result sheets use no named cell styles but Normal
            out[i] = self._add("cellXfs", xf)
        return out

    def merge_dxfs(self, indices: list[int]) -> dict[int, int]:
        """Rendered ``dxfs`` index -> source index (conditional formats, tables)."""
        rendered = self._items(self.ren, "dxfs")
        out = {}
        for i in indices:
            dxf = copy.deepcopy(rendered[i])
            for numfmt in dxf.iter(f"{{{etree.QName(dxf).namespace}}}numFmt"):
                numfmt.set("numFmtId", str(self._numfmt(int(numfmt.get("numFmtId")),
                                                         numfmt.get("formatCode"))))
            out[i] = self._add("dxfs", dxf)
        return out

    def to_bytes(self) -> bytes:
        return serialize(self.tree)
