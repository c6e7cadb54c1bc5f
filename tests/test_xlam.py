"""The CRM ribbon add-in: built reproducibly from the xlwings template, a valid package that
LibreOffice opens, a ribbon that names only real macros, VBA that two independent readers
(olevba, LibreOffice) read back and an independent VBA interpreter (pyOpenVBA's) runs."""

import importlib
import importlib.util
import io
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import olefile
import pytest
import xlwings
from oletools.olevba import VBA_Parser, decompress_stream

from addin.excel import build, install, ribbon, udfs

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = build.DEFAULT_DEST
PINNED_XLWINGS = "0.37.8"
CUSTOM_UI = "{http://schemas.microsoft.com/office/2006/01/customui}"
# element -> attributes used, all from the customUI schema (customui.xsd, Office 2007)
SCHEMA = {
    "customUI": set(), "ribbon": set(), "tabs": set(), "tab": {"id", "label"},
    "group": {"id", "label"},
    "button": {"id", "label", "size", "imageMso", "screentip", "supertip", "tag", "onAction"},
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build.build_xlam(tmp_path_factory.mktemp("xlam") / "CRM.xlam")


def test_committed_addin_is_what_the_build_makes(built):
    assert COMMITTED.read_bytes() == built.read_bytes(), (
        "workbooks/CRM.xlam is stale: run `crm-addin excel build`")


def test_two_builds_are_byte_identical(built, tmp_path):
    assert build.build_xlam(tmp_path / "again.xlam").read_bytes() == built.read_bytes()


def test_package_is_valid_and_every_part_is_typed(built):
    with zipfile.ZipFile(built) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        types = ET.fromstring(z.read("[Content_Types].xml"))
        ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
        overrides = {o.get("PartName").lstrip("/") for o in types.iter(f"{ns}Override")}
        defaults = {d.get("Extension") for d in types.iter(f"{ns}Default")}
        for name in names - {"[Content_Types].xml"}:
            assert name in overrides or name.rsplit(".", 1)[-1] in defaults, name
        assert overrides <= names
        for rels in [n for n in names if n.endswith(".rels")]:
            base = rels.replace("_rels/", "").removesuffix(".rels").rsplit("/", 1)
            folder = base[0] + "/" if len(base) == 2 else ""
            for rel in ET.fromstring(z.read(rels)):
                if rel.get("TargetMode") == "External":
                    continue
                target = rel.get("Target").lstrip("/")
                assert (folder + target if not rel.get("Target").startswith("/") else target
                        ) in names or target in names, (rels, target)
        workbook = z.read("xl/workbook.xml").decode()
        assert 'name="crm.conf"' in workbook and "absPath" not in workbook


def test_ribbon_xml_uses_only_schema_names_and_one_callback(built):
    with zipfile.ZipFile(built) as z:
        root = ET.fromstring(z.read("customUI/customUI.xml"))
    tags = []
    for el in root.iter():
        name = el.tag.removeprefix(CUSTOM_UI)
        assert name in SCHEMA, name
        assert set(el.attrib) <= SCHEMA[name], (name, set(el.attrib) - SCHEMA[name])
        if name == "button":
            assert el.get("onAction") == ribbon.CALLBACK
            tags.append(el.get("tag"))
    assert [t.get("label") for t in root.iter(f"{CUSTOM_UI}tab")] == ["CRM"]
    groups = [g.get("label") for g in root.iter(f"{CUSTOM_UI}group")]
    assert groups == ["Customers", "Churn", "Satisfaction", "Scorecard", "Reports", "Help"]
    assert tags == [b.macro for b in ribbon.buttons()]


def test_labels_are_escaped_in_the_ribbon(monkeypatch):
    evil = ribbon.Group("g", 'A "quoted" <tag> & co', (ribbon.Button(
        "b", "x", "about", "Info", "<script>"),))
    monkeypatch.setattr(ribbon, "GROUPS", (evil,))
    root = ET.fromstring(ribbon.custom_ui_xml())  # still well-formed
    group = next(root.iter(f"{CUSTOM_UI}group"))
    assert group.get("label") == 'A "quoted" <tag> & co'


@pytest.mark.parametrize("tag", ["os.system", "_private", "a b", "x();y", "class", "客户"])
def test_a_tag_that_is_not_a_public_python_name_stops_the_build(monkeypatch, tag):
    bad = ribbon.Group("g", "G", (ribbon.Button("b", "x", tag, "Info", "t"),))
    monkeypatch.setattr(ribbon, "GROUPS", (bad,))
    with pytest.raises(ValueError, match="not a public Python name"):
        ribbon.custom_ui_xml()


def vba_modules(path):
    parser = VBA_Parser(str(path))
    try:
        return {stream.rsplit("/", 1)[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def test_olevba_reads_the_generic_callback_and_the_pinned_xlwings(built):
    modules = vba_modules(built)
    assert "RibbonMyAddin" not in modules
    callback = modules["CRMRibbon"]
    assert "Sub CRMAction(control As IRibbonControl)" in callback
    assert 'RunPython "import addin.excel.macros as crm; crm." & control.Tag & "()"' in callback
    listed = re.search(r"Case (\"[^\n]*)\n", callback).group(1)
    assert re.findall(r'"(\w+)"', listed) == [b.macro for b in ribbon.buttons()]
    xl = modules["xlwings"]
    version = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', xl).group(1)
    assert version == xlwings.__version__ == PINNED_XLWINGS
    assert 'PROJECT_NAME As String = "crm"' in xl
    # ThisWorkbook gains Workbook_Open (the functions' help, addin.excel.udfs); every other
    # template module is unchanged
    template = vba_modules(build.template_path())
    assert modules["ThisWorkbook"].replace("\r\n", "\n") == (
        template["ThisWorkbook"].replace("\r\n", "\n") + udfs.WORKBOOK_OPEN)
    for name in ("Dictionary", "Sheet2"):
        assert modules[name] == template[name]


def test_vba_project_streams_follow_ms_ovba(built):
    with zipfile.ZipFile(built) as z:
        project = z.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(io.BytesIO(project))
    # 7 bytes, version 0xFFFF, no performance cache: Office compiles the modules from source
    header = ole.openstream("VBA/_VBA_PROJECT").read()
    assert len(header) == 7 and header[:4] == b"\xcc\x61\xff\xff"
    with zipfile.ZipFile(build.template_path()) as z:
        template = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
    renamed = {"VBA/RibbonMyAddin": "VBA/CRMRibbon"}
    added = [f"VBA/{udfs.UDF_MODULE}", f"VBA/{udfs.REGISTRATION_MODULE}"]
    assert sorted(map("/".join, ole.listdir())) == sorted(
        [*(renamed.get(n, n) for n in map("/".join, template.listdir())), *added])
    for name in ("VBA/Dictionary", "VBA/Sheet2"):
        assert ole.openstream(name).read() == template.openstream(name).read(), name
    # the edited modules keep no compiled p-code: the stream is the compressed source alone,
    # so no stale p-code can run instead of the source Excel shows (VBA stomping)
    sources = vba_modules(built)
    for name in ("CRMRibbon", "xlwings", "ThisWorkbook", udfs.UDF_MODULE,
                 udfs.REGISTRATION_MODULE):
        text = bytes(decompress_stream(bytearray(ole.openstream(f"VBA/{name}").read())))
        assert text.decode("cp1252").startswith(f'Attribute VB_Name = "{name}"\r\n')
        assert sources[name].replace("\r\n", "\n") in text.decode("cp1252").replace("\r\n", "\n")
    # PROJECT lists the renamed module and the two new ones, everything else as the template
    old = template.openstream("PROJECT").read().decode("cp1252")
    new = ole.openstream("PROJECT").read().decode("cp1252")
    lines = [line for line in new.split("\r\n") if line]
    assert lines[:lines.index("Module=xlwings") + 1] == [
        line for line in old.replace("RibbonMyAddin", "CRMRibbon").split("\r\n")
        if line][:lines.index("Module=xlwings") + 1]
    added_lines = [f"Module={udfs.UDF_MODULE}", f"Module={udfs.REGISTRATION_MODULE}",
                   f"{udfs.UDF_MODULE}=0, 0, 0, 0, C", f"{udfs.REGISTRATION_MODULE}=0, 0, 0, 0, C"]
    assert sorted(lines) == sorted(
        [line for line in old.replace("RibbonMyAddin", "CRMRibbon").split("\r\n") if line]
        + added_lines)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_addin_and_imports_its_vba(built, soffice, tmp_path):
    # LibreOffice does not detect an .xlam by itself; it opens it with its Excel 2007 filter
    excel = "Calc MS Excel 2007 XML"
    csv = soffice.convert(built, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path, excel)
    assert csv.read_text().strip() == "UDF Modules,addin.functions"
    ods = soffice.convert(built, "ods", tmp_path, excel)
    with zipfile.ZipFile(ods) as z:
        basic = [n for n in z.namelist() if n.endswith("/CRMRibbon.xml")]
        assert basic, "LibreOffice did not import the VBA project"
        assert "Sub CRMAction(control As IRibbonControl)" in z.read(basic[0]).decode()


def press(tags):
    """Run the add-in's own CRMAction for each tag in pyOpenVBA's VBA interpreter, with a
    stand-in for the ribbon control (a class with a Tag) and for xlwings' RunPython (it records
    the Python command): returns the commands run and the message boxes shown."""
    from pyopenvba.apps.excel import ExcelApplication

    app = ExcelApplication()
    app.add_workbook()
    app.add_module(ribbon.callback_module(), name=ribbon.CALLBACK_MODULE)
    app.add_module('Public Commands As String\n'
                   'Sub RunPython(PythonCommand As String)\n'
                   '    Commands = Commands & PythonCommand & "|"\n'
                   'End Sub\n'
                   'Function RunPythonCalls() As String\n'
                   '    RunPythonCalls = Commands\n'
                   'End Function\n', name="xlwings")
    app.add_module("Public Tag As String\n", name="Control", kind="class")
    app.add_module("Sub Press(tag As String)\n"
                   "    Dim c As New Control\n"
                   "    c.Tag = tag\n"
                   "    CRMAction c\n"
                   "End Sub\n", name="Driver")
    for tag in tags:
        app.run("Press", tag)
    calls = app.evaluate("RunPythonCalls()")
    return [c for c in calls.split("|") if c], [d[:3] for d in app.dialogs]


def test_the_callback_runs_the_macro_each_button_names():
    tags = [b.macro for b in ribbon.buttons()]
    commands, dialogs = press(tags)
    assert commands == [f"import addin.excel.macros as crm; crm.{t}()" for t in tags]
    assert dialogs == []


@pytest.mark.parametrize("tag", ["main", "os.system", "about(); import os", ""])
def test_the_callback_runs_nothing_for_a_tag_the_table_does_not_list(tag):
    commands, dialogs = press([tag])
    assert commands == []
    assert dialogs == [("MsgBox", f"This CRM button has no action: {tag}", "CRM")]


def test_every_button_runs_a_macro_that_exists():
    if importlib.util.find_spec("addin.excel.macros") is None:
        pytest.skip("addin.excel.macros has not landed on this branch yet")
    macros = importlib.import_module("addin.excel.macros")
    missing = [b.macro for b in ribbon.buttons() if not callable(getattr(macros, b.macro, None))]
    assert not missing, f"ribbon buttons name macros addin.excel.macros does not have: {missing}"


def test_xlwings_and_pyopenvba_are_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["optional-dependencies"]["excel"]  # the classic add-in's extra
    pins = dict(d.split("==") for d in deps if "==" in d)
    assert pins["xlwings"] == PINNED_XLWINGS == xlwings.__version__
    assert "pyopenvba" in pins


def test_install_on_windows_writes_config_and_keeps_other_keys(tmp_path, built):
    home = tmp_path / "home"
    env = {"APPDATA": str(home / "AppData" / "Roaming"), "USERPROFILE": str(home)}
    conf = home / ".crm" / "crm.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text('"CONDA PATH","C:\\\\conda"\n"udf modules","old.module"\n')
    p = install.plan("Windows", home, env, python="C:\\Python311\\python.exe", addin=built)
    done = install.install(p)
    assert (home / "AppData/Roaming/Microsoft/Excel/XLSTART/CRM.xlam").read_bytes() == \
        built.read_bytes()
    assert install.read_config(conf) == {"CONDA PATH": "C:\\\\conda",
                                         "INTERPRETER_WIN": "C:\\Python311\\python.exe",
                                         "UDF MODULES": "addin.functions"}
    assert len(done) == 2


def test_install_on_a_mac_uses_the_sandboxed_folders_and_runpythons_applescript(tmp_path, built):
    p = install.plan("Darwin", tmp_path, {}, python="/usr/bin/python3", addin=built)
    assert p.addin_dest == tmp_path / ("Library/Group Containers/UBF8T346G9.Office/User Content"
                                       "/Startup/Excel/CRM.xlam")
    assert p.config_path == tmp_path / "Library/Containers/com.microsoft.Excel/Data/crm.conf"
    assert p.config == {"INTERPRETER_MAC": "/usr/bin/python3", "UDF MODULES": "addin.functions"}
    install.install(p)
    assert p.addin_dest.read_bytes() == built.read_bytes()
    script = f"xlwings-{xlwings.__version__}.applescript"
    shipped = Path(xlwings.__file__).with_name(script)
    placed = tmp_path / "Library/Application Scripts/com.microsoft.Excel" / script
    assert placed.read_bytes() == shipped.read_bytes()
    assert install.read_config(p.config_path) == p.config


def test_install_without_a_committed_addin_builds_it_in_place(tmp_path, built, monkeypatch):
    monkeypatch.setattr(install, "DEFAULT_DEST", tmp_path / "no-checkout" / "CRM.xlam")
    p = install.plan("Windows", tmp_path, {"APPDATA": str(tmp_path / "roaming")},
                     python="C:\\Python\\python.exe")
    assert p.addin_source is None
    assert install.describe(p)[0].startswith("would build CRM.xlam into")
    install.install(p)
    assert p.addin_dest.read_bytes() == built.read_bytes()


def test_install_refuses_values_that_would_break_the_config_file(tmp_path, built):
    with pytest.raises(ValueError, match="quotes or line breaks"):
        install.merged_config({}, {"INTERPRETER_WIN": 'C:\\a"b'})
    p = install.plan("Windows", tmp_path, {}, python='C:\\a"b\\python.exe', addin=built)
    with pytest.raises(ValueError, match="quotes or line breaks"):
        install.install(p)
    assert not any(tmp_path.rglob("*")), "nothing is written when the configuration is bad"


def test_cli_install_on_linux_is_a_dry_run_for_windows_and_mac(tmp_path):
    result = subprocess.run([sys.executable, "-m", "addin.cli", "excel", "install"],
                            capture_output=True, text=True, env={"HOME": str(tmp_path),
                                                                 "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "On Windows:" in out and "On a Mac:" in out and out.count("One manual step") == 2
    assert "XLSTART" in out and "Startup/Excel" in out and ".applescript" in out
    assert f'"UDF MODULES" = "{build.UDF_MODULES}"' in out
    # a dry run writes nothing (matplotlib, imported by other commands, caches its fonts)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in {".cache", ".config"}) == []
