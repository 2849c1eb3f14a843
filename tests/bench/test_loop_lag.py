"""The benchmark's loop-lag probe notes a stretch in which the event loop ran something
without an ``await``, with the loop thread's CPU time for it, and a garbage collection."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from pathlib import Path

import pytest

from bench import loop_lag


def test_the_probe_notes_a_blocked_loop_and_a_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(asyncio.BaseEventLoop, "run_forever", asyncio.BaseEventLoop.run_forever)
    callbacks = list(gc.callbacks)
    file = tmp_path / "lag.txt"
    loop_lag.install(str(file))
    try:
        _blocked_and_found(file)
    finally:
        gc.callbacks[:] = callbacks


def _blocked_and_found(file: Path) -> None:
    async def blocking() -> None:
        await asyncio.sleep(0.02)  # the probe runs
        start = time.thread_time()
        while time.thread_time() - start < 0.03:  # 30 ms of CPU on the loop, no await
            pass
        heap = [{"n": n} for n in range(200_000)]  # a full collection walks all of them
        gc.collect()
        del heap
        await asyncio.sleep(0.02)

    started = time.time()
    asyncio.run(blocking())
    found = loop_lag.lags_between(file, started, time.time())
    assert found["max_ms"] >= 25 and found["longest_run_cpu_ms"] >= 20
    assert found["over_10ms"] >= 1 and found["lost_ms"] >= 25
    assert found["gc"]["n"] >= 1 and found["gc"]["max_ms"] > loop_lag.NOTED_MS


def test_a_window_without_notes_is_all_zero(tmp_path: Path) -> None:
    found = loop_lag.lags_between(tmp_path / "none.txt", 0, 1)
    assert found["max_ms"] == 0 and found["gc"]["n"] == 0


def test_only_the_main_threads_loop_is_probed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build's loop in a thread of its own (api/downloads.py) runs long stretches by design:
    they are not the server's loop answering nobody."""
    monkeypatch.setattr(asyncio.BaseEventLoop, "run_forever", asyncio.BaseEventLoop.run_forever)
    callbacks = list(gc.callbacks)
    file = tmp_path / "lag.txt"
    loop_lag.install(str(file))

    async def busy() -> None:
        await asyncio.sleep(0.02)
        start = time.thread_time()
        while time.thread_time() - start < 0.03:
            pass
        await asyncio.sleep(1.1)  # a probe would have written by now

    try:
        started = time.time()
        worker = threading.Thread(target=asyncio.run, args=(busy(),))
        worker.start()
        worker.join()
    finally:
        gc.callbacks[:] = callbacks
    assert loop_lag.lags_between(file, started, time.time())["max_ms"] == 0
