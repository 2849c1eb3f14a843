"""Downloads and imports under load: ``python -m bench.downloads [--smoke] [--workers N]``.

A store of ~50,000 objects (beamtimes of 1,600-pin shipments with their results), one
``mxlims-store serve`` on loopback, and bounded bursts: the results file of a 1,600-pin shipment
with its results at concurrency 1, 16 and 64 (the server's process tree's peak and resident
memory from /proc, ``/health`` latency during each burst against idle; the 64-burst made again 8
times with its pings pooled, ``c64_repeated``: one burst holds too few pings for a p99), cached
against uncached throughput, ``304`` on ``If-None-Match`` (also after a write in another
shipment: a download follows its own tree), a new ETag after a results import, and ``POST
/messages`` of a 16-pin shipment at concurrency 64. With ``--loop-lag``, how late the server's
event loop ran idle and in each burst (:mod:`bench.loop_lag`). Prints one JSON document and
writes it to ``bench/downloads.json`` (``--out`` elsewhere). Loopback only; every loop is
bounded by a count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import REPO_ROOT, generate
from bench.build import Builder
from bench.download_bursts import burst, change_pin, cpu_shares, memory_mib, ms, repeated_bursts
from bench.health_pings import Pinger, summary
from bench.http_api import HOST, free_port
from bench.loop_lag import VARIABLE, lags_between, probe_dir
from bench.procs import cli_command, env_for
from bench.timing import log, percentile

JSON = {"Content-Type": "application/json"}


@contextmanager
def serving(
    data_dir: Path, workers: int, log_file: Path, lag_file: Path | None = None
) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = env_for(data_dir, host=HOST)
    if lag_file is not None:  # the loop-lag probe, installed by a sitecustomize
        env["PYTHONPATH"] = os.pathsep.join([str(probe_dir(lag_file.parent)), env["PYTHONPATH"]])
        env[VARIABLE] = str(lag_file)
    with log_file.open("wb") as output:
        process = subprocess.Popen(
            cli_command("serve", "--port", str(port), "--workers", str(workers)),
            env=env,
            cwd=data_dir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{HOST}:{port}"
    try:
        for _ in range(600):  # at most 60 s to start
            if process.poll() is not None:
                raise RuntimeError(log_file.read_text()[-2000:])
            try:
                if httpx.get(f"{base}/health", trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _key(data_dir: Path) -> dict[str, str]:
    made = subprocess.run(
        cli_command("keys", "create", "--name", "bench", "--role", "staff"),
        env=env_for(data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
        check=True,
    )
    return {"Authorization": f"Bearer {json.loads(made.stdout)['key']}"}


def _lags(plan: dict[str, Any], start: float) -> dict[str, Any] | None:
    """How late the server's loop ran since ``start`` (with ``--loop-lag``; the probe writes
    once a second: wait for its next write)."""
    lag_file: Path | None = plan.get("lag_file")
    if lag_file is None:
        return None
    end = time.time()
    time.sleep(1.2)
    return lags_between(lag_file, start, end)


async def measure(
    base: str, pid: int, headers: dict[str, str], plan: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    async with (
        httpx.AsyncClient(
            base_url=base, headers=headers, trust_env=False, timeout=600, limits=limits
        ) as client,
    ):
        results = f"/api/v1/shipments/{plan['shipment']}/results"
        pinger = Pinger(HOST, int(base.rsplit(":", 1)[1]))  # the same pings idle and in bursts
        pinger.start()
        try:
            windows = await _downloads(client, pid, plan, out, pinger)
        finally:
            pinger.stop()
        idle = pinger.between(windows.pop("idle"))
        out["health_idle_ms"] = summary(idle)
        out["health_every_ms"] = pinger.every * 1000
        for level, spans in windows.items():
            pings = pinger.between(spans)
            out[level]["health_ms"] = summary(pings)
            out[level]["health_p99_over_idle"] = (
                round(percentile(pings, 99) / percentile(idle, 99), 1) if pings else None
            )
            log(f"downloads: {level}: {out[level]}")
    # new connections: the server closed the idle ones meanwhile (its keep-alive timeout)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, trust_env=False, timeout=600, limits=limits
    ) as client:
        results = f"/api/v1/shipments/{plan['shipment']}/results"

        n = 64 * plan["rounds"]
        start = time.perf_counter()
        await burst(client, results, n, 64)
        cached_rate = n / (time.perf_counter() - start)
        out["cached_downloads_per_s"] = round(cached_rate, 1)
        fastest = min(out["uncached_s"])
        out["uncached_downloads_per_s"] = round(1 / fastest, 2)
        out["cached_over_uncached"] = round(cached_rate * fastest, 1)

        etag = (await client.get(results)).headers["etag"]
        again = await client.get(results, headers={"If-None-Match": etag})
        out["if_none_match_status"] = again.status_code

        fresh = f"/api/v1/shipments/{plan['fresh_shipment']}/results"
        before = (await client.get(fresh)).headers["etag"]
        imported = await client.post(
            "/api/v1/messages?policy=update_old", content=plan["fresh_results"], headers=JSON
        )
        imported.raise_for_status()
        after = await client.get(fresh, headers={"If-None-Match": before})
        out["after_results_import"] = {
            "status": after.status_code,
            "new_etag": after.headers["etag"] != before,
        }

    # The POST burst in a client of its own, sized for it, as bench.post_messages sends it.
    # In the client above (128 connections, the downloads' among them) httpx's pool spent
    # 8-10 ms of the load generator's CPU per POST against ~2 in a fresh one: 1-1.2 s of
    # CPU on a 2-core machine beside the server, which the POSTs' latencies counted as theirs.
    from bench.post_messages import _posts  # here: bench.post_messages imports this module

    client_cpu = time.process_time()
    post_seconds = await _posts(base, headers, plan["posts"], 64)
    client_cpu = time.process_time() - client_cpu
    out["post_messages_c64"] = {
        "pins": plan["post_pins"],
        "n": len(post_seconds),
        "p50_ms": ms(post_seconds, 50),
        "p95_ms": ms(post_seconds, 95),
        "client_cpu_ms_per_post": round(client_cpu / len(post_seconds) * 1000, 1),
        "load": round(os.getloadavg()[0], 1),
    }
    return out


async def _downloads(
    client: httpx.AsyncClient,
    pid: int,
    plan: dict[str, Any],
    out: dict[str, Any],
    pinger: Pinger,
) -> dict[str, list[tuple[float, float]]]:
    """Idle, then the results file uncached and cached, then bursts at concurrency 1, 16 and
    64, the 64-burst again ``repeats`` times, and memory 10 s after; the windows (unix times)
    in which ``pinger``'s pings count, by level."""
    windows: dict[str, list[tuple[float, float]]] = {}
    results = f"/api/v1/shipments/{plan['shipment']}/results"
    started = time.time()
    await asyncio.sleep(plan["idle_s"])
    windows["idle"] = [(started, time.time())]
    out["loop_lag_idle"] = _lags(plan, started)
    out["rss_before_mib"] = round(memory_mib(pid, "VmRSS"), 1)

    tree = await client.get(results)  # built once: one of its own pins, to change it
    tree.raise_for_status()
    tree_pin = str(next(iter(tree.json()["Pin"].values()))["uuid"])
    etag = tree.headers["etag"]
    await change_pin(client, plan["other_pin"])  # another shipment's pin
    elsewhere = await client.get(results, headers={"If-None-Match": etag})
    out["after_write_elsewhere_status"] = elsewhere.status_code  # 304: still valid

    uncached = []
    for _ in range(3):
        await change_pin(client, tree_pin)
        start = time.perf_counter()
        first = await client.get(results)
        first.raise_for_status()
        uncached.append(time.perf_counter() - start)
    out["results_file_bytes"] = len(first.content)
    out["uncached_s"] = [round(s, 3) for s in uncached]

    from bench.post_messages import _thread_seconds  # here: bench.post_messages imports this

    for concurrency in (1, 16, 64):
        await change_pin(client, tree_pin)  # every level starts uncached
        n = concurrency * plan["rounds"]
        started = time.time()
        server_cpu, client_cpu = _thread_seconds(pid), time.process_time()
        seconds = await burst(client, results, n, concurrency)
        windows[f"c{concurrency}"] = [(started, time.time())]
        shares = cpu_shares(pid, server_cpu, client_cpu, time.time() - started)
        out[f"c{concurrency}"] = {
            "requests": n,
            "p50_ms": ms(seconds, 50),
            "p95_ms": ms(seconds, 95),
            "max_ms": round(max(seconds) * 1000, 1),
            "cpu_per_s": shares,
            "loop_lag": _lags(plan, started),
            "vmhwm_tree_mib": round(memory_mib(pid, "VmHWM"), 1),
        }
    windows["c64_repeated"] = await repeated_bursts(client, pid, plan, out, tree_pin)
    await asyncio.sleep(10)
    out["vmrss_tree_10s_after_mib"] = round(memory_mib(pid, "VmRSS"), 1)
    return windows


