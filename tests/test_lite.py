"""The xlwings Lite door: `crm-addin excel lite` prints main.py and requirements.txt pinned to
this version; that main.py imports with WeasyPrint, smtplib, click and pyOpenVBA blocked (and
multiprocessing, subprocess, xlwings.server and xlwings.pro blocked for the project's modules),
and every CRM_ function called with Office.js-shaped ranges returns what the classic door returns
on the same cells (tests/lite_check.py, run in a fresh interpreter). The scripts run the ribbon
macros over the xlwings book fake. scripts/test_floors.sh runs this file again in a venv pinned
to Pyodide 314.0.8's numpy, pandas and scipy."""

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from xlwings_fake import FakeBook, xlwings_values

from addin import __version__
from addin.cli import cli
from addin.excel import lite
from addin.functions.ranges import FUNCTIONS, from_officejs

HERE = Path(__file__).resolve().parent


def test_cli_prints_main_and_requirements_pinned_to_this_version():
    result = CliRunner().invoke(cli, ["excel", "lite"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "# ---- main.py ----" in result.output
    assert "from addin.excel.lite import *" in result.output
    assert f"\ncrm-addin=={__version__}\n" in result.output


def test_cli_writes_the_files_with_a_hosted_wheel(tmp_path):
    url = f"https://example.com/releases/crm_addin-{__version__}-py3-none-any.whl"
    result = CliRunner().invoke(cli, ["excel", "lite", "--wheel-url", url, "--out",
                                      str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    requirements = (tmp_path / "requirements.txt").read_text().splitlines()
    assert [r for r in requirements if not r.startswith("#")] == [url]
    assert (tmp_path / "main.py").read_text() == lite.lite_files()["main.py"]


def test_cli_refuses_a_wheel_url_that_is_not_https(tmp_path):
    result = CliRunner().invoke(cli, ["excel", "lite", "--wheel-url", "http://x/a.whl",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "https://" in result.output and not any(tmp_path.iterdir())


@pytest.fixture(scope="module")
def lite_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lite")
    main = folder / "main.py"
    main.write_text(lite.lite_files()["main.py"])
    run = subprocess.run([sys.executable, str(HERE / "lite_check.py"), str(main)],
                         capture_output=True, text=True, cwd=folder, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(HERE.parent)})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_main_py_imports_with_the_browser_blocks_and_has_every_function(lite_run):
    assert lite_run["functions"] == lite_run["declared"] == sorted(FUNCTIONS)
    assert lite_run["scripts"] == sorted(lite.SCRIPTS)
    assert lite_run["loaded_blocked"] == []
    assert set(lite_run["script_modules"].values()) == {"ok"}, lite_run["script_modules"]


def test_every_function_answers_office_js_cells_as_the_classic_door(lite_run):
    missing = sorted(set(FUNCTIONS) - set(lite_run["samples"]))
    assert not missing, f"add Office.js samples for {missing} to tests/lite_check.py"
    assert lite_run["differences"] == {}
    assert lite_run["errors"] == {}  # the samples are good input: real answers compared


@pytest.mark.parametrize(("officejs", "classic"), [
    ({"type": "Error", "basicType": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"},
     "#N/A"),
    ({"type": "Error", "basicValue": "#DIV/0!"}, "#DIV/0!"),
    ({"type": "Empty", "basicValue": ""}, None),
    ({"type": "Double", "basicValue": 2}, 2.0),
    (None, None), (3, 3.0), (2.5, 2.5), (True, True), ("x", "x"),
    (46022, 46022.0),  # a date cell: its serial, which the date rules read (2025-12-31)
])
def test_office_js_cells_read_as_classic_xlwings_gives_them(officejs, classic):
    assert from_officejs([[officejs]]) == [[classic]]
    assert from_officejs(officejs) == classic


def test_a_js_null_is_blank():
    JsNull = type("JsNull", (), {})  # Pyodide >= 0.28's sentinel for JavaScript null
    assert from_officejs([[JsNull(), 1]]) == [[None, 1.0]]


def test_the_9999_date_rule_holds_through_the_lite_door():
    # 2958465 is 9999-12-31, the ERP "never" date; pandas 2.x cannot hold it (the floor is 3)
    answer = lite.FUNCTIONS_LITE["CRM_RFM"](
        [["customer_id"], ["C1"]], [["date"], [2958465]], [["amount"], [10]], [[2958465]])
    assert not str(answer).startswith("#CRM!"), answer
    assert answer[1][0] == "C1"


def test_a_100000_cell_range_reads_in_one_pass():
    # One comprehension over the rows, no per-cell converter; its speed is not timed here (a
    # loaded 2-core machine makes timed tests flaky), it is about 0.05 s on a quiet one.
    cells = [[float(i % 97) if i % 50 else {"type": "Error", "basicValue": "#N/A"}, i]
             for i in range(100_000)]
    rows = from_officejs(cells)
    assert len(rows) == 100_000 and rows[0] == ["#N/A", 0.0] and rows[1] == [1.0, 1.0]
    assert sum(r[0] == "#N/A" for r in rows) == 2_000
    assert all(type(r[1]) is float for r in rows)


def test_scripts_run_the_ribbon_macros_over_the_book(tmp_path):
    from addin.demo import demo_workbook_path

    fake = FakeBook(xlwings_values(demo_workbook_path()), fullname="C:/crm/demo_crm.xlsx")
    report = lite.crm_validate(fake)
    assert report.ok
    assert "Validation" in [s.name for s in fake.sheets]
    lite.crm_reports_and_email(fake)
    shown = [c for c in fake.log if c[0] == "alert"]
    assert shown and lite.NOT_IN_LITE in str(shown[-1])


def test_no_project_module_imports_xlwings_server_or_pro():
    import ast

    root = HERE.parent
    for path in [*root.glob("addin/**/*.py"), *root.glob("tests/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            bad = [n for n in names if n.startswith(("xlwings.server", "xlwings.pro"))]
            assert not bad, f"{path}:{node.lineno} imports {bad}"


def test_serial_numbers_and_dates_are_the_same_day():
    assert math.isclose((dt.datetime(2025, 12, 31) - dt.datetime(1899, 12, 30)).days, 46022)
