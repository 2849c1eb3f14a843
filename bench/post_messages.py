"""``POST /messages`` under load: ``python -m bench.post_messages [--objects N] [--workers N]``.

A store grown to about ``--objects`` objects (1,600-pin shipments with their results), one
``mxlims-store serve`` on loopback, then 16-pin shipments POSTed at concurrency 1, 16 and 64
(a fixed number of requests each: bounded). Prints p50/p95 per concurrency as one JSON
document, with CPU per POST: the server's process tree (``server_cpu_ms_per_post``) and its
parts (``server_threads_ms_per_post``: the event loop's thread, the busiest other thread, which
under load is the SQLite writer holding the write lock, the server's other threads, and its
child processes: readers), and the load generator's own (``client_cpu_ms_per_post``: it shares
the machine's cores). The machine it runs on is shared: compare runs made back to back, not
across days; CPU per POST is steadier than latency on a busy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.build import Builder
from bench.download_bursts import tree
from bench.downloads import _key, serving
from bench.timing import log, percentile

JSON = {"Content-Type": "application/json"}
LEVELS = (1, 16, 64)


async def _posts(
    base: str, headers: dict[str, str], bodies: list[bytes], at_once: int
) -> list[float]:
    limits = httpx.Limits(max_connections=at_once, max_keepalive_connections=at_once)
    jobs = iter(range(len(bodies)))
    seconds: list[float] = []
    async with httpx.AsyncClient(
        base_url=base, headers=headers, trust_env=False, timeout=600, limits=limits
    ) as client:

        async def poster() -> None:
            for n in jobs:
                start = time.perf_counter()
                answer = await client.post("/api/v1/messages", content=bodies[n], headers=JSON)
                if answer.status_code != 201:
                    raise RuntimeError(f"POST /messages: {answer.status_code} {answer.text[:300]}")
                seconds.append(time.perf_counter() - start)

        await asyncio.gather(*(poster() for _ in range(at_once)))
    return seconds


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the server's process tree so far."""
    total = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _thread_seconds(pid: int) -> dict[str, float]:
    """CPU seconds so far of each thread of the server's process (by thread id), and of its
    child processes together (``children``)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        found[task.name] = (int(fields[11]) + int(fields[12])) / tick
    found["children"] = _cpu_seconds(pid) - sum(found.values())
    return found


def _split(before: dict[str, float], after: dict[str, float], pid: int, n: int) -> dict[str, float]:
    """Per POST, in ms: the event loop's thread, the busiest other thread, the rest, children."""
    spent = {key: after[key] - before.get(key, 0.0) for key in after}
    loop, children = spent.pop(str(pid), 0.0), spent.pop("children", 0.0)
    busiest = max(spent.values(), default=0.0)
    parts = {
        "event_loop": loop,
        "busiest_other_thread": busiest,
        "other_threads": sum(spent.values()) - busiest,
        "child_processes": children,
    }
    return {name: round(seconds / n * 1000, 2) for name, seconds in parts.items()}


def _spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy (``pip install py-spy``) sampling the server's process tree until interrupted."""
    command = ["py-spy", "record", "--pid", str(pid)]  # every thread on the CPU
    spy = subprocess.Popen([*command, "--format", "raw", "-o", str(out), "--rate", "200"])
    time.sleep(1)  # attached before the burst starts
    return spy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.post_messages", description=__doc__)
    parser.add_argument("--objects", type=int, default=50_000, help="store size (default 50k)")
    parser.add_argument("--pins", type=int, default=16, help="pins per POSTed shipment")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers (default 1)")
    parser.add_argument("--rounds", type=int, default=2, help="requests per level = rounds x c")
    parser.add_argument("--profile", type=Path, help="py-spy's collapsed stacks of the c64 level")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="mxlims-bench-posts-"))
    try:
        data_dir = work / "data"
        data_dir.mkdir()
        log(f"post_messages: building a store of ~{args.objects:,} objects")
        builder = Builder(data_dir, 1600 if args.objects >= 20_000 else 40)
        objects = asyncio.run(builder.grow(args.objects))
        headers = _key(data_dir)
        out: dict[str, Any] = {"objects": objects, "pins": args.pins, "workers": args.workers}
        out["cpus"] = os.cpu_count()
        out["load_before"] = os.getloadavg()[0]
        with serving(data_dir, args.workers, work / "serve.log") as (base, pid):
            for at_once in LEVELS:
                n = max(at_once * args.rounds, 16)
                bodies = [orjson.dumps(builder.new_shipment(args.pins).message) for _ in range(n)]
                spy = _spy(pid, args.profile) if args.profile and at_once == LEVELS[-1] else None
                cpu, threads, client = _cpu_seconds(pid), _thread_seconds(pid), time.process_time()
                seconds = asyncio.run(_posts(base, headers, bodies, at_once))
                client = time.process_time() - client
                cpu = _cpu_seconds(pid) - cpu
                split = _split(threads, _thread_seconds(pid), pid, n)
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
                out[f"c{at_once}"] = {
                    "n": n,
                    "p50_ms": round(percentile(seconds, 50) * 1000, 1),
                    "p95_ms": round(percentile(seconds, 95) * 1000, 1),
                    "per_s": round(n / sum(seconds) * at_once, 1),
                    "server_cpu_ms_per_post": round(cpu / n * 1000, 1),
                    "server_threads_ms_per_post": split,
                    "client_cpu_ms_per_post": round(client / n * 1000, 1),
                    "load": round(os.getloadavg()[0], 1),
                }
                log(f"post_messages: c{at_once}: {out[f'c{at_once}']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.stdout.write(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
