"""The demo's planted lost accounts: a few key and standard accounts that stop ordering months
before the as-of date, each after a plausible cause, and complaints before the generator's own
churners stop, so the churn analysis (the loss rule, why they left, the win-back list) has
something true to find.

It runs after the survey and before the scorecard, on its own random generator (seeded from the
demo seed and :data:`PLANT_STREAM`), so every other draw of the demo is the same as without it
and the scorecard's data KPIs are computed from the sheets as they end up.

**The planted accounts** (:data:`PLANTED_CHURN`: the i-th account by revenue among the steady,
older customers, with its last order day). Each one, before its last order:

* two complaints of high or critical severity (quality or delivery), opened 60-110 and 25-45
  days before the last order; the first closed 40-75 days after it was opened, the second still
  open at the as-of date (over 30 days open, both);
* a falling order size: the lines of its last 150 days scaled from 1 down to 0.35;
* one contact person: in its last year every contact is its account manager, and the contacts
  stop 30 days before the last order;
* low survey answers: overall 2, NPS 2-5 (a detractor) on each of its responses;
* then no order, return or contact after the last order day.

**The generator's own churners** (about 11 % of the older customers thin out and stop, see
:mod:`addin.demo.activity`): each one, with probability :data:`CHURNER_COMPLAINT_SHARE`, gets a
complaint of high or critical severity opened 30-100 days before its last order and left open
35-90 days (or still open at the as-of date), so the lost accounts differ from the retained ones
on complaints open over 30 days, as a real book would.
"""

from __future__ import annotations

import numpy as np

from addin.demo.calendar import _N_DAYS
from addin.demo.vocabulary import _COPY_OF, _COPY_ROW, _PLANTED, MESSY_SURVEY

#: Added to the demo seed for the planting's own generator.
PLANT_STREAM = 17

#: (the rank, from 0, by revenue among the eligible customers; days between the last order and
#: the as-of date). Ranks 4-33 are key accounts (the top 100 of about 2,000), 110-240 standard.
PLANTED_CHURN = (
    (4, 150), (17, 200), (33, 130),
    (110, 230), (150, 170), (190, 120), (130, 185),
)

CHURNER_COMPLAINT_SHARE = 0.3
FADE_DAYS = 150
FADE_TO = 0.35
CONTACTS_STOP = 30
_QUALITY, _DELIVERY = 1, 0  # COMPLAINT_CATEGORIES indices
_HIGH, _CRITICAL = 2, 3  # SEVERITIES indices


def planted_rows(cust: dict, tx: dict) -> list[tuple[int, int]]:
    """The planted accounts as (customer row, last order day index): the :data:`PLANTED_CHURN`
    ranks among the older customers who buy through the whole window (not new, dormant or a
    generator churner, and not one of the planted duplicate records), by revenue."""
    revenue = np.bincount(tx["cust"], weights=tx["amount"], minlength=cust["n"])
    eligible = ~cust["is_new"] & ~tx["churn"] & ~tx["dormant"]
    eligible[sorted(set(_PLANTED) | {_COPY_OF, _COPY_ROW})] = False
    order = [int(i) for i in np.argsort(-revenue, kind="stable") if eligible[i]]
    return [(order[rank], _N_DAYS - 1 - days) for rank, days in PLANTED_CHURN]


def _complaint_rows(rng: np.random.Generator, c: int, opened: int, duration: int,
                    category: int, severity: int) -> tuple:
    closed = opened + duration
    is_open = closed > _N_DAYS - 1
    status = 0 if is_open else (1 if rng.random() < 0.5 else 2)
    return c, opened, closed, is_open, category, severity, status


