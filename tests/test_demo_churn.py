"""The demo's planted lost accounts (``addin.demo.churners``, workbooks/README.md "Lost
accounts"): their causes read from the demo's own sheets, and what the churn analysis makes of
them: the loss rule names them (and only the generator's own churners besides, in the VIP, Key
and Standard tiers), the reasons show the long-open complaints, the win-back list ranks them by
the value at stake, and the portfolio summary's churn section lists them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from addin.demo import DEMO_AS_OF, DEMO_SEED, demo_workbook_path
from addin.workbook import load_crm_workbook

AS_OF = pd.Timestamp(DEMO_AS_OF)
# the planted accounts as workbooks/README.md lists them: id -> name
PLANTED_KEY = {"C01231": "Kingfisher Distribution Limited",
               "C00476": "Horizon Building Materials Ltd",
               "C01499": "Jade Vehicle Components Corp."}
PLANTED_STANDARD = {"C01606": "Mountain View Technologies Co.",
                    "C01125": "Lotus Construction Group",
                    "C00814": "上海昌盛科技股份有限公司",
                    "C01659": "Fairway Solar Co., Ltd."}
PLANTED = {**PLANTED_KEY, **PLANTED_STANDARD}


@pytest.fixture(scope="module")
def wb():
    return load_crm_workbook(demo_workbook_path())


@pytest.fixture(scope="module")
def report(wb):
    from addin.jobs.churn import churn_workbook

    return churn_workbook(wb)


def _purchase_days(tx: pd.DataFrame, cid: str) -> pd.Series:
    """Net amount per day of the customer's lines, the days that net to >= 0."""
    mine = tx[tx["customer_id"] == cid]
    net = mine.groupby(mine["date"].dt.normalize())["amount"].sum()
    return net[net >= 0]


def test_the_planted_accounts_and_their_causes_in_the_sheets(wb):
    customers = wb.get("Customers").drop_duplicates("customer_id").set_index("customer_id")
    tx, contacts = wb.get("Transactions"), wb.get("Contacts")
    complaints, survey = wb.get("Complaints"), wb.get("Survey")
    for cid, name in PLANTED.items():
        assert customers.loc[cid, "name"] == name
        days = _purchase_days(tx, cid)
        last = days.index.max()
        silent = (AS_OF - last).days
        usual = float(np.median(np.diff(days.index.to_numpy()).astype("timedelta64[D]")
                                .astype(int)))
        # silent for 4 to 8 months: more than 3 usual gaps and more than the 90-day floor
        assert 120 <= silent <= 240 and silent > max(3 * usual, 90), (cid, silent, usual)
        # nothing after the last order: no line, no contact
        assert tx.loc[tx["customer_id"] == cid, "date"].max() == last
        mine = contacts[contacts["customer_id"] == cid]
        assert mine["date"].max() < last - pd.Timedelta(days=30)
        # one contact person in its last year: its account manager
        year = mine[mine["date"] > last - pd.Timedelta(days=365)]
        assert set(year["staff"]) == {customers.loc[cid, "account_manager"]}
        # two high-severity complaints in the 120 days before the last order, one of them
        # still open at the month end, so open over 30 days when the account went quiet
        c = complaints[(complaints["customer_id"] == cid)
                       & (complaints["opened"] > last - pd.Timedelta(days=120))]
        high = c[c["severity"].isin(["High", "Critical"])]
        assert len(high) >= 2, cid
        still_open = high[high["closed"].isna()]
        assert len(still_open) >= 1 and (still_open["status"] == "Open").all()
        assert (last + pd.Timedelta(days=91) - still_open["opened"]).dt.days.min() > 30
        # its survey answers (where it answered) are low: overall 2, a detractor's NPS
        answers = survey[survey["customer_id"] == cid]
        assert (answers["overall"] == 2).all() and (answers["nps"] <= 6).all()
    # the order size falls before the end: the three key accounts' lines of their last 90
    # days average under three quarters of their lines before their last 150 days
    for cid in PLANTED_KEY:
        lines = tx[(tx["customer_id"] == cid) & (tx["amount"] > 0)]
        last = lines["date"].max()
        late = lines[lines["date"] > last - pd.Timedelta(days=90)]["amount"].mean()
        early = lines[lines["date"] <= last - pd.Timedelta(days=150)]["amount"].mean()
        assert late < 0.75 * early, (cid, late, early)


