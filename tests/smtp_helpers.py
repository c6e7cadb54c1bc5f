"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, with an :class:`Inbox` handler that
keeps what it accepts and can refuse, defer or drop on demand (the ``smtp_server`` fixture of
conftest serves one per test)."""

from __future__ import annotations

import contextlib
import email
import socket
from collections.abc import Iterator
from email import policy

from aiosmtpd.controller import Controller


class Inbox:
    """aiosmtpd handler that keeps what it accepts. ``reject[address]`` answers RCPT with a
    permanent error; ``defer[address] = n`` answers the first n DATA with 451; ``drop = n``
    closes the first n connections at MAIL FROM."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.reject: dict[str, str] = {}
        self.defer: dict[str, int] = {}
        self.drop = 0
        self.data_commands = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.drop > 0:
            self.drop -= 1
            server.transport.close()
            return "421 4.3.2 closing connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        to = envelope.rcpt_tos[0]
        if self.defer.get(to, 0) > 0:
            self.defer[to] -= 1
            return "451 4.3.0 Temporary local problem, try again"
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def messages(self, address: str) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(data, policy=policy.default)
                for _, to, data in self.received if to == [address]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(inbox: Inbox) -> Iterator[int]:
    """Serve ``inbox`` on a free port of 127.0.0.1; yields the port."""
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
