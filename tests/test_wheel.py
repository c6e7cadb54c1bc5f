"""The wheel works outside the repository: `python -m build` makes an sdist and a wheel (from
that sdist) carrying the report templates, CRM.xlam and the demo workbook; installed into a fresh
venv, `crm-addin demo` run from an unrelated folder writes the results workbook, the
executives' 4 PDF packs and the emails, and `crm-addin excel install` finds the add-in inside
the package.

The fresh venv sees the project's dependencies through a path file naming .venv's
site-packages (appended after its own, and without processing .venv's path files, so the
editable install's pointer to this checkout is not followed); the wheel itself is installed with
--no-deps, and the test checks that `addin` is imported from the new venv.
"""

import email
import io
import os
import subprocess
import sys
import sysconfig
import zipfile
from email import policy
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from addin.jobs.tier import tier_workbook
from addin.reports.manifest import read_manifest
from addin.workbook import load_crm_workbook, read_sheet

ROOT = Path(__file__).resolve().parents[1]

SHIPPED = {
    "addin/_data/workbooks/CRM.xlam": ROOT / "workbooks" / "CRM.xlam",
    "addin/_data/workbooks/demo_crm.xlsx": ROOT / "workbooks" / "demo_crm.xlsx",
    **{f"addin/_data/report_templates/{p.relative_to(ROOT / 'report_templates').as_posix()}": p
       for p in (ROOT / "report_templates").rglob("*") if p.is_file()},
}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                    str(ROOT)], check=True, capture_output=True, text=True, timeout=120)
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def test_wheel_lists_the_shipped_files(dist):
    wheel, sdist = dist
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for inside, source in SHIPPED.items():
            assert inside in names, inside
            assert z.read(inside) == source.read_bytes(), inside
    assert "addin/excel/templates/CRMRibbon.bas" in names
    assert "addin/data.py" in names and "addin/cli.py" in names
    assert not any(n.startswith(("tests/", "report_templates/", "workbooks/")) for n in names)
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as z:
        assert "crm-addin = addin.cli:main" in z.read(entry).decode()
    import tarfile

    with tarfile.open(sdist) as t:
        members = {m.name.split("/", 1)[1] for m in t.getmembers() if "/" in m.name}
    # The sdist keeps the source tree's layout (the wheel above was built from it).
    assert {"report_templates/review.html", "workbooks/CRM.xlam",
            "workbooks/demo_crm.xlsx", "pyproject.toml"} <= members


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory):
    wheel, _ = dist
    env_dir = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        text=True).strip())
    (site / "_crm_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--disable-pip-version-check", "--no-index",
                    str(wheel)], check=True, timeout=120)
    return env_dir


def _clean_env(cache: Path | None = None) -> dict[str, str]:
    """This environment without anything that points Python at the checkout; with ``cache``,
    a fresh XDG cache (not for the demo: fontconfig would rebuild its CJK cache per worker)."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    return env


def test_installed_package_is_the_wheels(venv, tmp_path):
    python = venv / "bin" / "python"
    code = ("import addin, addin.data, addin.reports, addin.demo, addin.excel.build as b;"
            "print(addin.__file__); print(addin.reports.TEMPLATE_DIR);"
            "print(addin.demo.demo_workbook_path()); print(b.DEFAULT_DEST);"
            f"import sys; print(any(p.rstrip('/') == {str(ROOT)!r} for p in sys.path))")
    lines = subprocess.check_output([python, "-c", code], cwd=tmp_path, text=True,
                                    env=_clean_env(tmp_path / "cache")).splitlines()
    package = venv.resolve() / "lib"
    assert all(Path(p).resolve().is_relative_to(package) for p in lines[:4]), lines
    assert lines[1].endswith("addin/_data/report_templates")
    assert lines[2].endswith("addin/_data/workbooks/demo_crm.xlsx")
    assert lines[3].endswith("addin/_data/workbooks/CRM.xlam")
    assert lines[4] == "False"  # the checkout is not on the path


def test_excel_install_finds_the_packaged_addin(venv, tmp_path):
    env = {**_clean_env(), "HOME": str(tmp_path)}
    result = subprocess.run([venv / "bin" / "crm-addin", "excel", "install", "--dry-run"],
                            cwd=tmp_path, env=env, capture_output=True,
                            text=True, check=True)
    shipped = str(venv.resolve() / "lib")
    copies = [line for line in result.stdout.splitlines()
              if "would copy" in line and "CRM.xlam" in line]
    assert len(copies) == 2 and all(shipped in line and
                          "addin/_data/workbooks/CRM.xlam" in line for line in copies), \
        result.stdout


@pytest.fixture(scope="module")
def demo_run(venv, tmp_path_factory):
    """`crm-addin demo --out run` from the installed wheel, in an unrelated folder: one run of
    the README's main job that the tests below read (the demo takes a minute; running it once
    for the wheel and again in-process cost the suite two)."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = subprocess.run([venv / "bin" / "crm-addin", "demo", "--out", "run"],
                            cwd=elsewhere, env=_clean_env(), capture_output=True,
                            text=True, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    return elsewhere / "run", result.stdout


