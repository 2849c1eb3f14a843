"""Writers in several OS processes racing for the same positions and barcodes of one store.

Each trial stores a fresh shipment (a dewar, a puck of
:data:`~bench.race_messages.POSITIONS` positions, one pin at position 3), then lets its
contenders go at once (the CLI processes started and waiting on a FIFO for their message):
``mxlims-store import`` processes and HTTP writes to a running ``mxlims-store serve``
(POSTed messages and a PATCH moving the stored pin), every one of them putting a pin at
positions 1 and 2 of that puck with the barcode the others use too. The rules say at most one
of them may win each position and the barcode; whoever loses must be refused cleanly: a CLI
process exits 0 or 1 with one line, HTTP answers 2xx or 409/422.

After every trial the puck is read back: each contended position holds at most one pin (and
exactly one when some writer won it), the barcode is on one object of the shipment. At the end
``mxlims-store check`` runs over the whole store and must find nothing.

Used by ``tests/store/test_races.py`` (20 trials in CI) and ``python -m bench.race`` (50).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import errno
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.procs import cli_command, env_for
from bench.race_messages import CONTENDED, base_message, contender_message

JITTER = 0.3  # s: HTTP writes land up to this long after the CLI processes read their message
# A CLI process reads its message before it loads the store's modules and opens the store (its
# start-up kept short for commands that need less): ~0.6 s of CPU after the go, against a
# server that answers a small POST in milliseconds. So in every other trial (even numbers) the
# HTTP writes wait until a CLI process has ended (its import committed or refused), and the CLI
# side wins those: both kinds of writer win some trials, and the other CLI processes of such a
# trial still race the HTTP writes.


@dataclass
class RaceSummary:
    trials: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # "cli 0", "http 201", ...
    broken: list[str] = field(default_factory=list)  # rules broken after a trial
    unclean: list[str] = field(default_factory=list)  # refusals that were not one clean line
    check: list[str] = field(default_factory=list)  # what `mxlims-store check` said
    by_worker: Counter[int] = field(default_factory=Counter)  # HTTP writes per serve process
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.broken or self.unclean or self.check)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trials": self.trials,
            "outcomes": dict(sorted(self.outcomes.items())),
            "broken": self.broken,
            "unclean": self.unclean,
            "check": self.check,
            "http_writes_by_worker": sorted(self.by_worker.values()),
            "seconds": round(self.seconds, 1),
        }


class Race:
    """Trials over one data directory with one ``serve`` running beside the CLI writers."""

    def __init__(
        self, work: Path, *, cli_writers: int = 2, http_writers: int = 2, workers: int = 1
    ) -> None:
        self.work = work
        self.workers = workers
        self.data = work / "data"
        self.cli_writers = cli_writers
        self.http_writers = http_writers
        self.env = env_for(self.data)
        self.summary = RaceSummary()
        self.random = random.Random(21)
        self.lock = threading.Lock()  # trials run in threads; the summary is shared

    # -- the server ------------------------------------------------------------------------

    def __enter__(self) -> Race:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        env = {**self.env, "MXLIMS_PORT": str(port)}
        self.log = (self.work / "serve.log").open("wb")
        self.server = subprocess.Popen(
            cli_command("serve", "--host", "127.0.0.1", "--workers", str(self.workers)),
            env=env,
            cwd=self.work,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.server.poll() is not None:
                raise RuntimeError(f"serve stopped: {(self.work / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not answer /health within 60 s")
            time.sleep(0.1)
        key = next(self.data.glob("*key*")).read_text().strip()
        # several workers: a new connection per request, for the kernel to hand to either
        # worker, and only once every worker has answered one (the first may answer long
        # before the second is ready, and take every connection meanwhile)
        kept = 0 if self.workers > 1 else 20  # httpx's default
        self.client = httpx.Client(
            base_url=self.base,
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=kept),
        )
        self._await_workers(deadline)
        return self

    def _await_workers(self, deadline: float) -> None:
        answered: set[int] = set()
        while self.workers > 1 and len(answered) < self.workers:
            with self.client.stream("GET", "/health") as answer:
                worker = _worker_of(answer, self.port, self.server.pid)
                answer.read()
            if worker is None:
                return  # cannot tell the workers apart here (no /proc)
            answered.add(worker)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(answered)} of {self.workers} workers answered in 60 s")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.server.terminate()
        self.server.wait(timeout=10)
        self.log.close()

    # -- one trial ---------------------------------------------------------------------------

    def trial(self, n: int) -> None:
        message, puck, stored_pin = base_message(n)
        self.client.post("/api/v1/messages", json=message).raise_for_status()
        # Each CLI process reads its message from a FIFO: started, it blocks there with Python
        # and the CLI loaded (the store's modules load after), so every writer is let go at
        # the same moment.
        fifos = []
        for w in range(self.cli_writers):
            path = self.work / f"race-{n}-cli{w}.json"
            os.mkfifo(path)
            fifos.append((path, json.dumps(contender_message(puck, n, f"cli{w}")).encode()))
        processes = [
            subprocess.Popen(
                cli_command("import", str(path)),
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for path, _ in fifos
        ]
        go = threading.Barrier(self.cli_writers + self.http_writers + 1, timeout=120)
        cli_first = n % 2 == 0 and bool(processes)
        ended = threading.Event()  # a CLI process of this trial has ended
        jitter = [self.random.uniform(0, JITTER) for _ in range(self.http_writers + 1)]

        def start(delay: float) -> None:
            go.wait()
            if cli_first:
                ended.wait(timeout=120)
            time.sleep(delay)

        with concurrent.futures.ThreadPoolExecutor(len(fifos) + self.http_writers + 2) as pool:
            feeds = [pool.submit(_feed, path, data, go) for path, data in fifos]
            watch = pool.submit(_first_end, processes, ended)
            answers = [
                pool.submit(self._post, contender_message(puck, n, f"http{w}"), start, jitter[w])
                for w in range(self.http_writers)
            ]
            moved = pool.submit(self._move, stored_pin, n, start, jitter[-1])
            statuses = [a.result() for a in answers] + [moved.result()]
            for feed in feeds:
                feed.result()
            watch.result()
        finished = [(p, *p.communicate(timeout=120)) for p in processes]
        for path, _ in fifos:
            path.unlink()
        pins = self._pins_in(puck)
        with self.lock:
            for process, out, err in finished:
                self._judge_cli(process.returncode, out, err)
            for status, body in statuses:
                self.summary.outcomes[f"http {status}"] += 1
                if status not in (200, 201, 409, 412, 422):
                    self.summary.unclean.append(f"trial {n}: HTTP {status}: {body[:200]}")
            self._verify(n, pins)
            self.summary.trials += 1

    def _post(
        self, message: dict[str, Any], start: Callable[[float], None], delay: float
    ) -> tuple[int, str]:
        start(delay)
        with self.client.stream("POST", "/api/v1/messages", json=message) as answer:
            return self._answered(answer)

    def _move(
        self, pin: str, n: int, start: Callable[[float], None], delay: float
    ) -> tuple[int, str]:
        """PATCH the stored pin onto the first contended position, with the race's barcode."""
        start(delay)
        changes = {"positionInPuck": CONTENDED[0], "barcode": f"RACE-{n}"}
        with self.client.stream(
            "PATCH", f"/api/v1/objects/{pin}", json=changes, headers={"If-Match": '"1"'}
        ) as answer:
            return self._answered(answer)

    def _answered(self, answer: httpx.Response) -> tuple[int, str]:
        """The status and text of a streamed answer, noting which serve process took it (its
        connection still open: the headers are in, the body not yet read)."""
        worker = _worker_of(answer, self.port, self.server.pid)
        if worker is not None:
            with self.lock:
                self.summary.by_worker[worker] += 1
        answer.read()
        return answer.status_code, answer.text

    def _judge_cli(self, code: int, out: str, err: str) -> None:
        self.summary.outcomes[f"cli {code}"] += 1
        # a refusal is one line per problem (path: message), as the CLI reports any refusal
        lines = [line for line in err.splitlines() if line.strip()]
        clean = all(": " in line and not line.startswith(" ") for line in lines)
        if code not in (0, 1) or "Traceback" in err + out or (code == 1 and not (lines and clean)):
            self.summary.unclean.append(f"exit {code}: {err.strip()[:300]}")

    def _pins_in(self, puck: str) -> list[dict[str, Any]]:
        found = self.client.get(
            "/api/v1/objects", params={"type": "Pin", "where": f"containerId={puck}"}
        )
        found.raise_for_status()
        items: list[dict[str, Any]] = found.json()["items"]
        return items

    def _verify(self, n: int, pins: list[dict[str, Any]]) -> None:
        at = Counter(p.get("positionInPuck") for p in pins)
        for position in (*CONTENDED, 3):
            if at[position] > 1:
                self.summary.broken.append(f"trial {n}: position {position} holds {at[position]}")
        if at[CONTENDED[0]] != 1:
            self.summary.broken.append(f"trial {n}: position {CONTENDED[0]} holds {at[1]} pins")
        racing = [p for p in pins if p.get("barcode") == f"RACE-{n}"]
        if len(racing) > 1:
            self.summary.broken.append(f"trial {n}: barcode RACE-{n} is on {len(racing)} pins")

    def finish(self) -> None:
        checked = subprocess.run(
            cli_command("check"), env=self.env, capture_output=True, text=True, timeout=600
        )
        if checked.returncode != 0:
            self.summary.check = checked.stderr.strip().splitlines() or [
                f"exit {checked.returncode}"
            ]


