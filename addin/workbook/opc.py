"""Open Packaging Conventions: the zip of parts and relationships that an .xlsx is.

Part names are compared without case (OPC part names are case-insensitive); a relationship's
target is resolved against the folder of its source part; a part belongs to the document when
it can be reached from the package's root relationships. Only what is needed to graft sheets
into a package is here: reading parts, relationships and content types, and writing a package
whose unchanged parts are copied as they are. Source: ECMA-376 Part 2 (Open Packaging
Conventions), §9 (parts, names, relationships) and §10.1.2 (content types stream).
"""

from __future__ import annotations

import posixpath
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import unquote

from lxml import etree

from addin.errors import InputError

PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CONTENT_TYPES = "[Content_Types].xml"

_XML_PARSER = etree.XMLParser(huge_tree=True, remove_blank_text=False, resolve_entities=False)


@dataclass
class Rel:
    """One relationship: ``target`` is the part name it resolves to (None when external)."""

    id: str
    type: str
    target: str | None


def rels_name(part: str) -> str:
    """The relationship part of ``part`` (``""`` is the package itself)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve(source_part: str, target: str) -> str:
    """Part name a relative (or ``/``-absolute) target of ``source_part`` points to."""
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative(source_part: str, part: str) -> str:
    """The target ``source_part``'s relationships use for ``part``, as Excel writes it."""
    return posixpath.relpath(part, posixpath.dirname(source_part) or ".")


def parse_xml(data: bytes, part: str | None = None) -> etree._ElementTree:
    """Parsed as it is: namespace prefixes, declarations and comments are kept (lxml).
    With ``part`` (a part of the user's package), XML that is not well-formed is an
    InputError naming that part."""
    try:
        return etree.ElementTree(etree.fromstring(data, _XML_PARSER))
    except etree.XMLSyntaxError as exc:
        if part is None:
            raise
        raise InputError(f"the workbook is damaged: its part {part} is not well-formed XML "
                         f"({str(exc)[:120]}); open it in Excel, let Excel repair it, and save "
                         "it again") from exc


def serialize(tree: etree._ElementTree) -> bytes:
    """XML bytes with a declaration like the one Office writes (UTF-8, standalone kept)."""
    standalone = tree.docinfo.standalone
    extra = "" if standalone is None else f' standalone="{"yes" if standalone else "no"}"'
    declaration = f'<?xml version="1.0" encoding="UTF-8"{extra}?>\r\n'.encode()
    return declaration + etree.tostring(tree, encoding="UTF-8", xml_declaration=False)


class Package:
    """A zip package read lazily: part names (case-insensitive, as OPC says), bytes,
    relationships and content types."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = {info.filename.lower(): info.filename for info in zf.infolist()
                      if not info.is_dir()}
        self._rels: dict[str, list[Rel]] = {}
        ct = parse_xml(self.read(CONTENT_TYPES), CONTENT_TYPES).getroot()
        self.defaults = {el.get("Extension", "").lower(): el.get("ContentType", "")
                         for el in ct.iter(f"{{{CT_NS}}}Default")}
        self.overrides = {el.get("PartName", "").lstrip("/").lower(): el.get("ContentType", "")
                          for el in ct.iter(f"{{{CT_NS}}}Override")}

    def has(self, part: str) -> bool:
        return part.lower() in self.names

    def read(self, part: str) -> bytes:
        return self.zf.read(self.names[part.lower()])

    def content_type(self, part: str) -> str:
        if part.lower() in self.overrides:
            return self.overrides[part.lower()]
        return self.defaults.get(posixpath.splitext(part)[1][1:].lower(), "")

    def rels(self, part: str) -> list[Rel]:
        key = part.lower()
        if key not in self._rels:
            self._rels[key] = parse_rels(part, self.read(rels_name(part))) \
                if self.has(rels_name(part)) else []
        return self._rels[key]

    def main_part(self) -> str:
        for rel in self.rels(""):
            if rel.type.endswith("/officeDocument") and rel.target:
                return rel.target
        raise InputError("the workbook is damaged (no workbook part); let Excel repair it and "
                         "save it again")


def parse_rels(part: str, data: bytes) -> list[Rel]:
    """The relationships of ``part`` from its ``.rels`` bytes, targets resolved."""
    out = []
    for el in parse_xml(data, rels_name(part)).getroot().iter(f"{{{PKG_REL}}}Relationship"):
        external = el.get("TargetMode") == "External"
        out.append(Rel(el.get("Id", ""), el.get("Type", ""),
                       None if external else resolve(part, el.get("Target", ""))))
    return out


def reachable(pkg: Package, overrides: dict[str, list[Rel]] | None = None) -> set[str]:
    """Lower-cased names of the parts reachable from the package root through relationships;
    ``overrides`` replaces the relationships of some parts (as they will be written)."""
    overrides = {k.lower(): v for k, v in (overrides or {}).items()}
    seen: set[str] = set()
    stack = [""]
    while stack:
        part = stack.pop()
        rels = overrides.get(part.lower())
        for rel in rels if rels is not None else pkg.rels(part):
            if rel.target is None or not pkg.has(rel.target) or rel.target.lower() in seen:
                continue
            seen.add(rel.target.lower())
            stack.append(pkg.names[rel.target.lower()])
    return seen


def write_package(src: Package, changed: dict[str, bytes], removed: set[str],
                  new_parts: dict[str, bytes | Iterable[bytes]], out: BinaryIO) -> None:
    """``src`` written to ``out`` in its own order: ``removed`` parts left out, ``changed``
    ones with their new bytes, every other part copied as it is; ``new_parts`` at the end
    (a part given as an iterable of byte chunks is streamed into its zip entry)."""
    changed = {k.lower(): (k, v) for k, v in changed.items()}
    removed = {n.lower() for n in removed}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in src.zf.infolist():
            low = info.filename.lower()
            if low in removed or info.is_dir():
                continue
            zinfo = zipfile.ZipInfo(info.filename, info.date_time)
            zinfo.compress_type = info.compress_type
            zinfo.external_attr = info.external_attr
            if low in changed:
                zout.writestr(zinfo, changed.pop(low)[1])
            else:
                copy_member(src.zf, info, zout, zinfo)
        for name, data in [*changed.values(), *new_parts.items()]:
            zinfo = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            if isinstance(data, bytes):
                zout.writestr(zinfo, data)
                continue
            # a streamed part is the bulk of the file: the fastest deflate level (3x
            # faster than the default, the file some 15 % larger)
            zinfo._compresslevel = 1  # a property over compress_level from Python 3.13
            with zout.open(zinfo, "w", force_zip64=True) as dst:
                for chunk in data:
                    dst.write(chunk)


def copy_member(zin: zipfile.ZipFile, info: zipfile.ZipInfo, zout: zipfile.ZipFile,
                zinfo: zipfile.ZipInfo) -> None:
    """Copy one part unchanged (decompressed and recompressed: its bytes are the same)."""
    zinfo.file_size = info.file_size  # lets zipfile pick zip64 headers for huge parts
    with zin.open(info) as src, zout.open(zinfo, "w", force_zip64=info.file_size > 2**31) \
            as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
