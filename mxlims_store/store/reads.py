"""Batched reads shared by every query: always ``$in`` over ids, one round trip per collection.

A read of several steps (locate an object, then walk from it level by level) is written once as
a *plan*: a generator that yields the finds of its next step (:class:`Request`, unscoped) and is
sent back their documents, yields documents it wants by uuid (:class:`ByUuid`, most steps
of a walk up) and is sent them by uuid, or yields a uuid to find whatever its collection
(:class:`Locate`) and is sent where it is. :func:`run_plan` runs a plan on any backend, scoping
every find to the caller; on the embedded engine the whole plan runs in one trip, on one
snapshot, with the very same SQL per find (one hop off the event loop instead of one per find).
"""

from __future__ import annotations

import functools
from collections.abc import Container, Generator, Iterable, Mapping
from typing import Any, NamedTuple, TypeVar, cast

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
    # a find by uuid's uuids, as its filter says them (``{"_id": {"$in": ids}}``), set where the
    # filter is built: the embedded engine reads them here instead of parsing the filter again
    ids: list[str] | None = None
    # a find by links (``{"$or": [{field: {"$in": uuids}}, ...]}``), as its filter says them
    # (field -> uuids, in the order of the ``$or``), set where the filter is built
    links: dict[str, list[str]] | None = None
    # the uuids of documents the asker holds already and drops from the answer: an engine may
    # leave them out (the embedded one then never reads them), or return them
    known: Container[str] | None = None


class ByUuid(NamedTuple):
    """A step of a plan: documents by uuid, ``wanted`` (collection -> uuids, each collection
    asked once, its uuids in sorted order); answered as one dict, uuid -> document (a uuid
    found in two collections: the later one's). ``bare`` as :class:`Request`'s. (Most of a
    walk's steps: the embedded engine reads them in one statement, and builds no finds.)"""

    wanted: dict[str, list[str]]
    bare: bool = False


class Locate(NamedTuple):
    """A step of a plan: the document of ``uuid``, whatever its collection; answered as
    (collection, document), or None when no collection holds one the caller may see (the
    collections asked in the order of CORE_COLLECTIONS, the first that holds it answers).
    (The first step of most reads: the embedded engine asks every core table in one
    statement.)"""

    uuid: str


# What a plan yields: the finds of one step (is sent their documents, one list per find),
# documents by uuid (is sent them by uuid), or one uuid to locate (is sent where it is)
Finds = list[Request] | ByUuid | Locate
Found = list[list[Document]] | dict[str, Document] | tuple[str, Document] | None
# yields the finds of each step, is sent what they found, returns T
Plan = Generator[Finds, Found, T]


async def run_plan(db: Backend, caller: Caller, plan: Plan[T]) -> T:
    """Run ``plan`` on ``db``, every find scoped to what ``caller`` may see."""
    if getattr(db, "name", None) == "sqlite":
        backend, run_in_one_trip = _embedded()
        if isinstance(db, backend):  # not a unit of work: that has its transaction
            return await run_in_one_trip(db, caller, plan)  # type: ignore[no-any-return]
    try:
        step = next(plan)
        while True:
            if type(step) is ByUuid:
                by_uuid: dict[str, Document] = {}
                for documents in await _found(db, caller, requests_of(step)):
                    for document in documents:
                        by_uuid[document["_id"]] = document
                step = plan.send(by_uuid)
            elif type(step) is Locate:
                step = plan.send(await _located(db, caller, step.uuid))
            else:
                step = plan.send(await _found(db, caller, step))  # type: ignore[arg-type]
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


@functools.cache
def _embedded() -> tuple[type, Any]:
    """The embedded engine's backend class and its runner of plans (imported when first
    asked: the backends import this module)."""
    from mxlims_store.store.backends.sqlite import SqliteBackend
    from mxlims_store.store.backends.sqlite_walk import run_in_one_trip

    return SqliteBackend, run_in_one_trip


async def _found(db: Backend, caller: Caller, requests: list[Request]) -> list[list[Document]]:
    return [
        await db.find(r.collection, readable(caller, r.filter), limit=r.limit) for r in requests
    ]


async def _located(db: Backend, caller: Caller, uuid: str) -> tuple[str, Document] | None:
    for collection in CORE_COLLECTIONS:  # (none asked after the one that holds it)
        documents = await db.find(collection, readable(caller, {"_id": uuid}), limit=1)
        if documents:
            return collection, documents[0]
    return None


def requests_of(step: ByUuid) -> list[Request]:
    """The finds of ``step``: one per collection, ``{"_id": {"$in": uuids}}``."""
    return [
        Request(collection, {"_id": {"$in": ids}}, bare=step.bare, ids=ids)
        for collection, ids in step.wanted.items()
    ]


def fetching(
    ids_by_collection: Mapping[str, Iterable[str]], bare: bool = False
) -> Plan[dict[str, Document]]:
    """Documents by uuid, asking each collection once for all of its ids (none: no step)."""
    wanted = {c: listed for c, ids in ids_by_collection.items() if (listed := sorted(set(ids)))}
    if not wanted:
        return {}
    found = yield ByUuid(wanted, bare)
    return cast("dict[str, Document]", found)


async def fetch(
    db: Backend, caller: Caller, ids_by_collection: Mapping[str, Iterable[str]]
) -> dict[str, Document]:
    """Documents by uuid, asking each collection once for all of its ids."""
    return await run_plan(db, caller, fetching(ids_by_collection))


NOT_VISIBLE = "no object with this uuid that you may see"


def locating(uuid: str) -> Plan[tuple[str, Document]]:
    """(collection, document) of one uuid, whatever its type; NotFound if absent or not visible."""
    found = yield Locate(uuid)
    if found is None:
        # The same answer for an unknown uuid and a forbidden one, and the uuid is not
        # repeated: an answer never names an object the caller may not see.
        raise NotFound(NOT_VISIBLE)
    return cast("tuple[str, Document]", found)


async def locate(db: Backend, caller: Caller, uuid: str) -> tuple[str, Document]:
    """(collection, document) of one uuid, whatever its type; NotFound if absent or not visible."""
    return await run_plan(db, caller, locating(uuid))
