"""The revenue forecast of a workbook: what ``crm-addin forecast`` and the ribbon's ``forecast``
both run. Reads Transactions, Settings and (for a plan) Scorecard; returns the ``Forecast``
result sheet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from addin.churn.forecast import (
    backtest,
    backtest_errors,
    baseline_forecast,
    customer_forecast,
    fit_models,
    plan_gap,
    portfolio_forecast,
)
from addin.churn.history import clean_log, complete_month_end, month_totals
from addin.churn.plan import RevenuePlan, revenue_plan
from addin.churn.settings import ChurnSettings, churn_settings
from addin.contract.settings import read_settings
from addin.workbook import Chart, CRMWorkbook, ResultTable, Rule

SHEET = "Forecast"
READS = ("Transactions", "Scorecard", "Settings")


@dataclass
class ForecastReport:
    """Everything the ``Forecast`` sheet shows."""

    path: Path | None
    as_of: pd.Timestamp
    settings: ChurnSettings
    line: pd.DataFrame
    baseline: pd.Series
    customers: pd.DataFrame
    backtest: pd.DataFrame
    errors: pd.DataFrame
    plan: dict | None
    plan_source: RevenuePlan = RevenuePlan(None, "")

    def comparison(self) -> pd.DataFrame:
        """Model and baseline side by side by calendar month (the model's months are labelled
        by the calendar month of their middle)."""
        model = self.line.set_index("period")["expected_revenue"]
        base = self.baseline.copy()
        base.index = base.index.astype(str)
        periods = list(dict.fromkeys([*model.index, *base.index]))
        return pd.DataFrame({"period": periods,
                             "model_revenue": model.reindex(periods).to_numpy(),
                             "baseline_revenue": base.reindex(periods).to_numpy()})

    def headline(self) -> pd.DataFrame:
        errors = self.errors.set_index(["method", "against"])
        model_mape = errors.loc[("BG/NBD x Gamma-Gamma", "all revenue"), "mape"]
        base_mape = errors.loc[("exponential smoothing", "all revenue"), "mape"]
        trust = ("BG/NBD x Gamma-Gamma" if model_mape <= base_mape
                 else "exponential smoothing")
        rows = [
            ("as of", self.as_of.date().isoformat()),
            ("months", self.settings.forecast_months),
            ("model forecast", float(self.line["expected_revenue"].sum())),
            ("model 95% interval, lowest month", float(self.line["revenue_low"].min())),
            ("baseline forecast", float(self.baseline.sum())),
            ("holdout months (backtest)", self.settings.holdout_months),
            ("backtest MAPE, model", float(model_mape)),
            ("backtest MAPE, baseline", float(base_mape)),
            ("lower backtest error", trust),
        ]
        if self.plan is not None:
            rows += [("plan", self.plan["plan"]), ("plan from", self.plan_source.source),
                     ("forecast vs plan", self.plan["gap"]),
                     ("forecast vs plan (share)", self.plan["gap_share"])]
        if self.plan_source.note:
            rows.append(("plan note", self.plan_source.note))
        values = ["" if isinstance(v, float) and np.isnan(v) else v for _, v in rows]
        return pd.DataFrame({"measure": [m for m, _ in rows],
                             "value": pd.Series(values, dtype=object)})

    def summary_lines(self) -> list[str]:
        total = float(self.line["expected_revenue"].sum())
        lines = [f"next {self.settings.forecast_months} months from {self.as_of.date()}: "
                 f"{total:,.0f} expected from existing customers (BG/NBD x Gamma-Gamma), "
                 f"{float(self.baseline.sum()):,.0f} by exponential smoothing"]
        for r in self.errors.itertuples():
            lines.append(f"backtest {r.method} vs {r.against}: MAPE {r.mape:.1%}, "
                         f"bias {r.bias:+.1%}")
        if self.plan is not None:
            lines.append(f"forecast vs plan ({self.plan_source.source}): "
                         f"{self.plan['gap']:+,.0f} ({self.plan['gap_share']:+.1%})")
        if self.plan_source.note:
            lines.append(f"plan: {self.plan_source.note}")
        return lines

    def result_sheets(self) -> dict[str, list[ResultTable]]:
        """``Forecast``: the headline, the model's monthly line with its interval (chart),
        model and baseline side by side, the backtest months (chart) and errors, forecast vs
        plan, and each customer's expected revenue."""
        share = "0.0%"
        tables = [
            ResultTable(self.headline(), "Revenue forecast"),
            ResultTable(self.line, "Model forecast (existing customers)",
                        chart=Chart("line", x="period",
                                    y=["expected_revenue", "revenue_low", "revenue_high"],
                                    title="Revenue forecast, 95% interval",
                                    x_title="month", y_title="revenue")),
            ResultTable(self.comparison(), "Model and baseline",
                        chart=Chart("line", x="period",
                                    y=["model_revenue", "baseline_revenue"],
                                    title="Model and exponential-smoothing baseline",
                                    x_title="month", y_title="revenue")),
            ResultTable(self.backtest, "Backtest: held-out months",
                        chart=Chart("line", x="period", y=["actual_revenue", "model_revenue",
                                                           "baseline_revenue"],
                                    title="Backtest", x_title="month", y_title="revenue")),
            ResultTable(self.errors, "Backtest errors",
                        formats={"mape": share, "bias": share},
                        rules=[Rule("bias", "diverging")]),
        ]
        if self.plan is not None:
            tables.append(ResultTable(pd.DataFrame([{
                **self.plan, "plan_from": self.plan_source.source,
                "note": self.plan_source.note}]), "Forecast vs plan",
                                      formats={"gap_share": share},
                                      rules=[Rule("gap", "negative_red")]))
        tables.append(ResultTable(self.customers, "Expected revenue per customer",
                                  rules=[Rule("expected_revenue", "databar")]))
        return {SHEET: tables}


