"""Group commit: units of work of one process that queue for the write lock share one COMMIT.

Under load most of a unit's turn was its ``COMMIT`` (an fsync: ``synchronous = FULL``) and the
hop to begin the transaction, while the next units waited. Here a unit runs as before, on the
one writer connection inside ``BEGIN IMMEDIATE``; every unit but the group's first within a
``SAVEPOINT`` of its own. When it ends and another unit is already queued (and the group is
still small and young), it releases its savepoint and hands the open transaction on instead of
committing; it answers only once the group's ``COMMIT`` has returned. The last unit of a group
commits for all.

The first unit needs no savepoint: nothing is in the transaction before it, so undoing it is a
``ROLLBACK``, which ends the group (the next unit queued begins another). A savepoint is not
free: SQLite copies every page first changed within it to a statement journal, in case it is
rolled back to (an import of 6,400 objects into a store of 200,000: some 40 % more CPU for its
writes). Groups of one unit, the common case, pay it no more.

What a crash can lose does not grow: nothing is acknowledged before the ``COMMIT`` that holds
it has returned (on disk), exactly as with one commit per unit. A unit that fails rolls back to
its savepoint (the first: the transaction rolled back), so its writes are gone and the
group's others stay; each unit checks its rules
against everything the group wrote before it (the same transaction). A ``COMMIT`` that fails
fails every unit of its group, each with that error. SQLite's lock is held by the group from
its ``BEGIN`` to its ``COMMIT``: other processes wait, as for one long unit (bounded by
:data:`MOST_UNITS` and :data:`MOST_SECONDS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mxlims_store.store.backends.sqlite_commits import count_commit, note_count
from mxlims_store.store.backends.sqlite_open import room_back
from mxlims_store.store.backends.sqlite_wal import room_made
from mxlims_store.store.write_lock import checked_writes

if TYPE_CHECKING:
    from mxlims_store.store.backends.sqlite import SqliteBackend
    from mxlims_store.store.backends.sqlite_unit import SqliteUnit

T = TypeVar("T")
MOST_UNITS = 16  # units sharing one commit at most
MOST_SECONDS = 0.25  # a group this old commits whoever is queued (other processes wait)


@dataclass
class _Group:
    connection: sqlite3.Connection
    committed: asyncio.Future[None]
    started: float = field(default_factory=time.monotonic)
    units: int = 0
    written: int = 0  # documents, for the checkpoint


@dataclass
class _Turns:
    queued: int = 0  # units waiting for the lock
    open: _Group | None = None  # the group whose transaction is open, between its units


_TURNS: weakref.WeakKeyDictionary[SqliteBackend, _Turns] = weakref.WeakKeyDictionary()
_PENDING: set[asyncio.Future[None]] = set()  # commits of orphaned groups, until done


async def run_grouped(
    backend: SqliteBackend,
    work: Callable[[Any], Awaitable[T]],
    make_unit: Callable[[sqlite3.Connection, bool], SqliteUnit],
) -> T:
    """``work(unit)`` in a savepoint of the open group's transaction (a new one if none)."""
    turns = _TURNS.setdefault(backend, _Turns())
    lock = checked_writes(backend)
    turns.queued += 1
    try:
        await lock.acquire()
    except BaseException:  # cancelled while queued: whoever handed on to it is committed
        turns.queued -= 1
        if turns.open is not None and turns.queued == 0:
            task = asyncio.ensure_future(_commit_open(backend, turns))
            _PENDING.add(task)
            task.add_done_callback(_PENDING.discard)
        raise
    turns.queued -= 1
    try:
        group = turns.open
        first = group is None  # the transaction's first unit: no savepoint (see above)
        if group is None:
            loop = asyncio.get_running_loop()
            # in a worker, like every call: SQLite's failures (a full disk) become the store's
            connection = await backend._run(_begin, backend, writer=True)
            group = turns.open = _Group(connection, loop.create_future())
        else:
            try:
                await backend._run(group.connection.execute, "SAVEPOINT unit", writer=True)
            except BaseException as error:  # the transaction is unusable: its group fails
                turns.open = None
                await _to_the_end(backend._run(_abandon, group.connection, writer=True))
                _settle(group, error)
                raise
        group.units += 1
        unit = make_unit(group.connection, first)
        failure: BaseException | None = None
        try:
            result = await work(unit)
        except BaseException as error:
            failure = error
        # a first unit that failed is undone by a ROLLBACK: its group ends there
        last = _should_commit(turns, group) or (first and failure is not None)
        try:
            # one call: the unit's end (release or undo its savepoint) and, if last, the COMMIT
            ending = backend._run(
                _end, group, backend.path, failure is None, unit, last, first, writer=True
            )
            cancelled = await _to_the_end(ending)
        except BaseException as error:  # the whole transaction is gone: the group fails
            turns.open = None
            _settle(group, error)
            raise failure if failure is not None else error from None
        if last:
            turns.open = None
            _settle(group, None)
            if group.written:
                backend.checkpoint_soon(group.written)
    finally:
        lock.release()
    if failure is not None:
        raise failure
    if cancelled:
        raise asyncio.CancelledError
    await asyncio.shield(group.committed)  # answered only once the group's COMMIT returned
    return result


