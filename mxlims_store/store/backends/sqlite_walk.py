"""Reads of several steps (locate, walk level by level) on the embedded engine, in one trip.

A plan (:mod:`mxlims_store.store.reads`) runs whole in one worker thread, inside one read
transaction (every level sees the same snapshot of the store): one hop off the event loop for
a provenance or a results file instead of one per find. Each find runs the very SQL
:meth:`SqliteBackend.find` would (the same rows, in the same order), except finds by uuid,
which most of a plan's finds are: one statement text per collection, prepared once by SQLite's
statement cache, instead of a filter compiled per call.

(A recursive CTE reading a chain's whole ancestry in one statement was measured too: slower
than these few prepared lookups, 0.48 vs 0.33 ms CPU per provenance up, and its scoped form
several times slower still. The walk stays level by level.)
"""

from __future__ import annotations

import functools
import sqlite3
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends.sqlite_unit import read_documents
from mxlims_store.store.documents import META
from mxlims_store.store.reads import Plan, Request

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
            found = [read_documents(connection, *_find_sql(db, caller, r)) for r in requests]
            requests = plan.send(found)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        if connection.in_transaction:
            connection.execute("COMMIT")  # a read: nothing to keep or undo


def _find_sql(db: SqliteBackend, caller: Caller, request: Request) -> tuple[str, list[Any]]:
    """The SQL of :meth:`SqliteBackend.find` for ``request``; a bare request selects the
    document without ``_meta`` (about half of its text, and of the time to decode it)."""
    tail = f" LIMIT {int(request.limit)}" if request.limit else ""
    ids = _by_id(request)
    if ids is not None:
        scoped = caller.proposals is not None
        params = [orjson.dumps(ids).decode()]
        if scoped:
            params.append(orjson.dumps(sorted(caller.proposals or ())).decode())
        return _by_id_sql(request.collection, scoped, request.bare) + tail, params
    scoped_filter = readable(caller, request.filter)
    if not request.bare:
        return db.find_sql(request.collection, scoped_filter, (), request.limit)
    return db._select(_what(bare=True), request.collection, scoped_filter, tail)


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


@functools.cache
def _by_id_sql(collection: str, scoped: bool, bare: bool) -> str:
    """A find by the uuids in ``?1`` (a JSON list), of the proposals in ``?2`` when
    ``scoped``: what the compiler makes of ``readable(caller, {"_id": {"$in": uuids}})``
    (the same index, the same rows), without compiling it on every call."""
    scope = (
        f' AND json_extract(doc, \'$."{META}"."proposal"\') IN (SELECT value FROM json_each(?2))'
    )
    return (
        f'SELECT {_what(bare)} FROM "{collection}" '
        f"WHERE id IN (SELECT value FROM json_each(?1)){scope if scoped else ''}"
    )
