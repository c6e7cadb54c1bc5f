"""Set up a Windows or Mac user for the CRM add-in: ``crm-addin excel install``.

1. Copy ``CRM.xlam`` into the user's Excel startup folder, so Excel opens it (and shows the CRM
   tab) at every start:
   Windows ``%APPDATA%\\Microsoft\\Excel\\XLSTART``; Mac (Excel 2016 and later, sandboxed)
   ``~/Library/Group Containers/UBF8T346G9.Office/User Content/Startup/Excel``.
2. Write the add-in's user configuration, which its VBA (xlwings with ``PROJECT_NAME = "crm"``)
   reads: Windows ``%USERPROFILE%\\.crm\\crm.conf``, Mac
   ``~/Library/Containers/com.microsoft.Excel/Data/crm.conf``. Lines are ``"KEY","value"`` as
   xlwings writes them; the interpreter is this Python, ``UDF MODULES`` is ``addin.functions``.
   Other keys the user set are kept.
3. Print the one manual step Excel does not allow a program to do.

On Linux there is no Excel: the command says what it would do (a dry run).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from addin.excel.build import DEFAULT_DEST, PROJECT_NAME, UDF_MODULES

MANUAL_STEP = {
    "Windows": (
        "In Excel: File > Options > Trust Center > Trust Center Settings > Macro Settings, "
        "tick 'Trust access to the VBA project object model'; restart Excel; then press "
        "Alt+F8, type ImportPythonUDFsToAddin and Run, so the CRM_ functions appear."),
    "Darwin": (
        "In Excel: Tools > Macro > Security, allow macros from the CRM add-in; restart Excel; "
        "then Tools > Macro > Macros, type ImportPythonUDFsToAddin and Run, so the CRM_ "
        "functions appear."),
}

_LINE = re.compile(r'^"([^"]*)","([^"]*)"\s*$')


@dataclass(frozen=True)
class InstallPlan:
    system: str
    addin_source: Path
    addin_dest: Path
    config_path: Path
    config: dict[str, str]


def plan(system: str | None = None, home: Path | None = None,
         env: dict[str, str] | None = None, python: str | None = None,
         addin: Path | None = None) -> InstallPlan:
    """Where the add-in and its configuration go for ``system`` ("Windows" or "Darwin")."""
    system = system or platform.system()
    home = Path(home) if home is not None else Path.home()
    env = dict(os.environ) if env is None else env
    python = python or sys.executable
    if system == "Windows":
        appdata = Path(env.get("APPDATA", home / "AppData" / "Roaming"))
        dest = appdata / "Microsoft" / "Excel" / "XLSTART" / "CRM.xlam"
        profile = Path(env.get("USERPROFILE", home))
        config_path = profile / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"
        interpreter_key = "INTERPRETER_WIN"
    elif system == "Darwin":
        dest = (home / "Library" / "Group Containers" / "UBF8T346G9.Office" / "User Content"
                / "Startup" / "Excel" / "CRM.xlam")
        config_path = (home / "Library" / "Containers" / "com.microsoft.Excel" / "Data"
                       / f"{PROJECT_NAME}.conf")
        interpreter_key = "INTERPRETER_MAC"
    else:
        raise ValueError(f"Excel runs on Windows and macOS, not {system}")
    return InstallPlan(system, Path(addin or DEFAULT_DEST), dest, config_path,
                       {interpreter_key: python, "UDF MODULES": UDF_MODULES})


def read_config(path: Path) -> dict[str, str]:
    """The ``"KEY","value"`` lines of a config file, keys as written."""
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _LINE.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def merged_config(existing: dict[str, str], ours: dict[str, str]) -> dict[str, str]:
    """Our keys set (matched case-insensitively, as xlwings reads them), the rest kept."""
    out = {k: v for k, v in existing.items() if k.upper() not in {o.upper() for o in ours}}
    out.update(ours)
    for key, value in out.items():
        if '"' in key + value or "\n" in key + value:
            raise ValueError(f"config value for {key!r} cannot hold quotes or line breaks")
    return out


def install(p: InstallPlan) -> list[str]:
    """Carry out the plan; return what was done, line by line."""
    if not p.addin_source.is_file():
        raise FileNotFoundError(f"{p.addin_source} is missing; run crm-addin excel build")
    p.addin_dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(p.addin_source, p.addin_dest)
    config = merged_config(read_config(p.config_path), p.config)
    p.config_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.config_path.with_name(p.config_path.name + ".tmp")
    tmp.write_text("".join(f'"{k}","{v}"\n' for k, v in config.items()), encoding="utf-8")
    tmp.replace(p.config_path)
    return [f"copied {p.addin_source.name} to {p.addin_dest}",
            f"wrote {', '.join(p.config)} to {p.config_path}"]


def describe(p: InstallPlan) -> list[str]:
    return [f"would copy {p.addin_source} to {p.addin_dest}",
            *(f'would set "{k}" = "{v}" in {p.config_path}' for k, v in p.config.items())]


__all__ = ["InstallPlan", "MANUAL_STEP", "plan", "install", "describe", "read_config",
           "merged_config"]
