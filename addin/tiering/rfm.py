"""RFM: the per-customer summary of a transaction log, quantile scores and named segments.

Public through :mod:`addin.tiering`. ``rfm_summary`` gives both the business measures
(``recency_days``, ``orders``, ``revenue``, ``margin``) and the BG/NBD model's inputs
(``frequency``, ``recency``, ``T``, ``monetary_value``) defined exactly as the lifetimes
library's ``summary_data_from_transaction_data`` defines them, from one sort of the log.
The segment rules live in one table, :data:`RFM_SEGMENTS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.errors import InputError

SUMMARY_COLUMNS = (
    "frequency", "recency", "T", "monetary_value",
    "recency_days", "tenure_days", "orders", "revenue", "margin",
    "first_purchase", "last_purchase", "recent_revenue", "prior_revenue",
)
FREQUENCIES = ("D", "W", "M")
_EPOCH_WEEKDAY_SHIFT = 3  # 1970-01-01 is a Thursday; +3 days makes weeks start on Monday


def as_day(value: object, name: str = "as_of") -> np.datetime64:
    """A date (Timestamp, date, datetime64 or ISO text) as a day; InputError otherwise."""
    if isinstance(value, str):
        value = value.strip()
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a date such as 2026-10-31 (found {value!r})") from exc
    if stamp is pd.NaT:
        raise InputError(f"{name}: expected a date such as 2026-10-31 (found a blank)")
    return np.datetime64(stamp.date(), "D")


def _day_numbers(dates: pd.Series, name: str) -> np.ndarray:
    """Days since 1970-01-01 as int64 (the time of day is dropped); NaT stays NaT's value."""
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        converted = pd.to_datetime(dates, errors="coerce")
        bad = converted.isna() & dates.notna()
        if bad.any():
            label = bad[bad].index[0]
            raise InputError(f"{name}: row {label!r} is not a date (found {dates[label]!r})")
        dates = converted
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)  # the local calendar day
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def _periods(days: np.ndarray, freq: str) -> np.ndarray:
    """Period number of each day: the day itself, the Monday-based week (pandas' ``W``
    periods, which end on Sunday), or the calendar month."""
    if freq == "D":
        return days
    if freq == "W":
        return np.floor_divide(days + _EPOCH_WEEKDAY_SHIFT, 7)
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Positions where any of the sorted keys changes (the first row of each run)."""
    n = len(keys[0])
    flag = np.zeros(n, dtype=bool)
    if n:
        flag[0] = True
        for key in keys:
            flag[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(flag)


def _empty_summary(customer: str) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in SUMMARY_COLUMNS})
    frame = frame.astype({"orders": "int64", "recency_days": "Int64", "tenure_days": "Int64",
                          "first_purchase": "datetime64[s]", "last_purchase": "datetime64[s]"})
    frame.index.name = customer
    return frame


def stable_argsort(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` of non-negative int64 keys (customer x day keys),
    the same order, faster than numpy's stable timsort (0.10 s for a million keys): keys that
    fit in 32 bits as two stable passes over 16-bit digits, least significant first (numpy
    sorts 16-bit integers by radix; 0.04 s); larger ones with ties broken by position in one
    quicksort of ``key * n + position`` while that fits in int64; else the stable sort."""
    n = len(key)
    if not n:
        return np.argsort(key, kind="stable")
    top = int(key.max())
    if top < 1 << 32:
        order = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
        return order[np.argsort((key[order] >> 16).astype(np.uint16), kind="stable")]
    if top < (np.iinfo(np.int64).max - n) // n:
        return np.argsort(key * n + np.arange(n))
    return np.argsort(key, kind="stable")


