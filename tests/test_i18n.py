"""Locale formatting (CLDR through Babel) and the label catalogue; the manifest hand-over."""

import datetime as dt
import json
import math
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from babel.numbers import parse_decimal
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment

from addin.errors import InputError
from addin.reports import i18n
from addin.reports.manifest import (
    ACCOUNT_HEADLINES,
    ATTENTION_RULES,
    FORMAT_VERSION,
    MANIFEST_NAME,
    PORTFOLIO_HEADLINES,
    AccountReport,
    Attention,
    Manifest,
    read_manifest,
    write_manifest,
)

# Expected strings are CLDR's published data (common/main/en.xml, zh.xml): en currency pattern
# "¤#,##0.00" with the yuan's symbol "CN¥" (the narrow "¥" is only its narrow form), zh_Hans_CN
# "¤#,##0.00" with "¥"; en medium date "MMM d, y", zh "y年M月d日"; skeleton yMMMM: en
# "MMMM y", zh "y年M月"; percent "#,##0%" in both. Grouping "," and decimal "." in both.


def test_babel_carries_cldrs_yuan_symbols():
    assert i18n.locale("en").currency_symbols["CNY"] == "CN¥"
    assert i18n.locale("zh").currency_symbols["CNY"] == "¥"
    assert i18n.locale("en").currency_formats["standard"].pattern == "¤#,##0.00"
    assert i18n.locale("zh").currency_formats["standard"].pattern == "¤#,##0.00"


@pytest.mark.parametrize(("lang", "expected"), [("en", "CN¥1,234,567.89"),
                                                ("zh", "¥1,234,567.89")])
def test_money_follows_cldr(lang, expected):
    # 1234567.891 -> 2 decimals (CNY has 2 in ISO 4217): 1,234,567.89
    assert i18n.money(1234567.891, lang, "CNY") == expected


def test_money_with_fewer_digits_rounds_half_even_like_cldr():
    assert i18n.money(1234567.891, "en", "CNY", digits=0) == "CN¥1,234,568"
    assert i18n.money(-5, "zh", "CNY", digits=0) == "-¥5"
    assert i18n.money(2.5, "en", "USD", digits=0) == "$2"  # half-even: 2.5 -> 2
    assert i18n.money(1000, "en", "JPY") == "¥1,000"  # the yen has no decimals (ISO 4217)


def test_numbers_percent_dates_months():
    assert i18n.number(1234567.891) == "1,234,568"
    assert i18n.number(1234567.891, "en", 2) == "1,234,567.89"
    assert i18n.number(0.5, "en", 2) == "0.50"
    assert i18n.percent(0.1234) == "12.3%"
    assert i18n.percent(0.1234, "zh", 0) == "12%"
    assert i18n.date(dt.date(2026, 10, 31), "en") == "Oct 31, 2026"
    assert i18n.date("2026-10-31", "zh") == "2026年10月31日"
    assert i18n.month("2026-10", "en") == "October 2026"
    assert i18n.month("2026-10", "zh") == "2026年10月"


@pytest.mark.parametrize(("value", "kind", "lang", "expected"), [
    # the decimals of each kind are those of addin.contract.units, as on the result sheets
    (1234.5, "money", "en", "CN¥1,234"),  # half-even: 1234.5 -> 1,234; the sheet's #,##0
    (1234.5, "money", "zh", "¥1,234"),
    (1234.4, "count", "en", "1,234"),
    (3.255, "score", "en", "3.26"),
    (31.64, "points", "zh", "31.6"),
    (0.1234, "share", "en", "12.3%"),
    (-0.052, "change", "en", "-5.2%"),
    (0.1, "change", "zh", "+10.0%"),
    (78.25, "percent", "en", "78.2%"),  # 78.25 % = 0.7825 -> 78.2 % (half-even)
    (45, "age", "en", "45 days"),
    (1.62, "days", "en", "1.6 days"),  # a usual gap: the PDF and the email both say 1.6
    (1, "age", "en", "1 day"),
    (45, "age", "zh", "45天"),
    (None, "money", "en", i18n.MISSING),
    (math.nan, "days", "zh", i18n.MISSING),
])
def test_quantity_by_kind(value, kind, lang, expected):
    assert i18n.quantity(value, kind, lang, "CNY") == expected


