"""The seven satisfaction indicators and the satisfaction x loyalty matrix on a few rows
written out here, worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from addin.surveys import (
    Exclusions,
    loyalty_counts,
    orders_per_customer,
    satisfaction_indicators,
    satisfaction_loyalty,
)

D = pd.Timestamp


def _transactions():
    return pd.DataFrame({
        "customer_id": ["C1", "C1", "C1", "C2", "C2", "C3", "C5", "C5", "C5"],
        "date": [D("2026-01-05"), D("2026-01-05"), D("2026-02-01"), D("2026-01-10"),
                 D("2026-01-20"), D("2025-12-31"), D("2026-03-01"), D("2026-04-01"),
                 D("2026-05-01")],
        "amount": [60.0, 40.0, 50.0, 200.0, -200.0, 300.0, 10.0, 10.0, 10.0],
    })


def _survey():
    return pd.DataFrame({
        "respondent_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
        "customer_id": ["C1", "C1", "C2", "C3", "C4", "C5"],
        "date": [D("2026-02-01")] * 6,
        "overall": [5, 4, 2, 4, "N/A", 3],
        "nps": [10, 9, 3, None, 7, 11],
        "ask_by_name": ["yes", "no", "是", "maybe", None, 1],
    })


def test_orders_are_days_with_a_positive_net_amount():
    orders = orders_per_customer(_transactions(), D("2026-01-01"), D("2026-12-31"))
    # C1: 2026-01-05 (two lines, 100) and 2026-02-01 -> 2; C2: 01-10 (200) is an order, the
    # return on 01-20 (-200) alone is not -> 1; C3 bought only in 2025 -> absent; C5: 3
    assert orders.to_dict() == {"C1": 2, "C2": 1, "C5": 3}


def test_the_seven_indicators_worked_by_hand():
    complaints = pd.DataFrame({"customer_id": ["C2", "C1", "C2"],
                               "opened": [D("2026-03-01"), D("2025-11-01"), D("2026-06-30")]})
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4", "C5"]})
    out = satisfaction_indicators(customers, _transactions(), complaints, _survey(),
                                  start=D("2026-01-01"), end=D("2026-12-31")).set_index(
        "indicator")
    assert list(out.index) == ["reputation", "asking by name", "repurchase rate",
                               "complaint rate", "value per transaction", "price sensitivity",
                               "referral rate"]
    # reputation: overall 5, 4, 2, 4, 3 valid ("N/A" left out); 4-5 of 5: three of five = 60 %
    assert out.loc["reputation", "value"] == pytest.approx(60.0)
    assert "left out: 1 text" in out.loc["reputation", "basis"]
    # asking by name: yes, no, 是, 1 valid ("maybe" text, None blank): yes 3 of 4 = 75 %
    assert out.loc["asking by name", "value"] == pytest.approx(75.0)
    # active customers in 2026: C1 (2 orders), C2 (1), C5 (3): repurchase 2 of 3
    assert out.loc["repurchase rate", "value"] == pytest.approx(200 / 3)
    assert out.loc["repurchase rate", "basis"] == "3 active customers of 5 customers"
    # complaints opened in 2026: 2 (the 2025-11-01 one is outside) per 3 active -> 66.67
    assert out.loc["complaint rate", "value"] == pytest.approx(200 / 3)
    # orders: C1 100 and 50, C2 200, C5 10, 10, 10 -> 380 / 6 = 63.333
    assert out.loc["value per transaction", "value"] == pytest.approx(380 / 6)
    # no price item in this survey: blank
    assert math.isnan(out.loc["price sensitivity", "value"])
    assert out.loc["price sensitivity", "basis"].startswith("not asked")
    # referral: nps 10, 9, 3, 7 valid (None blank, 11 off 0..10): promoters 2 of 4 = 50 %
    assert out.loc["referral rate", "value"] == pytest.approx(50.0)


def test_indicators_blank_where_their_input_is_absent():
    out = satisfaction_indicators(None, None, None, None).set_index("indicator")
    assert out["value"].isna().all()
    assert len(out) == 7


def test_satisfaction_loyalty_quadrants_by_hand():
    result = satisfaction_loyalty(_survey(), _transactions(), threshold=3.5, repeat_min=2,
                                  start=D("2026-01-01"), end=D("2026-12-31"))
    matrix = result.table.set_index("customer_id")
    # C1: overall 5, 4 -> 4.5 satisfied; 2 orders -> loyal: Apostle
    # C2: 2 -> not satisfied; 1 order: Defector
    # C3: 4 satisfied; no order in 2026: Mercenary
    # C4: only "N/A" -> left out
    # C5: 3 not satisfied; 3 orders: Hostage
    assert matrix["quadrant"].to_dict() == {"C1": "Apostle", "C2": "Defector",
                                            "C3": "Mercenary", "C5": "Hostage"}
    assert matrix.loc["C1", "satisfaction"] == pytest.approx(4.5)
    assert matrix.loc["C1", "responses"] == 2
    assert result.excluded == Exclusions(text=1)
    assert result.customers_left_out == 1
    counts = loyalty_counts(matrix.reset_index()).set_index("quadrant")
    assert counts["customers"].to_dict() == {"Apostle": 1, "Mercenary": 1, "Hostage": 1,
                                             "Defector": 1}
    assert counts["share"].sum() == pytest.approx(1.0)


def test_satisfaction_loyalty_needs_customer_ids():
    with pytest.raises(ValueError, match="customer_id"):
        satisfaction_loyalty(pd.DataFrame({"overall": [5]}), _transactions())
