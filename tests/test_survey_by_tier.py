"""The survey grouped by key-account pyramid tier: the tiering feeds the survey, and the
numbers per tier equal a plain pandas computation over the demo workbook."""

import pandas as pd
import pytest

from addin.demo import demo_workbook_path
from addin.jobs import survey_workbook
from addin.tiering import tier_customers, tier_settings
from addin.workbook import load_crm_workbook


@pytest.fixture(scope="module")
def demo():
    return load_crm_workbook(demo_workbook_path())


def test_by_tier_uses_the_pyramid_when_customers_have_no_tier_column(demo):
    assert "tier" not in demo.get("Customers").columns
    groups = survey_workbook(demo, by="tier").report.groups.set_index("group")

    tiers = tier_customers(demo.get("Customers"), demo.get("Transactions"),
                           tier_settings(demo.get("Settings"))).table["pyramid_tier"]
    survey = demo.get("Survey")
    tier_of = survey["customer_id"].map(tiers)
    assert groups["responses"].to_dict() == tier_of.value_counts().to_dict()

    # NPS of the VIP respondents by hand: valid answers are numbers 0..10; promoters 9-10,
    # detractors 0-6 (the demo's Settings), score = 100 * (P - D) / n.
    answers = pd.to_numeric(survey.loc[tier_of == "VIP", "nps"], errors="coerce")
    valid = answers[answers.between(0, 10)]
    expected = 100 * ((valid >= 9).sum() - (valid <= 6).sum()) / len(valid)
    assert groups.loc["VIP", "nps"] == pytest.approx(expected)


def test_given_tiers_are_used_as_they_are(demo):
    ids = demo.get("Customers")["customer_id"].drop_duplicates()  # the demo plants a same-id pair
    tiers = pd.DataFrame({"pyramid_tier": "Gold"}, index=pd.Index(ids, name="customer_id"))
    groups = survey_workbook(demo, by="tier", tiers=tiers).report.groups
    linked = demo.get("Survey")["customer_id"].isin(tiers.index).sum()
    assert groups.set_index("group").loc["Gold", "responses"] == linked
