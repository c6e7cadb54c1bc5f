"""Churn analysis of a workbook: what ``crm-addin churn`` and the ribbon's ``churn`` both run.
Reads Customers, Transactions, Complaints, Contacts, Survey and Settings; returns the
``Retention`` and ``Churn`` result sheets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from addin.churn.history import clean_log, purchase_days
from addin.churn.loss import LossRule, account_table, churn_by, churn_rates, lost_accounts
from addin.churn.reasons import (
    account_factors,
    compare_factors,
    logistic_regression,
)
from addin.churn.retention import cohort_retention, retention_matrix
from addin.churn.settings import ChurnSettings, churn_settings
from addin.churn.winback import winback_list
from addin.tiering import tier_customers, tier_settings
from addin.workbook import Chart, CRMWorkbook, ResultTable, Rule

READS = ("Customers", "Transactions", "Complaints", "Contacts", "Survey", "Settings")
RETENTION_SHEET = "Retention"
CHURN_SHEET = "Churn"
GROUPS = {"segment": "segment", "region": "region", "tier": "pyramid_tier",
          "account manager": "account_manager"}
def matrix_table(cells: pd.DataFrame, value: str) -> ResultTable:
    wide = retention_matrix(cells, value)
    months = [c for c in wide.columns if str(c).startswith("m") and str(c)[1:].isdigit()]
    return ResultTable(wide, formats={m: "0%" for m in months},
                       rules=[Rule(m, "heatmap") for m in months])


@dataclass
class ChurnReport:
    """Everything the ``Retention`` and ``Churn`` sheets show."""

    path: Path | None
    as_of: pd.Timestamp
    settings: ChurnSettings
    tiers: pd.DataFrame
    accounts: pd.DataFrame
    cohorts: pd.DataFrame
    periods: pd.DataFrame
    by_group: dict[str, pd.DataFrame]
    factors: pd.DataFrame
    comparison: pd.DataFrame
    regression: pd.DataFrame
    regression_note: str
    winback: pd.DataFrame
    by: str | None = None
    key_tiers: tuple[str, ...] = field(default_factory=tuple)

    def headline(self) -> pd.DataFrame:
        a, s = self.accounts, self.settings
        last = self.periods.iloc[-1]
        rows = [
            ("as of", self.as_of.date().isoformat()),
            ("loss rule", s.loss_rule),
            ("k (loss_gap_factor)", s.loss_gap_factor),
            ("alive threshold", s.alive_threshold),
            ("portfolio median gap (days)", float(a.loc[a["gap_source"] == "own",
                                                        "usual_gap_days"].median())),
            ("accounts that bought", len(a)),
            ("lost", int(a["lost"].sum())),
            ("at risk", int(a["at_risk"].sum())),
            (f"churn rate {last['period']}", float(last["churn_rate"])),
            (f"revenue churn rate {last['period']}", float(last["revenue_churn_rate"])),
            ("key accounts to win back", len(self.winback)),
            ("value at stake", float(self.winback["value_at_stake"].sum())
             if len(self.winback) else 0.0),
        ]
        values = ["" if isinstance(v, float) and np.isnan(v) else v for _, v in rows]
        return pd.DataFrame({"measure": [m for m, _ in rows],
                             "value": pd.Series(values, dtype=object)})

    def findings(self) -> list[str]:
        """The plain-language lines: each significant factor, else why there is none."""
        sig = self.comparison[self.comparison["significant"]]
        lines = list(sig["conclusion"])
        if not lines:
            few = self.comparison["conclusion"].str.startswith("too few").all()
            lines = ["too few lost or retained accounts to conclude" if few or
                     self.comparison.empty else "no factor differs clearly between lost and "
                     "retained accounts"]
        if self.regression_note:
            lines.append("regression: " + self.regression_note)
        return lines

    def curve(self) -> pd.DataFrame:
        """The average retention curve: per month since acquisition, the cohorts' shares
        weighted by cohort size, and the pooled net revenue retention."""
        c = self.cohorts
        g = c.groupby("months_since")
        base = c[c["months_since"] == 0].set_index("cohort")["revenue"]
        rev0 = c["cohort"].map(base)
        ok = rev0 > 0
        return pd.DataFrame({
            "months_since": g.size().index.astype(np.int64),
            "cohorts": g.size().to_numpy().astype(np.int64),
            "active_share": (g["active"].sum() / g["cohort_size"].sum()).to_numpy(),
            "net_revenue_retention": (c[ok].groupby("months_since")["revenue"].sum()
                                      / rev0[ok].groupby(c.loc[ok, "months_since"]).sum())
            .reindex(g.size().index).to_numpy(),
        })

    def summary_lines(self) -> list[str]:
        a = self.accounts
        last = self.periods.iloc[-1]
        return [f"{len(a):,} accounts as of {self.as_of.date()}: {int(a['lost'].sum()):,} lost, "
                f"{int(a['at_risk'].sum()):,} at risk; churn {last['period']} "
                f"{last['churn_rate']:.1%} ({last['lost']} of {last['at_risk']})",
                *self.findings()]

    def result_sheets(self) -> dict[str, list[ResultTable]]:
        """``Retention``: the cohort matrices (share still buying, net revenue retention) as
        heat maps and the average curve with a line chart. ``Churn``: the headline, the churn
        rate per period with a chart, per group, why they left, the regression, the win-back
        list and every account's loss test."""
        share = "0.0%"
        cohort_title = " by " + self.by if self.by else ""
        curve = self.curve()
        retention = [
            ResultTable(pd.DataFrame({"measure": ["as of", "cohorts", "customers"],
                                      "value": pd.Series([
                                          self.as_of.date().isoformat(),
                                          int(self.cohorts["cohort"].nunique()),
                                          int(self.cohorts.drop_duplicates(
                                              [c for c in ("group", "cohort")
                                               if c in self.cohorts.columns])[
                                              "cohort_size"].sum())], dtype=object)}),
                        "Cohort retention"),
        ]
        first = matrix_table(self.cohorts, "active_share")
        first.title = "Share of each cohort still buying" + cohort_title
        second = matrix_table(self.cohorts, "net_revenue_retention")
        second.title = "Net revenue retention" + cohort_title
        retention += [first, second, ResultTable(
            curve, "Average retention curve",
            formats={"active_share": share, "net_revenue_retention": share},
            chart=Chart("line", x="months_since", y=["active_share", "net_revenue_retention"],
                        title="Retention by months since the first order",
                        x_title="months since the first order", y_title="share"))]
        # the charted columns side by side: classic xlwings charts one block of columns
        first = ["period", "start", "end", "at_risk", "lost", "churn_rate", "revenue_churn_rate"]
        rates = self.periods[first + [c for c in self.periods.columns if c not in first]]
        churn = [
            ResultTable(self.headline(), "Churn"),
            ResultTable(rates, f"Churn rate per {self.settings.churn_period}",
                        formats={c: share for c in rates.columns if "churn" in c},
                        chart=Chart("line", x="period", y=["churn_rate", "revenue_churn_rate"],
                                    title="Churn rate", x_title=self.settings.churn_period,
                                    y_title="share lost")),
        ]
        for label, table in self.by_group.items():
            churn.append(ResultTable(table.rename(columns={"group": label}),
                                     f"Churn in the last 12 months by {label}",
                                     formats={c: share for c in table.columns if "churn" in c},
                                     rules=[Rule("churn_rate", "databar")]))
        churn += [
            ResultTable(pd.DataFrame({"finding": self.findings()}), "What the data say"),
            ResultTable(self.comparison.drop(columns=["factor"]), "Why they left: lost vs "
                        "retained accounts of the same tiers"),
            ResultTable(self.regression if len(self.regression) else pd.DataFrame(
                {"note": [self.regression_note]}), "Logistic regression (odds of being lost)"),
            ResultTable(self.winback if len(self.winback) else pd.DataFrame(
                {"note": ["no lost or at-risk key account"]}), "Win-back list",
                formats={"prob_alive": share},
                rules=[Rule("value_at_stake", "databar")] if len(self.winback) else []),
            ResultTable(account_table(self.accounts), "Accounts",
                        formats={"prob_alive": share}),
        ]
        return {RETENTION_SHEET: retention, CHURN_SHEET: churn}


