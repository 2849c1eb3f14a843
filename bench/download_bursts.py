"""The bursts of ``python -m bench.downloads``: many clients downloading at once, the 64-burst
made again with its pings pooled, a write that makes a tree's downloads stale, and what the
server's process tree spends (memory from /proc, CPU per second of a burst)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx

from bench.timing import percentile


def tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [pid] + [p for child in found for p in tree(child)]


def memory_mib(pid: int, field: str) -> float:
    """``field`` (VmHWM: peak resident; VmRSS: resident now) summed over the process tree."""
    total = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


async def burst(client: httpx.AsyncClient, path: str, n: int, concurrency: int) -> list[float]:
    jobs = iter(range(n))
    seconds: list[float] = []

    async def worker() -> None:
        for _ in jobs:
            start = time.perf_counter()
            # read as sent (gzip), not decoded: the client shares the machine with the server
            async with client.stream("GET", path) as answer:
                async for _ in answer.aiter_raw():
                    pass
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path}: {answer.status_code}")
            seconds.append(time.perf_counter() - start)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return seconds


async def change_pin(client: httpx.AsyncClient, pin: str) -> None:
    """A write of one pin: every built download of its tree is stale afterwards (of its tree
    only: a download follows what it read)."""
    found = await client.get(f"/api/v1/objects/{pin}")
    revision = found.headers["etag"]
    changed = await client.patch(
        f"/api/v1/objects/{pin}",
        json={"barcode": f"BENCH-{time.time_ns()}"},
        headers={"If-Match": revision},
    )
    changed.raise_for_status()


def ms(values: list[float], q: float) -> float:
    return round(percentile(values, q) * 1000, 1)


async def repeated_bursts(
    client: httpx.AsyncClient, pid: int, plan: dict[str, Any], out: dict[str, Any], pin: str
) -> list[tuple[float, float]]:
    """The 64-burst made again ``plan["repeats"]`` times, each as the first (a write of the
    tree, then 64 clients at once asking ``rounds`` times each), and its pings pooled: one
    burst lasts ~0.3-0.5 s on a quiet machine, 150-300 pings, so its p99 is its second- to
    fourth-slowest ping; pooled, it is a p99 of the same kind of burst. Each burst has a
    client of its own, as the first had nearly (48 of its 64 connections new): in one client
    the later bursts spent ~0.8 of a core in httpx's pool and took twice as long."""
    from bench.post_messages import _thread_seconds  # here: bench.post_messages imports this

    results = f"/api/v1/shipments/{plan['shipment']}/results"
    spans: list[tuple[float, float]] = []
    seconds: list[float] = []
    wall = 0.0
    server_cpu, client_cpu = _thread_seconds(pid), time.process_time()
    for _ in range(plan["repeats"]):
        await change_pin(client, pin)
        async with httpx.AsyncClient(
            base_url=client.base_url,
            headers=client.headers,
            trust_env=False,
            timeout=600,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        ) as fresh:
            started = time.time()
            seconds += await burst(fresh, results, 64 * plan["rounds"], 64)
            spans.append((started, time.time()))
        wall += spans[-1][1] - started
    out["c64_repeated"] = {
        "bursts": plan["repeats"],
        "requests": len(seconds),
        "p50_ms": ms(seconds, 50),
        "p95_ms": ms(seconds, 95),
        "max_ms": round(max(seconds) * 1000, 1),
        "cpu_per_s": cpu_shares(pid, server_cpu, client_cpu, wall),
        "vmhwm_tree_mib": round(memory_mib(pid, "VmHWM"), 1),
    }
    return spans


def cpu_shares(
    pid: int, server_before: dict[str, float], client_before: float, wall: float
) -> dict[str, float]:
    """Seconds of CPU per second of a burst: the server's event loop, the rest of its process
    tree (database threads, the reading process's builds), this load generator, and the load
    average. On two cores, when they add up to most of both, a slow ping waited for a core
    (the loop runnable, not running) more than for the server's work: read the ratio with it."""
    from bench.post_messages import _thread_seconds

    after = _thread_seconds(pid)
    spent = {key: after[key] - server_before.get(key, 0.0) for key in after}
    loop = spent.pop(str(pid), 0.0)
    return {
        "server_loop": round(loop / wall, 2),
        "server_rest": round(sum(spent.values()) / wall, 2),
        "bench_client": round((time.process_time() - client_before) / wall, 2),
        "load": round(os.getloadavg()[0], 1),
    }
