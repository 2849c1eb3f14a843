"""Reads of several steps (locate, walk level by level) on the embedded engine, in one trip.

A plan (:mod:`mxlims_store.store.reads`) runs whole in one worker thread, inside one read
transaction (every level sees the same snapshot of the store), each of its finds compiled to the
very SQL :meth:`SqliteBackend.find` would run: the same rows in the same order, without a hop
through the event loop per find.

A plan that only reads *up* the links from known objects (provenance up) is answered from their
whole ancestry, read by ONE recursive query: every object their foreign keys reach, through
objects the caller may see, scoped like every read. The plan then walks that set in memory, so
the answer (steps, order, labels, what it may not see) is the plan's own, level by level.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from mxlims_store.errors import StoreBroken
from mxlims_store.model.links import FOREIGN_KEY_FIELDS
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends.sqlite_unit import read_documents
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.documents import META
from mxlims_store.store.reads import Document, Plan, Request

if TYPE_CHECKING:
    from mxlims_store.store.backends.sqlite import SqliteBackend

T = TypeVar("T")
Ancestry = dict[str, dict[str, Document]]  # collection -> uuid -> document


async def run_in_one_trip(
    db: SqliteBackend, caller: Caller, plan: Plan[T], above: Sequence[str] = ()
) -> T:
    """Run ``plan`` in one worker thread; with ``above``, over the ancestry of those uuids."""

    def work() -> T:
        connection = db._connection()
        connection.execute("BEGIN")  # one snapshot for every step of the plan
        try:
            ancestry = _ancestry(connection, caller, above) if above else None
            requests = next(plan)
            while True:
                found = [
                    _answer(ancestry, r)
                    if ancestry is not None and _by_id(r)
                    else read_documents(connection, *_find_sql(db, caller, r))
                    for r in requests
                ]
                requests = plan.send(found)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            if connection.in_transaction:
                connection.execute("COMMIT")  # a read: nothing to keep or undo

    return await db._run(work)


def _find_sql(db: SqliteBackend, caller: Caller, request: Request) -> tuple[str, list[Any]]:
    """The SQL of :meth:`SqliteBackend.find` for ``request`` (the same rows, in the same
    order); a bare request selects the document without ``_meta`` (about half of its text)."""
    scoped = readable(caller, request.filter)
    if not request.bare:
        return db.find_sql(request.collection, scoped, (), request.limit)
    tail = f" LIMIT {int(request.limit)}" if request.limit else ""
    return db._select(f"json_remove(doc, '$.\"{META}\"')", request.collection, scoped, tail)


def _by_id(request: Request) -> bool:
    """A find by uuid (``{"_id": uuid}`` or ``{"_id": {"$in": [...]}}``), which the ancestry
    answers; anything else goes to SQL."""
    if list(request.filter) != ["_id"]:
        return False
    value = request.filter["_id"]
    if isinstance(value, str):
        return True
    return isinstance(value, dict) and list(value) == ["$in"] and isinstance(value["$in"], list)


def _answer(ancestry: Ancestry, request: Request) -> list[Document]:
    """What SQL would answer a find by uuid, from the ancestry: the documents of that
    collection with those uuids (every one the caller may see above the roots is in it)."""
    value = request.filter["_id"]
    wanted = (
        [value] if isinstance(value, str) else sorted(v for v in value["$in"] if isinstance(v, str))
    )
    held = ancestry.get(request.collection, {})
    found = [held[uuid] for uuid in dict.fromkeys(wanted) if uuid in held]
    return found[: request.limit] if request.limit else found


_SCOPE = 'json_extract(d.doc, \'$."_meta"."proposal"\') IN (SELECT value FROM json_each(?2))'


@functools.cache
def ancestry_sql(scoped: bool) -> str:
    """One recursive query: from the uuids in ``?1`` (a JSON list), every uuid a foreign key of
    a reached document names (lists unwound), then the documents of all those uuids, tagged
    with their collection's number. ``scoped``: only through and to documents of the proposals
    in ``?2`` (what :func:`readable` allows a member), so that a walk never passes through, nor
    learns of, an object the caller may not see."""
    keys = ", ".join(f"'{field}'" for field in FOREIGN_KEY_FIELDS)
    scope = f" AND {_SCOPE}" if scoped else ""
    steps = " UNION ".join(
        f'SELECT e.value FROM reach r JOIN "{collection}" d ON d.id = r.id, json_each(d.doc) t, '
        "json_each(CASE t.type WHEN 'array' THEN t.value ELSE json_array(t.value) END) e "
        f"WHERE t.key IN ({keys}) AND e.type = 'text'{scope}"
        for collection in CORE_COLLECTIONS
    )
    picks = " UNION ALL ".join(
        f'SELECT {number}, d.doc FROM "{collection}" d WHERE d.id IN (SELECT id FROM reach){scope}'
        for number, collection in enumerate(CORE_COLLECTIONS)
    )
    return f"WITH RECURSIVE reach(id) AS (SELECT value FROM json_each(?1) UNION {steps}) {picks}"


def _ancestry(connection: sqlite3.Connection, caller: Caller, roots: Sequence[str]) -> Ancestry:
    params: list[Any] = [orjson.dumps(list(roots)).decode()]
    if caller.proposals is not None:
        params.append(orjson.dumps(sorted(caller.proposals)).decode())
    rows = connection.execute(ancestry_sql(caller.proposals is not None), params).fetchall()
    ancestry: Ancestry = {}
    try:
        for number, text in rows:
            document = orjson.loads(text)
            ancestry.setdefault(CORE_COLLECTIONS[number], {})[document["_id"]] = document
    except orjson.JSONDecodeError:  # damaged bytes: the store's failure, not the request's
        raise StoreBroken(
            "a stored document is damaged; run `mxlims-store check`, or restore a backup"
        ) from None
    return ancestry
