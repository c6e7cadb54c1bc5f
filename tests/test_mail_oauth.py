"""SMTP with OAuth2 (XOAUTH2): MSAL (client secret, certificate) and google-auth (service
account with domain-wide delegation) talking to a local HTTPS stand-in of the providers' token
endpoints, and aiosmtpd checking the SASL string (oauth_helpers). Clear one-line failures, and
no secret in any output."""

from __future__ import annotations

import base64
import json

import pytest
from click.testing import CliRunner
from conftest import write_xlsx
from oauth_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    GOOGLE_SA,
    TENANT,
    Cloud,
    OAuthInbox,
    app_certificate,
    google_key_file,
    https_cloud,
    oauth_smtp,
)
from test_mail import DISTRIBUTION, MONTH, SETTINGS, rendered, reports

from addin.cli import cli
from addin.mail import LOG_NAME
from addin.mail.smtp import xoauth2_string

__all__ = ["rendered", "reports"]
SENDER = "crm-reports@example.com"  # SETTINGS' sender_email: the mailbox the app acts for


@pytest.fixture
def cloud(tmp_path, monkeypatch):
    with https_cloud(Cloud(), tmp_path, monkeypatch) as served:
        yield served


@pytest.fixture
def server(cloud):
    inbox = OAuthInbox(cloud, SENDER)
    with oauth_smtp(inbox) as port:
        yield inbox, port


def _book(tmp_path, cloud, **extra) -> str:
    settings = SETTINGS + [["ms_tenant_id", TENANT], ["ms_client_id", CLIENT_ID],
                           ["ms_authority", cloud.base]]
    settings += [[k, v] for k, v in extra.items()]
    settings = [row for row in settings if row[1] is not None]
    return str(write_xlsx(tmp_path / "crm.xlsx", {"Distribution": DISTRIBUTION,
                                                  "Settings": settings}))


def _mail(book, reports, port, *extra, env=None):
    args = ["mail", book, "--reports", str(reports), "--month", MONTH,
            "--smtp", f"127.0.0.1:{port}", *extra]
    env = {"CRM_MS_CLIENT_SECRET": CLIENT_SECRET} if env is None else env
    return CliRunner(env=env).invoke(cli, args)


def test_the_sasl_string_is_the_documented_one():
    # Google's "XOAUTH2 mechanism" page: base64("user=" + user + "^Aauth=Bearer " + token +
    # "^A^A"), its example user someuser@example.com and token ya29.vF9dft4qmTc2Nvb3RlckBhdHRh
    assert base64.b64encode(xoauth2_string(
        "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg").encode()) == (
        b"dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNr"
        b"QmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==")


def test_microsoft_client_secret_sends_everyone_with_one_cached_token(tmp_path, reports,
                                                                      cloud, server):
    inbox, port = server
    result = _mail(_book(tmp_path, cloud), reports, port, "--auth", "xoauth2")
    assert result.exit_code == 0, result.output
    assert result.output.count(": sent (1 message") == 5
    assert len(inbox.received) == 5
    # one token for the run (fetched before sending, cached by MSAL for the login)
    assert [r["form"]["scope"] for r in cloud.token_requests] == [
        "https://outlook.office365.com/.default"]
    assert [ok for _, _, ok in inbox.logins] == [True]
    assert inbox.logins[0][0] == SENDER and cloud.problems == []


def test_a_refused_token_is_refreshed_once_then_the_login_succeeds(tmp_path, reports, cloud,
                                                                   server):
    inbox, port = server
    book = _book(tmp_path, cloud)
    # the first token gets revoked by the time the SMTP login happens (535 after 334)
    original = cloud._issue

    def issue_and_revoke(prefix):
        answer = original(prefix)
        if len(cloud.issued) == 1:
            inbox.revoked.add(answer["access_token"])
        return answer

    cloud._issue = issue_and_revoke
    result = _mail(book, reports, port, "--auth", "xoauth2")
    assert result.exit_code == 0, result.output
    assert [ok for _, _, ok in inbox.logins] == [False, True]
    assert len(cloud.token_requests) == 2 and len(inbox.received) == 5
    # a token refused twice stops the run with one line per recipient, nothing sent
    (reports / LOG_NAME).unlink()
    inbox.received.clear()
    inbox.revoked.update(f"ms-token-{n}" for n in range(1, 10))
    result = _mail(book, reports, port, "--auth", "xoauth2")
    assert result.exit_code == 3
    assert "the server refused the OAuth2 token of crm-reports@example.com (535" in \
        result.output
    assert inbox.received == []


def test_microsoft_certificate_credential_signs_a_client_assertion(tmp_path, reports, cloud,
                                                                   server):
    inbox, port = server
    pem, key = app_certificate(tmp_path)
    cloud.app_key = key
    result = _mail(_book(tmp_path, cloud, ms_certificate_file=str(pem)), reports, port,
                   "--auth", "xoauth2", env={})
    assert result.exit_code == 0, result.output
    (request,) = cloud.token_requests
    assert "client_assertion" in request["form"] and "client_secret" not in request["form"]
    assert cloud.problems == [] and len(inbox.received) == 5


