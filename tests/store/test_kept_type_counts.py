"""`stats` counts objects by type without reading them: the embedded store keeps the numbers
(sqlite_type_counts), and they stay exactly what the documents say through imports, updates,
deletes, concurrent writes, restores, older stores and writers that do not keep them."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from mxlims_store.store import Store
from mxlims_store.store.backends import Backend
from mxlims_store.store.backends import sqlite_type_counts as type_counts
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_commits import count_commit
from mxlims_store.store.backends.sqlite_ids import key
from mxlims_store.store.backends.sqlite_open import count_by
from mxlims_store.store.backends.sqlite_version import SCHEMA_VERSION
from mxlims_store.store.collections import CORE_COLLECTIONS
from tests.acting import admin_store
from tests.factories import results_message, shipment_message


async def _from_documents(db: Backend) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for collection in CORE_COLLECTIONS:
        counts.update(d["mxlimsType"] for d in await db.find(collection, {}))
    return dict(sorted(counts.items()))


async def _stats(store: Store) -> dict[str, int]:
    return dict((await store.stats()).root)


def _kept(path: Path) -> dict[str, dict[str, int] | None]:
    connection = sqlite3.connect(path)
    try:
        return {c: type_counts.kept(connection, c) for c in CORE_COLLECTIONS}
    finally:
        connection.close()


async def _with_a_shipment(path: Path) -> tuple[SqliteBackend, Store]:
    """A store on the file ``path``, opened as the admin, holding one 3-pin shipment."""
    backend = SqliteBackend(path)
    store = admin_store(backend)
    await store.init()
    await store.import_message(shipment_message(3))
    return backend, store


async def test_the_counts_follow_every_kind_of_write(store: Store) -> None:
    shipment = shipment_message(5, experiments=True)
    steps = [
        lambda: store.import_message(shipment),
        lambda: store.import_message(results_message(shipment), policy="update_old"),
        lambda: store.import_message(shipment, policy="merge"),  # nothing new
    ]
    for step in steps:
        await step()
        assert await _stats(store) == await _from_documents(store.db)
    pin = shipment["Pin"]["Pin2"]["uuid"]
    await store.update(pin, {"barcode": "NEW-2"}, revision=1)
    await store.delete(shipment["Shipment"]["Shipment1"]["uuid"], cascade=True)
    counted = await _stats(store)
    assert counted == await _from_documents(store.db)
    assert "Pin" not in counted and counted["CollectionSweep"] == 5  # the templates stay
    if isinstance(store.db, SqliteBackend):  # and they were kept, not grouped afresh
        connection = sqlite3.connect(store.db.path)
        for collection in CORE_COLLECTIONS:
            kept = type_counts.kept(connection, collection)
            assert kept == type_counts.grouped(connection, collection), collection
        connection.close()


async def test_concurrent_and_refused_writes_leave_them_exact(store: Store) -> None:
    messages = [shipment_message(3, proposal=f"mx{n}") for n in range(4)]
    clash = shipment_message(2)  # the same uuids twice at once: one of them is refused
    outcomes = await asyncio.gather(
        *(store.import_message(m) for m in [*messages, clash, clash]), return_exceptions=True
    )
    assert sum(isinstance(o, Exception) for o in outcomes) <= 1
    assert await _stats(store) == await _from_documents(store.db)
    assert (await _stats(store))["Pin"] == 14


async def test_the_reading_is_one_lookup_not_a_grouping(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "s.sqlite3")
    store = admin_store(backend)
    await store.init()
    await store.import_message(shipment_message(4))
    await backend.close()
    connection = sqlite3.connect(backend.path)
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    assert count_by(connection, "logistical_samples", {}, ["mxlimsType"])["Pin"] == 4
    assert statements and not any("GROUP BY" in s for s in statements)
    statements.clear()  # a member's count (a filter) still groups its own documents
    table = backend.tables["logistical_samples"]
    count_by(connection, table, {"_meta.proposal": "mx1234"}, ["mxlimsType"])
    assert any("GROUP BY" in s for s in statements)
    connection.close()


OLDER = "11111111-2222-4333-8444-555555555555"


def _write_as_an_older_version(path: Path) -> None:
    """A write that does not keep the counts (an mxlims-store from before them): a document
    added and the commit counted, as every version counts its commits."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        doc = connection.execute("SELECT doc FROM samples LIMIT 1").fetchone()[0]
        connection.execute(
            "INSERT INTO samples (id, doc) VALUES (?, json_set(?, '$._id', ?))",
            (key(OLDER), doc, OLDER),  # (a core table's id: sqlite_ids)
        )
        count_commit(connection)
        connection.execute("COMMIT")
    finally:
        connection.close()


