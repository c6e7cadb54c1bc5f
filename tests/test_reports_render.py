"""The PDFs themselves: rendered from the demo workbook and the small hand-worked one, then read
back with poppler (pdftotext, pdffonts) and pypdf. Numbers on the page are compared with what
pandas and the add-in's routines compute here; fonts, metadata, outline and page counts are
read from the files; the URL fetcher is checked with a recording subclass.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from addin.demo import demo_workbook_path
from addin.jobs.churn import churn_analysis
from addin.jobs.report import report_languages, scorecard_for_month
from addin.reports import i18n
from addin.reports.month import prepare_reports
from addin.reports.render import (
    TEMPLATES_DIR,
    Renderer,
    RenderTask,
    TemplateFetcher,
    render_batch,
    review_file_name,
    safe_name,
)
from addin.reports.review import review_context
from addin.reports.summary import summary_context
from addin.surveys import nps
from addin.workbook import load_crm_workbook

pytestmark = pytest.mark.slow
MONTH = "2026-10"
VIP_WITH_COMPLAINT = "C01231"  # Kingfisher Distribution Limited: open complaints, a survey
CHINESE_NAMED = "C01141"  # 深圳卓越新能源有限公司


class RecordingFetcher(TemplateFetcher):
    """The report fetcher, recording every URL WeasyPrint asks it for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked: list[str] = []

    def fetch(self, url, headers=None):
        self.asked.append(url)
        return super().fetch(url, headers)


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "doc.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True)
    return out.stdout


