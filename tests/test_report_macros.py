"""The ribbon's Reports group: ``key_account_reviews`` and ``email_executives`` on a copy of
the demo workbook (file book; PDFs read back; a real SMTP server on 127.0.0.1), and through the
xlwings book on the fake (the confirmation is an OK/Cancel alert).

The copy keeps the demo's data but names only VIP a key-account tier and points the Settings at
the test's SMTP server, so the reviews (20 accounts x en, zh) render in seconds."""

from __future__ import annotations

import email
import shutil
import subprocess
from email import policy
from pathlib import Path

import pytest
from conftest import write_xlsx
from report_helpers import crm_rows
from smtp_helpers import Inbox, running_server
from xlwings_fake import FakeBook, xlwings_values

from addin.demo import demo_tables
from addin.demo.xlsx import write_reproducible_xlsx
from addin.errors import InputError
from addin.excel import macros
from addin.excel.book import ExcelBook, FileBook
from addin.jobs.tier import tier_workbook
from addin.mail import transport_from_settings
from addin.reports.manifest import read_manifest
from addin.workbook import load_crm_workbook, read_sheet

pytestmark = pytest.mark.slow
MONTH = "2026-10"  # the demo's Settings as_of is 2026-10-31


@pytest.fixture(scope="module")
def server():
    inbox = Inbox()
    with running_server(inbox) as port:
        yield inbox, port


@pytest.fixture(scope="module")
def demo_vip(tmp_path_factory, server):
    """The demo workbook (built from the same tables) with VIP as the only key-account tier
    and the test's SMTP server in Settings."""
    tables = demo_tables()
    header, rows = tables["Settings"]
    rows = [[k, "VIP" if k == "key_account_tiers" else v] for k, v in rows]
    rows += [["smtp_server", f"127.0.0.1:{server[1]}"], ["smtp_starttls", "no"]]
    tables["Settings"] = (header, rows)
    return write_reproducible_xlsx(tables, tmp_path_factory.mktemp("base") / "demo_crm.xlsx")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, demo_vip):
    """key_account_reviews run once: (the book, what it returned)."""
    path = shutil.copyfile(demo_vip, tmp_path_factory.mktemp("demo") / demo_vip.name)
    book = FileBook(path)
    return book, macros.key_account_reviews(book)


@pytest.fixture
def fresh(rendered, tmp_path):
    """A copy of the workbook and its reviews folder, so each test has its own send log."""
    book, _ = rendered
    shutil.copyfile(book.path, tmp_path / book.path.name)
    shutil.copytree(book.path.parent / macros.REVIEWS_FOLDER, tmp_path / macros.REVIEWS_FOLDER)
    return tmp_path / book.path.name


