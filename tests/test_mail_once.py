"""Exactly once, or told (issue 13, rows 1-3 and 11): two runs at once, a lost ``250`` after the
final dot, a ``kill -9`` between the server's ``250`` and the send log, and a header that cannot
be folded. A real SMTP server (aiosmtpd on 127.0.0.1) and the real CLI in child processes."""

from __future__ import annotations

import asyncio
import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
from email import policy

import pytest
from conftest import write_xlsx
from smtp_helpers import Inbox, running_server
from test_mail import DISTRIBUTION, MONTH, SETTINGS, _transport, rendered, reports, workbook

from addin.mail import LOG_NAME, SendBusy, month_lock, plan, send_monthly_mail

__all__ = ["rendered", "reports", "workbook"]  # fixtures used here


class Unlucky(Inbox):
    """An Inbox that, for the addresses in ``lose``, stores the message and then loses the
    answer: ``"drop"`` closes the connection instead of the ``250``, ``"late"`` answers after
    ``late_by`` seconds (past the client's timeout). ``kill[address] = pid`` kill -9s that
    process after storing its message, before answering. ``gate`` holds the first DATA until
    it is set (bounded by 20 s)."""

    def __init__(self) -> None:
        super().__init__()
        self.lose: dict[str, str] = {}
        self.late_by = 2.0
        self.kill: dict[str, int] = {}
        self.kill_at_mail: dict[int, int] = {}  # n -> pid: kill it at the nth MAIL FROM
        self.mails = 0
        self.gate: threading.Event | None = None
        self.waiting = threading.Event()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails += 1
        if self.mails in self.kill_at_mail:  # killed before its message went anywhere
            os.kill(self.kill_at_mail.pop(self.mails), signal.SIGKILL)
            await asyncio.sleep(0.5)
        return await super().handle_MAIL(server, session, envelope, address, mail_options)

    async def handle_DATA(self, server, session, envelope):
        if self.gate is not None and not self.waiting.is_set():
            self.waiting.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 20)
        to = envelope.rcpt_tos[0]
        how = self.lose.pop(to, None)
        if how is None and to not in self.kill:
            return await super().handle_DATA(server, session, envelope)
        self.data_commands += 1
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if to in self.kill:
            os.kill(self.kill.pop(to), signal.SIGKILL)
            await asyncio.sleep(0.5)
            return "250 Message accepted for delivery"
        if how == "drop":
            server.transport.close()
            return "421 4.3.0 gone"  # never reaches the client: the connection is closed
        await asyncio.sleep(self.late_by)
        return "250 Message accepted for delivery"

    def ids(self, address: str) -> list[str]:
        return [m["Message-ID"] for m in self.messages(address)]


@pytest.fixture
def unlucky():
    inbox = Unlucky()
    with running_server(inbox) as port:
        yield inbox, port


def _log(reports) -> list[dict]:
    return [json.loads(line) for line in (reports / LOG_NAME).read_text().splitlines()]


def _cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "addin.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.parametrize("how", ["drop", "late"])
def test_a_lost_250_after_the_final_dot_is_in_doubt_never_resent_silently(workbook, reports,
                                                                           unlucky, how):
    inbox, port = unlucky
    inbox.lose["sam@example.com"] = how
    transport, sleeps = _transport(port, timeout=1)  # "late" answers after 2 s
    outcomes = send_monthly_mail(workbook, reports, MONTH, transport)
    status = {o.recipient.email: o.status for o in outcomes}
    assert status.pop("sam@example.com") == "in doubt"
    assert set(status.values()) == {"sent"}
    assert sleeps == []  # not retried: the server may have it (it does)
    assert len(inbox.messages("sam@example.com")) == 1
    (sam,) = [o for o in outcomes if o.status == "in doubt"]
    (message_id,) = inbox.ids("sam@example.com")
    assert message_id in sam.line() and "--resend-in-doubt" in sam.line()
    assert _log(reports)[-1]["state"] == "sent"  # Board, after Sam
    assert [e["state"] for e in _log(reports) if e["recipient"] == "sam@example.com"] == [
        "sending", "in-doubt"]
    assert next(p for p in plan(workbook, reports, MONTH)
                if p.recipient.email == "sam@example.com").to_send == 0

    # a plain re-run sends nothing, and says so again
    again = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0])
    assert [o.status for o in again] == ["skipped", "skipped", "in doubt", "skipped", "skipped"]
    assert len(inbox.received) == 5
    # told to: the same message again, with the same Message-ID
    told = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0],
                             resend_in_doubt=True)
    assert [o.status for o in told] == ["skipped", "skipped", "sent", "skipped", "skipped"]
    assert inbox.ids("sam@example.com") == [message_id, message_id]
    assert _log(reports)[-1]["state"] == "sent"


def test_a_4xx_after_the_final_dot_proves_non_acceptance_and_is_retried(workbook, reports,
                                                                         unlucky):
    inbox, port = unlucky
    inbox.defer["ann@example.com"] = 1  # 451 to the final dot: not stored
    transport, sleeps = _transport(port)
    outcomes = send_monthly_mail(workbook, reports, MONTH, transport)
    assert {o.status for o in outcomes} == {"sent"}
    assert sleeps == [2.0] and len(inbox.messages("ann@example.com")) == 1


