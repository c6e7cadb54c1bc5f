"""Satisfaction beyond the questionnaire: the seven classic satisfaction indicators and the
satisfaction x loyalty matrix, from the survey together with orders and complaints."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from addin.errors import InputError
from addin.surveys.answers import TEXT, VALID, Exclusions, answer_codes

INDICATOR_COLUMNS = ["indicator", "value", "unit", "basis", "definition"]
LOYALTY_QUADRANTS = {
    (True, True): "Apostle",
    (True, False): "Mercenary",
    (False, True): "Hostage",
    (False, False): "Defector",
}
LOYALTY_COLUMNS = ["customer_id", "responses", "satisfaction", "orders", "satisfied", "loyal",
                   "quadrant"]
_YES = {"yes", "y", "true", "1", "是", "是的", "会"}
_NO = {"no", "n", "false", "0", "否", "不", "不会"}


def _between(dates: pd.Series, start: object, end: object) -> pd.Series:
    keep = pd.Series(True, index=dates.index)
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        keep &= dates <= pd.Timestamp(end)
    return keep


def orders_per_customer(transactions: pd.DataFrame, start: object = None, end: object = None
                        ) -> pd.Series:
    """Orders per customer in the period: an order is one customer's order lines of one day
    whose net amount is positive (returns and free lines alone are not an order)."""
    tx = transactions
    if start is not None or end is not None:
        tx = tx[_between(tx["date"], start, end)]
    if tx.empty:
        return pd.Series(dtype="int64", name="orders")
    day = pd.to_datetime(tx["date"]).dt.normalize()
    net = tx.groupby([tx["customer_id"], day], sort=False)["amount"].sum()
    positive = net[net > 0]
    counts = positive.groupby(level=0, sort=True).size()
    counts.index.name = "customer_id"
    return counts.rename("orders").astype("int64")


def _order_values(transactions: pd.DataFrame, start: object, end: object) -> pd.Series:
    tx = transactions
    if start is not None or end is not None:
        tx = tx[_between(tx["date"], start, end)]
    if tx.empty:
        return pd.Series(dtype=float)
    day = pd.to_datetime(tx["date"]).dt.normalize()
    net = tx.groupby([tx["customer_id"], day], sort=False)["amount"].sum()
    return net[net > 0]


def yes_no(values: object) -> tuple[np.ndarray, np.ndarray]:
    """(is_yes, codes) of yes/no answers: 1 / yes / y / true / 是 count as yes, 0 / no / n /
    false / 否 as no (case-insensitive); blanks are ``BLANK``, other text ``TEXT``, other
    numbers ``OUT_OF_RANGE``."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    numbers, codes = answer_codes(series, 0, 1)
    is_yes = numbers == 1
    text = codes == TEXT
    if text.any():
        words = series[text].map(lambda v: str(v).strip().casefold())
        yes, no = words.isin(_YES).to_numpy(), words.isin(_NO).to_numpy()
        idx = np.flatnonzero(text)
        is_yes[idx[yes]] = True
        codes[idx[yes | no]] = VALID
    return is_yes, codes


def _share_yes(survey: pd.DataFrame, column: str | None) -> tuple[float, str]:
    if column is None or column not in survey.columns:
        return math.nan, "not asked (no such survey column)"
    is_yes, codes = yes_no(survey[column])
    valid = codes == VALID
    ex = Exclusions.from_codes(codes)
    basis = f"{int(valid.sum()):,} answers (left out: {ex.describe()})"
    return (100.0 * is_yes[valid].mean() if valid.any() else math.nan), basis


