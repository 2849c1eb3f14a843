"""Small reads on the event loop's thread (backends/sqlite_walk.py): a plan asking a few
documents by uuid runs there, anything larger moves on to a worker thread on the same snapshot;
the answers are the same wherever the steps run, and the loop's connection is never shared by
two plans at once nor left in a transaction."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.errors import NotFound, StoreBroken, Unavailable
from mxlims_store.store import Caller, navigation
from mxlims_store.store.backends import sqlite_open, sqlite_walk
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_ids import key
from tests.acting import ADMIN, admin_store
from tests.store.test_read_plans import _answers, _generated, _uuids

MEMBER = Caller("m", frozenset({"mx1234"}))
OTHER = Caller("o", frozenset({"mx9999"}))


Filled = tuple[SqliteBackend, dict[str, str]]


@pytest.fixture
async def filled(tmp_path: Path) -> AsyncIterator[Filled]:
    """A store with a generated shipment and its results, and one uuid of each type."""
    db = SqliteBackend(tmp_path / "store.sqlite3")
    store = admin_store(db)
    await store.init()
    shipment, results = _generated(6)
    await store.import_message(shipment)
    await store.import_message(results, policy="update_old")
    uuids = _uuids(shipment, results)
    uuids["nothing"] = "00000000-0000-4000-8000-000000000000"
    try:
        yield db, uuids
    finally:
        await db.close()


def _idle(db: SqliteBackend) -> bool:
    """Whether every loop reader of ``db`` is free and outside a transaction."""
    readers = sqlite_walk._READERS[db].values()
    return all(not r.busy and r.connection and not r.connection.in_transaction for r in readers)


async def test_answers_are_the_same_wherever_the_steps_run(
    filled: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, uuids = filled
    by_budget: dict[int, list[bytes]] = {}
    for budget in (64, 0, 1, 3, 10_000):  # 0: all in a worker; 1, 3: moved on at every step
        monkeypatch.setattr(sqlite_walk, "LOOP_BUDGET", budget)
        by_budget[budget] = [await _answers(db, who, uuids) for who in (ADMIN, MEMBER, OTHER)]
    first = by_budget[64]
    assert all(answers == first for answers in by_budget.values())
    assert first[0] == first[1] != first[2]  # the member sees it all, the other nothing
    assert b"no object with this uuid that you may see" in first[2]


async def test_a_provenance_up_never_leaves_the_loop_thread(
    filled: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, uuids = filled
    before = await navigation.provenance(db, MEMBER, uuids["ReflectionSet"])  # opens the reader

    def no_worker(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a small read went to a worker thread")

    monkeypatch.setattr(db, "_run", no_worker)
    monkeypatch.setattr(db._pool, "submit", no_worker)
    trips = db.round_trips
    again = await navigation.provenance(db, MEMBER, uuids["ReflectionSet"])
    assert again == before and len(again) > 5 and db.round_trips == trips + 1
    with pytest.raises(AssertionError, match="worker"):  # a results file reads a whole tree
        await navigation.shipment_results(db, MEMBER, uuids["Shipment"])


async def test_reads_at_once_share_nothing_and_answer_alike(
    filled: Filled,
) -> None:
    db, uuids = filled
    alone = [
        await navigation.provenance(db, MEMBER, uuids["ReflectionSet"]),
        dict(await navigation.shipment_results(db, MEMBER, uuids["Shipment"])),
        await navigation.provenance(db, MEMBER, uuids["Pin"], "down"),
    ]
    together = await asyncio.gather(
        *(
            read
            for _ in range(8)
            for read in (
                navigation.shipment_results(db, MEMBER, uuids["Shipment"]),
                navigation.provenance(db, MEMBER, uuids["ReflectionSet"]),
                navigation.provenance(db, MEMBER, uuids["Pin"], "down"),
            )
        )
    )
    for n, answer in enumerate(together):
        expected = alone[[1, 0, 2][n % 3]]
        assert (dict(answer) if isinstance(answer, dict) else answer) == expected
    assert sqlite_walk._READERS[db] and _idle(db)


async def test_a_damaged_document_is_the_stores_failure_and_frees_the_reader(
    filled: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, uuids = filled
    healthy = await navigation.provenance(db, ADMIN, uuids["Shipment"])
    raw = sqlite3.connect(db.path)
    with raw:  # valid JSON to SQLite (its indexes still read it), not to the store's decoder
        raw.execute(
            "UPDATE logistical_samples SET doc = json_set(doc, '$.damage', json('\"\\ud800\"'))"
            " WHERE id = ?",
            (key(uuids["Pin"]),),  # (a core table's id: sqlite_ids)
        )
    raw.close()
    for budget in (64, 0):  # on the loop's thread, and in a worker
        monkeypatch.setattr(sqlite_walk, "LOOP_BUDGET", budget)
        with pytest.raises(StoreBroken, match="damaged"):
            await navigation.provenance(db, ADMIN, uuids["ReflectionSet"])
        assert await navigation.provenance(db, ADMIN, uuids["Shipment"]) == healthy
    assert _idle(db)


async def test_a_closed_store_says_so(filled: Filled) -> None:
    db, uuids = filled
    await navigation.provenance(db, ADMIN, uuids["Pin"])
    await db.close()
    with pytest.raises(Unavailable, match="closed"):
        await navigation.provenance(db, ADMIN, uuids["Pin"])


async def test_an_export_leaves_the_collector_as_it_found_it(
    filled: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, uuids = filled
    assert gc.isenabled()
    collecting = []
    real = navigation.message_of_stored

    def spy(*args: Any, **kwargs: Any) -> dict[str, Any]:
        collecting.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(navigation, "message_of_stored", spy)
    exported = await navigation.shipment_results(db, MEMBER, uuids["Shipment"])
    assert collecting == [False] and gc.isenabled() and len(exported) > 5  # paused, resumed
    with pytest.raises(NotFound):  # a refusal resumes it too
        await navigation.shipment_results(db, OTHER, uuids["Shipment"])
    assert gc.isenabled()
    gc.disable()  # the application's choice is left as it is
    try:
        await navigation.export(db, ADMIN, uuids["Pin"])
        assert not gc.isenabled() and collecting == [False, False]
    finally:
        gc.enable()


async def test_a_reader_that_cannot_open_leaves_reads_to_the_workers(
    filled: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, uuids = filled
    sqlite_walk._READERS.pop(db, None)  # as a backend no loop read yet

    def refused(*args: Any) -> Any:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite_walk, "connect_loop_reader", refused)
    chain = await navigation.provenance(db, MEMBER, uuids["ReflectionSet"])  # in a worker
    assert len(chain) > 5 and not sqlite_walk._READERS[db]  # nothing left half-open
    monkeypatch.undo()
    assert await navigation.provenance(db, MEMBER, uuids["ReflectionSet"]) == chain
    [reader] = sqlite_walk._READERS[db].values()  # tried again, and kept this time
    assert reader.connection is not None and not reader.busy


async def test_only_the_loop_reader_maps_the_file(filled: Filled) -> None:
    """The loop's reader maps the file (its small lookups skip a read() and a copy per page);
    the pool's connections (big reads: results files) and the writer do not, so that a burst
    of downloads does not count the file once more per connection in resident memory."""
    db, uuids = filled
    await navigation.provenance(db, MEMBER, uuids["ReflectionSet"])
    [reader] = sqlite_walk._READERS[db].values()
    assert reader.connection is not None
    mapped = reader.connection.execute("PRAGMA mmap_size").fetchone()[0]
    assert mapped == sqlite_open.LOOP_READER_MMAP_BYTES > 0

    def pool_mapping() -> int:
        return int(db._connection().execute("PRAGMA mmap_size").fetchone()[0])

    assert await db._run(pool_mapping) == 0
    assert db.writer_connection().execute("PRAGMA mmap_size").fetchone()[0] == 0