def _daily(transactions: pd.DataFrame, customer: str = "customer_id", date: str = "date",
           amount: str = "amount", margin: str = "margin") -> tuple | None:
    """The log netted per customer and day: ``(uniques, d_code, d_day, day_net, day_margin)``,
    sorted by (customer, day); ``uniques`` the sorted customer ids, ``d_code`` their positions,
    ``d_day`` days since 1970-01-01, ``day_margin`` None without a margin column. None when no
    line has a customer and a date.

    The lines of a customer and day are added in the order they come (a stable sort), so the
    sums do not depend on how the log was split: one file, several, or a sorted stream of
    lines (:mod:`addin.workbook.dataset`) give the same doubles to the last bit. Rows whose
    customer and date are both blank are skipped; a blank customer or date alone, or a
    non-numeric amount, raises ``InputError`` naming the row."""
    missing = [c for c in (customer, date, amount) if c not in transactions.columns]
    if missing:
        raise InputError(f"transactions need the columns {customer}, {date}, {amount} "
                         f"(missing: {', '.join(missing)})")
    ids = transactions[customer]
    days = _day_numbers(transactions[date], date)
    amounts = pd.to_numeric(transactions[amount], errors="coerce").to_numpy(dtype=float)
    has_margin = margin in transactions.columns
    margins = (pd.to_numeric(transactions[margin], errors="coerce").to_numpy(dtype=float)
               if has_margin else None)

    no_id = ids.isna().to_numpy()
    no_day = transactions[date].isna().to_numpy()
    blank = no_id & no_day
    for mask, what in ((no_id & ~blank, "no customer id"), (no_day & ~blank, "no date")):
        if mask.any():
            label = transactions.index[np.flatnonzero(mask)[0]]
            raise InputError(f"transactions row {label!r} has {what}")
    bad_amount = np.isnan(amounts) & ~blank
    if bad_amount.any():
        label = transactions.index[np.flatnonzero(bad_amount)[0]]
        raise InputError(f"transactions row {label!r}: {amount} is not a number "
                         f"(found {transactions[amount].iloc[np.flatnonzero(bad_amount)[0]]!r})")
    if blank.any():
        keep = ~blank
        ids, days, amounts = ids[keep], days[keep], amounts[keep]
        margins = margins[keep] if margins is not None else None
    if len(days) == 0:
        return None
    try:
        codes, uniques = pd.factorize(ids, sort=True)
    except TypeError:  # ids of mixed types that do not sort
        codes, uniques = pd.factorize(ids.astype(str), sort=True)

    # one stable sort by (customer, day), then runs of equal keys are days of a customer
    first_day = int(days.min())
    span = int(days.max()) - first_day + 1
    key = codes.astype(np.int64) * span + (days - first_day)
    order = stable_argsort(key)
    sorted_key = key[order]
    day_starts = _run_starts(sorted_key)
    day_net = np.add.reduceat(amounts[order], day_starts)
    day_margin = np.add.reduceat(margins[order], day_starts) if margins is not None else None
    day_key = sorted_key[day_starts]
    return (uniques, day_key // span, day_key % span + first_day,
            day_net, day_margin)


def customer_days(transactions: pd.DataFrame, customer: str = "customer_id",
                  date: str = "date", amount: str = "amount",
                  margin: str = "margin") -> pd.DataFrame:
    """The log as one line per customer and day: ``customer_id``, ``date`` (the day),
    ``amount`` (the day's net amount) and ``margin`` (its net margin, when the log has the
    column), sorted by customer then day.

    Everything the tiering computes from a log (:func:`rfm_summary`, the loss rule's purchase
    days, the retention of the margin formula) nets lines per customer and day first, so it
    gives the same numbers on this table as on the lines: the table is what a log too large
    for memory is reduced to (:mod:`addin.workbook.dataset`). Applied to its own output it
    changes nothing. Blank and bad rows as in :func:`rfm_summary`."""
    daily = _daily(transactions, customer, date, amount, margin)
    columns = {customer: pd.Series(dtype=object), date: pd.Series(dtype="datetime64[s]"),
               amount: pd.Series(dtype=float)}
    if margin in transactions.columns:
        columns[margin] = pd.Series(dtype=float)
    if daily is None:
        return pd.DataFrame(columns)
    uniques, d_code, d_day, day_net, day_margin = daily
    out = {customer: uniques.take(d_code),
           date: d_day.astype("datetime64[D]").astype("datetime64[s]"), amount: day_net}
    if day_margin is not None:
        out[margin] = day_margin
    return pd.DataFrame(out)


