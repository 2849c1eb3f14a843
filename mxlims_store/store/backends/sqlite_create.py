"""A new embedded database filled at once: what the conversion of an old data directory writes
(and tests that need a store made before they start)."""

from __future__ import annotations

from pathlib import Path

from mxlims_store.errors import StoreBroken
from mxlims_store.store.backends.base import Document, Write
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_history import insert_entries
from mxlims_store.store.backends.sqlite_type_counts import count_afresh
from mxlims_store.store.collections import HISTORY


def create_database(path: Path, documents: dict[str, list[Document]]) -> None:
    """A new database file at ``path`` holding ``documents`` by collection (conversions)."""
    backend = SqliteBackend(path)
    try:
        backend._prepare()
        connection = backend._connection()
        connection.execute("BEGIN IMMEDIATE")
        writes = []
        for collection, group in documents.items():
            if collection not in backend.tables:
                raise StoreBroken(f"cannot convert: unknown collection {collection!r}")
            if collection == HISTORY:  # appended and compact, as every write keeps it
                insert_entries(connection, [(d["_id"], d) for d in group])
                continue
            writes += [Write(collection, d["_id"], d, None, {}) for d in group]
        # as a write stores them: numbered, links as numbers, side-table rows (sqlite_links)
        lost = backend._apply(connection, writes)
        if lost:
            raise StoreBroken(f"cannot convert: {len(lost)} object(s) given twice ({lost[0]})")
        count_afresh(connection, committing=False)  # written here without the write path
        connection.execute("COMMIT")
    finally:
        backend._pool.shutdown()
        backend._writer_pool.shutdown()
        for connection in backend._connections:
            connection.close()