async def build(data_dir: Path, pins: int, target: int) -> dict[str, Any]:
    builder = Builder(data_dir, pins)
    objects = await builder.grow(target)
    if not builder.manifest.shipments_with_results:
        raise RuntimeError("the store has no shipment with results")
    from bench.measure import open_as_admin, settings_for

    fresh = builder.new_shipment()
    async with open_as_admin(settings_for(data_dir)) as store:
        await store.import_message(fresh.message)
    return {
        "objects": objects,
        "shipment": builder.manifest.shipments_with_results[-1],
        "other_pin": _a_pin(fresh),
        "fresh_shipment": fresh.uuid,
        "fresh_results": orjson.dumps(generate.results(fresh).message),
        "builder": builder,
    }


def _a_pin(shipment: generate.Shipment) -> str:
    pins = shipment.message["Pin"]
    return str(next(iter(pins.values()))["uuid"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.downloads", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a tiny run (tests)")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers (default 1)")
    parser.add_argument("--out", type=Path, help="the JSON file (default bench/downloads.json)")
    parser.add_argument(
        "--loop-lag",
        action="store_true",
        help="probe how late the server's event loop runs (with --workers 1)",
    )
    args = parser.parse_args(argv)
    pins, target = (20, 600) if args.smoke else (1600, 50_000)
    work = Path(tempfile.mkdtemp(prefix="mxlims-bench-downloads-"))
    try:
        data_dir = work / "data"
        data_dir.mkdir()
        log(f"downloads: building a store of ~{target:,} objects")
        built = asyncio.run(build(data_dir, pins, target))
        builder: Builder = built.pop("builder")
        post_pins = 4 if args.smoke else 16
        plan = {
            **built,
            "idle_s": 0.5 if args.smoke else 3.0,  # /health pinged idle, every 2 ms
            "rounds": 1 if args.smoke else 2,
            "repeats": 2 if args.smoke else 8,  # the 64-burst again, its pings pooled
            "post_pins": post_pins,
            "posts": [
                orjson.dumps(builder.new_shipment(post_pins).message)
                for _ in range(8 if args.smoke else 128)
            ],
        }
        if args.loop_lag:
            plan["lag_file"] = work / "loop-lag.txt"
        headers = _key(data_dir)
        lag_file = plan.get("lag_file")
        with serving(data_dir, args.workers, work / "serve.log", lag_file) as (base, pid):
            figures = asyncio.run(measure(base, pid, headers, plan))
        document = {
            "objects": built["objects"],
            "pins": pins,
            "workers": args.workers,
            "cpus": os.cpu_count(),
            **figures,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(document, indent=2)
    out = args.out or (None if args.smoke else REPO_ROOT / "bench" / "downloads.json")
    if out is not None:
        out.write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
