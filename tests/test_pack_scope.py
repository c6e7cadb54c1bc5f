"""An executive's pack shows the portfolio summary of their scope beside the company's
(issue 14, build 1). A scope is a filter on customers (``addin.mail.scope``); the figures of
``addin.reports.summary.scope_comparison`` are checked against sums worked by hand on the small
workbook of report_helpers (month 2026-10, as of 2026-10-31, fiscal year from January):

    customer  region  2026-10          2026-01..10 (YTD)        2025-01..10 (YTD last year)
    A         North   400+100+600=1100 2000+1100=3100, margin   1000+500+300=1800
                                       500+80+20+150=750
    B         South   1500             1500, margin 300         1000
    C         East    0                700, margin 140          0

Scope ``region: North, East`` = A and C:
    revenue this month   1100          company 2600
    year to date         3100+700=3800 company 5300
    change               3800/1800-1 = 1.1111    company 5300/2800-1 = 0.892857
    margin year to date  750+140=890   company 1190

Survey answers of the last 12 months (after 2025-10-31): A 10, 9, 3 (overall 3, 2, 4);
B "N/A", 8 (overall 5, 4); the 2025-05-01 answer is older. NPS = promoters (9-10) minus
detractors (0-6) over valid answers: scope (2-1)/3 = 33.33 (n 3), company (2-1)/4 = 25.00
(n 4). CSAT = share of 4-5 on the 5-point scale: scope 1/3 = 33.33 % (n 3), company
(1+2)/5 = 60.00 % (n 5). Next actions: A triggers rules, C triggers rules, B none (see
test_pack), so key accounts needing attention are 2 in both.
"""

from __future__ import annotations

import dataclasses
import io

import pytest
from conftest import write_xlsx
from pypdf import PdfReader
from report_helpers import crm_rows

from addin.jobs.report import scorecard_for_month
from addin.mail.scope import parse_scope, plan_scope
from addin.reports.month import prepare_reports
from addin.reports.pack import PackPlan, pack_context
from addin.reports.summary import scope_comparison, scope_summary_context, summary_context
from addin.workbook import load_crm_workbook

MONTH = "2026-10"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    # min_survey_answers 3: the scope's three answers give a score (the default of 10 would
    # withhold it; test_a_scope_s_score_from_too_few_answers_is_withheld)
    rows = crm_rows(settings={"key_account_tiers": "VIP,Key,Standard,Small",
                              "min_survey_answers": 3})
    book = write_xlsx(tmp_path_factory.mktemp("scope") / "crm.xlsx", rows)
    wb = load_crm_workbook(book)
    card, by_period = scorecard_for_month(wb, MONTH)
    return prepare_reports(wb.sheets, MONTH, scorecard=card, scorecard_by_period=by_period)


def _rows(comparison):
    return {r["key"]: (r["scope"], r["company"]) for r in comparison["rows"]}


def test_a_scope_is_a_filter_on_customers(data):
    def chosen(text):
        return plan_scope(*_read(text)).customers(data.tiers)

    def _read(text):
        scope = parse_scope(text)
        return scope.everything, [(c.kind, c.values) for c in scope.clauses]

    assert chosen("region: North, East") == ["A", "C"]
    assert chosen("region: south; account: c") == ["B", "C"]  # a union, case ignored
    assert chosen("segment: SMB") == ["B", "C"]
    assert chosen("all") == ["A", "B", "C"]
    assert chosen("") == []


def test_two_regions_beside_the_company_worked_by_hand(data):
    rows = _rows(scope_comparison(data, ["A", "C"]))
    assert rows["revenue_month"] == (1100.0, 2600.0)
    assert rows["revenue_ytd"] == (3800.0, 5300.0)
    assert rows["revenue_yoy"][0] == pytest.approx(3800 / 1800 - 1)
    assert rows["revenue_yoy"][1] == pytest.approx(5300 / 2800 - 1)
    assert rows["margin_ytd"] == (890.0, 1190.0)
    assert rows["customers"] == (2, 3)
    assert rows["buyers_head"] == (2, 3)
    assert rows["key_accounts"] == (2, 3)
    assert rows["accounts_at_risk"] == (2, 2)
    assert rows["nps"][0] == pytest.approx(100 / 3) and rows["nps"][1] == pytest.approx(25.0)
    assert rows["nps_answers"] == (3, 4)
    assert rows["csat"][0] == pytest.approx(100 / 3) and rows["csat"][1] == pytest.approx(60.0)
    assert rows["csat_answers"] == (3, 5)


