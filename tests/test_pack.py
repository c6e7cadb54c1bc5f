"""The executive's pack (issue 14): one PDF per executive of the Distribution sheet, with
bookmarks per account, internal links and each account's name and revenue; only the (account,
language) pairs someone reads are rendered. On the small workbook of report_helpers, whose
revenues are worked by hand there:

    A: 1000 + 500 + 300 + 2000 + 400 + 100 + 600 = 4,900.00   (an open complaint 30 days old)
    B: 1000 + 1500 = 2,500.00
    C: 50 + 700 = 750.00
"""

from __future__ import annotations

import io
import subprocess

import pytest
from click.testing import CliRunner
from conftest import write_xlsx
from pdf_words import english_words, workbook_names
from pypdf import PdfReader
from report_helpers import crm_rows

from addin.cli import cli, read_workbook
from addin.jobs.report import report_workbook
from addin.jobs.tier import tier_workbook
from addin.reports.manifest import read_manifest

MONTH = "2026-10"
DISTRIBUTION = [
    ["name", "email", "scope", "language"],
    ["Emily Carter", "emily@example.com", "all", "en"],  # A, B and C
    ["王丽华", "wang@example.com", "region: North", "zh"],  # A only, in Chinese
    ["Board", "board@example.com", None, "en"],  # blank scope: the summary only, a warning
]
REVENUE = {"A": "4,900.00", "B": "2,500.00", "C": "750.00"}  # as the Tiers sheet formats them
NAMES_EN = {"A": "Alpha Trading Co.", "B": "Beta Ltd", "C": "Gamma GmbH"}


def _rows(distribution=DISTRIBUTION):
    rows = crm_rows(settings={"sender_email": "crm-reports@example.com",
                              "key_account_tiers": "VIP,Key,Standard,Small"})
    customers = rows["Customers"]
    customers[0] = [*customers[0], "name_zh"]  # A has a Chinese name; B and C do not
    customers[1] = [*customers[1], "阿尔法贸易有限公司"]
    for row in customers[2:]:
        row.append(None)
    # free text as a Chinese team types it; the controlled vocabulary (channel, category,
    # severity, region, industry, segment, tier) stays as the workbook has it, in English
    typed = {"Quarterly review": "季度回顾", "Order query": "订单查询", "Price list": "价目表",
             "Delivery date": "交货日期", "Renewal": "续约", "Support": "支持",
             "Follow-up": "待跟进", "Resolved": "已解决", "Sent": "已发送",
             "Confirmed": "已确认", "Signed": "已签约"}
    rows["Contacts"] = [[typed.get(v, v) for v in row] for row in rows["Contacts"]]
    if distribution is not None:
        rows["Distribution"] = distribution
    return rows


def _text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def _outline_titles(reader: PdfReader) -> list[str]:
    out = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                out.append(item.title)
    walk(reader.outline)
    return out


@pytest.fixture(scope="module")
def sent(tmp_path_factory, request):
    """One monthly run through a real SMTP server: (inbox, output, reports folder)."""
    from smtp_helpers import Inbox, running_server

    folder = tmp_path_factory.mktemp("pack")
    book = write_xlsx(folder / "crm.xlsx", _rows())
    inbox = Inbox()
    with running_server(inbox) as port:
        result = CliRunner().invoke(cli, ["monthly", str(book), "--month", MONTH, "--smtp",
                                          f"127.0.0.1:{port}", "--jobs", "2",
                                          "--out", str(folder / "out")])
    assert result.exit_code == 0, result.output
    return inbox, result.output, folder / "out", book