def pdf_fonts(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """pdffonts' table: name, type and the emb column of each font."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    fonts = []
    for line in lines:
        m = re.match(r"(\S+)\s+(.+?)\s{2,}(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)", line)
        assert m, line
        fonts.append({"name": m[1], "type": m[2], "emb": m[4]})
    return fonts


def uncovered_characters(pdf: bytes, tmp_path: Path) -> set[str]:
    """Characters of the PDF's text that none of its embedded fonts has a glyph for, so they
    print as boxes (.notdef). The text layer still carries such characters, so they are found
    by looking each one up in the cmap of the font files the embedded subsets come from (found
    through fontconfig, as WeasyPrint found them)."""
    from fontTools.ttLib import TTCollection, TTFont

    covered: set[int] = set()
    for font in pdf_fonts(pdf, tmp_path):
        name = font["name"].split("+", 1)[-1]  # ABCDEF+Noto-Sans-CJK-SC-Bold
        bold = name.endswith("-Bold")
        family = name.removesuffix("-Bold").replace("-", " ")
        path = subprocess.run(["fc-match", "-f", "%{file}", family + (":bold" if bold else "")],
                              check=True, capture_output=True, text=True).stdout
        faces = TTCollection(path).fonts if path.endswith(".ttc") else [TTFont(path)]
        for face in faces:
            covered |= set(face.getBestCmap())
    return {c for c in pdf_text(pdf, tmp_path, "glyphs.pdf")
            if not c.isspace() and ord(c) not in covered}


@pytest.fixture(scope="module")
def demo():
    wb = load_crm_workbook(demo_workbook_path())
    scorecard, by_period = scorecard_for_month(wb, MONTH)
    data = prepare_reports(wb.sheets, MONTH, accounts=[VIP_WITH_COMPLAINT, CHINESE_NAMED],
                           scorecard=scorecard, scorecard_by_period=by_period)
    return wb, data


@pytest.fixture(scope="module")
def renderer():
    return Renderer()


@pytest.fixture(scope="module")
def review_en(demo, renderer):
    return renderer.review(review_context(demo[1], VIP_WITH_COMPLAINT, "en"))


@pytest.fixture(scope="module")
def review_zh(demo, renderer):
    return renderer.review(review_context(demo[1], CHINESE_NAMED, "zh"))


@pytest.fixture(scope="module")
def summary_en(demo, renderer):
    return renderer.summary(summary_context(demo[1], "en"))


def _month_sum(wb, customer_id=None) -> float:
    tx = wb["Transactions"]
    in_month = (tx["date"] >= "2026-10-01") & (tx["date"] <= "2026-10-31")
    if customer_id is not None:
        in_month &= tx["customer_id"] == customer_id
    return float(tx.loc[in_month, "amount"].sum())


def _recent_answers(wb, customer_id=None) -> pd.DataFrame:
    s = wb["Survey"]
    keep = (s["date"] > "2025-10-31") & (s["date"] <= "2026-10-31")
    if customer_id is not None:
        keep &= s["customer_id"] == customer_id
    return s[keep]


def test_review_shows_the_account_and_the_numbers_pandas_computes(demo, review_en, tmp_path):
    wb, _ = demo
    text = pdf_text(review_en, tmp_path)
    assert "Kingfisher Distribution Limited" in text
    assert VIP_WITH_COMPLAINT in text
    month = _month_sum(wb, VIP_WITH_COMPLAINT)
    tx = wb["Transactions"]
    ytd = float(tx.loc[(tx["customer_id"] == VIP_WITH_COMPLAINT)
                       & (tx["date"] >= "2026-01-01") & (tx["date"] <= "2026-10-31"),
                       "amount"].sum())
    assert i18n.money(month, "en", "CNY", 0) in text
    assert i18n.money(ytd, "en", "CNY", 0) in text
    result = nps(_recent_answers(wb, VIP_WITH_COMPLAINT)["nps"])
    assert result.n >= 1
    flat = " ".join(text.split())
    if result.n >= 10:  # Settings min_survey_answers: the demo sets none, so 10
        assert (f"NPS {i18n.quantity(result.score, 'points')} ± "
                f"{i18n.quantity(result.margin_of_error, 'points')} (n = {result.n})") in flat
    else:  # never a score from a handful of answers
        assert f"NPS: too few answers (n = {result.n})" in flat


def test_review_has_two_to_four_pages_numbered_in_its_language(review_en, review_zh, tmp_path):
    for pdf, lang in ((review_en, "en"), (review_zh, "zh")):
        pages = len(PdfReader(_bytes_io(pdf)).pages)
        assert 2 <= pages <= 4
        text = pdf_text(pdf, tmp_path)
        if lang == "en":
            assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
        else:
            assert f"第 1 页，共 {pages} 页" in text


def test_every_section_is_there(review_en, tmp_path):
    text = pdf_text(review_en, tmp_path)
    for heading in ("Customer card", "Value", "Customer value models", "Next actions", "Trends",
                    "Revenue and margin, last 18 months", "Satisfaction and NPS by quarter",
                    "Tier at each month's end", "Service", "Relationship",
                    "Last interactions"):
        assert heading in text, heading
    # the complaints open since 2025-06-14 (504 days to Oct 31) and, since it is a planted
    # lost account, 2026-04-30 (184 days; the Complaints sheet) are past the 14-day target
    assert "Complaint past its target" in text
    assert "Open complaints past the 14-day target: 2; the oldest is 504 days old." in text


def _bytes_io(pdf: bytes):
    import io

    return io.BytesIO(pdf)


def test_metadata_and_outline(review_en):
    reader = PdfReader(_bytes_io(review_en))
    meta = reader.metadata
    assert meta.title == "Key-account review: Kingfisher Distribution Limited"
    assert meta.author == "Northwind Industrial Supply"
    assert meta.subject == ("Key-account review of Kingfisher Distribution Limited (C01231) "
                            "for October 2026")
    assert meta.creation_date is not None
    top = reader.outline
    assert top[0].title == "Kingfisher Distribution Limited"
    sections = [o.title for o in top[1]]
    assert sections[:3] == ["Customer card", "Value", "Customer value models"]
    assert {"Next actions", "Trends", "Service", "Relationship"} <= set(sections)


def test_fonts_are_embedded_and_none_is_type3(review_en, review_zh, summary_en, tmp_path):
    for pdf in (review_en, review_zh, summary_en):
        fonts = pdf_fonts(pdf, tmp_path)
        assert fonts and all(f["emb"] == "yes" for f in fonts)
        assert not any("Type 3" in f["type"] for f in fonts)


def test_chinese_review_has_chinese_labels_and_a_cjk_font(review_zh, tmp_path):
    text = pdf_text(review_zh, tmp_path)
    assert "深圳卓越新能源有限公司" in text
    for label in ("客户卡片", "客户价值", "下一步行动", "趋势", "服务", "客户关系", "主要联系人"):
        assert label in text, label
    assert "¥" in text and "CN¥" not in text  # the yuan as China writes it (CLDR zh_Hans_CN)
    names = [f["name"] for f in pdf_fonts(review_zh, tmp_path)]
    assert any("NotoSansCJKsc" in n.replace("-", "") or "Noto-Sans-CJK-SC" in n
               for n in names), names
    # charts draw their Chinese month names with the SC face too, not a fallback JP face
    assert not any("CJK-JP" in n or "CJKjp" in n for n in names), names
    meta = PdfReader(_bytes_io(review_zh)).metadata
    assert meta.title == "重点客户评估：深圳卓越新能源有限公司"
    assert meta.author == "北风工业供应有限公司"


def test_no_character_prints_as_a_box(review_en, review_zh, demo, renderer, tmp_path):
    from weasyprint import HTML

    # the check sees a box: an Egyptian hieroglyph is in none of the fonts we install
    probe = HTML(string='<p style="font-family: DejaVu Sans, Noto Sans CJK SC">'
                        "Kingfisher 客户 \U00013000</p>").write_pdf()
    assert uncovered_characters(probe, tmp_path) == {"\U00013000"}
    summary_zh = renderer.summary(summary_context(demo[1], "zh"))
    for pdf in (review_en, review_zh, summary_zh):
        assert uncovered_characters(pdf, tmp_path) == set()


def test_summary_numbers_equal_the_routines(demo, summary_en, tmp_path):
    wb, data = demo
    text = pdf_text(summary_en, tmp_path)
    assert i18n.money(_month_sum(wb), "en", "CNY", 0) in text
    result = nps(_recent_answers(wb)["nps"])
    assert (f"{i18n.number(result.score, 'en', 1)} ± "
            f"{i18n.number(result.margin_of_error, 'en', 1)}") in text
    assert i18n.number(data.scorecard.overall, "en", 1) in text
    key = data.tiers[data.tiers["key_account"]]
    assert f"\n{len(key)}\n" in text  # the key-accounts tile
    reader = PdfReader(_bytes_io(summary_en))
    sections = [o.title for o in reader.outline[1]]
    assert sections == ["Headline numbers", "Tier distribution",
                        "Top 20 accounts by revenue, year to date",
                        "Tier movers since September 2026", "Key accounts at risk",
                        "NPS and CSAT", "Balanced scorecard", "Customer retention by cohort",
                        "Churn and why customers leave", "Revenue forecast vs plan"]
    assert len(reader.pages) <= 7
    # the churn sections carry the Churn and Forecast sheets' numbers
    churn = data.churn["churn"]
    last = churn_analysis(wb.sheets, data.as_of, tiers=data.tiers).periods.iloc[-1]
    assert churn["rate"] == pytest.approx(last["churn_rate"])
    year, quarter = str(last["period"]).split("Q")  # 2026Q4 is written Q4 2026
    assert f"Churn rate Q{quarter} {year}" in text
    assert i18n.percent(last["churn_rate"], "en") in text
    assert f"Key accounts to win back ({churn['winback_count']}," in text
    forecast = data.churn["forecast"]
    assert i18n.money(forecast["model_total"], "en", "CNY", 0) in " ".join(text.split())
    assert "No plan: set revenue_plan" in text


def test_summary_in_chinese(demo, renderer, tmp_path):
    pdf = renderer.summary(summary_context(demo[1], "zh"))
    text = pdf_text(pdf, tmp_path)
    for label in ("客户组合总览", "客户等级分布", "风险重点客户", "净推荐值与客户满意度",
                  "平衡计分卡", "按获客月份的客户保留率", "客户流失及原因", "流失原因",
                  "需挽回的重点客户", "销售收入预测与计划", "按月预测"):
        assert label in text, label


def test_pdf_a_variant_declares_itself(demo, renderer):
    pdf = renderer.review(review_context(demo[1], VIP_WITH_COMPLAINT, "en"),
                          pdf_variant="pdf/a-3b")
    reader = PdfReader(_bytes_io(pdf))
    raw = reader.xmp_metadata.stream.get_data()
    assert b'pdfaid:part="3"' in raw and b'pdfaid:conformance="B"' in raw
    assert "/OutputIntents" in reader.trailer["/Root"]  # PDF/A needs an output intent


# --------------------------------------------------------------------------------------------
# nothing outside the templates is read


NASTY = '<img src="file:///etc/passwd">'


def test_html_in_a_name_is_text_and_reads_nothing(make_xlsx, tmp_path):
    from report_helpers import crm_rows

    wb = load_crm_workbook(make_xlsx(crm_rows(name_a=NASTY)))
    data = prepare_reports(wb.sheets, MONTH, accounts=["A"])
    fetcher = RecordingFetcher()
    pdf = Renderer(fetcher=fetcher).review(review_context(data, "A", "en"))
    text = pdf_text(pdf, tmp_path)
    assert NASTY in text  # shown as the text it is
    assert PdfReader(_bytes_io(pdf)).metadata.title == f"Key-account review: {NASTY}"
    assert fetcher.asked and all(url.startswith("data:image/svg+xml") for url in fetcher.asked)
    assert not any("passwd" in url for url in fetcher.asked)
    assert fetcher.refused == []


def test_the_small_workbook_renders_with_its_hand_worked_numbers(make_xlsx, tmp_path):
    from report_helpers import crm_rows

    wb = load_crm_workbook(make_xlsx(crm_rows()))
    data = prepare_reports(wb.sheets, MONTH, accounts=["A"])
    pdf = Renderer().review(review_context(data, "A", "en"))
    text = pdf_text(pdf, tmp_path)
    assert "CN¥1,100" in text and "+37.5% vs last year" in text  # 1100 / 800 - 1
    assert "CN¥3,100" in text and "+72.2% vs last year" in text  # 3100 / 1800 - 1
    assert "42.31%" in text  # 1100 / 2600 of the company's October
    # the author is the company name with its ampersand, escaped in HTML and back in the PDF
    assert PdfReader(_bytes_io(pdf)).metadata.author == "Alpha & Omega Supply"


def test_references_outside_the_templates_are_refused_and_logged(caplog):
    fetcher = RecordingFetcher()
    html = ("<html><head><link rel='stylesheet' href='report.css'>"
            "<link rel='stylesheet' href='file:///etc/passwd'></head><body>"
            "<img src='../pyproject.toml'><img src='file:///etc/hostname'>"
            "<img src='http://127.0.0.1:9/x.png'><p>body</p></body></html>")
    with caplog.at_level(logging.WARNING, logger="addin.reports"):
        Renderer(fetcher=fetcher).pdf(html)
    project = (TEMPLATES_DIR.parent / "pyproject.toml").as_uri()
    assert set(fetcher.refused) == {"file:///etc/passwd", project, "file:///etc/hostname",
                                    "http://127.0.0.1:9/x.png"}
    assert (TEMPLATES_DIR / "report.css").as_uri() in fetcher.asked  # a template file is fine
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "refused to read file:///etc/passwd" in logged


def test_a_symlink_out_of_the_templates_is_refused(tmp_path):
    root = tmp_path / "templates"
    root.mkdir()
    (root / "inside.css").write_text("p { color: red }")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    (root / "link.css").symlink_to(secret)
    fetcher = TemplateFetcher(root)
    assert fetcher.fetch((root / "inside.css").as_uri()).read() == b"p { color: red }"
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch((root / "link.css").as_uri())
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch((root / ".." / "secret.txt").as_uri())
    assert len(fetcher.refused) == 2


# --------------------------------------------------------------------------------------------
# batches and file names


def test_one_bad_review_is_reported_and_the_rest_render(demo, tmp_path):
    data = demo[1]
    good = [RenderTask(f"good-{i}.pdf", review_context(data, cid, "en"), f"good {cid}")
            for i, cid in enumerate(data.accounts)]
    broken = review_context(data, VIP_WITH_COMPLAINT, "en")
    del broken["service"]
    tasks = [good[0], RenderTask("bad.pdf", broken, "bad account"), good[1]]
    result = render_batch(tasks, tmp_path, jobs=2)
    assert sorted(result.written) == ["good-0.pdf", "good-1.pdf"]
    assert list(result.failed) == ["bad account"]
    assert "service" in result.failed["bad account"]
    assert not (tmp_path / "bad.pdf").exists()
    assert not list(tmp_path.glob(".partial*"))
    umask = os.umask(0)
    os.umask(umask)
    for name in result.written:
        assert len(PdfReader(tmp_path / name).pages) >= 2
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask  # not owner-only


@pytest.mark.parametrize(("name", "expected"), [
    ("Kingfisher Distribution Limited", "Kingfisher-Distribution-Limited"),
    ("Sunrise Systems Co., Ltd.", "Sunrise-Systems-Co-Ltd"),
    ("深圳卓越新能源有限公司", "深圳卓越新能源有限公司"),
    ("../../etc/passwd", "etc-passwd"),
    ('<img src="file:///etc/passwd">', "img-src-file-etc-passwd"),
    ("CON", "CON"),
    ("", "x"),
    ("...", "x"),
    ("Ｆｕｌｌ　Ｗｉｄｔｈ", "Full-Width"),
])
def test_safe_names(name, expected):
    assert safe_name(name) == expected


@given(st.text(max_size=200), st.text(max_size=50))
def test_review_file_names_are_plain_and_safe(name, customer_id):
    file = review_file_name(MONTH, customer_id, name, "en")
    assert re.fullmatch(r"2026-10_[\w-]+_[\w-]+_en\.pdf", file)
    assert Path(file).name == file and not file.startswith(".")
    assert len(file.encode("utf-8")) <= 255


def test_report_languages_come_from_the_distribution_sheet(demo):
    wb = demo[0]
    assert report_languages(wb) == ["en", "zh"]
    assert report_languages(wb, ["zh"]) == ["zh"]


def test_a_workbook_with_only_customers_and_orders_still_renders(make_xlsx, tmp_path):
    """No Contacts, Complaints, Survey or Scorecard, and no margin column: each section says
    what it lacks instead of failing."""
    from report_helpers import crm_rows

    rows = crm_rows()
    sheets = {"Customers": rows["Customers"], "Settings": rows["Settings"],
              "Transactions": [r[:3] for r in rows["Transactions"]]}
    wb = load_crm_workbook(make_xlsx(sheets))
    data = prepare_reports(wb.sheets, MONTH, accounts=["A"])
    renderer = Renderer()
    review = pdf_text(renderer.review(review_context(data, "A", "en")), tmp_path, "r.pdf")
    for note in ("The workbook has no Complaints sheet.", "The workbook has no Contacts sheet.",
                 "No survey answers from this account yet."):
        assert note in review
    assert "CN¥1,100" in review  # October's revenue, as in the full workbook
    summary = pdf_text(renderer.summary(summary_context(data, "zh")), tmp_path, "s.pdf")
    assert "工作簿中没有调查答卷。" in summary and "工作簿中没有平衡计分卡表。" in summary


def test_a_non_key_account_and_an_empty_month_read_as_what_they_are(make_xlsx, tmp_path):
    from report_helpers import crm_rows

    wb = load_crm_workbook(make_xlsx(crm_rows()))
    # November 2026: the small workbook's log ends on 2026-10-25
    data = prepare_reports(wb.sheets, "2026-11", accounts=["A", "B", "C"])
    other = next(cid for cid in data.accounts if not data.tiers.at[cid, "key_account"])
    renderer = Renderer()
    for lang, heading, wrong, warning in (
            ("en", "Account review:", "Key-account review", "No transactions in November 2026"),
            ("zh", "客户评估：", "重点客户评估", "2026年11月尚无交易数据")):
        pdf = renderer.review(review_context(data, other, lang))
        text = " ".join(pdf_text(pdf, tmp_path, f"r_{lang}.pdf").split())
        assert heading in text and wrong not in text
        assert PdfReader(_bytes_io(pdf)).metadata.title.startswith(heading)
        assert warning in text
        summary = renderer.summary(summary_context(data, lang))
        assert warning in " ".join(pdf_text(summary, tmp_path, f"s_{lang}.pdf").split())


def test_a_long_email_address_stays_in_the_card_column(review_zh, tmp_path):
    """深圳卓越's address has a 29-character part (``zhuoyue-xinnengyuan-shenzhen.``): it once
    ran over the value column beside the card. Its words (pdftotext -bbox) now end left of
    where the value column's heading starts."""
    path = tmp_path / "review.pdf"
    path.write_bytes(review_zh)
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                           check=True, capture_output=True, text=True).stdout
    words = [(float(x0), float(x1), word) for x0, x1, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
        boxes)]
    value_column = min(x0 for x0, _, word in words if word == "客户价值")
    address = [w for w in words if any(p in w[2] for p in ("zhuoyue", "xinnengyuan",
                                                             "shenzhen", "contact@"))]
    assert {p for p in ("contact@", "zhuoyue", "xinnengyuan", "shenzhen")
            if any(p in w[2] for w in address)} == {"contact@", "zhuoyue", "xinnengyuan",
                                                      "shenzhen"}
    assert all(x1 < value_column for _, x1, _ in address), (address, value_column)