def test_key_account_reviews_writes_the_pdfs_beside_the_workbook_and_opens_the_folder(rendered):
    book, outcome = rendered
    folder = book.path.parent / "Key-account reviews" / MONTH
    assert book.opened == [folder]
    [(text, error)] = book.messages
    assert not error
    assert text.startswith(f"{MONTH}: 40 reviews of 20 key accounts and 2 portfolio summaries "
                           f"(en, zh) written to {folder}.")
    manifest = read_manifest(folder, MONTH)
    tiers = tier_workbook(load_crm_workbook(book.path)).tiers
    assert {a.customer_id for a in manifest.accounts} == set(
        tiers.index[tiers["pyramid_tier"] == "VIP"])
    assert outcome.failed == {}
    top = tiers.sort_values("rank").iloc[0]
    [account] = [a for a in manifest.accounts if a.customer_id == top.name]
    text = subprocess.run(["pdftotext", str(folder / account.files["en"]), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert top["name"] in text and "Key-account review" in text
    assert book.written == []  # no result sheet: the workbook and its copy are untouched


def test_email_executives_asks_first_and_sends_nothing_on_cancel(fresh, server):
    inbox, port = server
    before = len(inbox.received)
    book = FileBook(fresh, answers=[False])
    assert macros.email_executives(book) is None
    [question] = book.questions
    assert question.startswith(f"Send the {MONTH} reports to 4 executives (")
    assert f"through 127.0.0.1:{port}?" in question.splitlines()[0]
    assert "- Emily Carter <emily.carter@example.com>: 1 message," in question
    assert book.messages == [("Nothing was sent.", False)]
    assert len(inbox.received) == before
    assert not (fresh.parent / macros.REVIEWS_FOLDER / MONTH / "mail_log.jsonl").exists()


def test_email_executives_sends_each_their_region_and_nothing_twice(fresh, server):
    inbox, _ = server
    before = len(inbox.received)
    book = FileBook(fresh)
    outcomes = macros.email_executives(book)
    assert [o.status for o in outcomes] == ["sent"] * 4
    assert book.messages[-1][0].endswith("\n\nDone.") and not book.messages[-1][1]
    manifest = read_manifest(fresh.parent / macros.REVIEWS_FOLDER / MONTH, MONTH)
    region = {a.customer_id: a.region for a in manifest.accounts}
    distribution = read_sheet(fresh, "Distribution")
    new = inbox.received[before:]
    assert sorted(to[0] for _, to, _ in new) == sorted(distribution["email"])
    for _, (to,), data in new:
        msg = email.message_from_bytes(data, policy=policy.default)
        row = distribution[distribution["email"] == to].iloc[0]
        names = [p.get_filename() for p in msg.iter_attachments()]
        assert f"{MONTH}_portfolio-summary_{row['language']}.pdf" in names
        ids = {n.split("_")[1] for n in names if "portfolio-summary" not in n}
        assert {region[i] for i in ids} <= {row["scope"].removeprefix("region: ")}
        assert all(n.endswith(f"_{row['language']}.pdf") for n in names)
    # pressed again: nobody gets the month twice, and there is nothing to confirm
    again = FileBook(fresh)
    assert macros.email_executives(again) == []
    assert again.questions == []
    assert again.messages[0][0].startswith("Nothing to send: 4 executives already received")
    assert len(inbox.received) == before + 4


def test_email_executives_before_any_review_says_to_press_key_account_reviews(demo_vip,
                                                                              tmp_path):
    book = FileBook(shutil.copyfile(demo_vip, tmp_path / demo_vip.name))
    assert macros.email_executives(book) is None
    [(text, error)] = book.messages
    assert error and "press Key-account reviews first" in text
    assert book.questions == []


def test_email_executives_without_an_smtp_server_names_the_setting(tmp_path):
    rows = crm_rows(settings={"sender_email": "crm@example.com",
                              "smtp_host": "mail.example.com:587"})  # a misspelt key
    rows["Distribution"] = [["name", "email", "scope"], ["Board", "board@example.com", None]]
    book = FileBook(write_xlsx(tmp_path / "crm.xlsx", rows))
    assert macros.email_executives(book) is None
    [(text, error)] = book.messages
    assert error and "Settings" in text and "smtp_server setting" in text
    assert book.questions == []


# ----------------------------------------------------------------- the live book (fake)


def test_the_live_book_asks_with_an_ok_cancel_alert(fresh, server):
    inbox, _ = server
    before = len(inbox.received)
    fake = FakeBook(xlwings_values(fresh), fullname=str(fresh), answers=["cancel"])
    assert macros.email_executives(ExcelBook(fake)) is None
    ask, said = fake.calls("alert")
    assert ask[1].startswith(f"Send the {MONTH} reports to 4 executives") and ask[3] == "ok_cancel"
    assert said[1] == "Nothing was sent." and said[3] == "ok"
    assert len(inbox.received) == before


def test_a_never_saved_live_workbook_is_asked_to_be_saved_first():
    rows = crm_rows()
    fake = FakeBook({name: [list(r) for r in sheet] for name, sheet in rows.items()},
                    fullname="Book1")
    assert macros.key_account_reviews(ExcelBook(fake)) is None
    [alert] = fake.calls("alert")
    assert "save Book1 first" in alert[1] and alert[4] == "critical"


def test_the_live_book_renders_from_its_cells_not_the_file(tmp_path, monkeypatch):
    """The live workbook's values are used (unsaved edits count): the file on disk has another
    company name than the cells the fake holds."""
    opened = []
    monkeypatch.setattr("addin.excel.book.open_in_file_manager", opened.append)
    path = write_xlsx(tmp_path / "live.xlsx", crm_rows(company="On Disk Ltd"))
    cells = crm_rows(company="Unsaved Edit Ltd")
    fake = FakeBook({name: [list(r) for r in sheet] for name, sheet in cells.items()},
                    fullname=str(path))
    outcome = macros.key_account_reviews(ExcelBook(fake))
    folder = tmp_path / "Key-account reviews" / MONTH
    assert opened == [folder]
    summary = folder / outcome.manifest.summary["en"]
    text = subprocess.run(["pdftotext", str(summary), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Unsaved Edit Ltd" in text and "On Disk Ltd" not in text


# ----------------------------------------------------------------- SMTP settings


@pytest.mark.parametrize(("settings", "environ", "expected"), [
    ({"smtp_server": "mail.example.com:587"}, {}, ("mail.example.com", 587, True, None)),
    ({"smtp_server": "[::1]:25", "smtp_starttls": "No"}, {}, ("::1", 25, False, None)),
    ({"smtp_server": "mail.example.com:587", "smtp_user": "crm"}, {"CRM_SMTP_PASSWORD": "pw"},
     ("mail.example.com", 587, True, "crm")),
    ({"smtp_server": "mail.example.com:587", "smtp_user": "crm",
      "smtp_password_env": "MAIL_PW"}, {"MAIL_PW": "pw"}, ("mail.example.com", 587, True, "crm")),
])
def test_smtp_settings(settings, environ, expected):
    t = transport_from_settings(settings, environ=environ)
    assert (t.host, t.port, t.starttls, t.user) == expected
    assert t.password == (environ.get(settings.get("smtp_password_env", "CRM_SMTP_PASSWORD"))
                          if t.user else None)


@pytest.mark.parametrize(("settings", "message"), [
    ({}, "a smtp_server setting"),
    ({"smtp_server": "mailhost"}, "smtp_server: 'mailhost': expected HOST:PORT"),
    ({"smtp_server": "mail.example.com:587", "smtp_starttls": "maybe"},
     "setting 'smtp_starttls': expected yes or no (found 'maybe')"),  # the one reader's words
    ({"mail_transport": "pigeon"},
     "setting 'mail_transport': expected smtp or graph or outlook or eml (found 'pigeon')"),
    ({"smtp_server": "mail.example.com:587", "smtp_user": "crm"},
     "smtp_password_env: the environment variable CRM_SMTP_PASSWORD is not set"),
    ({"smtp_server": "mail.example.com:25", "smtp_starttls": "no", "smtp_user": "crm"},
     "smtp_starttls: the password would be sent unencrypted"),
])
def test_smtp_setting_mistakes_name_the_setting(settings, message):
    with pytest.raises(InputError) as caught:
        transport_from_settings(settings, environ={"CRM_SMTP_PASSWORD_X": "x"}
                                if "25" not in settings.get("smtp_server", "")
                                else {"CRM_SMTP_PASSWORD": "pw"})
    assert message in str(caught.value) and caught.value.sheet == "Settings"


def test_a_file_named_relative_to_the_working_folder_is_not_taken_for_an_unsaved_book(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_xlsx(tmp_path / "crm.xlsx", crm_rows())
    book = FileBook("crm.xlsx")
    outcome = macros.key_account_reviews(book)
    assert outcome is not None and not book.messages[0][1]
    assert book.opened == [Path("Key-account reviews") / MONTH]
    assert (tmp_path / "Key-account reviews" / MONTH / "manifest.json").exists()
