"""The HTTP figures: ``mxlims-store serve`` in a subprocess, driven over loopback by httpx.

Bounded on purpose: a fixed number of requests at a fixed concurrency, 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.pages import measure_pages
from bench.procs import cli_command, env_for
from bench.report import Row
from bench.timing import log, percentile

HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds for the server to answer /health (a slow CI machine)
JSON = {"Content-Type": "application/json"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    base: str
    headers: dict[str, str]  # the API key, when the API asks for one
    pid: int  # the server process (its peak RSS is in /proc/<pid>/status)


@contextmanager
def running_server(data_dir: Path, log_file: Path) -> Iterator[Server]:
    """A server on ``data_dir``, answering /health; stopped on exit."""
    headers = _credentials(data_dir)
    port = free_port()
    with log_file.open("wb") as output:
        process = subprocess.Popen(
            cli_command("serve", "--port", str(port)),
            env=env_for(data_dir, host=HOST),
            cwd=data_dir,  # no stray .env from the caller's directory
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://{HOST}:{port}"
            _wait_healthy(base, process, log_file)
            yield Server(base, headers, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _credentials(data_dir: Path) -> dict[str, str]:
    """A ``staff`` key (a facility's own LIMS: reads all, imports anywhere) made by the CLI, the
    store's local admin; none when this version of the API has no keys at all."""
    if not (data_dir / "mxlims.sqlite3").exists():  # only init and serve make a store
        subprocess.run(
            cli_command("init"), env=env_for(data_dir), cwd=data_dir, capture_output=True
        )
    made = subprocess.run(
        cli_command("keys", "create", "--name", "bench", "--role", "staff"),
        env=env_for(data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        if "No such command" in made.stderr:
            return {}
        raise RuntimeError(f"cannot create an API key: {made.stderr.strip()[-1000:]}")
    return {"Authorization": f"Bearer {json.loads(made.stdout)['key']}"}


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=base, trust_env=False, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log_file.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server exited with {process.returncode}:\n{tail}")
            try:
                if client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /health within {START_TIMEOUT:g} s")


async def measure(
    server: Server,
    column: str,
    objects: int,
    get_uuids: Sequence[str],
    post_bodies: Sequence[bytes],
    big_body: bytes,
    concurrency: int,
) -> list[Row]:
    # trust_env=False: an HTTP(S)_PROXY of the environment must not carry loopback traffic.
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=f"{server.base}/api/v1",
        headers=server.headers,
        trust_env=False,
        timeout=300,
        limits=limits,
    ) as client:
        log(f"http: {len(get_uuids)} GET /objects/{{uuid}} at concurrency {concurrency}")
        gets = await _load(client, "GET", [f"/objects/{u}" for u in get_uuids], [], concurrency)
        log(f"http: {len(post_bodies)} POST /messages at concurrency {concurrency}")
        paths = ["/messages"] * len(post_bodies)
        posts = await _load(client, "POST", paths, list(post_bodies), concurrency)
        log("http: GET /health while a large shipment is imported")
        pings, import_seconds, shipment = await _health_during_import(client, big_body)
    pages = await measure_pages(server.base, server.headers, shipment, objects)
    posted = f"POST /messages ({_pins_of(post_bodies[0])}-pin shipment)"
    return [
        *_latency_rows(column, objects, "get", "GET /objects/{uuid}", gets, (50, 95)),
        *_latency_rows(column, objects, "post", posted, posts, (50, 95)),
        *_latency_rows(
            column,
            objects,
            "health_during_import",
            f"GET /health while a {_pins_of(big_body):,}-pin shipment is imported",
            pings,
            (50,),
            import_s=import_seconds,
        ),
        *pages,
    ]


def _pins_of(body: bytes) -> int:
    return len(json.loads(body).get("Pin", {}))


def _latency_rows(
    column: str,
    objects: int,
    key: str,
    label: str,
    seconds: list[float],
    percentiles: tuple[int, ...],
    **extra: float,
) -> list[Row]:
    return [
        Row("http", f"http_{key}_p{q}", f"{label} (p{q})", column, percentile(seconds, q) * 1000,
            "ms", None, objects, extra={"n": len(seconds), **extra})
        for q in percentiles
    ]  # fmt: skip


async def _load(
    client: httpx.AsyncClient, method: str, paths: list[str], bodies: list[bytes], workers: int
) -> list[float]:
    """Seconds of each request, ``workers`` of them in flight at any time."""
    jobs = iter(range(len(paths)))
    durations: list[float] = []

    async def worker() -> None:
        for n in jobs:  # a shared iterator: each request is taken by exactly one worker
            start = time.perf_counter()
            if method == "GET":
                response = await client.get(paths[n])
            else:
                response = await client.post(paths[n], content=bodies[n], headers=JSON)
            durations.append(time.perf_counter() - start)
            if response.status_code >= 300:
                raise RuntimeError(f"{method} {paths[n]}: {response.status_code} {response.text}")

    await asyncio.gather(*(worker() for _ in range(workers)))
    return durations


async def _health_during_import(
    client: httpx.AsyncClient, body: bytes
) -> tuple[list[float], float, str]:
    start = time.perf_counter()
    upload = asyncio.create_task(client.post("/messages", content=body, headers=JSON))
    pings: list[float] = []
    while not upload.done() or not pings:  # at least one ping, however quick the import
        begin = time.perf_counter()
        response = await client.get("/health")
        pings.append(time.perf_counter() - begin)
        response.raise_for_status()
    answer = await upload
    if answer.status_code != 201:
        raise RuntimeError(f"POST /messages: {answer.status_code} {answer.text[:500]}")
    return pings, time.perf_counter() - start, str(answer.json().get("shipment"))
