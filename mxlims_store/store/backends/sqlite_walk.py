"""Reads of several steps (locate, walk level by level) on the embedded engine, in one trip.

A plan (:mod:`mxlims_store.store.reads`) runs whole inside one read transaction (every level
sees the same snapshot of the store). Each find runs the SQL of :meth:`SqliteBackend.find`
(the same rows, in the same order), with three differences: finds by uuid, most of a plan's
finds, are one statement text per collection (and per count of proposals in a member's scope),
prepared once by SQLite's statement cache instead of a filter compiled per call, and the finds
by uuid of one step are one statement; a member's scope never chooses the index (see
:func:`.sqlite_plan_sql.find_sql`); and a walk's finds by link (a level down) go by row
numbers and leave out what the walk holds already (:mod:`.sqlite_walk_numbers`: a results
file reads 12,991 documents instead of ~16,200, the same answers in the same order). A walk
up asks for documents by uuid (:class:`~mxlims_store.store.reads.ByUuid`): each of its steps
is one statement, read straight into the documents by uuid (no finds built, none taken
apart).

A small read runs on the event loop's own thread, on a connection of its own (one per loop
thread, opened in a worker): a provenance up reads about a dozen documents by uuid in ~0.2 ms,
and the hop to a worker thread and back cost as much again (0.45-0.6 vs 0.24-0.3 ms CPU per
provenance up at 50,000 objects). Only finds by uuid run there, at most :data:`LOOP_BUDGET`
uuids per plan; the first step beyond that (a walk down, a find by another field, a wide
chain) hands the rest of the plan to a worker thread, on the same connection and snapshot. A
read in WAL mode never waits for a writer, so the loop is never held by a lock. When that
connection is busy (its plan went on in a worker), a plan runs whole in a worker as before.
That connection maps the file (sqlite_open.connect_loop_reader): its lookups are random pages
of a store that outgrows its page cache, 5 read() calls per provenance up at 200,000 objects.

(A recursive CTE reading a chain's whole ancestry in one statement was measured too: slower
than these few prepared lookups, 0.48 vs 0.33 ms CPU per provenance up, and its scoped form
several times slower still. The walk stays level by level.)
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import weakref
from typing import TYPE_CHECKING, Any, TypeVar, cast

from mxlims_store.errors import Unavailable
from mxlims_store.store.access import Caller
from mxlims_store.store.backends.sqlite_ids import id_params, ids_shape, key
from mxlims_store.store.backends.sqlite_open import connect_loop_reader
from mxlims_store.store.backends.sqlite_plan_sql import (
    by_id,
    by_number_sql,
    documents_sql,
    find_sql,
    locate_sql,
    scope_of,
    scope_size,
    together_sql,
)
from mxlims_store.store.backends.sqlite_unit import read_documents
from mxlims_store.store.backends.sqlite_walk_numbers import RowNumbers, by_uuid, find_by_links
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.reads import (
    ByUuid,
    Document,
    Finds,
    Found,
    Locate,
    Plan,
    Request,
    requests_of,
)

if TYPE_CHECKING:
    from mxlims_store.store.backends.sqlite import SqliteBackend

T = TypeVar("T")

# uuids a plan may ask for by uuid on the event loop's thread (a provenance up asks ~15): what
# a few dozen small documents cost to read there, well under a millisecond
LOOP_BUDGET = 64


class _LoopReader:
    """The connection small reads use on one event loop's thread; ``busy`` while a plan holds
    it (also while the rest of that plan runs in a worker, or while it opens)."""

    def __init__(self) -> None:
        self.connection: sqlite3.Connection | None = None
        self.busy = True  # until opened


# per backend, per event loop thread (weakly: a backend closed and dropped takes them along)
_READERS: weakref.WeakKeyDictionary[SqliteBackend, dict[int, _LoopReader]] = (
    weakref.WeakKeyDictionary()
)
_READERS_GUARD = threading.Lock()


async def run_in_one_trip(db: SqliteBackend, caller: Caller, plan: Plan[T]) -> T:
    """Run ``plan`` in one trip: on the event loop's thread while it asks for a few documents
    by uuid, in a worker thread of ``db`` for the rest (or all of it, when that is busy)."""
    reader = await _loop_reader(db)
    if reader is None or reader.connection is None:
        return await db._run(lambda: run_here(db, db._connection(), caller, plan))
    connection = reader.connection
    numbers = RowNumbers()
    reader.busy = True
    db.round_trips += 1  # the whole plan is one trip, wherever its steps run
    handed = False
    try:
        try:
            connection.execute("BEGIN")
            requests: Finds = next(plan)
            budget = LOOP_BUDGET
            while (cost := _loop_cost(requests)) is not None and cost <= budget:
                budget -= cost
                requests = plan.send(_answer(db, connection, caller, requests, numbers))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        except sqlite3.Error as error:
            raise db._explain(error) from error

        def rest() -> T:  # the worker owns the connection now: it ends the read and frees it
            try:
                return _finish(db, connection, caller, plan, requests, numbers)
            finally:
                _end(connection)
                reader.busy = False

        try:
            future = asyncio.get_running_loop().run_in_executor(db._pool, rest)
        except RuntimeError:  # its threads were shut down: closed meanwhile
            raise Unavailable(f"the store {db.path} is closed") from None
        handed = True
        try:
            return await future
        except sqlite3.Error as error:
            raise db._explain(error) from error
    finally:
        if not handed:
            _end(connection)
            reader.busy = False


async def _loop_reader(db: SqliteBackend) -> _LoopReader | None:
    """This loop thread's reader of ``db`` when it is free (opened in a worker, the first
    time), else None."""
    if db._closed:
        return None  # the worker path says that it is closed
    thread = threading.get_ident()
    with _READERS_GUARD:  # loops in several threads (builds on loops of their own)
        readers = _READERS.setdefault(db, {})
        reader = readers.get(thread)
        if reader is not None:
            return None if reader.busy else reader
        reader = readers[thread] = _LoopReader()
    kept = False
    try:
        connection, keep = await asyncio.get_running_loop().run_in_executor(
            db._pool, connect_loop_reader, db.path, db.lock_timeout
        )
        if not keep or db._closed:  # a full disk's fallback is never kept: again next time
            connection.close()
            return None
        with db._guard:
            db._connections.append(connection)  # closed with the backend's own
        reader.connection, reader.busy = connection, False
        kept = True
        return reader
    except (sqlite3.Error, OSError, RuntimeError):  # the worker path says what is wrong
        return None
    finally:
        if not kept:  # failed or cancelled: the next read tries again
            with _READERS_GUARD:
                readers.pop(thread, None)


def _loop_cost(requests: Finds) -> int | None:
    """The uuids ``requests`` ask for, or None when one of them is not a find by uuid of a
    core table (its answer may be any size: it runs in a worker)."""
    kind = type(requests)
    if kind is ByUuid:
        wanted = cast("ByUuid", requests).wanted
        return sum(map(len, wanted.values())) if wanted.keys() <= _CORE else None
    if kind is Locate:
        return 1
    cost = 0
    for request in cast("list[Request]", requests):
        ids = by_id(request)
        if ids is None or request.collection not in CORE_COLLECTIONS:
            return None
        cost += len(ids)
    return cost


_CORE = frozenset(CORE_COLLECTIONS)


def run_here(db: SqliteBackend, connection: sqlite3.Connection, caller: Caller, plan: Plan[T]) -> T:
    """Run ``plan`` on ``connection`` in this thread, on one snapshot."""
    connection.execute("BEGIN")
    try:
        try:
            requests = next(plan)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        return _finish(db, connection, caller, plan, requests, RowNumbers())
    finally:
        _end(connection)


def _finish(
    db: SqliteBackend,
    connection: sqlite3.Connection,
    caller: Caller,
    plan: Plan[T],
    requests: Finds,
    numbers: RowNumbers,
) -> T:
    """Answer ``requests`` and every step of ``plan`` after them; what the plan returns."""
    try:
        while True:
            requests = plan.send(_answer(db, connection, caller, requests, numbers))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _answer(
    db: SqliteBackend,
    connection: sqlite3.Connection,
    caller: Caller,
    requests: Finds,
    numbers: RowNumbers,
) -> Found:
    """The documents of each of ``requests`` (by uuid, for a :class:`ByUuid`; where it is,
    for a :class:`Locate`); ``numbers``: those of every document the plan read so far (its
    finds by uuid and by link, and where it located, note them)."""
    kind = type(requests)
    if kind is ByUuid:
        return _by_uuid(db, connection, caller, cast("ByUuid", requests), numbers)
    if kind is Locate:
        return _locate(connection, caller, cast("Locate", requests).uuid, numbers)
    return _each(db, connection, caller, cast("list[Request]", requests), numbers)


def _locate(
    connection: sqlite3.Connection, caller: Caller, uuid: str, numbers: RowNumbers
) -> tuple[str, Document] | None:
    """(collection, document) of ``uuid``, the first core table's that holds it (its number
    noted: a walk down may start from it), or None."""
    stored = key(uuid)
    rows = connection.execute(locate_sql(scope_size(caller)), (stored, *scope_of(caller)) * 4)
    for place, number, stored, text in rows:
        collection = CORE_COLLECTIONS[place]
        return collection, numbers.decoded(collection, [(number, stored, text)])[0]
    return None


def _by_uuid(
    db: SqliteBackend,
    connection: sqlite3.Connection,
    caller: Caller,
    step: ByUuid,
    numbers: RowNumbers,
) -> dict[str, Document]:
    """The documents of ``step`` by uuid: of core tables in ONE statement, read straight into
    the answer; of others, as finds. (Their numbers are not noted: a walk up, the step's main
    use, never walks down after it, and a find by links reads the few it misses.)"""
    wanted = step.wanted
    if not wanted:
        return {}
    if not wanted.keys() <= _CORE:
        found: dict[str, Document] = {}
        for documents in _each(db, connection, caller, requests_of(step), numbers):
            for document in documents:
                found[document["_id"]] = document
        return found
    scope = scope_of(caller)
    params: list[Any] = []
    parts = []
    for collection, ids in wanted.items():
        params += id_params(ids)
        params += scope
        parts.append((collection, ids_shape(len(ids))))
    sql = documents_sql(tuple(parts), step.bare, scope_size(caller))
    return by_uuid(connection.execute(sql, params))


def _each(
    db: SqliteBackend,
    connection: sqlite3.Connection,
    caller: Caller,
    requests: list[Request],
    numbers: RowNumbers,
) -> list[list[Document]]:
    """The documents of each of ``requests``."""
    ids = [by_id(r) for r in requests]  # once a find: a provenance up makes ~15
    if len(requests) > 1 and all(
        i is not None and r.collection in CORE_COLLECTIONS
        for r, i in zip(requests, ids, strict=True)
    ):
        return _together(db, connection, caller, requests, ids, numbers)
    answers = []
    for request, request_ids in zip(requests, ids, strict=True):
        found = None
        if request.links and request.collection in CORE_COLLECTIONS:
            found = _by_links(db, connection, caller, request, numbers)
        if found is None:
            sql, params = find_sql(db, caller, request, request_ids)
            if request_ids is not None and request.collection in CORE_COLLECTIONS:
                found = numbers.decoded(request.collection, connection.execute(sql, params))
            else:
                found = read_documents(connection, sql, params)
        answers.append(found)
    return answers


def _by_links(
    db: SqliteBackend,
    connection: sqlite3.Connection,
    caller: Caller,
    request: Request,
    numbers: RowNumbers,
) -> list[Document] | None:
    """A find by links by row numbers (sqlite_walk_numbers), scoped to ``caller``."""
    sql = by_number_sql(request.collection, request.bare, scope_size(caller))
    scope = list(scope_of(caller))
    return find_by_links(connection, db.tables[request.collection], request, numbers, sql, scope)


def _end(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:  # a read: nothing to keep, and nothing left open
        with contextlib.suppress(sqlite3.Error):  # never hiding what went wrong first
            connection.execute("ROLLBACK")


def _together(
    db: SqliteBackend,
    connection: sqlite3.Connection,
    caller: Caller,
    requests: list[Request],
    ids: list[list[str] | None],
    numbers: RowNumbers,
) -> list[list[Document]]:
    """Finds by uuid in ONE statement, each part tagged: a step of a plan that asks several
    finds by uuid (by filter, not as a ByUuid)."""
    scope = scope_of(caller)
    params: list[Any] = []
    for uuids in ids:
        assert uuids is not None  # (said by the caller)
        params += [*id_params(uuids), *scope]
    parts = tuple(
        (r.collection, r.bare, ids_shape(len(uuids or ())), r.limit)
        for r, uuids in zip(requests, ids, strict=True)
    )
    found: list[list[tuple[int, str, str]]] = [[] for _ in requests]
    sql = together_sql(parts, scope_size(caller))
    for number, row_number, uuid, text in connection.execute(sql, params):
        found[number].append((row_number, uuid, text))
    return [
        numbers.decoded(request.collection, rows) if rows else []
        for request, rows in zip(requests, found, strict=True)
    ]