def forecast_workbook(wb: CRMWorkbook, as_of: object = None, months: int | None = None
                      ) -> ForecastReport:
    """The revenue forecast of a loaded workbook as of ``as_of`` (default: the ``as_of``
    setting, else the last order) over ``months`` (default: ``forecast_months``), against the
    plan of Settings ``revenue_plan`` or, without it, the Scorecard's revenue target
    (:mod:`addin.churn.plan`: Settings wins when both hold one, and the sheet says so). Too
    little history or a holdout longer than the history raise InputError naming the
    setting."""
    return forecast_analysis(wb.sheets, as_of, months, names=wb.names, path=wb.path)


def forecast_analysis(sheets: Mapping[str, pd.DataFrame], as_of: object = None,
                      months: int | None = None, *, names: Mapping[str, str] | None = None,
                      path: Path | None = None) -> ForecastReport:
    """:func:`forecast_workbook` on the contract sheets (``CRMWorkbook.sheets``)."""
    names = names or {}
    cfg = churn_settings(sheets.get("Settings"), names.get("Settings", "Settings"))
    horizon = months or cfg.forecast_months
    log = clean_log(sheets.get("Transactions"), names.get("Transactions", "Transactions"))
    end = pd.Timestamp(as_of) if as_of is not None else (
        cfg.as_of if cfg.as_of is not None else pd.Timestamp(log["day"].max()))
    log = log[log["day"] <= np.datetime64(end.date(), "D")]
    currency = read_settings(sheets.get("Settings"), names.get("Settings", "Settings")).text(
        "currency") or None
    plan = revenue_plan(cfg.revenue_plan, sheets.get("Scorecard"), horizon, currency)
    months_table = backtest(log, end, cfg.holdout_months)  # first: it checks holdout_months
    fit = fit_models(log, end)
    line = portfolio_forecast(fit, horizon)
    last = complete_month_end(end)
    baseline = baseline_forecast(month_totals(log[log["day"] <= np.datetime64(
        last.date(), "D")], end=last), horizon)
    per = customer_forecast(fit, horizon)
    customers = per[["expected_purchases", "expected_value", "expected_revenue"]].sort_values(
        "expected_revenue", ascending=False, kind="stable").reset_index()
    return ForecastReport(path, end, cfg, line, baseline, customers, months_table,
                          backtest_errors(months_table),
                          plan_gap(float(line["expected_revenue"].sum()), plan.amount), plan)