def test_google_service_account_with_domain_wide_delegation(tmp_path, reports, cloud):
    key_file, key = google_key_file(tmp_path, f"{cloud.base}/google/token")
    cloud.google_key = key
    inbox = OAuthInbox(cloud, SENDER)
    with oauth_smtp(inbox) as port:
        book = _book(tmp_path, cloud, oauth_provider="google", google_key_file=str(key_file))
        result = _mail(book, reports, port, "--auth", "xoauth2", env={})
    assert result.exit_code == 0, result.output
    (request,) = cloud.token_requests
    claims = request["claims"]
    assert (claims["iss"], claims["sub"], claims["scope"]) == (GOOGLE_SA, SENDER,
                                                               "https://mail.google.com/")
    assert inbox.logins[0][1] == "google-token-1" and len(inbox.received) == 5


@pytest.mark.parametrize(("answer", "settings", "expected"), [
    ((400, {"error": "invalid_grant", "error_description":
            "AADSTS65001: The user or administrator has not consented to use the application "
            "with ID 'aaaaaaaa'. Send an interactive authorization request."}), {},
     "an administrator has not granted consent: in the Microsoft Entra admin center, App "
     "registrations > the app > API permissions, add SMTP.SendAsApp (Application) and press "
     "Grant admin consent (AADSTS65001: The user or administrator has not consented"),
    ((401, {"error": "invalid_client", "error_description":
            "AADSTS7000222: The provided client secret keys for app 'aaaaaaaa' are expired. "
            "Visit the Azure portal to create new keys for your app."}), {},
     "the client secret has expired: create a new one under Certificates & secrets and put it "
     "in the environment variable CRM_MS_CLIENT_SECRET"),
    (None, {"ms_client_id": None, "ms_tenant_id": None},
     "OAuth2 for Microsoft 365 needs the Settings ms_tenant_id and ms_client_id"),
    (None, {"ms_certificate_file": "/no/such/app.pem"},
     "cannot read the certificate file /no/such/app.pem (Settings ms_certificate_file): "
     "No such file or directory"),
])
def test_setup_failures_are_one_line_naming_the_fix_before_anything_is_sent(
        tmp_path, reports, cloud, server, answer, settings, expected):
    inbox, port = server
    if answer:
        cloud.answer_next.append(answer)
    book = _book(tmp_path, cloud)
    if settings:
        rows = SETTINGS + [[k, v] for k, v in {"ms_tenant_id": TENANT, "ms_client_id": CLIENT_ID,
                                               "ms_authority": cloud.base, **settings}.items()
                           if v is not None]
        book = str(write_xlsx(tmp_path / "crm2.xlsx", {"Distribution": DISTRIBUTION,
                                                       "Settings": rows}))
    result = _mail(book, reports, port, "--auth", "xoauth2")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert expected in lines[0]
    assert inbox.received == [] and not (reports / LOG_NAME).exists()


def test_basic_auth_refused_says_how_to_switch(tmp_path, reports, cloud, server):
    inbox, port = server  # answers a password login with 550 5.7.30
    result = _mail(_book(tmp_path, cloud), reports, port, "--user", "crm",
                   "--password-env", "CRM_SMTP_PASSWORD", env={"CRM_SMTP_PASSWORD": "pw"})
    assert result.exit_code == 3
    first = result.output.splitlines()[0]
    assert ("the server refuses password logins (550 5.7.30 Basic authentication is not "
            "supported for Client Submission): switch to OAuth2 with --auth xoauth2") in first
    assert "--transport graph (Settings mail_transport = graph)" in first
    assert inbox.received == []


def test_no_secret_or_token_in_any_output(tmp_path, reports, cloud, server, caplog):
    inbox, port = server
    book = _book(tmp_path, cloud)
    outputs = [_mail(book, reports, port, "--auth", "xoauth2").output]
    inbox.revoked.update(f"ms-token-{n}" for n in range(1, 10))  # failures print too
    (reports / LOG_NAME).unlink()
    outputs.append(_mail(book, reports, port, "--auth", "xoauth2").output)
    cloud.answer_next.append((401, {"error": "invalid_client", "error_description":
                                    "AADSTS7000215: Invalid client secret provided."}))
    outputs.append(_mail(book, reports, port, "--auth", "xoauth2").output)
    written = [p.read_text(errors="replace") for p in reports.rglob("*")
               if p.is_file() and p.suffix != ".pdf"]
    everything = "\n".join(outputs + written + [caplog.text])
    assert "Invalid client secret" in everything  # the failures did print
    assert cloud.issued
    for secret in [CLIENT_SECRET, *cloud.issued]:
        assert secret not in everything
        assert base64.b64encode(secret.encode()).decode()[:16] not in everything
    log = [json.loads(line) for line in (reports / LOG_NAME).read_text().splitlines()]
    assert {e["transport"] for e in log} == {"smtp"}
