"""Microsoft Graph sendMail against a local HTTPS stand-in (graph_helpers) with MSAL and requests
in front of it: small messages in one request, a 15 MB pack by upload session in chunks,
throttling, an expired token, dropped connections, and the same send log as SMTP."""

from __future__ import annotations

import email
import json
import math
from email import policy

import pytest
from click.testing import CliRunner
from conftest import write_xlsx
from graph_helpers import GraphCloud
from oauth_helpers import CLIENT_ID, CLIENT_SECRET, TENANT, https_cloud
from test_mail import DISTRIBUTION, EXPECTED, MONTH, SETTINGS, rendered, reports

from addin.cli import cli
from addin.mail import LOG_NAME, choose_transport, send_monthly_mail
from addin.mail.graph import CHUNK
from addin.workbook import read_sheet
from addin.workbook.reader import settings_dict

__all__ = ["rendered", "reports"]
SENDER = "crm-reports@example.com"
ENV = {"CRM_MS_CLIENT_SECRET": CLIENT_SECRET}


@pytest.fixture
def graph(tmp_path, monkeypatch):
    with https_cloud(GraphCloud(SENDER), tmp_path, monkeypatch) as served:
        yield served


@pytest.fixture
def book(tmp_path, graph):
    settings = SETTINGS + [["mail_transport", "graph"], ["ms_tenant_id", TENANT],
                           ["ms_client_id", CLIENT_ID], ["ms_authority", graph.base],
                           ["graph_url", f"{graph.base}/v1.0"]]
    return write_xlsx(tmp_path / "crm.xlsx", {"Distribution": DISTRIBUTION,
                                              "Settings": settings})


def _transport(book, waits):
    transport = choose_transport(settings_dict(read_sheet(book, "Settings")), environ=ENV)
    transport.sleep = waits.append
    return transport


def _received(graph, address):
    return [m for m in graph.delivered if m["to"] == [address]]


def test_graph_sends_each_executive_their_scope_and_nothing_twice(book, reports, graph):
    result = CliRunner(env=ENV).invoke(cli, ["mail", str(book), "--reports", str(reports),
                                             "--month", MONTH])
    assert result.exit_code == 0, result.output
    assert result.output.count(": sent (1 message") == 5
    assert graph.problems == []
    assert [kind for kind, _ in graph.calls] == ["sendMail"] * 5
    for address, ids in EXPECTED.items():
        (msg,) = _received(graph, address)
        assert sorted(msg["attachments"]) == sorted(
            [f"summary_{'zh' if address == 'wang@example.com' else 'en'}.pdf"]
            + [f"review_{c}_{'zh' if address == 'wang@example.com' else 'en'}.pdf"
               for c in ids])
        for name, data in msg["attachments"].items():
            assert data == (reports / name).read_bytes()
    log = [json.loads(line) for line in (reports / LOG_NAME).read_text().splitlines()]
    assert [e["state"] for e in log] == ["sending", "sent"] * 5
    assert {e["transport"] for e in log} == {"graph"}
    assert sorted(e["message_id"] for e in log[1::2]) == sorted(
        m["internetMessageId"] for m in graph.delivered)
    again = CliRunner(env=ENV).invoke(cli, ["mail", str(book), "--reports", str(reports),
                                            "--month", MONTH, "--transport", "graph"])
    assert again.exit_code == 0 and again.output.count("skipped, already sent") == 5
    assert len(graph.delivered) == 5


def test_a_15_mb_pack_goes_by_upload_session_in_chunks_honouring_429(book, reports, graph):
    big = reports / "review_C3_zh.pdf"  # only Wang (East, zh) gets it
    pdf = big.read_bytes()
    big.write_bytes(pdf + b"%" + b"x" * (15_000_000 - len(pdf)) + b"\n")
    size = big.stat().st_size
    chunks = math.ceil(size / CHUNK)  # 15,000,002 bytes in 3,276,800-byte chunks: 5
    assert chunks == 5
    # a 429 at the third chunk, an expired token at the draft, a dropped connection at the
    # fourth chunk, a 503 for one small sendMail
    graph.inject = {"put": ["", "", "429", "", "drop"], "draft": ["401"], "sendMail": ["503"]}
    waits: list[float] = []
    outcomes = send_monthly_mail(book, reports, MONTH, _transport(book, waits),
                                 max_bytes=25_000_000)
    assert [o.status for o in outcomes] == ["sent"] * 5, [o.line() for o in outcomes]
    assert graph.problems == []
    (wang,) = _received(graph, "wang@example.com")
    assert wang["attachments"]["review_C3_zh.pdf"] == big.read_bytes()
    assert sorted(wang["attachments"]) == ["review_C3_zh.pdf", "review_C4_zh.pdf",
                                           "summary_zh.pdf"]
    ranges = [r for kind, r in graph.calls if kind == "put"]
    # five chunks, the third sent twice (429), the fourth twice (dropped)
    expected = [f"bytes {s}-{min(s + CHUNK, size) - 1}/{size}" for s in range(0, size, CHUNK)]
    assert ranges == expected[:3] + expected[2:4] + expected[3:]
    assert [kind for kind, _ in graph.calls if kind not in ("put", "sendMail")] == [
        "draft", "draft", "attach", "session", "attach", "send"]
    # Retry-After: 1 of the 503 (Emily) and of the 429 (third chunk), then the first backoff
    # step (2 s) after the dropped fourth chunk
    assert waits == [1.0, 1.0, 2.0]
    assert len(graph.issued) == 2  # the expired token replaced once
    assert len(graph.delivered) == 5 and not graph.drafts


