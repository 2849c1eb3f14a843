"""The reads of the benchmark against the ISPyB peer, in one process, interleaved; quick to rerun.

``python -m bench.reads_vs_peer WORK [OBJECTS ...]``: for each store size grows our store by
beamtimes (a shipment of 1,600 pins and its results return, ~13,000 objects each) as the full
benchmark does, and the peer to as many beamtimes, then measures in rounds, ours and the
peer's taken in turn so that both see the same load:

- provenance up from a ReflectionSet to its Shipment (p50 of 200 per round, as
  ``bench.measure``) against ISPyB's chain query (p50 of 200 per round);
- the results file of the last shipment with results, as the admin and as a member of its
  proposal, against ISPyB's whole-shipment fetch (medians of one per round);
- provenance up as that member too (the API's callers; p50 as above).

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


class Ours(NamedTuple):
    ups: list[float]
    member_ups: list[float]
    file: float
    member_file: float


async def _ours(builder: Builder, chosen: list[str], shipment: str) -> Ours:
    async with open_as_admin(settings_for(builder.data_dir)) as store:
        for uuid in chosen[:8]:  # warm-up, as bench.measure
            await store.provenance(uuid, direction="up")
            await store.provenance(uuid, direction="up", caller=MEMBER)
        ups, member_ups = [], []
        for uuid in chosen:
            started = time.perf_counter()
            steps = await store.provenance(uuid, direction="up")
            ups.append(time.perf_counter() - started)
            assert any(s["mxlimsType"] == "Shipment" for s in steps)
            started = time.perf_counter()
            steps = await store.provenance(uuid, direction="up", caller=MEMBER)
            member_ups.append(time.perf_counter() - started)
            assert any(s["mxlimsType"] == "Shipment" for s in steps)
        await store.shipment_results(shipment)
        started = time.perf_counter()
        await store.shipment_results(shipment)
        file = time.perf_counter() - started
        started = time.perf_counter()
        await store.shipment_results(shipment, caller=MEMBER)
        return Ours(ups, member_ups, file, time.perf_counter() - started)


def _peer(stage: PeerStage, chosen: list[int]) -> tuple[list[float], float]:
    peer = stage.peer
    ups = []
    for statistics in chosen:
        started = time.perf_counter()
        peer.chain_up(statistics)
        ups.append(time.perf_counter() - started)
    shipping = max(peer.shipments.values())
    started = time.perf_counter()
    peer.shipment_fetch(shipping)
    return ups, time.perf_counter() - started


async def run(work: Path, sizes: list[int]) -> None:
    rng = random.Random(7)
    builder = Builder(work / "store", 1600)
    with running_peer(work, 1600) as stage:
        if isinstance(stage, str):
            raise SystemExit(stage)
        await builder.one_shipment()
        for size in sizes:
            objects = await builder.grow(size)
            manifest = builder.manifest
            stage.grow(len(manifest.shipments_with_results), work)
            ours: list[Ours] = []
            peer_up, peer_file = [], []
            for _ in range(ROUNDS):
                chosen = rng.sample(manifest.reflection_sets, SAMPLES)
                ours.append(await _ours(builder, chosen, manifest.shipments_with_results[-1]))
                ups, file = _peer(stage, rng.sample(stage.peer.statistics_ids(), SAMPLES))
                peer_up += ups
                peer_file.append(file)
            chain, fetch = percentile(peer_up, 50), median(peer_file)
            up = percentile([u for o in ours for u in o.ups], 50)
            member_up = percentile([u for o in ours for u in o.member_ups], 50)
            file = median([o.file for o in ours])
            member_file = median([o.member_file for o in ours])
            print(
                f"{objects:,} objects: provenance up {up * 1e3:.3f} ms (member"
                f" {member_up * 1e3:.3f}) / chain {chain * 1e3:.3f} ms = {up / chain:.2f}x"
                f" (member {member_up / chain:.2f}x); results file {file:.3f} s (member"
                f" {member_file:.3f}) / fetch {fetch:.3f} s = {file / fetch:.2f}x"
                f" (member {member_file / fetch:.2f}x); load {os.getloadavg()[0]:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(run(Path(sys.argv[1]), [int(n) for n in sys.argv[2:]] or [20_000, 50_000, 200_000]))
