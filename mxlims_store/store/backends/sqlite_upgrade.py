"""A store written by an older version brought to this version's layout, step by step, inside
the caller's transaction (``SqliteBackend._prepare``): a failed step leaves the file as it was."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from mxlims_store.store.backends import sqlite_type_counts as type_counts
from mxlims_store.store.backends.sqlite_history import compacted, retriggered
from mxlims_store.store.backends.sqlite_links import migrate
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
    for table in tables:
        for statement in schema(table):
            connection.execute(statement)
    for statement in STATE_SCHEMA:
        connection.execute(statement)
    type_counts.count_afresh(connection, committing=False)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
