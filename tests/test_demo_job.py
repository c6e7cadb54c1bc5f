"""The README's main job: `crm-addin demo` on the embedded demo workbook, and `validate`
reporting exactly the duplicates planted in it (workbooks/README.md lists them)."""

import email
import hashlib
import io
import re
import shutil
import subprocess
from email import policy

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from addin.cli import cli
from addin.demo import NEAR_MISS, PLANTED_DUPLICATES, demo_workbook_path
from addin.jobs.tier import tier_workbook
from addin.reports.manifest import read_manifest
from addin.workbook import load_crm_workbook, read_sheet


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

    # ... then one pack per executive, and the executives' emails as a dry run
    reports = out / "reports" / "2026-10"
    assert f"Executives' packs: {reports}" in result.output
    assert f"Emails (dry run, not sent): {out / 'emails'}" in result.output
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