@pytest.mark.slow
def test_demo_from_the_installed_wheel(demo_run):
    out, stdout = demo_run
    wb = openpyxl.load_workbook(out / "demo_crm_results.xlsx", read_only=True)
    assert wb.sheetnames[-4:] == ["Validation", "Tiers", "Survey Results", "Scorecard Results"]
    assert wb["Tiers"].max_row > 2000  # every demo customer tiered (2,000 plus headings)
    wb.close()
    pdfs = sorted((out / "reports" / "2026-10").rglob("*.pdf"))
    # one pack per executive of the Distribution sheet (issue 14): two in English, two in
    # Chinese, each holding the summary and the reviews of its reader's scope
    assert len(pdfs) == 4
    assert sum("CRM pack (" in p.name for p in pdfs) == 2
    assert sum("CRM月度汇报" in p.name for p in pdfs) == 2
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    assert len(list((out / "emails").glob("*.eml"))) == 4
    assert f"Results workbook: {Path('run', 'demo_crm_results.xlsx')}" in stdout


@pytest.mark.slow
def test_demo_job_writes_the_workbook_and_results(demo_run, soffice):
    out, output = demo_run
    wb = openpyxl.load_workbook(out / "demo_crm_results.xlsx", read_only=True)
    assert wb.sheetnames[-4:] == ["Validation", "Tiers", "Survey Results", "Scorecard Results"]
    assert "Customers" in wb.sheetnames and "Transactions" in wb.sheetnames
    wb.close()
    # A real client opens what we wrote and sees the duplicate rows we listed.
    csv = soffice.to_csv(out / "demo_crm_results.xlsx", sheet="Validation")
    shown = pd.read_csv(csv, header=None, dtype=str, keep_default_na=False)
    text = "\n".join(",".join(r) for r in shown.to_numpy().tolist())
    assert "Duplicate customers" in text
    assert "HUAXIN TRADING LIMITED" in text and "深圳市前海AI科技" in text

    # ... then one pack per executive, and the executives' emails as a dry run
    reports = out / "reports" / "2026-10"
    assert f"Executives' packs: {Path('run', 'reports', '2026-10')}" in output
    assert f"Emails (dry run, not sent): {Path('run', 'emails')}" in output
    manifest = read_manifest(reports, "2026-10")
    assert sorted(manifest.languages) == ["en", "zh"]
    assert all((reports / name).stat().st_size > 0 for name in manifest.files())
    distribution = read_sheet(out / "demo_crm.xlsx", "Distribution")
    tiers = tier_workbook(load_crm_workbook(out / "demo_crm.xlsx")).tiers
    key = tiers[tiers["key_account"]]
    assert len(key) == 100  # VIP 20 + Key 80, the pyramid the tiering prints
    messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in (out / "emails").glob("*.eml")]
    to = [m["To"].addresses[0].addr_spec for m in messages]
    assert sorted(to) == sorted(distribution["email"])  # exactly one message each
    rendered = set()
    for msg, address in zip(messages, to, strict=True):
        row = distribution[distribution["email"] == address].iloc[0]
        wanted = key[key["region"] == row["scope"].removeprefix("region: ")]
        [(name, pdf)] = [(p.get_filename(), p.get_content()) for p in msg.iter_attachments()]
        assert name.startswith("2026-10 ") and row["name"] in name
        reader = PdfReader(io.BytesIO(pdf))
        titles = [i.title for i in reader.outline if not isinstance(i, list)]
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                              check=True).stdout.decode()
        pack = manifest.pack_for(int(row.name), address)
        assert sorted(e.customer_id for e in pack.accounts) == sorted(wanted.index)
        for _, t in wanted.iterrows():
            assert t["name"] in titles  # a bookmark per account of the region, none other
            assert t["name"] in text and f"{t['revenue']:,.2f}" in text  # as on Tiers
        rendered |= {(cid, row["language"]) for cid in wanted.index}
    # only what someone reads: each key account once, in its reader's language
    assert len(rendered) == len(key)
