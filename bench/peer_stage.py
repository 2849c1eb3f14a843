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
from bench.timing import log, median

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
    """Ours ÷ the peer's at each size: the median of the turns' own ratios where both rows
    kept their figure per turn (taken together, bench.peer_turns), with the ratio of the two
    medians beside it; else the ratio of the two figures."""
    by = {(r.key, r.column): r for r in rows}
    out = []
    for ours, theirs, label, target in RATIOS:
        for (key, column), row in list(by.items()):
            peer = by.get((theirs, column))
            if key == ours and peer is not None and peer.value > 0:
                scale = _UNIT[row.unit] / _UNIT[peer.unit]  # ms vs s
                value, extra = row.value / peer.value * scale, {}
                pairs = _turn_ratios(row, peer, scale)
                if pairs:
                    extra = {"medians_ratio": round(value, 3), "turn_ratios": pairs}
                    value = median(pairs)
                out.append(Row("peer", f"ratio_{ours}", label, column, value, "x", target,
                               row.objects, extra=extra))  # fmt: skip
    return out


_UNIT = {"ms": 0.001, "s": 1.0}


def _turn_ratios(ours: Row, peer: Row, scale: float) -> list[float]:
    """Each turn's ours ÷ the peer's (the turns of the two rows, in order), or none where
    either row has no turns or they do not pair up."""
    mine, theirs = ours.extra.get("turns"), peer.extra.get("turns")
    if not mine or not theirs or len(mine) != len(theirs) or min(theirs) <= 0:
        return []
    return [round(a / b * scale, 3) for a, b in zip(mine, theirs, strict=True)]


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
