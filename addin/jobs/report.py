"""The month's PDFs of a workbook: what ``crm-addin report`` (and ``crm-addin monthly``) run.

Evaluates the scorecard (when the workbook has one), prepares the month's data once
(:func:`addin.reports.month.prepare_reports`), plans from the Distribution sheet what its
executives read (:func:`addin.reports.pack.plan_packs`), renders that
(:func:`addin.reports.render.render_batch`, in processes): one pack per executive, or the
separate summary and reviews of the pairs someone reads; without a Distribution sheet one
review per key account and language and the summary per language. Writes ``manifest.json``
last (:mod:`addin.reports.manifest`), naming only the files that were written: a PDF that
failed is reported and left out, the others are there. Each PDF's content hash is kept in the
manifest, so a re-run into the same folder renders only what changed.
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
from addin.reports.month import (
    ReportData,
    default_month,
    month_data_message,
    prepare_reports,
)
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
    rendered: list[tuple[str, str]] = field(default_factory=list)  # (account, language)
    reused: list[str] = field(default_factory=list)  # PDFs kept from the last run
    warnings: list[str] = field(default_factory=list)  # Distribution rows to look at

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


def _manifest_account(ctx: dict[str, Any], files: dict[str, str],
                      names: dict[str, str] | None = None) -> AccountReport:
    """The manifest's record of an account: ``ctx`` is one of its review contexts (the
    numbers do not depend on the language), ``names`` its name in each language rendered."""
    account, value = ctx["account"], ctx["value"]
    survey = ctx.get("survey") or {}
    nps = survey.get("nps") or {}
    return AccountReport(
        customer_id=str(account["customer_id"]), name=str(account["name"]),
        region=account.get("region"), segment=account.get("segment"), tier=account["tier"],
        files=files,
        headline={"revenue_month": value["month"]["revenue"],
                  "revenue_ytd": value["ytd"]["revenue"], "revenue_yoy": value["ytd_change"],
                  "nps": nps.get("score"), "nps_n": nps.get("n"), "nps_moe": nps.get("moe")},
        attention=[_attention(a) for a in ctx["actions"]], names=dict(names or {}),
        key_account=bool(account["key_account"]))


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


ATTACHMENTS = ("pack", "reviews")


def report_workbook(wb: CRMWorkbook, out: str | Path, month: str | None = None,
                    languages: Sequence[str] | None = None,
                    accounts: Sequence[str] | None = None, jobs: int = 1,
                    progress: Callable[[str], None] | None = None,
                    pdf_variant: str | None = None,
                    on_ready: Callable[[int], None] | None = None,
                    attachments: str = "pack") -> ReportOutcome:
    """Render the month's PDFs of ``wb`` into ``out`` and write the manifest.

    With a Distribution sheet (and no ``languages`` given) only what someone reads is
    rendered (:func:`addin.reports.pack.plan_packs`): ``attachments="pack"`` renders one pack
    per executive; ``"reviews"`` renders the portfolio summary in each reader's language and
    one review per (account, language) pair some reader has in scope. Without a Distribution
    sheet, or with ``languages``, every account is reviewed in every language, with the
    summary per language (the separate PDFs).

    ``month`` is ``YYYY-MM`` (default: the Settings ``as_of`` month, else the last
    transaction's); ``languages`` as :func:`report_languages`; ``accounts`` limits the reviews
    to these customer ids (default: every key account); ``jobs`` processes render;
    ``on_ready`` is told how many PDFs will be rendered (for a progress bar) and ``progress``
    is called with each one's label as it is done."""
    from addin.reports.pack import needed_pairs, pack_context, pack_file_name, plan_packs
    from addin.reports.render import (
        RenderTask,
        render_batch,
        review_file_name,
        summary_file_name,
    )

    if attachments not in ATTACHMENTS:
        raise ValueError(f"attachments {attachments!r}: use one of {', '.join(ATTACHMENTS)}")
    if month is not None:
        check_month(month)
    warnings: list[str] = []
    if month is None:
        month = default_month(wb.sheets)
        warnings.extend(future_month_warning(wb, month))
    dist = wb.get("Distribution")
    planned = dist is not None and not languages and len(dist) > 0
    langs = report_languages(wb, languages)
    scorecard, by_period = scorecard_for_month(wb, month)
    data = prepare_reports(wb.sheets, month, accounts=list(accounts) if accounts else None,
                           scorecard=scorecard, scorecard_by_period=by_period)
    if (message := month_data_message(data.data_warning, month)) is not None:
        warnings.append(message)
    key_tiers = ", ".join(data.settings.tiers.key_account_tiers)
    for cid in data.accounts:
        if not bool(data.tiers.at[cid, "key_account"]):
            warnings.append(f"--accounts {cid} is not a key account (tier "
                            f"{data.tiers.at[cid, 'pyramid_tier']}; key tiers: {key_tiers}): "
                            f"its review is headed 'Account review', not 'Key-account review'")
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    plans = []
    if planned:
        default_lang = read_settings(wb.get("Settings"), wb.names.get(
            "Settings", "Settings")).get("report_language")
        plans = plan_packs(dist, data, default_lang)
        langs = list(dict.fromkeys(p.language for p in plans))
        pairs = needed_pairs(plans)
    else:
        pairs = {(cid, lang) for cid in data.accounts for lang in langs}

    names: dict[str, dict[str, str]] = {}  # account -> language -> its name there

    def review(cid: str, lang: str) -> dict[str, Any]:
        ctx = review_context(data, cid, lang)
        ctx["created"] = created
        names.setdefault(cid, {})[lang] = str(ctx["account"]["name"])
        return ctx

    tasks: list[RenderTask] = []
    summary_files: dict[str, str] = {}
    review_files: dict[str, dict[str, str]] = {}
    contexts: dict[str, dict[str, Any]] = {}
    pack_tasks: dict[str, Any] = {}  # label -> plan
    used: set[str] = set()
    summaries = {lang: {**summary_context(data, lang), "created": created} for lang in langs}
    if planned and attachments == "pack":
        for plan in plans:
            name = pack_file_name(month, data.settings.company_for(plan.language), plan.name,
                                  plan.language)
            stem, n = name[:-4], 2
            while name in used:  # two rows for one executive
                name, n = f"{stem}-{n}.pdf", n + 1
            used.add(name)
            plan.file = name
            reviews = [review(cid, plan.language) for cid in plan.accounts]
            for ctx in reviews:
                contexts.setdefault(ctx["account"]["customer_id"], ctx)
            ctx = pack_context(data, plan, summaries[plan.language], reviews)
            ctx["created"] = created
            label = f"pack of {ellipsis(plan.name)} ({plan.language}, row {plan.row})"
            pack_tasks[label] = plan
            tasks.append(RenderTask(name, bound_strings(ctx), label,
                                    weight=1 + len(reviews)))
    else:
        for lang in langs:
            name = summary_file_name(month, lang)
            summary_files[lang] = name
            used.add(name)
            tasks.append(RenderTask(name, bound_strings(summaries[lang]), f"summary ({lang})"))
        for cid in data.accounts:
            for lang in langs:
                if (cid, lang) not in pairs:
                    continue  # nobody reads this review
                ctx = review(cid, lang)
                contexts.setdefault(cid, ctx)  # the manifest's numbers do not depend on language
                name = review_file_name(month, cid, ctx["account"]["name"], lang)
                stem, n = name[:-4], 2
                while name in used:  # ids that differ only in characters a file name drops
                    name, n = f"{stem}-{n}.pdf", n + 1
                used.add(name)
                review_files.setdefault(cid, {})[lang] = name
                tasks.append(RenderTask(name, bound_strings(ctx),
                                        f"{cid} {ellipsis(str(ctx['account']['name']))} "
                                        f"({lang})"))
    # A re-run reuses each PDF whose inputs (context, templates, add-in version, PDF variant)
    # hash as the last manifest of this folder recorded, and renders the rest.
    hashes = {t.file: content_hash(t.context, pdf_variant) for t in tasks}
    before = _previous(Path(out))
    reused = [t for t in tasks if before["hashes"].get(t.file) == hashes[t.file]
              and (Path(out) / t.file).is_file()]
    fresh = [t for t in tasks if t not in reused]
    if on_ready:
        on_ready(len(fresh))
    result = render_batch(fresh, out, jobs=jobs, progress=progress, pdf_variant=pdf_variant,
                          seconds=data.settings.review_time_limit)
    for task in reused:
        result.written.append(task.file)
        result.pages[task.label] = before["pages"].get(task.file, {})
    written = set(result.written)

    from addin.reports.manifest import PackEntry, PackReport
    from addin.reports.pack import anchor

    packs: list[PackReport] = []
    for label, plan in pack_tasks.items():
        if plan.file not in written:
            continue
        pages = result.pages.get(label, {})
        packs.append(PackReport(
            row=plan.row, email=plan.email, name=plan.name, language=plan.language,
            file=plan.file, accounts=[PackEntry(cid, pages.get(anchor(cid)))
                                      for cid in plan.accounts]))
    # The manifest names complete sets only: the languages whose summary (or a pack) was
    # written, and the accounts whose every planned review was written.
    if pack_tasks:
        done = list(dict.fromkeys(p.language for p in packs))
        in_packs = {e.customer_id for p in packs for e in p.accounts}
        read_in = {(e.customer_id, p.language) for p in packs for e in p.accounts}
        accounts_out = [_manifest_account(contexts[cid], {}, {
            lang: name for lang, name in names[cid].items() if (cid, lang) in read_in})
            for cid in data.accounts if cid in in_packs]
    else:
        done = [lang for lang in langs if summary_files[lang] in written]
        accounts_out = []
        for cid in data.accounts:
            files = {lang: f for lang, f in review_files.get(cid, {}).items() if lang in done}
            if done and files and all(f in written for f in files.values()):
                accounts_out.append(_manifest_account(
                    contexts[cid], files, {lang: names[cid][lang] for lang in files}))
    s = data.settings
    h = summaries[langs[0]]["headline"] if langs else summary_context(data, "en")["headline"]
    manifest = Manifest(
        month=month, company=s.company, currency=s.currency, languages=done,
        summary={lang: summary_files[lang] for lang in done if lang in summary_files},
        accounts=accounts_out, created=created, packs=packs,
        hashes={f: h for f, h in hashes.items() if f in written},
        headline={"revenue_month": h["revenue_month"], "revenue_ytd": h["revenue_ytd"],
                  "revenue_yoy": h["ytd_change"], "customers": h["customers"],
                  "key_accounts": h["key_accounts"], "accounts_at_risk": h["at_risk"],
                  "nps": h["nps"], "nps_n": h["nps_n"], "nps_moe": h["nps_moe"],
                  "csat": h["csat"], "csat_n": h["csat_n"], "csat_moe": h["csat_moe"],
                  **headline_line(data.churn)})
    if done:
        write_manifest(out, manifest)
    outcome = ReportOutcome(folder=Path(out), manifest=manifest, failed=result.failed,
                            seconds=result.seconds, data=data, warnings=warnings)
    outcome.rendered = sorted(_rendered_pairs(fresh))
    outcome.reused = [t.file for t in reused]
    outcome.warnings += [w for p in plans for w in p.warnings]
    return outcome


def content_hash(context: dict[str, Any], pdf_variant: str | None) -> str:
    """SHA-256 of what a PDF is made from: its context (without the ``created`` stamp), every
    file of ``report_templates/``, the code that renders it (``addin/reports/*.py``), the
    add-in's version and the PDF variant."""
    import hashlib
    import json

    from addin import __version__
    from addin.reports import TEMPLATE_DIR

    digest = hashlib.sha256()
    digest.update(json.dumps(_without_created(context), sort_keys=True, default=str,
                             ensure_ascii=False).encode())
    code = Path(__file__).resolve().parents[1] / "reports"
    for path in [*sorted(TEMPLATE_DIR.rglob("*")), *sorted(code.glob("*.py"))]:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    digest.update(f"{__version__}|{pdf_variant}".encode())
    return digest.hexdigest()


def _without_created(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_created(v) for k, v in value.items() if k != "created"}
    if isinstance(value, (list, tuple)):
        return [_without_created(v) for v in value]
    return value


def _previous(folder: Path) -> dict[str, dict]:
    """The content hashes and pack pages of the folder's last manifest (none when there is
    none, or it cannot be read: then everything renders)."""
    import json

    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        hashes = dict(data.get("hashes") or {})
        pages = {p["file"]: {anchor_of(e["customer_id"]): e["page"] for e in p["accounts"]
                             if e.get("page")} for p in data.get("packs") or []}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {"hashes": {}, "pages": {}}
    return {"hashes": hashes, "pages": pages}


def anchor_of(customer_id: Any) -> str:
    from addin.reports.pack import anchor

    return anchor(customer_id)


def _rendered_pairs(tasks) -> set[tuple[str, str]]:
    """The (account, language) pairs the tasks render a review of (in a pack or alone)."""
    out = set()
    for task in tasks:
        ctx = task.context
        reviews = ctx["reviews"] if ctx["kind"] == "pack" else \
            [ctx] if ctx["kind"] == "review" else []
        out.update((r["account"]["customer_id"], r["lang"]) for r in reviews)
    return out


__all__ = ["ATTACHMENTS", "ReportOutcome", "report_languages", "report_workbook",
           "scorecard_for_month"]
