"""The import and its results return, measured into fresh copies of the store, in turns.

Each repeat imports the stage's shipment file, then its results return, into a copy of the
store as it is (the size unchanged from repeat to repeat); the last goes into the measured
store itself. With the ISPyB peer, each repeat is followed by the peer's insert of the same
files (bench.peer_turns): the ratio compares two figures taken at the same moment.

Flatness (the largest store ÷ the smallest) is a ratio too, and measured in blocks minutes
apart it also compares two moments of a shared machine: one 6.5k block and one 200k block of
the same round-9 code gave 0.93 to 1.35 across six quiet runs, while the same work in
alternating pairs gave 1.16. So at the largest size, when the runner kept a copy of the
smallest store (``Spec.flat_base``), every repeat is preceded by the same files imported into a
fresh copy of that small store: the two sides of the flatness ratio then come from the same
minutes, as the peer's ratios do. A large repeat is then set against both small ones around
it (the one before and the one after: the geometric mean of the two), so that a host slowing
down or speeding up across the pair no longer falls on one side of it (round 14: one small
repeat more, after the last large one).
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bench.generate import count_objects
from bench.report import Row
from bench.timing import median, timed_async
from mxlims_store.answers import ImportReport
from mxlims_store.messages.jsontext import loads
from mxlims_store.store import Store
from mxlims_store.store.policies import Policy

if TYPE_CHECKING:
    from bench.measure import Spec
    from bench.peer_turns import PeerTurns

T = TypeVar("T")
FLAT_TARGET = 1.2  # the ceiling for the largest store ÷ the smallest


@dataclass
class Timed:
    """One write's wall time and the process's CPU time over it (every thread: the writer's,
    the readers', a checkpoint's): the two apart say whether a slower write waited (the disk,
    the other processes of a shared machine) or worked more."""

    wall: float
    cpu: float


@dataclass
class Turns:
    """Every repeat's import and return, into copies of the store and, when the smallest store
    was kept, into copies of that one just before each and once after the last (``base_*``:
    the same files, same minutes; one more than the large ones)."""

    imports: list[Timed] = field(default_factory=list)
    returns: list[Timed] = field(default_factory=list)
    base_imports: list[Timed] = field(default_factory=list)
    base_returns: list[Timed] = field(default_factory=list)


async def import_rows(store: Store, spec: Spec, objects: int, turns: PeerTurns | None) -> list[Row]:
    """The import and results return rows of this size (medians of ``import_repeats``), and
    the flatness measured in alternation where a copy of the smallest store was kept."""
    runs = await _on_copies(store, spec, turns)
    if spec.flat_base:
        await _base_turn(store, spec, runs, spec.import_repeats)
    shipment = json.loads(Path(spec.shipment_file).read_bytes())  # (counted, not imported)
    returned = json.loads(Path(spec.results_file).read_bytes())
    trips = store.db.round_trips
    took, report = await _timed_write(lambda: from_file(store, spec.shipment_file))
    created = sum(report.created.values())
    if created != count_objects(shipment):
        raise AssertionError(f"shipment import created {created} of {count_objects(shipment)}")
    import_trips = store.db.round_trips - trips
    trips = store.db.round_trips
    took_back, report = await _timed_write(
        lambda: from_file(store, spec.results_file, policy="update_old")
    )
    if sum(report.created.values()) != spec.new_uuids:
        raise AssertionError(f"results return created {report.created}, not {spec.new_uuids}")
    return_trips = store.db.round_trips - trips
    if turns is not None:  # kept: the peer grows by this beamtime as ours does
        turns.write(Path(spec.shipment_file), Path(spec.results_file), keep=True)
    if spec.flat_base:  # the last large repeat's small one after it (its bracket closed)
        await _base_turn(store, spec, runs, spec.import_repeats + 1)
    runs.imports.append(took)
    runs.returns.append(took_back)
    rows = [
        _writes_row(spec, "import", "Import one more shipment (reject_new)", runs.imports,
                    objects, objects_in=count_objects(shipment), round_trips=import_trips),
        _writes_row(spec, "results_return", "Its results return (update_old)", runs.returns,
                    objects + created, objects_in=count_objects(returned),
                    round_trips=return_trips),
    ]  # fmt: skip
    if runs.base_imports:
        rows += [
            _flatness_row(spec, "import", "Import", runs.base_imports, runs.imports, objects),
            _flatness_row(spec, "results_return", "Results return", runs.base_returns,
                          runs.returns, objects + created),
        ]  # fmt: skip
    return rows


async def _on_copies(store: Store, spec: Spec, turns: PeerTurns | None) -> Turns:
    """The same import and results return into fresh copies of the store (the size as it is),
    once untimed, then ``import_repeats - 1`` times: with the real one after, the median of
    ``import_repeats``; with the peer, each followed by the peer's insert of the same files
    (then deleted); with a kept smallest store, each preceded by the same into a copy of it."""
    from mxlims_store.store.backends.sqlite import SqliteBackend

    runs = Turns()
    assert isinstance(store.db, SqliteBackend)
    # untimed: a process's first write pays one-time costs (statements prepared, modules
    # loaded: ~20 ms in the smoke run), which belong to neither side of a flatness pair
    warm_up = Path(spec.data_dir) / "warm-up.sqlite3"
    await store.db.backup(warm_up)
    await _into_copy(store, warm_up, spec)
    for n in range(spec.import_repeats - 1):
        if spec.flat_base:
            await _base_turn(store, spec, runs, n)
        copy = Path(spec.data_dir) / f"repeat-{n}.sqlite3"
        await store.db.backup(copy)
        took, took_back = await _into_copy(store, copy, spec)
        runs.imports.append(took)
        runs.returns.append(took_back)
        if turns is not None:
            turns.write(Path(spec.shipment_file), Path(spec.results_file), keep=False)
    return runs


async def _base_turn(store: Store, spec: Spec, runs: Turns, n: int) -> None:
    """The same files into a fresh copy of the smallest store, kept by the runner (copied
    here as the big store is: SQLite's backup of the file, then opened as the store)."""
    assert spec.flat_base is not None
    copy = Path(spec.data_dir) / f"base-{n}.sqlite3"
    copy_database(Path(spec.flat_base), copy)
    took, took_back = await _into_copy(store, copy, spec)
    runs.base_imports.append(took)
    runs.base_returns.append(took_back)


def copy_database(source: Path, target: Path) -> None:
    """SQLite's backup of the file ``source`` as the new file ``target`` (a consistent copy,
    whatever its log holds)."""
    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        copy.close()
        origin.close()


async def _into_copy(store: Store, copy: Path, spec: Spec) -> tuple[Timed, Timed]:
    """The import and its return into ``copy``, opened as a store of its own; then deleted."""
    from mxlims_store.store.backends.sqlite import SqliteBackend

    other = Store(SqliteBackend(copy), store.caller)
    try:
        await other.init()
        _written_as_the_store(copy)
        return await _import_both(other, spec)
    finally:
        await other.db.close()
        for leftover in copy.parent.glob(f"{copy.name}*"):
            leftover.unlink()


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
    took, _ = await _timed_write(lambda: from_file(store, spec.shipment_file))
    took_back, _ = await _timed_write(
        lambda: from_file(store, spec.results_file, policy="update_old")
    )
    return took, took_back


async def from_file(store: Store, path: str, policy: Policy = "reject_new") -> ImportReport:
    """The message file read and imported, as `mxlims-store import FILE` does (the CLI's own
    strict reader, ``jsontext.loads``): the work the peer's timed insert does too, which reads
    and parses the same file (bench.ispyb_peer). Before round 14 ours was timed from the
    parsed message: 10-14 ms of the shipment's reading and 15-19 ms of the results file's
    were left out of our side only."""
    return await store.import_message(loads(Path(path).read_bytes()), policy=policy)


async def _timed_write(work: Callable[[], Awaitable[T]]) -> tuple[Timed, T]:
    cpu = time.process_time()
    wall, result = await timed_async(work)
    return Timed(wall, time.process_time() - cpu), result


def _writes_row(
    spec: Spec, key: str, label: str, runs: list[Timed], objects: int, **extra: Any
) -> Row:
    """The median wall time, with every repeat's wall and CPU time beside it (ms, in order:
    the last one is the import into the measured store itself): medians hide the spread."""
    extra.update(_runs(runs), n=len(runs), turns=[t.wall for t in runs])
    return Row("store", key, label, spec.column, median([t.wall for t in runs]), "s", 0.5,
               objects, extra=extra)  # fmt: skip


def _flatness_row(
    spec: Spec, key: str, label: str, small: list[Timed], large: list[Timed], objects: int
) -> Row:
    """The median of the pairs' ratios (each large repeat ÷ the small ones made right before
    and right after it, their geometric mean: the estimator of a paired measurement, what the
    host did in those seconds cancels within a pair, and a drift across it too); beside it
    every pair's ratio, the ratio of the two sides' medians and of their CPU medians (round
    10's first three runs: 1.13 / 1.18 / 1.07 for the import as a ratio of medians, 1.14 /
    1.11 / 1.16 as the median of the pairs)."""
    pairs = bracketed_ratios([t.wall for t in small], [t.wall for t in large])
    walls = median([t.wall for t in large]) / median([t.wall for t in small])
    cpus = median([t.cpu for t in large]) / median([t.cpu for t in small])
    return Row("peer", f"flat_{key}_alternating",
               f"{label}: largest ÷ smallest store, in alternation (median of pairs)",
               spec.column, median(pairs), "x", FLAT_TARGET, objects,
               extra={"n": len(pairs), "pair_ratios": [round(r, 3) for r in pairs],
                      "medians_ratio": round(walls, 3), "cpu_ratio": round(cpus, 3),
                      **{f"small_{k}": v for k, v in _runs(small).items()}})  # fmt: skip


def bracketed_ratios(small: list[float], large: list[float]) -> list[float]:
    """Each of ``large`` ÷ the geometric mean of the two of ``small`` around it (``small``
    holds one more: the i-th large one was made between the i-th and the (i+1)-th small)."""
    if len(small) != len(large) + 1:
        needed = f"{len(large)} large repeats need {len(large) + 1} small"
        raise ValueError(f"{needed}, not {len(small)}")
    return [b / math.sqrt(a * c) for a, b, c in zip(small, large, small[1:], strict=False)]


def _runs(runs: list[Timed]) -> dict[str, Any]:
    return {
        "cpu_ms": round(median([t.cpu for t in runs]) * 1000, 1),
        "wall_runs_ms": [round(t.wall * 1000, 1) for t in runs],
        "cpu_runs_ms": [round(t.cpu * 1000, 1) for t in runs],
    }
