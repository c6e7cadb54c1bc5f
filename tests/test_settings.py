"""The one Settings reader (addin.contract.settings): every key in one registry, matched like
headers, read by the contract's rules, and the same answer whichever feature asks."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from addin.contract.settings import (
    BY_NAME,
    FEATURES,
    SETTINGS,
    canonical_setting,
    read_settings,
)
from addin.errors import InputError
from addin.jobs.scorecard import random_index_table, year_end_month
from addin.mail import read_sender, transport_from_settings
from addin.reports.settings import ReportSettings, report_settings
from addin.scorecard import RANDOM_INDEX_TABLES
from addin.surveys import SurveySettings
from addin.tiering import TierSettings, tier_settings
from addin.tiering.lifecycle import LifecycleRules


def sheet(*pairs: tuple[str, object]) -> pd.DataFrame:
    """A Settings sheet as the reader returns it: key, value; indexed by Excel row."""
    frame = pd.DataFrame({"key": [k for k, _ in pairs], "value": [v for _, v in pairs]},
                         dtype=object)
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    return frame


def test_the_registry_knows_every_key_each_feature_reads():
    names = set(BY_NAME)
    survey = {f.name for f in dataclasses.fields(SurveySettings)}
    assert survey <= names
    assert {f.name for f in dataclasses.fields(LifecycleRules)} <= names
    assert {"as_of", "tier_by", "abc_a", "abc_b", "pyramid_shares", "pyramid_labels",
            "key_account_tiers", "clv_months", "monthly_discount_rate", "retention_rate"} <= names
    for s in SETTINGS:
        assert s.features and set(s.features) <= set(FEATURES), s.name
        assert s.zh and not s.zh.isascii(), f"{s.name} has no Chinese alias"
    # the registry's choices are the routines' own tables
    assert set(BY_NAME["ahp_random_index"].choices) == set(RANDOM_INDEX_TABLES)
    # the defaults are the dataclasses' defaults
    for f in dataclasses.fields(SurveySettings):
        if f.default is not dataclasses.MISSING and f.name not in ("survey_period_start",
                                                                   "survey_period_end"):
            assert BY_NAME[f.name].default == f.default, f.name
    for f in dataclasses.fields(LifecycleRules):
        assert BY_NAME[f.name].default == f.default, f.name
    assert BY_NAME["pyramid_shares"].default == TierSettings.pyramid_shares


@pytest.mark.parametrize("typed", ["overall_scale", "Overall Scale", "overall-scale",
                                   "OVERALL_SCALE", "ｏｖｅｒａｌｌ　ｓｃａｌｅ", "总体满意度量表"])
def test_keys_match_like_headers(typed):
    assert canonical_setting(typed) == "overall_scale"
    # the survey used to ignore anything but the exact key
    assert SurveySettings.from_settings(sheet((typed, 7))).overall_scale == 7


def test_one_value_reads_the_same_for_every_feature():
    frame = sheet(("Fiscal Year Start", "4"), ("Satisfaction Threshold", "4.2"))
    assert report_settings(frame).fiscal_year_start == 4
    assert year_end_month(frame) == 3
    assert report_settings(frame).actions.satisfaction_threshold == 4.2
    assert SurveySettings.from_settings(frame).satisfaction_threshold == 4.2


@pytest.mark.parametrize(("value", "share"), [("80%", 0.8), (0.8, 0.8), ("0.8", 0.8),
                                              ("８０％", 0.8), ("80 %", 0.8)])
def test_a_share_is_a_fraction_or_a_percentage(value, share):
    assert tier_settings(sheet(("abc_a", value))).abc_a == pytest.approx(share)
    assert report_settings(sheet(("abc_a", value))).tiers.abc_a == pytest.approx(share)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("abc_a", "80", "expected a share above 0 and at most 1, as a fraction (0.8) or a "
                    "percentage (80%)"),
    ("complaint_target_days", "十四天", "expected a number >= 0"),
    ("complaint_target_days", "80%", "expected a number >= 0 (no % sign: it is not a share)"),
    ("overall_scale", "1,000", "expected a whole number from 2 to 100"),
    ("nps_promoter_min", "8.5", "expected a whole number from 1 to 10"),
    ("as_of", "31/10/2026", "expected a date such as 2026-10-31"),
    ("report_language", "fr", "expected en or zh"),
    ("sender_email", "Reports <r@example.com>", "expected an e-mail address"),
])
def test_a_bad_value_names_its_row_and_what_was_expected(key, value, expected):
    frame = sheet(("currency", "CNY"), (key, value))
    problems = read_settings(frame).problems()
    assert [(p.sheet, p.row, p.column) for p in problems] == [("Settings", 3, "value")]
    text = str(problems[0])
    assert text.startswith(f"sheet 'Settings', row 3, column 'value': setting {key!r}: "
                           f"{expected}")
    assert text.endswith(f" (found {value!r})")


def test_thousands_separators_follow_the_contract():
    assert tier_settings(sheet(("inactive_days", "1,000"))).lifecycle.inactive_days == 1000
    assert report_settings(sheet(("complaint_target_days", "1,000"))
                           ).actions.complaint_target_days == 1000


def test_every_bad_value_is_reported_at_once():
    frame = sheet(("abc_a", "lots"), ("inactive_days", "-5"), ("overall_scale", "five"),
                  ("fiscal_year_start", "13"), ("currency", "CNY"))
    with pytest.raises(InputError) as caught:
        report_settings(frame)
    assert [p.row for p in caught.value.problems] == [2, 3, 4, 5]


def test_an_unknown_key_is_a_warning_with_the_closest_key():
    s = read_settings(sheet(("company_name", "Acme"), ("compnay name zh", "北风"),
                            ("fiscal_year_begin", 4), ("colour", "blue")))
    assert [str(w) for w in s.warnings] == [
        "sheet 'Settings', row 3, column 'key': unknown setting `compnay name zh` on row 3: "
        "did you mean `company_name_zh`?",
        "sheet 'Settings', row 4, column 'key': unknown setting `fiscal_year_begin` on row 4: "
        "did you mean `fiscal_year_start`?",
        "sheet 'Settings', row 5, column 'key': unknown setting `colour` on row 5; it is not "
        "read (the README's Settings table lists every key)"]
    assert all(w.severity == "warning" for w in s.warnings)


def test_a_key_given_twice_under_an_alias_is_a_warning_and_the_last_row_counts():
    s = read_settings(sheet(("currency", "USD"), ("币种", "EUR")))
    assert s.get("currency") == "EUR"
    assert "given rows 2 and 3" in str(s.warnings[0])


def test_blank_values_and_no_sheet_take_the_defaults():
    assert tier_settings(sheet(("abc_a", None), ("abc_b", "  "))) == TierSettings()
    assert report_settings(None) == ReportSettings()
    assert random_index_table(None) == "saaty1980"


def test_mail_reads_its_keys_through_the_one_reader():
    frame = sheet(("Sender Email", "crm@example.com"), ("公司名称", "Acme"),
                  ("SMTP Server", "smtp.example.com:587"), ("smtp starttls", "否"))
    sender = read_sender(frame)
    assert (sender.email, sender.name) == ("crm@example.com", "Acme")
    transport = transport_from_settings(frame)
    assert (transport.host, transport.port, transport.starttls) == ("smtp.example.com", 587,
                                                                     False)
    with pytest.raises(InputError) as caught:
        read_sender(sheet(("sender_email", "nobody")))
    assert (caught.value.row, caught.value.column) == (2, "value")