def satisfaction_indicators(customers: pd.DataFrame | None, transactions: pd.DataFrame | None,
                            complaints: pd.DataFrame | None, survey: pd.DataFrame | None, *,
                            start: object = None, end: object = None, overall_scale: int = 5,
                            top_box: int = 2, promoter_min: int = 9,
                            name_item: str | None = "ask_by_name",
                            price_item: str | None = "price_sensitivity") -> pd.DataFrame:
    """The seven classic satisfaction indicators for the period ``start``..``end`` (dates
    inclusive; None leaves that end open), one row each, blank where the input is absent:

    1. **reputation**: the share (%) of favourable answers to the overall satisfaction
       question: the top ``top_box`` points of 1..``overall_scale`` (4 and 5 of 5);
    2. **asking by name**: the share (%) answering yes to an optional yes/no survey item
       ``name_item`` ("would you ask for our brand by name?"; 1/yes/y/true/是 or
       0/no/n/false/否);
    3. **repurchase rate**: the share (%) of the customers with at least one order in the
       period who placed two or more;
    4. **complaint rate**: complaints opened in the period per 100 active customers (those
       with at least one order in the period);
    5. **value per transaction**: the mean order value (net amount of an order) in the
       period;
    6. **price sensitivity**: the share (%) answering yes to an optional yes/no item
       ``price_item`` ("would you switch supplier for a 5 % lower price?"); lower is better;
    7. **referral rate**: the share (%) of promoters (``promoter_min``..10) among the valid
       answers to the 0..10 recommendation question (``nps``).

    An order is one customer's order lines of one day with a positive net amount. Survey
    answers are filtered by their ``date`` when the survey has one. Blank, text and
    off-scale answers are left out and counted in ``basis``. ``customers`` (optional) only
    sizes the customer base in the basis text.
    """
    survey = survey if survey is not None else pd.DataFrame()
    if "date" in survey.columns and (start is not None or end is not None):
        survey = survey[_between(survey["date"], start, end)]
    rows = []

    def add(name, value, unit, basis, definition):
        rows.append({"indicator": name, "value": value, "unit": unit, "basis": basis,
                     "definition": definition})

    if "overall" in survey.columns:
        numbers, codes = answer_codes(survey["overall"], 1, overall_scale)
        valid = numbers[codes == VALID]
        rep = 100.0 * float((valid > overall_scale - top_box).mean()) if len(valid) else math.nan
        rep_basis = (f"{len(valid):,} answers (left out: "
                     f"{Exclusions.from_codes(codes).describe()})")
    else:
        rep, rep_basis = math.nan, "no overall satisfaction column"
    add("reputation", rep, "%", rep_basis,
        f"share of overall satisfaction answers in the top {top_box} of 1..{overall_scale}")
    value, basis = _share_yes(survey, name_item)
    add("asking by name", value, "%", basis,
        f"share answering yes to '{name_item}' (would ask for us by name)")

    orders = (orders_per_customer(transactions, start, end) if transactions is not None
              else pd.Series(dtype="int64"))
    active = len(orders)
    base = f" of {customers['customer_id'].nunique():,} customers" if customers is not None \
        and "customer_id" in customers.columns else ""
    if transactions is not None and active:
        add("repurchase rate", 100.0 * float((orders >= 2).mean()), "%",
            f"{active:,} active customers{base}",
            "share of customers with an order in the period who placed 2 or more")
    else:
        add("repurchase rate", math.nan, "%", "no orders in the period",
            "share of customers with an order in the period who placed 2 or more")
    if complaints is not None and transactions is not None and active:
        opened = complaints[_between(complaints["opened"], start, end)]
        add("complaint rate", 100.0 * len(opened) / active, "per 100 active customers",
            f"{len(opened):,} complaints, {active:,} active customers",
            "complaints opened in the period per 100 customers with an order in it")
    else:
        add("complaint rate", math.nan, "per 100 active customers",
            "no complaints sheet" if complaints is None else "no orders in the period",
            "complaints opened in the period per 100 customers with an order in it")
    values = (_order_values(transactions, start, end) if transactions is not None
              else pd.Series(dtype=float))
    add("value per transaction", float(values.mean()) if len(values) else math.nan, "amount",
        f"{len(values):,} orders", "mean net amount of an order in the period")
    value, basis = _share_yes(survey, price_item)
    add("price sensitivity", value, "%", basis,
        f"share answering yes to '{price_item}' (would switch for a lower price)")
    if "nps" in survey.columns:
        numbers, codes = answer_codes(survey["nps"], 0, 10)
        valid = numbers[codes == VALID]
        ref = 100.0 * float((valid >= promoter_min).mean()) if len(valid) else math.nan
        ref_basis = (f"{len(valid):,} answers (left out: "
                     f"{Exclusions.from_codes(codes).describe()})")
    else:
        ref, ref_basis = math.nan, "no recommendation (nps) column"
    add("referral rate", ref, "%", ref_basis,
        f"share of promoters ({promoter_min}-10) among 0..10 recommendation answers")
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


