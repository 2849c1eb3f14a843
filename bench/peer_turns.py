"""The ISPyB peer's side of each ratio, taken in turns with ours inside the measuring worker.

Measured in separate blocks (all of ours, then all of the peer's), a ratio also compares two
moments of a shared machine: the peer's whole-shipment fetch moved 0.18-0.29 s between sizes
with the load, and a ratio with it. Here the worker (:mod:`bench.measure`) takes each of the
peer's measurements right after the matching one of ours: provenance up against the chain
query in rounds (a share of the ReflectionSets, then as many statistics rows), the results file
against the whole-shipment fetch, and each import and results return against the peer's insert
of the same files; every ratio then compares two figures taken under the same load (medians
of at least :data:`TURNS`). Each row keeps its figure per turn (``extra["turns"]``), so a ratio
is the median of the turns' own ratios (bench.peer_stage.ratios): a paired estimator, which a
slow minute of the host, falling on both sides of one turn, does not move. The same
measurements as :mod:`bench.reads_vs_peer` makes, not softer ones: the peer does the same
work, on the same files, with the same samples.

The peer's client runs in a process of its own (``python -m bench.peer_turns``, driven over its
stdin and stdout, a JSON line per turn, each timed inside it): the worker's peak RSS stays
ours alone, as before, and its event loop never runs the peer's queries.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import REPO_ROOT
from bench.report import Row
from bench.timing import median, percentile

if TYPE_CHECKING:
    from bench.ispyb_peer import IspybPeer

TURNS = 10  # at least this many turns behind each median or p50 (rounds of lookups)
SETTLE_STEP = 0.1  # s between two looks at the server's CPU time after a write
SETTLED_CPU = 0.005  # s of CPU in one step (/proc counts 10 ms ticks: none) is idle again
SETTLE_MAX = 5.0  # s: a server that never settles is waited for this long at most


@dataclass
class PeerSide:
    """What the worker needs to reach the peer: its database URL, and how many statistics rows
    its chain queries start from (drawn with ``seed`` when the first round asks: at the first
    size the peer's only results are the ones the worker inserts before it reads)."""

    url: str
    samples: int
    seed: int


class PeerTurns:
    """The peer's timings, gathered turn by turn beside ours (its client in a process of its
    own, :func:`serve`)."""

    def __init__(self, side: PeerSide) -> None:
        self.side = side
        self.chains: list[list[float]] = []  # per round
        self.fetches: list[float] = []
        self.imports: list[float] = []
        self.returns: list[float] = []
        self.settles: list[float] = []  # waits for the server's own work after each write
        self.client = subprocess.Popen(
            [sys.executable, "-m", "bench.peer_turns"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._ask({"op": "open", "url": side.url})

    def _ask(self, command: dict[str, Any]) -> Any:
        assert self.client.stdin is not None and self.client.stdout is not None
        self.client.stdin.write(json.dumps(command) + "\n")
        self.client.stdin.flush()
        answer = self.client.stdout.readline()
        if not answer:
            raise RuntimeError(f"the peer's client ended (exit {self.client.wait()})")
        return json.loads(answer)

    def chain_round(self, turn: int, turns: int) -> None:
        """The ``turn``-th of ``turns`` shares of the statistics rows, a chain query each."""
        self.chains.append(self._ask(
            {"op": "chain", "turn": turn, "turns": turns, "samples": self.side.samples,
             "seed": self.side.seed}
        ))  # fmt: skip

    def fetch_warm(self) -> None:
        self._ask({"op": "fetch"})  # untimed, as ours' first

    def fetch(self) -> None:
        self.fetches.append(self._ask({"op": "fetch"}))

    def write(self, shipment: Path, results: Path, *, keep: bool) -> None:
        """Insert the same shipment and its results return; deleted again (untimed) unless
        ``keep``, so that the size stays as ours does (ours repeats into copies)."""
        took, took_back, settled = self._ask(
            {"op": "write", "shipment": str(shipment), "results": str(results), "keep": keep}
        )
        self.imports.append(took)
        self.returns.append(took_back)
        self.settles.append(settled)

    def rows(self, column: str, objects: int) -> list[Row]:
        rows: list[Row] = []
        if self.imports:
            n = float(len(self.imports))
            rows += [
                Row("peer", "peer_import", "ISPyB: insert the same shipment", column,
                    median(self.imports), "s", objects=objects,
                    extra={"n": n, "wall_runs_ms": _ms(self.imports),
                           "settled_after_ms": _ms(self.settles), "turns": self.imports}),
                Row("peer", "peer_results", "ISPyB: insert its results return", column,
                    median(self.returns), "s", objects=objects,
                    extra={"n": n, "wall_runs_ms": _ms(self.returns), "turns": self.returns}),
            ]  # fmt: skip
        if self.chains:
            every = [seconds for chain in self.chains for seconds in chain]
            rows.append(
                Row("peer", "peer_chain", "ISPyB: provenance chain query (p50)", column,
                    percentile(every, 50) * 1000, "ms", objects=objects,
                    extra={"n": float(len(every)), "turns": turn_p50s_ms(self.chains)})
            )  # fmt: skip
        if self.fetches:
            rows.append(
                Row("peer", "peer_fetch", "ISPyB: whole-shipment fetch", column,
                    median(self.fetches), "s", objects=objects,
                    extra={"n": float(len(self.fetches)), "turns": self.fetches})
            )  # fmt: skip
        return rows

    def close(self) -> None:
        if self.client.stdin is not None:
            self.client.stdin.close()  # the client ends at the end of its input
        self.client.wait()


def serve() -> None:
    """The peer's client: one JSON command per line on stdin, one JSON answer per line."""
    from bench.ispyb_peer import IspybPeer, timed

    peer: IspybPeer | None = None
    chosen: list[int] = []  # the statistics rows of the chain queries, drawn once
    shipping: int | None = None  # the fetch's: the latest shipping, found once
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        answer: Any = None
        if op == "open":
            peer = IspybPeer(command["url"])
        elif peer is None:
            raise SystemExit("bench.peer_turns: 'open' comes first")
        elif op == "chain":
            if not chosen:
                ids = peer.statistics_ids()
                chosen = random.Random(command["seed"]).sample(
                    ids, min(command["samples"], len(ids))
                )
            turn, turns = command["turn"], command["turns"]
            share = chosen[turn * len(chosen) // turns : (turn + 1) * len(chosen) // turns]
            answer = [timed(peer.chain_up, i) for i in share]
        elif op == "fetch":
            shipping = shipping or latest_shipping(peer)
            answer = timed(peer.shipment_fetch, shipping)
        elif op == "write":
            answer = [
                timed(peer.import_shipment, Path(command["shipment"])),
                timed(peer.results_return, Path(command["results"])),
            ]
            if command["keep"]:
                peer.keep()
            else:
                peer.undo()
            answer.append(_settle(server_pid(peer)))
        else:
            raise SystemExit(f"bench.peer_turns: unknown command {op!r}")
        print(json.dumps(answer), flush=True)
    if peer is not None:
        peer.close()


def server_pid(peer: IspybPeer) -> int | None:
    """The MariaDB server's process id, where its pid file is readable (None: not here)."""
    from sqlalchemy import text

    with peer.engine.connect() as conn:
        pid_file = conn.execute(text("SELECT @@pid_file")).scalar_one()
    try:
        return int(Path(str(pid_file)).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _settle(pid: int | None) -> float:
    """Wait (untimed) until the server has finished the work its write left behind (InnoDB
    purges the deleted rows and flushes pages for a second or so, 110-180 ms of CPU measured
    during the import of ours that followed): each of our writes then runs beside an idle
    server, as the peer's runs after our store has closed (its checkpoint done). Idle: under
    SETTLED_CPU of CPU over a SETTLE_STEP, at most SETTLE_MAX in all. Seconds waited."""
    started = time.perf_counter()
    if pid is None:
        return 0.0
    before = _cpu_seconds(pid)
    while before is not None and time.perf_counter() - started < SETTLE_MAX:
        time.sleep(SETTLE_STEP)
        now = _cpu_seconds(pid)
        if now is None or now - before < SETTLED_CPU:
            break
        before = now
    return time.perf_counter() - started


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def turn_p50s_ms(turns: list[list[float]]) -> list[float]:
    """Each turn's p50, in ms (the figure a turn's ratio is taken of)."""
    return [percentile(turn, 50) * 1000 for turn in turns]


def _ms(seconds: list[float]) -> list[float]:
    """Every repeat's time in ms, in order (medians hide the spread)."""
    return [round(s * 1000, 1) for s in seconds]


def latest_shipping(peer: IspybPeer) -> int:
    """The shipping the peer inserted last (with its results: the run inserts a shipment and
    its results return together)."""
    from sqlalchemy import text

    with peer.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(shippingId) FROM Shipping")).scalar_one())


if __name__ == "__main__":
    serve()
