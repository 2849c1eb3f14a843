"""Schema 7 of the embedded store: history kept in the order of its ids, a v6 store migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import SCHEMA_VERSION, SqliteBackend
from tests.acting import admin_store
from tests.factories import shipment_message

V6_HISTORY = [
    'CREATE TABLE "history" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)',
    'CREATE INDEX "history__uuid_revision" ON "history" '
    "(json_extract(doc, '$.\"uuid\"'), json_extract(doc, '$.\"revision\"'))",
]


def _history_layout(path: Path) -> tuple[str, list[str], int]:
    connection = sqlite3.connect(path)
    try:
        sql = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'history'").fetchone()
        indexes = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'history'"
            )
        ]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        return sql[0], indexes, version
    finally:
        connection.close()


def _as_v6(path: Path) -> int:
    """Rewrite the history table as schema 6 held it (a rowid table, an id index, an index of
    uuid and revision); the number of entries."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.execute('ALTER TABLE "history" RENAME TO "history_v7"')
        for statement in V6_HISTORY:
            connection.execute(statement)
        connection.execute('INSERT INTO "history" SELECT id, doc FROM "history_v7"')
        connection.execute('DROP TABLE "history_v7"')
        connection.execute("PRAGMA user_version = 6")
        connection.execute("COMMIT")
        return int(connection.execute('SELECT count(*) FROM "history"').fetchone()[0])
    finally:
        connection.close()


async def test_a_new_store_keeps_history_in_key_order_without_an_index(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "new.sqlite3")
    await Store(backend).init()
    await backend.close()
    sql, indexes, version = _history_layout(backend.path)
    assert "WITHOUT ROWID" in sql
    assert indexes == []  # the primary key is the table itself
    assert version == SCHEMA_VERSION == 7


async def test_a_v6_store_is_migrated_at_open_and_keeps_every_entry(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    backend = SqliteBackend(path)
    store = admin_store(backend)
    await store.init()
    message = shipment_message(3)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    await store.update(pin, {"name": "moved by hand"}, revision=1)
    before = [entry.model_dump() for entry in await store.history(pin)]
    await backend.close()
    entries = _as_v6(path)
    assert "WITHOUT ROWID" not in _history_layout(path)[0]

    reopened = admin_store(SqliteBackend(path))
    await reopened.init()
    sql, indexes, version = _history_layout(path)
    assert "WITHOUT ROWID" in sql and indexes == [] and version == 7
    after = [entry.model_dump() for entry in await reopened.history(pin)]
    assert after == before and [e["revision"] for e in after] == [1, 2]
    assert (await reopened.check()).problems == []
    assert sum([len(await reopened.history(u)) for u in _uuids(message)]) == entries
    # a re-import of the same message finds its own entries (the id range lookup)
    report = await reopened.import_message(message)
    assert not report.created
    await reopened.db.close()


def _uuids(message: dict[str, object]) -> list[str]:
    return [
        obj["uuid"]
        for name, group in message.items()
        if isinstance(group, dict)
        for obj in group.values()
        if isinstance(obj, dict) and "uuid" in obj
    ]
