"""The one timing helper the bench scripts share (run them as ``python bench/NAME.py``, which
puts this folder on the import path)."""

from __future__ import annotations

import resource
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


def cpu_seconds() -> float:
    """This process's CPU time so far, user + system (what a run costs on a shared machine,
    where the wall time also holds the other processes' turns)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_cpu(func: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """The median wall time and median CPU time (user + system) of ``repeat`` calls of
    ``func``, and the last call's result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), cpu_seconds()
        result = func()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return statistics.median(walls), statistics.median(cpus), result