@dataclass(frozen=True)
class SatisfactionLoyalty:
    """What :func:`satisfaction_loyalty` found: ``table`` (one row per customer placed), the
    answers ``excluded``, the ``customers_left_out`` (no valid answer) and the ``anonymous``
    responses (no customer id)."""

    table: pd.DataFrame
    excluded: Exclusions = field(default_factory=Exclusions)
    customers_left_out: int = 0
    anonymous: int = 0


def satisfaction_loyalty(survey: pd.DataFrame, transactions: pd.DataFrame, *,
                         threshold: float = 3.5, repeat_min: int = 2, overall_scale: int = 5,
                         start: object = None, end: object = None) -> SatisfactionLoyalty:
    """Customers in the satisfaction x loyalty matrix (Jones & Sasser, "Why satisfied
    customers defect", Harvard Business Review 73(6), 1995):

    * satisfied and loyal: **Apostle**; satisfied, not loyal: **Mercenary**;
    * not satisfied, loyal: **Hostage**; neither: **Defector**.

    A customer's ``satisfaction`` is the mean of his valid ``overall`` answers (1..
    ``overall_scale``); he is satisfied when it is at least ``threshold``. He is loyal when he
    placed at least ``repeat_min`` orders in the period (an order: one day's order lines with
    a positive net amount). Customers without a valid overall answer are left out (the
    result's ``excluded`` answers and ``customers_left_out``); responses without a
    ``customer_id`` are counted in ``anonymous``. ``table`` has one row per customer, sorted
    by id.
    """
    if "customer_id" not in survey.columns:
        raise InputError("the survey has no customer_id column to link answers to orders")
    if "overall" not in survey.columns:
        raise InputError("the survey has no overall satisfaction column")
    if "date" in survey.columns and (start is not None or end is not None):
        survey = survey[_between(survey["date"], start, end)]
    numbers, codes = answer_codes(survey["overall"], 1, overall_scale)
    ids = survey["customer_id"]
    anonymous = ids.isna().to_numpy()
    use = (codes == VALID) & ~anonymous
    frame = pd.DataFrame({"customer_id": ids.to_numpy()[use], "satisfaction": numbers[use]})
    per = frame.groupby("customer_id", sort=True)["satisfaction"].agg(["size", "mean"])
    per.columns = ["responses", "satisfaction"]
    orders = orders_per_customer(transactions, start, end) if transactions is not None \
        else pd.Series(dtype="int64")
    per["orders"] = orders.reindex(per.index).fillna(0).astype("int64")
    per["satisfied"] = per["satisfaction"] >= threshold
    per["loyal"] = per["orders"] >= repeat_min
    per["quadrant"] = [LOYALTY_QUADRANTS[(s, lo)] for s, lo in
                       zip(per["satisfied"], per["loyal"], strict=True)]
    out = per.reset_index()[LOYALTY_COLUMNS]
    answered = set(frame["customer_id"])
    without = ids[~anonymous & (codes != VALID)]
    return SatisfactionLoyalty(
        out, Exclusions.from_codes(codes[~anonymous & (codes != VALID)]),
        int(pd.Index(without.unique()).difference(pd.Index(list(answered))).size),
        int(anonymous.sum()))


def loyalty_counts(matrix: pd.DataFrame) -> pd.DataFrame:
    """How many of :func:`satisfaction_loyalty`'s customers fall in each quadrant: one row
    per quadrant (Apostle, Mercenary, Hostage, Defector) with its definition, the count and
    the share of the customers placed (0..1)."""
    total = len(matrix)
    rows = []
    for (satisfied, loyal), name in LOYALTY_QUADRANTS.items():
        count = int(((matrix["satisfied"] == satisfied) & (matrix["loyal"] == loyal)).sum())
        rows.append({"quadrant": name, "satisfied": satisfied, "repeat buyer": loyal,
                     "customers": count, "share": count / total if total else math.nan})
    return pd.DataFrame(rows)
