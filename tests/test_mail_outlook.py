"""The ribbon's Email executives with no server in Settings: the user's own Outlook through COM
on Windows (a fake at the dispatch seam, outlook_fake), ``.eml`` files and their folder opened
on a Mac."""

from __future__ import annotations

import email
import json
import shutil
from email import policy

import pytest
from conftest import write_xlsx
from outlook_fake import FakeOutlook, fake_dispatch
from report_helpers import crm_rows
from test_mail import DISTRIBUTION, EXPECTED, MONTH, rendered

from addin.excel import macros
from addin.excel.book import FileBook
from addin.mail import LOG_NAME, choose, outlook

__all__ = ["rendered"]


@pytest.fixture
def book(tmp_path, rendered):
    rows = crm_rows(settings={"sender_email": "crm-reports@example.com"})
    rows["Distribution"] = DISTRIBUTION
    path = write_xlsx(tmp_path / "crm.xlsx", rows)
    shutil.copytree(rendered, tmp_path / macros.REVIEWS_FOLDER / MONTH)
    return path


@pytest.fixture
def windows(monkeypatch):
    app, dispatched = FakeOutlook(), []
    monkeypatch.setattr(choose, "current_platform", lambda: "win32")
    monkeypatch.setattr(outlook, "dispatch", fake_dispatch(app, dispatched))
    return app, dispatched


def _lang(address: str) -> str:
    return "zh" if address == "wang@example.com" else "en"


def test_no_server_on_windows_drives_outlook_one_item_per_executive(book, windows):
    app, dispatched = windows
    ribbon = FileBook(book)
    outcomes = macros.email_executives(ribbon)
    assert [o.status for o in outcomes] == ["sent"] * 5
    assert ribbon.questions[0].splitlines()[0] == (
        f"Send the {MONTH} reports to 5 executives (5 messages) through your Outlook?")
    assert dispatched == ["Outlook.Application"]
    assert len(app.items) == 5 and all(item.state == "sent" for item in app.items)
    reports = book.parent / macros.REVIEWS_FOLDER / MONTH
    for item in app.items:
        (entry,) = item.Recipients.entries
        assert entry.Type == 1  # olTo
        address = email.headerregistry.Address(addr_spec=entry.Name.split("<")[-1].rstrip(">"))
        to = address.addr_spec
        lang = _lang(to)
        assert sorted(item.Attachments.files) == sorted(
            [f"summary_{lang}.pdf"] + [f"review_{c}_{lang}.pdf" for c in EXPECTED[to]])
        for name, data in item.Attachments.files.items():
            assert data == (reports / name).read_bytes()
        assert "<html" in item.HTMLBody.lower()
        assert item.Subject.startswith("Key-account reviews for October 2026" if lang == "en"
                                       else "2026年10月")
    # the calls, in order, for the first item: only documented members
    first = [name for name, _ in app.calls[:9]]
    assert first == ["Application.CreateItem", "MailItem.Subject", "MailItem.HTMLBody",
                     "Recipients.Add", "Recipient.Type", "Recipients.ResolveAll",
                     "Attachments.Add", "Attachments.Add", "Attachments.Add"]
    log = [json.loads(line) for line in (reports / LOG_NAME).read_text().splitlines()]
    assert {e["transport"] for e in log} == {"outlook"}
    # pressed again: nothing is handed to Outlook twice
    again = FileBook(book)
    assert macros.email_executives(again) == []
    assert len(app.items) == 5


def test_outlook_mode_display_opens_each_message_for_review(tmp_path, rendered, windows):
    app, _ = windows
    rows = crm_rows(settings={"sender_email": "crm-reports@example.com",
                              "outlook_mode": "display"})
    rows["Distribution"] = DISTRIBUTION
    path = write_xlsx(tmp_path / "crm.xlsx", rows)
    shutil.copytree(rendered, tmp_path / macros.REVIEWS_FOLDER / MONTH)
    ribbon = FileBook(path)
    outcomes = macros.email_executives(ribbon)
    assert [o.status for o in outcomes] == ["displayed"] * 5
    assert all(item.state == "displayed" for item in app.items)
    assert ("MailItem.Display", False) in app.calls and ("MailItem.Send", None) not in app.calls
    assert "opened in Outlook for review (1 message, 3 PDFs)" in ribbon.messages[-1][0]


