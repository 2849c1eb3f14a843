"""Reads of several steps (locate, walk level by level) on the embedded engine, in one trip.

A plan (:mod:`mxlims_store.store.reads`) runs whole inside one read transaction (every level
sees the same snapshot of the store). Each find runs the SQL of :meth:`SqliteBackend.find`
(the same rows, in the same order), with three differences: finds by uuid, most of a plan's
finds, are one statement text per collection (and per count of proposals in a member's scope),
prepared once by SQLite's statement cache instead of a filter compiled per call, and the finds
by uuid of one step are one statement; a member's scope never chooses the index (see
:func:`_find_sql`); and a walk's finds by link (a level down) go by row numbers and leave out
what the walk holds already (:mod:`.sqlite_walk_numbers`: a results file reads 12,991
documents instead of ~16,200, the same answers in the same order).

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
import functools
import sqlite3
import threading
import weakref
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from mxlims_store.errors import Unavailable
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends.sqlite_ids import IN_KEYS, id_params
from mxlims_store.store.backends.sqlite_open import connect_loop_reader
from mxlims_store.store.backends.sqlite_query import Compiler
from mxlims_store.store.backends.sqlite_unit import read_documents
from mxlims_store.store.backends.sqlite_walk_numbers import RowNumbers, find_by_links
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.documents import META
from mxlims_store.store.filters import parse
from mxlims_store.store.reads import Document, Plan, Request

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
            requests = next(plan)
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


def _loop_cost(requests: list[Request]) -> int | None:
    """The uuids ``requests`` ask for, or None when one of them is not a find by uuid (its
    answer may be any size: it runs in a worker)."""
    cost = 0
    for request in requests:
        ids = _by_id(request)
        if ids is None or request.collection not in CORE_COLLECTIONS:
            return None
        cost += len(ids)
    return cost


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
    requests: list[Request],
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
    requests: list[Request],
    numbers: RowNumbers,
) -> list[list[Document]]:
    """The documents of each of ``requests``; ``numbers``: those of every document the plan
    read so far (its finds by uuid and by link note them)."""
    ids = [_by_id(r) for r in requests]  # once a find: a provenance up makes ~15
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
            sql, params = _find_sql(db, caller, request, request_ids)
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
    sql = _by_number_sql(request.collection, request.bare, _scoped(caller))
    scope = list(_scope_of(caller))
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
    """Finds by uuid in ONE statement, each part tagged: a step of a walk up asks each
    collection its links may point into (a provenance up, ~11 finds in 5 steps), a locate asks
    every collection. Alternatives (``first``, a locate) are answered as one by one: after the
    first that finds anything, the next ones find nothing."""
    scope = _scope_of(caller)
    params: list[Any] = []
    for uuids in ids:
        assert uuids is not None  # (said by the caller)
        params += [*id_params(uuids), *scope]
    parts = tuple(
        (r.collection, r.bare, len(uuids or ()) == 1, r.limit)
        for r, uuids in zip(requests, ids, strict=True)
    )
    found: list[list[tuple[int, str, str]]] = [[] for _ in requests]
    sql = _together_sql(parts, _scoped(caller))
    for number, row_number, uuid, text in connection.execute(sql, params):
        found[number].append((row_number, uuid, text))
    answers: list[list[Document]] = []
    settled = False  # an alternative found something (as reads.run_plan)
    for request, rows in zip(requests, found, strict=True):
        if request.first and settled:
            rows = []
        settled = settled or (request.first and bool(rows))
        answers.append(numbers.decoded(request.collection, rows) if rows else [])
    return answers


def _find_sql(
    db: SqliteBackend, caller: Caller, request: Request, ids: list[str] | None
) -> tuple[str, list[Any]]:
    """The SQL of :meth:`SqliteBackend.find` for ``request`` (``ids``: its :func:`_by_id`)
    scoped to ``caller``; a bare request selects the document without ``_meta`` (about half
    of its text, and of the time to decode it).

    Scoped to a member's proposals, the scope is written so that it never chooses the index:
    ``+json_extract(...)``. Compiled as ``readable`` writes it, SQLite preferred the proposal's
    index to the uuids or foreign keys asked for, and read every object of the proposal for
    each level of a walk (0.2-0.6 s per level at 200,000 objects): the whole proposal instead
    of its answer, and rows in another order than the admin's. Now a member's walk reads what
    the admin's reads, in the same order, and keeps what the member may see."""
    if ids is not None and request.collection in CORE_COLLECTIONS:
        # most of a plan's finds (a provenance up makes ~15): one cached text, no compiling;
        # rows (number, uuid, document): sqlite_walk_numbers notes the numbers
        scope = _scope_of(caller)
        one = len(ids) == 1
        sql = _by_id_sql(request.collection, request.bare, one, _scoped(caller), request.limit)
        return sql, [*id_params(ids), *scope]
    tail = f" LIMIT {int(request.limit)}" if request.limit else ""
    bare = request.bare
    scoped = caller.proposals is not None
    if request.collection not in CORE_COLLECTIONS or (ids is None and not scoped and not bare):
        # as SqliteBackend.find (history keeps its key out of the JSON: find_sql selects it)
        return db.find_sql(request.collection, readable(caller, request.filter), (), request.limit)
    compiler = Compiler(db.tables[request.collection])
    where = compiler.where(parse(request.filter))
    sql = f'SELECT {_what(bare)} FROM "{request.collection}" WHERE ({where})'
    if scoped:
        sql += f" AND {_scope(len(caller.proposals or ()))}"
    return sql + tail, [*compiler.params, *_scope_of(caller)]


