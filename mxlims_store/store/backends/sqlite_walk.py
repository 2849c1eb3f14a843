"""Reads of several steps (locate, walk level by level) on the embedded engine, in one trip.

A plan (:mod:`mxlims_store.store.reads`) runs whole in one worker thread, inside one read
transaction (every level sees the same snapshot of the store): one hop off the event loop for
a provenance or a results file instead of one per find. Each find runs the SQL of
:meth:`SqliteBackend.find` (the same rows, in the same order), with two differences: finds by
uuid, most of a plan's finds, are one statement text per collection, prepared once by SQLite's
statement cache instead of a filter compiled per call; and a member's scope never chooses the
index (see :func:`_find_sql`).

(A recursive CTE reading a chain's whole ancestry in one statement was measured too: slower
than these few prepared lookups, 0.48 vs 0.33 ms CPU per provenance up, and its scoped form
several times slower still. The walk stays level by level.)
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from mxlims_store.errors import StoreBroken
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends.sqlite_query import Compiler
from mxlims_store.store.backends.sqlite_unit import read_documents
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.documents import META
from mxlims_store.store.filters import parse
from mxlims_store.store.reads import Document, Plan, Request

if TYPE_CHECKING:
    from mxlims_store.store.backends.sqlite import SqliteBackend

T = TypeVar("T")


async def run_in_one_trip(db: SqliteBackend, caller: Caller, plan: Plan[T]) -> T:
    """Run ``plan`` in one worker thread of ``db``."""
    return await db._run(lambda: run_here(db, db._connection(), caller, plan))


def run_here(db: SqliteBackend, connection: sqlite3.Connection, caller: Caller, plan: Plan[T]) -> T:
    """Run ``plan`` on ``connection`` in this thread, on one snapshot."""
    connection.execute("BEGIN")
    try:
        requests = next(plan)
        while True:
            if len(requests) > 1 and all(r.first and _by_id(r) for r in requests):
                found = _alternatives(db, connection, caller, requests)
            else:
                found = [read_documents(connection, *_find_sql(db, caller, r)) for r in requests]
            requests = plan.send(found)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        if connection.in_transaction:  # a read: nothing to keep, and nothing left open
            with contextlib.suppress(sqlite3.Error):  # never hiding what went wrong first
                connection.execute("ROLLBACK")


def _alternatives(
    db: SqliteBackend, connection: sqlite3.Connection, caller: Caller, requests: list[Request]
) -> list[list[Document]]:
    """Alternative finds by uuid (a locate: is it a sample, a logistical sample, ...?) in ONE
    statement, each part tagged; answered as one by one: after the first that finds anything,
    the others find nothing."""
    parts, params = [], []
    for number, request in enumerate(requests):
        sql, part_params = _find_sql(db, caller, request)
        parts.append(f"SELECT {number}, * FROM ({sql})")
        params += part_params
    rows = connection.execute(" UNION ALL ".join(parts), params).fetchall()
    first = min((number for number, _ in rows), default=None)
    try:
        documents = [orjson.loads(text) for number, text in rows if number == first]
    except orjson.JSONDecodeError:  # as read_documents: damaged bytes are the store's failure
        raise StoreBroken(
            "a stored document is damaged; run `mxlims-store check`, or restore a backup"
        ) from None
    return [documents if number == first else [] for number in range(len(requests))]


def _find_sql(db: SqliteBackend, caller: Caller, request: Request) -> tuple[str, list[Any]]:
    """The SQL of :meth:`SqliteBackend.find` for ``request`` scoped to ``caller``; a bare
    request selects the document without ``_meta`` (about half of its text, and of the time
    to decode it).

    Scoped to a member's proposals, the scope is written so that it never chooses the index:
    ``+json_extract(...)``. Compiled as ``readable`` writes it, SQLite preferred the proposal's
    index to the uuids or foreign keys asked for, and read every object of the proposal for
    each level of a walk (0.2-0.6 s per level at 200,000 objects): the whole proposal instead
    of its answer, and rows in another order than the admin's. Now a member's walk reads what
    the admin's reads, in the same order, and keeps what the member may see."""
    tail = f" LIMIT {int(request.limit)}" if request.limit else ""
    bare = request.bare
    scoped = caller.proposals is not None
    ids = _by_id(request)
    if request.collection not in CORE_COLLECTIONS or (ids is None and not scoped and not bare):
        # as SqliteBackend.find (history keeps its key out of the JSON: find_sql selects it)
        return db.find_sql(request.collection, readable(caller, request.filter), (), request.limit)
    if ids is not None:
        sql = _by_id_sql(request.collection, bare)
        params: list[Any] = [orjson.dumps(ids).decode()]
    else:
        compiler = Compiler(db.tables[request.collection])
        where = compiler.where(parse(request.filter))
        sql = f'SELECT {_what(bare)} FROM "{request.collection}" WHERE ({where})'
        params = compiler.params
    if scoped:
        sql += f" AND {_SCOPE}"
        params.append(orjson.dumps(sorted(caller.proposals or ())).decode())
    return sql + tail, params


def _by_id(request: Request) -> list[str] | None:
    """The uuids of a find by uuid (``{"_id": uuid}`` or ``{"_id": {"$in": [...]}}``; other
    values never match the text ``id`` column); None for any other find."""
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


_SCOPE = f'+json_extract(doc, \'$."{META}"."proposal"\') IN (SELECT value FROM json_each(?))'


@functools.cache
def _by_id_sql(collection: str, bare: bool) -> str:
    """A find by the uuids in its parameter (a JSON list): what the compiler makes of
    ``{"_id": {"$in": uuids}}`` (the same index, the same rows), without compiling it on every
    call (one statement text per collection, prepared once by SQLite's statement cache)."""
    return f'SELECT {_what(bare)} FROM "{collection}" WHERE id IN (SELECT value FROM json_each(?))'