@pytest.mark.parametrize("address, pieces", [
    ("ops@acme.example", ["ops@", "acme.", "example"]),
    # a part over 20 characters may also break after its hyphens
    ("contact@zhuoyue-xinnengyuan-shenzhen.example.cn",
     ["contact@", "zhuoyue-", "xinnengyuan-", "shenzhen.", "example.", "cn"]),
    # a short hyphenated part stays whole
    ("a@north-wind.cn", ["a@", "north-wind.", "cn"]),
    ("<b>@x.cn", ["&lt;b&gt;@", "x.", "cn"]),
])
def test_email_breaks(address, pieces):
    from addin.reports.render import email_breaks

    html = str(email_breaks(address))
    assert re.findall(r'<span class="email-piece">(.*?)</span>', html) == pieces
    assert html.count("<wbr>") == len(pieces) - 1


def test_the_win_back_table_speaks_the_reader_s_language(demo, renderer):
    """The summary's win-back table printed the tier as the Settings spell it ('Key') and the
    registered name in a Chinese report; it now names each account in the report's language
    (account_name) and prints the tier from the catalogue, as the summary's other tables do."""
    from addin.reports.labels import term
    from addin.reports.month import account_name

    data = demo[1]
    context = summary_context(data, "zh")
    rows = context["churn"]["winback"]
    assert rows, "the demo has key accounts to win back"
    assert [r["name"] for r in rows] == [account_name(data, r["customer_id"], "zh")
                                         for r in rows]
    html = str(renderer.part(context))
    for r in rows:  # each row of the win-back table, as the template writes it
        assert (f'<tr><td>{r["name"]}</td><td class="nowrap">{term("tier", r["tier"], "zh")}'
                '</td>') in html, r
    table = html[html.rindex(f'<tr><td>{rows[0]["name"]}</td>'):]
    table = table[:table.index("</table>")]
    assert ">Key<" not in table and ">VIP<" not in table


