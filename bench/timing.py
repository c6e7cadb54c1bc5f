"""The one timing helper the bench scripts share (run them as ``python bench/NAME.py``, which
puts this folder on the import path)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The median wall time of ``repeat`` calls of ``func``, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def median_time(func: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``repeat`` calls of ``func``."""
    return timed(func, repeat)[0]