def test_two_mail_runs_at_once_deliver_each_message_once(workbook, reports, unlucky):
    inbox, port = unlucky
    inbox.gate = threading.Event()  # whoever reaches DATA first waits there
    args = ["mail", str(workbook), "--reports", str(reports), "--month", MONTH,
            "--smtp", f"127.0.0.1:{port}"]
    runs = [_cli(*args), _cli(*args)]
    try:
        deadline = time.monotonic() + 60
        while all(r.poll() is None for r in runs) and time.monotonic() < deadline:
            time.sleep(0.05)
        first = next(r for r in runs if r.poll() is not None)  # the one that found the lock
        inbox.gate.set()
        other = runs[1 - runs.index(first)]
        out_other, err_other = other.communicate(timeout=60)
        out_first, err_first = first.communicate(timeout=5)
    finally:
        inbox.gate.set()
        for r in runs:
            if r.poll() is None:
                r.kill()
    assert first.returncode == 3, err_first
    assert f"another send of {MONTH} is running (pid {other.pid} since " in err_first
    assert "Traceback" not in err_first and out_first == ""
    assert other.returncode == 0, err_other
    assert out_other.count(": sent (1 message") == 5
    for address in {row[1] for row in DISTRIBUTION[1:]}:
        assert len(inbox.messages(address)) == 1, address


def test_kill_9_after_the_server_accepted_before_the_log_said_sent(workbook, reports, unlucky,
                                                                   caplog):
    inbox, port = unlucky
    run = _cli("mail", str(workbook), "--reports", str(reports), "--month", MONTH,
               "--smtp", f"127.0.0.1:{port}")
    inbox.kill["sam@example.com"] = run.pid  # killed once the server has Sam's message
    try:
        run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == -signal.SIGKILL
    assert len(inbox.received) == 3  # Emily, Wang, Sam: Sam's was stored, its 250 not seen
    # the re-run (the lock of the dead process taken over) sends Ann and Board, not Sam
    outcomes = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0])
    assert [o.status for o in outcomes] == ["skipped", "skipped", "in doubt", "sent", "sent"]
    assert f"took over the {MONTH} send lock of pid {run.pid} (since " in caplog.text
    (message_id,) = inbox.ids("sam@example.com")
    assert message_id in outcomes[2].line() and "sending since" in outcomes[2].line()
    assert len(inbox.received) == 5


def test_kill_9_before_the_message_reached_the_server_is_in_doubt_too(workbook, reports,
                                                                      unlucky):
    """Killed between the log's "sending" and DATA: nothing reached the server, but the next
    run cannot know that, so the message is listed, and goes once when told to."""
    inbox, port = unlucky
    run = _cli("mail", str(workbook), "--reports", str(reports), "--month", MONTH,
               "--smtp", f"127.0.0.1:{port}")
    inbox.kill_at_mail[3] = run.pid  # the third message (Sam's), at MAIL FROM
    try:
        run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == -signal.SIGKILL
    assert inbox.messages("sam@example.com") == [] and len(inbox.received) == 2
    outcomes = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0])
    assert [o.status for o in outcomes] == ["skipped", "skipped", "in doubt", "sent", "sent"]
    told = send_monthly_mail(workbook, reports, MONTH, _transport(port)[0],
                             resend_in_doubt=True)
    assert [o.status for o in told] == ["skipped", "skipped", "sent", "skipped", "skipped"]
    assert len(inbox.messages("sam@example.com")) == 1 and len(inbox.received) == 5


def test_a_second_send_of_the_month_in_this_process_tree_stops_with_who_holds_it(reports):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from addin.mail import month_lock\n"
        f"with month_lock(Path({str(reports)!r}), {MONTH!r}):\n"
        "    print('held', flush=True); time.sleep(30)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SendBusy, match=rf"another send of {MONTH} is running "
                                           rf"\(pid {holder.pid} since \d\d:\d\d\)"):
            with month_lock(reports, MONTH):
                pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
    with month_lock(reports, MONTH):  # the dead holder's lock is taken over
        pass


def test_a_huge_company_name_is_cut_in_the_header_and_the_header_stays_within_998(
        tmp_path, reports, smtp_server):
    inbox, port = smtp_server
    # issue 13 row 11: a 40,000-character company_name made a 40,002-character From: line
    # (an Excel cell keeps 32,767 characters; one long word, nothing to fold at)
    long_name = "N" * 32_767
    settings = [row if row[0] != "company_name" else ["company_name", long_name]
                for row in SETTINGS]
    distribution = [DISTRIBUTION[0], ["王" * 2000, "wang@example.com", "地区：East", "zh"],
                    ["Ann " * 1000, "ann@example.com", "segment: Enterprise", "en"]]
    book = write_xlsx(tmp_path / "crm.xlsx", {"Distribution": distribution,
                                              "Settings": settings})
    started = time.monotonic()
    outcomes = send_monthly_mail(book, reports, MONTH, _transport(port)[0])
    assert [o.status for o in outcomes] == ["sent", "sent"]
    assert time.monotonic() - started < 10  # folding 2,000 Chinese characters took seconds
    for _, _, data in inbox.received:
        head = data.split(b"\r\n\r\n")[0]
        assert max(len(line) for line in head.split(b"\r\n")) <= 998
    wang, ann = (email.message_from_bytes(d, policy=policy.default)
                 for _, _, d in inbox.received)
    # cut to 200 characters with an ellipsis (Python's parser leaves a space between two
    # encoded words at a fold; RFC 2047 section 6.2 says to drop it, so compare without)
    assert wang["To"].addresses[0].display_name.replace(" ", "") == "王" * 199 + "…"
    assert ann["From"].addresses[0].display_name.replace(" ", "") == "N" * 199 + "…"
    assert ann["To"].addresses[0].display_name.replace(" ", "") == \
        (("Ann " * 50)[:199] + "…").replace(" ", "")
    body = wang.get_body(("plain",)).get_content()
    assert "王" * 2000 in body  # the body keeps the whole name
