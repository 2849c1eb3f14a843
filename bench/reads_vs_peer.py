"""The reads of the benchmark against the ISPyB peer, in one process, interleaved; quick to rerun.

``python -m bench.reads_vs_peer WORK [OBJECTS ...]``: for each store size grows our store by
beamtimes (a shipment of 1,600 pins and its results return, ~13,000 objects each) as the full
benchmark does, and the peer to as many beamtimes, then measures in rounds, ours and the
peer's taken in turn so that both see the same load:

- provenance up from a ReflectionSet to its Shipment (p50 of 200 per round, as
  ``bench.measure``) against ISPyB's chain query (p50 of 200 per round);
- the results file of the last shipment with results, as the admin and as a member of its
  proposal, against ISPyB's whole-shipment fetch (medians of one per round);
- provenance up as that member too (the API's callers; p50 as above);
- and each of these as CPU time (ours: the process's, all threads; the peer's: its client's
  and its MariaDB server's), which the machine's load disturbs far less than wall time.

Prints one line per size with the ratios and the load average. Sizes below ~20,000 objects
have nothing to read here: the builder's first results return comes with its second beamtime
(26,173 objects). The full ``python -m bench`` takes the same figures among all the others.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from pathlib import Path
from typing import NamedTuple

from bench.build import Builder
from bench.generate import PROPOSAL
from bench.measure import open_as_admin, settings_for
from bench.peer_stage import PeerStage, running_peer
from bench.timing import median, percentile
from mxlims_store.store.access import Caller

ROUNDS = 5
SAMPLES = 200


MEMBER = Caller("bench-member", frozenset({PROPOSAL}))


class Meter:
    """Wall and CPU seconds so far: this process's CPU (all its threads), and with ``server``
    (the pid of the peer's MariaDB) that server's CPU too, which does the peer's work: on a
    loaded machine a CPU ratio says what a wall ratio may not."""

    def __init__(self, server: int | None = None) -> None:
        self.server = server

    def now(self) -> tuple[float, float]:
        cpu = time.process_time()
        if self.server is not None:
            # /proc/<pid>/stat: utime and stime are the 14th and 15th fields
            fields = Path(f"/proc/{self.server}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return time.perf_counter(), cpu

    def since(self, start: tuple[float, float]) -> tuple[float, float]:
        wall, cpu = self.now()
        return wall - start[0], cpu - start[1]


class Taken(NamedTuple):
    """One round: wall seconds per lookup, CPU seconds per lookup (their mean), and the
    results file's (or fetch's) wall and CPU seconds; for ours also as the member."""

    ups: list[float]
    up_cpu: float
    file: tuple[float, float]
    member_ups: list[float] = []
    member_up_cpu: float = 0.0
    member_file: tuple[float, float] = (0.0, 0.0)


async def _ours(builder: Builder, chosen: list[str], shipment: str) -> Taken:
    meter = Meter()
    async with open_as_admin(settings_for(builder.data_dir)) as store:
        for uuid in chosen[:8]:  # warm-up, as bench.measure
            await store.provenance(uuid, direction="up")
            await store.provenance(uuid, direction="up", caller=MEMBER)
        taken: dict[Caller | None, tuple[list[float], float, tuple[float, float]]] = {}
        for who in (None, MEMBER):
            ups, cpu = [], 0.0
            for uuid in chosen:
                start = meter.now()
                steps = await store.provenance(uuid, direction="up", caller=who)
                wall, spent = meter.since(start)
                ups.append(wall)
                cpu += spent
                assert any(s["mxlimsType"] == "Shipment" for s in steps)
            await store.shipment_results(shipment, caller=who)
            start = meter.now()
            await store.shipment_results(shipment, caller=who)
            taken[who] = (ups, cpu / len(chosen), meter.since(start))
        return Taken(*taken[None], *taken[MEMBER])


def _peer(stage: PeerStage, meter: Meter, chosen: list[int]) -> Taken:
    peer = stage.peer
    ups, cpu = [], 0.0
    for statistics in chosen:
        start = meter.now()
        peer.chain_up(statistics)
        wall, spent = meter.since(start)
        ups.append(wall)
        cpu += spent
    shipping = max(peer.shipments.values())
    peer.shipment_fetch(shipping)  # warm, as ours is: one fetch before the one measured
    start = meter.now()
    peer.shipment_fetch(shipping)
    return Taken(ups, cpu / len(chosen), meter.since(start))


def _server_pid(work: Path) -> int | None:
    try:
        return int((work / "ispyb" / "mariadb.pid").read_text())
    except (OSError, ValueError):
        return None  # then the peer's CPU is its client's alone (said in the output)


async def run(work: Path, sizes: list[int]) -> None:
    rng = random.Random(7)
    builder = Builder(work / "store", 1600)
    with running_peer(work, 1600) as stage:
        if isinstance(stage, str):
            raise SystemExit(stage)
        meter = Meter(_server_pid(work))
        await builder.one_shipment()
        for size in sizes:
            objects = await builder.grow(size)
            manifest = builder.manifest
            stage.grow(len(manifest.shipments_with_results), work)
            ours: list[Taken] = []
            peers: list[Taken] = []
            for _ in range(ROUNDS):
                chosen = rng.sample(manifest.reflection_sets, SAMPLES)
                ours.append(await _ours(builder, chosen, manifest.shipments_with_results[-1]))
                peers.append(_peer(stage, meter, rng.sample(stage.peer.statistics_ids(), SAMPLES)))
            _report(objects, ours, peers, meter.server is not None)


def _report(objects: int, ours: list[Taken], peers: list[Taken], server: bool) -> None:
    def p50(lists: list[list[float]]) -> float:
        return percentile([u for ups in lists for u in ups], 50)

    chain, fetch = p50([p.ups for p in peers]), median([p.file[0] for p in peers])
    up, member_up = p50([o.ups for o in ours]), p50([o.member_ups for o in ours])
    file, member_file = median([o.file[0] for o in ours]), median([o.member_file[0] for o in ours])
    print(
        f"{objects:,} objects: provenance up {up * 1e3:.3f} ms (member"
        f" {member_up * 1e3:.3f}) / chain {chain * 1e3:.3f} ms = {up / chain:.2f}x"
        f" (member {member_up / chain:.2f}x); results file {file:.3f} s (member"
        f" {member_file:.3f}) / fetch {fetch:.3f} s = {file / fetch:.2f}x"
        f" (member {member_file / fetch:.2f}x); load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    chain_cpu, fetch_cpu = median([p.up_cpu for p in peers]), median([p.file[1] for p in peers])
    up_cpu, member_up_cpu = (
        median([o.up_cpu for o in ours]),
        median([o.member_up_cpu for o in ours]),
    )
    file_cpu = median([o.file[1] for o in ours])
    member_file_cpu = median([o.member_file[1] for o in ours])
    print(
        f"  CPU (ours: all threads; ISPyB: client{' + MariaDB server' if server else ' only'}):"
        f" provenance up {up_cpu * 1e3:.3f} ms (member {member_up_cpu * 1e3:.3f}) / chain"
        f" {chain_cpu * 1e3:.3f} ms = {up_cpu / chain_cpu:.2f}x (member"
        f" {member_up_cpu / chain_cpu:.2f}x); results file {file_cpu:.3f} s (member"
        f" {member_file_cpu:.3f}) / fetch {fetch_cpu:.3f} s = {file_cpu / fetch_cpu:.2f}x"
        f" (member {member_file_cpu / fetch_cpu:.2f}x)",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(run(Path(sys.argv[1]), [int(n) for n in sys.argv[2:]] or [20_000, 50_000, 200_000]))
