"""Opening the embedded database and the SQL of its reads, without asyncio or the model.

:class:`~mxlims_store.store.backends.sqlite.SqliteBackend` opens every connection, checks the
schema version and builds its SELECTs with these functions; `mxlims-store stats`' quick path
(mxlims_store/console.py) calls the very same ones on one connection, so that counting the
stored objects does not start the event loop or load pydantic (issue 21: process start). Nor
does it load the query compiler (dataclasses and all): the local admin counts everything.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mxlims_store.store.backends import sqlite_ids as ids
from mxlims_store.store.backends.sqlite_commits import refuse_missing_commits
from mxlims_store.store.backends.sqlite_type_counts import kept
from mxlims_store.store.backends.sqlite_version import SCHEMA_VERSION
from mxlims_store.store.collection_names import CORE_COLLECTIONS
from mxlims_store.store.type_counts import TYPE_FIELD

if TYPE_CHECKING:
    from mxlims_store.store.backends.sqlite_query import Table


def database_file(data_dir: Path, database: str) -> Path:
    return data_dir / f"{database}.sqlite3"


def setup(connection: sqlite3.Connection) -> None:
    """The settings every connection of the store works with."""
    connection.execute("PRAGMA synchronous = FULL")  # a commit survives power loss too
    # Checkpoints run after a commit in a worker of their own (see SqliteBackend._commit), not
    # inside the commit that happens to cross the threshold: at 200,000 objects an automatic
    # checkpoint made an import's commit several times slower.
    connection.execute("PRAGMA wal_autocheckpoint = 0")
    # 16 MiB of page cache per connection (SQLite's default is 2 MiB): the indexes of a
    # store of 200,000 objects stay warm across an import. (Memory-mapping the file on every
    # connection was tried: it made the process's memory grow with the store; only the loop's
    # reader maps it, connect_loop_reader.)
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    ids.register(connection)  # `check` and fills turn a document's uuid into a key in SQL


CACHE_KIB = 16384  # every connection's page cache
# A write of this many objects or more has the writer's cache grown to BIG_WRITE_CACHE_KIB while
# its transaction is open, back to CACHE_KIB after (sqlite_group): at 200,000 objects one
# import dirties ~4,900 pages (19 MiB), more than 16 MiB: SQLite spilled 1,300 of them into the
# log mid-transaction (2,100 for its results return), and evicted the clean pages of the
# indexes it probes, read back from the file (33,000 reads for the two; 19,000 with room).
# The memory past CACHE_KIB is the write's own: given back when its transaction ends.
BIG_WRITE = 500
BIG_WRITE_CACHE_KIB = 65536


def room_for(connection: sqlite3.Connection, objects: int) -> None:
    """The writer's cache grown for a write of ``objects`` objects (when it is a big one)."""
    if objects >= BIG_WRITE:
        connection.execute(f"PRAGMA cache_size = -{BIG_WRITE_CACHE_KIB}")


def room_back(connection: sqlite3.Connection) -> None:
    """Once the write is over: the cache back to its size (SQLite frees the pages beyond it)."""
    if not connection.in_transaction:
        connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")


# Statements each connection keeps prepared (Python's default is 128): a plan's finds by uuid
# are one text per table, count of uuids (up to sqlite_ids.LISTED_KEYS) and size of a member's
# scope, so a facility's mix of walks and members outgrows the default, and a statement
# prepared again costs more than the lookup it makes.
STATEMENTS_CACHED = 512


def connect(path: Path, lock_timeout: float) -> tuple[sqlite3.Connection, bool]:
    """A connection to ``path`` set up as the store uses it, and whether it is an ordinary one
    to keep (False: a full disk left only the read-only fallback of ``reader_without_room``,
    which is not kept: the next use tries the ordinary way again)."""
    connection = sqlite3.connect(
        path,
        timeout=lock_timeout,
        isolation_level=None,
        check_same_thread=False,
        cached_statements=STATEMENTS_CACHED,
    )
    fallback = reader_without_room(connection, path)
    if fallback is not None:
        ids.register(fallback)  # (`check` on a full disk compares ids too)
        return fallback, False
    setup(connection)
    return connection, True


# The loop's reader (sqlite_walk: the connection small reads use on the event loop's thread,
# one per loop thread) maps the file, up to this many bytes: a page then comes from the
# operating system's page cache as it is, without a read() call and a copy into the
# connection's own cache. At 6,500 objects that cache holds the whole store; at 200,000
# (190 MB) a random lookup misses it (5 read() calls per provenance up), more so while the
# connection is new, and a provenance up took 0.22-0.31 ms against 0.18-0.23 ms at 26,000;
# mapped, 0.20-0.27 ms (docs/performance.md, round 7). Mapped pages count in the process's
# resident memory (the page cache's pages, shared, given back under pressure): only this
# connection maps, not the pool's, whose big reads (a results file: 2,500 read() calls of
# 0.12 s) gain nothing measurable from it and would each count the file again.
LOOP_READER_MMAP_BYTES = 1 << 30


def connect_loop_reader(path: Path, lock_timeout: float) -> tuple[sqlite3.Connection, bool]:
    """:func:`connect`, the file mapped for the small reads of the event loop's thread."""
    connection, keep = connect(path, lock_timeout)
    if keep:
        connection.execute(f"PRAGMA mmap_size = {LOOP_READER_MMAP_BYTES}")
    return connection, keep


