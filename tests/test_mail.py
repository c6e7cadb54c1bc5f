"""The monthly email against a real SMTP server (aiosmtpd on 127.0.0.1, started here), with
real PDFs rendered by WeasyPrint and read back with pdftotext."""

from __future__ import annotations

import email
import json
import shutil
import ssl
import subprocess
from email import policy
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner
from conftest import write_xlsx
from hypothesis import given
from hypothesis import strategies as st
from smtp_helpers import Inbox, free_port

from addin.cli import cli
from addin.errors import InputError
from addin.mail import (
    LOG_NAME,
    DryRunTransport,
    SMTPTransport,
    parse_scope,
    plan,
    send_monthly_mail,
)
from addin.reports.manifest import (
    AccountReport,
    Attention,
    Manifest,
    read_manifest,
    write_manifest,
)
from addin.workbook import read_sheet

MONTH = "2026-10"
# id, name, region, segment, tier
ACCOUNTS = [
    ("C1", "Huaxin Trading", "North", "Enterprise", "VIP"),
    ("C2", "Northwind Ltd", "North", "SMB", "Key"),
    ("C3", "上海华信", "East", "Enterprise", "VIP"),
    ("C4", "Dongfang Mfg", "East", "Mid-market", "Key"),
    ("C5", "Pearl River Co", "South", "Enterprise", "Key"),
    ("C6", "Lhasa Goods", "West", "SMB", "Key"),
]
SETTINGS = [["key", "value"], ["company_name", "Northwind Industrial Supply"],
            ["company_name_zh", "北风工业供应有限公司"], ["currency", "CNY"],
            ["sender_email", "crm-reports@example.com"], ["report_language", "en"]]
