"""Measure one store size; run as ``python -m bench.measure SPEC.json OUT.json``.

A worker process of its own per store size: ``ru_maxrss`` only ever grows, so a fresh process
doing the same work at each size is the one way to see whether memory follows the store.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.generate import PROPOSAL, count_objects
from bench.import_turns import import_rows
from bench.peer_turns import TURNS, PeerSide, PeerTurns, turn_p50s_ms
from bench.report import Row
from bench.timing import median, peak_rss_mib, percentile, timed_async
from mxlims_store.config import Settings
from mxlims_store.store import Store, local_admin
from mxlims_store.store.access import Caller
from mxlims_store.store.backend import open_store
from mxlims_store.store.queries import FindQuery

T = TypeVar("T")
WARM_UP = 8  # calls before timing: the backend opens one connection per worker thread lazily
AFTER_IMPORT = (
    "measured after this size's import and results return (no results were stored before)"
)


@dataclass
class Spec:
    data_dir: str
    column: str
    repeats: int  # of the single-shot measurements (open, provenance down, results file)
    get_uuids: list[str]
    barcodes: list[str]
    shipment_file: str  # one more shipment to import, and its results return
    results_file: str
    new_uuids: int  # objects the results return must create
    results_shipment: str  # a shipment with its results, for provenance down / results file
    reflection_sets: list[str]  # provenance up starts here
    reads_after_import: bool  # the results above arrive with this stage's own import
    import_repeats: int = 1  # imports of the same files, each into a copy of the same store
    # the ISPyB peer, when one runs (a PeerSide as a dict): its measurements are taken here,
    # each in turn with the matching one of ours (bench.peer_turns)
    peer: dict[str, Any] | None = None
    # a copy of the smallest store, kept by the runner: at this size each import repeat is
    # then preceded by the same into a copy of it, for flatness in alternation (import_turns)
    flat_base: str | None = None
    read_passes: int = 1  # of the provenance turns, with the peer (bench.plan.Plan)
    file_turns: int = 10  # of the results file, with the peer (bench.plan.Plan)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))


def settings_for(data_dir: str | Path) -> Settings:
    # mongodb_url=None: an MXLIMS_MONGODB_URL in the environment must not switch backends.
    return Settings(_env_file=None, data_dir=Path(data_dir), mongodb_url=None)


@asynccontextmanager
async def open_as_admin(settings: Settings, **options: Any) -> AsyncIterator[Store]:
    """The store as the bench uses it: acting as the local admin, as the CLI does."""
    async with open_store(settings, **options) as store:
        yield store.acting_as(local_admin())


async def measure(spec: Spec) -> list[Row]:
    settings = settings_for(spec.data_dir)
    turns = PeerTurns(PeerSide(**spec.peer)) if spec.peer else None
    try:
        rows = await _measure(spec, settings, turns)
    finally:
        if turns is not None:
            turns.close()
    return rows


async def _measure(spec: Spec, settings: Settings, turns: PeerTurns | None) -> list[Row]:
    opens = [(await timed_async(lambda: _open_and_stats(settings)))[0] for _ in range(spec.repeats)]
    async with open_as_admin(settings) as store:
        objects = await _count(store)
        label = "Open: open_store + stats, in-process"
        rows = [_row(spec, "open_inproc", label, opens, "s", 0.5, objects)]
        rows += await _lookups(store, spec, objects)
        graph = [] if spec.reads_after_import else await _graph_reads(store, spec, objects, turns)
        imports = await import_rows(store, spec, objects, turns)
        if spec.reads_after_import:
            graph = await _graph_reads(store, spec, await _count(store), turns, AFTER_IMPORT)
        rows += graph + imports  # the same order at every size, whichever ran first
        if turns is not None:
            rows += turns.rows(spec.column, objects)
    rows.append(
        Row("store", "peak_rss", "Peak RSS (worker doing all of the above)", spec.column,
            peak_rss_mib(), "MiB", objects=objects)
    )  # fmt: skip
    return rows


async def _open_and_stats(settings: Settings) -> None:
    async with open_as_admin(settings) as store:
        await store.stats()


async def _count(store: Store) -> int:
    return sum((await store.stats()).values())


def _row(
    spec: Spec,
    key: str,
    label: str,
    seconds: list[float],
    unit: str,
    target: float,
    objects: int,
    *,
    p50: bool = False,
    note: str = "",
    **extra: Any,
) -> Row:
    """A row from timings: the p50 (with the p95 beside it) of many, or the median of a few."""
    scale = 1000.0 if unit == "ms" else 1.0
    value = percentile(seconds, 50) if p50 else median(seconds)
    if p50:
        extra["p95"] = percentile(seconds, 95) * scale
    extra["n"] = len(seconds)
    return Row("store", key, label, spec.column, value * scale, unit, target, objects, note, extra)


async def _each(
    items: list[str], call: Callable[[str], Awaitable[Any]], warm_up: int = WARM_UP
) -> list[float]:
    for item in items[:warm_up]:
        await call(item)
    durations = []
    for item in items:
        start = time.perf_counter()
        await call(item)
        durations.append(time.perf_counter() - start)
    return durations


async def _lookups(store: Store, spec: Spec, objects: int) -> list[Row]:
    gets = await _each(spec.get_uuids, store.get)

    async def find(barcode: str) -> None:
        page = await store.find(FindQuery(type="Pin", where={"barcode": barcode}, limit=10))
        if len(page.items) != 1:
            raise AssertionError(f"barcode {barcode} found {len(page.items)} pins, expected 1")

    finds = await _each(spec.barcodes, find)
    return [
        _row(spec, "get_p50", "Get by uuid (p50)", gets, "ms", 2, objects, p50=True),
        _row(spec, "find_p50", "Find Pin by barcode (p50)", finds, "ms", 20, objects, p50=True),
    ]


async def _graph_reads(
    store: Store, spec: Spec, objects: int, turns: PeerTurns | None, note: str = ""
) -> list[Row]:
    async def up(uuid: str) -> None:
        steps = await store.provenance(uuid, direction="up")
        if not any(s["mxlimsType"] == "Shipment" for s in steps):
            raise AssertionError(f"provenance up from {uuid} never reached its Shipment")

    up_turns = await _ups(spec.reflection_sets, up, turns, spec.read_passes)
    ups = [seconds for turn in up_turns for seconds in turn]
    trips = store.db.round_trips
    down = await store.provenance(spec.results_shipment, direction="down")
    down_trips = store.db.round_trips - trips
    downs = [
        (await timed_async(lambda: store.provenance(spec.results_shipment, direction="down")))[0]
        for _ in range(spec.repeats)
    ]
    trips = store.db.round_trips
    file = await store.shipment_results(spec.results_shipment)
    file_trips = store.db.round_trips - trips
    files = []
    if turns is not None:
        turns.fetch_warm()  # one before those measured, as ours above
    for _ in range(spec.repeats if turns is None else max(spec.repeats, spec.file_turns)):
        files.append((await timed_async(lambda: store.shipment_results(spec.results_shipment)))[0])
        if turns is not None:
            turns.fetch()  # right after ours: the same load
    # The same file as a member of the proposal (the API's callers): its scope must not make
    # the walk read the whole proposal (it did, through the proposal's index: not flat).
    member = Caller("bench-member", frozenset({PROPOSAL}))
    as_member = await store.shipment_results(spec.results_shipment, caller=member)
    if count_objects(as_member) != count_objects(file):
        raise AssertionError("the member's results file is not the admin's")
    member_files = [
        (await timed_async(lambda: store.shipment_results(spec.results_shipment, caller=member)))[0]
        for _ in range(spec.repeats)
    ]
    paired: dict[str, Any] = {"turns": turn_p50s_ms(up_turns)} if turns is not None else {}
    return [
        _row(spec, "prov_up_p50", "Provenance up, ReflectionSet to Shipment (p50)", ups, "ms", 5,
             objects, p50=True, note=note, **paired),
        _row(spec, "prov_down", "Provenance down from a shipment with results", downs, "s", 0.5,
             objects, note=note, reached=len(down), round_trips=down_trips),
        _row(spec, "results_file", "Results file (shipment_results)", files, "s", 0.5, objects,
             note=note, file_objects=count_objects(file), round_trips=file_trips,
             **({"turns": files} if turns is not None else {})),
        _row(spec, "results_file_member", "Results file, as a member of its proposal",
             member_files, "s", 0.5, objects, note=note),
    ]  # fmt: skip


async def _ups(
    uuids: list[str], up: Callable[[str], Awaitable[Any]], turns: PeerTurns | None, passes: int
) -> list[list[float]]:
    """Provenance up from each of ``uuids``, per turn: with the peer, ``passes`` times
    :data:`TURNS` rounds back to back, each share of ours followed by as many of the peer's
    chain queries (the same shares in every pass); without, one turn."""
    if turns is None:
        return [await _each(uuids, up)]
    for uuid in uuids[:WARM_UP]:
        await up(uuid)
    durations: list[list[float]] = []
    for _ in range(passes):
        for turn in range(TURNS):
            share = uuids[turn * len(uuids) // TURNS : (turn + 1) * len(uuids) // TURNS]
            durations.append(await _each(share, up, warm_up=0))
            turns.chain_round(turn, TURNS)
    return durations


def main(argv: list[str]) -> None:
    spec = Spec(**json.loads(Path(argv[0]).read_text()))
    rows = asyncio.run(measure(spec))
    Path(argv[1]).write_text(json.dumps([r.to_dict() for r in rows]))


if __name__ == "__main__":
    main(sys.argv[1:])