def _attachments(msg) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def test_each_executive_gets_one_message_with_one_pack(sent):
    inbox, output, _, book = sent
    assert len(inbox.received) == 3
    emily = inbox.messages("emily@example.com")
    assert len(emily) == 1
    files = _attachments(emily[0])
    assert list(files) == ["2026-10 Alpha & Omega Supply CRM pack (Emily Carter).pdf"] or \
        list(files) == ["2026-10 Alpha - Omega Supply CRM pack (Emily Carter).pdf"]
    pdf = next(iter(files.values()))
    reader = PdfReader(io.BytesIO(pdf))
    titles = _outline_titles(reader)
    text = _text(pdf)
    tiers = tier_workbook(read_workbook(book)).customers_table().set_index("customer_id")
    for cid in ("A", "B", "C"):
        assert NAMES_EN[cid] in titles, titles  # a bookmark per account
        assert NAMES_EN[cid] in text
        # the revenue the Tiers sheet shows (#,##0.00), worked by hand above
        assert f"{tiers.at[cid, 'revenue']:,.2f}" == REVENUE[cid]
        assert REVENUE[cid] in text
    # attention first (A triggers 4 next-action rules, C 2, B none), then value
    assert titles.index("Alpha Trading Co.") < titles.index("Gamma GmbH") \
        < titles.index("Beta Ltd")
    # the pack's contents and summary link to the reviews inside the same PDF
    internal = 0
    for page in reader.pages[:6]:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") == "/Link" and ("/Dest" in a or (
                    "/A" in a and a["/A"].get("/S") == "/GoTo")):
                internal += 1
    assert internal >= 6  # contents (2 + 3 accounts) and the accounts table
    # the email names the page each review starts on
    body = emily[0].get_body(("plain",)).get_content()
    assert "page " in body and "of the pack" in body


def test_each_language_uses_its_own_name(sent):
    inbox, *_ = sent
    wang = inbox.messages("wang@example.com")
    assert len(wang) == 1
    (name, pdf), = _attachments(wang[0]).items()
    assert name.endswith("CRM月度汇报（王丽华）.pdf")
    reader = PdfReader(io.BytesIO(pdf))
    assert "阿尔法贸易有限公司" in _outline_titles(reader)
    text = _text(pdf)
    assert "阿尔法贸易有限公司" in text and REVENUE["A"] in text
    assert "Beta Ltd" not in _outline_titles(reader)  # North only
    # English keeps the English name (the en pack above); B has no name_zh: its name is kept
    emily = _text(next(iter(_attachments(inbox.messages("emily@example.com")[0]).values())))
    assert "阿尔法贸易有限公司" not in emily


def test_the_manifest_records_each_pack_and_name_with_its_language(sent):
    # before: the manifest kept one name per account, from the first pack rendered (the en
    # pack here), and the Chinese reader's email named 阿尔法贸易有限公司 "Alpha Trading Co."
    inbox, _, out, _ = sent
    manifest = read_manifest(out, month=MONTH)
    by_row = {p.row: p for p in manifest.packs}
    assert (by_row[2].language, by_row[3].language, by_row[4].language) == ("en", "zh", "en")
    assert by_row[3].file.endswith("CRM月度汇报（王丽华）.pdf")
    assert "CRM pack (Emily Carter)" in by_row[2].file
    assert sorted(manifest.languages) == ["en", "zh"]
    accounts = {a.customer_id: a for a in manifest.accounts}
    assert accounts["A"].names == {"en": "Alpha Trading Co.", "zh": "阿尔法贸易有限公司"}
    assert accounts["B"].names == {"en": "Beta Ltd"}  # read in the en pack only
    body = inbox.messages("wang@example.com")[0].get_body(("plain",)).get_content()
    assert "阿尔法贸易有限公司" in body and "Alpha Trading" not in body


def test_a_blank_scope_is_a_warning_and_the_pack_still_goes_out(sent):
    inbox, output, *_ = sent
    assert "Distribution row 4 (Board): no scope" in output
    board = inbox.messages("board@example.com")
    assert len(board) == 1
    (_, pdf), = _attachments(board[0]).items()
    assert "Portfolio summary" in _outline_titles(PdfReader(io.BytesIO(pdf)))


def test_only_pairs_someone_reads_are_rendered(sent):
    *_, folder, book = sent
    manifest = read_manifest(folder, MONTH)
    assert [(p.row, p.language, [e.customer_id for e in p.accounts]) for p in manifest.packs] \
        == [(2, "en", ["A", "C", "B"]), (3, "zh", ["A"]), (4, "en", [])]
    # the page the manifest (and the email) gives is the page the review starts on
    pack = manifest.packs[0]
    for entry in pack.accounts:
        page = subprocess.run(["pdftotext", "-f", str(entry.page), "-l", str(entry.page),
                               str(folder / pack.file), "-"], capture_output=True,
                              check=True).stdout.decode()
        assert NAMES_EN[entry.customer_id] in page.split("Customer card")[0]