async def test_a_write_that_did_not_keep_them_is_noticed_and_counted_afresh(
    tmp_path: Path,
) -> None:
    backend, store = await _with_a_shipment(tmp_path / "s.sqlite3")
    before = await _stats(store)
    _write_as_an_older_version(backend.path)
    assert _kept(backend.path)["samples"] is None  # not trusted any more ...
    after = await _stats(store)  # ... so the documents are grouped: still exact
    assert sum(after.values()) == sum(before.values()) + 1
    assert after == await _from_documents(backend)
    await store.import_message(shipment_message(2, proposal="mx9"))  # the next write recounts
    assert _kept(backend.path)["samples"] is not None
    assert await _stats(store) == await _from_documents(backend)
    assert not [p for p in (await store.check()).problems if "counted" in p]  # (no history)
    await backend.close()


@pytest.mark.parametrize("version", [6, SCHEMA_VERSION], ids=["older schema", "same schema"])
async def test_a_store_from_before_the_counts_gets_them_at_open(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "s.sqlite3"
    backend = SqliteBackend(path)
    await admin_store(backend).init()
    await admin_store(backend).import_message(shipment_message(3))
    await backend.close()
    with sqlite3.connect(path) as connection:  # as an older version left it
        connection.execute(f'DROP TABLE "{type_counts.TABLE}"')
        connection.execute(f"PRAGMA user_version = {version}")
    connection.close()
    reopened = SqliteBackend(path)
    store = admin_store(reopened)
    await store.init()  # opening builds the newer schema, or only the counts
    assert all(c is not None for c in _kept(path).values())
    assert await _stats(store) == await _from_documents(reopened)
    await reopened.close()


async def test_a_restored_store_counts_what_it_holds(tmp_path: Path) -> None:
    from mxlims_store.store.backends.sqlite_files import restore_from
    from mxlims_store.store.backends.sqlite_version import SCHEMA_VERSION

    path = tmp_path / "s.sqlite3"
    backend, store = await _with_a_shipment(path)
    saved = await _stats(store)
    await store.backup(tmp_path / "backup.sqlite3")
    await store.import_message(shipment_message(5, proposal="mx2"))
    await backend.close()
    restore_from(tmp_path / "backup.sqlite3", path, SCHEMA_VERSION)
    restored = SqliteBackend(path)
    store = admin_store(restored)
    await store.init()
    assert await _stats(store) == saved == await _from_documents(restored)
    await store.import_message(shipment_message(2, proposal="mx3"))
    assert await _stats(store) == await _from_documents(restored)
    await restored.close()


async def test_check_reports_counts_that_differ_and_forgets_them(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    backend, store = await _with_a_shipment(path)
    with sqlite3.connect(path) as connection:  # an edit of the file behind the store's back
        connection.execute(f"UPDATE \"{type_counts.TABLE}\" SET n = 7 WHERE type = 'Pin'")
    connection.close()
    assert (await _stats(store))["Pin"] == 7  # trusted: nothing a write could notice
    problems = (await store.check()).problems
    assert problems == [
        "logistical_samples: 3 Pin stored, but 7 counted (forgotten: the next write counts "
        "them afresh)"
    ]
    assert (await _stats(store))["Pin"] == 3  # grouped from the documents again
    assert (await store.check()).problems == []
    await store.import_message(shipment_message(1, proposal="mx2"))
    assert _kept(path)["logistical_samples"] == {"Dewar": 2, "Pin": 4, "Puck": 2, "Shipment": 2}
    await backend.close()


async def test_a_store_that_cannot_be_written_now_is_opened_and_counted_all_the_same(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sqlite3"
    backend = SqliteBackend(path)
    await admin_store(backend).init()
    await admin_store(backend).import_message(shipment_message(3))
    await backend.close()
    with sqlite3.connect(path) as connection:
        connection.execute(f'DROP TABLE "{type_counts.TABLE}"')
    connection.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, busy for as long as it likes
    try:
        reopened = SqliteBackend(path)
        store = admin_store(reopened)
        await store.init()  # does not wait for the writer: the counts come later
        assert _kept(path)["logistical_samples"] is None
        assert await _stats(store) == await _from_documents(reopened)
        await reopened.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
