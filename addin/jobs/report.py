"""The month's PDFs of a workbook: what ``crm-addin report`` (and ``crm-addin monthly``) run.

Evaluates the scorecard (when the workbook has one), prepares the month's data once
(:func:`addin.reports.month.prepare_reports`), renders one review per key account and
language and the portfolio summary per language (:func:`addin.reports.render.render_batch`,
in processes), and writes ``manifest.json`` last (:mod:`addin.reports.manifest`), naming only
the files that were written: an account whose review failed is reported and left out, the
others are there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from addin.contract.limits import bound_strings, ellipsis
from addin.contract.settings import read_settings
from addin.reports.churn import headline_line
from addin.reports.i18n import normalise_language
from addin.reports.manifest import (
    AccountReport,
    Attention,
    Manifest,
    check_month,
    write_manifest,
)
from addin.reports.month import ReportData, default_month, prepare_reports
from addin.reports.review import review_context
from addin.reports.summary import summary_context
from addin.workbook import CRMWorkbook


@dataclass
class ReportOutcome:
    """What a report run wrote: the folder, the manifest (written when at least one summary
    was; it names the languages whose summary was written and the accounts whose reviews were
    written in all of them), the failures (label -> error) and the render time of each PDF
    (seconds, as measured in its worker)."""

    folder: Path
    manifest: Manifest
    failed: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    data: ReportData | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return self.manifest.files()


def report_languages(wb: CRMWorkbook, languages: Sequence[str] | None = None) -> list[str]:
    """The languages to render: those given; else every language of the Distribution sheet
    (each executive gets their own); else the Settings ``report_language``; else English."""
    if languages:
        out = [normalise_language(lang) for lang in languages]
    else:
        out = []
        dist = wb.get("Distribution")
        if dist is not None and "language" in dist.columns:
            out = [normalise_language(v) for v in dist["language"].dropna()]
        if not out:
            out = [read_settings(wb.get("Settings"), wb.names.get("Settings", "Settings"))
                   .get("report_language")]
    return list(dict.fromkeys(out))


def scorecard_for_month(wb: CRMWorkbook, month: str) -> tuple[Any, Any]:
    """The evaluated scorecard for the summary: the month's own column when the Scorecard
    sheet has one (``2026-10``), else its ``actual`` column; with the overall score per
    month. ``(None, None)`` without a Scorecard sheet."""
    if wb.get("Scorecard") is None or wb["Scorecard"].empty:
        return None, None  # a header-only sheet is an empty scorecard: no section
    from addin.jobs.scorecard import scorecard_workbook
    from addin.scorecard import period_columns

    period = month if month in period_columns(wb["Scorecard"]) else None
    report = scorecard_workbook(wb, period)
    return report.result, report.by_period


def _attention(action: dict[str, Any]) -> Attention:
    """A triggered next action as the manifest's :class:`Attention`: the value that triggered
    it and the threshold the email's sentence names (for an overdue purchase, the usual gap;
    for a single contact, the fewest staff wanted)."""
    key, value = action["action"], action["value"]
    if key == "purchase_overdue":
        threshold = action["detail"]
    elif key == "single_contact":
        threshold = action["limit"] + 1
    else:
        threshold = action["limit"]
    return Attention(rule=key, value=value, threshold=threshold)


def _manifest_account(ctx: dict[str, Any], files: dict[str, str]) -> AccountReport:
    account, value = ctx["account"], ctx["value"]
    survey = ctx.get("survey") or {}
    nps = (survey.get("nps") or {}).get("score")
    return AccountReport(
        customer_id=str(account["customer_id"]), name=str(account["name"]),
        region=account.get("region"), segment=account.get("segment"), tier=account["tier"],
        files=files,
        headline={"revenue_month": value["month"]["revenue"],
                  "revenue_ytd": value["ytd"]["revenue"], "revenue_yoy": value["ytd_change"],
                  "nps": nps},
        attention=[_attention(a) for a in ctx["actions"]])


FUTURE_DAYS = 31


def future_month_warning(wb: CRMWorkbook, month: str,
                         today: dt.date | None = None) -> list[str]:
    """A warning when the report month, taken from the last transaction because Settings has
    no as_of date, lies more than ``FUTURE_DAYS`` days beyond today: one mistyped date
    (9999-12-31) would otherwise move the whole report there in silence."""
    from addin.tiering import tier_settings

    if tier_settings(wb.get("Settings")).as_of is not None:
        return []  # the month the user set
    today = today or dt.date.today()
    start = dt.date(int(month[:4]), int(month[5:7]), 1)
    if (start - today).days <= FUTURE_DAYS:
        return []
    return [f"the report month {month} comes from the last transaction date, which is after "
            f"today ({today.isoformat()}); give --month or an as_of date in Settings if that "
            "date is a typing error"]


def report_workbook(wb: CRMWorkbook, out: str | Path, month: str | None = None,
                    languages: Sequence[str] | None = None,
                    accounts: Sequence[str] | None = None, jobs: int = 1,
                    progress: Callable[[str], None] | None = None,
                    pdf_variant: str | None = None,
                    on_ready: Callable[[int], None] | None = None) -> ReportOutcome:
    """Render the month's reviews and summary of ``wb`` into ``out`` and write the manifest.

    ``month`` is ``YYYY-MM`` (default: the Settings ``as_of`` month, else the last
    transaction's); ``languages`` as :func:`report_languages`; ``accounts`` limits the reviews
    to these customer ids (default: every key account); ``jobs`` processes render;
    ``on_ready`` is told how many PDFs will be rendered (for a progress bar) and ``progress``
    is called with each one's label as it is done."""
    from addin.reports.render import (
        RenderTask,
        render_batch,
        review_file_name,
        summary_file_name,
    )

    if month is not None:
        check_month(month)
    langs = report_languages(wb, languages)
    warnings = []
    if month is None:
        month = default_month(wb.sheets)
        warnings.extend(future_month_warning(wb, month))
    scorecard, by_period = scorecard_for_month(wb, month)
    data = prepare_reports(wb.sheets, month, accounts=list(accounts) if accounts else None,
                           scorecard=scorecard, scorecard_by_period=by_period)
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    tasks: list[RenderTask] = []
    summary_files: dict[str, str] = {}
    for lang in langs:
        ctx = summary_context(data, lang)
        ctx["created"] = created
        name = summary_file_name(month, lang)
        summary_files[lang] = name
        tasks.append(RenderTask(name, bound_strings(ctx), f"summary ({lang})"))
    review_files: dict[str, dict[str, str]] = {}
    contexts: dict[str, dict[str, Any]] = {}
    used: set[str] = set(summary_files.values())
    for cid in data.accounts:
        for lang in langs:
            ctx = review_context(data, cid, lang)
            ctx["created"] = created
            contexts.setdefault(cid, ctx)  # the manifest's numbers do not depend on language
            name = review_file_name(month, cid, ctx["account"]["name"], lang)
            stem, n = name[:-4], 2
            while name in used:  # ids that differ only in characters a file name drops
                name, n = f"{stem}-{n}.pdf", n + 1
            used.add(name)
            review_files.setdefault(cid, {})[lang] = name
            tasks.append(RenderTask(name, bound_strings(ctx),
                                    f"{cid} {ellipsis(str(ctx['account']['name']))} ({lang})"))
    if on_ready:
        on_ready(len(tasks))
    result = render_batch(tasks, out, jobs=jobs, progress=progress, pdf_variant=pdf_variant,
                          seconds=data.settings.review_time_limit)
    written = set(result.written)

    # The manifest names complete sets only: the languages whose summary was written, and the
    # accounts whose review was written in each of them.
    done = [lang for lang in langs if summary_files[lang] in written]
    accounts_out = []
    for cid in data.accounts:
        files = {lang: review_files[cid][lang] for lang in done}
        if done and all(f in written for f in files.values()):
            accounts_out.append(_manifest_account(contexts[cid], files))
    s = data.settings
    h = summary_context(data, "en")["headline"]
    manifest = Manifest(
        month=month, company=s.company, currency=s.currency, languages=done,
        summary={lang: summary_files[lang] for lang in done}, accounts=accounts_out,
        created=created,
        headline={"revenue_month": h["revenue_month"], "revenue_ytd": h["revenue_ytd"],
                  "revenue_yoy": h["ytd_change"], "customers": h["customers"],
                  "key_accounts": h["key_accounts"], "accounts_at_risk": h["at_risk"],
                  "nps": h["nps"], "csat": h["csat"], **headline_line(data.churn)})
    if done:
        write_manifest(out, manifest)
    return ReportOutcome(folder=Path(out), manifest=manifest, failed=result.failed,
                         seconds=result.seconds, data=data, warnings=warnings)


__all__ = ["ReportOutcome", "report_languages", "report_workbook", "scorecard_for_month"]