def test_reviews_attachments_render_only_the_read_pairs(tmp_path):
    book = write_xlsx(tmp_path / "crm.xlsx", _rows([
        ["name", "email", "scope", "language"],
        ["Emily Carter", "emily@example.com", "account: B", "en"],
        ["王丽华", "wang@example.com", "account: A", "zh"]]))
    outcome = report_workbook(read_workbook(book), tmp_path / "out", month=MONTH,
                              attachments="reviews")
    assert sorted(outcome.rendered) == [("A", "zh"), ("B", "en")]
    written = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert written == ["2026-10_A_阿尔法贸易有限公司_zh.pdf", "2026-10_B_Beta-Ltd_en.pdf",
                       "2026-10_portfolio-summary_en.pdf", "2026-10_portfolio-summary_zh.pdf"]
    manifest = read_manifest(tmp_path / "out", MONTH)
    assert {a.customer_id: a.files for a in manifest.accounts} == {
        "A": {"zh": "2026-10_A_阿尔法贸易有限公司_zh.pdf"},
        "B": {"en": "2026-10_B_Beta-Ltd_en.pdf"}}


def test_without_a_distribution_sheet_every_account_in_every_language(tmp_path):
    book = write_xlsx(tmp_path / "crm.xlsx", _rows(None))
    outcome = report_workbook(read_workbook(book), tmp_path / "out", month=MONTH,
                              languages=["en"], accounts=["A"])
    assert outcome.rendered == [("A", "en")]
    assert not outcome.manifest.packs


def test_the_chinese_pack_has_no_english_word(sent):
    inbox, _, _, book = sent
    (_, pdf), = _attachments(inbox.messages("wang@example.com")[0]).items()
    allowed = workbook_names(read_workbook(book).sheets)
    assert english_words(_text(pdf), allowed) == {}
    # Chinese sentences follow each other without a space (pdftotext without -layout keeps
    # the spaces the PDF has and adds none for alignment)
    plain = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                           check=True).stdout.decode()
    assert "。 " not in plain and "； " not in plain
    # the scan catches what it should: the English pack is full of English words
    emily = next(iter(_attachments(inbox.messages("emily@example.com")[0]).values()))
    found = english_words(_text(emily), allowed)
    assert {"Revenue", "Key", "North", "Delivery", "Visit"} <= set(found)


def test_a_rerun_reuses_the_pdfs_whose_inputs_did_not_change(tmp_path):
    distribution = [["name", "email", "scope", "language"],
                    ["Emily Carter", "emily@example.com", "account: B", "en"],
                    ["王丽华", "wang@example.com", "account: A", "zh"]]
    rows = _rows(distribution)
    book = write_xlsx(tmp_path / "crm.xlsx", rows)
    out = tmp_path / "out"
    first = report_workbook(read_workbook(book), out, month=MONTH, attachments="reviews")
    assert sorted(first.rendered) == [("A", "zh"), ("B", "en")] and first.reused == []
    again = report_workbook(read_workbook(book), out, month=MONTH, attachments="reviews")
    assert again.rendered == [] and len(again.reused) == 4  # two reviews, two summaries
    # a corrected workbook: B's last contact had another outcome. Only B's review shows it.
    rows["Contacts"] = [[*r[:5], "已签约并付款"] if r[0] == "B" and r[1].month == 10 else r
                        for r in rows["Contacts"]]
    book = write_xlsx(tmp_path / "crm.xlsx", rows)
    third = report_workbook(read_workbook(book), out, month=MONTH, attachments="reviews")
    assert third.rendered == [("B", "en")]
    assert sorted(third.reused) == ["2026-10_A_阿尔法贸易有限公司_zh.pdf",
                                    "2026-10_portfolio-summary_en.pdf",
                                    "2026-10_portfolio-summary_zh.pdf"]
    assert "已签约并付款" in _text((out / "2026-10_B_Beta-Ltd_en.pdf").read_bytes())
    assert read_manifest(out, MONTH).hashes.keys() == {
        *third.reused, "2026-10_B_Beta-Ltd_en.pdf"}
