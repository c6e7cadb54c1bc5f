"""Delivering messages: over SMTP with retries, or into ``.eml`` files for a dry run.

Both transports have ``deliver(data, sender, recipient, name)`` and ``close()``.
:class:`SMTPTransport` keeps one connection (STARTTLS and login when asked), reopened after any
failure. Failures are sorted by :func:`classify` after RFC 5321 section 4.2.1 (4yz transient,
5yz permanent): a temporary one (a 4xx reply, a dropped, refused or timed-out connection) is
retried with exponential backoff; a permanent reply to a message fails that message
(:class:`RecipientFailed`); a permanent failure to connect, start TLS or log in, or a server
that stays unreachable, means no message can go (:class:`ServerFailed`).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from addin.errors import InputError


class RecipientFailed(Exception):
    """This message cannot be delivered; the next recipient may still be."""


class ServerFailed(Exception):
    """The server cannot be used (unreachable, TLS or login refused): stop sending."""


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


class SMTPTransport:
    """Sends over one SMTP connection, reopened after any failure. ``sleep`` is injectable
    so tests do not wait; the backoff before attempt k+1 is ``backoff * 2**(k-1)`` seconds."""

    def __init__(self, host: str, port: int, *, starttls: bool = False,
                 user: str | None = None, password: str | None = None,
                 ssl_context: ssl.SSLContext | None = None, timeout: float = 60,
                 attempts: int = 4, backoff: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self.password = user, password
        self.ssl_context, self.timeout = ssl_context, timeout
        self.attempts, self.backoff, self.sleep = attempts, backoff, sleep
        self.waits: list[float] = []
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            conn.ehlo()
            if self.starttls:
                conn.starttls(context=self.ssl_context or ssl.create_default_context())
                conn.ehlo()
            if self.user is not None:
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

    def deliver(self, data: bytes, sender: str, recipient: str, name: str) -> str:
        """Send ``data`` from ``sender`` to ``recipient``; returns ``"sent"`` or raises
        :class:`RecipientFailed` / :class:`ServerFailed` with the reason."""
        for attempt in range(1, self.attempts + 1):
            connecting = self._conn is None
            try:
                if self._conn is None:
                    self._conn = self._connect()
                connecting = False
                self._conn.sendmail(sender, [recipient], data)
                return "sent"
            except Exception as exc:  # noqa: BLE001 - classified below, unknown ones re-raised
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                kind, reason = classify(exc, connecting)
                if kind == "server":
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


class DryRunTransport:
    """Writes each message as an ``.eml`` file into ``folder`` instead of sending it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)

    def deliver(self, data: bytes, sender: str, recipient: str, name: str) -> str:
        """Write ``data`` as ``folder/name.eml``; returns the path."""
        path = self.folder / f"{name}.eml"
        path.write_bytes(data)
        self.written.append(path)
        return str(path)

    def close(self) -> None:
        pass


__all__ = ["RecipientFailed", "ServerFailed", "classify", "SMTPTransport", "DryRunTransport"]


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


def transport_from_settings(settings, environ: Mapping[str, str] | None = None
                            ) -> SMTPTransport:
    """The SMTP server of the Settings sheet, for the ribbon's Email executives button:
    ``smtp_server`` (HOST:PORT, required), ``smtp_starttls`` (yes/no, default yes),
    ``smtp_user`` (optional) and ``smtp_password_env``, the environment variable holding the
    password (default ``CRM_SMTP_PASSWORD``; a password is never kept in the workbook).
    ``settings`` is what :func:`addin.contract.settings.read_settings` reads (the one Settings
    reader). InputError names the Settings key."""
    from addin.contract.settings import read_settings

    s = read_settings(settings)

    def bad(key: str, what: str, value: str | None = None) -> InputError:
        return InputError(f"{key}: {what}", sheet=s.sheet, row=s.row(key), column="value",
                          value=value, has_value=bool(value))

    address = s.text("smtp_server")
    if not address:
        raise InputError("a smtp_server setting: the SMTP server as HOST:PORT, such as "
                         "smtp.example.com:587", sheet=s.sheet, column="key")
    flag = s.text("smtp_starttls") or "yes"
    if flag.lower() not in _YES:
        raise bad("smtp_starttls", "expected yes or no", flag)
    user = s.text("smtp_user") or None
    password_env = s.text("smtp_password_env") or None
    try:
        return smtp_transport(address, starttls=_YES[flag.lower()], user=user,
                              password_env=password_env, environ=environ)
    except ValueError as exc:
        key = "smtp_server" if "HOST:PORT" in str(exc) else \
            "smtp_starttls" if "STARTTLS" in str(exc) else "smtp_password_env"
        raise bad(key, str(exc), s.text(key)) from exc
