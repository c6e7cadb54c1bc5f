"""The executive's monthly pack: which PDFs the Distribution sheet's readers need, and the
plain context of one pack (``report_templates/pack.html``).

:func:`plan_packs` reads the Distribution sheet once: each row is an executive with a
language and a scope (:mod:`addin.mail.scope`), so the month needs exactly the (account,
language) pairs of :func:`needed_pairs` and nothing else is rendered.

A pack is one PDF, laid out by WeasyPrint as one document: a cover (month, scope, five
numbers of the scope with the company's beside), a table of contents whose page numbers
come from ``target-counter()``, the list of the scope's accounts (each linked to its
review), the portfolio summary, then one review per account in the pack's order:

* accounts that need attention first (more triggered next-action rules first), then by
  value (the tiering's rank, 1 = most valuable);
* each review's ``<h1>`` is a level-1 PDF bookmark (``report.css``), so the outline lists
  every account; the summary's tables link each account name to its review.

Problems a manager can fix (a scope selecting no key account, a blank scope) are warnings
naming the Distribution row; the pack still goes out with what it has.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from addin.errors import InputError, Problem
from addin.reports.i18n import normalise_language
from addin.reports.month import ReportData, account_name, plain


@dataclass
class PackPlan:
    """One executive's pack: Distribution ``row`` (as Excel numbers it), who, in which
    language, the scope as written and the accounts it selects, in the pack's order."""

    row: int
    name: str
    email: str
    language: str
    scope_text: str
    accounts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    file: str = ""
    everything: bool = False  # the scope as read: all, or clauses (kind, values)
    clauses: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        (isinstance(value, str) and not value.strip()) or value is pd.NA


def pack_order(data: ReportData, ids: list[str]) -> list[str]:
    """Attention first (more triggered rules first), then value (the tiering's rank)."""
    counts = data.actions["customer_id"].value_counts() if len(data.actions) else pd.Series()
    rank = data.tiers["rank"]
    return sorted(ids, key=lambda cid: (-int(counts.get(cid, 0)), float(rank.get(cid, math.inf)),
                                        str(cid)))


def plan_packs(distribution: pd.DataFrame, data: ReportData,
               default_language: str = "en") -> list[PackPlan]:
    """The packs the Distribution sheet asks for, one per row (index: the Excel row). A row
    whose language or scope cannot be read is an InputError (all rows at once); a scope that
    selects no account, or a blank one, gives a warning and a pack of the summary alone."""
    from addin.mail.scope import parse_scope
    from addin.reports.manifest import AccountReport

    stubs = []
    for cid in data.accounts:
        t = data.tiers.loc[cid]
        stubs.append(AccountReport(customer_id=str(cid), name=account_name(data, cid, "en"),
                                   region=plain(t.get("region")),
                                   segment=plain(t.get("segment")),
                                   tier=plain(t.get("pyramid_tier"))))
    problems: list[Problem] = []
    out: list[PackPlan] = []
    for row, rec in distribution.iterrows():
        lang_text = rec.get("language")
        try:
            lang = normalise_language(default_language if _blank(lang_text) else str(lang_text))
        except ValueError as exc:
            problems.append(Problem(str(exc), "Distribution", int(row), "language",
                                    value=lang_text, has_value=True))
            continue
        scope_text = rec.get("scope")
        try:
            scope = parse_scope(scope_text, stubs)
        except ValueError as exc:
            problems.append(Problem(str(exc), "Distribution", int(row), "scope",
                                    value=scope_text, has_value=True))
            continue
        chosen = [a.customer_id for a in scope.select(stubs)]
        plan = PackPlan(int(row), str(rec.get("name")), str(rec.get("email")), lang,
                        "" if _blank(scope_text) else str(scope_text),
                        pack_order(data, chosen), everything=scope.everything,
                        clauses=[(c.kind, c.values) for c in scope.clauses])
        where = f"Distribution row {int(row)} ({plan.name})"
        if _blank(scope_text):
            plan.warnings.append(f"{where}: no scope; the pack holds the portfolio summary "
                                 f"only (write region, segment, account or all)")
        elif not chosen:
            plan.warnings.append(f"{where}: scope {plan.scope_text!r} selects no key account "
                                 f"this month; the pack holds the portfolio summary only")
        missing = [cid for cid in chosen if not _has_own_name(data, cid, lang)]
        if missing and _has_name_column(data, lang):
            plan.warnings.append(f"{where}: {len(missing)} account(s) have no "
                                 f"{'name_zh' if lang == 'zh' else 'name_en'}; their "
                                 f"other name is used ({', '.join(map(str, missing[:5]))})")
        out.append(plan)
    if problems:
        raise InputError.from_problems(problems)
    return out


