"""Schema 8 of the embedded store: history appended and compact (sqlite_history), read through
a view that gives back every entry as it was written; v7 and v6 stores migrated at open."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import SCHEMA_VERSION, SqliteBackend
from mxlims_store.store.backends.sqlite_history import COMMITS, ROWS, _object_sql, object_key
from mxlims_store.store.collections import HISTORY
from tests.acting import admin_store
from tests.factories import shipment_message

OLD_HISTORY = {
    7: ['CREATE TABLE "history" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID'],
    6: [
        'CREATE TABLE "history" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)',
        'CREATE INDEX "history__uuid_revision" ON "history" '
        "(json_extract(doc, '$.\"uuid\"'), json_extract(doc, '$.\"revision\"'))",
    ],
}


def _layout(path: Path) -> dict[str, Any]:
    connection = sqlite3.connect(path)
    try:
        kinds = dict(
            connection.execute("SELECT name, type FROM sqlite_master WHERE name LIKE 'history%'")
        )
        counts = {
            name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in (ROWS, COMMITS)
            if name in kinds
        }
        whole = None
        if ROWS in kinds:
            sql = f'SELECT count(*) FROM "{ROWS}" WHERE whole IS NOT NULL'
            whole = connection.execute(sql).fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        return {"kinds": kinds, "counts": counts, "whole": whole, "version": version}
    finally:
        connection.close()


def _as_old(path: Path, version: int, extra: list[tuple[str, str]]) -> int:
    """Rewrite the history as schema ``version`` held it (whole entries in one table), with
    ``extra`` raw rows beside; the number of entries."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        rows = connection.execute('SELECT id, doc FROM "history"').fetchall() + list(extra)
        connection.execute('DROP VIEW "history"')  # with its triggers
        connection.execute(f'DROP TABLE "{ROWS}"')
        connection.execute(f'DROP TABLE "{COMMITS}"')
        for statement in OLD_HISTORY[version]:
            connection.execute(statement)
        connection.executemany('INSERT INTO "history" (id, doc) VALUES (?, ?)', rows)
        connection.execute(f"PRAGMA user_version = {version}")
        connection.execute("COMMIT")
        return len(rows)
    finally:
        connection.close()


async def _filled(path: Path) -> tuple[Store, dict[str, Any], str]:
    store = admin_store(SqliteBackend(path))
    await store.init()
    message = shipment_message(3)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    await store.update(pin, {"name": "moved by hand"}, revision=1)
    return store, message, pin


async def test_a_new_store_appends_history_and_keeps_the_common_part_once(tmp_path: Path) -> None:
    store, message, pin = await _filled(tmp_path / "new.sqlite3")
    entries = await store.db.find(HISTORY, {"uuid": pin}, sort=[("revision", 1)])
    await store.db.close()
    layout = _layout(store.db.path)  # type: ignore[attr-defined]
    assert layout["version"] == SCHEMA_VERSION
    assert layout["kinds"] == {
        "history": "view",
        ROWS: "table",
        COMMITS: "table",
        f"{ROWS}__object": "index",
        "history__insert": "trigger",
        "history__update": "trigger",
        "history__delete": "trigger",
    }
    # one common part for the whole import, one for the update by hand
    assert layout["counts"] == {ROWS: len(_uuids(message)) + 1, COMMITS: 2}
    assert layout["whole"] == 0
    assert [e["operation"] for e in entries] == ["create", "update"]
    assert list(entries[1]) == [  # the entry as history.entry wrote it, key for key
        "uuid", "revision", "operation", "actor", "time", "importId", "changes", "_meta", "_id"
    ]  # fmt: skip


async def test_the_same_change_recorded_twice_is_refused(tmp_path: Path) -> None:
    store, _, pin = await _filled(tmp_path / "s.sqlite3")
    [entry] = await store.db.find(HISTORY, {"uuid": pin, "revision": 1})
    backend = store.db
    assert isinstance(backend, SqliteBackend)
    connection = backend._connection()
    from mxlims_store.store.backends.sqlite_history import insert_entries

    with pytest.raises(sqlite3.IntegrityError, match="recorded already"):  # a twin loses
        insert_entries(connection, [(entry["_id"], entry)])
    again = {**entry, "_id": entry["_id"] + "-again"}
    with pytest.raises(sqlite3.IntegrityError, match="twice in one write"):
        insert_entries(connection, [(again["_id"], again), (again["_id"], again)])
    # kept whole (another shape), the same key is refused too
    with pytest.raises(sqlite3.IntegrityError, match="recorded already"):
        insert_entries(connection, [(entry["_id"], {"uuid": pin, "note": "by hand"})])
    await backend.close()


