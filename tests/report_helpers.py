"""A small CRM workbook whose report numbers are worked out by hand in the tests.

Three customers. The month is 2026-10 (as of 2026-10-31); the fiscal year starts in January.
Customer A's lines (date, amount, margin):

    2025-01-10 1000 200 | 2025-10-05 500 100 | 2025-10-20 300 60 | 2026-03-15 2000 500
    2026-10-03  400  80 | 2026-10-03 100  20 | 2026-10-25 600 150

B: 2025-10-12 1000 250, 2026-10-10 1500 300. C: 2024-12-15 50 10, 2026-02-01 700 140.
"""

from __future__ import annotations

import datetime as dt

D = dt.datetime

CUSTOMERS_HEADER = ["customer_id", "name", "industry", "region", "segment", "account_manager",
                    "credit_level", "size", "since", "email", "phone"]


def crm_rows(name_a: str = "Alpha Trading Co.", company: str = "Alpha & Omega Supply",
             settings: dict | None = None) -> dict[str, list[list]]:
    """The sheets of the small workbook, for ``make_xlsx``."""
    base_settings = {"company_name": company, "company_name_zh": "阿尔法欧米伽供应",
                     "currency": "CNY", "as_of": "2026-10-31", "complaint_target_days": 14,
                     "satisfaction_threshold": 3.5, "key_account_tiers": "VIP,Key"}
    base_settings.update(settings or {})
    return {
        "Customers": [
            CUSTOMERS_HEADER,
            ["A", name_a, "Retail", "North", "Enterprise", "Li Wei", "AA", "100-249",
             D(2020, 1, 15), "buyer@alpha.example.com", "+86 10 5555 0101"],
            ["B", "Beta Ltd", "Retail", "South", "SMB", "Zhao Min", "A", "10-49",
             D(2021, 3, 1), None, None],
            ["C", "Gamma GmbH", "Industry", "East", "SMB", "Li Wei", "B", "10-49",
             D(2022, 6, 1), None, None],
        ],
        "Transactions": [
            ["customer_id", "date", "amount", "margin"],
            ["A", D(2025, 1, 10), 1000, 200],
            ["A", D(2025, 10, 5), 500, 100],
            ["A", D(2025, 10, 20), 300, 60],
            ["A", D(2026, 3, 15), 2000, 500],
            ["A", D(2026, 10, 3), 400, 80],
            ["A", D(2026, 10, 3), 100, 20],
            ["A", D(2026, 10, 25), 600, 150],
            ["B", D(2025, 10, 12), 1000, 250],
            ["B", D(2026, 10, 10), 1500, 300],
            ["C", D(2024, 12, 15), 50, 10],
            ["C", D(2026, 2, 1), 700, 140],
        ],
        "Contacts": [
            ["customer_id", "date", "channel", "staff", "subject", "outcome"],
            ["A", D(2026, 9, 1), "Visit", "Li Wei", "Quarterly review", "Follow-up"],
            ["A", D(2026, 7, 15), "Phone", "Li Wei", "Order query", "Resolved"],
            ["A", D(2026, 4, 20), "Email", "Sun Yu", "Price list", "Sent"],
            ["A", D(2026, 10, 20), "WeChat", "Li Wei", "Delivery date", "Confirmed"],
            ["B", D(2026, 10, 1), "Visit", "Zhao Min", "Renewal", "Signed"],
            ["B", D(2026, 9, 15), "Phone", "Qian Hao", "Support", "Resolved"],
        ],
        "Complaints": [
            ["customer_id", "opened", "closed", "category", "severity", "status"],
            ["A", D(2026, 10, 1), None, "Delivery", "High", "Open"],
            ["A", D(2026, 10, 25), None, "Billing", "Low", "Open"],
            ["A", D(2026, 9, 20), D(2026, 10, 5), "Quality", "Medium", "Closed"],
            ["A", D(2026, 3, 1), D(2026, 3, 11), "Billing", "Low", "Closed"],
            ["A", D(2025, 6, 1), None, "Delivery", "Low", "Closed"],
        ],
        "Survey": [
            ["respondent_id", "customer_id", "date", "overall", "nps"],
            ["R1", "A", D(2026, 9, 10), 3, 10],
            ["R2", "A", D(2026, 6, 1), 2, 9],
            ["R3", "A", D(2026, 2, 1), 4, 3],
            ["R4", "A", D(2025, 5, 1), 5, 10],
            ["R5", "B", D(2026, 10, 15), 5, "N/A"],
            ["R6", "B", D(2026, 8, 1), 4, 8],
        ],
        "Settings": [["key", "value"], *[[k, v] for k, v in base_settings.items()]],
    }
