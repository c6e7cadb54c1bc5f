"""Which transport sends the month: from the command line (``--transport``, ``--auth``,
``--smtp``...) over the Settings sheet, for the CLI and the ribbon alike.

Settings keys (a secret is never one of them: secrets come from environment variables named by
a setting, or from files):

==========================  =================================================================
``mail_transport``          ``smtp``, ``graph``, ``outlook`` or ``eml``; default ``smtp`` when
                            a server is named, else (ribbon) ``outlook`` on Windows, ``eml`` on
                            a Mac
``smtp_server``             HOST:PORT
``smtp_starttls``           yes/no (default yes)
``smtp_auth``               ``password`` or ``xoauth2`` (default ``password``)
``smtp_user``               the login (XOAUTH2: the mailbox; default ``sender_email``)
``smtp_password_env``       environment variable with the password (``CRM_SMTP_PASSWORD``)
``oauth_provider``          ``microsoft`` or ``google`` (default: ``google`` for Gmail's
                            servers, else ``microsoft``)
``ms_tenant_id``            Microsoft Entra tenant (directory) id
``ms_client_id``            the app registration's application (client) id
``ms_client_secret_env``    environment variable with the client secret
                            (``CRM_MS_CLIENT_SECRET``)
``ms_certificate_file``     PEM file with the app's private key and certificate (instead of a
                            secret); ``ms_certificate_password_env`` if the key is encrypted
``ms_authority``            sign-in host (default ``https://login.microsoftonline.com``)
``google_key_file``         service account key (JSON); default the environment variable
                            ``GOOGLE_APPLICATION_CREDENTIALS``
``graph_url``               Graph endpoint (default ``https://graph.microsoft.com/v1.0``)
``outlook_mode``            ``send`` (default) or ``display`` (open each message for review)
==========================  =================================================================
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from addin.contract.settings import SettingValues, read_settings
from addin.errors import InputError
from addin.mail.oauth import (
    GOOGLE_MAIL_SCOPE,
    MS_GRAPH_SCOPE,
    MS_SMTP_SCOPE,
    GoogleToken,
    MicrosoftToken,
)
from addin.mail.smtp import LOCAL_HOSTS, parse_smtp_address, smtp_transport
from addin.mail.transport import DryRunTransport, MailSetupError

TRANSPORTS = ("smtp", "graph", "outlook", "eml")
AUTHS = ("password", "xoauth2")


def current_platform() -> str:
    """``sys.platform`` (the seam the ribbon tests set to ``win32`` or ``darwin``)."""
    return sys.platform


def _bad(s: SettingValues, key: str, what: str) -> InputError:
    value = s.text(key) or None
    return InputError(f"{key}: {what}", sheet=s.sheet, row=s.row(key),
                      column="value" if value else "key", value=value, has_value=bool(value))


def _setting(s: SettingValues, key: str) -> str | None:
    return s.text(key) or None


def microsoft_token(s: SettingValues, user: str, scope: str, environ: Mapping[str, str],
                    permission: str) -> MicrosoftToken:
    """MSAL client credentials from the Settings ``ms_*`` keys (module docstring)."""
    secret_env = s.get("ms_client_secret_env")
    cert = _setting(s, "ms_certificate_file")
    password_env = _setting(s, "ms_certificate_password_env")
    return MicrosoftToken(
        tenant_id=s.text("ms_tenant_id"), client_id=s.text("ms_client_id"), user=user,
        scope=scope, secret=None if cert else environ.get(secret_env) or None,
        certificate=Path(cert) if cert else None,
        certificate_password=environ.get(password_env) if password_env else None,
        authority=s.get("ms_authority"), secret_env=secret_env, permission=permission)


def _oauth_source(s: SettingValues, host: str, user: str, environ: Mapping[str, str]):
    provider = s.get("oauth_provider") or (
        "google" if host.endswith(("gmail.com", "googlemail.com", "google.com")) else
        "microsoft")
    if provider == "google":
        key = _setting(s, "google_key_file") or environ.get("GOOGLE_APPLICATION_CREDENTIALS")
        return GoogleToken(key_file=Path(key) if key else None, user=user,
                           scope=GOOGLE_MAIL_SCOPE)
    return microsoft_token(s, user, MS_SMTP_SCOPE, environ, "SMTP.SendAsApp")


def choose_transport(settings, *, transport: str | None = None,
                     auth: str | None = None, smtp_address: str | None = None,
                     starttls: bool | None = None, user: str | None = None,
                     password_env: str | None = None, dry_run: Path | None = None,
                     eml_folder: Path | None = None, environ: Mapping[str, str] | None = None,
                     platform: str | None = None, ribbon: bool = False,
                     dispatch: Callable | None = None):
    """The transport the options (CLI) and the Settings sheet ask for, not yet connected.
    Options win over settings. ``settings`` is what the one Settings reader reads
    (:func:`addin.contract.settings.read_settings`). InputError names the Settings key and
    row, ValueError the option; MailSetupError says what an OAuth2 set-up lacks. Nothing is
    sent."""
    s = read_settings(settings)
    environ = os.environ if environ is None else environ
    platform = platform or current_platform()
    name = transport or ("eml" if dry_run is not None else None) or s.get("mail_transport")
    address = smtp_address or _setting(s, "smtp_server")
    if name is None:
        if address:
            name = "smtp"
        elif ribbon and platform == "win32":
            name = "outlook"
        elif ribbon and platform == "darwin":
            name = "eml"
        elif ribbon:
            raise InputError("a smtp_server setting: the SMTP server as HOST:PORT, such as "
                             "smtp.example.com:587 (or mail_transport = graph)",
                             sheet="Settings", column="key")
        else:
            raise ValueError("give --smtp HOST:PORT, --transport graph|outlook, or --dry-run "
                             "DIR to write .eml files")
    sender = s.text("sender_email")
    if name == "eml":
        folder = dry_run or eml_folder
        if folder is None:
            raise ValueError("--transport eml needs --dry-run DIR, the folder for the files")
        return DryRunTransport(folder)
    if name == "graph":
        from addin.mail.graph import GraphTransport

        token = microsoft_token(s, sender, MS_GRAPH_SCOPE, environ, "Mail.Send")
        return GraphTransport(s.get("graph_url"), token)
    if name == "outlook":
        from addin.mail.outlook import OutlookTransport

        return OutlookTransport(display=s.get("outlook_mode") == "display", dispatch=dispatch,
                                platform=platform)
    # SMTP
    if not address:
        raise InputError("a smtp_server setting: the SMTP server as HOST:PORT, such as "
                         "smtp.example.com:587", sheet="Settings", column="key")
    if starttls is None:
        starttls = s.get("smtp_starttls")
    auth = auth or s.get("smtp_auth")
    user = user or _setting(s, "smtp_user")
    if auth == "password":
        return smtp_transport(address, starttls=starttls, user=user,
                              password_env=password_env or s.get("smtp_password_env"),
                              environ=environ)
    host, port = parse_smtp_address(address)
    if not starttls and host not in LOCAL_HOSTS:
        raise ValueError("an OAuth2 token would be sent unencrypted: use STARTTLS")
    user = user or sender
    if not user:
        raise MailSetupError("XOAUTH2 needs the mailbox to send as: Settings smtp_user or "
                             "sender_email")
    source = _oauth_source(s, host, user, environ)
    transport_ = smtp_transport(address, starttls=starttls)
    transport_.user, transport_.oauth = user, source
    return transport_


def transport_from_settings(settings, environ: Mapping[str, str] | None = None, *,
                            platform: str | None = None, eml_folder: Path | None = None,
                            dispatch: Callable | None = None):
    """The ribbon's transport (Email executives): the Settings sheet only. With no server and
    no ``mail_transport``, the user's own Outlook on Windows and ``.eml`` files in
    ``eml_folder`` on a Mac. InputError names the Settings key and row."""
    try:
        return choose_transport(settings, environ=environ, platform=platform, ribbon=True,
                                eml_folder=eml_folder, dispatch=dispatch)
    except ValueError as exc:
        text = str(exc)
        key = "smtp_server" if "HOST:PORT" in text else \
            "smtp_starttls" if "STARTTLS" in text else "smtp_password_env"
        raise _bad(read_settings(settings), key, text) from exc