def test_a_scope_s_score_from_too_few_answers_is_withheld(data):
    """The comparison follows min_survey_answers as the summary and the reviews do: with 4
    answers required, the scope's 3 NPS answers read "too few", the company's 4 a score."""
    strict = dataclasses.replace(data, settings=dataclasses.replace(data.settings,
                                                                    min_survey_answers=4))
    rows = {r["key"]: r for r in scope_comparison(strict, ["A", "C"])["rows"]}
    scope, company = rows["nps"]["blocks"]
    assert rows["nps"]["scope"] is None and scope["too_few"] and scope["n"] == 3
    assert not company["too_few"] and company["score"] == pytest.approx(25.0)
    assert rows["nps_answers"]["scope"] == 3
    assert rows["csat"]["scope"] is None and rows["csat"]["company"] == pytest.approx(60.0)


def test_tiers_of_the_scope_add_up_to_its_customers_and_revenue(data):
    tiers = scope_comparison(data, ["A", "C"])["tiers"]
    assert sum(r["scope_customers"] for r in tiers) == 2
    assert sum(r["company_customers"] for r in tiers) == 3
    assert sum(r["scope_revenue_ytd"] for r in tiers) == pytest.approx(3800.0)
    assert sum(r["company_revenue_ytd"] for r in tiers) == pytest.approx(5300.0)
    for r in tiers:  # each tier holds the customers the tiering put there
        expected = {c for c in ("A", "C") if data.tiers.at[c, "pyramid_tier"] == r["tier"]}
        assert r["scope_customers"] == len(expected)


def test_churn_rows_count_the_scope_s_lost_and_at_risk_customers(data):
    churned = dataclasses.replace(data, churn={**data.churn, "lost_ids": ["A", "B"],
                                               "at_risk_ids": ["C"]})
    rows = _rows(scope_comparison(churned, ["A", "C"]))
    assert rows["lost_customers"] == (1, 2)
    assert rows["at_risk_customers"] == (1, 1)
    without = dataclasses.replace(data, churn={k: v for k, v in data.churn.items()
                                               if not k.endswith("_ids")})
    assert "lost_customers" not in _rows(scope_comparison(without, ["A", "C"]))


def test_the_scope_s_summary_is_cut_to_its_customers(data):
    scoped = scope_summary_context(data, ["A", "C"], "en")
    company = summary_context(data, "en")
    assert scoped["headline"]["revenue_ytd"] == 3800.0
    assert company["headline"]["revenue_ytd"] == 5300.0
    assert [r["customer_id"] for r in scoped["top"]] == \
        [r["customer_id"] for r in company["top"] if r["customer_id"] in ("A", "C")]
    assert {r["customer_id"] for r in scoped["at_risk"]} <= {"A", "C"}
    assert scoped["survey"]["nps"]["n"] == 3


@pytest.mark.parametrize("lang, heads, ytd", [
    ("en", ("Your scope", "Whole company"), ("CN¥3,800", "CN¥5,300")),
    ("zh", ("您的范围", "全公司"), ("¥3,800", "¥5,300")),
])
def test_the_pack_shows_both_columns(data, lang, heads, ytd):
    from addin.reports.render import Renderer
    from addin.reports.review import review_context

    plan = PackPlan(2, "Reader", "reader@example.com", lang, "region: North, East",
                    accounts=["A", "C"], clauses=[("regions", ("North", "East"))])
    ctx = pack_context(data, plan, summary_context(data, lang),
                       [review_context(data, c, lang) for c in plan.accounts])
    cover = {n["key"]: (n["scope"], n["company"]) for n in ctx["numbers"]}
    assert cover["revenue_ytd"] == (3800.0, 5300.0)  # the cover and the summary agree
    assert ctx["summary"]["compare"]["customers"] == 2
    pdf = Renderer().render(ctx)
    summary_pages = "\n".join(_text_page(pdf, i) for i in range(2, 5))
    for word in (*heads, *ytd):
        assert word in summary_pages, word


def _text_page(pdf: bytes, index: int) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    if index >= len(reader.pages):
        return ""
    return reader.pages[index].extract_text()
