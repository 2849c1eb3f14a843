"""The embedded store's writes, cheaper where the store is big: a big write's pages stay in the
writer's cache until its COMMIT (nothing spilled into the log mid-transaction, the cache back to
its size after), and what the unit already asked is not asked again (sqlite_unit, sqlite.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.errors import WriteConflict
from mxlims_store.store.backends import sqlite_history, sqlite_open
from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_commits import wal_bytes
from tests.acting import admin_store
from tests.factories import shipment_message

SMALL_CACHE_KIB = 64  # 16 pages: an import of a few hundred objects dirties far more


def _watch_writes(backend: SqliteBackend, seen: list[dict[str, Any]]) -> None:
    """Record, for each write the store applies: the writer's cache size while it is applied
    and how much the log grew meanwhile (pages spilled before the COMMIT)."""
    apply = backend.apply_or_refuse

    def watched(connection: sqlite3.Connection, writes: list[Write], *rest: Any) -> None:
        before = wal_bytes(backend.path)
        try:
            apply(connection, writes, *rest)
        finally:
            size = connection.execute("PRAGMA cache_size").fetchone()[0]
            seen.append({"cache": size, "spilled": wal_bytes(backend.path) - before})

    backend.apply_or_refuse = watched  # type: ignore[method-assign]


@pytest.mark.parametrize("big_write", [50, 10**9])  # grown for the write / never grown
async def test_a_big_write_keeps_its_pages_until_its_commit_and_gives_the_room_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, big_write: int
) -> None:
    monkeypatch.setattr(sqlite_open, "CACHE_KIB", SMALL_CACHE_KIB)
    monkeypatch.setattr(sqlite_open, "BIG_WRITE", big_write)
    backend = SqliteBackend(tmp_path / "store.sqlite3")
    store = admin_store(backend)
    await store.init()
    try:
        await store.import_message(shipment_message(2))  # the tables' first pages exist
        seen: list[dict[str, Any]] = []
        _watch_writes(backend, seen)
        report = await store.import_message(shipment_message(300))
        assert sum(report.created.values()) > 300
        writer = backend.writer_connection()
        assert writer.execute("PRAGMA cache_size").fetchone()[0] == -SMALL_CACHE_KIB
        (write,) = seen
        if big_write == 50:
            assert write == {"cache": -sqlite_open.BIG_WRITE_CACHE_KIB, "spilled": 0}
        else:  # the same write in 16 pages spills (what the room above saves)
            assert write["cache"] == -SMALL_CACHE_KIB and write["spilled"] > 0
        assert (await store.check()).problems == []
    finally:
        await backend.close()


async def test_a_uuid_stored_before_is_a_lost_race_naming_only_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without asking first whether new uuids are stored, a taken one is still refused as a
    lost race (the unique index of the ids finds it), naming it and not the objects the same
    statement inserted before it; nothing of the write stays, and (a big write: the writer's
    cache was grown for it) the room is given back all the same."""
    monkeypatch.setattr(sqlite_open, "BIG_WRITE", 2)
    backend = SqliteBackend(tmp_path / "store.sqlite3")
    store = admin_store(backend)
    await store.init()
    try:
        message = shipment_message(3)
        await store.import_message(message)
        stored = await backend.find("logistical_samples", {})
        taken = stored[-1]
        unplaced = {k: v for k, v in taken["_meta"].items() if k != "slot"}
        fresh = [
            Write("logistical_samples", uuid, {**taken, "_id": uuid, "_meta": unplaced}, None, None)
            for uuid in (f"00000000-0000-4000-8000-00000000000{i}" for i in range(3))
        ]
        again = Write("logistical_samples", taken["_id"], {**taken, "_meta": unplaced}, None, None)
        with pytest.raises(WriteConflict) as refused:
            await backend.unit(lambda unit: unit.commit([*fresh, again]))
        assert taken["_id"] in str(refused.value)
        assert not any(w.uuid in str(refused.value) for w in fresh)
        assert len(await backend.find("logistical_samples", {})) == len(stored)
        writer = backend.writer_connection()
        assert writer.execute("PRAGMA cache_size").fetchone()[0] == -sqlite_open.CACHE_KIB
    finally:
        await backend.close()


async def test_new_objects_history_is_not_looked_for_twice_but_a_twin_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unit found no history for an import's new objects: their entries are not looked for
    as twins again; an entry of an object the unit did not find so is."""
    looked_for: list[int] = []
    refuse = sqlite_history.refuse_twins

    def counted(
        connection: sqlite3.Connection,
        keys: Any,
        unrecorded: Any = frozenset(),
        by_rows: Any = True,
    ) -> None:
        skipped = sum(1 for key, _ in keys if key.split("@", 1)[0] in unrecorded)
        looked_for.append(len(keys) - skipped)
        refuse(connection, keys, unrecorded, by_rows)

    monkeypatch.setattr(sqlite_history, "refuse_twins", counted)
    backend = SqliteBackend(tmp_path / "store.sqlite3")
    store = admin_store(backend)
    await store.init()
    try:
        report = await store.import_message(shipment_message(5))
        assert sum(report.created.values()) > 5 and looked_for and not any(looked_for)
        # an entry recorded already, written again by a write of the backend: refused
        (entry,) = (await backend.find("history", {}))[:1]
        with pytest.raises(WriteConflict):
            await backend.unit(lambda unit: unit.commit([_rerecorded(entry)]))
    finally:
        await backend.close()


def _rerecorded(entry: dict[str, Any]) -> Write:
    """A write of an event whose history entry is ``entry`` again (the same change twice)."""
    return Write("events", "twin-event", {"_id": "twin-event"}, None, entry)
