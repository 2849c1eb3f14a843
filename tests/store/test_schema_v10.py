"""Schema 10 of the embedded store: history's index keyed by the object's row, appended
(sqlite_history_keys); entries of a deleted object back under its uuid's key; v9 stores
upgraded at open without rewriting an entry."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.store import Store
from mxlims_store.store.backends import sqlite_upgrade
from mxlims_store.store.backends.sqlite import SCHEMA_VERSION, SqliteBackend
from mxlims_store.store.backends.sqlite_history import (
    ROW_KEYED,
    ROWS,
    _object_sql,
    insert_entries,
    object_key,
    row_key,
)
from mxlims_store.store.backends.sqlite_ids import uuid_sql
from mxlims_store.store.collections import CORE_COLLECTIONS, HISTORY
from tests.acting import admin_store
from tests.factories import shipment_message

# the view's triggers as schema 9 made them: the row found by the uuid's key
V9_TRIGGERS = [
    f'CREATE TRIGGER "history__update" INSTEAD OF UPDATE ON "history" '
    f'BEGIN UPDATE "{ROWS}" SET id = NEW.id, object = {_object_sql("NEW.id")}, '
    "whole = NEW.doc, commit_n = NULL, revision = NULL, operation = NULL, changes = NULL "
    f"WHERE object = {_object_sql('OLD.id')} AND id = OLD.id; END",
    f'CREATE TRIGGER "history__delete" INSTEAD OF DELETE ON "history" '
    f'BEGIN DELETE FROM "{ROWS}" WHERE object = {_object_sql("OLD.id")} AND id = OLD.id; END',
]


def _as_v9(path: Path) -> None:
    """Rewrite the history as schema 9 kept it: every entry under its uuid's key."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        rows = connection.execute(f'SELECT n, id FROM "{ROWS}"').fetchall()
        connection.executemany(
            f'UPDATE "{ROWS}" SET object = ? WHERE n = ?',
            [(object_key(key.split("@", 1)[0]), n) for n, key in rows],
        )
        for kind in ("update", "delete"):
            connection.execute(f'DROP TRIGGER "history__{kind}"')
        for statement in V9_TRIGGERS:
            connection.execute(statement)
        # ids as text, as schema 9 kept them (sqlite_ids), in tables that declare schema 11's
        # check against it (a v9 file declares none; the upgrade declares the tables afresh)
        connection.execute("PRAGMA ignore_check_constraints = ON")
        for name in CORE_COLLECTIONS:
            connection.execute(f'UPDATE "{name}" SET id = {uuid_sql("id")}')
        connection.execute("PRAGMA user_version = 9")
        connection.execute("COMMIT")
    finally:
        connection.close()


def _keys(path: Path) -> dict[str, list[int]]:
    """uuid -> the index keys of its entries, in revision order."""
    connection = sqlite3.connect(path)
    try:
        found: dict[str, list[int]] = {}
        sql = f'SELECT id, object FROM "{ROWS}" ORDER BY revision, n'
        for key, number in connection.execute(sql):
            found.setdefault(key.split("@", 1)[0], []).append(number)
        return found
    finally:
        connection.close()


def _row_numbers(path: Path) -> dict[str, tuple[str, int]]:
    connection = sqlite3.connect(path)
    try:
        return {
            uuid: (name, n)
            for name in CORE_COLLECTIONS
            for n, uuid in connection.execute(f'SELECT n, {uuid_sql("id")} FROM "{name}"')
        }
    finally:
        connection.close()


async def _filled(path: Path) -> tuple[Store, dict[str, Any], list[str]]:
    """A shipment, one pin changed and one deleted; every uuid."""
    store = admin_store(SqliteBackend(path))
    await store.init()
    message = shipment_message(6)
    await store.import_message(message)
    await store.update(message["Pin"]["Pin1"]["uuid"], {"name": "moved"}, revision=1)
    await store.delete(message["Pin"]["Pin6"]["uuid"], cascade=True)
    uuids = [o["uuid"] for g in message.values() if isinstance(g, dict) for o in g.values()]
    return store, message, uuids


async def _everything(store: Store, uuids: list[str]) -> dict[str, Any]:
    documents = {c: await store.db.find(c, {}) for c in CORE_COLLECTIONS}
    history = {u: await store.db.find(HISTORY, {"uuid": u}) for u in uuids}
    together = await store.db.find(HISTORY, {"uuid": {"$in": uuids}})
    return {"documents": documents, "history": history, "together": len(together)}