DISTRIBUTION = [
    ["name", "email", "scope", "language"],
    ["Emily Carter", "emily@example.com", "region: North", "en"],  # row 2
    ["王丽华", "wang@example.com", "地区：East", "zh"],  # row 3
    ["Carter, Sam", "sam@example.com", "region: South; account: C1", "en"],  # row 4, mixed
    ["Ann Lee", "ann@example.com", "segment: Enterprise", None],  # row 5, Settings language
    ["Board", "board@example.com", None, "en"],  # row 6, blank scope: summary only
]
# who gets which reviews, worked out from the scope rules by hand
EXPECTED = {
    "emily@example.com": {"C1", "C2"},
    "wang@example.com": {"C3", "C4"},
    "sam@example.com": {"C5", "C1"},  # South plus C1; not C2 although C1's region is North
    "ann@example.com": {"C1", "C3", "C5"},
    "board@example.com": set(),
}


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A reports folder as crm-addin report leaves it: 14 real PDFs and manifest.json."""
    from weasyprint import HTML

    folder = tmp_path_factory.mktemp("reports")

    def pdf(name: str, text: str) -> str:
        HTML(string=f"<h1>{text}</h1>").write_pdf(folder / name)
        return name

    accounts = []
    for cid, name, region, segment, tier in ACCOUNTS:
        attention = []
        if cid == "C3":
            attention = [Attention("purchase_overdue", 45, 30)]
        if cid == "C5":
            attention = [Attention("complaint_overdue", 21, 14), Attention("low_satisfaction",
                                                                            3.2, 3.5)]
        accounts.append(AccountReport(
            cid, name, region, segment, tier,
            files={lang: pdf(f"review_{cid}_{lang}.pdf", f"review {cid} {lang}")
                   for lang in ("en", "zh")},
            headline={"revenue_month": 1000.0 * int(cid[1:]), "revenue_yoy": -0.05},
            attention=attention))
    manifest = Manifest(MONTH, "Northwind Industrial Supply", "CNY", ["en", "zh"],
                        summary={lang: pdf(f"summary_{lang}.pdf", f"portfolio summary {lang}")
                                 for lang in ("en", "zh")},
                        accounts=accounts,
                        headline={"revenue_month": 1234567.891, "key_accounts": 6, "nps": 31.6})
    write_manifest(folder, manifest)
    return folder


@pytest.fixture
def reports(rendered, tmp_path):
    """A fresh copy per test: the send log is written into the reports folder."""
    return Path(shutil.copytree(rendered, tmp_path / "reports"))


@pytest.fixture
def workbook(tmp_path):
    return write_xlsx(tmp_path / "crm.xlsx", {"Distribution": DISTRIBUTION,
                                              "Settings": SETTINGS})


def _transport(port, **kwargs):
    sleeps: list[float] = []
    kwargs.setdefault("timeout", 10)
    return SMTPTransport("127.0.0.1", port, sleep=sleeps.append, **kwargs), sleeps


def _attached(msg) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def _review_ids(files: dict[str, bytes]) -> set[str]:
    return {name.split("_")[1] for name in files if name.startswith("review_")}


def test_each_executive_gets_the_reviews_of_their_scope_only(workbook, reports, smtp_server):
    inbox, port = smtp_server
    transport, sleeps = _transport(port)
    outcomes = send_monthly_mail(workbook, reports, MONTH, transport)
    assert [o.status for o in outcomes] == ["sent"] * 5
    assert sleeps == []
    for address, expected in EXPECTED.items():
        (msg,) = inbox.messages(address)
        files = _attached(msg)
        assert _review_ids(files) == expected, address
        lang = "zh" if address == "wang@example.com" else "en"
        assert f"summary_{lang}.pdf" in files
        for name, data in files.items():
            assert data.startswith(b"%PDF-")
            # the attachment is the real PDF of that account, in the recipient's language
            if name.startswith("review_"):
                assert f"review {name.split('_')[1]} {lang}" in _pdf_text(data)
        assert all(name.endswith(f"_{lang}.pdf") for name in files)
    # the mixed scope: C1 (North) by id, but never North's C2
    sam = _attached(inbox.messages("sam@example.com")[0])
    assert "review_C2_en.pdf" not in sam
    # envelope sender is the Settings sender
    assert {frm for frm, _, _ in inbox.received} == {"crm-reports@example.com"}


def test_bodies_show_headline_and_attention_in_the_recipients_language(workbook, reports,
                                                                         smtp_server):
    inbox, port = smtp_server
    send_monthly_mail(workbook, reports, MONTH, _transport(port)[0])
    (zh,) = inbox.messages("wang@example.com")
    assert zh["Subject"] == "2026年10月重点客户评估报告"
    assert zh["From"].addresses[0].display_name == "北风工业供应有限公司"
    text = zh.get_body(("plain",)).get_content()
    # money in whole units and a usual gap to one decimal, as the PDF and the sheets show them
    assert "¥1,234,568" in text and "CN¥" not in text  # zh_Hans_CN symbol
    assert "上海华信" in text and "已45天未下单（通常间隔30.0天）" in text
    assert "上海华信（C3，VIP客户，华东）" in text  # tier and region in Chinese, full-width
    html = zh.get_body(("html",)).get_content()
    assert "地区：华东" in html and "<html lang=\"zh-CN\">" in html
    (en,) = inbox.messages("ann@example.com")
    assert en["Subject"] == "Key-account reviews for October 2026"
    body = en.get_body(("plain",)).get_content()
    assert "CN¥1,234,568" in body
    assert "Pearl River Co (C5, Key, South): a complaint open for 21 days (target 14 days)" in body
    assert "satisfaction 3.20, below 3.50" in body
    (board,) = inbox.messages("board@example.com")
    assert "No key-account review is in your scope" in board.get_body(("plain",)).get_content()


def test_a_4xx_is_retried_with_backoff_then_succeeds(workbook, reports, smtp_server):
    inbox, port = smtp_server
    inbox.defer["emily@example.com"] = 2  # 451 twice, then accepted
    transport, sleeps = _transport(port, backoff=0.5)
    outcomes = send_monthly_mail(workbook, reports, MONTH, transport)
    assert [o.status for o in outcomes] == ["sent"] * 5
    assert sleeps == [0.5, 1.0]  # backoff * 2**(attempt-1)
    assert len(inbox.messages("emily@example.com")) == 1  # delivered once
    assert inbox.data_commands == 5 + 2


def test_a_dropped_connection_is_retried(workbook, reports, smtp_server):
    inbox, port = smtp_server
    inbox.drop = 1
    transport, sleeps = _transport(port)
    outcomes = send_monthly_mail(workbook, reports, MONTH, transport)
    assert [o.status for o in outcomes] == ["sent"] * 5
    assert sleeps == [2.0]
    assert len(inbox.received) == 5


def test_a_5xx_fails_that_recipient_and_the_rest_still_go(workbook, reports, smtp_server):
    inbox, port = smtp_server
    inbox.reject["sam@example.com"] = "550 5.1.1 <sam@example.com>: mailbox unavailable"
    transport, sleeps = _transport(port)
    outcomes = send_monthly_mail(workbook, reports, MONTH, transport)
    status = {o.recipient.email: o.status for o in outcomes}
    assert status.pop("sam@example.com") == "failed"
    assert set(status.values()) == {"sent"}
    assert sleeps == []  # permanent: not retried
    failed = next(o for o in outcomes if o.status == "failed")
    assert failed.line() == ('"Carter, Sam" <sam@example.com>: failed: 550 5.1.1 '
                             '<sam@example.com>: mailbox unavailable')
    assert len(inbox.received) == 4
    # after the mailbox is fixed, a re-run sends only the missing message
    del inbox.reject["sam@example.com"]
    again = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0])
    assert [o.status for o in again] == ["skipped", "skipped", "sent", "skipped", "skipped"]
    assert len(inbox.received) == 5


def test_a_rerun_of_the_month_sends_nothing_twice(workbook, reports, smtp_server):
    inbox, port = smtp_server
    send_monthly_mail(workbook, reports, MONTH, _transport(port)[0])
    assert len(inbox.received) == 5
    log = (reports / LOG_NAME).read_text().splitlines()
    # each message logged "sending" (with its Message-ID, before DATA), then "sent"
    states = [json.loads(line)["state"] for line in log]
    assert states == ["sending", "sent"] * 5
    ids = [json.loads(line)["message_id"] for line in log]
    assert ids[0::2] == ids[1::2]
    assert sorted(ids[0::2]) == sorted(m["Message-ID"] for m in
                                       (email.message_from_bytes(d, policy=policy.default)
                                        for _, _, d in inbox.received))
    again = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0])
    assert [o.status for o in again] == ["skipped"] * 5
    assert again[0].line().startswith("Emily Carter <emily@example.com>: skipped, already sent")
    assert len(inbox.received) == 5
    assert (reports / LOG_NAME).read_text().splitlines() == log


def test_plan_counts_messages_per_recipient_without_sending(workbook, reports, smtp_server):
    inbox, port = smtp_server
    planned = plan(workbook, reports, MONTH)
    # one message each: the summary plus the reviews of their scope (EXPECTED)
    assert {p.recipient.email: (p.messages, p.attachments, p.already_sent) for p in planned} == {
        email: (1, 1 + len(ids), 0) for email, ids in EXPECTED.items()}
    assert inbox.received == [] and not (reports / LOG_NAME).exists()
    # at the 20 kB limit of the split test Ann's summary + 3 reviews need more than one part
    assert next(p for p in plan(workbook, reports, MONTH, max_bytes=20_000)
                if p.recipient.email == "ann@example.com").messages > 1
    send_monthly_mail(workbook, reports, MONTH, _transport(port)[0])
    assert [p.to_send for p in plan(workbook, reports, MONTH)] == [0] * len(EXPECTED)


def test_server_down_stops_after_backoff_and_reports_everyone(workbook, reports):
    transport, sleeps = _transport(free_port(), attempts=3)  # nothing listens there
    outcomes = send_monthly_mail(workbook, reports, MONTH, transport)
    assert sleeps == [2.0, 4.0]  # tried 3 times for the first recipient, then stopped
    assert [o.status for o in outcomes] == ["failed"] * 5
    assert "ConnectionRefusedError" in outcomes[0].detail
    assert outcomes[1].detail.startswith("not sent, the server failed: ")
    # the one message tried is logged "sending" then "failed" (never reached a server): a
    # re-run sends it, it is not in doubt
    log = [json.loads(line) for line in (reports / LOG_NAME).read_text().splitlines()]
    assert [e["state"] for e in log] == ["sending", "failed"]


def test_large_messages_are_split_into_numbered_parts_under_the_limit(workbook, reports,
                                                                        smtp_server):
    inbox, port = smtp_server
    # The test PDFs are ~3 kB (~4.2 kB base64-encoded with their MIME headers) and Ann's bodies
    # (HTML + text) ~8 kB: 20 kB leaves room for one or two PDFs per message.
    limit = 20_000
    outcomes = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0],
                                 max_bytes=limit)
    assert all(o.status == "sent" for o in outcomes)
    ann = [m for _, to, m in inbox.received if to == ["ann@example.com"]]
    assert len(ann) > 1
    parts = [email.message_from_bytes(m, policy=policy.default) for m in ann]
    assert all(len(m) <= limit for m in ann)
    assert [p["Subject"] for p in parts] == [
        f"Key-account reviews for October 2026 (part {k} of {len(ann)})"
        for k in range(1, len(ann) + 1)]
    files = [name for p in parts for name in _attached(p)]
    assert files[0] == "summary_en.pdf"  # the summary leads part 1
    assert sorted(files) == sorted(["summary_en.pdf"] + [f"review_{c}_en.pdf"
                                                         for c in EXPECTED["ann@example.com"]])
    assert len(files) == len(set(files))
    # a re-run skips every part
    again = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0], max_bytes=limit)
    assert {o.status for o in again} == {"skipped"}


def test_an_attachment_over_the_limit_fails_that_recipient_only(workbook, reports,
                                                                  smtp_server):
    inbox, port = smtp_server
    big = reports / "review_C3_zh.pdf"  # only Wang (East, zh) gets it
    big.write_bytes(big.read_bytes() + b"%" + b"x" * 300_000 + b"\n")
    outcomes = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0],
                                 max_bytes=200_000)
    status = {o.recipient.email: (o.status, o.detail) for o in outcomes}
    assert status["wang@example.com"][0] == "failed"
    assert "review_C3_zh.pdf needs 0.4 MB encoded" in status["wang@example.com"][1]
    assert sum(s == "sent" for s, _ in status.values()) == 4


def test_header_injection_in_a_recipient_name_is_refused_before_anything_is_sent(
        tmp_path, reports, smtp_server):
    inbox, port = smtp_server
    rows = DISTRIBUTION[:2] + [["Eve\r\nBcc: x@evil.example", "eve@example.com", "all", "en"]]
    book = write_xlsx(tmp_path / "evil.xlsx", {"Distribution": rows, "Settings": SETTINGS})
    assert "\r\nBcc:" in read_sheet(book, "Distribution")["name"].iloc[1]  # it reaches us
    with pytest.raises(InputError) as caught:
        send_monthly_mail(book, reports, MONTH, _transport(port)[0])
    problem = caught.value.problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("Distribution", 3, "name")
    assert "without line breaks or control characters" in problem.expected
    assert inbox.received == []
    result = CliRunner().invoke(cli, ["mail", str(book), "--reports", str(reports), "--month",
                                      MONTH, "--smtp", f"127.0.0.1:{port}"])
    assert result.exit_code == 2
    assert "sheet 'Distribution', row 3, column 'name'" in result.output
    assert inbox.received == []


def test_the_email_package_itself_refuses_crlf_in_a_name():
    # second line of defence, should our check ever be bypassed
    from email.headerregistry import Address

    with pytest.raises(ValueError):
        Address(display_name="Eve\r\nBcc: x@evil.example", addr_spec="eve@example.com")


def test_non_ascii_and_comma_names_are_encoded_and_parse_back(workbook, reports, smtp_server):
    inbox, port = smtp_server
    send_monthly_mail(workbook, reports, MONTH, _transport(port)[0])
    raw = next(data for _, to, data in inbox.received if to == ["wang@example.com"])
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # RFC 2047 encoded words, no raw UTF-8 in headers
    assert b"To: =?utf-8?b?546L5Li95Y2O?= <wang@example.com>" in head  # base64 of 王丽华
    msg = email.message_from_bytes(raw, policy=policy.default)
    (to,) = msg["To"].addresses
    assert (to.display_name, to.addr_spec) == ("王丽华", "wang@example.com")
    sam = inbox.messages("sam@example.com")[0]
    assert sam["To"].addresses[0].display_name == "Carter, Sam"  # quoted, one address
    assert len(sam["To"].addresses) == 1
    assert 'To: "Carter, Sam" <sam@example.com>' in str(sam).replace("\r\n", "\n")


def test_dry_run_writes_eml_files_that_parse_back(workbook, reports, tmp_path):
    out = tmp_path / "eml"
    outcomes = send_monthly_mail(workbook, reports, MONTH, DryRunTransport(out))
    assert [o.status for o in outcomes] == ["written"] * 5
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"{MONTH}_{a}.eml" for a in EXPECTED)
    for address, expected in EXPECTED.items():
        msg = email.message_from_bytes((out / f"{MONTH}_{address}.eml").read_bytes(),
                                       policy=policy.default)
        assert msg["To"].addresses[0].addr_spec == address
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
        attached = _attached(msg)
        assert _review_ids(attached) == expected
        assert all(data.startswith(b"%PDF-") for data in attached.values())
        assert msg["Message-ID"] and msg["Date"]
    assert not (reports / LOG_NAME).exists()  # a dry run is not a send


def test_starttls_and_login_with_the_password_from_the_environment(workbook, reports,
                                                                     tmp_path, monkeypatch):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    logins = []

    def authenticator(server, session, envelope, mechanism, data):
        logins.append((data.login, data.password, session.ssl is not None))
        ok = data.login == b"crm" and data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535

    class TLSController(Controller):
        def factory(self):
            return SMTPServer(self.handler, tls_context=server_ctx, require_starttls=True,
                              authenticator=authenticator, auth_required=True)

    inbox = Inbox()
    controller = TLSController(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the default context trusts it
        runner = CliRunner(env={"CRM_SMTP_PASSWORD": "s3cret"})
        args = ["mail", str(workbook), "--reports", str(reports), "--month", MONTH, "--smtp",
                f"127.0.0.1:{controller.port}", "--starttls", "--user", "crm",
                "--password-env", "CRM_SMTP_PASSWORD"]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert len(inbox.received) == 5
        assert logins and all(tls for _, _, tls in logins)
        lines = result.output.splitlines()
        assert lines[0] == "Emily Carter <emily@example.com>: sent (1 message, 3 PDFs)"
        assert len(lines) == 5
        # a wrong password: the login fails once and the run stops, every recipient reported
        (reports / LOG_NAME).unlink()
        result = CliRunner(env={"CRM_SMTP_PASSWORD": "wrong"}).invoke(cli, args)
        assert result.exit_code == 3
        assert "failed: 535" in result.output.splitlines()[0]
        assert result.output.count("not sent, the server failed: 535") == 4
        assert "5 of 5 recipients failed" in result.output
        assert len(inbox.received) == 5
    finally:
        controller.stop()


def test_cli_prints_a_line_per_recipient_and_exits_3_on_failure(workbook, reports,
                                                                 smtp_server):
    inbox, port = smtp_server
    inbox.reject["ann@example.com"] = "554 5.7.1 rejected by policy"
    args = ["mail", str(workbook), "--reports", str(reports), "--month", MONTH, "--smtp",
            f"127.0.0.1:{port}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3
    lines = result.output.splitlines()
    assert lines[:5] == [
        "Emily Carter <emily@example.com>: sent (1 message, 3 PDFs)",
        "王丽华 <wang@example.com>: sent (1 message, 3 PDFs)",
        '"Carter, Sam" <sam@example.com>: sent (1 message, 3 PDFs)',
        "Ann Lee <ann@example.com>: failed: 554 5.7.1 rejected by policy",
        "Board <board@example.com>: sent (1 message, 1 PDF)",
    ]
    assert "1 of 5 recipients failed" in result.output
    # the wrong month's folder is refused with exit 2
    result = CliRunner().invoke(cli, args[:5] + ["2026-09", "--smtp", f"127.0.0.1:{port}"])
    assert result.exit_code == 2
    assert "holds the reports for 2026-10, not 2026-09" in result.output


@pytest.mark.parametrize(("args", "message"), [
    ([], "give --smtp HOST:PORT, --transport graph|outlook, or --dry-run DIR"),
    (["--smtp", "mailhost"], "expected HOST:PORT"),
    (["--smtp", "mail.example.com:25", "--user", "crm"], "--user and --password-env go together"),
    (["--smtp", "mail.example.com:25", "--user", "crm", "--password-env", "NO_SUCH_VAR_X"],
     "NO_SUCH_VAR_X is not set"),
])
def test_cli_refuses_bad_sending_options(workbook, reports, args, message):
    result = CliRunner().invoke(cli, ["mail", str(workbook), "--reports", str(reports),
                                      "--month", MONTH, *args])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_refuses_a_password_in_clear_to_a_remote_server(workbook, reports):
    result = CliRunner(env={"PW": "x"}).invoke(cli, [
        "mail", str(workbook), "--reports", str(reports), "--month", MONTH, "--smtp",
        "mail.example.com:25", "--user", "crm", "--password-env", "PW"])
    assert result.exit_code == 2
    assert "the password would be sent unencrypted: use STARTTLS" in result.output


def test_cli_dry_run(workbook, reports, tmp_path):
    out = tmp_path / "eml"
    result = CliRunner().invoke(cli, ["mail", str(workbook), "--reports", str(reports),
                                      "--month", MONTH, "--dry-run", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Emily Carter <emily@example.com>: written {out / (MONTH + '_emily@example.com.eml')}"\
        " (3 PDFs)" in result.output
    assert len(list(out.glob("*.eml"))) == 5


# --- scope rules -----------------------------------------------------------------------------

def _accounts():
    return [AccountReport(cid, name, region, segment, tier)
            for cid, name, region, segment, tier in ACCOUNTS]


def _ids(scope_text):
    return {a.customer_id for a in parse_scope(scope_text, _accounts()).select(_accounts())}


@pytest.mark.parametrize(("text", "ids"), [
    ("region: North", {"C1", "C2"}),
    ("Region : north ", {"C1", "C2"}),  # case and spaces do not matter
    ("regions: North, East", {"C1", "C2", "C3", "C4"}),
    ("地区：华北、East", {"C3", "C4"}),  # full-width separators; 华北 names no account here
    ("segment: mid market", {"C4"}),  # spaces, hyphens and case folded
    ("account: c6", {"C6"}),
    ("region: South; account: C1", {"C5", "C1"}),  # a union, not an intersection
    ("region: West\nsegment: Enterprise", {"C6", "C1", "C3", "C5"}),
    ("North", {"C1", "C2"}),  # a bare value resolved among the accounts
    ("Enterprise, C6", {"C1", "C3", "C5", "C6"}),
    ("all", {f"C{i}" for i in range(1, 7)}),
    ("全部", {f"C{i}" for i in range(1, 7)}),
    ("", set()),  # blank: the summary only
    (None, set()),
    ("region: Nowhere", set()),  # a kind given: kept, matches nothing this month
])
def test_scope_rules(text, ids):
    assert _ids(text) == ids


@pytest.mark.parametrize(("text", "message"), [
    ("regoin: North", "'regoin' is not a kind of scope"),
    ("region:", "names no value"),
    ("Nroth", "'Nroth' is not the region, segment or id of any key account"),
])
def test_scope_mistakes_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_scope(text, _accounts())


def test_a_bare_value_naming_two_kinds_is_refused():
    accounts = _accounts() + [AccountReport("C7", "X", "Central", "North", "Key")]
    with pytest.raises(ValueError, match="'North' is a region or segment"):
        parse_scope("North", accounts)


def test_scope_mistakes_and_unrendered_languages_name_the_distribution_cell(tmp_path, reports):
    from addin.mail import recipients_from

    manifest = read_manifest(reports, MONTH)
    rows = [DISTRIBUTION[0], ["A", "a@example.com", "regoin: North", "en"],
            ["B", "b@example.com", "North", "zh"]]
    book = write_xlsx(tmp_path / "d.xlsx", {"Distribution": rows})
    manifest.languages = ["en"]
    with pytest.raises(InputError) as caught:
        recipients_from(read_sheet(book, "Distribution"), manifest)
    where = [(p.row, p.column) for p in caught.value.problems]
    assert where == [(2, "scope"), (3, "language")]
    assert "run crm-addin report --lang zh" in caught.value.problems[1].expected


_REGIONS = st.sampled_from(["North", "East", "South", "West", None])


@given(st.lists(st.tuples(_REGIONS, st.sampled_from(["Enterprise", "SMB"])), max_size=12),
       st.sampled_from(["North", "East", "South", "West"]), st.integers(0, 11))
def test_a_region_scope_with_one_account_never_leaks_another_region(accounts, region, extra):
    pool = [AccountReport(f"C{i}", f"N{i}", r, s, "Key") for i, (r, s) in enumerate(accounts)]
    scope = parse_scope(f"region: {region}; account: C{extra}", pool)
    chosen = {a.customer_id for a in scope.select(pool)}
    expected = {a.customer_id for a in pool if a.region == region}
    expected |= {f"C{extra}"} if extra < len(pool) else set()
    assert chosen == expected


def test_the_demo_workbooks_distribution_reads_as_four_regional_executives():
    from addin.demo import demo_workbook_path
    from addin.mail import read_sender, recipients_from
    from addin.workbook.reader import settings_dict

    book = demo_workbook_path()
    manifest = Manifest(MONTH, "N", "CNY", ["en", "zh"], accounts=[
        AccountReport(f"C{i}", f"N{i}", region, "SMB", "Key")
        for i, region in enumerate(["North", "East", "South", "West"])])
    people = recipients_from(read_sheet(book, "Distribution"), manifest)
    assert [(p.language, [a.customer_id for a in p.scope.select(manifest.accounts)])
            for p in people] == [("en", ["C0"]), ("zh", ["C1"]), ("zh", ["C2"]), ("en", ["C3"])]
    sender = read_sender(settings_dict(read_sheet(book, "Settings")))
    assert (sender.email, sender.name_zh) == ("crm-reports@example.com", "北风工业供应有限公司")


def test_survey_scores_in_the_email_carry_n_and_margin_or_say_too_few(workbook, reports,
                                                                      tmp_path):
    # the report step leaves a score None when it came from fewer than min_survey_answers
    # answers (addin.reports.month.too_few) and keeps its n; the body formats the rest with
    # the PDF's quantity kinds: NPS in points, CSAT in percent, one decimal each
    manifest = read_manifest(reports, MONTH)
    manifest.headline.update({"nps": None, "nps_n": 3, "nps_moe": None,
                              "csat": 67.54, "csat_n": 1032, "csat_moe": 2.86})
    c5 = next(a for a in manifest.accounts if a.customer_id == "C5")
    c5.headline.update({"nps": 19.417, "nps_n": 1030, "nps_moe": 4.71})
    c1 = next(a for a in manifest.accounts if a.customer_id == "C1")
    c1.headline.update({"nps": None, "nps_n": 1, "nps_moe": None})
    write_manifest(reports, manifest)
    out = tmp_path / "eml"
    send_monthly_mail(workbook, reports, MONTH, DryRunTransport(out))

    def body(address: str, kind: str) -> str:
        msg = email.message_from_bytes((out / f"{MONTH}_{address}.eml").read_bytes(),
                                       policy=policy.default)
        return msg.get_body((kind,)).get_content()

    text = body("sam@example.com", "plain")  # C5 and C1
    assert "NPS: too few answers (n = 3)" in text
    assert "CSAT: 67.5% ± 2.9% (n = 1,032)" in text
    assert "NPS 19.4 ± 4.7 (n = 1,030)" in text  # C5's line
    assert "NPS too few answers (n = 1)" in text  # C1's line: never "NPS 100"
    assert "nps_n" not in text and "NPS n" not in text  # companions are not columns
    html = body("sam@example.com", "html")
    assert "too few answers (n = 3)" in html and "67.5% ± 2.9% (n = 1,032)" in html
    zh = body("wang@example.com", "plain")
    assert "净推荐值：答卷过少（3份）" in zh
    assert "客户满意度：67.5% ± 2.9%（1,032份答卷）" in zh


def test_an_account_outside_the_key_tiers_is_not_mailed_as_a_key_account(workbook, reports,
                                                                         tmp_path):
    # crm-addin report --accounts named C1 although it is not a key account
    manifest = read_manifest(reports, MONTH)
    next(a for a in manifest.accounts if a.customer_id == "C1").key_account = False
    write_manifest(reports, manifest)
    out = tmp_path / "eml"
    send_monthly_mail(workbook, reports, MONTH, DryRunTransport(out))

    def message(address: str):
        return email.message_from_bytes((out / f"{MONTH}_{address}.eml").read_bytes(),
                                        policy=policy.default)

    sam = message("sam@example.com")  # C5 (a key account) and C1
    assert sam["Subject"] == "Account reviews for October 2026"
    text = sam.get_body(("plain",)).get_content()
    assert "Accounts reviewed in your scope" in text and "Key accounts in your scope" not in text
    assert "not every account reviewed is a key account" in text
    assert "review_C1_en.pdf: Account review" in text
    assert "review_C5_en.pdf: Key-account review" in text
    # a recipient whose accounts are all key accounts reads as before
    wang = message("wang@example.com")
    assert wang["Subject"] == "2026年10月重点客户评估报告"
    assert "您负责范围内的重点客户" in wang.get_body(("plain",)).get_content()
