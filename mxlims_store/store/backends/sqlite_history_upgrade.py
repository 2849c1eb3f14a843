"""Upgrades of the history's layout: schema 8 (appended and compact, :func:`compacted`) and
schema 10 (the view's triggers made again, :func:`retriggered`). See sqlite_history."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from mxlims_store.store.backends.sqlite_history import Undecoded, history_schema, insert_entries


def retriggered(connection: sqlite3.Connection, name: str) -> None:
    """Schema 10: the view's update and delete triggers of an older store dropped, to be made
    again by :func:`history_schema` (they find the row by the view's key column: an entry may
    be under its row's key, sqlite_history_keys)."""
    for kind in ("update", "delete"):
        connection.execute(f'DROP TRIGGER IF EXISTS "{name}__{kind}"')


def _decoded(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return Undecoded(text)


def compacted(connection: sqlite3.Connection, name: str) -> int:
    """Schema 8: the history table ``name`` of an older store (schema 6 or 7: ``(id, doc)``
    with the whole entry) rebuilt as the two tables and the view, in the caller's transaction;
    the number of entries moved (0: already done or nothing to do)."""
    row = connection.execute(
        "SELECT type FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')", (name,)
    ).fetchone()
    if row is None or row[0] != "table":
        return 0
    old = f"{name}__v7"
    connection.execute(f'DROP TABLE IF EXISTS "{old}"')
    connection.execute(f'ALTER TABLE "{name}" RENAME TO "{old}"')
    for statement in history_schema(name):
        connection.execute(statement)
    moved, commits = 0, dict[tuple[Any, ...], int]()
    # in key order: the entries of one object lie together
    cursor = connection.execute(f'SELECT id, doc FROM "{old}" ORDER BY id')
    while batch := cursor.fetchmany(10_000):
        entries = [(key, _decoded(text)) for key, text in batch]
        insert_entries(connection, entries, commits, by_rows=False)  # no numbered rows yet
        moved += len(batch)
    connection.execute(f'DROP TABLE "{old}"')  # with its indexes
    return moved