def _has_name_column(data: ReportData, lang: str) -> bool:
    return ("name_zh" if lang == "zh" else "name_en") in data.customers.columns


def _has_own_name(data: ReportData, cid: str, lang: str) -> bool:
    column = "name_zh" if lang == "zh" else "name_en"
    if column not in data.customers.columns or cid not in data.customers.index:
        return False
    return not _blank(plain(data.customers.at[cid, column]))


def needed_pairs(plans: list[PackPlan]) -> set[tuple[str, str]]:
    """The (account, language) pairs some executive reads."""
    return {(cid, p.language) for p in plans for cid in p.accounts}


_FILE_UNSAFE = re.compile(r"[^\w .()（）-]+")


def pack_file_name(month: str, company: str, name: str, lang: str) -> str:
    """``YYYY-MM <company> CRM pack (<name>).pdf`` (Chinese: ``YYYY-MM <公司> CRM月度汇报
    （<姓名>）.pdf``), with every character a file system could object to made ``-``."""
    def clean(text: str, limit: int) -> str:
        folded = unicodedata.normalize("NFKC", str(text))
        folded = _FILE_UNSAFE.sub("-", folded).strip(" .-")
        return re.sub(r"-{2,}", "-", folded)[:limit].strip(" .-") or "x"

    if lang == "zh":
        return f"{month} {clean(company, 60)} CRM月度汇报（{clean(name, 40)}）.pdf"
    return f"{month} {clean(company, 60)} CRM pack ({clean(name, 40)}).pdf"


def anchor(customer_id: Any) -> str:
    """The HTML id of an account's review in a pack: ``acct-`` and the id, every character
    outside ``[A-Za-z0-9-]`` written as ``_<hex>`` (so two ids never share an anchor)."""
    return "acct-" + re.sub(r"[^A-Za-z0-9-]", lambda m: f"_{ord(m.group()):x}_",
                            str(customer_id))


def pack_context(data: ReportData, plan: PackPlan, summary: Mapping[str, Any],
                 reviews: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The plain context of one pack: ``summary`` is the language's summary context,
    ``reviews`` the review contexts of ``plan.accounts`` in that order."""
    s = data.settings
    lang = plan.language
    rows = []
    for ctx in reviews:
        acc, cid = ctx["account"], ctx["account"]["customer_id"]
        rows.append({"customer_id": cid, "anchor": anchor(cid), "name": acc["name"],
                     "tier": acc["tier"], "region": acc.get("region"),
                     "revenue": plain(data.tiers.at[cid, "revenue"]),
                     "revenue_ytd": ctx["value"]["ytd"]["revenue"],
                     "ytd_change": ctx["value"]["ytd_change"],
                     "actions": ctx["actions"]})
    # the scope is a filter on customers (region: North is every North customer): its
    # figures beside the company's on the cover, and the summary part cut to it
    from addin.mail.scope import plan_scope
    from addin.reports.summary import scope_comparison, scope_summary_context

    scope_ids = plan_scope(plan.everything, plan.clauses, plan.scope_text).customers(data.tiers)
    comparison = scope_comparison(data, scope_ids)
    compare = {r["key"]: r for r in comparison["rows"]}
    numbers = [{"key": key, "kind": compare[key]["kind"], "scope": compare[key]["scope"],
                "company": compare[key]["company"]}
               for key in ("revenue_month", "revenue_ytd", "revenue_yoy", "key_accounts",
                           "accounts_at_risk")]
    clauses = [{"kind": k, "values": list(v)} for k, v in plan.clauses]
    if scope_ids and not plan.everything:
        summary = {**scope_summary_context(data, scope_ids, lang, clauses, comparison),
                   **({"created": summary["created"]} if "created" in summary else {})}
    linked = [r["customer_id"] for r in rows]
    return {
        "kind": "pack", "lang": lang, "currency": s.currency, "company": s.company_for(lang),
        "month": data.month, "as_of": data.as_of.date(), "reader": plan.name,
        "scope_text": plan.scope_text, "numbers": numbers,
        "scope": {"everything": plan.everything, "clauses": clauses},
        "accounts": rows,
        "linked": linked, "summary": {**summary, "linked": linked}, "reviews": list(reviews),
    }


__all__ = ["PackPlan", "plan_packs", "needed_pairs", "pack_order", "pack_file_name",
           "pack_context", "anchor"]
