"""The tables of the embedded engine: their schema, and the rows a write touches beside the
documents (the side table of multikey indexes), in the caller's transaction."""

from __future__ import annotations

import json
import sqlite3

from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite_query import Table, extract, index_rows

REVISION = extract("doc", ("_meta", "revision"))


def schema(table: Table) -> list[str]:
    name = table.name
    statements = [
        f'CREATE TABLE IF NOT EXISTS "{name}" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)'
    ]
    for index in table.indexes:
        if index.array is None:
            columns = ", ".join(extract("doc", f.split(".")) for f in index.fields)
            statements.append(
                f'CREATE INDEX IF NOT EXISTS "{name}__{index.name}" ON "{name}" ({columns})'
            )
    if table.arrays:
        keys = table.keys_table
        statements += [
            f'CREATE TABLE IF NOT EXISTS "{keys}" '
            "(doc_id TEXT NOT NULL, idx TEXT NOT NULL, k1 ANY, k2 ANY)",
            f'CREATE INDEX IF NOT EXISTS "{keys}__lookup" ON "{keys}" (idx, k1, k2)',
            f'CREATE INDEX IF NOT EXISTS "{keys}__doc" ON "{keys}" (doc_id)',
        ]
    return statements


def ids_present(connection: sqlite3.Connection, table: str, ids: list[str]) -> list[str]:
    if not ids:
        return []
    sql = f'SELECT id FROM "{table}" WHERE id IN (SELECT value FROM json_each(?))'
    return [row[0] for row in connection.execute(sql, (json.dumps(ids),))]


def moved_on(connection: sqlite3.Connection, table: str, writes: list[Write]) -> list[str]:
    """The writes whose object is gone or at another revision than expected."""
    sql = f'SELECT id, {REVISION} FROM "{table}" WHERE id IN (SELECT value FROM json_each(?))'
    current = dict(connection.execute(sql, (json.dumps([w.uuid for w in writes]),)).fetchall())
    return [w.uuid for w in writes if current.get(w.uuid) != w.expected_revision] or [
        w.uuid for w in writes
    ]


def reindex(
    connection: sqlite3.Connection, table: Table, created: list[Write], changed: list[Write]
) -> None:
    keys = table.keys_table
    if changed:
        connection.execute(
            f'DELETE FROM "{keys}" WHERE doc_id IN (SELECT value FROM json_each(?))',
            (json.dumps([w.uuid for w in changed]),),
        )
    rows = [
        (write.uuid, *row)
        for write in created + changed
        if write.document is not None
        for index in table.arrays.values()
        for row in index_rows(index, write.document)
    ]
    if rows:
        connection.executemany(
            f'INSERT INTO "{keys}" (doc_id, idx, k1, k2) VALUES (?, ?, ?, ?)', rows
        )
