"""A store written by an older version brought to this version's layout, step by step, inside
the caller's transaction (``SqliteBackend._prepare``): a failed step leaves the file as it was."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from mxlims_store.store.backends import sqlite_type_counts as type_counts
from mxlims_store.store.backends.sqlite_errors import rollback
from mxlims_store.store.backends.sqlite_history_upgrade import compacted, retriggered
from mxlims_store.store.backends.sqlite_ids import KEY_FUNCTION
from mxlims_store.store.backends.sqlite_links import LINKS, migrate, table_sql
from mxlims_store.store.backends.sqlite_query import Table
from mxlims_store.store.backends.sqlite_state import STATE_SCHEMA
from mxlims_store.store.backends.sqlite_tables import add_slots, schema
from mxlims_store.store.backends.sqlite_version import SCHEMA_VERSION
from mxlims_store.store.collections import HISTORY


def upgrade(connection: sqlite3.Connection, version: int, tables: Iterable[Table]) -> None:
    """From schema ``version`` (0: a new file) to :data:`SCHEMA_VERSION`, every index in place."""
    if 0 < version < 4:
        add_slots(connection)  # before the unique index that reads them
    if 0 < version < 8:
        compacted(connection, HISTORY)  # history appended and compact
    if 0 < version < 9:
        migrate(connection)  # links kept as numbers (sqlite_links)
    if 0 < version < 10:  # history kept by row (sqlite_history_keys): no entry rewritten
        retriggered(connection, HISTORY)
    if 0 < version < 11:
        keyed_ids(connection)  # a core table's ids as 16-byte keys (sqlite_ids)
    for table in tables:
        for statement in schema(table):
            connection.execute(statement)
    for statement in STATE_SCHEMA:
        connection.execute(statement)
    type_counts.count_afresh(connection, committing=False)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def keyed_ids(connection: sqlite3.Connection) -> None:
    """Schema 11: each core table rebuilt with its ``id`` declared BLOB and every canonical
    uuid in it turned into its 16 bytes (another text kept as it is: sqlite_ids), rows copied
    in the order of their numbers (which they keep); the other indexes of the table are made
    again by the schema's statements that follow. (Rebuilt rather than updated in place, so
    that an upgraded store declares what a new one does.)"""
    for name in LINKS:
        columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')]
        if not columns:  # absent: made afresh by the schema
            continue
        new = f"{name}__v11"
        connection.execute(f'DROP TABLE IF EXISTS "{new}"')
        connection.execute(table_sql(name, new))
        named = ", ".join(f'"{c}"' for c in columns)
        picked = ", ".join(f"{KEY_FUNCTION}(id)" if c == "id" else f'"{c}"' for c in columns)
        connection.execute(
            f'INSERT INTO "{new}" ({named}) SELECT {picked} FROM "{name}" ORDER BY n'
        )
        connection.execute(f'DROP TABLE "{name}"')
        connection.execute(f'ALTER TABLE "{new}" RENAME TO "{name}"')


def upgraded_copy(source: Path, staged: Path) -> None:
    """The backup ``source``, from an older version, copied to ``staged`` (a private file the
    caller removes) and brought to this version's schema there, in one transaction, before it
    replaces a database (sqlite_files.restore_from). Restored as it was, it met the running
    processes of this version, which never upgrade a file they hold open: since schema 11 they
    read a core table's ids as keys (sqlite_ids), so they found none of its objects and stored
    twins of them, which made the next open's upgrade fail on the unique index of ids."""
    from mxlims_store.store.backends.sqlite_ids import register
    from mxlims_store.store.backends.sqlite_tables import table_for
    from mxlims_store.store.collections import INDEXES

    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    connection = sqlite3.connect(staged, isolation_level=None)
    try:
        reader.backup(connection)
        connection.execute("PRAGMA journal_mode = DELETE")  # one file, read as it is by restore
        register(connection)  # (the fills compare a document's uuid with the ids)
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        connection.execute("BEGIN IMMEDIATE")
        try:
            upgrade(connection, version, [table_for(n, i) for n, i in INDEXES.items()])
            connection.execute("COMMIT")
        except BaseException:
            rollback(connection)
            raise
    finally:
        reader.close()
        connection.close()
