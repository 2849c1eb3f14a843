"""Clocks, percentiles, peak RSS and progress lines (on stderr, so stdout stays clean)."""

from __future__ import annotations

import math
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
_STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[bench {time.perf_counter() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): always one of the measured values."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def timed(work: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


async def timed_async(work: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    start = time.perf_counter()
    result = await work()
    return time.perf_counter() - start, result


def repeat(work: Callable[[], object], times: int, budget: float = math.inf) -> list[float]:
    """Seconds of up to ``times`` runs of ``work``; stops early once ``budget`` seconds are
    spent (slow validators would otherwise eat the run's time)."""
    durations: list[float] = []
    while len(durations) < times and sum(durations) < budget:
        durations.append(timed(work)[0])
    return durations


def peak_rss_mib() -> float:
    """This process's peak resident set size so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
