"""``crm-addin report``: the door over :func:`addin.jobs.report.report_workbook`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from addin.cli import cli
from addin.demo import demo_workbook_path
from addin.reports.manifest import ATTENTION_RULES, Attention, read_manifest

pytestmark = pytest.mark.slow


def test_report_renders_the_chosen_accounts_and_the_summary_with_a_manifest(tmp_path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(cli, [
        "report", str(demo_workbook_path()), "--out", str(out), "--month", "2026-10",
        "--accounts", "C01231, C01141", "--lang", "en", "--lang", "zh", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "4 reviews of 2 accounts and 2 portfolio summaries (en, zh)" in result.output
    manifest = read_manifest(out, "2026-10")
    assert [a.customer_id for a in manifest.accounts] == ["C01231", "C01141"]
    assert manifest.summary == {"en": "2026-10_portfolio-summary_en.pdf",
                                "zh": "2026-10_portfolio-summary_zh.pdf"}
    kingfisher = manifest.accounts[0]
    assert kingfisher.files == {"en": "2026-10_C01231_Kingfisher-Distribution-Limited_en.pdf",
                                "zh": "2026-10_C01231_Kingfisher-Distribution-Limited_zh.pdf"}
    assert kingfisher.region == "West" and kingfisher.tier == "VIP"
    # lost by the churn loss rule (a planted lost account: its last order on the sheet is
    # 2026-06-02, 28 + 31 + 31 + 30 + 31 = 151 days before 2026-10-31; it ordered every 3
    # days, the median gap, so the limit is max(3 x 3, the 90-day floor) = 90), so winning it
    # back comes first; then the complaint open since 2025-06-14: 504 days, target 14 days
    assert kingfisher.attention[0] == Attention("win_back", 151, 90)
    assert kingfisher.attention[1] == Attention("complaint_overdue", 504, 14)
    assert {a.rule for a in kingfisher.attention} <= set(ATTENTION_RULES)
    for account in manifest.accounts:  # a review is 2-4 A4 pages
        for name in account.files.values():
            assert 2 <= len(PdfReader(out / name).pages) <= 4, name
    for name in manifest.summary.values():
        assert 2 <= len(PdfReader(out / name).pages) <= 7, name
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["headline"]["key_accounts"] == 100
    assert set(data["headline"]) == {"revenue_month", "revenue_ytd", "revenue_yoy",
                                      "customers", "key_accounts", "accounts_at_risk", "nps",
                                      "nps_n", "nps_moe", "csat", "csat_n", "csat_moe",
                                      "churn_rate", "winback_accounts",
                                      "winback_value", "revenue_forecast", "forecast_vs_plan"}
    # the churn and forecast headline: a rate, the win-back list, a forecast; no plan set
    assert 0 < data["headline"]["churn_rate"] < 1
    assert data["headline"]["winback_accounts"] >= 1
    assert data["headline"]["revenue_forecast"] > 0
    assert data["headline"]["forecast_vs_plan"] is None


@pytest.mark.parametrize(("args", "message"), [
    (["--accounts", "C01231,NOPE"], "NOPE"),
    (["--month", "2019-01"], "no transactions on or before the end of 2019-01"),
    (["--month", "October"], "expected YYYY-MM"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["report", str(demo_workbook_path()), "--out",
                                      str(tmp_path), "--lang", "en", "--jobs", "1", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "manifest.json").exists()


def test_report_help_names_every_option():
    result = CliRunner().invoke(cli, ["report", "--help"])
    for option in ("--out", "--month", "--lang", "--accounts", "--jobs", "--pdf-variant"):
        assert option in result.output


def test_report_prints_a_month_without_data_and_a_non_key_account(make_xlsx, tmp_path):
    from report_helpers import crm_rows

    # the small workbook's log ends on 2026-10-25; its customer C is not a key account
    path = make_xlsx(crm_rows())
    result = CliRunner().invoke(cli, [
        "report", str(path), "--out", str(tmp_path / "out"), "--month", "2026-11",
        "--accounts", "A,B,C", "--lang", "en", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert ("warning: the Transactions sheet has no line in 2026-11 (its last date is "
            "2026-10-25)") in result.output
    manifest = read_manifest(tmp_path / "out", "2026-11")
    others = [a.customer_id for a in manifest.accounts if not a.key_account]
    assert others  # and each is named on the command's output
    for cid in others:
        assert f"warning: --accounts {cid} is not a key account" in result.output
