"""Measure one store size; run as ``python -m bench.measure SPEC.json OUT.json``.

A worker process of its own per store size: ``ru_maxrss`` only ever grows, so a fresh process
doing the same work at each size is the one way to see whether memory follows the store.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.generate import PROPOSAL, count_objects
from bench.peer_turns import TURNS, PeerSide, PeerTurns
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
        imports = await _imports(store, spec, objects, turns)
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

    ups = await _ups(spec.reflection_sets, up, turns)
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
    for _ in range(spec.repeats if turns is None else max(spec.repeats, TURNS)):
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
    return [
        _row(spec, "prov_up_p50", "Provenance up, ReflectionSet to Shipment (p50)", ups, "ms", 5,
             objects, p50=True, note=note),
        _row(spec, "prov_down", "Provenance down from a shipment with results", downs, "s", 0.5,
             objects, note=note, reached=len(down), round_trips=down_trips),
        _row(spec, "results_file", "Results file (shipment_results)", files, "s", 0.5, objects,
             note=note, file_objects=count_objects(file), round_trips=file_trips),
        _row(spec, "results_file_member", "Results file, as a member of its proposal",
             member_files, "s", 0.5, objects, note=note),
    ]  # fmt: skip


async def _ups(
    uuids: list[str], up: Callable[[str], Awaitable[Any]], turns: PeerTurns | None
) -> list[float]:
    """Provenance up from each of ``uuids``; with the peer, in :data:`TURNS` rounds, each
    share of ours followed by as many of the peer's chain queries."""
    if turns is None:
        return await _each(uuids, up)
    for uuid in uuids[:WARM_UP]:
        await up(uuid)
    durations: list[float] = []
    for turn in range(TURNS):
        share = uuids[turn * len(uuids) // TURNS : (turn + 1) * len(uuids) // TURNS]
        durations += await _each(share, up, warm_up=0)
        turns.chain_round(turn, TURNS)
    return durations


async def _on_copies(
    store: Store, spec: Spec, turns: PeerTurns | None
) -> tuple[list[Timed], list[Timed]]:
    """The same import and results return into fresh copies of the store (the size as it is),
    ``import_repeats - 1`` times: with the real one after, the median of ``import_repeats``;
    with the peer, each followed by the peer's insert of the same files (then deleted)."""
    from mxlims_store.store.backends.sqlite import SqliteBackend

    imports: list[Timed] = []
    returns: list[Timed] = []
    assert isinstance(store.db, SqliteBackend)
    for n in range(spec.import_repeats - 1):
        copy = Path(spec.data_dir) / f"repeat-{n}.sqlite3"
        await store.db.backup(copy)
        other = Store(SqliteBackend(copy), store.caller)
        try:
            await other.init()
            _written_as_the_store(copy)
            took, took_back = await _import_both(other, spec)
            imports.append(took)
            returns.append(took_back)
            if turns is not None:
                turns.write(Path(spec.shipment_file), Path(spec.results_file), keep=False)
        finally:
            await other.db.close()
            for leftover in Path(spec.data_dir).glob(f"repeat-{n}.sqlite3*"):
                leftover.unlink()
    return imports, returns


def _written_as_the_store(copy: Path) -> None:
    """A backup is a rollback-journal file; the store switches it to WAL when it opens it
    (sqlite_open.write_ahead). Before it did, these repeats committed in rollback mode, syncing
    the database in place: ~40 ms more per write at 200k than the store writes (round 8)."""
    connection = sqlite3.connect(copy)
    try:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        connection.close()
    if mode != "wal":
        raise AssertionError(f"the copy {copy.name} is written in {mode} mode, not the store's WAL")


async def _import_both(store: Store, spec: Spec) -> tuple[Timed, Timed]:
    shipment = json.loads(Path(spec.shipment_file).read_bytes())
    took, _ = await _timed_write(lambda: store.import_message(shipment))
    back = json.loads(Path(spec.results_file).read_bytes())
    took_back, _ = await _timed_write(lambda: store.import_message(back, policy="update_old"))
    return took, took_back


@dataclass
class Timed:
    """One write's wall time and the process's CPU time over it (every thread: the writer's,
    the readers', a checkpoint's): the two apart say whether a slower write waited (the disk,
    the other processes of a shared machine) or worked more."""

    wall: float
    cpu: float


async def _timed_write(work: Callable[[], Awaitable[T]]) -> tuple[Timed, T]:
    cpu = time.process_time()
    wall, result = await timed_async(work)
    return Timed(wall, time.process_time() - cpu), result


def _writes_row(
    spec: Spec, key: str, label: str, runs: list[Timed], objects: int, **extra: Any
) -> Row:
    """The median wall time, with every repeat's wall and CPU time beside it (ms, in order:
    the last one is the import into the measured store itself): medians hide the spread."""
    return _row(spec, key, label, [t.wall for t in runs], "s", 0.5, objects,
                cpu_ms=round(median([t.cpu for t in runs]) * 1000, 1),
                wall_runs_ms=[round(t.wall * 1000, 1) for t in runs],
                cpu_runs_ms=[round(t.cpu * 1000, 1) for t in runs], **extra)  # fmt: skip


async def _imports(store: Store, spec: Spec, objects: int, turns: PeerTurns | None) -> list[Row]:
    imports, returns = await _on_copies(store, spec, turns)
    shipment = json.loads(Path(spec.shipment_file).read_bytes())
    returned = json.loads(Path(spec.results_file).read_bytes())
    trips = store.db.round_trips
    took, report = await _timed_write(lambda: store.import_message(shipment))
    created = sum(report.created.values())
    if created != count_objects(shipment):
        raise AssertionError(f"shipment import created {created} of {count_objects(shipment)}")
    import_trips = store.db.round_trips - trips
    trips = store.db.round_trips
    took_back, report = await _timed_write(
        lambda: store.import_message(returned, policy="update_old")
    )
    if sum(report.created.values()) != spec.new_uuids:
        raise AssertionError(f"results return created {report.created}, not {spec.new_uuids}")
    return_trips = store.db.round_trips - trips
    if turns is not None:  # kept: the peer grows by this beamtime as ours does
        turns.write(Path(spec.shipment_file), Path(spec.results_file), keep=True)
    return [
        _writes_row(spec, "import", "Import one more shipment (reject_new)", [*imports, took],
                    objects, objects_in=count_objects(shipment), round_trips=import_trips),
        _writes_row(spec, "results_return", "Its results return (update_old)",
                    [*returns, took_back], objects + created,
                    objects_in=count_objects(returned), round_trips=return_trips),
    ]  # fmt: skip


def main(argv: list[str]) -> None:
    spec = Spec(**json.loads(Path(argv[0]).read_text()))
    rows = asyncio.run(measure(spec))
    Path(argv[1]).write_text(json.dumps([r.to_dict() for r in rows]))


if __name__ == "__main__":
    main(sys.argv[1:])
