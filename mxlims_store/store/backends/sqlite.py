"""The embedded engine: SQLite from the standard library, one database file, WAL.

Each collection is a table ``(id TEXT PRIMARY KEY, doc TEXT)`` holding the document as JSON;
every index of :mod:`mxlims_store.store.collections` is a real SQLite index (an expression index
on ``json_extract``, or a side table ``<collection>_keys`` for list fields, kept in the same
transaction). WAL lets any number of processes read while one writes: the CLI works beside a
running ``serve``, readers never wait, a writer waits for the lock at most ``lock_timeout``.

All database work runs in worker threads, each with its own connection, never on the event loop.
Each ``commit`` is one ``BEGIN IMMEDIATE`` transaction: an import, a PATCH or a DELETE is stored
with its history entries, or not at all, whatever happens to the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import orjson

from mxlims_store.errors import (
    InvalidMessage,
    Problem,
    StoreBroken,
    Unavailable,
    WriteConflict,
)
from mxlims_store.store.backends.base import Document, Sort, Write
from mxlims_store.store.backends.sqlite_query import Compiler, Table, extract
from mxlims_store.store.backends.sqlite_state import STATE_SCHEMA, bump_generation
from mxlims_store.store.backends.sqlite_tables import (
    REVISION,
    ids_present,
    moved_on,
    reindex,
    schema,
)
from mxlims_store.store.collections import HISTORY, INDEXES
from mxlims_store.store.filters import parse, parse_path

T = TypeVar("T")
SCHEMA_VERSION = 4  # 2: api_keys, 3: events, 4: server state and generation


def _encode(document: Any) -> str:
    """JSON text of a document. orjson: every document is encoded on write and decoded on read,
    which made up most of an import's and an export's time with the standard library. (It would
    write NaN as null; such values never get this far: they are refused at the door.)"""
    return orjson.dumps(document).decode()


def database_file(data_dir: Path, database: str) -> Path:
    return data_dir / f"{database}.sqlite3"


class SqliteBackend:
    name = "sqlite"
    transactional = True

    def __init__(self, path: Path, *, lock_timeout: float = 10.0, workers: int = 4) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self.round_trips = 0
        self.tables = {name: Table(name, indexes) for name, indexes in INDEXES.items()}
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="mxlims-sqlite")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._closed = False

    # -- plumbing --------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, timeout=self.lock_timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA synchronous = FULL")  # a commit survives power loss too
            # Checkpoints run after a commit in a worker of their own (see _commit), not inside
            # the commit that happens to cross the threshold: at 200,000 objects an automatic
            # checkpoint made an import's commit several times slower.
            connection.execute("PRAGMA wal_autocheckpoint = 0")
            # 16 MiB of page cache per connection (SQLite's default is 2 MiB): the indexes of a
            # store of 200,000 objects stay warm across an import. (Memory-mapping the file was
            # tried: it made the process's memory grow with the store.)
            connection.execute("PRAGMA cache_size = -16384")
            self._local.connection = connection
            with self._guard:
                self._connections.append(connection)
        return connection

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise Unavailable(f"the store {self.path} is closed")
        self.round_trips += 1
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(work, *args))
        except sqlite3.Error as error:
            raise self._explain(error) from error

    def _explain(self, error: sqlite3.Error) -> Exception:
        """SQLite's failures as the store's: busy / no space / read-only are temporary (503),
        a damaged file is broken; anything else is a bug and stays what it is."""
        code = getattr(error, "sqlite_errorname", "")
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return Unavailable(
                f"the store {self.path} is locked by another writer for more than "
                f"{self.lock_timeout:g} s (MXLIMS_LOCK_TIMEOUT); try again"
            )
        if code.startswith(("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN")):
            return Unavailable(
                f"cannot write the store {self.path} ({error}); reads still work, "
                "writes work again once the disk has room or is writable"
            )
        if code == "SQLITE_ERROR" and ("too large" in str(error) or "too many" in str(error)):
            return InvalidMessage([Problem("where", f"the question is too large to run: {error}")])
        if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return StoreBroken(
                f"{self.path} is not a readable mxlims-store database ({error}); "
                "run `mxlims-store check`, or restore a backup"
            )
        return error

    # -- life ------------------------------------------------------------------------------

    async def ping(self) -> None:
        await self._run(lambda: self._connection().execute("SELECT 1").fetchone())

    async def prepare(self) -> None:
        await self._run(self._prepare)

    def _prepare(self) -> None:
        connection = self._connection()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return  # nothing written: a read-only command leaves the file alone
        if version > SCHEMA_VERSION:
            raise StoreBroken(
                f"{self.path} was written by a newer mxlims-store (schema {version}); upgrade"
            )
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            for table in self.tables.values():
                for statement in schema(table):
                    connection.execute(statement)
            for statement in STATE_SCHEMA:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)
        with self._guard:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    # -- reads -----------------------------------------------------------------------------

    def _select(
        self, what: str, collection: str, filter: Document, tail: str = ""
    ) -> tuple[str, list[Any]]:
        table = self.tables[collection]
        compiler = Compiler(table)
        where = compiler.where(parse(filter))
        return f'SELECT {what} FROM "{table.name}" WHERE {where}{tail}', compiler.params

    async def find(
        self, collection: str, filter: Document, *, sort: Sort = (), limit: int | None = None
    ) -> list[Document]:
        order = ", ".join(
            ("id" if name == "_id" else extract("doc", parse_path(name)))
            + (" DESC" if direction < 0 else "")
            for name, direction in sort
        )
        tail = (f" ORDER BY {order}" if order else "") + (f" LIMIT {int(limit)}" if limit else "")
        sql, params = self._select("doc", collection, filter, tail)

        def read() -> list[Document]:
            rows = self._connection().execute(sql, params).fetchall()
            return [orjson.loads(row[0]) for row in rows]

        return await self._run(read)

    async def count(self, collection: str, filter: Document) -> int:
        sql, params = self._select("count(*)", collection, filter)
        return int(await self._run(lambda: self._connection().execute(sql, params).fetchone()[0]))

    async def count_by(self, collection: str, filter: Document, field: str) -> dict[Any, int]:
        key = extract("doc", parse_path(field))
        sql, params = self._select(f"{key}, count(*)", collection, filter, " GROUP BY 1")
        rows = await self._run(lambda: self._connection().execute(sql, params).fetchall())
        return {row[0]: int(row[1]) for row in rows}

    # -- writes ----------------------------------------------------------------------------

    async def commit(self, writes: Sequence[Write]) -> None:
        if writes:
            await self._run(self._commit, list(writes))

    def _commit(self, writes: list[Write]) -> None:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            lost = self._apply(connection, writes)
            if lost:
                raise WriteConflict(lost)
            bump_generation(connection, writes)  # cached downloads built before are stale now
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise
        if not self._closed:
            self._pool.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database, never waiting for readers or writers
        (PASSIVE); SQLite starts the log afresh once all of it has been copied."""
        with contextlib.suppress(sqlite3.Error):  # busy or failing: the next commit tries again
            self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _apply(self, connection: sqlite3.Connection, writes: list[Write]) -> list[str]:
        by_collection: dict[str, list[Write]] = {}
        for write in writes:
            by_collection.setdefault(write.collection, []).append(write)
        lost: list[str] = []
        for collection, group in by_collection.items():
            lost += self._apply_to(connection, self.tables[collection], group)
        if lost:
            return lost
        history = [(w.history["_id"], _encode(w.history)) for w in writes if w.history]
        try:
            connection.executemany(f'INSERT INTO "{HISTORY}" (id, doc) VALUES (?, ?)', history)
        except sqlite3.IntegrityError:  # the same change recorded by a concurrent twin
            return [w.uuid for w in writes]
        return []

    def _apply_to(
        self, connection: sqlite3.Connection, table: Table, group: list[Write]
    ) -> list[str]:
        name = table.name
        creates = [w for w in group if w.expected_revision is None and w.document is not None]
        replaces = [w for w in group if w.expected_revision is not None and w.document is not None]
        deletes = [w for w in group if w.document is None]
        taken = ids_present(connection, name, [w.uuid for w in creates])
        if taken:
            return taken
        connection.executemany(
            f'INSERT INTO "{name}" (id, doc) VALUES (?, ?)',
            [(w.uuid, _encode(w.document)) for w in creates],
        )
        for statement, rows, changed in (
            (
                f'UPDATE "{name}" SET doc = ? WHERE id = ? AND {REVISION} = ?',
                [(_encode(w.document), w.uuid, w.expected_revision) for w in replaces],
                replaces,
            ),
            (
                f'DELETE FROM "{name}" WHERE id = ? AND {REVISION} = ?',
                [(w.uuid, w.expected_revision) for w in deletes],
                deletes,
            ),
        ):
            if rows and connection.executemany(statement, rows).rowcount != len(rows):
                return moved_on(connection, name, changed)
        if table.arrays:
            reindex(connection, table, creates, replaces + deletes)
        return []

    # -- maintenance -----------------------------------------------------------------------

    async def backup(self, target: Path) -> dict[str, Any]:
        """A consistent copy of the live database into ``target`` (SQLite's online backup)."""

        def copy() -> dict[str, Any]:
            partial = target.with_name(target.name + ".partial")
            partial.unlink(missing_ok=True)
            destination = sqlite3.connect(partial)
            try:
                self._connection().backup(destination)
                pages = destination.execute("PRAGMA page_count").fetchone()[0]
            finally:
                destination.close()
            partial.replace(target)
            return {"file": str(target), "bytes": target.stat().st_size, "pages": pages}

        return await self._run(copy)

    async def check(self) -> list[str]:
        """Problems found by SQLite's integrity check and by reading every document back."""

        def run() -> list[str]:
            connection = self._connection()
            rows = connection.execute("PRAGMA integrity_check").fetchall()
            problems = [row[0] for row in rows if row[0] != "ok"]
            for table in self.tables.values():
                bad = connection.execute(
                    f'SELECT count(*) FROM "{table.name}" WHERE NOT json_valid(doc)'
                ).fetchone()[0]
                if bad:
                    problems.append(f"{table.name}: {bad} document(s) are not valid JSON")
            return problems

        return await self._run(run)


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
            connection.executemany(
                f'INSERT INTO "{table.name}" (id, doc) VALUES (?, ?)',
                [(d["_id"], _encode(d)) for d in group],
            )
            if table.arrays:
                placed = [Write(collection, d["_id"], d, None, {}) for d in group]
                reindex(connection, table, placed, [])
        connection.execute("COMMIT")
    finally:
        backend._pool.shutdown()
        for connection in backend._connections:
            connection.close()


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
            connection.execute("ROLLBACK")
