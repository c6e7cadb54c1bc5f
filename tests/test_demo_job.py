"""The README's main job: `crm-addin demo` on the embedded demo workbook, and `validate`
reporting exactly the duplicates planted in it (workbooks/README.md lists them)."""

import hashlib
import re
import shutil

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from addin.cli import cli
from addin.demo import NEAR_MISS, PLANTED_DUPLICATES, demo_workbook_path


def flagged_groups(output: str) -> list[set[int]]:
    groups, current = [], None
    for line in output.splitlines():
        if re.match(r"\s+\d+\. (same id|likely duplicate):", line):
            current = set()
            groups.append(current)
        elif (m := re.match(r"\s+row\s+(\d+)\s", line)) and current is not None:
            current.add(int(m.group(1)))
    return groups


def test_validate_reports_exactly_the_planted_duplicates(tmp_path):
    demo = shutil.copyfile(demo_workbook_path(), tmp_path / "demo_crm.xlsx")
    before = hashlib.sha256(demo.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["validate", str(demo)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    groups = flagged_groups(result.output)
    # PLANTED_DUPLICATES: (what was planted, Excel row, Excel row)
    planted = [{first, second} for _, first, second in PLANTED_DUPLICATES]
    assert sorted(map(sorted, groups)) == sorted(map(sorted, planted))
    assert not any(set(NEAR_MISS) <= g for g in groups)
    assert hashlib.sha256(demo.read_bytes()).hexdigest() == before  # reading changed nothing


@pytest.mark.slow
def test_demo_job_writes_the_workbook_and_results(tmp_path, soffice):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Results workbook: {out / 'demo_crm_results.xlsx'}" in result.output
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
