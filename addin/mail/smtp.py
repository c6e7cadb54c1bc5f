"""Delivering messages over SMTP, with retries, a password or an OAuth2 token (XOAUTH2).

:class:`SMTPTransport` keeps one connection (STARTTLS and login when asked), reopened after any
failure. Failures are sorted by :func:`classify` after RFC 5321 section 4.2.1 (4yz transient,
5yz permanent): a temporary one (a 4xx reply, a dropped, refused or timed-out connection before
the final dot) is retried with exponential backoff; a permanent reply to a message fails that
message (:class:`RecipientFailed`); a permanent failure to connect, start TLS or log in, or a
server that stays unreachable, means no message can go (:class:`ServerFailed`).

**Exactly once**: the message is sent as MAIL, RCPT, DATA by hand so the transport knows when
the final dot has gone out. A connection that drops, or a ``250`` that does not come within
the timeout, after that dot is :class:`InDoubt`: the server may have stored the message
(RFC 5321 section 4.1.1.4 makes the ``250`` the only proof either way), so it is not retried.

**XOAUTH2**: the SASL string ``user={user}^Aauth=Bearer {token}^A^A`` (base64) of Google's
"OAuth 2.0 Mechanism" and Microsoft's "Authenticate an IMAP, POP or SMTP connection using
OAuth" pages, sent as ``AUTH XOAUTH2 <initial response>``. On a ``334`` error challenge the
client answers an empty line, the server then says ``535``; the token is then refreshed once
and the login tried again (an expired or revoked token), and a second refusal stops the run.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage

from addin.mail.transport import (
    DryRunTransport,
    InDoubt,
    MailSetupError,
    RecipientFailed,
    ServerFailed,
    message_bytes,
)

# Exchange Online's and Google's answers when a mailbox may not log in with a password.
BASIC_AUTH_REFUSED = ("5.7.30", "5.7.139", "5.7.9")


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{exc.smtp_code} {' '.join(text.split())}"


def classify(exc: BaseException, connecting: bool) -> tuple[str, str]:
    """``(kind, reason)`` for an SMTP failure: kind is ``temporary`` (retry), ``recipient``
    (5xx to this message: give up on it) or ``server`` (give up on the server). RFC 5321
    section 4.2.1: 4yz replies are transient, 5yz permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        exc = smtplib.SMTPResponseException(code, text)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "temporary", f"connection closed ({exc})"
    if isinstance(exc, smtplib.SMTPResponseException):
        if 400 <= exc.smtp_code < 500:
            return "temporary", _reply(exc)
        kind = "server" if connecting or isinstance(exc, smtplib.SMTPAuthenticationError) \
            else "recipient"
        return kind, _reply(exc)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "server", f"the server does not support it: {exc}"
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return "server", f"TLS failed: {exc}"
    if isinstance(exc, smtplib.SMTPException):
        return ("server" if connecting else "recipient"), str(exc)
    if isinstance(exc, OSError):  # refused, reset, timed out, unreachable
        return "temporary", f"{type(exc).__name__}: {exc}"
    raise exc


def basic_auth_refused(reason: str) -> str:
    """The one line for a server that no longer takes passwords (Exchange Online's
    ``550 5.7.30``, Google's ``534 5.7.9``): what it said and how to switch."""
    return (f"the server refuses password logins ({reason}): switch to OAuth2 with "
            "--auth xoauth2 (Settings smtp_auth = xoauth2 with ms_tenant_id, ms_client_id and "
            "ms_client_secret_env or ms_certificate_file; or google_key_file) or to "
            "--transport graph (Settings mail_transport = graph)")


def xoauth2_string(user: str, token: str) -> str:
    """The XOAUTH2 initial client response before base64 (Google, Microsoft: see module)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


_CRLF = b"\r\n"


def _dot_stuffed(data: bytes) -> bytes:
    """``data`` as it goes after ``DATA``: CRLF line ends, leading dots doubled, the final
    ``CRLF.CRLF`` (RFC 5321 section 4.5.2), as smtplib's own ``data`` does."""
    data = smtplib._fix_eols(data) if isinstance(data, str) else data  # noqa: SLF001
    stuffed = smtplib._quote_periods(data)  # noqa: SLF001
    if not stuffed.endswith(_CRLF):
        stuffed += _CRLF
    return stuffed + b"." + _CRLF