def _worker_of(answer: httpx.Response, port: int, server: int) -> int | None:
    """The process of ``server``'s tree holding the server end of ``answer``'s connection
    (Linux: /proc/net/tcp names the socket, /proc/<pid>/fd who holds it); None elsewhere."""
    stream = answer.extensions.get("network_stream")
    client_addr = stream.get_extra_info("client_addr") if stream is not None else None
    if client_addr is None:
        return None
    wanted = (f"{port:04X}", f"{client_addr[1]:04X}")
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    inodes = {
        f"socket:[{fields[9]}]"
        for fields in (line.split() for line in lines)
        if (fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]) == wanted
    }
    for pid in _process_tree(server):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return pid
    return None


def _process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [pid] + [p for child in found for p in _process_tree(child)]


def _first_end(processes: list[subprocess.Popen[str]], ended: threading.Event) -> None:
    """Set ``ended`` once any of ``processes`` has ended (at once when there are none)."""
    deadline = time.monotonic() + 120
    while processes and all(p.poll() is None for p in processes):
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    ended.set()


def _feed(path: Path, data: bytes, go: threading.Barrier) -> None:
    """Wait until the CLI process opens its FIFO (it is started), then, at the go, send its
    message. A process that died before opening it leaves the others waiting at most 60 s."""
    deadline = time.monotonic() + 60
    while True:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as error:
            if error.errno != errno.ENXIO or time.monotonic() > deadline:
                go.abort()
                raise
            time.sleep(0.01)
    os.set_blocking(descriptor, True)
    try:
        go.wait()
        os.write(descriptor, data)
    finally:
        os.close(descriptor)


def run(
    work: Path,
    trials: int,
    *,
    cli_writers: int = 2,
    http_writers: int = 2,
    at_once: int = 4,
    workers: int = 1,
) -> RaceSummary:
    """``trials`` trials, ``at_once`` of them running together (each over its own puck: more
    writers at a time on the store, and a CI run well under a minute)."""
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (
        Race(work, cli_writers=cli_writers, http_writers=http_writers, workers=workers) as race,
        concurrent.futures.ThreadPoolExecutor(at_once) as pool,
    ):
        for done in [pool.submit(race.trial, n) for n in range(1, trials + 1)]:
            done.result()
        race.finish()
    race.summary.seconds = time.monotonic() - started
    return race.summary


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m bench.race", description=__doc__)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--cli", type=int, default=3, help="CLI import processes per trial")
    parser.add_argument("--http", type=int, default=2, help="HTTP POSTs per trial (+1 PATCH)")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers (default 1)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mxlims-race-") as work:
        summary = run(
            Path(work),
            args.trials,
            cli_writers=args.cli,
            http_writers=args.http,
            workers=args.workers,
        )
    sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
