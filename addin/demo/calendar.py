"""The demo's calendar: the 18 months of the window, seasonal day weights, and small drawing
helpers shared by the generators."""

from __future__ import annotations

import datetime as dt

import numpy as np

from addin.demo.vocabulary import (
    DEMO_AS_OF,
    WINDOW_START,
)

_N_DAYS = (DEMO_AS_OF - WINDOW_START).days + 1  # 549
_DAYS = tuple(WINDOW_START + dt.timedelta(days=int(i)) for i in range(_N_DAYS))


def _day(d: dt.date) -> int:
    return (d - WINDOW_START).days


def _day_weights() -> np.ndarray:
    """Relative order intensity per day: weekdays, Chinese holidays, slow growth."""
    w = np.empty(_N_DAYS)
    weekday = (0.18, 0.06)  # Saturday, Sunday
    for i, d in enumerate(_DAYS):
        f = 1.0 if d.weekday() < 5 else weekday[d.weekday() - 5]
        if d.month in (11, 12):
            f *= 1.12
        if dt.date(2026, 2, 14) <= d <= dt.date(2026, 2, 24):  # Spring Festival 2026
            f *= 0.1
        elif dt.date(2026, 2, 9) <= d <= dt.date(2026, 3, 3):
            f *= 0.55
        if (d.month == 10 and d.day <= 7) or (d.month == 5 and d.day <= 5):  # Golden weeks
            f *= 0.2
        w[i] = f * (1.0 + 0.11 * i / 365.0)
    return w


def _pick(rng: np.random.Generator, options, weights, size):
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(options), size=size, p=p / p.sum())


def _month_index(days: np.ndarray) -> np.ndarray:
    """Month number since 2025-05 (0 = May 2025) of day indices."""
    months = np.array([(d.year - 2025) * 12 + d.month - 5 for d in _DAYS])
    return months[days]