def test_the_fake_refuses_what_outlook_does_not_have():
    app = FakeOutlook()
    item = app.CreateItem(0)
    with pytest.raises(AttributeError, match="MailItem.Attachment: Object doesn't support"):
        item.Attachment = "x"  # noqa: B018 - Outlook's member is Attachments
    with pytest.raises(AttributeError, match="doesn't support"):
        item.SendNow()


def test_outlook_that_cannot_start_says_so_before_asking(book, monkeypatch):
    def broken(progid):
        raise OSError("(-2147221005, 'Invalid class string', None, None)")

    monkeypatch.setattr(choose, "current_platform", lambda: "win32")
    monkeypatch.setattr(outlook, "dispatch", broken)
    ribbon = FileBook(book)
    assert macros.email_executives(ribbon) is None
    assert ribbon.questions == []
    [(text, error)] = ribbon.messages
    assert error and text.startswith("Nothing was sent: Outlook could not be started")


def test_on_a_mac_the_button_writes_eml_files_and_opens_their_folder(book, monkeypatch):
    monkeypatch.setattr(choose, "current_platform", lambda: "darwin")
    ribbon = FileBook(book)
    opened = []
    monkeypatch.setattr(ribbon, "open_folder", opened.append)
    outcomes = macros.email_executives(ribbon)
    assert [o.status for o in outcomes] == ["written"] * 5
    folder = book.parent / macros.REVIEWS_FOLDER / MONTH / "emails"
    assert opened == [folder]
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 5
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["Subject"] and list(msg.iter_attachments())


def test_a_message_left_sending_by_a_crash_is_listed_in_doubt_never_resent(book, windows,
                                                                          monkeypatch):
    app, _ = windows
    from outlook_fake import FakeMailItem

    sent = FakeMailItem.Send

    def crash_on_wang(item):
        if "wang@example.com" in item.Recipients.entries[0].Name:
            raise KeyboardInterrupt  # Excel killed while Outlook took Wang's message
        sent(item)

    monkeypatch.setattr(FakeMailItem, "Send", crash_on_wang)
    with pytest.raises(KeyboardInterrupt):
        macros.email_executives(FileBook(book))
    monkeypatch.setattr(FakeMailItem, "Send", sent)
    ribbon = FileBook(book)
    outcomes = macros.email_executives(ribbon)
    question = ribbon.questions[0]
    assert question.splitlines()[0].startswith("Send the 2026-10 reports to 3 executives")
    assert ("王丽华 <wang@example.com>: 1 message in doubt (the server may have it), not "
            "re-sent") in question
    assert [o.status for o in outcomes] == ["skipped", "in doubt", "sent", "sent", "sent"]
    handed = [item.Recipients.entries[0].Name for item in app.items if item.state == "sent"]
    assert len(handed) == 4 and not any("wang@" in name for name in handed)


def test_cli_transport_outlook_off_windows_is_one_line(book):
    from click.testing import CliRunner

    from addin.cli import cli

    reports = book.parent / macros.REVIEWS_FOLDER / MONTH
    result = CliRunner().invoke(cli, ["mail", str(book), "--reports", str(reports), "--month",
                                      MONTH, "--transport", "outlook"])
    assert result.exit_code == 2
    assert result.output.strip() == ("error: Outlook can be used on Windows only: name an SMTP "
                                     "server (Settings smtp_server) or use mail_transport = "
                                     "graph or eml")
    assert not (reports / LOG_NAME).exists()