def reader_without_room(
    connection: sqlite3.Connection, database: Path
) -> sqlite3.Connection | None:
    """A connection that reads on a full disk, or None when ``connection`` works as it is.

    Opening a store that nothing has open makes SQLite create its ``-wal`` and ``-shm`` files,
    which a full disk refuses, and then even reads fail. When there is no ``-wal`` file (or an
    empty one), all the data are in the database file itself: it is then read as an unchanging
    file (no new files; a write on it is refused as read-only: "cannot write"). The
    fallback is never kept: the next use tries the ordinary way again, which works once the
    disk has room."""
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return None
    except sqlite3.OperationalError as error:
        code = getattr(error, "sqlite_errorname", "")
        wal = database.with_name(database.name + "-wal")
        unsaved = wal.exists() and wal.stat().st_size > 0  # writes not yet in the database
        if not code.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_FULL")) or unsaved:
            raise
    connection.close()
    return sqlite3.connect(
        f"{database.resolve().as_uri()}?mode=ro&immutable=1",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
    )


def write_ahead(connection: sqlite3.Connection) -> None:
    """The file in WAL mode, as the store creates it, when it is in another journal mode: a
    backup (`write_backup` leaves one self-contained file, in rollback-journal mode) copied
    into place by hand, the bench's copies of a store. Left so, every commit wrote its pages
    into the database in place and synced journal and database (at 200,000 objects ~40 ms of
    waits more per import than in WAL), and readers waited for the writer. Where the mode
    cannot change (a read-only or full disk's file, another process reading it this moment),
    the file is used as it is."""
    if connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    with contextlib.suppress(sqlite3.Error):
        connection.execute("PRAGMA journal_mode = WAL")


def schema_is_current(connection: sqlite3.Connection, path: Path) -> bool:
    """True when the file is at this version's schema (nothing to write), False when it is
    older (the caller builds the schema); StoreBroken for lost commits or a newer schema."""
    refuse_missing_commits(connection, path)  # a deleted or cut -wal (sqlite_commits)
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return True
    if version > SCHEMA_VERSION:
        from mxlims_store.errors import StoreBroken  # here: this module stays cheap to import

        raise StoreBroken(f"{path} was written by a newer mxlims-store (schema {version}); upgrade")
    return False


def json_path(path: Iterable[str]) -> str:
    """``$."a"."b"`` (names are validated by the filter parser: no quotes, no brackets)."""
    return "$" + "".join(f'."{name}"' for name in path)


def extract(doc: str, path: Iterable[str]) -> str:
    """The SQL expression the expression indexes are declared on (identical text matters)."""
    return f"json_extract({doc}, '{json_path(path)}')"


def where_sql(table: Table | str, filter: dict[str, Any]) -> tuple[str, list[Any]]:
    """The WHERE clause of ``filter`` on ``table`` and its bound values. Every document (an
    empty filter, as the local admin reads) needs no compiling: the compiler's own answer to
    ``{}`` is ``1`` too (tests/cli/test_quick_stats.py), and it is not even loaded then."""
    if not filter:
        return "1", []
    from mxlims_store.store.backends.sqlite_query import Compiler
    from mxlims_store.store.filters import parse

    if isinstance(table, str):
        raise TypeError(f"a filter on {table} needs the table's indexes")
    compiler = Compiler(table)
    return compiler.where(parse(filter)), compiler.params


def select_sql(
    table: Table | str, what: str, filter: dict[str, Any], tail: str = ""
) -> tuple[str, list[Any]]:
    """``SELECT what FROM table WHERE <filter> tail`` and its bound values (``table`` may be
    named alone where ``filter`` is empty)."""
    name = table if isinstance(table, str) else table.name
    where, params = where_sql(table, filter)
    return f'SELECT {what} FROM "{name}" WHERE {where}{tail}', params


def count_by_sql(
    table: Table | str, filter: dict[str, Any], path: Sequence[str]
) -> tuple[str, list[Any]]:
    """How many documents matching ``filter`` hold each value at ``path`` (a parsed path)."""
    return select_sql(table, f"{extract('doc', path)}, count(*)", filter, " GROUP BY 1")


def count_by(
    connection: sqlite3.Connection, table: Table | str, filter: dict[str, Any], path: Sequence[str]
) -> dict[Any, int]:
    """How many documents matching ``filter`` hold each value at ``path``: every document by
    its type (`stats` for whoever reads everything) is kept counted (sqlite_type_counts)."""
    name = table if isinstance(table, str) else table.name
    if not filter and list(path) == [TYPE_FIELD] and name in CORE_COLLECTIONS:
        counts = kept(connection, name)
        if counts is not None:
            return dict(counts)
    sql, params = count_by_sql(table, filter, path)
    return {row[0]: int(row[1]) for row in connection.execute(sql, params).fetchall()}


def holds(connection: sqlite3.Connection, table: str, key: str) -> bool:
    """Whether ``table`` holds the document ``key`` (its ``_id`` is the ``id`` column)."""
    stored = ids.key(key) if table in ids.CORE_TABLES else key  # (schema 11: sqlite_ids)
    row = connection.execute(f'SELECT 1 FROM "{table}" WHERE id = ?', (stored,)).fetchone()
    return row is not None
