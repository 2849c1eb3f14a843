"""Server state on MongoDB: one collection of entries, bodies in chunks below the 16 MB
document limit, and the generation counter bumped after each commit that changed MXLIMS objects.

The bump comes after the commit, outside its transaction (one counter updated inside every
transaction would make concurrent imports conflict): a download built while the bump is pending
is cached under the old generation, which the bump then retires, so nothing stale outlives it.
The keys the commit touched (:mod:`mxlims_store.store.read_set`) are logged after the bump, as
one document per generation (a document per key would take a write per key, and mongomock has
no working ``bulk_write``): a download built while they are pending started at an earlier
generation, and is rebuilt once they land.
Works over PyMongo's async collections and over the synchronous mongomock double alike.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from mxlims_store.store.backends.base import Write
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.read_set import touched_keys
from mxlims_store.store.server_state import Entry, expiry

STATE = "server_state"
CHUNKS = "server_state_chunks"
CHUNK = 8 * 1024 * 1024  # well below MongoDB's 16 MB document limit
GENERATION = "generation:"
TOUCHES = "touched_keys"  # a commit's generation and (some of) the keys it touched
TOUCHES_PER_DOCUMENT = 50_000  # keys: ~2 MB, far below the document limit
TOUCHES_KEPT = 2 * 24 * 3600.0  # seconds: twice as long as a download is kept unused


async def _wait(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


async def bump_generation(db: Any, writes: Sequence[Write]) -> None:
    if not any(w.collection in CORE_COLLECTIONS for w in writes):
        return
    bumped = await _wait(
        db[STATE].find_one_and_update(
            {"_id": GENERATION},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    )
    generation = int(bumped["value"])
    touched = sorted(touched_keys(writes))
    now = time.time()
    for start in range(0, len(touched), TOUCHES_PER_DOCUMENT):
        keys = touched[start : start + TOUCHES_PER_DOCUMENT]
        document = {"generation": generation, "keys": keys, "expires": now + TOUCHES_KEPT}
        await _wait(db[TOUCHES].insert_one({"_id": f"{generation}:{start}", **document}))
    if generation % 100 == 0:  # now and then: the log of touches keeps two days
        await _wait(db[TOUCHES].delete_many({"expires": {"$lte": now}}))


def _id(kind: str, key: str) -> str:
    return f"{kind}:{key}"


class MongoState:
    touches_with_generation = False  # logged after the commit

    def __init__(self, backend: Any) -> None:
        self.db = backend.driver.db

    async def _chunks(self, document: dict[str, Any]) -> bytes | None:
        cursor = self.db[CHUNKS].find({"entry": document["_id"], "stamp": document["stamp"]})
        rows = await _wait(cursor.to_list(None)) if hasattr(cursor, "to_list") else list(cursor)
        rows.sort(key=lambda row: row["n"])
        if len(rows) != document["chunks"]:
            return None  # replaced meanwhile: treat as missing
        return b"".join(bytes(row["data"]) for row in rows)

    async def get(self, kind: str, key: str) -> Entry | None:
        document = await _wait(
            self.db[STATE].find_one({"_id": _id(kind, key), "expires": {"$gt": time.time()}})
        )
        if document is None:
            return None
        body = await self._chunks(document) if document.get("chunks") else None
        if document.get("chunks") and body is None:
            return None
        return Entry(document["value"], body, document.get("owner"), document.get("size", 0))

    async def put(
        self,
        kind: str,
        key: str,
        value: dict[str, Any],
        *,
        ttl: float,
        body: bytes | None = None,
        owner: str | None = None,
    ) -> None:
        await self._sweep()
        ident, stamp = _id(kind, key), time.time_ns()
        parts = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)] if body else []
        for n, part in enumerate(parts):
            await _wait(
                self.db[CHUNKS].insert_one(
                    {"entry": ident, "stamp": stamp, "n": n, "data": part, "expires": expiry(ttl)}
                )
            )
        document = {
            "_id": ident,
            "kind": kind,
            "value": value,
            "owner": owner,
            "size": len(body or b""),
            "chunks": len(parts),
            "stamp": stamp,
            "expires": expiry(ttl),
        }
        await _wait(self.db[STATE].replace_one({"_id": ident}, document, upsert=True))
        await _wait(self.db[CHUNKS].delete_many({"entry": ident, "stamp": {"$ne": stamp}}))

    async def add(self, kind: str, key: str, value: dict[str, Any], *, ttl: float) -> Entry:
        ident = _id(kind, key)
        await _wait(self.db[STATE].delete_one({"_id": ident, "expires": {"$lte": time.time()}}))
        document: dict[str, Any] = {
            "_id": ident,
            "kind": kind,
            "value": value,
            "size": 0,
            "expires": expiry(ttl),
        }
        try:
            await _wait(self.db[STATE].insert_one(document))
        except DuplicateKeyError:
            document = await _wait(self.db[STATE].find_one({"_id": ident}))
        return Entry(document["value"], None, document.get("owner"), 0)

    async def take(self, kind: str, key: str) -> Entry | None:
        entry = await self.get(kind, key)
        if entry is None:
            return None
        ident = _id(kind, key)
        deleted = await _wait(self.db[STATE].delete_one({"_id": ident}))
        await _wait(self.db[CHUNKS].delete_many({"entry": ident}))
        return entry if deleted.deleted_count else None

    async def delete(self, kind: str, key: str) -> None:
        ident = _id(kind, key)
        await _wait(self.db[STATE].delete_one({"_id": ident}))
        await _wait(self.db[CHUNKS].delete_many({"entry": ident}))

    async def delete_owned(self, kind: str, owner: str, *, keep: str | None = None) -> None:
        match: dict[str, Any] = {"kind": kind, "owner": owner}
        if keep is not None:
            match["_id"] = {"$ne": _id(kind, keep)}
        cursor = self.db[STATE].find(match)
        rows = await _wait(cursor.to_list(None)) if hasattr(cursor, "to_list") else list(cursor)
        ids = [row["_id"] for row in rows]
        if ids:
            await _wait(self.db[STATE].delete_many({"_id": {"$in": ids}}))
            await _wait(self.db[CHUNKS].delete_many({"entry": {"$in": ids}}))

    async def usage(self, kind: str, owner: str | None = None) -> tuple[int, int]:
        match: dict[str, Any] = {"kind": kind, "expires": {"$gt": time.time()}}
        if owner is not None:
            match["owner"] = owner
        cursor = self.db[STATE].find(match, {"size": 1})
        rows = await _wait(cursor.to_list(None)) if hasattr(cursor, "to_list") else list(cursor)
        return len(rows), sum(int(row.get("size", 0)) for row in rows)

    async def hit(self, kind: str, key: str, *, window: float) -> int:
        ident, now = _id(kind, key), time.time()
        await _wait(self.db[STATE].delete_one({"_id": ident, "expires": {"$lte": now}}))
        try:
            document = await _wait(
                self.db[STATE].find_one_and_update(
                    {"_id": ident},
                    {
                        "$inc": {"size": 1},
                        "$setOnInsert": {"kind": kind, "value": {}, "expires": now + window},
                    },
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            )
        except DuplicateKeyError:  # two first hits at once: the other one inserted it
            return await self.hit(kind, key, window=window)
        return int(document["size"])

    def read_set_body(self, keys: Iterable[str]) -> bytes:
        return orjson.dumps(list(keys))  # the keys themselves: the log of touches holds them

    async def read_set_changed(self, kind: str, key: str, generation: int) -> bool:
        entry = await self.get(kind, key)
        if entry is None or entry.body is None:
            return True
        try:
            keys = orjson.loads(entry.body)
        except orjson.JSONDecodeError:  # not a read set this version wrote: rebuild it
            return True
        if not isinstance(keys, list):
            return True
        moved = await _wait(
            self.db[TOUCHES].find_one({"generation": {"$gt": generation}, "keys": {"$in": keys}})
        )
        return moved is not None

    async def release_memory(self) -> None:
        return None  # the server keeps no cache of its own: MongoDB's is the server's business

    async def generation(self) -> int:
        document = await _wait(self.db[STATE].find_one({"_id": GENERATION}))
        return int(document["value"]) if document else 0

    async def _sweep(self) -> None:
        now = time.time()
        await _wait(self.db[STATE].delete_many({"expires": {"$lte": now}}))
        await _wait(self.db[CHUNKS].delete_many({"expires": {"$lte": now}}))
