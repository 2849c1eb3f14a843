"""Batched reads shared by every query: always ``$in`` over ids, one round trip per collection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mxlims_store.errors import NotFound
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import CORE_COLLECTIONS


async def fetch(
    db: Backend, caller: Caller, ids_by_collection: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, Any]]:
    """Documents by uuid, asking each collection once for all of its ids."""
    found: dict[str, dict[str, Any]] = {}
    for collection, ids in ids_by_collection.items():
        wanted = sorted(set(ids))
        if not wanted:
            continue
        query = readable(caller, {"_id": {"$in": wanted}})
        for document in await db.find(collection, query):
            found[document["_id"]] = document
    return found


async def locate(db: Backend, caller: Caller, uuid: str) -> tuple[str, dict[str, Any]]:
    """(collection, document) of one uuid, whatever its type; NotFound if absent or not visible."""
    for collection in CORE_COLLECTIONS:
        documents = await db.find(collection, readable(caller, {"_id": uuid}), limit=1)
        if documents:
            return collection, documents[0]
    # The same answer for an unknown uuid and a forbidden one, and the uuid is not repeated:
    # an answer never names an object the caller may not see.
    raise NotFound("no object with this uuid that you may see")
