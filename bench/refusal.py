"""A message far over the object limit, of bad objects: refused in bounded time and memory.

``python -m bench.refusal [--objects N] [--work DIR]`` measures it alone and prints the rows;
``python -m bench`` measures 2,000,000 objects (a 63 MiB file, under the default 64 MiB body
limit), ``--smoke`` just over the limit. Two ways in:

- the reader, in a worker process of its own (its peak RSS is this refusal's alone): the strict
  JSON parser the CLI, the API and the pages use, then ``read_message``, which refuses it;
- ``POST /messages`` to ``mxlims-store serve`` on an empty store: the time to the answer, its
  size, the server's peak RSS (``VmHWM``) before and after, and how long ``/health`` waited
  meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench import REPO_ROOT
from bench.generate import VERSION
from bench.http_api import JSON, Server, running_server
from bench.report import Row
from bench.timing import log, peak_rss_mib

SECTION = "refusal"


def write_bad_message(path: Path, objects: int) -> int:
    """A message of ``objects`` Pins, each with a negative position (bad twice over: no
    mxlimsType either); its size in bytes."""
    with path.open("w") as out:
        out.write(f'{{"version":"{VERSION}","Pin":{{')
        out.write(",".join(f'"P{n:07d}":{{"positionInPuck":-1}}' for n in range(objects)))
        out.write("}}")
    return path.stat().st_size


async def measure(objects: int, work: Path) -> list[Row]:
    path = work / f"bad-{objects}.json"
    size = write_bad_message(path, objects)
    column = f"{objects:,} bad objects ({size / 2**20:.0f} MiB)"
    log(f"refusal: {column}, the reader in a worker process")
    rows = _reader_rows(column, path, work)
    log(f"refusal: {column}, POST /messages to serve")
    rows += await _http_rows(column, path, work)
    path.unlink()
    return rows


def _reader_rows(column: str, path: Path, work: Path) -> list[Row]:
    out = work / "refusal.json"
    subprocess.run(
        [sys.executable, "-m", "bench.refusal", "--worker", str(path), str(out)],
        cwd=REPO_ROOT,
        check=True,
    )
    got = json.loads(out.read_text())
    return [
        Row(SECTION, "refusal_parse", "Reader: parse the JSON (strict parser)", column,
            got["parse_s"], "s"),
        Row(SECTION, "refusal_read", "Reader: read_message refuses it", column,
            got["read_s"], "s"),
        Row(SECTION, "refusal_rss", "Reader: peak RSS of the worker", column,
            got["peak_rss_mib"], "MiB", extra={"before_parse_mib": got["rss_before_mib"]}),
        Row(SECTION, "refusal_body", "Reader: error body (API shape)", column,
            got["body_bytes"] / 1000, "KB"),
        Row(SECTION, "refusal_problems", "Reader: problems listed", column,
            got["problems"], "", extra={"total": got["total"]}),
    ]  # fmt: skip


def worker(path: Path, out: Path) -> None:
    """The reader's side, in this process: parse, refuse, measure."""
    from mxlims_store.errors import InvalidMessage
    from mxlims_store.messages import read_message
    from mxlims_store.messages.jsontext import loads

    raw = path.read_bytes()
    before = peak_rss_mib()
    started = time.perf_counter()
    document = loads(raw)
    parsed = time.perf_counter()
    try:
        read_message(document)
    except InvalidMessage as error:
        refused = time.perf_counter()
        body = error.to_dict()  # error, message, problems: what the API answers
        result = {
            "parse_s": parsed - started,
            "read_s": refused - parsed,
            "rss_before_mib": before,
            "peak_rss_mib": peak_rss_mib(),
            "body_bytes": len(json.dumps(body).encode()),
            "problems": len(error.problems),
            "total": error.total,
        }
        out.write_text(json.dumps(result))
        return
    raise AssertionError(f"{path} was not refused")


async def _http_rows(column: str, path: Path, work: Path) -> list[Row]:
    body = path.read_bytes()
    data_dir = work / "refusal-store"
    data_dir.mkdir(exist_ok=True)
    with running_server(data_dir, work / "refusal-serve.log") as server:
        before = _vm_hwm_mib(server)
        async with httpx.AsyncClient(
            base_url=f"{server.base}/api/v1", headers=server.headers, trust_env=False, timeout=300
        ) as client:
            started = time.perf_counter()
            upload = asyncio.create_task(client.post("/messages", content=body, headers=JSON))
            waits = await _health_waits(client, upload)
            answer = await upload
            seconds = time.perf_counter() - started
        after = _vm_hwm_mib(server)
    if answer.status_code != 422:
        raise RuntimeError(f"POST /messages: {answer.status_code} {answer.text[:500]}")
    rows = [
        Row(SECTION, "refusal_http", "POST /messages: refused (422) after", column, seconds, "s"),
        Row(SECTION, "refusal_http_body", "POST /messages: error body", column,
            len(answer.content) / 1000, "KB"),
        Row(SECTION, "refusal_health_wait", "GET /health meanwhile: longest wait", column,
            max(waits) * 1000, "ms", extra={"n": len(waits)}),
    ]  # fmt: skip
    if before is not None and after is not None:
        rows.append(
            Row(SECTION, "refusal_http_rss", "serve: peak RSS after it", column, after, "MiB",
                extra={"before_mib": before})
        )  # fmt: skip
    return rows


async def _health_waits(client: httpx.AsyncClient, upload: asyncio.Task[Any]) -> list[float]:
    waits: list[float] = []
    while not upload.done() or not waits:
        begin = time.perf_counter()
        (await client.get("/health")).raise_for_status()
        waits.append(time.perf_counter() - begin)
        await asyncio.sleep(0.05)
    return waits


def _vm_hwm_mib(server: Server) -> float | None:
    """The server process's peak resident size (Linux's VmHWM); None where /proc has none."""
    try:
        status = Path(f"/proc/{server.pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.refusal", description=__doc__)
    parser.add_argument("--objects", type=int, default=2_000_000)
    parser.add_argument("--work", type=Path, help="where the file and the store go")
    parser.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    import tempfile

    work = args.work or Path(tempfile.mkdtemp(prefix="mxlims-refusal-"))
    for row in asyncio.run(measure(args.objects, work)):
        print(json.dumps(row.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
