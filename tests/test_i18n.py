"""Locale formatting (CLDR through Babel) and the label catalogue; the manifest hand-over."""

import datetime as dt
import math

import pytest
from jinja2 import Environment

from addin.errors import InputError
from addin.reports import i18n
from addin.reports.manifest import AccountReport, Manifest, read_manifest, write_manifest

# Expected strings are CLDR's published patterns: en "¤#,##0.00" with the symbol CN¥ for the
# yuan outside China; zh_Hans_CN "¤#,##0.00" with ¥; zh medium date "y年M月d日".


@pytest.mark.parametrize(("lang", "expected"), [("en", "CN¥1,234,567.89"),
                                                ("zh", "¥1,234,567.89")])
def test_money_follows_cldr(lang, expected):
    assert i18n.money(1234567.891, lang, "CNY") == expected


def test_money_with_fewer_digits_rounds_half_even_like_cldr():
    assert i18n.money(1234567.891, "en", "CNY", digits=0) == "CN¥1,234,568"
    assert i18n.money(-5, "zh", "CNY", digits=0) == "-¥5"
    assert i18n.money(2.5, "en", "USD", digits=0) == "$2"  # half-even: 2.5 -> 2


def test_numbers_percent_dates_months():
    assert i18n.number(1234567.891) == "1,234,568"
    assert i18n.number(0.5, "en", 2) == "0.50"
    assert i18n.percent(0.1234) == "12.3%"
    assert i18n.percent(0.1234, "zh", 0) == "12%"
    assert i18n.date(dt.date(2026, 10, 31), "en") == "Oct 31, 2026"
    assert i18n.date("2026-10-31", "zh") == "2026年10月31日"
    assert i18n.month("2026-10", "en") == "October 2026"
    assert i18n.month("2026-10", "zh") == "2026年10月"


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


def test_one_environment_serves_both_languages_and_escapes_fields():
    env = i18n.install(Environment(autoescape=True))
    template = env.from_string("{{ t('greeting', name=n) }} {{ x | money }} {{ m | month }}")
    assert template.render(lang="en", currency="CNY", n="Amy", x=1234.5, m="2026-10") == (
        "Dear Amy, CN¥1,234.50 October 2026")
    out = template.render(lang="zh", currency="CNY", n='<img src="x">', x=1234.5, m="2026-10")
    assert out == "&lt;img src=&#34;x&#34;&gt;，您好： ¥1,234.50 2026年10月"


def _pdf(path):
    from weasyprint import HTML

    HTML(string="<p>review</p>").write_pdf(path)
    return path.name


def test_manifest_round_trip_and_checks(tmp_path):
    summary = _pdf(tmp_path / "summary_en.pdf")
    review = _pdf(tmp_path / "C1_en.pdf")
    manifest = Manifest(
        month="2026-10", company="Northwind", currency="CNY", languages=["en"],
        summary={"en": summary},
        accounts=[AccountReport("C1", "上海华信", region="East", tier="VIP", files={"en": review},
                                headline={"revenue_month": 1234.5}, attention=["overdue"])])
    write_manifest(tmp_path, manifest)
    back = read_manifest(tmp_path, month="2026-10")
    assert back == manifest
    with pytest.raises(InputError, match="holds the reports for 2026-10, not 2026-09"):
        read_manifest(tmp_path, month="2026-09")
    (tmp_path / review).unlink()
    with pytest.raises(InputError, match="names C1_en.pdf, which is missing"):
        read_manifest(tmp_path)
    with pytest.raises(InputError, match="has no manifest.json"):
        read_manifest(tmp_path / "elsewhere")
    with pytest.raises(InputError, match="expected YYYY-MM"):
        write_manifest(tmp_path, Manifest("2026-13", "N", "CNY", ["en"]))
