"""``/health`` pinged from a process of its own, every few milliseconds, for a whole benchmark.

The pings used to share the benchmark client's event loop with the downloads it measured: a
ping's answer waited there until the client had read its share of 64 streams of 466 kB, so
its latency was mostly the client's (in one run, 145-263 ms measured that way against 16-21 ms
from a process of its own, in the same bursts). Here one process pings over one kept-alive
connection (a plain blocking socket, no event loop: the same cost for every ping), notes
``(unix time sent, seconds until the answer)``, and sleeps ``every`` seconds in between, idle
and during bursts alike: :meth:`Pinger.between` picks a window's pings afterwards.
"""

from __future__ import annotations

import http.client
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

from bench.timing import percentile

EVERY = 0.002  # seconds between one answer and the next ping
MOST = 500_000  # pings in one run at most (about 20 minutes at EVERY)


def _ping_until_told(host: str, port: int, every: float, control: Connection) -> None:
    """In the pinging process: say "pinging" after the first ping, ping until a message comes
    on ``control``, then send back what was noted (an error's text in place of the notes when
    a ping failed)."""
    noted: list[tuple[float, float]] = []
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        while not control.poll() and len(noted) < MOST:
            sent, start = time.time(), time.perf_counter()
            connection.request("GET", "/health")
            answer = connection.getresponse()
            answer.read()
            took = time.perf_counter() - start
            if answer.status != 200:
                raise RuntimeError(f"GET /health: {answer.status}")
            if not noted:
                control.send("pinging")
            noted.append((sent, took))
            time.sleep(every)
    except Exception as error:  # told to the benchmark, which stops
        control.send(f"{type(error).__name__}: {error}")
        return
    finally:
        connection.close()
    control.recv()
    control.send(noted)


class Pinger:
    """A pinging process from ``start()`` to ``stop()``; its pings by window afterwards."""

    def __init__(self, host: str, port: int, every: float = EVERY) -> None:
        self.host, self.port, self.every = host, port, every
        self.noted: list[tuple[float, float]] = []
        self._process: Any = None
        self._control: Connection | None = None

    def start(self) -> None:
        # spawned: a fork would copy the benchmark's event loop and its connections
        context = multiprocessing.get_context("spawn")
        self._control, theirs = context.Pipe()
        self._process = context.Process(
            target=_ping_until_told,
            args=(self.host, self.port, self.every, theirs),
            daemon=True,
        )
        self._process.start()
        if not self._control.poll(60) or self._control.recv() != "pinging":
            raise RuntimeError("the health pinger did not start pinging within 60 s")

    def stop(self) -> None:
        assert self._control is not None and self._process is not None
        self._control.send("stop")
        got = self._control.recv()
        self._process.join(timeout=30)
        if isinstance(got, str):
            raise RuntimeError(f"the health pinger failed: {got}")
        self.noted = got

    def between(self, spans: list[tuple[float, float]]) -> list[float]:
        """The latencies (seconds) of the pings sent within any of ``spans`` (pairs of unix
        times, start and end)."""
        return [took for sent, took in self.noted if any(a <= sent <= b for a, b in spans)]


def summary(pings: list[float]) -> dict[str, Any]:
    """p50, p99 and max in milliseconds, and how many pings."""
    if not pings:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    return {
        "p50": round(percentile(pings, 50) * 1000, 2),
        "p99": round(percentile(pings, 99) * 1000, 2),
        "max": round(max(pings) * 1000, 2),
        "n": len(pings),
    }
