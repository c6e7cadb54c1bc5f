"""`crm-addin monthly` on the demo workbook through every transport that can run here:
SMTP with a password, SMTP with XOAUTH2 (MSAL against the local identity stand-in), Microsoft
Graph (the local Graph stand-in) and `.eml` files. Every recipient gets the same attachments
whichever way the month goes, and a re-run sends nothing twice on any of them."""

from __future__ import annotations

import email
import shutil
from email import policy

import pytest
from click.testing import CliRunner
from graph_helpers import GraphCloud
from oauth_helpers import CLIENT_ID, CLIENT_SECRET, TENANT, OAuthInbox, https_cloud, oauth_smtp

from addin.cli import cli
from addin.demo import demo_tables
from addin.demo.xlsx import write_reproducible_xlsx

pytestmark = pytest.mark.slow
MONTH = "2026-10"  # the demo's as_of
SENDER = "crm-reports@example.com"  # the demo's sender_email
ENV = {"CRM_MS_CLIENT_SECRET": CLIENT_SECRET, "CRM_SMTP_PASSWORD": "pw-Kx81"}


def _demo(folder, cloud) -> str:
    """The demo workbook with VIP, the top 0.05 % of customers, the only key-account tier (so it
    renders in seconds) and the stand-ins' addresses in Settings."""
    tables = demo_tables()
    header, rows = tables["Settings"]
    rows = [[k, "VIP" if k == "key_account_tiers" else v] for k, v in rows
            if k != "pyramid_shares"]
    rows += [["pyramid_shares", "0.0005,0.0395,0.16,0.80"]]
    rows += [["ms_tenant_id", TENANT], ["ms_client_id", CLIENT_ID],
             ["ms_authority", cloud.base], ["graph_url", f"{cloud.base}/v1.0"]]
    tables["Settings"] = (header, rows)
    return str(write_reproducible_xlsx(tables, folder / "demo_crm.xlsx"))


def _attachments(data: bytes) -> tuple[str, dict[str, bytes]]:
    msg = email.message_from_bytes(data, policy=policy.default)
    return (msg["To"].addresses[0].addr_spec,
            {p.get_filename(): p.get_content() for p in msg.iter_attachments()})


def test_monthly_on_the_demo_through_every_transport_same_attachments_once(tmp_path,
                                                                          monkeypatch):
    graph = GraphCloud(SENDER)
    with https_cloud(graph, tmp_path, monkeypatch):
        book = _demo(tmp_path, graph)
        password_inbox, oauth_inbox = OAuthInbox(graph, SENDER), OAuthInbox(graph, SENDER)
        password_inbox.passwords["crm"] = ENV["CRM_SMTP_PASSWORD"]
        with oauth_smtp(password_inbox) as pw_port, oauth_smtp(oauth_inbox) as oauth_port:
            runs = {
                "graph": ["--transport", "graph"],
                "smtp+password": ["--smtp", f"127.0.0.1:{pw_port}", "--user", "crm",
                                  "--password-env", "CRM_SMTP_PASSWORD"],
                "smtp+xoauth2": ["--smtp", f"127.0.0.1:{oauth_port}", "--auth", "xoauth2"],
                "eml": ["--transport", "eml", "--dry-run", str(tmp_path / "eml")],
            }
            runner = CliRunner(env=ENV)
            first = tmp_path / "reports-graph"
            # monthly renders and sends through Graph; the other transports mail copies of
            # the same reports (monthly = report + this same mail step)
            result = runner.invoke(cli, ["monthly", book, "--month", MONTH, "--out",
                                         str(first), "--jobs", "1", *runs["graph"]])
            assert result.exit_code == 0, result.output
            outputs = {"graph": result.output}
            for name, args in runs.items():
                if name == "graph":
                    continue
                folder = tmp_path / f"reports-{name}"
                shutil.copytree(first, folder, ignore=shutil.ignore_patterns("mail_*"))
                result = runner.invoke(cli, ["mail", book, "--reports", str(folder),
                                             "--month", MONTH, *args])
                assert result.exit_code == 0, (name, result.output)
                outputs[name] = result.output
            # again, on every transport: nothing twice
            for name, args in runs.items():
                if name == "eml":
                    continue
                folder = tmp_path / f"reports-{name}"
                again = runner.invoke(cli, ["mail", book, "--reports", str(folder),
                                            "--month", MONTH, *args])
                assert again.exit_code == 0, (name, again.output)
                assert again.output.count("skipped, already sent") == 4, (name, again.output)

    received = {
        "graph": {m["to"][0]: m["attachments"] for m in graph.delivered},
        "smtp+password": dict(_attachments(d) for _, _, d in password_inbox.received),
        "smtp+xoauth2": dict(_attachments(d) for _, _, d in oauth_inbox.received),
        "eml": dict(_attachments(p.read_bytes()) for p in (tmp_path / "eml").glob("*.eml")),
    }
    executives = {"emily.carter@example.com", "wang.lihua@example.com",
                  "chen.zhiqiang@example.com", "robert.hughes@example.com"}
    for name, per_recipient in received.items():
        assert set(per_recipient) == executives, name
        assert per_recipient == received["graph"], name  # same names, same bytes
    assert len(graph.delivered) == len(password_inbox.received) == \
        len(oauth_inbox.received) == 4
    pdfs = [data for files in received["graph"].values() for data in files.values()]
    # one pack per executive (issue 14), the same bytes through every transport
    assert len(pdfs) == 4 and all(data.startswith(b"%PDF-") for data in pdfs)
    assert [name.endswith("CRM pack (Emily Carter).pdf")
            for name in received["graph"]["emily.carter@example.com"]] == [True]
    assert graph.problems == []
    everything = "\n".join(outputs.values())
    for secret in [CLIENT_SECRET, ENV["CRM_SMTP_PASSWORD"], *graph.issued]:
        assert secret not in everything
