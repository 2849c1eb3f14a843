"""Batched reads shared by every query: always ``$in`` over ids, one round trip per collection.

A read of several steps (locate an object, then walk from it level by level) is written once as
a *plan*: a generator that yields the finds of its next step (:class:`Request`, unscoped) and is
sent back their documents. :func:`run_plan` runs a plan on any backend, scoping every find to
the caller; on the embedded engine the whole plan runs in one worker thread, on one snapshot,
with the very same SQL per find (one hop off the event loop instead of one per find).
"""

from __future__ import annotations

from collections.abc import Container, Generator, Iterable, Mapping
from typing import Any, NamedTuple, TypeVar

from mxlims_store.errors import NotFound
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import CORE_COLLECTIONS

T = TypeVar("T")
Document = dict[str, Any]


class Request(NamedTuple):
    """One find of a plan: ``filter`` (unscoped: the runner scopes it) on ``collection``.
    ``bare``: the documents may come without their bookkeeping (``_meta``), which a message
    leaves out anyway (the embedded engine then neither sends nor decodes it)."""

    collection: str
    filter: dict[str, Any]
    limit: int | None = None
    bare: bool = False
    # one of alternatives asked together: only the first (in the list) that finds anything
    # counts, the ones after it are answered empty (and need not be asked at all)
    first: bool = False
    # a find by uuid's uuids, as its filter says them (``{"_id": {"$in": ids}}``), set where the
    # filter is built: the embedded engine reads them here instead of parsing the filter again
    ids: list[str] | None = None
    # a find by links (``{"$or": [{field: {"$in": uuids}}, ...]}``), as its filter says them
    # (field -> uuids, in the order of the ``$or``), set where the filter is built
    links: dict[str, list[str]] | None = None
    # the uuids of documents the asker holds already and drops from the answer: an engine may
    # leave them out (the embedded one then never reads them), or return them
    known: Container[str] | None = None


# yields the finds of one step, is sent their documents (one list per find), returns T
Plan = Generator[list[Request], list[list[Document]], T]


async def run_plan(db: Backend, caller: Caller, plan: Plan[T]) -> T:
    """Run ``plan`` on ``db``, every find scoped to what ``caller`` may see."""
    if getattr(db, "name", None) == "sqlite":
        from mxlims_store.store.backends.sqlite import SqliteBackend

        if isinstance(db, SqliteBackend):  # not a unit of work: that has its transaction
            from mxlims_store.store.backends.sqlite_walk import run_in_one_trip

            return await run_in_one_trip(db, caller, plan)
    try:
        requests = next(plan)
        while True:
            found: list[list[Document]] = []
            settled = False  # an alternative found something: the next ones are not asked
            for r in requests:
                documents = (
                    []
                    if r.first and settled
                    else await db.find(r.collection, readable(caller, r.filter), limit=r.limit)
                )
                settled = settled or (r.first and bool(documents))
                found.append(documents)
            requests = plan.send(found)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def fetching(
    ids_by_collection: Mapping[str, Iterable[str]], bare: bool = False
) -> Plan[dict[str, Document]]:
    """Documents by uuid, asking each collection once for all of its ids."""
    requests = [
        Request(collection, {"_id": {"$in": wanted}}, bare=bare, ids=wanted)
        for collection, ids in ids_by_collection.items()
        if (wanted := sorted(set(ids)))
    ]
    found: dict[str, Document] = {}
    if requests:
        for documents in (yield requests):
            for document in documents:
                found[document["_id"]] = document
    return found


async def fetch(
    db: Backend, caller: Caller, ids_by_collection: Mapping[str, Iterable[str]]
) -> dict[str, Document]:
    """Documents by uuid, asking each collection once for all of its ids."""
    return await run_plan(db, caller, fetching(ids_by_collection))


NOT_VISIBLE = "no object with this uuid that you may see"


def locating(uuid: str) -> Plan[tuple[str, Document]]:
    """(collection, document) of one uuid, whatever its type; NotFound if absent or not visible."""
    # asked in this order, as alternatives: one statement on SQLite, as few finds as before
    # elsewhere (none after the collection that holds it)
    found = yield [Request(c, {"_id": uuid}, 1, first=True, ids=[uuid]) for c in CORE_COLLECTIONS]
    for collection, documents in zip(CORE_COLLECTIONS, found, strict=True):
        if documents:
            return collection, documents[0]
    # The same answer for an unknown uuid and a forbidden one, and the uuid is not repeated:
    # an answer never names an object the caller may not see.
    raise NotFound(NOT_VISIBLE)


async def locate(db: Backend, caller: Caller, uuid: str) -> tuple[str, Document]:
    """(collection, document) of one uuid, whatever its type; NotFound if absent or not visible."""
    return await run_plan(db, caller, locating(uuid))