def test_no_answer_to_send_is_in_doubt_and_not_retried(book, reports, graph):
    graph.inject = {"sendMail": ["", "drop"]}  # Wang's request reaches Graph, no answer
    waits: list[float] = []
    outcomes = send_monthly_mail(book, reports, MONTH, _transport(book, waits))
    assert [o.status for o in outcomes] == ["sent", "in doubt", "sent", "sent", "sent"]
    assert waits == [] and len(graph.delivered) == 4
    again = send_monthly_mail(book, reports, MONTH, _transport(book, waits))
    assert [o.status for o in again] == ["skipped", "in doubt", "skipped", "skipped", "skipped"]
    told = send_monthly_mail(book, reports, MONTH, _transport(book, waits),
                             resend_in_doubt=True)
    assert [o.status for o in told][1] == "sent"
    log = [json.loads(line) for line in (reports / LOG_NAME).read_text().splitlines()]
    wang = [e for e in log if e["recipient"] == "wang@example.com"]
    assert [e["state"] for e in wang] == ["sending", "in-doubt", "sending", "sent"]
    assert len({e["message_id"] for e in wang}) == 1
    assert _received(graph, "wang@example.com")[0]["internetMessageId"] == wang[0]["message_id"]


def test_a_sender_mailbox_that_does_not_exist_stops_in_one_line(tmp_path, reports, graph):
    settings = [r if r[0] != "sender_email" else ["sender_email", "nobody@example.com"]
                for r in SETTINGS]
    settings += [["mail_transport", "graph"], ["ms_tenant_id", TENANT],
                 ["ms_client_id", CLIENT_ID], ["ms_authority", graph.base],
                 ["graph_url", f"{graph.base}/v1.0"]]
    book = write_xlsx(tmp_path / "other.xlsx", {"Distribution": DISTRIBUTION,
                                                "Settings": settings})
    result = CliRunner(env=ENV).invoke(cli, ["mail", str(book), "--reports", str(reports),
                                             "--month", MONTH])
    assert result.exit_code == 3
    first = result.output.splitlines()[0]
    assert first.endswith("failed: the sender mailbox nobody@example.com does not exist in "
                          "the tenant (404 ErrorInvalidUser: The requested user "
                          "'nobody@example.com' is invalid.): check Settings sender_email")
    assert result.output.count("not sent, the server failed") == 4
    assert graph.delivered == []
    everything = result.output + (reports / LOG_NAME).read_text()
    assert CLIENT_SECRET not in everything
    assert not any(token in everything for token in graph.issued)


def test_eml_and_graph_carry_the_same_attachments(book, reports, graph, tmp_path):
    eml = tmp_path / "eml"
    dry = CliRunner(env=ENV).invoke(cli, ["mail", str(book), "--reports", str(reports),
                                          "--month", MONTH, "--transport", "eml",
                                          "--dry-run", str(eml)])
    assert dry.exit_code == 0, dry.output
    assert not (reports / LOG_NAME).exists()  # a dry run is not a send
    written = {}
    for path in eml.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        written[msg["To"].addresses[0].addr_spec] = (
            msg["Message-ID"], {p.get_filename(): p.get_content() for p in msg.iter_attachments()})
    sent = CliRunner(env=ENV).invoke(cli, ["mail", str(book), "--reports", str(reports),
                                           "--month", MONTH])
    assert sent.exit_code == 0, sent.output
    assert {m["to"][0]: m["attachments"] for m in graph.delivered} == {
        to: files for to, (_, files) in written.items()}
    assert len(written) == 5
