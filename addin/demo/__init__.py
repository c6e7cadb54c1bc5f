"""The embedded demo workbook: a plausible B2B company, generated deterministically.

``build_demo_workbook(path)`` writes a CRM workbook that follows the workbook contract
(DESIGN.md, ``addin.contract.schema``) for *Northwind Industrial Supply*, a distributor of
industrial supplies in China, as of ``DEMO_AS_OF`` (2026-10-31), with 18 months of transactions
(2025-05-01 .. 2026-10-31). Everything comes from one ``numpy.random.default_rng(seed)``: no
dependence on the clock, the locale or hash randomisation, and the ``.xlsx`` file itself is
byte-for-byte reproducible (fixed document times, fixed zip member times, order and compression).

The workbook holds a few deliberate data-quality problems so the add-in has something to find
(``PLANTED_DUPLICATES``, ``NEAR_MISS``, ``MESSY_SURVEY``, ``MISSING_KPI``) and a few lost accounts
with a cause before the loss (``addin.demo.churners``); ``workbooks/README.md`` lists them.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np

from addin.data import data_path
from addin.demo.activity import (
    _complaints,
    _contacts,
    _key_accounts,
    _transactions,
)
from addin.demo.calendar import (
    _DAYS,
)
from addin.demo.churners import plant_churn
from addin.demo.customers import (
    _check_duplicates,
    _customers,
)
from addin.demo.scorecard import (
    _scorecard,
)
from addin.demo.settings import (
    DISTRIBUTION,
    SETTINGS,
)
from addin.demo.survey import (
    _survey,
)
from addin.demo.vocabulary import (
    COMPANY_NAME,
    COMPLAINT_CATEGORIES,
    CONTACT_CHANNELS,
    CONTACT_OUTCOMES,
    CONTACT_SUBJECTS,
    CREDIT_LEVELS,
    DEMO_AS_OF,
    DEMO_SEED,
    INDUSTRIES,
    MESSY_SURVEY,
    MISSING_KPI,
    N_SURVEY,
    NEAR_MISS,
    PAYMENT_METHODS,
    PERIODS,
    PLANTED_DUPLICATES,
    PRODUCTS,
    REGIONS,
    SEGMENTS,
    SEVERITIES,
    SHEET_ORDER,
    SIZES,
    TX_CHANNELS,
    WINDOW_START,
)
from addin.demo.xlsx import write_reproducible_xlsx

_REPO_DEMO = data_path("workbooks", "demo_crm.xlsx")


def demo_tables(seed: int = DEMO_SEED) -> dict[str, tuple[list[str], list[list]]]:
    """Sheet name -> (headers, rows of Python values) of the demo workbook."""
    rng = np.random.default_rng(seed)
    cust = _customers(rng)
    _check_duplicates(cust)
    tx = _transactions(rng, cust)
    key = _key_accounts(cust, tx)
    contacts = _contacts(rng, cust, tx, key)
    comp = _complaints(rng, cust, tx)
    survey = _survey(rng, cust, tx, comp)
    plant_churn(seed, cust, tx, contacts, comp, survey)  # its own generator: draws above unchanged
    scorecard = _scorecard(rng, cust, tx, contacts, comp, survey, key)
    ids = cust["ids"]
    days = _DAYS

    tables: dict[str, tuple[list[str], list[list]]] = {}
    tables["Customers"] = (
        ["customer_id", "name", "industry", "region", "segment", "account_manager",
         "credit_level", "size", "since", "email", "phone"],
        [[ids[i], cust["name"][i], INDUSTRIES[cust["industry"][i]], REGIONS[cust["region"][i]],
          SEGMENTS[cust["segment"][i]], cust["am"][i], CREDIT_LEVELS[cust["credit"][i]],
          SIZES[cust["size"][i]], cust["since"][i], cust["email"][i], cust["phone"][i]]
         for i in range(cust["n"])],
    )
    tables["Transactions"] = (
        ["customer_id", "date", "amount", "margin", "product", "channel", "payment_method"],
        [[ids[c], days[d], a, mg, PRODUCTS[p][0], TX_CHANNELS[ch], PAYMENT_METHODS[pm]]
         for c, d, a, mg, p, ch, pm in zip(
             tx["cust"].tolist(), tx["day"].tolist(), tx["amount"].tolist(),
             tx["margin"].tolist(), tx["product"].tolist(), tx["channel"].tolist(),
             tx["payment"].tolist(), strict=True)],
    )
    tables["Contacts"] = (
        ["customer_id", "date", "channel", "staff", "subject", "outcome"],
        [[ids[c], days[d], CONTACT_CHANNELS[ch], st, CONTACT_SUBJECTS[su], CONTACT_OUTCOMES[o]]
         for c, d, ch, st, su, o in zip(
             contacts["cust"].tolist(), contacts["day"].tolist(), contacts["channel"].tolist(),
             contacts["staff"], contacts["subject"].tolist(), contacts["outcome"].tolist(),
             strict=True)],
    )
    tables["Complaints"] = (
        ["customer_id", "opened", "closed", "category", "severity", "status"],
        [[ids[c], days[o], None if op else days[cl], COMPLAINT_CATEGORIES[ca], SEVERITIES[se],
          ("Open", "Resolved", "Closed")[st]]
         for c, o, cl, op, ca, se, st in zip(
             comp["cust"].tolist(), comp["opened"].tolist(), comp["closed"].tolist(),
             comp["is_open"].tolist(), comp["category"].tolist(), comp["severity"].tolist(),
             comp["status"].tolist(), strict=True)],
    )
    item_cols = list(survey["cols"])
    tables["Survey"] = (
        ["respondent_id", "customer_id", "date", *item_cols],
        [[survey["ids"][k], ids[survey["cust"][k]], days[survey["day"][k]],
          *(survey["cols"][col][k] for col in item_cols)] for k in range(N_SURVEY)],
    )
    tables["Scorecard"] = (
        ["perspective", "objective", "kpi", "weight", "target", "actual", "unit", "baseline",
         "polarity", "red", "amber", "owner", *PERIODS],
        scorecard,
    )
    tables["Distribution"] = (["name", "email", "scope", "language"],
                              [list(r) for r in DISTRIBUTION])
    tables["Settings"] = (["key", "value"], [list(r) for r in SETTINGS])
    return tables


def build_demo_workbook(path: str | os.PathLike, seed: int = DEMO_SEED) -> pathlib.Path:
    """Write the demo CRM workbook to ``path`` (an ``.xlsx``) and return the path.

    The same seed gives the same file, byte for byte (with the same openpyxl and zlib). The
    file is written to a temporary name next to ``path`` and then moved into place, so a
    failure never leaves half a workbook behind.
    """
    return write_reproducible_xlsx(demo_tables(seed), path)


def demo_workbook_path() -> pathlib.Path:
    """The demo workbook to run on: the shipped ``workbooks/demo_crm.xlsx`` (the checkout's,
    or the copy inside an installed wheel, see :func:`addin.data.data_path`); without it, the
    same workbook built once (it is
    deterministic) into the user's cache folder (``$XDG_CACHE_HOME/crm-addin`` or
    ``~/.cache/crm-addin``) and reused."""
    if _REPO_DEMO.is_file():
        return _REPO_DEMO
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", ""))
    if not cache.is_absolute():  # the XDG spec: a relative (or unset) value is ignored
        cache = pathlib.Path.home() / ".cache"
    path = cache / "crm-addin" / f"demo_crm_{DEMO_SEED}.xlsx"
    if not path.is_file():
        build_demo_workbook(path)
    return path


__all__ = [
    "DEMO_SEED", "DEMO_AS_OF", "WINDOW_START", "COMPANY_NAME", "SHEET_ORDER", "PERIODS",
    "PLANTED_DUPLICATES", "NEAR_MISS", "MESSY_SURVEY", "MISSING_KPI",
    "build_demo_workbook", "demo_tables", "demo_workbook_path",
]