def _by_id(request: Request) -> list[str] | None:
    """The uuids of a find by uuid (``{"_id": uuid}`` or ``{"_id": {"$in": [...]}}``; other
    values never match an ``id``, a text or its key: sqlite_ids); None for any other find."""
    if request.ids is not None:  # said by the plan that built the filter (reads.Request)
        return request.ids
    if len(request.filter) != 1 or "_id" not in request.filter:
        return None
    value = request.filter["_id"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and list(value) == ["$in"] and isinstance(value["$in"], list):
        return [v for v in value["$in"] if isinstance(v, str)]
    return None


def _what(bare: bool) -> str:
    return f"json_remove(doc, '$.\"{META}\"')" if bare else "doc"


_LISTED = 16  # proposals of a member's scope bound one by one (more: as one JSON list)


def _scope_of(caller: Caller) -> tuple[str, ...]:
    """The parameters of ``caller``'s scope (none when not scoped)."""
    proposals = caller.proposals
    if proposals is not None and type(proposals) is not frozenset:  # a set, say: hashable
        proposals = frozenset(proposals)
    return _scope_params(proposals)


def _scoped(caller: Caller) -> int | None:
    """How many proposals ``caller``'s scope holds (None: not scoped)."""
    return None if caller.proposals is None else len(caller.proposals)


@functools.lru_cache(maxsize=256)
def _scope_params(proposals: frozenset[str] | None) -> tuple[str, ...]:
    """The parameters of a scope over ``proposals`` (:func:`_scope`), made once per scope."""
    if proposals is None:
        return ()
    listed = sorted(proposals)
    return (orjson.dumps(listed).decode(),) if len(listed) > _LISTED else tuple(listed)


@functools.cache
def _scope(proposals: int) -> str:
    """A member's scope over ``proposals`` proposals: ``IN (?, ...)``, cheaper than reading a
    JSON list with ``json_each`` (12 vs 8 us a lookup by uuid); one text per count."""
    listed = "SELECT value FROM json_each(?)" if proposals > _LISTED else ", ".join("?" * proposals)
    return f'+json_extract(doc, \'$."{META}"."proposal"\') IN ({listed})'


@functools.lru_cache(maxsize=1024)
def _by_id_sql(
    collection: str, bare: bool, one: bool, scoped: int | None = None, limit: int | None = None
) -> str:
    """A find by the uuids in its parameter (one uuid, or a JSON list of them): what the
    compiler makes of ``{"_id": uuid}`` or ``{"_id": {"$in": uuids}}`` (the same index, the
    same rows), without compiling it on every call (one statement text per collection, prepared
    once by SQLite's statement cache); ``scoped``: over that many proposals."""
    where = "id = ?" if one else f"id IN ({IN_KEYS})"  # (keys: sqlite_ids)
    sql = f'SELECT n, id, {_what(bare)} FROM "{collection}" WHERE {where}'
    if scoped is not None:
        sql += f" AND {_scope(scoped)}"
    return sql + (f" LIMIT {int(limit)}" if limit else "")


@functools.lru_cache(maxsize=1024)
def _together_sql(parts: tuple[tuple[str, bool, bool, int | None], ...], scoped: int | None) -> str:
    """Finds by uuid (collection, bare, one uuid, limit) as one statement, each part tagged."""
    return " UNION ALL ".join(
        f"SELECT {number}, * FROM ({_by_id_sql(collection, bare, one, scoped, limit)})"
        for number, (collection, bare, one, limit) in enumerate(parts)
    )


@functools.lru_cache(maxsize=256)
def _by_number_sql(collection: str, bare: bool, scoped: int | None) -> str:
    """The documents of the row numbers in its parameter (a JSON list), with their numbers;
    ``scoped``: over that many proposals."""
    sql = f'SELECT n, id, {_what(bare)} FROM "{collection}" WHERE n IN '
    sql += "(SELECT value FROM json_each(?))"
    return sql + (f" AND {_scope(scoped)}" if scoped is not None else "")
