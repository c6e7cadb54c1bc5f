"""The CRM ribbon add-in: built reproducibly from the xlwings template, a valid package that
LibreOffice opens, a ribbon that names only real macros, and VBA that olevba can read back."""

import io
import re
import subprocess
import sys
import zipfile
from xml.etree import ElementTree as ET

import olefile
import pytest
import xlwings
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, decompress_stream

from addin.excel import build, cfb, install, ribbon, vba

COMMITTED = build.DEFAULT_DEST
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
    assert groups == ["Customers", "Satisfaction", "Scorecard", "Reports", "Help"]
    assert tags == [b.macro for b in ribbon.buttons()]


def test_labels_are_escaped_in_the_ribbon(monkeypatch):
    evil = ribbon.Group("g", 'A "quoted" <tag> & co', (ribbon.Button(
        "b", "x", "about", "Info", "<script>"),))
    monkeypatch.setattr(ribbon, "GROUPS", (evil,))
    root = ET.fromstring(ribbon.custom_ui_xml())  # still well-formed
    group = next(root.iter(f"{CUSTOM_UI}group"))
    assert group.get("label") == 'A "quoted" <tag> & co'


@pytest.mark.parametrize("tag", ["os.system", "_private", "a b", "x();y"])
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
    callback = modules["RibbonMyAddin"]
    assert "Sub CRMAction(control As IRibbonControl)" in callback
    assert 'RunPython "import addin.macros as crm; crm." & control.Tag & "()"' in callback
    listed = re.search(r"Case (\"[^\n]*)\n", callback).group(1)
    assert re.findall(r'"(\w+)"', listed) == [b.macro for b in ribbon.buttons()]
    xl = modules["xlwings"]
    assert re.search(r'XLWINGS_VERSION As String = "([^"]+)"', xl).group(1) == xlwings.__version__
    assert 'PROJECT_NAME As String = "crm"' in xl
    # every other module is the template's, unchanged
    template = vba_modules(build.template_path())
    for name in ("ThisWorkbook", "Dictionary", "Sheet2"):
        assert modules[name] == template[name]


def test_vba_project_streams_follow_ms_ovba(built):
    with zipfile.ZipFile(built) as z:
        project = z.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(io.BytesIO(project))
    assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x01\x00"
    with zipfile.ZipFile(build.template_path()) as z:
        template = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
    assert sorted(map("/".join, ole.listdir())) == sorted(map("/".join, template.listdir()))
    for name in ("PROJECT", "PROJECTwm", "VBA/Dictionary", "VBA/Sheet2", "VBA/ThisWorkbook"):
        assert ole.openstream(name).read() == template.openstream(name).read(), name


@pytest.mark.libreoffice
def test_libreoffice_opens_the_addin_and_imports_its_vba(built, soffice, tmp_path):
    # LibreOffice does not detect an .xlam by itself; it opens it with its Excel 2007 filter
    excel = "Calc MS Excel 2007 XML"
    csv = soffice.convert(built, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path, excel)
    assert csv.read_text().strip() == "UDF Modules,addin.functions"
    ods = soffice.convert(built, "ods", tmp_path, excel)
    with zipfile.ZipFile(ods) as z:
        basic = [n for n in z.namelist() if n.endswith("/RibbonMyAddin.xml")]
        assert basic, "LibreOffice did not import the VBA project"
        assert "Sub CRMAction(control As IRibbonControl)" in z.read(basic[0]).decode()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=9000) | st.text(max_size=6000).map(str.encode))
def test_ms_ovba_compression_round_trips_through_oletools(data):
    packed = vba.compress(data)
    assert bytes(decompress_stream(bytearray(packed))) == data
    assert vba.decompress(packed) == data


def test_compound_file_writer_round_trips_through_olefile():
    with zipfile.ZipFile(build.template_path()) as z:
        original = z.read("xl/vbaProject.bin")
    tree = cfb.read(original)
    tree.child("VBA").children.append(cfb.Node("Big", bytes(range(256)) * 40))  # > 4,096
    tree.children.append(cfb.Node("Empty", b""))
    written = cfb.write(tree)
    ole = olefile.OleFileIO(io.BytesIO(written))
    old = olefile.OleFileIO(io.BytesIO(original))
    for entry in old.listdir():
        name = "/".join(entry)
        assert ole.openstream(name).read() == old.openstream(name).read(), name
    assert ole.openstream("VBA/Big").read() == bytes(range(256)) * 40
    assert ole.openstream("Empty").read() == b""


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


def test_install_on_a_mac_uses_the_sandboxed_folders(tmp_path, built):
    p = install.plan("Darwin", tmp_path, {}, python="/usr/bin/python3", addin=built)
    assert p.addin_dest == tmp_path / ("Library/Group Containers/UBF8T346G9.Office/User Content"
                                       "/Startup/Excel/CRM.xlam")
    assert p.config_path == tmp_path / "Library/Containers/com.microsoft.Excel/Data/crm.conf"
    assert p.config == {"INTERPRETER_MAC": "/usr/bin/python3", "UDF MODULES": "addin.functions"}


def test_install_refuses_values_that_would_break_the_config_file():
    with pytest.raises(ValueError, match="quotes or line breaks"):
        install.merged_config({}, {"INTERPRETER_WIN": 'C:\\a"b'})


def test_cli_install_on_linux_is_a_dry_run(tmp_path):
    result = subprocess.run([sys.executable, "-m", "addin.cli", "excel", "install"],
                            capture_output=True, text=True, env={"HOME": str(tmp_path),
                                                                 "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "would copy" in result.stdout and "One manual step" in result.stdout
    assert not any(tmp_path.rglob("CRM.xlam"))