def rfm_summary(
    transactions: pd.DataFrame,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    as_of: object = None,
    freq: str = "D",
    *,
    margin: str = "margin",
    trend_days: int = 180,
) -> pd.DataFrame:
    """One row per customer: the RFM measures and the BG/NBD model's inputs.

    Lines dated after ``as_of`` are ignored (default: the last date in the log, as in
    lifetimes), so the same log can be summarised as of an earlier date. Lines are netted per
    customer and day first: a return on the day of its purchase reduces that day's amount.
    A **purchase period** is a period (a day for ``freq="D"``, a Monday-to-Sunday week for
    ``"W"``, a calendar month for ``"M"``) whose lines do not net to a return (net amount
    >= 0): a return on a day of its own is not a purchase, while a zero-value line (a free
    sample, CDNOW's $0 orders) is one, as in lifetimes and in the CDNOW summaries of Fader,
    Hardie and Lee. With these, as lifetimes' ``summary_data_from_transaction_data`` (with a
    monetary column) defines them:

    * ``frequency``: purchase periods after the first (repeat purchases);
    * ``recency``: periods from the first to the last purchase period (the age at the last
      purchase; 0 when ``frequency`` is 0);
    * ``T``: periods from the first purchase period to the period of ``as_of``;
    * ``monetary_value``: the mean net amount of the repeat purchase periods, 0 when
      ``frequency`` is 0.

    And for business use:

    * ``recency_days``: days from the last purchase day to ``as_of`` (RFM's recency);
    * ``tenure_days``: days from the first purchase day to ``as_of``;
    * ``orders``: purchase days (days whose lines do not net to a return);
    * ``revenue`` and ``margin``: net sums of ``amount`` and of the ``margin`` column (NaN
      when the log has none) over all lines up to ``as_of``, returns included;
    * ``first_purchase``, ``last_purchase``: the first and last purchase days;
    * ``recent_revenue``, ``prior_revenue``: net revenue of the last ``trend_days`` days up to
      ``as_of`` and of the ``trend_days`` before those (for the life-cycle trend).

    On a log without returns and ``as_of`` on or after its last date, ``frequency``,
    ``recency``, ``T`` and ``monetary_value`` equal lifetimes' for ``"D"`` and ``"W"``
    (lifetimes cannot do ``"M"``; here months count calendar months between the periods).
    One difference by design: lifetimes keeps every line of the ``as_of`` period (the whole
    week for ``"W"``), this keeps lines up to the ``as_of`` day.

    Customers with lines but no purchase period up to ``as_of`` (only returns) are listed
    with ``orders`` 0, ``frequency``, ``recency`` and ``monetary_value`` 0, and ``T``,
    ``recency_days``, ``tenure_days`` missing (they have no first purchase); model fits must
    leave them out. The index is the customer id, sorted. Empty input (or nothing up to
    ``as_of``) gives an empty frame with these columns. Rows whose customer and date are both
    blank are skipped; a blank customer or date alone, or a non-numeric amount, raises
    ``InputError`` naming the row.

    Vectorised: one stable ``argsort`` of (customer, day) and ``reduceat``/``bincount``
    aggregates; the lines of a customer and day are netted in the order they come, then the
    days of a customer are summed in date order (so :func:`customer_days` of the log gives the
    same summary, to the last bit).
    """
    if freq not in FREQUENCIES:
        raise InputError(f"freq must be one of {', '.join(FREQUENCIES)} (got {freq!r})")
    if trend_days < 1:
        raise InputError("trend_days must be >= 1")
    daily = _daily(transactions, customer, date, amount, margin)
    if daily is None:
        return _empty_summary(customer)
    uniques, d_code, d_day, day_net, day_margin = daily
    end = int(as_day(as_of).astype(np.int64)) if as_of is not None else int(d_day.max())
    keep = d_day <= end
    if not keep.all():
        d_code, d_day, day_net = d_code[keep], d_day[keep], day_net[keep]
        day_margin = day_margin[keep] if day_margin is not None else None
        if len(d_code) == 0:
            return _empty_summary(customer)
        # customers with no line up to as_of are not listed: number the rest 0, 1, ...
        present = np.zeros(len(uniques), dtype=bool)
        present[d_code] = True
        d_code = (np.cumsum(present) - 1)[d_code]
        uniques = uniques[present]
    n_cust = len(uniques)

    revenue = np.bincount(d_code, weights=day_net, minlength=n_cust)
    margin_sum = (np.bincount(d_code, weights=day_margin, minlength=n_cust)
                  if day_margin is not None else np.full(n_cust, np.nan))
    recent = d_day > end - trend_days
    prior = (d_day <= end - trend_days) & (d_day > end - 2 * trend_days)
    recent_revenue = np.bincount(d_code[recent], weights=day_net[recent], minlength=n_cust)
    prior_revenue = np.bincount(d_code[prior], weights=day_net[prior], minlength=n_cust)

    bought = day_net >= 0
    first_buy = np.zeros(n_cust, dtype=np.int64)
    last_buy = np.zeros(n_cust, dtype=np.int64)
    all_bought = bool(bought.all())  # no day nets to a return: skip the copies
    b_code, b_day = (d_code, d_day) if all_bought else (d_code[bought], d_day[bought])
    orders = np.bincount(b_code, minlength=n_cust)
    b_starts = _run_starts(b_code)
    if len(b_code):  # every day a return: nobody bought, first and last stay 0
        first_buy[b_code[b_starts]] = b_day[b_starts]
        last_buy[b_code[b_starts]] = b_day[np.r_[b_starts[1:], len(b_code)] - 1]

    # periods: the days of a customer are sorted, so its periods are sorted runs too
    if freq == "D":
        p_code, p_per, p_net = d_code, d_day, day_net
    else:
        per = _periods(d_day, freq)
        p_starts = _run_starts(d_code, per)
        p_code, p_per = d_code[p_starts], per[p_starts]
        p_net = np.add.reduceat(day_net, p_starts)
    buy = p_net >= 0
    if buy.all():
        q_code, q_per, q_net = p_code, p_per, p_net
    else:
        q_code, q_per, q_net = p_code[buy], p_per[buy], p_net[buy]
    q_starts = _run_starts(q_code)
    # no period with a purchase at all (every line a return): no runs, nothing ends
    q_ends = np.r_[q_starts[1:], len(q_code)] - 1 if len(q_code) else q_starts
    buyers = q_code[q_starts]
    count = np.zeros(n_cust, dtype=np.int64)
    count[buyers] = q_ends - q_starts + 1
    first_per = np.zeros(n_cust, dtype=np.int64)
    last_per = np.zeros(n_cust, dtype=np.int64)
    first_net = np.zeros(n_cust)
    first_per[buyers] = q_per[q_starts]
    last_per[buyers] = q_per[q_ends]
    first_net[buyers] = q_net[q_starts]
    period_sum = np.bincount(q_code, weights=q_net, minlength=n_cust)

    has = count > 0
    frequency = np.where(has, count - 1, 0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, (period_sum - first_net) / frequency, 0.0)
    end_per = int(_periods(np.array([end]), freq)[0])
    T = np.where(has, end_per - first_per, np.nan).astype(float)
    recency = np.where(has, last_per - first_per, 0).astype(float)

    has_day = orders > 0
    recency_days = pd.array(np.where(has_day, end - last_buy, 0), dtype="Int64")
    recency_days[~has_day] = pd.NA
    tenure_days = pd.array(np.where(has_day, end - first_buy, 0), dtype="Int64")
    tenure_days[~has_day] = pd.NA
    first_date = np.where(has_day, first_buy.astype("datetime64[D]"), np.datetime64("NaT"))
    last_date = np.where(has_day, last_buy.astype("datetime64[D]"), np.datetime64("NaT"))

    frame = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": recency,
            "T": T,
            "monetary_value": monetary,
            "recency_days": recency_days,
            "tenure_days": tenure_days,
            "orders": orders.astype(np.int64),
            "revenue": revenue,
            "margin": margin_sum,
            "first_purchase": first_date.astype("datetime64[s]"),
            "last_purchase": last_date.astype("datetime64[s]"),
            "recent_revenue": recent_revenue,
            "prior_revenue": prior_revenue,
        },
        index=pd.Index(uniques, name=customer),
    )
    return frame


