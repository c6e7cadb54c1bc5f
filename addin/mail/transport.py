"""The transport interface: how one composed message leaves this machine.

Every way of sending (SMTP with a password or XOAUTH2, Microsoft Graph, the user's own Outlook,
``.eml`` files for a dry run) is a class with::

    name: str        # "smtp", "graph", "outlook", "eml": shown in lines and logged
    logs: bool       # False for a dry run: nothing reaches anyone, the send log stays as it was
    where() -> str   # what to show before sending ("smtp.example.com:587", "Microsoft Graph")
    check() -> None  # set-up problems before anything is sent (token, ids, certificate)
    deliver(message, sender, recipient, name) -> str
    close() -> None

``deliver`` takes the composed :class:`email.message.EmailMessage` (each transport turns it into
what its protocol carries: MIME bytes, Graph JSON, an Outlook mail item) and answers with a
short description of what it did, or raises one of the three outcomes a sender must tell apart:

- :class:`RecipientFailed`: the server's answer proves this message was not accepted, and it
  will not be (a 5xx to it, a Graph 400); the next recipient may still go;
- :class:`ServerFailed`: nothing can go (unreachable, TLS or login refused, no consent); proves
  non-acceptance too;
- :class:`InDoubt`: the message may have been accepted (the connection dropped or timed out
  after the final dot, before the ``250``; a Graph ``send`` whose answer never came). It is
  never retried automatically: :mod:`addin.mail.monthly` lists it, and only
  ``--resend-in-doubt`` sends it again, with the same Message-ID.

Retries (each transport's own, with backoff) happen only on answers that prove the message was
not accepted: a 4xx reply, a failure before ``DATA``, a Graph 429/503.

The send log, the lock, scopes and size splitting sit above this interface
(:mod:`addin.mail.monthly`), so every transport gets them.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Protocol


class RecipientFailed(Exception):
    """This message cannot be delivered; the next recipient may still be."""


class ServerFailed(Exception):
    """The server cannot be used (unreachable, TLS or login refused): stop sending."""


class InDoubt(Exception):
    """The message may have been accepted: do not send it again without being told to."""


class MailSetupError(Exception):
    """A transport cannot start (missing ids, unreadable certificate, consent not granted):
    one line naming the fix, raised before anything is sent."""


class Transport(Protocol):
    name: str
    logs: bool

    def where(self) -> str: ...

    def check(self) -> None: ...

    def deliver(self, message: EmailMessage, sender: str, recipient: str, name: str) -> str: ...

    def close(self) -> None: ...


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes over SMTP or into an ``.eml`` file (CRLF line ends)."""
    return message.as_bytes(policy=SMTP)


class DryRunTransport:
    """Writes each message as an ``.eml`` file into ``folder`` instead of sending it."""

    name = "eml"
    logs = False

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)

    def where(self) -> str:
        return f".eml files in {self.folder}"

    def check(self) -> None:
        pass

    def deliver(self, message: EmailMessage, sender: str, recipient: str, name: str) -> str:
        """Write the message as ``folder/name.eml``; returns the path."""
        path = self.folder / f"{name}.eml"
        path.write_bytes(message_bytes(message))
        self.written.append(path)
        return str(path)

    def close(self) -> None:
        pass


__all__ = ["RecipientFailed", "ServerFailed", "InDoubt", "MailSetupError", "Transport",
           "DryRunTransport", "message_bytes"]