def test_the_object_key_is_the_same_in_python_and_in_sql() -> None:
    """The view's triggers compute it in SQL (raw inserts and deletes), the store in Python."""
    connection = sqlite3.connect(":memory:")
    keys = [
        "18233be7-7837-545f-b6f8-30ff0bfbd178@1@e1f9",
        "11111111-1111-4111-8111-111111111111@2@x",
        "ABCDEF12-3456-4789-8abc-DEF012345678@1@y",
        "pin@9@old", "", "a", "x" * 40, "ÄÖü-ß@3@k", "İi", "no-at-all",
        "+1234567890abcdef@1@k", "1_23456789abcdef0", " 123456789abcdef", "12345678",
    ]  # fmt: skip
    for key in keys:
        [(in_sql,)] = connection.execute(f"SELECT {_object_sql(':k')}", {"k": key}).fetchall()
        assert in_sql == object_key(key.split("@", 1)[0]), key
    # uuids that differ in their head or in their tail get different keys
    assert object_key("11111111-1111-4111-8111-111111111111") != object_key(
        "11111111-1111-4111-8111-111111111112"
    )
    connection.close()


@pytest.mark.parametrize("version", [7, 6])
async def test_an_older_store_is_migrated_at_open_and_reads_the_same(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.sqlite3"
    store, message, pin = await _filled(path)
    before = [entry.model_dump() for entry in await store.history(pin)]
    raw_before = await store.db.find(HISTORY, {}, sort=[("_id", 1)])
    await store.db.close()
    # entries written by older versions or by hand, kept whole: another shape, a key in the
    # JSON, a text that is not JSON at all (which schema 6's expression index refused)
    odd = [
        (f"{pin}@9@old", json.dumps({"_id": f"{pin}@9@old", "uuid": pin, "revision": 9})),
        (f"{pin}@8@x", json.dumps({"time": {"$date": "2025-01-02"}, "uuid": pin, "revision": 8})),
        *([(f"{pin}@7@bad", "{not json")] if version == 7 else []),
    ]
    entries = _as_old(path, version, odd)
    assert _layout(path)["kinds"]["history"] == "table"

    reopened = admin_store(SqliteBackend(path))
    await reopened.init()
    layout = _layout(path)
    assert layout["version"] == SCHEMA_VERSION and layout["kinds"]["history"] == "view"
    assert layout["counts"][ROWS] == entries and layout["whole"] == len(odd)
    assert layout["counts"][COMMITS] == 2
    if version == 7:
        problems = (await reopened.check()).problems
        assert any(f"history {pin}@7@bad" in p and "damaged" in p for p in problems), problems
        _raw_delete(path, f"{pin}@7@bad")  # through the view's trigger
    after = await reopened.db.find(HISTORY, {"uuid": pin}, sort=[("revision", 1)])
    assert [e["_id"] for e in after][-2:] == [f"{pin}@8@x", f"{pin}@9@old"]
    assert after[-1] == {"_id": f"{pin}@9@old", "uuid": pin, "revision": 9}
    _raw_delete(path, f"{pin}@8@x", f"{pin}@9@old")
    assert [e.model_dump() for e in await reopened.history(pin)] == before
    assert await reopened.db.find(HISTORY, {}, sort=[("_id", 1)]) == raw_before
    assert (await reopened.check()).problems == []
    # a re-import of the same message finds its own entries (the id range lookup)
    report = await reopened.import_message(message)
    assert not report.created
    await reopened.db.close()


def _raw_delete(path: Path, *ids: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.executemany('DELETE FROM "history" WHERE id = ?', [(i,) for i in ids])
    connection.close()


def _uuids(message: dict[str, object]) -> list[str]:
    return [
        obj["uuid"]
        for name, group in message.items()
        if isinstance(group, dict)
        for obj in group.values()
        if isinstance(obj, dict) and "uuid" in obj
    ]