def churn_workbook(wb: CRMWorkbook, as_of: object = None, by: str | None = None
                   ) -> ChurnReport:
    """The churn analysis of a loaded workbook as of ``as_of`` (default: the ``as_of``
    setting, else the last order). ``by`` (segment, region or tier) splits the cohorts.
    Bad settings or too little history raise InputError naming the setting or sheet."""
    return churn_analysis(wb.sheets, as_of, by, names=wb.names, path=wb.path)


def churn_analysis(sheets: Mapping[str, pd.DataFrame], as_of: object = None,
                   by: str | None = None, *, names: Mapping[str, str] | None = None,
                   path: Path | None = None, tiers: pd.DataFrame | None = None) -> ChurnReport:
    """:func:`churn_workbook` on the contract sheets (``CRMWorkbook.sheets``); ``names`` maps
    contract names to the workbook's own sheet names (for messages); ``tiers`` reuses a
    :func:`~addin.tiering.tier_customers` table computed as of the same day with the same
    loss rule (the reports have one)."""
    names = names or {}
    settings_sheet = sheets.get("Settings")
    sheet_name = names.get("Settings", "Settings")
    tier_cfg = tier_settings(settings_sheet, sheet_name)
    cfg = churn_settings(settings_sheet, sheet_name)
    rule = LossRule.from_settings(cfg)
    log = clean_log(sheets.get("Transactions"), names.get("Transactions", "Transactions"))
    end = pd.Timestamp(as_of) if as_of is not None else (
        cfg.as_of if cfg.as_of is not None else pd.Timestamp(log["day"].max()))
    if tiers is None:
        tiers = tier_customers(sheets.get("Customers"), sheets.get("Transactions"), tier_cfg,
                               as_of=end, loss=rule).table
    # once, for the loss rule and the order-size trend
    days, revenue = purchase_days(log, end, with_revenue=True)
    accounts = lost_accounts(log, end, rule, tiers["prob_alive"], days=days, revenue=revenue)
    groups = None
    if by is not None:
        column = GROUPS["tier" if by == "tier" else by]
        groups = tiers[column] if column in tiers.columns else None
    cohorts = cohort_retention(log, end, groups)
    periods = churn_rates(log, accounts, end, cfg.churn_period, cfg.churn_periods)
    by_group = {label: churn_by(log, accounts, tiers[column], end)
                for label, column in GROUPS.items() if column in tiers.columns
                and tiers[column].notna().any()}

    reference = accounts["loss_date"].where(accounts["lost"], end)
    factors = account_factors(reference, complaints=sheets.get("Complaints"),
                              contacts=sheets.get("Contacts"), survey=sheets.get("Survey"),
                              log=log, window=cfg.reason_window_days, days=days)
    # compare within the tiers that lost accounts: retained accounts of other tiers are left out
    tier = tiers["pyramid_tier"].reindex(accounts.index)
    lost_tiers = set(tier[accounts["lost"]])
    same = tier.isin(lost_tiers)
    comparison = compare_factors(factors[same], accounts.loc[same, "lost"])
    regression, note = logistic_regression(factors[same], accounts.loc[same, "lost"], tier[same])
    winback = winback_list(accounts, tiers, factors, tier_cfg.key_account_tiers)
    return ChurnReport(path, end, cfg, tiers, accounts, cohorts, periods, by_group, factors,
                       comparison, regression, note, winback, by, tier_cfg.key_account_tiers)
