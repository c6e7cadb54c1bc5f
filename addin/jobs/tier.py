"""Customer tiering of a workbook: what ``crm-addin tier`` and the ribbon's ``tier_customers``
both run. Reads Customers, Transactions and Settings; returns the ``Tiers`` result sheet."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from addin.contract.units import excel_format
from addin.errors import InputError
from addin.tiering import (
    LIFECYCLE_STAGES,
    RFM_SEGMENTS,
    CustomerTiers,
    NBDFit,
    ParetoPoint,
    TierSettings,
    pareto_point,
    pareto_table,
    tier_customers,
    tier_settings,
)
from addin.workbook import Chart, CRMWorkbook, ResultTable, Rule
from addin.workbook.results import DATE_FORMAT

SHEET = "Tiers"
# the contract sheets this job reads: a command checks only these, so a bad cell elsewhere
# does not stop it
READS = ("Customers", "Transactions", "Settings")
# Columns of the per-customer table, in the order a manager reads them.
CUSTOMER_COLUMNS = (
    "customer_id", "name", "region", "segment", "account_manager", "abc_class", "pyramid_tier",
    "key_account", "rank", "revenue", "value_share", "margin", "orders", "last_purchase",
    "recency_days", "rfm_score", "rfm_segment", "rfm_segment_reconciled", "lifecycle_stage",
    "prob_alive", "clv",
    "relationship_level", "first_purchase", "tenure_days", "frequency", "recency", "T",
    "monetary_value", "expected_purchases", "clv_method",
)


@dataclass
class TierReport:
    """The tiers of every customer (:func:`addin.tiering.tier_customers`) and the settings
    used, with the summaries the ``Tiers`` sheet shows."""

    path: Path | None
    result: CustomerTiers
    settings: TierSettings

    @property
    def tiers(self) -> pd.DataFrame:
        """One row per customer (:attr:`CustomerTiers.table`)."""
        return self.result.table

    @property
    def as_of(self) -> pd.Timestamp | None:
        return self.result.as_of

    @property
    def value_column(self) -> str:
        has_margin = self.tiers["margin"].notna().any()
        return "margin" if self.settings.tier_by == "margin" and has_margin else "revenue"

    def pareto(self) -> ParetoPoint:
        return pareto_point(self.tiers[self.value_column])

    def _group(self, column: str, order: list[str]) -> pd.DataFrame:
        t = self.tiers
        n = len(t)
        total = t["revenue"].clip(lower=0).sum()
        grouped = t.groupby(column, sort=False).agg(
            customers=("revenue", "size"), revenue=("revenue", "sum"),
            margin=("margin", "sum"))
        grouped = grouped.reindex([o for o in order if o in grouped.index]
                                  + [g for g in grouped.index if g not in order])
        grouped["customers"] = grouped["customers"].fillna(0).astype(np.int64)
        grouped["customer_share"] = grouped["customers"] / n if n else 0.0
        grouped["revenue_share"] = grouped["revenue"] / total if total > 0 else np.nan
        if t["margin"].isna().all():
            grouped = grouped.drop(columns="margin")
        out = grouped.reset_index().rename(columns={column: column.replace("_", " ")})
        first = ["customers", "customer_share", "revenue", "revenue_share"]
        rest = [c for c in out.columns if c not in first]
        return out[[rest[0], *first, *rest[1:]]]

    def by_abc(self) -> pd.DataFrame:
        """Customers and revenue per ABC class (A, B, C)."""
        return self._group("abc_class", ["A", "B", "C"])

    def by_tier(self) -> pd.DataFrame:
        """Customers and revenue per pyramid tier, top tier first."""
        return self._group("pyramid_tier", list(self.settings.pyramid_labels))

    def by_segment(self) -> pd.DataFrame:
        """Customers and revenue per RFM segment, in the rule table's order."""
        return self._group("rfm_segment", [s.name for s in RFM_SEGMENTS])

    def by_stage(self) -> pd.DataFrame:
        """Customers and revenue per life-cycle stage, with the stages' Chinese names."""
        out = self._group("lifecycle_stage", list(LIFECYCLE_STAGES))
        out.insert(1, "阶段", out["lifecycle stage"].map(LIFECYCLE_STAGES))
        return out

    def pareto_curve(self) -> pd.DataFrame:
        """The Pareto curve at each whole percent of customers: the top ceil(p n) customers
        and their share of the value, from the origin (0 customers, 0 value)."""
        table = pareto_table(self.tiers[self.value_column])
        n = len(table)
        if n == 0:
            return pd.DataFrame({"customer_share": [], "customers": [], "value_share": []})
        counts = np.unique(np.ceil(np.round(np.arange(1, 101) / 100 * n, 9)).astype(np.int64))
        cumulative = table["cumulative_share"].to_numpy()
        return pd.DataFrame({
            "customer_share": np.r_[0.0, counts / n],
            "customers": np.r_[0, counts].astype(np.int64),
            "value_share": np.r_[0.0, cumulative[counts - 1]],
        })

    def headline(self) -> pd.DataFrame:
        t = self.tiers
        point = self.pareto()
        top20 = pareto_point(t[self.value_column], 0.2) if len(t) else None
        bg = self.result.bgnbd
        gg = self.result.gamma_gamma
        # (measure, value, kind of the value for its number format; None for text)
        rows = [
            ("as of", self.as_of.to_pydatetime() if self.as_of is not None else None, "date"),
            ("customers", len(t), "count"),
            ("customers who bought", int((t["orders"] > 0).sum()), "count"),
            ("revenue", float(t["revenue"].sum()), "money"),
            ("gross margin", float(t["margin"].sum()) if t["margin"].notna().any() else None,
             "money"),
            ("tiered by", self.value_column, None),
            ("Pareto point", str(point), None),
            ("top 20% of customers bring", top20.value_share if top20 else None, "share"),
            ("key accounts", int(t["key_account"].sum()), "count"),
            ("key-account tiers", ", ".join(self.settings.key_account_tiers), None),
            ("CLV method", self.result.clv_method, None),
            ("CLV note", self.result.clv_note or None, None),
            ("CLV horizon (months)", self.settings.clv_months, "count"),
            ("total CLV", float(t["clv"].sum()) if t["clv"].notna().any() else None, "money"),
        ]
        if isinstance(bg, NBDFit):
            rows.append(("NBD r, alpha (days)", f"{bg.r:.4g}, {bg.alpha:.4g}", None))
        elif bg is not None:
            rows.append(("BG/NBD r, alpha, a, b (days)",
                         f"{bg.r:.4g}, {bg.alpha:.4g}, {bg.a:.4g}, {bg.b:.4g}", None))
        if gg is not None:
            rows.append(("Gamma-Gamma p, q, v", f"{gg.p:.4g}, {gg.q:.4g}, {gg.v:.4g}", None))
        if self.result.retention_rate is not None:
            rows.append(("yearly retention (margin formula)", self.result.retention_rate,
                         "share"))
        values = [v if not (isinstance(v, float) and math.isnan(v)) else None for _, v, _ in rows]
        return pd.DataFrame({"measure": [m for m, _, _ in rows],
                             "value": pd.Series(values, dtype=object),
                             "kind": [k for _, _, k in rows]})

    def headline_table(self) -> ResultTable:
        """The headline with a number format on every number (one per row: the value column
        mixes counts, money, a date and a share)."""
        frame = self.headline()
        formats = [DATE_FORMAT if k == "date" else excel_format(k) if isinstance(k, str) else None
                   for k in frame["kind"]]
        return ResultTable(frame[["measure", "value"]], "Customer tiering",
                           formats={"value": formats})

    def customers_table(self) -> pd.DataFrame:
        frame = self.tiers.reset_index()
        return frame[[c for c in CUSTOMER_COLUMNS if c in frame.columns]]

    def result_sheets(self) -> dict[str, list[ResultTable]]:
        """The ``Tiers`` sheet: the headline, customers and revenue per ABC class, pyramid
        tier, RFM segment and life-cycle stage, the Pareto curve with a native line chart,
        then one row per customer."""
        share = "0.0%"
        curve = self.pareto_curve()
        return {
            SHEET: [
                self.headline_table(),
                ResultTable(self.by_abc(), "By ABC class", rules=[Rule("revenue", "databar")]),
                ResultTable(self.by_tier(), "By pyramid tier",
                            rules=[Rule("revenue", "databar")]),
                ResultTable(self.by_segment(), "By RFM segment",
                            rules=[Rule("customers", "databar")]),
                ResultTable(self.by_stage(), "By life-cycle stage",
                            rules=[Rule("customers", "databar")]),
                ResultTable(curve, "Pareto curve",
                            formats={"customer_share": share, "value_share": share},
                            chart=Chart("line", x="customer_share", y=["value_share"],
                                        title="Pareto curve",
                                        x_title="share of customers (largest first)",
                                        y_title=f"cumulative share of {self.value_column}")),
                ResultTable(self.customers_table(), "Customers",
                            formats={"prob_alive": share},
                            rules=[Rule("value_share", "databar")]),
            ]
        }


def tier_workbook(wb: CRMWorkbook, as_of: object = None) -> TierReport:
    """Tier every customer of a loaded workbook as of ``as_of`` (default: the ``as_of``
    setting, else the last transaction date). Needs a Transactions sheet; Customers and
    Settings are optional. Bad settings raise InputError naming the Settings row."""
    transactions = wb.get("Transactions")
    if transactions is None:
        raise InputError("the workbook has no Transactions sheet; tiering needs the orders "
                         "(customer_id, date, amount)", sheet="Transactions")
    from addin.churn.loss import LossRule  # the life cycle's termination is the loss rule
    from addin.churn.settings import churn_settings

    sheet = wb.names.get("Settings", "Settings")
    settings = tier_settings(wb.get("Settings"), sheet)
    # the Settings' loss rule (k, the floor, the rule), as the churn job and the reports use
    loss = LossRule.from_settings(churn_settings(wb.get("Settings"), sheet))
    result = tier_customers(wb.get("Customers"), transactions, settings, as_of=as_of,
                            loss=loss)
    return TierReport(path=wb.path, result=result, settings=settings)
