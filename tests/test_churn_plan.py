"""Forecast vs plan: the plan from Settings or from a Scorecard revenue target, worked by hand,
and which one wins when both are there (the Forecast sheet says so)."""

import pandas as pd
import pytest
from conftest import write_xlsx
from test_churn_doors import AS_OF, run, synthetic_log, tables_of

from addin.churn.plan import money_unit, revenue_plan, scorecard_plan

HEADER = ("perspective", "objective", "kpi", "weight", "target", "actual", "unit", "polarity")


def _scorecard(*rows):
    """A Scorecard sheet as read: indexed by Excel row (row 2 is the first KPI)."""
    return pd.DataFrame(list(rows), columns=list(HEADER), index=range(2, 2 + len(rows)))


KEY_REVENUE = ("financial", "Grow", "Revenue from key accounts", 0.5, 30.0, 28.0, "M CNY",
               "higher")
CSAT = ("customer", "Delight", "CSAT", 1.0, 4.2, 4.0, "score (1-5)", "higher")


@pytest.mark.parametrize(("unit", "currency", "expected"), [
    ("M CNY", "CNY", (1e6, 1)),
    ("CNY", None, (1.0, 1)),
    ("万元", "CNY", (1e4, 1)),
    ("亿元/年", "CNY", (1e8, 12)),
    ("k EUR per quarter", "EUR", (1e3, 3)),
    ("RMB million a year", "CNY", (1e6, 12)),
    ("M EUR", "CNY", None),  # not the book's money
    ("% of revenue", "CNY", None),
    ("customers", None, None),
    ("days", None, None),
    (None, "CNY", None),
])
def test_money_units(unit, currency, expected):
    assert money_unit(unit, currency) == expected


def test_a_scorecard_revenue_target_is_the_plan_worked_by_hand():
    sc = _scorecard(KEY_REVENUE, CSAT,
                    ("financial", "Grow", "Total revenue", 0.5, 70.0, 66.0, "M CNY", "higher"))
    plan = scorecard_plan(sc, 12, "CNY")
    # 70 M CNY a month (the Scorecard's periods are months) x 12 months = 840,000,000; the
    # key accounts' revenue (row 2) is a part of the book, not its plan
    assert plan.amount == pytest.approx(840_000_000)
    assert plan.source == "Scorecard row 4: Total revenue"
    # a yearly target: 900 M CNY a year over 6 months = 450,000,000
    yearly = _scorecard(("financial", "Grow", "销售收入", 1.0, 900.0, 410.0, "M CNY per year",
                         None))
    assert scorecard_plan(yearly, 6, "CNY").amount == pytest.approx(450_000_000)


def test_no_plan_from_a_scorecard_without_one_or_with_two():
    assert scorecard_plan(_scorecard(KEY_REVENUE, CSAT), 12, "CNY").amount is None
    assert scorecard_plan(None, 12).amount is None
    # a revenue row whose target is lower-is-better, or in another currency, is no plan
    odd = _scorecard(("financial", "Grow", "Revenue", 1.0, 5.0, 4.0, "M CNY", "lower"),
                     ("financial", "Grow", "Net sales", 1.0, 5.0, 4.0, "M USD", "higher"))
    assert scorecard_plan(odd, 12, "CNY").amount is None
    two = _scorecard(("financial", "Grow", "Revenue", 0.5, 5.0, 4.0, "M CNY", "higher"),
                     ("financial", "Grow", "Sales", 0.5, 6.0, 4.0, "M CNY", "higher"))
    plan = scorecard_plan(two, 12, "CNY")
    assert plan.amount is None
    assert plan.note == ("no Scorecard plan: row 2 (Revenue) and row 3 (Sales) are both "
                         "revenue targets; keep one, or set revenue_plan in Settings")


def test_settings_win_over_the_scorecard():
    sc = _scorecard(("financial", "Grow", "Revenue", 1.0, 0.2, 0.19, "M CNY", "higher"))
    both = revenue_plan(1_000_000.0, sc, 6, "CNY")
    assert (both.amount, both.source) == (1_000_000.0, "Settings revenue_plan")
    assert both.note == ("Settings revenue_plan wins over the Scorecard's plan (Scorecard "
                         "row 2: Revenue: 1,200,000)")
    only = revenue_plan(None, sc, 6, "CNY")
    assert (only.amount, only.source) == (pytest.approx(1_200_000), "Scorecard row 2: Revenue")


def _plan_book(path, settings=()):
    log = synthetic_log(n=70, seed=3, end=AS_OF)
    tx = [("customer_id", "date", "amount")] + [
        (r.customer_id, r.date.to_pydatetime(), round(r.amount, 2)) for r in log.itertuples()]
    scorecard = [HEADER, CSAT,
                 ("financial", "Grow", "Revenue", 1.0, 0.2, 0.19, "M CNY", "higher")]
    return write_xlsx(path, {"Transactions": tx, "Scorecard": scorecard,
                             "Settings": [("key", "value"), ("as_of", AS_OF),
                                          ("currency", "CNY"), ("holdout_months", 3),
                                          *settings]})


def test_forecast_vs_the_scorecard_plan_on_the_sheet(tmp_path):
    out = tmp_path / "out.xlsx"
    result = run("forecast", _plan_book(tmp_path / "sc.xlsx"), "-o", out, "--months", 6)
    assert result.exit_code == 0, result.output
    tables = tables_of(out, "Forecast")
    plan = dict(zip(*tables["Forecast vs plan"], strict=True))
    # the Scorecard's Revenue (Excel row 3): 0.2 M CNY a month x 6 months = 1,200,000
    assert plan["plan"] == pytest.approx(1_200_000)
    assert plan["plan_from"] == "Scorecard row 3: Revenue"
    assert plan["note"] == "target 0.2 M CNY (a month) x 6 months"
    forecast = sum(r[3] for r in tables["Model forecast (existing customers)"][1:])
    assert plan["forecast"] == pytest.approx(forecast)
    assert plan["gap"] == pytest.approx(forecast - 1_200_000)
    assert plan["gap_share"] == pytest.approx((forecast - 1_200_000) / 1_200_000)
    assert "forecast vs plan (Scorecard row 3: Revenue)" in result.output


def test_with_both_plans_the_sheet_says_settings_won(tmp_path):
    out = tmp_path / "out.xlsx"
    path = _plan_book(tmp_path / "both.xlsx", settings=[("revenue_plan", 1_000_000)])
    result = run("forecast", path, "-o", out, "--months", 6)
    assert result.exit_code == 0, result.output
    tables = tables_of(out, "Forecast")
    plan = dict(zip(*tables["Forecast vs plan"], strict=True))
    assert plan["plan"] == 1_000_000 and plan["plan_from"] == "Settings revenue_plan"
    assert plan["note"] == ("Settings revenue_plan wins over the Scorecard's plan (Scorecard "
                            "row 3: Revenue: 1,200,000)")
    headline = {r[0]: r[1] for r in tables["Revenue forecast"][1:]}
    assert headline["plan from"] == "Settings revenue_plan"
    assert headline["plan note"] == plan["note"]
