"""A new embedded database filled at once: what the conversion of an old data directory writes
(and tests that need a store made before they start)."""

from __future__ import annotations

from pathlib import Path

from mxlims_store.errors import StoreBroken
from mxlims_store.store.backends.base import Document, Write
from mxlims_store.store.backends.sqlite import SqliteBackend, _encode
from mxlims_store.store.backends.sqlite_history import insert_entries
from mxlims_store.store.backends.sqlite_links import fill_all
from mxlims_store.store.backends.sqlite_tables import reindex
from mxlims_store.store.backends.sqlite_type_counts import count_afresh
from mxlims_store.store.collections import HISTORY


def create_database(path: Path, documents: dict[str, list[Document]]) -> None:
    """A new database file at ``path`` holding ``documents`` by collection (conversions)."""
    backend = SqliteBackend(path)
    try:
        backend._prepare()
        connection = backend._connection()
        connection.execute("BEGIN IMMEDIATE")
        for collection, group in documents.items():
            if collection not in backend.tables:
                raise StoreBroken(f"cannot convert: unknown collection {collection!r}")
            table = backend.tables[collection]
            if collection == HISTORY:  # appended and compact, as every write keeps it
                insert_entries(connection, [(d["_id"], d) for d in group])
                continue
            connection.executemany(  # numbered as they come; links filled below
                f'INSERT INTO "{table.name}" (id, doc) VALUES (?, ?)',
                [(d["_id"], _encode(d)) for d in group],
            )
            if table.arrays:
                placed = [Write(collection, d["_id"], d, None, {}) for d in group]
                reindex(connection, table, placed, [])
        fill_all(connection)  # links to objects of a later group (sqlite_links)
        count_afresh(connection, committing=False)  # written here without the write path
        connection.execute("COMMIT")
    finally:
        backend._pool.shutdown()
        backend._writer_pool.shutdown()
        for connection in backend._connections:
            connection.close()
