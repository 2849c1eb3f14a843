"""A unit of work on MongoDB: read, check and write as one.

On a replica set (or sharded cluster) the unit is a session transaction: every read and the
commit pass the session, and the server refuses a commit whose reads were overtaken (a write
conflict, retried by the driver's ``with_transaction`` or by the caller).

On a standalone server (and the mongomock double) there is no transaction. The unit then
remembers, for every logistical sample it read, the counter ``_meta.children``; its commit
first bumps that counter on each container whose contents it changes (a pin moved into a puck,
a puck into a dewar), over the value it read. Two units filling the same puck cannot both bump
from the same value: the second gets a WriteConflict before it writes anything, and its caller
runs it again, reading what the first wrote. The unique index on (containerId, ``_meta.slot``)
refuses two objects at one position whatever the interleaving. What is left to chance on a
standalone server: a barcode reused by two units whose objects land in different containers of
one shipment in the same instant (a replica set, as in the compose file, closes that too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from mxlims_store.errors import WriteConflict
from mxlims_store.store.backends.base import Document, Sort, Write

if TYPE_CHECKING:
    from mxlims_store.store.backends.mongo import MongoBackend

T = TypeVar("T")
CONTAINERS = "logistical_samples"
COUNTER = "_meta.children"


class MongoUnit:
    name = "mongodb"

    def __init__(self, backend: MongoBackend, session: Any) -> None:
        self.backend = backend
        self.session = session
        self.transactional = session is not None
        self.seen: dict[str, int] = {}  # container uuid -> its _meta.children as read
        self.written: list[Write] = []  # what this attempt wrote (the store's generation moves)

    @property
    def round_trips(self) -> int:
        return self.backend.round_trips

    async def ping(self) -> None:
        await self.backend.ping()

    async def prepare(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def unit(self, work: Callable[[Any], Awaitable[T]]) -> T:
        return await work(self)

    async def find(
        self, collection: str, filter: Document, *, sort: Sort = (), limit: int | None = None
    ) -> list[Document]:
        from mxlims_store.store.filters import parse, parse_path

        self.backend.round_trips += 1
        for name, _ in sort:
            parse_path(name)
        found = await self.backend.driver.find(
            collection, parse(filter).to_mongo(), sort, limit or 0, session=self.session
        )
        if collection == CONTAINERS:
            for document in found:
                self.seen.setdefault(document["_id"], _counter(document))
        return found

    async def count(self, collection: str, filter: Document) -> int:
        return await self.backend.count(collection, filter)

    async def count_by(self, collection: str, filter: Document, field: str) -> dict[Any, int]:
        return await self.backend.count_by(collection, filter, field)

    async def commit(self, writes: Sequence[Write]) -> None:
        if not writes:
            return
        self.written.extend(writes)
        if self.transactional:
            await self.backend.write_in(self.session, list(writes))
            return
        await self._bump_containers(list(writes))
        await self.backend.commit(writes)

    async def _bump_containers(self, writes: list[Write]) -> None:
        from mxlims_store.store.backends.mongo import Op

        written = {w.uuid for w in writes}
        containers = sorted(
            {
                w.document["containerId"]
                for w in writes
                if w.collection == CONTAINERS
                and w.document is not None
                and isinstance(w.document.get("containerId"), str)
                and w.document["containerId"] not in written  # its own revision guards it
            }
        )
        unread = [c for c in containers if c not in self.seen]
        if unread:
            await self.find(CONTAINERS, {"_id": {"$in": unread}})
        ops = [
            Op(
                "update",
                {"_id": c, COUNTER: self.seen[c]} if self.seen[c] else _never_bumped(c),
                {"$inc": {COUNTER: 1}},
            )
            for c in containers
            if c in self.seen  # a container not stored: the rules have refused it already
        ]
        if not ops:
            return
        self.backend.round_trips += 1
        outcome = await self.backend.driver.bulk(CONTAINERS, ops, ordered=False)
        if outcome.applied != len(ops):
            raise WriteConflict(containers)


def _counter(document: Document) -> int:
    return int((document.get("_meta") or {}).get("children") or 0)


def _never_bumped(uuid: str) -> Document:
    return {"_id": uuid, "$or": [{COUNTER: {"$exists": False}}, {COUNTER: 0}]}
