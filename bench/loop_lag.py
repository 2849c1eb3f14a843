"""How late the server's event loop runs: a task that sleeps 5 ms, again and again, and notes
by how much each sleep overran. An overrun of 40 ms is 40 ms in which the loop answered nobody
(``/health`` included): the loop ran something long, or waited for the GIL that long.

The probe goes into a ``mxlims-store serve`` started by the benchmark through a
``sitecustomize`` module on its ``PYTHONPATH`` (:func:`probe_dir`): the event loop the server
runs in its main thread gets the task (the loops that build downloads in threads of their own,
api/downloads.py, are not the one that answers requests: their long stretches are builds). It
appends ``<unix time> <overrun ms> <loop CPU ms>`` lines to the file the environment variable
names, once a second; :func:`lags_between` reads a window of them back. Only overruns of more
than ``NOTED_MS`` are written (the rest count as on time).

On a shared machine an overrun is also the time the operating system gave the server's
process to others: the loop thread's own CPU time over the same interval says how much of it
was the loop running something (a stretch of work without an ``await``), which load does not
make up.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from bench.timing import percentile

VARIABLE = "MXLIMS_BENCH_LOOP_LAG"  # the file the probe writes (set only by the benchmark)
TICK = 0.005  # seconds the probe sleeps (each wake-up asks for the GIL: not too often)
NOTED_MS = 0.5
SITECUSTOMIZE = """\
import os, sys
if os.environ.get("MXLIMS_BENCH_LOOP_LAG") and "serve" in sys.argv:
    from bench.loop_lag import install
    install(os.environ["MXLIMS_BENCH_LOOP_LAG"])
"""


def probe_dir(work: Path) -> Path:
    """A directory holding the ``sitecustomize`` that installs the probe (put it on the
    server's ``PYTHONPATH`` with :data:`VARIABLE` set to the file to write)."""
    where = work / "loop-lag-probe"
    where.mkdir(exist_ok=True)
    (where / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return where


def install(path: str) -> None:
    """The event loop started from now on in the main thread runs :func:`_probe`; garbage
    collections of more than ``NOTED_MS`` are written to ``<path>.gc`` (they stop every thread)."""
    run_forever = asyncio.BaseEventLoop.run_forever
    _note_collections(Path(path + ".gc"))

    def probed(self: asyncio.BaseEventLoop) -> None:
        main = threading.current_thread() is threading.main_thread()
        if main and self not in probing:  # once a loop (it runs again to end its tasks)
            probing.add(self)
            self.call_soon(lambda: self.create_task(_probe(Path(path))))
        run_forever(self)

    probing: weakref.WeakSet[asyncio.BaseEventLoop] = weakref.WeakSet()

    asyncio.BaseEventLoop.run_forever = probed  # type: ignore[method-assign]


def _note_collections(path: Path) -> None:
    started: list[float] = []

    def noted(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            ms = (time.perf_counter() - started[0]) * 1000
            if ms > NOTED_MS:
                with path.open("a") as out:
                    out.write(f"{time.time():.4f} {ms:.2f} {info['generation']}\n")

    gc.callbacks.append(noted)


def collections_between(path: Path, start: float, end: float) -> dict[str, float]:
    """The garbage collections of more than ``NOTED_MS`` from ``start`` to ``end``."""
    spans = []
    if path.exists():
        for line in path.read_text().splitlines():
            at, ms, _ = line.split()
            if start <= float(at) <= end:
                spans.append(float(ms))
    return {
        "n": len(spans),
        "max_ms": round(max(spans, default=0.0), 1),
        "sum_ms": round(sum(spans), 1),
    }


async def _probe(path: Path) -> None:
    noted: list[str] = []
    flushed = time.monotonic()
    with path.open("a") as out:
        try:
            while True:
                start, cpu = time.perf_counter(), time.thread_time()
                await asyncio.sleep(TICK)
                late_ms = (time.perf_counter() - start - TICK) * 1000
                if late_ms > NOTED_MS:
                    ran_ms = (time.thread_time() - cpu) * 1000
                    noted.append(f"{time.time():.4f} {late_ms:.2f} {ran_ms:.2f}\n")
                if time.monotonic() - flushed >= 1.0:
                    out.writelines(noted)
                    out.flush()
                    noted.clear()
                    flushed = time.monotonic()
        finally:  # the loop ends (cancelled): what is noted so far
            out.writelines(noted)


def lags_between(path: Path, start: float, end: float) -> dict[str, Any]:
    """The overruns noted from ``start`` to ``end`` (unix times): how many, the worst, the
    99th percentile of those noted, the milliseconds lost in all (the loop answered nobody),
    and the longest stretch of CPU the loop's thread ran in one of them."""
    lags: list[float] = []
    ran: list[float] = []
    if path.exists():
        for line in path.read_text().splitlines():
            at, ms, cpu = line.split()
            if start <= float(at) <= end:
                lags.append(float(ms))
                ran.append(float(cpu))
    window_ms = (end - start) * 1000
    lost = sum(lags)
    return {
        "gc": collections_between(Path(f"{path}.gc"), start, end),
        "over_1ms": sum(1 for lag in lags if lag > 1),
        "over_10ms": sum(1 for lag in lags if lag > 10),
        "max_ms": round(max(lags), 1) if lags else 0.0,
        "p99_noted_ms": round(percentile(lags, 99), 1) if lags else 0.0,
        "lost_ms": round(lost, 1),
        "lost_share": round(lost / window_ms, 3) if window_ms > 0 else 0.0,
        "longest_run_cpu_ms": round(max(ran), 1) if ran else 0.0,
        "runs_over_10ms_cpu": sum(1 for r in ran if r > 10),
    }


if __name__ == "__main__":  # pragma: no cover - a look at a probe's file by hand
    file = Path(os.environ.get(VARIABLE, sys.argv[1]))
    print(lags_between(file, 0, time.time() + 1))
