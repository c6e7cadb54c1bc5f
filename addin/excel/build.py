"""Build ``CRM.xlam`` from the xlwings ribbon add-in template, reproducibly (by default into
``workbooks/`` in a clone, ``addin/_data/workbooks/`` in an installed wheel).

The template is the ``quickstart_addin_ribbon.xlam`` inside the installed xlwings package (so
its VBA project carries xlwings' own ``RunPython`` at exactly the installed, pinned version).
The build changes five things and copies the rest:

* ``customUI/customUI.xml``: the CRM tab, generated from :mod:`addin.excel.ribbon`;
* ``xl/vbaProject.bin``, edited with pyOpenVBA (a library that reads and writes VBA projects
  per [MS-OVBA] and [MS-CFB], checked by its authors against live Office): the template's ribbon
  module ``RibbonMyAddin`` becomes ``CRMRibbon`` holding the generic ``CRMAction`` callback,
  and xlwings' ``PROJECT_NAME`` becomes ``crm`` (so the add-in reads the ``crm.conf`` sheet and
  the user's ``crm.conf`` file); the worksheet functions' VBA wrappers (module
  ``xlwings_udfs``, as xlwings' own UDF import writes it) and their function-wizard help
  (``CRMFunctions``, run by ``ThisWorkbook``'s ``Workbook_Open``) are added, see
  :mod:`addin.excel.udfs`. All are module *source*: the edited modules keep no compiled
  p-code and ``_VBA_PROJECT`` says version 0xFFFF, which tells Office to compile from source
  ([MS-OVBA] 2.3.4.1, 1.6), as the template itself does;
* the configuration sheet becomes ``crm.conf`` holding ``UDF Modules = addin.functions``;
* the developer path the template recorded (``x15ac:absPath``) is dropped.

The zip is written with fixed timestamps and member order, so the same xlwings and pyOpenVBA
versions (both pinned) give the same bytes, which CI checks against the committed file.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from addin.data import data_path
from addin.excel import ribbon, udfs

PROJECT_NAME = "crm"
CONF_SHEET = f"{PROJECT_NAME}.conf"
UDF_MODULES = "addin.functions"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
DEFAULT_DEST = data_path("workbooks", "CRM.xlam")

_TEMPLATE_SHEET = "_myaddin.conf"
TEMPLATE_RIBBON_MODULE = "RibbonMyAddin"
_PROJECT_LINE = re.compile(r'(Public Const PROJECT_NAME As String = ")myaddin(")')
_ABS_PATH = re.compile(r"<mc:AlternateContent\b[^>]*>\s*<mc:Choice Requires=\"x15\">\s*"
                       r"<x15ac:absPath\b[^>]*/>\s*</mc:Choice>\s*</mc:AlternateContent>")


def template_path() -> Path:
    import xlwings

    path = Path(xlwings.__file__).with_name("quickstart_addin_ribbon.xlam")
    if not path.is_file():
        raise FileNotFoundError(f"xlwings {xlwings.__version__} has no {path.name}")
    return path


def _conf_sheet() -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{ns}"><sheetPr codeName="Sheet2"/><dimension ref="A1:B1"/>'
        '<cols><col min="1" max="1" width="16" customWidth="1"/>'
        '<col min="2" max="2" width="20" customWidth="1"/></cols>'
        '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '</sheetData></worksheet>'
    ).encode()


def _shared_strings() -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="{ns}" count="2" uniqueCount="2"><si><t>UDF Modules</t></si>'
        f'<si><t>{UDF_MODULES}</t></si></sst>'
    ).encode()


def _vba_project(template: Path) -> bytes:
    """The add-in's ``vbaProject.bin``: the template's project with the CRM ribbon module and
    xlwings' ``PROJECT_NAME`` set (source only; pyOpenVBA drops the edited modules' p-code)."""
    from pyopenvba import ExcelFile

    with tempfile.TemporaryDirectory(prefix="crm-xlam-") as tmp:
        work = Path(tmp) / "CRM.xlam"
        shutil.copyfile(template, work)
        with ExcelFile(work) as book:
            xlwings_source, count = _PROJECT_LINE.subn(rf"\g<1>{PROJECT_NAME}\g<2>",
                                                       book.get_module("xlwings"))
            if count != 1:
                raise ValueError("the xlwings template's PROJECT_NAME line was not found once")
            book.vba_project().rename_module(TEMPLATE_RIBBON_MODULE, ribbon.CALLBACK_MODULE)
            book.set_module(ribbon.CALLBACK_MODULE, _crlf(ribbon.callback_module()))
            book.set_module("xlwings", _crlf(xlwings_source))
            project = book.vba_project()
            project.add_module(udfs.UDF_MODULE, _crlf(udfs.udf_module(UDF_MODULES)))
            project.add_module(udfs.REGISTRATION_MODULE, _crlf(udfs.registration_module()))
            if book.get_module("ThisWorkbook").rstrip().splitlines()[-1].startswith(
                    "Attribute VB_"):  # the template's ThisWorkbook is empty: ours opens it
                book.set_module("ThisWorkbook", _crlf(udfs.WORKBOOK_OPEN))
            else:
                raise ValueError("the xlwings template's ThisWorkbook has code of its own")
            book.save()
        with zipfile.ZipFile(work) as z:
            return z.read("xl/vbaProject.bin")


def _crlf(text: str) -> str:
    """VBA source lines end in CR LF, as the VBA editor writes them."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def build_parts(template: Path | None = None) -> list[tuple[str, bytes]]:
    """The add-in's zip members, in the template's order, with the CRM changes applied."""
    template = template or template_path()
    parts = []
    with zipfile.ZipFile(template) as z:
        for info in z.infolist():
            data = z.read(info.filename)
            name = info.filename
            if name == "customUI/customUI.xml":
                data = ribbon.custom_ui_xml().encode()
            elif name == "xl/vbaProject.bin":
                data = _vba_project(template)
            elif name == "xl/workbook.xml":
                text = data.decode()
                if f'name="{_TEMPLATE_SHEET}"' not in text:
                    raise ValueError(f"the template has no {_TEMPLATE_SHEET} sheet")
                text = text.replace(f'name="{_TEMPLATE_SHEET}"', f'name="{CONF_SHEET}"')
                data = _ABS_PATH.sub("", text).encode()
            elif name == "xl/worksheets/sheet1.xml":
                data = _conf_sheet()
            elif name == "xl/sharedStrings.xml":
                data = _shared_strings()
            parts.append((name, data))
    return parts


def build_xlam(dest: Path | None = None, template: Path | None = None) -> Path:
    """Write the add-in to ``dest`` (default: the shipped ``workbooks/CRM.xlam``, the checkout's
    or the installed package's, see :func:`addin.data.data_path`) and return the path."""
    dest = Path(dest) if dest is not None else DEFAULT_DEST
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        for name, data in build_parts(template):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=9)
    tmp.replace(dest)
    return dest


__all__ = ["PROJECT_NAME", "CONF_SHEET", "UDF_MODULES", "DEFAULT_DEST", "template_path",
           "build_parts", "build_xlam"]
