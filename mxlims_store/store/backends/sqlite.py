"""The embedded engine: SQLite from the standard library, one database file, WAL.

Each collection is a table of JSON documents by uuid (core tables: numbered rows, links kept as
the numbers of the rows they point at, sqlite_links); every index of ``collections`` is a real
SQLite index (an expression index, a link's column, or a side table for list fields).
WAL lets any number of processes read while one writes: the CLI works beside a running
``serve``, readers never wait, a writer waits for the lock at most ``lock_timeout``.

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
from collections.abc import Awaitable, Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from mxlims_store.errors import StoreBroken, Unavailable, WriteConflict
from mxlims_store.store.backends import sqlite_type_counts as type_counts
from mxlims_store.store.backends.base import Document, Sort, Write
from mxlims_store.store.backends.sqlite_bulk import bulk_rows, insert_created
from mxlims_store.store.backends.sqlite_commits import (
    count_commit,
    cut_long_log,
    missing_commits,
    note_count,
)
from mxlims_store.store.backends.sqlite_errors import explained, rollback
from mxlims_store.store.backends.sqlite_files import (
    FileIdentity,
    database_problems,
    identity,
    integrity_lines,
    refuse_file_gone,
    write_backup,
)
from mxlims_store.store.backends.sqlite_history_keys import append_history
from mxlims_store.store.backends.sqlite_ids import key, text_kept
from mxlims_store.store.backends.sqlite_links import (
    LINKS,
    Numbers,
    document_rows,
    link_problems,
    numbers_for,
    update_sql,
)
from mxlims_store.store.backends.sqlite_open import (
    connect,
    count_by,
    count_by_sql,
    schema_is_current,
    select_sql,
    setup,
    write_ahead,
)
from mxlims_store.store.backends.sqlite_open import database_file as database_file
from mxlims_store.store.backends.sqlite_query import Table, extract
from mxlims_store.store.backends.sqlite_state import bump_generation
from mxlims_store.store.backends.sqlite_tables import (
    REVISION,
    free_slots,
    ids_present,
    moved_on,
    reindex,
    table_for,
)
from mxlims_store.store.backends.sqlite_unit import position_taken, read_documents, run_unit
from mxlims_store.store.backends.sqlite_upgrade import upgrade
from mxlims_store.store.backends.sqlite_version import SCHEMA_VERSION as SCHEMA_VERSION
from mxlims_store.store.backends.sqlite_write_summary import WriteSummary
from mxlims_store.store.collections import HISTORY, INDEXES
from mxlims_store.store.filters import parse_path

T = TypeVar("T")
CHECKPOINT_DOCUMENTS = 1000  # written since the last checkpoint before the next one runs


class SqliteBackend:
    name = "sqlite"
    transactional = True

    def __init__(self, path: Path, *, lock_timeout: float = 10.0, workers: int = 4) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self.round_trips = 0
        self.tables = {name: table_for(name, indexes) for name, indexes in INDEXES.items()}
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="mxlims-sqlite")
        # The unit of work's own thread: the writer holding SQLite's lock never queues behind
        # reads or checkpoints of other requests in the shared pool (see sqlite_unit).
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="mxlims-sqlite-writer")
        self._checkpoint_queued = False
        self._written_since_checkpoint = 0
        self._checkpointer: ThreadPoolExecutor | None = None  # its own thread (_checkpoint)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._closed = False
        self._writer: sqlite3.Connection | None = None
        self._opened: FileIdentity | None = None  # the file the store opened (sqlite_files)

    # -- plumbing --------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection, keep = connect(self.path, self.lock_timeout)  # sqlite_open
            if not keep:  # a full disk: read the file as it is, retry next time
                return connection
            self._local.connection = connection
            with self._guard:
                self._connections.append(connection)
                if self._opened is None:
                    self._opened = identity(self.path)
        return connection

    _setup = staticmethod(setup)  # the pragmas every connection works with (sqlite_open)

    async def _run(self, work: Callable[..., T], *args: Any, writer: bool = False) -> T:
        if self._closed:
            raise Unavailable(f"the store {self.path} is closed")
        self.round_trips += 1
        loop = asyncio.get_running_loop()
        pool = self._writer_pool if writer else self._pool
        try:
            return await loop.run_in_executor(pool, functools.partial(work, *args))
        except sqlite3.Error as error:
            raise self._explain(error) from error

    def _explain(self, error: sqlite3.Error) -> Exception:
        return explained(error, self.path, self.lock_timeout)

    # -- life ------------------------------------------------------------------------------

    async def ping(self) -> None:
        await self._run(self._ping)

    def _ping(self) -> None:
        # SELECT 1 alone is answered by an open connection (its pages cached) to a file
        # deleted or overwritten under it: /health said ok while every request failed
        self._connection().execute("SELECT count(*) FROM sqlite_master").fetchone()
        refuse_file_gone(self.path, self._opened)

    async def prepare(self) -> None:
        await self._run(self._prepare)

    def _prepare(self) -> None:
        connection = self._connection()
        if schema_is_current(connection, self.path):  # lost commits, a newer schema: refused
            type_counts.made_where_missing(connection)  # once, for a store from before them
            write_ahead(connection)  # (a file in rollback-journal mode: a backup copied in)
            return  # nothing else written: a read-only command leaves the file alone
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("BEGIN IMMEDIATE")
        try:  # the version read again under the lock: another process may have upgraded it
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                upgrade(connection, version, self.tables.values())  # sqlite_upgrade
            connection.execute("COMMIT")
        except BaseException:
            rollback(connection)
            raise

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)
        self._writer_pool.shutdown()
        if self._checkpointer is not None:  # a checkpoint under way ends before its connection
            self._checkpointer.shutdown()
        with self._guard:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    # -- reads -----------------------------------------------------------------------------

    def _select(
        self, what: str, collection: str, filter: Document, tail: str = ""
    ) -> tuple[str, list[Any]]:
        return select_sql(self.tables[collection], what, filter, tail)

    def find_sql(
        self, collection: str, filter: Document, sort: Sort = (), limit: int | None = None
    ) -> tuple[str, list[Any]]:
        order = ", ".join(
            ("id" if name == "_id" else extract("doc", parse_path(name)))
            + (" DESC" if direction < 0 else "")
            for name, direction in sort
        )
        tail = (f" ORDER BY {order}" if order else "") + (f" LIMIT {int(limit)}" if limit else "")
        # a history entry's key is kept once, in the id column (read_documents puts it back)
        return self._select("doc, id" if collection == HISTORY else "doc", collection, filter, tail)

    async def find(
        self, collection: str, filter: Document, *, sort: Sort = (), limit: int | None = None
    ) -> list[Document]:
        sql, params = self.find_sql(collection, filter, sort, limit)
        return await self._run(lambda: read_documents(self._connection(), sql, params))

    def count_sql(self, collection: str, filter: Document) -> tuple[str, list[Any]]:
        return self._select("count(*)", collection, filter)

    async def count(self, collection: str, filter: Document) -> int:
        sql, params = self.count_sql(collection, filter)
        return int(await self._run(lambda: self._connection().execute(sql, params).fetchone()[0]))

    def count_by_sql(self, collection: str, filter: Document, field: str) -> tuple[str, list[Any]]:
        return count_by_sql(self.tables[collection], filter, parse_path(field))

    async def count_by(self, collection: str, filter: Document, field: str) -> dict[Any, int]:
        table, path = self.tables[collection], parse_path(field)
        return await self._run(lambda: count_by(self._connection(), table, filter, path))

    # -- writes ----------------------------------------------------------------------------

    async def unit(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``work(tx)`` inside one ``BEGIN IMMEDIATE`` transaction (see sqlite_unit)."""
        return await run_unit(self, work)

    def writer_connection(self) -> sqlite3.Connection:
        """The connection units of work hold their transaction on (one at a time per process:
        units take turns in this process before they take SQLite's write lock)."""
        if self._writer is None:
            writer = sqlite3.connect(
                self.path, timeout=self.lock_timeout, isolation_level=None, check_same_thread=False
            )
            try:
                self._setup(writer)  # (a big write grows its cache: sqlite_open.room_for)
            except sqlite3.Error:  # e.g. a full disk: tried again by the next write
                writer.close()
                raise
            self._writer = writer
            with self._guard:
                self._connections.append(self._writer)
        return self._writer

    async def commit(self, writes: Sequence[Write]) -> None:
        if writes:
            await self._run(self._commit, list(writes))

    def _commit(self, writes: list[Write]) -> None:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            self.apply_or_refuse(connection, writes)
            count = count_commit(connection)
            connection.execute("COMMIT")
        except BaseException:
            rollback(connection)
            raise
        note_count(self.path, count)
        self.checkpoint_soon(len(writes))

    def checkpoint_soon(self, written: int) -> None:
        """A checkpoint once commits since the last one wrote :data:`CHECKPOINT_DOCUMENTS`
        documents (a few MiB of log, as SQLite's own automatic checkpoint), one queued at a
        time: one per commit cost each import a second fsync and the copying. It runs on a
        thread and connection of its own: in the readers' pool, the checkpoint of the log an
        11,000-object results import left (20-26 MB, 60-190 ms) held one of their threads."""
        self._written_since_checkpoint += written
        if self._written_since_checkpoint < CHECKPOINT_DOCUMENTS:
            return
        if not self._closed and not self._checkpoint_queued:
            self._checkpoint_queued = True
            if self._checkpointer is None:
                self._checkpointer = ThreadPoolExecutor(1, thread_name_prefix="mxlims-checkpoint")
            with contextlib.suppress(RuntimeError):  # the store was closed meanwhile
                self._checkpointer.submit(self._checkpoint)

    def apply_or_refuse(
        self, connection: sqlite3.Connection, writes: list[Write], unrecorded: Collection[str] = ()
    ) -> None:
        """Apply ``writes`` in the open transaction: a lost race is a WriteConflict, a position
        the database's unique index finds taken is the integrity rule's own problem
        (``unrecorded``: uuids the transaction found without history, sqlite_unit)."""
        gone = type_counts.deleted_types(connection, writes)  # (what they are is read first)
        summary = WriteSummary()  # read-set keys and new types, found as links are numbered
        try:
            lost = self._apply(connection, writes, unrecorded, summary)
        except sqlite3.IntegrityError as error:
            raise position_taken(connection, writes, error) from error
        if lost:
            raise WriteConflict(lost)
        type_counts.keep(connection, gone, summary.types)  # `stats` reads no documents
        bump_generation(connection, writes, summary.keys())  # downloads built before: stale

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database, never waiting for readers or writers
        (PASSIVE); SQLite starts the log afresh once all of it was copied, which a steady stream
        of commits never lets happen: a log grown too long is then cut (sqlite_commits)."""
        self._checkpoint_queued = False  # a commit from now on queues the next one
        self._written_since_checkpoint = 0
        with contextlib.suppress(sqlite3.Error):  # busy or failing: the next commit tries again
            connection = self._connection()
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cut_long_log(connection, self.path, self.lock_timeout)  # sqlite_commits

    def _apply(
        self,
        connection: sqlite3.Connection,
        writes: list[Write],
        unrecorded: Collection[str] = (),
        summary: WriteSummary | None = None,
    ) -> list[str]:
        by_collection: dict[str, list[Write]] = {}
        for write in writes:
            by_collection.setdefault(write.collection, []).append(write)
        numbers = numbers_for(connection, by_collection, summary)  # every link's number
        lost: list[str] = []
        for collection, group in by_collection.items():
            lost += self._apply_to(connection, self.tables[collection], group, numbers)
        if lost:
            return lost
        try:  # appended, in the order of the writes, by row (sqlite_history, _keys)
            append_history(connection, writes, numbers, unrecorded)
        except sqlite3.IntegrityError:  # the same change recorded by a concurrent twin
            return [w.uuid for w in writes]
        return []

    def _apply_to(
        self, connection: sqlite3.Connection, table: Table, group: list[Write], numbers: Numbers
    ) -> list[str]:
        name = table.name
        creates: list[Write] = []
        replaces: list[Write] = []
        deletes: list[Write] = []
        for write in group:  # (one pass: an import's thousands of writes)
            if write.document is None:
                deletes.append(write)
            elif write.expected_revision is None:
                creates.append(write)
            else:
                replaces.append(write)
        if name not in LINKS:  # (a core table's unique index of ids finds them as it inserts)
            taken = ids_present(connection, name, [w.uuid for w in creates])
            if taken:
                return taken
        if table.unique:  # pins swapping places in one write: free the places first
            free_slots(connection, name, replaces + deletes)
        id_of = key if name in LINKS else str  # schema 11: a core table's id (sqlite_ids)
        for statement, rows, changed in (
            (
                f'DELETE FROM "{name}" WHERE id = ? AND {REVISION} = ?',
                [(id_of(w.uuid), w.expected_revision) for w in deletes],
                deletes,
            ),
            (
                update_sql(name, f"id = ? AND {REVISION} = ?"),
                document_rows(name, replaces, numbers, created=False),
                replaces,
            ),
        ):
            if rows and connection.executemany(statement, rows).rowcount != len(rows):
                return moved_on(connection, name, changed)
        # in order (their numbers'); a core table's in one statement where it can (sqlite_bulk)
        bulk = bulk_rows(name, creates, numbers) if name in LINKS and creates else None
        created = bulk or document_rows(name, creates, numbers, created=True)
        taken = insert_created(connection, name, created, creates, numbers)
        if taken:
            return taken
        if table.arrays:
            reindex(connection, table, creates, replaces + deletes, numbers)
        return []

    # -- maintenance -----------------------------------------------------------------------

    async def backup(self, target: Path) -> dict[str, Any]:
        """A consistent copy of the live database as the new file ``target`` (sqlite_files)."""
        return await self._run(lambda: write_backup(self._connection(), target, self.path))

    async def check(self) -> list[str]:
        """Problems found by SQLite's integrity check and by reading every document back."""
        tables = [table.name for table in self.tables.values()]

        def run() -> list[str]:
            connection = self._connection()
            missing = missing_commits(connection, self.path)
            found = [*([missing] if missing else []), *database_problems(connection, tables)]
            found += link_problems(connection) + text_kept(connection)  # (sqlite_ids)
            return found + type_counts.problems(connection)

        return await self._run(run)

    async def verify(self) -> None:
        """At a server's start: a damaged file is refused before it serves (a quick check)."""
        problems = await self._run(lambda: integrity_lines(self._connection(), quick=True))
        if problems:
            raise StoreBroken(
                f"{self.path} is damaged ({problems[0]}); run `mxlims-store check`, or restore "
                "a backup (`mxlims-store restore FILE`)"
            )