async def test_a_new_stores_history_is_kept_by_row_and_a_deleted_ones_by_uuid(
    tmp_path: Path,
) -> None:
    store, message, _ = await _filled(tmp_path / "s.sqlite3")
    backend = store.db
    assert isinstance(backend, SqliteBackend)
    path = backend.path
    rows, keys = _row_numbers(path), _keys(path)
    gone = message["Pin"]["Pin6"]["uuid"]
    assert gone not in rows and len(keys[gone]) == 2  # its creation and its deletion
    assert keys[gone] == [object_key(gone)] * 2  # back under its uuid's key
    for uuid, (name, n) in rows.items():  # appended: every other entry under its row's key
        assert keys[uuid] and set(keys[uuid]) == {row_key(name, n)}, uuid
    pin = message["Pin"]["Pin1"]["uuid"]
    assert [e["operation"] for e in await store.db.find(HISTORY, {"uuid": pin})] == [
        "create",
        "update",
    ]
    assert [e["operation"] for e in await store.db.find(HISTORY, {"uuid": gone})] == [
        "create",
        "delete",
    ]
    # a new pin takes the deleted one's number (the highest was freed): the two histories
    # stay apart
    table, top = max((v for v in rows.values() if v[0] == "logistical_samples"), key=lambda v: v[1])
    last = next(u for u, v in rows.items() if v == (table, top))
    await store.delete(last, cascade=True)
    again = shipment_message(1)
    await store.import_message(again)
    newcomer_rows = _row_numbers(path)
    reused = [u for u, v in newcomer_rows.items() if v == (table, top)]
    assert reused and reused[0] != last
    assert [e["operation"] for e in await store.db.find(HISTORY, {"uuid": last})] == [
        "create",
        "delete",
    ]
    assert [e["operation"] for e in await store.db.find(HISTORY, {"uuid": reused[0]})] == ["create"]
    # a twin under either key is refused (the stored entry is under the row's key)
    [entry] = await store.db.find(HISTORY, {"uuid": pin, "revision": 2})
    with pytest.raises(sqlite3.IntegrityError, match="recorded already"):
        insert_entries(backend._connection(), [(entry["_id"], entry)])
    # raw SQL through the view reaches an entry kept by row
    connection = backend._connection()
    connection.execute("DELETE FROM history WHERE id = ?", (entry["_id"],))
    assert [e["operation"] for e in await store.db.find(HISTORY, {"uuid": pin})] == ["create"]
    assert (await store.check()).problems  # a revision without its history entry: named
    await backend.close()


async def test_a_v9_store_is_upgraded_at_open_and_reads_the_same(tmp_path: Path) -> None:
    store, message, uuids = await _filled(tmp_path / "s.sqlite3")
    before = await _everything(store, uuids)
    path = store.db.path  # type: ignore[attr-defined]
    await store.db.close()
    _as_v9(path)
    assert all(k < ROW_KEYED for keys in _keys(path).values() for k in keys)

    reopened = admin_store(SqliteBackend(path))
    await reopened.init()
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 11
    connection.close()
    assert await _everything(reopened, uuids) == before
    assert (await reopened.check()).problems == []
    assert all(k < ROW_KEYED for keys in _keys(path).values() for k in keys)  # none rewritten
    # an old object's next entry goes under its row's key; its history reads on in order
    pin = message["Pin"]["Pin1"]["uuid"]
    await reopened.update(pin, {"name": "again"}, revision=2)
    entries = await reopened.db.find(HISTORY, {"uuid": pin}, sort=[("revision", 1)])
    assert [(e["revision"], e["operation"]) for e in entries] == [
        (1, "create"),
        (2, "update"),
        (3, "update"),
    ]
    assert [k >= ROW_KEYED for k in _keys(path)[pin]] == [False, False, True]
    assert [e.revision for e in await reopened.history(pin)] == [1, 2, 3]
    # raw SQL through the view reaches an old entry (under its uuid's key) as well
    backend = reopened.db
    assert isinstance(backend, SqliteBackend)
    for entry in (entries[0], entries[2]):  # (the upgrade made the triggers again)
        backend._connection().execute("DELETE FROM history WHERE id = ?", (entry["_id"],))
    assert [e["revision"] for e in await reopened.db.find(HISTORY, {"uuid": pin})] == [2]
    await backend.close()


async def test_a_failed_upgrade_leaves_the_v9_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _, uuids = await _filled(tmp_path / "s.sqlite3")
    before = await _everything(store, uuids)
    path = store.db.path  # type: ignore[attr-defined]
    await store.db.close()
    _as_v9(path)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error (on purpose)")

    # the last step of the upgrade fails, after the triggers were dropped and made again
    monkeypatch.setattr(sqlite_upgrade.type_counts, "count_afresh", broken)
    failing = admin_store(SqliteBackend(path))
    with pytest.raises(Exception, match=r"on purpose|disk I/O"):
        await failing.init()
    await failing.db.close()
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == 9
    triggers = dict(connection.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'"))
    assert "instr" in triggers["history__delete"]  # schema 9's, as it was
    connection.close()
    monkeypatch.undo()
    reopened = admin_store(SqliteBackend(path))
    await reopened.init()
    assert await _everything(reopened, uuids) == before
    assert (await reopened.check()).problems == []
    await reopened.db.close()