def test_unknown_quantity_kind_fails():
    with pytest.raises(ValueError, match="quantity kind 'furlongs'"):
        i18n.quantity(1, "furlongs")


@given(st.decimals(min_value=-10**12, max_value=10**12, places=4), st.sampled_from(["en", "zh"]))
def test_a_formatted_number_reads_back_as_the_rounded_value(value, lang):
    text = i18n.number(value, lang, 2)
    expected = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    assert parse_decimal(text, locale=i18n.locale(lang)) == expected


def test_missing_is_a_dash_never_zero():
    for value in (None, math.nan, float("nan")):
        assert i18n.number(value) == i18n.MISSING
        assert i18n.money(value) == i18n.MISSING
        assert i18n.percent(value) == i18n.MISSING
    assert i18n.date(None) == i18n.MISSING


def test_languages_from_what_people_write():
    assert i18n.normalise_language("ZH-cn") == "zh"
    assert i18n.normalise_language("中文") == "zh"
    assert i18n.normalise_language(None) == "en"
    with pytest.raises(ValueError, match="language 'fr'"):
        i18n.normalise_language("fr")


def test_every_label_has_both_languages_and_unknown_keys_fail():
    for key, texts in i18n.LABELS.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert all(t.strip() for t in texts.values()), key
    with pytest.raises(KeyError, match="no label 'nope'"):
        i18n.label("nope", "en")
    with pytest.raises(ValueError, match="already defined differently"):
        i18n.add_labels({"revenue": {"en": "Sales", "zh": "销售"}})
    with pytest.raises(ValueError, match="lacks"):
        i18n.add_labels({"new_key": {"en": "x"}})


def test_every_manifest_key_and_rule_has_labels_and_a_known_kind():
    for key, kind in {**PORTFOLIO_HEADLINES, **ACCOUNT_HEADLINES}.items():
        assert key in i18n.LABELS and kind in i18n.QUANTITY_KINDS, key
    for rule, kinds in ATTENTION_RULES.items():
        for lang in i18n.LANGUAGES:
            text = i18n.label(f"attention_{rule}", lang, value="V", threshold="T")
            assert "V" in text and "T" in text, (rule, lang)
        assert set(kinds) <= set(i18n.QUANTITY_KINDS)


def test_one_environment_serves_both_languages_and_escapes_fields():
    env = i18n.install(Environment(autoescape=True))
    template = env.from_string("{{ t('greeting', name=n) }} {{ x | money }} {{ m | month }}")
    assert template.render(lang="en", currency="CNY", n="Amy", x=1234.5, m="2026-10") == (
        "Dear Amy, CN¥1,234.50 October 2026")
    out = template.render(lang="zh", currency="CNY", n='<img src="x">', x=1234.5, m="2026-10")
    assert out == "&lt;img src=&#34;x&#34;&gt;，您好： ¥1,234.50 2026年10月"


def test_t_is_also_a_filter():
    env = i18n.install(Environment(autoescape=True))
    assert env.from_string("{{ 'revenue' | t }}").render(lang="zh") == "销售额"


def test_plain_text_templates_are_not_escaped():
    env = i18n.install(Environment(autoescape=False))
    template = env.from_string("{{ t('greeting', name=n) }} {{ d | quantity('age') }}")
    assert template.render(lang="en", n="Tom & Jerry <x>", d=3) == "Dear Tom & Jerry <x>, 3 days"


# --- the manifest ----------------------------------------------------------------------------

def _pdf(path):
    from weasyprint import HTML

    HTML(string=f"<p>{path.stem}</p>").write_pdf(path)
    return path.name


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdfs")
    for name in ("summary_en.pdf", "C1_en.pdf"):
        _pdf(folder / name)
    return {path.name: path.read_bytes() for path in folder.iterdir()}


@pytest.fixture
def folder(tmp_path, pdfs):
    for name, data in pdfs.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


def _manifest(**changes):
    account = AccountReport("C1", "上海华信", region="East", tier="VIP", files={"en": "C1_en.pdf"},
                            headline={"revenue_month": 1234.5, "nps": math.nan},
                            attention=[Attention("purchase_overdue", 45, 30)])
    fields = dict(month="2026-10", company="Northwind", currency="CNY", languages=["en"],
                  summary={"en": "summary_en.pdf"}, accounts=[account],
                  headline={"revenue_month": 99.0})
    fields.update(changes)
    return Manifest(**fields)