class SMTPTransport:
    """Sends over one SMTP connection, reopened after any failure. ``sleep`` is injectable
    so tests do not wait; the backoff before attempt k+1 is ``backoff * 2**(k-1)`` seconds.
    ``oauth`` (an :mod:`addin.mail.oauth` token source) logs in with XOAUTH2 as ``user``
    instead of a password."""

    name = "smtp"
    logs = True

    def __init__(self, host: str, port: int, *, starttls: bool = False,
                 user: str | None = None, password: str | None = None,
                 oauth=None, ssl_context: ssl.SSLContext | None = None, timeout: float = 60,
                 attempts: int = 4, backoff: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self.password, self.oauth = user, password, oauth
        self.ssl_context, self.timeout = ssl_context, timeout
        self.attempts, self.backoff, self.sleep = attempts, backoff, sleep
        self.waits: list[float] = []
        self._conn: smtplib.SMTP | None = None

    def where(self) -> str:
        auth = " (OAuth2)" if self.oauth is not None else ""
        return f"{self.host}:{self.port}{auth}"

    def check(self) -> None:
        """A token now, so missing consent or a bad secret stops before anything is sent."""
        if self.oauth is not None:
            self.oauth.token()

    def _login_xoauth2(self, conn: smtplib.SMTP) -> None:
        def attempt(token: str) -> None:
            sasl = xoauth2_string(self.user or "", token)
            # smtplib calls this with no challenge first, then with each 334 challenge: the
            # answer to an XOAUTH2 error challenge is an empty line (the server then says 535).
            conn.auth("XOAUTH2", lambda challenge=None: sasl if challenge is None else "",
                      initial_response_ok=True)

        try:
            attempt(self.oauth.token())
        except smtplib.SMTPAuthenticationError:
            attempt(self.oauth.token(refresh=True))  # once: an expired or revoked token

    def _connect(self) -> smtplib.SMTP:
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            conn.ehlo()
            if self.starttls:
                conn.starttls(context=self.ssl_context or ssl.create_default_context())
                conn.ehlo()
            if self.oauth is not None:
                self._login_xoauth2(conn)
            elif self.user is not None:
                conn.login(self.user, self.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None

    def _send(self, conn: smtplib.SMTP, sender: str, recipient: str, data: bytes,
              phase: list[str]) -> None:
        """MAIL, RCPT, DATA; ``phase[0]`` becomes ``"after-dot"`` once the whole message and
        its final dot are handed to the connection."""
        code, text = conn.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, text, sender)
        code, text = conn.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})
        conn.putcmd("data")
        code, text = conn.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, text)
        conn.send(_dot_stuffed(data))
        phase[0] = "after-dot"
        code, text = conn.getreply()
        if code != 250:
            raise smtplib.SMTPDataError(code, text)

    def deliver(self, message: EmailMessage, sender: str, recipient: str, name: str) -> str:
        """Send ``message`` from ``sender`` to ``recipient``; returns ``"sent"`` or raises
        :class:`RecipientFailed` / :class:`ServerFailed` / :class:`InDoubt` with the reason."""
        data = message_bytes(message)
        for attempt in range(1, self.attempts + 1):
            connecting = self._conn is None
            phase = ["before-dot"]
            try:
                if self._conn is None:
                    self._conn = self._connect()
                connecting = False
                self._send(self._conn, sender, recipient, data, phase)
                return "sent"
            except MailSetupError as exc:  # no token: nothing was sent
                raise ServerFailed(str(exc)) from exc
            except Exception as exc:  # noqa: BLE001 - classified below, unknown ones re-raised
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                if phase[0] == "after-dot" and not isinstance(
                        exc, smtplib.SMTPResponseException):
                    # The dot went out and no reply came: the server may have the message.
                    raise InDoubt(f"no answer after the message was sent ({exc})") from exc
                kind, reason = classify(exc, connecting)
                if self.oauth is None and self.user is not None and \
                        any(code in reason for code in BASIC_AUTH_REFUSED):
                    raise ServerFailed(basic_auth_refused(reason)) from exc
                if kind == "server":
                    if self.oauth is not None and isinstance(exc,
                                                             smtplib.SMTPAuthenticationError):
                        reason = (f"the server refused the OAuth2 token of {self.user} "
                                  f"({reason}): check that the app may send as this mailbox")
                    raise ServerFailed(reason) from exc
                if kind == "recipient":
                    raise RecipientFailed(reason) from exc
                if attempt == self.attempts:
                    failure = ServerFailed if connecting else RecipientFailed
                    raise failure(f"{reason} (still failing after {attempt} attempts)") from exc
                wait = self.backoff * 2 ** (attempt - 1)
                self.waits.append(wait)
                self.sleep(wait)
        raise AssertionError("unreachable")


__all__ = ["RecipientFailed", "ServerFailed", "InDoubt", "classify", "SMTPTransport",
           "DryRunTransport", "basic_auth_refused", "xoauth2_string"]


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
PASSWORD_ENV = "CRM_SMTP_PASSWORD"  # the Settings smtp_password_env default
_YES = {"yes": True, "y": True, "true": True, "1": True, "on": True, "是": True,
        "no": False, "n": False, "false": False, "0": False, "off": False, "否": False}


def parse_smtp_address(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:25`` for IPv6) as ``(host, port)``; ValueError otherwise."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r}: expected HOST:PORT, for example smtp.example.com:587")
    return host, int(port)


def smtp_transport(address: str, *, starttls: bool = False, user: str | None = None,
                   password_env: str | None = None,
                   environ: Mapping[str, str] | None = None) -> SMTPTransport:
    """An (unconnected) :class:`SMTPTransport` to ``address`` (HOST:PORT). With ``user``, the
    password is read from the environment variable ``password_env`` (never from a file or the
    workbook), and it may only travel unencrypted to this machine. ValueError says what is
    wrong; the callers add whose option or setting it was."""
    host, port = parse_smtp_address(address)
    password = None
    if user is not None:
        environ = os.environ if environ is None else environ
        password_env = password_env or PASSWORD_ENV
        password = environ.get(password_env)
        if password is None:
            raise ValueError(f"the environment variable {password_env} is not set")
        if not starttls and host not in LOCAL_HOSTS:
            raise ValueError("the password would be sent unencrypted: use STARTTLS")
    return SMTPTransport(host, port, starttls=starttls, user=user, password=password)
