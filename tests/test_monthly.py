"""``crm-addin monthly``: report then mail, end to end on a small workbook whose numbers are
worked by hand (report_helpers), against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner
from conftest import write_xlsx
from report_helpers import crm_rows

from addin.cli import cli
from addin.mail import LOG_NAME

MONTH = "2026-10"
DISTRIBUTION = [
    ["name", "email", "scope", "language"],
    ["Emily Carter", "emily@example.com", "region: North", "en"],  # A is in the North
    ["王丽华", "wang@example.com", "region: South", "zh"],  # no key account in the South
    ["Board", "board@example.com", None, "en"],  # blank scope: the summary only
]


@pytest.fixture
def workbook(tmp_path):
    rows = crm_rows(settings={"sender_email": "crm-reports@example.com"})
    rows["Distribution"] = DISTRIBUTION
    return write_xlsx(tmp_path / "crm.xlsx", rows)


def _monthly(workbook, port, *extra):
    # the separate PDFs (the packs: test_pack.py)
    return CliRunner().invoke(cli, ["monthly", str(workbook), "--month", MONTH, "--smtp",
                                    f"127.0.0.1:{port}", "--jobs", "1", "--attachments",
                                    "reviews", *extra])


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def _attachments(msg) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


@pytest.mark.slow
def test_monthly_renders_then_mails_each_executive_their_scope_once(workbook, smtp_server):
    inbox, port = smtp_server
    result = _monthly(workbook, port)
    assert result.exit_code == 0, result.output
    reports = workbook.parent / "reports" / MONTH  # the default folder, beside the workbook
    # only what someone reads: A in English (Emily); nobody reads A in Chinese
    assert "1 review of 1 account and 2 portfolio summaries (en, zh)" in result.output
    assert "Emily Carter <emily@example.com>: sent (1 message, 2 PDFs)" in result.output

    emily = _attachments(inbox.messages("emily@example.com")[0])
    assert sorted(emily) == ["2026-10_A_Alpha-Trading-Co_en.pdf",
                             "2026-10_portfolio-summary_en.pdf"]
    review = _pdf_text(emily["2026-10_A_Alpha-Trading-Co_en.pdf"])
    assert "Alpha Trading Co." in review
    # A's October lines: 400 + 100 + 600 = 1,100 revenue; 80 + 20 + 150 = 250 margin
    assert "CN¥1,100" in review and "CN¥250" in review
    # the South has no key account: the summary only, in Chinese; never A's review
    wang = _attachments(inbox.messages("wang@example.com")[0])
    assert sorted(wang) == ["2026-10_portfolio-summary_zh.pdf"]
    assert "客户组合总览" in _pdf_text(wang["2026-10_portfolio-summary_zh.pdf"])
    assert sorted(_attachments(inbox.messages("board@example.com")[0])) == [
        "2026-10_portfolio-summary_en.pdf"]
    assert len(inbox.received) == 3
    log = (reports / LOG_NAME).read_text().splitlines()
    assert [json.loads(line)["state"] for line in log] == ["sending", "sent"] * 3

    # the same command again (cron retried, or someone ran it twice): it renders again but
    # the send log stops every message from going a second time
    again = _monthly(workbook, port)
    assert again.exit_code == 0, again.output
    assert again.output.count("skipped, already sent") == 3
    assert len(inbox.received) == 3


@pytest.mark.slow
def test_a_refused_recipient_exits_3_and_the_others_still_get_theirs(workbook, smtp_server,
                                                                      tmp_path):
    inbox, port = smtp_server
    inbox.reject["board@example.com"] = "550 5.1.1 mailbox unknown"
    result = _monthly(workbook, port, "--out", str(tmp_path / "out"))
    assert result.exit_code == 3
    assert "Board <board@example.com>: failed: 550 5.1.1 mailbox unknown" in result.output
    assert "1 of 3 recipients failed" in result.output
    assert {to[0] for _, to, _ in inbox.received} == {"emily@example.com", "wang@example.com"}
    assert (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize(("args", "message"), [
    ([], "give --smtp HOST:PORT, --transport graph|outlook, or --dry-run DIR"),
    (["--smtp", "mailhost"], "expected HOST:PORT"),
    (["--smtp", "mail.example.com:25", "--user", "crm", "--password-env", "NO_SUCH_VAR_X"],
     "NO_SUCH_VAR_X is not set"),
])
def test_sending_options_are_checked_before_anything_is_rendered(workbook, args, message):
    result = CliRunner().invoke(cli, ["monthly", str(workbook), "--month", MONTH, *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (workbook.parent / "reports").exists()


def test_a_bad_month_is_refused_before_anything_is_rendered(workbook):
    result = CliRunner().invoke(cli, ["monthly", str(workbook), "--month", "Oct 2026",
                                      "--dry-run", str(workbook.parent / "eml")])
    assert result.exit_code == 2
    assert "expected YYYY-MM" in result.output
    assert not (workbook.parent / "reports").exists()