def _generator_churners() -> set[str]:
    """The customers the generator itself lets thin out and stop (addin.demo.activity)."""
    from addin.demo.activity import _transactions
    from addin.demo.customers import _customers

    rng = np.random.default_rng(DEMO_SEED)
    cust = _customers(rng)
    tx = _transactions(rng, cust)
    return {cust["ids"][i] for i in np.flatnonzero(tx["churn"])}


def test_the_loss_rule_names_the_planted_accounts(report):
    a = report.accounts
    tier = report.tiers["pyramid_tier"].reindex(a.index)
    assert a.loc[list(PLANTED), "lost"].all()
    assert set(tier[list(PLANTED_KEY)]) <= {"VIP", "Key"}
    assert set(tier[list(PLANTED_STANDARD)]) == {"Standard"}
    # besides them, the lost VIP, Key and Standard accounts are the generator's own churners
    upper = a.index[a["lost"] & tier.isin(["VIP", "Key", "Standard"])]
    others = set(upper) - set(PLANTED)
    assert others and others <= _generator_churners()
    # the loss date: the last purchase + max(3 x usual gap, 90) + 1 day
    p = a.loc[list(PLANTED)]
    expected = p["last_purchase"] + pd.to_timedelta(
        np.floor(np.fmax(3 * p["usual_gap_days"], 90)) + 1, unit="D")
    assert (p["loss_date"] == expected).all()


def test_the_reasons_show_the_long_open_complaints(report):
    f = report.factors.loc[list(PLANTED)]
    assert (f["open_complaint_30d"] == 1).all() and (f["high_severity_complaint"] == 1).all()
    assert (f["single_contact"] == 1).all()
    row = report.comparison.set_index("factor").loc["open_complaint_30d"]
    assert row["significant"] and row["lost_value"] > 3 * row["retained_value"]
    assert row["effect_low"] > 1  # the odds ratio's 95 % interval lies above 1
    assert any(line.startswith("accounts with a complaint open over 30 days were lost with")
               for line in report.findings())


def test_the_winback_list_ranks_them_by_value_at_stake(wb, report):
    w = report.winback.set_index("customer_id")
    assert set(PLANTED_KEY) <= set(w.index)
    assert (w.loc[list(PLANTED_KEY), "status"] == "lost").all()
    # value at stake: the larger of the CLV and the net revenue of the 365 days up to the
    # last purchase, worked here from the Transactions sheet
    tx = wb.get("Transactions")
    clv = report.tiers["clv"].fillna(0.0)
    for cid in PLANTED_KEY:
        days = _purchase_days(tx, cid)
        last = days.index.max()
        year = days[days.index > last - pd.Timedelta(days=365)].sum()
        assert w.loc[cid, "value_at_stake"] == pytest.approx(max(year, clv[cid]))
    assert report.winback["value_at_stake"].is_monotonic_decreasing
    ranked = [c for c in report.winback["customer_id"] if c in PLANTED_KEY]
    by_value = sorted(PLANTED_KEY, key=lambda c: -w.loc[c, "value_at_stake"])
    assert ranked == by_value


def test_the_summary_churn_section_lists_them(report):
    from addin.reports.churn import churn_section

    section = churn_section(report)
    names = [r["name"] for r in section["winback"]]
    assert set(PLANTED_KEY.values()) <= set(names)
    assert "open_complaint_30d" in {r["factor"] for r in section["reasons"]}
