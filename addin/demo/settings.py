"""The demo's Distribution and Settings sheets: who receives the regional reports, and the
workbook settings the add-in reads (company, currency, as-of date, thresholds)."""

from __future__ import annotations

from addin.demo.vocabulary import (
    COMPANY_NAME,
    DEMO_AS_OF,
)

DISTRIBUTION = (
    ("Emily Carter", "emily.carter@example.com", "region: North", "en"),
    ("王丽华", "wang.lihua@example.com", "region: East", "zh"),
    ("陈志强", "chen.zhiqiang@example.com", "region: South", "zh"),
    ("Robert Hughes", "robert.hughes@example.com", "region: West", "en"),
)

SETTINGS = (
    ("company_name", COMPANY_NAME),
    ("company_name_zh", "北风工业供应有限公司"),
    ("currency", "CNY"),
    ("as_of", DEMO_AS_OF),
    ("fiscal_year_start", "01"),
    ("abc_a", 0.8),
    ("abc_b", 0.95),
    ("pyramid_shares", "0.01,0.04,0.15,0.80"),
    ("pyramid_labels", "VIP,Key,Standard,Small"),
    ("key_account_tiers", "VIP,Key"),
    ("complaint_target_days", 14),
    ("satisfaction_threshold", 3.5),
    ("nps_promoter_min", 9),
    ("nps_detractor_max", 6),
    ("inactive_days", 180),
    ("report_language", "en"),
    ("sender_email", "crm-reports@example.com"),
)
