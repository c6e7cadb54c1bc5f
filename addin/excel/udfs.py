"""The VBA side of the CRM worksheet functions, written into ``CRM.xlam`` by the build.

Classic xlwings runs a worksheet function through a VBA wrapper of the same name that calls
``XLPy.CallUDF("addin.functions", "<name>", Array(<args>), ActiveWorkbook, Application.Caller)``.
xlwings writes those wrappers itself (``ImportPythonUDFsToAddin``) only on Windows, only while
the user trusts access to the VBA project object model, and the add-in must then be saved by
hand. Here the build writes them, so the functions load with the add-in:

* :func:`udf_module` is the module ``xlwings_udfs`` exactly as xlwings 0.37.8's
  ``import_udfs``/``generate_vba_wrapper`` (``xlwings/udfs.py``) writes it for an add-in: the
  same header, one wrapper per function in ``dir(module)`` order, ``ActiveWorkbook`` (add-ins
  work on the active book), the ``call_in_wizard`` and ``Application.Volatile`` lines, an
  ``Optional`` keyword for arguments with a default, ``Nothing`` for a ``caller`` argument, and
  xlwings' own :class:`xlwings.utils.VBAWriter` for indentation and long-line splitting. The
  functions are found as xlwings finds them: every attribute of ``addin.functions`` that is a
  declared CRM function (``__crm__``), so a function added there gets a wrapper on the next
  ``crm-addin excel build``. (Off Windows ``xw.func`` records nothing, so the declaration comes
  from :func:`addin.functions.ranges.excel_function`, which hands xlwings the same options.)
* :func:`registration_module` is ``CRMFunctions.RegisterFunctions``, which the add-in's
  ``Workbook_Open`` calls: ``Application.MacroOptions`` with each function's description,
  category and argument help, what ``import_udfs`` does after importing the wrappers (argument
  help from Excel 2010, version 14, on). Text outside ASCII is written with ``ChrW`` (module
  source is stored in the project's code page), and long text in pieces of at most
  :data:`PIECE` characters, so no VBA line comes near its 1,023-character limit.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

UDF_MODULE = "xlwings_udfs"  # the module name xlwings' import gives (and replaces on re-import)
REGISTRATION_MODULE = "CRMFunctions"
PIECE = 60
MAX_DOC = 255  # Excel's limit for MacroOptions' Description and each argument description


def declared_functions(module: ModuleType | None = None) -> list[Callable[..., Any]]:
    """The CRM functions of ``module`` (default ``addin.functions``) in ``dir()`` order, as
    xlwings walks a UDF module."""
    if module is None:
        import addin.functions as module
    return [f for f in (getattr(module, name) for name in dir(module))
            if callable(f) and hasattr(f, "__crm__")]


def _signature(func: Callable[..., Any]) -> list[tuple[str, bool]]:
    """(name, optional) of each argument, by xlwings' ``func_sig`` rules."""
    out = []
    for p in inspect.signature(func).parameters.values():
        if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            raise TypeError(f"{func.__name__}: classic xlwings functions take positional "
                            "arguments only (no *args in CRM functions)")
        out.append((p.name, p.default is not inspect.Parameter.empty))
    return out


def _write_wrapper(vba: Any, func: Callable[..., Any], module_name: str) -> None:
    info = func.__crm__  # type: ignore[attr-defined]
    options = info.xlwings_options()
    name = info.name
    args = _signature(func)
    # xlwings passes Nothing for an argument named caller and leaves it out of the signature
    visible = [(a, optional) for a, optional in args if a != "caller"]
    sig = ", ".join(("Optional " if optional else "") + a for a, optional in visible)
    array = "Array(" + ", ".join("Nothing" if a == "caller" else a for a, _ in args) + ")"
    with vba.block(f"Function {name}({sig})"):
        if not options["call_in_wizard"]:
            vba.writeln('If (Not Application.CommandBars("Standard").Controls(1).Enabled) '
                        "Then Exit Function")
        if options["volatile"]:
            vba.writeln("Application.Volatile")
        with vba.block('#If App = "Microsoft Excel" Then'):
            vba.writeln("If TypeOf Application.Caller Is Range Then On Error GoTo failed")
            vba.writeln(f'{name} = XLPy.CallUDF("{module_name}", "{name}", {array}, '
                        "ActiveWorkbook, Application.Caller)")
            vba.writeln("Exit Function")
        with vba.block("#Else"):
            vba.writeln(f'{name} = XLPy.CallUDF("{module_name}", "{name}", {array})')
            vba.writeln("Exit Function")
        vba.writeln("#End If")
        vba.write_label("failed")
        vba.writeln(name + " = Err.Description")
    vba.writeln("End Function")
    vba.writeln("")


