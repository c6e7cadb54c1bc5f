"""Set up a Windows or Mac user for the CRM add-in: ``crm-addin excel install``.

1. Copy ``CRM.xlam`` into the user's Excel startup folder, so Excel opens it (and shows the CRM
   tab) at every start:
   Windows ``%APPDATA%\\Microsoft\\Excel\\XLSTART``; Mac (Excel 2016 and later, sandboxed)
   ``~/Library/Group Containers/UBF8T346G9.Office/User Content/Startup/Excel``. Without a
   committed add-in beside the package (an installed wheel), it is built there fresh.
   On a Mac, ``RunPython`` reaches Python through an AppleScript that xlwings ships; it goes to
   ``~/Library/Application Scripts/com.microsoft.Excel`` (what ``xlwings runpython install``
   does), the only folder sandboxed Excel may run scripts from.
2. Write the add-in's user configuration, which its VBA (xlwings with ``PROJECT_NAME = "crm"``)
   reads: Windows ``%USERPROFILE%\\.crm\\crm.conf``, Mac
   ``~/Library/Containers/com.microsoft.Excel/Data/crm.conf``. Lines are ``"KEY","value"`` as
   xlwings writes them; the interpreter is this Python, ``UDF MODULES`` is ``addin.functions``.
   Other keys the user set are kept.
3. Print what is left to the user (restart Excel; on a Mac, allow the add-in's macros).

On Linux there is no Excel: the command says what it would do (a dry run).
"""

from __future__ import annotations

import locale
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
        "Restart Excel. The startup folder is a trusted location, so the add-in opens with its "
        "macros on: the CRM tab, and the CRM_ worksheet functions (their VBA wrappers are "
        "inside CRM.xlam, with their help in Insert Function)."),
    "Darwin": (
        "In Excel: allow the CRM add-in's macros when Excel asks at the next start (or under "
        "Excel > Preferences > Security). The ribbon runs on a Mac; classic xlwings runs "
        "worksheet functions on Windows only, so on a Mac (and on the web) the CRM_ functions "
        "come through xlwings Lite: see `crm-addin excel lite`."),
}

# VBA's ``Open ... For Input`` reads the file in the system's code page, which is also what
# xlwings writes it in (``open(path, "w")``): the same here, so a non-ASCII path survives.
CONFIG_ENCODING = locale.getpreferredencoding(False)
_LINE = re.compile(r'^"([^"]*)","([^"]*)"\s*$')


@dataclass(frozen=True)
class InstallPlan:
    system: str
    addin_source: Path | None  # None: build the add-in straight into addin_dest
    addin_dest: Path
    config_path: Path
    config: dict[str, str]
    copies: tuple[tuple[Path, Path], ...] = ()  # other files to put in place (source, dest)


def plan(system: str | None = None, home: Path | None = None,
         env: dict[str, str] | None = None, python: str | None = None,
         addin: Path | None = None) -> InstallPlan:
    """Where the add-in and its configuration go for ``system`` ("Windows" or "Darwin")."""
    system = system or platform.system()
    home = Path(home) if home is not None else Path.home()
    env = dict(os.environ) if env is None else env
    python = python or sys.executable
    copies: tuple[tuple[Path, Path], ...] = ()
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
        applescript = _xlwings_applescript()
        copies = ((applescript, home / "Library" / "Application Scripts"
                   / "com.microsoft.Excel" / applescript.name),)
    else:
        raise ValueError(f"Excel runs on Windows and macOS, not {system}")
    if addin is None and DEFAULT_DEST.is_file():
        addin = DEFAULT_DEST
    return InstallPlan(system, Path(addin) if addin is not None else None, dest, config_path,
                       {interpreter_key: python, "UDF MODULES": UDF_MODULES}, copies)


def _xlwings_applescript() -> Path:
    """The AppleScript through which xlwings' ``RunPython`` starts Python on a Mac."""
    import xlwings

    return Path(xlwings.__file__).with_name(f"xlwings-{xlwings.__version__}.applescript")


def read_config(path: Path) -> dict[str, str]:
    """The ``"KEY","value"`` lines of a config file, keys as written."""
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding=CONFIG_ENCODING).splitlines():
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
    """Carry out the plan; return what was done, line by line. The configuration is checked
    before anything is written."""
    config = merged_config(read_config(p.config_path), p.config)
    p.addin_dest.parent.mkdir(parents=True, exist_ok=True)
    if p.addin_source is None:
        from addin.excel.build import build_xlam

        build_xlam(p.addin_dest)
        done = [f"built CRM.xlam into {p.addin_dest}"]
    else:
        shutil.copyfile(p.addin_source, p.addin_dest)
        done = [f"copied {p.addin_source.name} to {p.addin_dest}"]
    for source, dest in p.copies:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        done.append(f"copied {source.name} to {dest}")
    p.config_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.config_path.with_name(p.config_path.name + ".tmp")
    tmp.write_text("".join(f'"{k}","{v}"\n' for k, v in config.items()),
                   encoding=CONFIG_ENCODING)
    tmp.replace(p.config_path)
    return [*done, f"wrote {', '.join(p.config)} to {p.config_path}"]


def describe(p: InstallPlan) -> list[str]:
    """What :func:`install` would do, line by line."""
    addin = (f"would build CRM.xlam into {p.addin_dest}" if p.addin_source is None
             else f"would copy {p.addin_source} to {p.addin_dest}")
    return [addin, *(f"would copy {source} to {dest}" for source, dest in p.copies),
            *(f'would set "{k}" = "{v}" in {p.config_path}' for k, v in p.config.items())]


__all__ = ["InstallPlan", "MANUAL_STEP", "plan", "install", "describe", "read_config",
           "merged_config"]