def test_chart_text_widths_are_the_fonts_advances():
    """The charts place centred and right-aligned labels from svg.char_width (WeasyPrint
    sets SVG text one character at a time, so a label's width is the sum of its characters'
    advances): the ASCII table and symbols equal the installed DejaVu Sans's hmtx, and the
    wide characters of the Chinese charts are one em in Noto Sans CJK SC, both fonts found
    through fontconfig as WeasyPrint finds them."""
    from fontTools.ttLib import TTCollection, TTFont

    from addin.reports import svg

    def font(family: str):
        found = subprocess.run(["fc-match", "-f", "%{file}:%{index}", family], check=True,
                               capture_output=True, text=True).stdout
        path, index = found.rsplit(":", 1)
        return TTCollection(path).fonts[int(index)] if path.endswith(".ttc") else TTFont(path)

    dejavu = font("DejaVu Sans")
    assert dejavu["head"].unitsPerEm == svg.DEJAVU_EM
    cmap, hmtx = dejavu.getBestCmap(), dejavu["hmtx"]
    for ch in [chr(c) for c in range(0x20, 0x7F)] + list("¥±·–−€"):
        assert svg.char_width(ch) == hmtx[cmap[ord(ch)]][0] / svg.DEJAVU_EM, ch
    noto = font("Noto Sans CJK SC")
    cmap, hmtx, em = noto.getBestCmap(), noto["hmtx"], noto["head"].unitsPerEm
    for ch in "年月季度份万亿客户重点普通小满意净推荐值销售额毛利（）：，":
        assert ord(ch) not in dejavu.getBestCmap(), ch  # Pango falls back to Noto for it
        assert svg.char_width(ch) == hmtx[cmap[ord(ch)]][0] / em == 1.0, ch
    assert svg.text_width("10月", 8) == pytest.approx((2 * 1303 / 2048 + 1) * 8)


def test_chart_labels_are_placed_start_anchored():
    """A centred or right-aligned label is written start-anchored at its computed start
    (WeasyPrint draws each anchored SVG text in a PDF group of its own)."""
    from addin.reports import svg

    chart = svg.Svg(2, 1)
    chart.text(50, 20, "10月", anchor="middle")
    chart.text(50, 40, "100", anchor="end", size=6)
    chart.text(50, 60, "¥", rotate=True)
    out = chart.svg()
    assert "text-anchor" not in out
    width = svg.text_width("10月", 8)
    assert f'<text x="{50 - width / 2:.2f}" y="20">10月</text>' in out
    assert f'<text x="{50 - svg.text_width("100", 6):.2f}" y="40" font-size="6">100</text>' \
        in out
    assert 'transform="rotate(-90 50 60)"' in out