def udf_module(module_name: str = "addin.functions", module: ModuleType | None = None) -> str:
    """The source of the ``xlwings_udfs`` module (LF line ends, as xlwings writes its file)."""
    from xlwings.utils import VBAWriter  # cross-platform; xlwings.udfs is Windows-only

    out = io.StringIO()
    vba = VBAWriter(out)
    vba.writeln(f'Attribute VB_Name = "{UDF_MODULE}"')
    vba.writeln("'Autogenerated code by xlwings - changes will be lost with next import!")
    vba.writeln("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel""")
    for func in declared_functions(module):
        _write_wrapper(vba, func, module_name)
    return out.getvalue()


def vba_text(text: str) -> Iterator[str]:
    """VBA expressions that together spell ``text``: quoted ASCII runs (quotes doubled) and
    ``ChrW(n)`` for every other character, each expression at most :data:`PIECE` long."""
    run = ""
    for ch in text:
        if 32 <= ord(ch) < 127:
            run += '""' if ch == '"' else ch
            if len(run) >= PIECE:
                yield f'"{run}"'
                run = ""
        else:
            if run:
                yield f'"{run}"'
                run = ""
            yield f"ChrW({ord(ch)})"
    if run or not text:
        yield f'"{run}"'


def _assign(target: str, text: str) -> list[str]:
    pieces = list(vba_text(text))
    lines = [f"{target} = {pieces[0]}"]
    for i in range(1, len(pieces), 4):
        lines.append(f"{target} = {target} & " + " & ".join(pieces[i:i + 4]))
    return lines


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DOC else text[: MAX_DOC - 1] + "…"


def registration_module(module: ModuleType | None = None) -> str:
    """The source of ``CRMFunctions``: ``RegisterFunctions`` gives Excel's function wizard the
    description, category and argument help of every CRM function (``Application.MacroOptions``
    on ``ThisWorkbook``'s functions)."""
    lines = [
        f'Attribute VB_Name = "{REGISTRATION_MODULE}"',
        "' The CRM worksheet functions' help in Excel's function wizard (Insert Function):",
        "' description, category and argument help. Generated by `crm-addin excel build` from",
        "' addin.functions; Workbook_Open calls RegisterFunctions. Do not edit by hand.",
        "Option Explicit",
        "",
        "Public Sub RegisterFunctions()",
        "    Dim d As String, c As String, a() As String",
        "    On Error Resume Next  ' help text must never keep the add-in from opening",
    ]
    for func in declared_functions(module):
        info = func.__crm__  # type: ignore[attr-defined]
        target = f"\"'\" & ThisWorkbook.Name & \"'!{info.name}\""
        lines += ["    " + s for s in _assign("d", _clip(info.summary))]
        lines += ["    " + s for s in _assign("c", _clip(info.category))]
        docs = [a.doc for a in info.arguments if a.name != "caller"]
        if docs:
            lines.append(f"    ReDim a(0 To {len(docs) - 1})")
            for i, doc in enumerate(docs):
                lines += ["    " + s for s in _assign(f"a({i})", _clip(doc))]
            lines += [
                "    If Val(Application.Version) >= 14 Then",
                f"        Application.MacroOptions Macro:={target}, Description:=d, "
                "Category:=c, ArgumentDescriptions:=a",
                "    Else",
                f"        Application.MacroOptions Macro:={target}, Description:=d, "
                "Category:=c",
                "    End If",
            ]
        else:
            lines.append(f"    Application.MacroOptions Macro:={target}, Description:=d, "
                         "Category:=c")
    lines += ["End Sub", ""]
    return "\n".join(lines)


WORKBOOK_OPEN = (
    "Private Sub Workbook_Open()\n"
    "    ' Excel's function wizard shows the CRM functions' help (see CRMFunctions).\n"
    f"    {REGISTRATION_MODULE}.RegisterFunctions\n"
    "End Sub\n"
)


__all__ = ["UDF_MODULE", "REGISTRATION_MODULE", "WORKBOOK_OPEN", "declared_functions",
           "udf_module", "registration_module", "vba_text"]
