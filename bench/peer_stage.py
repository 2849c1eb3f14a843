"""ISPyB on MariaDB measured beside our store in the same run (:mod:`bench.ispyb_peer`).

At each store size the peer holds as many beamtimes (shipment + results) as our store, then does
the same work on the same files: the shipment import and its results return (medians of
``repeats``; each repeat but the last is deleted again, untimed, so the size stays), ISPyB's
provenance chain query (p50 over its ReflectionSet rows) and the whole-shipment fetch, each
taken by the measuring worker in turns with ours (:mod:`bench.peer_turns`). Ratios of ours to
the peer's are rows of their own.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

from bench import generate
from bench.ispyb_peer import IspybPeer
from bench.peer_turns import PeerSide
from bench.report import Row
from bench.timing import log

PEER_INDEX = 100_000  # generated shipments of the peer's own growth: uuids never ours


class PeerStage:
    def __init__(self, peer: IspybPeer, pins: int, url: str) -> None:
        self.peer, self.pins, self.url = peer, pins, url
        self.beamtimes = 0
        self.random = random.Random(7)

    def grow(self, beamtimes: int, work: Path) -> None:
        """Shipments with their results until the peer holds ``beamtimes`` of them."""
        while self.beamtimes < beamtimes:
            sent = generate.shipment(PEER_INDEX + self.beamtimes, self.pins)
            shipment, results = work / "peer-shipment.json", work / "peer-results.json"
            shipment.write_text(json.dumps(sent.message))
            results.write_text(json.dumps(generate.results(sent).message))
            self.peer.import_shipment(shipment)
            self.peer.results_return(results)
            self.peer.keep()
            self.beamtimes += 1

    def side(self, samples: int) -> PeerSide:
        """What the measuring worker needs to take the peer's figures in turns with ours
        (bench.peer_turns): the chain queries start from ``samples`` statistics rows, drawn
        with a seed of this run's (the same rows every run)."""
        log(f"ispyb peer: {self.peer.rows():,} rows, {self.beamtimes} beamtimes")
        return PeerSide(self.url, samples, self.random.randrange(1 << 30))

    def kept(self) -> None:
        """The worker inserted one more beamtime and kept it (as ours keeps its import)."""
        self.beamtimes += 1


# ours ÷ the peer's, with the ceiling
RATIOS = (
    ("import", "peer_import", "Import ÷ ISPyB's insert", 2.0),
    ("results_return", "peer_results", "Results return ÷ ISPyB's insert", 2.0),
    ("prov_up_p50", "peer_chain", "Provenance up ÷ ISPyB's chain query", 0.5),
    ("results_file", "peer_fetch", "Results file ÷ ISPyB's whole-shipment fetch", 1.0),
)


def ratios(rows: list[Row]) -> list[Row]:
    by = {(r.key, r.column): r for r in rows}
    out = []
    for ours, theirs, label, target in RATIOS:
        for (key, column), row in list(by.items()):
            peer = by.get((theirs, column))
            if key == ours and peer is not None and peer.value > 0:
                value = row.value / peer.value
                if row.unit != peer.unit:  # ms vs s
                    value *= {"ms": 0.001, "s": 1.0}[row.unit] / {"ms": 0.001, "s": 1.0}[peer.unit]
                out.append(Row("peer", f"ratio_{ours}", label, column, value, "x", target,
                               row.objects))  # fmt: skip
    return out


@contextlib.contextmanager
def running_peer(work: Path, pins: int) -> Iterator[PeerStage | str]:
    """The peer on a private MariaDB with ISPyB's schema; or why there is none here."""
    try:
        from tests.mariadb_server import MariaDBUnavailable, build_ispyb, private_mariadb
    except ImportError as error:  # pragma: no cover - run outside the repository
        yield f"no ISPyB peer: {error}"
        return
    folder = work / "ispyb"
    folder.mkdir(exist_ok=True)
    try:
        with private_mariadb(folder) as server:
            log("ispyb peer: building ISPyB's schema on a private MariaDB")
            build_ispyb(server, "ispyb")
            peer = IspybPeer(server.url("ispyb"))
            try:
                yield PeerStage(peer, pins, server.url("ispyb"))
            finally:
                peer.close()
    except MariaDBUnavailable as error:
        yield f"no ISPyB peer: {error}"
