"""The reads of the benchmark against the ISPyB peer, in one process, interleaved; quick to rerun.

``python -m bench.reads_vs_peer WORK [OBJECTS ...]``: for each store size grows our store by
beamtimes (a shipment of 1,600 pins and its results return, ~13,000 objects each) as the full
benchmark does, and the peer to as many beamtimes, then measures in rounds, ours and the
peer's taken in turn so that both see the same load:

- provenance up from a ReflectionSet to its Shipment (p50 of 200 per round, as
  ``bench.measure``) against ISPyB's chain query (p50 of 200 per round);
- the results file of the last shipment with results against ISPyB's whole-shipment fetch
  (medians of one per round).

Prints one line per size with the ratios and the load average. The full ``python -m bench``
takes the same figures among all the others.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from pathlib import Path

from bench.build import Builder
from bench.measure import settings_for
from bench.peer_stage import PeerStage, running_peer
from bench.timing import median, percentile
from mxlims_store.store.backend import open_store

ROUNDS = 5
SAMPLES = 200


async def _ours(builder: Builder, chosen: list[str], shipment: str) -> tuple[list[float], float]:
    async with open_store(settings_for(builder.data_dir)) as store:
        for uuid in chosen[:8]:  # warm-up, as bench.measure
            await store.provenance(uuid, direction="up")
        ups = []
        for uuid in chosen:
            started = time.perf_counter()
            steps = await store.provenance(uuid, direction="up")
            ups.append(time.perf_counter() - started)
            assert any(s["mxlimsType"] == "Shipment" for s in steps)
        await store.shipment_results(shipment)
        started = time.perf_counter()
        await store.shipment_results(shipment)
        return ups, time.perf_counter() - started


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
            ours_up, ours_file, peer_up, peer_file = [], [], [], []
            for _ in range(ROUNDS):
                chosen = rng.sample(manifest.reflection_sets, SAMPLES)
                ups, file = await _ours(builder, chosen, manifest.shipments_with_results[-1])
                ours_up += ups
                ours_file.append(file)
                ups, file = _peer(stage, rng.sample(stage.peer.statistics_ids(), SAMPLES))
                peer_up += ups
                peer_file.append(file)
            up, chain = percentile(ours_up, 50), percentile(peer_up, 50)
            file, fetch = median(ours_file), median(peer_file)
            print(
                f"{objects:,} objects: provenance up {up * 1e3:.3f} ms / chain {chain * 1e3:.3f} ms"
                f" = {up / chain:.2f}x; results file {file:.3f} s / fetch {fetch:.3f} s"
                f" = {file / fetch:.2f}x; load {os.getloadavg()[0]:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(run(Path(sys.argv[1]), [int(n) for n in sys.argv[2:]] or [20_000, 50_000, 200_000]))