async def _to_the_end(ending: Awaitable[None]) -> bool:
    """Await ``ending`` to its end even when cancelled meanwhile (the group's state must follow
    what SQLite did); whether a cancellation came, to be raised once the group is settled."""
    task = asyncio.ensure_future(ending)
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            cancelled = True
    task.result()
    return cancelled


def _should_commit(turns: _Turns, group: _Group) -> bool:
    young = time.monotonic() - group.started < MOST_SECONDS
    return not (turns.queued and group.units < MOST_UNITS and young)


async def _commit_open(backend: SqliteBackend, turns: _Turns) -> None:
    """Commit a group handed on to a unit that was cancelled before its turn."""
    async with checked_writes(backend):
        group = turns.open
        if group is None:
            return
        turns.open = None
        try:
            await backend._run(_end, group, backend.path, True, None, True, writer=True)
        except BaseException as error:
            _settle(group, error)
            return
        _settle(group, None)


def _settle(group: _Group, error: BaseException | None) -> None:
    if group.committed.done():
        return
    if error is None:
        group.committed.set_result(None)
    else:
        group.committed.set_exception(error)
        group.committed.exception()  # retrieved: a group nobody else waits on logs nothing


def _abandon(connection: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        room_back(connection)


def _begin(backend: SqliteBackend) -> sqlite3.Connection:
    connection = backend.writer_connection()
    connection.execute("BEGIN IMMEDIATE")
    return connection


def _end(
    group: _Group,
    database: Path,
    kept: bool,
    unit: SqliteUnit | None,
    last: bool,
    first: bool = False,
) -> None:
    """On the writer thread: the unit's savepoint released (``kept``) or undone (the group's
    ``first`` unit, which has none: kept, or the transaction rolled back), then, for the last
    unit, the group's COMMIT (counted: a lost ``-wal`` is then detected) or, when no unit of
    the group wrote anything, its ROLLBACK; then, once the transaction is over, the writer's
    cache back to its size."""
    connection = group.connection
    if unit is not None:
        room_made(unit.room)  # the log's room made before the transaction ends (sqlite_wal)
    try:
        if unit is not None and first:
            if not kept:  # nothing else is in the transaction: all of it goes (the group ends)
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                return
            group.written += unit.written
        elif unit is not None:
            if kept:
                connection.execute("RELEASE unit")
                group.written += unit.written
            elif connection.in_transaction:
                connection.execute("ROLLBACK TO unit")
                connection.execute("RELEASE unit")
        if not connection.in_transaction:  # SQLite rolled all of it back (a full disk, ...)
            raise sqlite3.OperationalError("the transaction was rolled back; nothing was stored")
        if not last:
            return
        if group.written == 0:
            connection.execute("ROLLBACK")
            return
        count = count_commit(connection)
        try:
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        note_count(database, count)
    finally:  # once the group's transaction is over: a big write's cache back (room_for)
        with contextlib.suppress(sqlite3.Error):
            room_back(connection)