# --------------------------------------------------------------------------------------------
# Scores and segments


def tie_ranks(values: np.ndarray, how: str = "average") -> np.ndarray:
    """Ranks 1..n of ``values`` ascending, missing (NaN) first; tied values share the
    ``"average"`` or the ``"min"`` rank of their run. One sort (numpy), no Python loop."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    key = np.where(np.isnan(v), -np.inf, v)  # missing ranks lowest, tied with each other
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = _run_starts(sorted_key)
    ends = np.r_[starts[1:], n]
    run_rank = starts + 1.0 if how == "min" else (starts + 1 + ends) / 2.0
    ranks = np.empty(n)
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks


def _quantile_scores(goodness: np.ndarray, bins: int) -> np.ndarray:
    """1..bins by the mid-rank percentile: score = 1 + floor(bins (rank - 1/2) / n), rank the
    average rank ascending (ties share it). Integer arithmetic: 2 * rank is a whole number."""
    n = len(goodness)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    twice_rank = np.round(2 * tie_ranks(goodness)).astype(np.int64)
    return 1 + ((twice_rank - 1) * bins) // (2 * n)


def rfm_scores(summary: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """R, F and M scores 1..``bins`` by quantile (``bins`` is best), from :func:`rfm_summary`.

    R ranks ``recency_days`` (fewer days is better, so the order is inverted), F ranks
    ``orders`` (purchase days), M ranks ``revenue`` (net). Each score is
    ``1 + floor(bins * (rank - 1/2) / n)`` with ``rank`` the customer's average rank from
    worst (1) to best (n), the mid-rank percentile: equal-size bins when there are no ties
    (n = 10, bins = 5: two customers per score), tied customers share a score, and a lone
    customer or an all-tied column gets the middle score (3 of 5). A customer without a
    purchase (``recency_days`` missing) ranks last on R.

    Returns ``r_score``, ``f_score``, ``m_score`` (int) and ``rfm_score``, the three digits
    as text ("545"), on the summary's index. Empty input gives an empty frame.
    """
    if not isinstance(bins, (int, np.integer)) or not 2 <= bins <= 9:
        raise InputError("bins must be a whole number from 2 to 9")
    missing = [c for c in ("recency_days", "orders", "revenue") if c not in summary.columns]
    if missing:
        raise InputError(f"the summary needs the columns recency_days, orders, revenue "
                         f"(missing: {', '.join(missing)}); make it with rfm_summary")
    recency_days = pd.to_numeric(summary["recency_days"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)
    r = _quantile_scores(-recency_days, bins)
    f = _quantile_scores(summary["orders"].to_numpy(dtype=float), bins)
    m = _quantile_scores(np.nan_to_num(summary["revenue"].to_numpy(dtype=float)), bins)
    # the bins^3 possible texts, looked up rather than built per customer
    digits = np.arange(1, bins + 1).astype(str).astype(object)
    texts = (digits[:, None, None] + digits[None, :, None] + digits[None, None, :]).ravel()
    text = texts[((r - 1) * bins + (f - 1)) * bins + (m - 1)] if len(r) else texts[:0]
    return pd.DataFrame({"r_score": r, "f_score": f, "m_score": m, "rfm_score": text},
                        index=summary.index)


@dataclass(frozen=True)
class RFMSegment:
    """A named RFM segment: the R scores and FM scores (both inclusive ranges on 1..5) it
    covers, what it means and what to do."""

    name: str
    r: tuple[int, int]
    fm: tuple[int, int]
    meaning: str
    action: str


# The one rule table. FM is the mean of F and M rounded half up, (F + M + 1) // 2. The cells of
# the 5 x 5 grid of R by FM are each covered exactly once (a test checks). Segment names and
# meanings follow the common 11-segment RFM map (Putler's, after Hughes, "Strategic Database
# Marketing"); the grid places them as the widely used R-by-FM chart does.
RFM_SEGMENTS: tuple[RFMSegment, ...] = (
    RFMSegment("Champions", (5, 5), (4, 5),
               "bought recently, buy often and spend the most", "reward; early access; ask for "
               "referrals"),
    RFMSegment("Loyal", (3, 4), (4, 5),
               "buy often and spend well, not always the latest", "upsell; loyalty programme"),
    RFMSegment("Potential loyalist", (4, 5), (2, 3),
               "recent customers with average frequency and spend", "membership; recommend "
               "related products"),
    RFMSegment("New", (5, 5), (1, 1),
               "bought most recently, but not often", "onboarding; early support"),
    RFMSegment("Promising", (4, 4), (1, 1),
               "recent shoppers who have not spent much", "build brand awareness; free trials"),
    RFMSegment("Need attention", (3, 3), (3, 3),
               "middling recency, frequency and spend", "limited-time offers based on "
               "past purchases"),
    RFMSegment("About to sleep", (3, 3), (1, 2),
               "middling recency, low frequency and spend", "share valuable resources; "
               "reactivate"),
    RFMSegment("At risk", (1, 2), (3, 4),
               "spent well and often, but long ago", "personal e-mails to reconnect; renewals"),
    RFMSegment("Cannot lose them", (1, 2), (5, 5),
               "made the biggest and most frequent purchases, but long ago", "win them back; "
               "talk to them; do not lose them to a competitor"),
    RFMSegment("Hibernating", (2, 2), (1, 2),
               "last purchase long ago, few orders, low spend", "offer other relevant products "
               "and discounts"),
    RFMSegment("Lost", (1, 1), (1, 2),
               "lowest recency, frequency and spend", "revive interest with outreach, "
               "otherwise ignore"),
)


def _segment_grid() -> np.ndarray:
    grid = np.full((6, 6), -1, dtype=np.int64)
    for i, seg in enumerate(RFM_SEGMENTS):
        for r in range(seg.r[0], seg.r[1] + 1):
            for fm in range(seg.fm[0], seg.fm[1] + 1):
                if grid[r, fm] != -1:
                    raise AssertionError(f"RFM cell R{r} FM{fm} is in two segments")
                grid[r, fm] = i
    if (grid[1:, 1:] == -1).any():
        raise AssertionError("the RFM segment table leaves a cell uncovered")
    return grid


_SEGMENT_GRID = _segment_grid()


def rfm_segment(scores: pd.DataFrame) -> pd.Series:
    """The named segment of each customer from 5-point R, F and M scores (:func:`rfm_scores`
    with ``bins=5``), by the rule table :data:`RFM_SEGMENTS` on R and FM = (F + M + 1) // 2.

    Grid (rows R, columns FM)::

        R\\FM  1               2                   3                   4           5
        5     New             Potential loyalist  Potential loyalist  Champions   Champions
        4     Promising       Potential loyalist  Potential loyalist  Loyal       Loyal
        3     About to sleep  About to sleep      Need attention      Loyal       Loyal
        2     Hibernating     Hibernating         At risk             At risk     Cannot lose
        1     Lost            Lost                At risk             At risk     Cannot lose

    Scores outside 1..5 raise ``InputError``. Empty input gives an empty Series.
    """
    cols = [c for c in ("r_score", "f_score", "m_score") if c not in scores.columns]
    if cols:
        raise InputError(f"scores need r_score, f_score, m_score (missing: {', '.join(cols)})")
    r = scores["r_score"].to_numpy(dtype=np.int64)
    f = scores["f_score"].to_numpy(dtype=np.int64)
    m = scores["m_score"].to_numpy(dtype=np.int64)
    for name, s in (("r_score", r), ("f_score", f), ("m_score", m)):
        if ((s < 1) | (s > 5)).any():
            raise InputError(f"{name} must be 1..5 (segments are defined on 5-point scores)")
    fm = (f + m + 1) // 2
    names = np.asarray([seg.name for seg in RFM_SEGMENTS], dtype=object)
    return pd.Series(names[_SEGMENT_GRID[r, fm]], index=scores.index, dtype=object,
                     name="rfm_segment")


NO_PURCHASE = "No purchase"
GONE_RECENCY_ROW = 1  # the grid row a gone account is read on: R = 1, "long ago"


def reconcile_segment(scores: pd.DataFrame, lifecycle_stage: pd.Series,
                      prob_alive: pd.Series, alive_threshold: float) -> pd.Series:
    """The RFM segment reconciled with the account's own rhythm: the segment the reports,
    the email and the ``Tiers`` sheet's ``rfm_segment_reconciled`` column show.

    The R score ranks recency against *other* customers: an account that used to order
    every month and has been silent for half a year can still sit in the top recency
    quintiles of a slow-buying book and read "Loyal" or "Champions". The life cycle
    (:func:`addin.tiering.lifecycle_stage`, termination by the churn loss rule) and the
    BG/NBD probability of being active judge the same silence against the account's own
    purchase rhythm. Rule: when the stage is ``termination`` or ``prob_alive`` is below
    ``alive_threshold`` (Settings ``alive_threshold``, the same threshold the life cycle and
    the loss rule use), the account's segment is read on the grid's R = 1 row ("long ago",
    :data:`RFM_SEGMENTS`) at its own FM = (F + M + 1) // 2: FM 1-2 **Lost**, FM 3-4
    **At risk**, FM 5 **Cannot lose them**. So no account carries an active segment
    (Champions, Loyal, Potential loyalist, New, Promising, Need attention, About to sleep)
    next to a termination stage or a near-zero chance of being active. Every other
    customer keeps its grid segment; customers without scores (no purchase) keep theirs. A
    missing ``prob_alive`` does not trigger the rule.

    ``scores`` holds ``rfm_segment``, ``f_score`` and ``m_score`` (:func:`rfm_segment`'s
    input and output); ``lifecycle_stage`` and ``prob_alive`` are aligned on its index.
    """
    segment = scores["rfm_segment"].astype(object).copy()
    stage = lifecycle_stage.reindex(scores.index).astype(object)
    alive = pd.to_numeric(prob_alive.reindex(scores.index), errors="coerce")
    gone = (stage == "termination").to_numpy(dtype=bool) | (
        alive < alive_threshold).fillna(False).to_numpy(dtype=bool)
    f = pd.to_numeric(scores["f_score"], errors="coerce")
    m = pd.to_numeric(scores["m_score"], errors="coerce")
    scored = (f.notna() & m.notna()).to_numpy(dtype=bool)
    change = gone & scored
    if change.any():
        fm = ((f[change] + m[change] + 1) // 2).to_numpy(dtype=np.int64)
        names = np.asarray([seg.name for seg in RFM_SEGMENTS], dtype=object)
        segment[change] = names[_SEGMENT_GRID[GONE_RECENCY_ROW, fm]]
    return segment.rename("rfm_segment_reconciled")


def rfm_customer_scores(summary: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """The RFM scores and segment of every customer of ``summary``, by the one rule the
    ``Tiers`` sheet and ``CRM_RFM`` share: **only buyers are scored**. A buyer is a customer
    with at least one purchase day (``orders`` > 0); the R, F and M quantiles
    (:func:`rfm_scores`) rank the buyers among themselves, so listing customers who never
    bought changes no buyer's score. A customer without a purchase has blank scores and the
    segment ``No purchase`` (not "Lost": there is no recency, frequency or money to score;
    the life cycle places them, in exploration or termination).

    Returns ``r_score``, ``f_score``, ``m_score`` (nullable integers), ``rfm_score`` (text)
    and ``rfm_segment`` on the summary's index.
    """
    orders = pd.to_numeric(summary["orders"], errors="coerce").fillna(0) \
        if "orders" in summary.columns else pd.Series(0, index=summary.index)
    buyers = summary[(orders > 0).to_numpy()]
    scores = rfm_scores(buyers, bins)
    segment = rfm_segment(scores) if bins == 5 else pd.Series(None, index=scores.index,
                                                               dtype=object)
    out = scores.reindex(summary.index)
    for col in ("r_score", "f_score", "m_score"):
        out[col] = out[col].astype("Int64")
    out["rfm_score"] = out["rfm_score"].astype(object).where(out["rfm_score"].notna(), None)
    out["rfm_segment"] = segment.reindex(summary.index).astype(object).where(
        segment.reindex(summary.index).notna(), NO_PURCHASE)
    return out


def segments_markdown() -> str:
    """The rule table :data:`RFM_SEGMENTS` as Markdown (the README shows it; a test keeps the
    two equal)."""

    def span(lo_hi: tuple[int, int]) -> str:
        lo, hi = lo_hi
        return str(lo) if lo == hi else f"{lo}-{hi}"

    lines = ["| segment | R | FM | who they are | what to do |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {s.name} | {span(s.r)} | {span(s.fm)} | {s.meaning} | {s.action} |"
              for s in RFM_SEGMENTS]
    return "\n".join(lines)