def test_manifest_round_trip(folder):
    manifest = _manifest()
    write_manifest(folder, manifest)
    data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert data["accounts"][0]["headline"] == {"revenue_month": 1234.5, "nps": None}  # NaN
    assert data["accounts"][0]["attention"] == [
        {"rule": "purchase_overdue", "value": 45, "threshold": 30}]
    assert "上海华信" in (folder / MANIFEST_NAME).read_text(encoding="utf-8")
    back = read_manifest(folder, month="2026-10")
    assert back.accounts[0].attention == [Attention("purchase_overdue", 45, 30)]
    assert back.accounts[0].headline == {"revenue_month": 1234.5, "nps": None}
    assert back.created == manifest.created and back.created.startswith("20")


def test_manifest_refuses_another_month_and_missing_or_broken_files(folder):
    write_manifest(folder, _manifest())
    with pytest.raises(InputError, match="holds the reports for 2026-10, not 2026-09"):
        read_manifest(folder, month="2026-09")
    (folder / "C1_en.pdf").write_bytes(b"<html>not a pdf")
    with pytest.raises(InputError, match="account C1: C1_en.pdf is not a PDF"):
        read_manifest(folder)
    (folder / "C1_en.pdf").unlink()
    with pytest.raises(InputError, match="account C1: C1_en.pdf is missing from"):
        read_manifest(folder)
    with pytest.raises(InputError, match="has no manifest.json"):
        read_manifest(folder / "elsewhere")
    with pytest.raises(InputError, match="expected YYYY-MM"):
        read_manifest(folder, month="2026-13")


def test_manifest_of_another_version_or_not_json_is_refused(folder):
    (folder / MANIFEST_NAME).write_text('{"version": 1}')  # before the packs (issue 14)
    with pytest.raises(InputError,
                       match=f"format version 1, this add-in reads version {FORMAT_VERSION}"):
        read_manifest(folder)
    (folder / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(InputError, match="is not a manifest written by crm-addin report"):
        read_manifest(folder)


@pytest.mark.parametrize(("changes", "message"), [
    ({"month": "2026-13"}, "month '2026-13' is not YYYY-MM"),
    ({"currency": "yuan"}, "currency 'yuan' is not an ISO 4217 code"),
    ({"languages": ["en", "fr"]}, "languages"),
    ({"languages": ["en", "zh"]}, "has files for ['en'], expected one per language"),
    ({"headline": {"profit": 1.0}}, "headline 'profit' is not one of"),
    ({"headline": {"nps": "high"}}, "headline 'nps' is 'high', expected a number"),
    ({"summary": {"en": "../summary_en.pdf"}}, "must be a plain name"),
])
def test_manifest_problems_are_refused_on_write(folder, changes, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        write_manifest(folder, _manifest(**changes))
    assert not (folder / MANIFEST_NAME).exists()


def test_manifest_account_problems_are_all_listed(folder):
    bad = AccountReport("C1", "Again", files={"en": "C1_en.pdf"},
                        attention=[Attention("bad_weather", 1, 2)])
    manifest = _manifest()
    manifest.accounts.append(bad)
    with pytest.raises(InputError) as caught:
        write_manifest(folder, manifest)
    text = "\n".join(caught.value.lines())
    assert "account C1 is listed twice" in text
    assert "attention rule 'bad_weather' is not one of" in text


def test_chinese_sentences_close_up_after_full_width_punctuation():
    html = "<p>20.0%的客户贡献了80.3%的销售额。\n  前20%的客户贡献了80.5%。</p>\n<p>A. B</p>"
    assert i18n.close_cjk_gaps(html, "zh") == \
        "<p>20.0%的客户贡献了80.3%的销售额。前20%的客户贡献了80.5%。</p>\n<p>A. B</p>"
    # plain text keeps its line breaks (they are the layout), spaces after 。 go
    assert i18n.close_cjk_gaps("第一句。 第二句。\n第三句", "zh", markup=False) == \
        "第一句。第二句。\n第三句"
    # English, and ASCII punctuation in Chinese text, are left alone
    assert i18n.close_cjk_gaps("One.  Two。 three", "en") == "One.  Two。 three"
    assert i18n.close_cjk_gaps("Gamma-Gamma) 月", "zh") == "Gamma-Gamma) 月"