def plant_churn(seed: int, cust: dict, tx: dict, contacts: dict, comp: dict,
                survey: dict) -> list[tuple[int, int]]:
    """Plant the lost accounts and the churners' complaints (module docstring) into the
    generated tables, in place; return the planted accounts as (customer row, day index of
    the last order the Transactions sheet shows)."""
    rng = np.random.default_rng([seed, PLANT_STREAM])
    planted = planted_rows(cust, tx)
    stop = np.full(cust["n"], _N_DAYS, dtype=np.int64)  # first day with nothing left
    for row, last in planted:
        stop[row] = last + 1

    # transactions: nothing after the last order; order size fading over the last 150 days
    keep = tx["day"] < stop[tx["cust"]]
    for name in ("cust", "day", "amount", "margin", "product", "channel", "payment"):
        tx[name] = tx[name][keep]
    last_day = (stop - 1)[tx["cust"]]
    ahead = last_day - tx["day"]
    fading = (stop[tx["cust"]] < _N_DAYS) & (ahead < FADE_DAYS)
    factor = np.where(fading, FADE_TO + (1 - FADE_TO) * ahead / FADE_DAYS, 1.0)
    tx["amount"] = np.round(tx["amount"] * factor, 2)
    tx["margin"] = np.round(tx["margin"] * factor, 2)
    # from here on, the last order as the sheet shows it (the cut-off day may have none)
    for k, (row, _) in enumerate(planted):
        last = int(tx["day"][(tx["cust"] == row) & (tx["amount"] > 0)].max())
        planted[k] = (row, last)
        stop[row] = last + 1
    keep = tx["day"] < stop[tx["cust"]]  # and no return after it
    for name in ("cust", "day", "amount", "margin", "product", "channel", "payment"):
        tx[name] = tx[name][keep]

    # contacts: the account manager alone in the last year, none from 30 days before the end
    c_stop = np.where(stop < _N_DAYS, stop - 1 - CONTACTS_STOP, _N_DAYS)
    keep = contacts["day"] < c_stop[contacts["cust"]]
    order = np.flatnonzero(keep)
    for name in ("cust", "day", "channel", "subject", "outcome"):
        contacts[name] = contacts[name][keep]
    contacts["staff"] = [contacts["staff"][k] for k in order]
    for k in np.flatnonzero((stop[contacts["cust"]] < _N_DAYS)
                            & (contacts["day"] > stop[contacts["cust"]] - 366)):
        contacts["staff"][k] = cust["am"][contacts["cust"][k]]

    # complaints: none after a planted account's last order (they followed the orders that are
    # gone); two before it, and one before some churners' end
    keep = comp["opened"] < stop[comp["cust"]]
    for name in comp:
        comp[name] = comp[name][keep]
    new = []
    for row, last in planted:
        first = last - int(rng.integers(60, 111))
        new.append(_complaint_rows(rng, row, first, int(rng.integers(40, 76)), _QUALITY,
                                   int(rng.choice([_HIGH, _CRITICAL]))))
        second = last - int(rng.integers(25, 46))
        new.append(_complaint_rows(rng, row, second, _N_DAYS, _DELIVERY,
                                   int(rng.choice([_HIGH, _CRITICAL]))))
    churners = np.flatnonzero(tx["churn"] & ~cust["is_new"])
    for row in churners[rng.random(len(churners)) < CHURNER_COMPLAINT_SHARE]:
        end = int(tx["end"][row])
        opened = max(int(tx["start"][row]), end - int(rng.integers(30, 101)))
        new.append(_complaint_rows(rng, int(row), opened, int(rng.integers(35, 91)),
                                   int(rng.choice([_QUALITY, _DELIVERY])),
                                   int(rng.choice([_HIGH, _CRITICAL], p=[0.7, 0.3]))))
    added = [np.array(col) for col in zip(*new, strict=True)]
    for name, col in zip(("cust", "opened", "closed", "is_open", "category", "severity",
                          "status"), added, strict=True):
        comp[name] = np.concatenate([comp[name], col.astype(comp[name].dtype)])
    order = np.lexsort((np.arange(len(comp["cust"])), comp["cust"], comp["opened"]))
    for name in comp:
        comp[name] = comp[name][order]

    # survey: the planted accounts' answers are low (the planted messy cells stay as they are)
    messy = {(int(rid[1:]) - 1, col) for rid, (col, _) in MESSY_SURVEY.items()}
    for k in np.flatnonzero(stop[survey["cust"]] < _N_DAYS):
        if (k, "overall") not in messy:
            survey["cols"]["overall"][k] = 2
        if (k, "nps") not in messy:
            survey["cols"]["nps"][k] = int(rng.integers(2, 6))
    return planted
