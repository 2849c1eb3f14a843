"""MongoDB at facility scale, through PyMongo's async API (or, in tests, the mongomock double).

The backend speaks to a small :class:`MongoDriver`; :class:`PymongoDriver` is the real one. Every
filter is checked against the query subset and re-emitted from its parsed form, so nothing
outside the subset ever reaches the server.

Writes use a transaction where the server offers one (a replica set, as in the compose file, or
a sharded cluster): an import, a PATCH or a DELETE is stored with its history or not at all. On
a standalone server they cannot be: history is written first (keyed so that a re-run writes the
same entries), then the objects; a write that lost a race has its history entry removed, and an
interrupted import is completed by running it again (uuids and entries are derived from the
message's content).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from pymongo import DeleteOne, IndexModel, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from mxlims_store.errors import InvalidMessage, Problem, WriteConflict
from mxlims_store.store.backends.base import Document, Sort, Write
from mxlims_store.store.backends.mongo_state import TOUCHES, bump_generation
from mxlims_store.store.collections import HISTORY, INDEXES, Index
from mxlims_store.store.filters import parse, parse_path

DUPLICATE_KEY = 11000
T = TypeVar("T")


@dataclass(frozen=True)
class Op:
    """One write of a bulk: ``insert`` a document, ``replace`` or ``delete`` where ``filter``."""

    kind: Literal["insert", "replace", "delete", "update"]
    filter: Document
    document: Document | None = None


@dataclass
class BulkOutcome:
    """Counts of a bulk, and the positions of the inserts refused as duplicates."""

    applied: int = 0
    duplicates: list[int] = field(default_factory=list)


class MongoDriver(Protocol):
    """The few calls the backend makes; a session is opaque and may be None."""

    db: Any  # the database handle (server state uses its collections directly)

    async def command(self, name: str) -> Document: ...
    async def create_indexes(self, collection: str, indexes: list[IndexModel]) -> None: ...
    async def find(
        self, collection: str, filter: Document, sort: Sort, limit: int, session: Any = None
    ) -> list[Document]: ...
    async def count(self, collection: str, filter: Document) -> int: ...
    async def aggregate(self, collection: str, pipeline: list[Document]) -> list[Document]: ...
    async def bulk(
        self, collection: str, ops: list[Op], *, ordered: bool, session: Any = None
    ) -> BulkOutcome: ...
    async def delete_ids(self, collection: str, ids: list[str]) -> None: ...
    async def in_transaction(self, work: Any) -> Any:
        """Run ``await work(session)`` in a transaction (only called when transactions exist);
        its answer."""

    async def close(self) -> None: ...


class PymongoDriver:
    """:class:`MongoDriver` over ``pymongo.AsyncMongoClient(...)[database]``."""

    def __init__(self, client: Any, database: str) -> None:
        self.client = client
        self.db = client[database]

    async def command(self, name: str) -> Document:
        result: Document = await self.db.command(name)
        return result

    async def create_indexes(self, collection: str, indexes: list[IndexModel]) -> None:
        await self.db[collection].create_indexes(indexes)

    async def find(
        self, collection: str, filter: Document, sort: Sort, limit: int, session: Any = None
    ) -> list[Document]:
        cursor = self.db[collection].find(
            filter, sort=list(sort) or None, limit=limit, session=session
        )
        documents: list[Document] = await cursor.to_list(None)
        return documents

    async def count(self, collection: str, filter: Document) -> int:
        return int(await self.db[collection].count_documents(filter))

    async def aggregate(self, collection: str, pipeline: list[Document]) -> list[Document]:
        cursor = await self.db[collection].aggregate(pipeline)
        rows: list[Document] = await cursor.to_list(None)
        return rows

    async def bulk(
        self, collection: str, ops: list[Op], *, ordered: bool, session: Any = None
    ) -> BulkOutcome:
        requests: list[Any] = [
            InsertOne(op.document)
            if op.kind == "insert"
            else ReplaceOne(op.filter, op.document)
            if op.kind == "replace"
            else UpdateOne(op.filter, op.document or {})
            if op.kind == "update"
            else DeleteOne(op.filter)
            for op in ops
        ]
        try:
            result = await self.db[collection].bulk_write(
                requests, ordered=ordered, session=session
            )
        except BulkWriteError as error:
            details = error.details
            failures = details.get("writeErrors", [])
            refused = [f for f in failures if f.get("code") != DUPLICATE_KEY]
            if refused:
                problems = [Problem(str(f.get("index")), str(f.get("errmsg"))) for f in refused]
                raise InvalidMessage(problems, "the database refused some objects") from error
            applied = details.get("nInserted", 0) + details.get("nMatched", 0)
            applied += details.get("nRemoved", 0)
            return BulkOutcome(applied, [f["index"] for f in failures])
        return BulkOutcome(result.inserted_count + result.matched_count + result.deleted_count)

    async def delete_ids(self, collection: str, ids: list[str]) -> None:
        await self.db[collection].delete_many({"_id": {"$in": ids}})

    async def in_transaction(self, work: Any) -> Any:
        async with self.client.start_session() as session:
            return await session.with_transaction(work)

    async def close(self) -> None:
        await self.client.close()


class MongoBackend:
    name = "mongodb"

    def __init__(self, driver: MongoDriver) -> None:
        self.driver = driver
        self.transactional = False
        self.round_trips = 0

    async def ping(self) -> None:
        self.round_trips += 1
        await self.driver.command("ping")

    async def prepare(self) -> None:
        self.round_trips += 1
        hello = await self.driver.command("hello")
        self.transactional = bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"
        for collection, indexes in INDEXES.items():
            if not indexes:
                continue
            self.round_trips += 1
            models = [_index_model(index) for index in indexes]
            await self.driver.create_indexes(collection, models)
        # the download cache's freshness check (mongo_state): did a later commit touch a key?
        self.round_trips += 1
        await self.driver.create_indexes(TOUCHES, [IndexModel([("keys", 1), ("generation", 1)])])

    async def find(
        self, collection: str, filter: Document, *, sort: Sort = (), limit: int | None = None
    ) -> list[Document]:
        self.round_trips += 1
        for name, _ in sort:
            parse_path(name)
        return await self.driver.find(collection, parse(filter).to_mongo(), sort, limit or 0)

    async def count(self, collection: str, filter: Document) -> int:
        self.round_trips += 1
        return await self.driver.count(collection, parse(filter).to_mongo())

    async def count_by(self, collection: str, filter: Document, field: str) -> dict[Any, int]:
        self.round_trips += 1
        parse_path(field)
        pipeline = [
            {"$match": parse(filter).to_mongo()},
            {"$group": {"_id": f"${field}", "n": {"$sum": 1}}},
        ]
        rows = await self.driver.aggregate(collection, pipeline)
        return {row["_id"]: int(row["n"]) for row in rows}

    async def commit(self, writes: Sequence[Write]) -> None:
        if not writes:
            return
        try:
            if self.transactional:
                await self._commit_in_transaction(list(writes))
            else:
                await self._commit_in_steps(list(writes))
        finally:  # also after a partial write on a standalone server: built downloads are stale
            await bump_generation(self.driver.db, writes)

    async def unit(self, work: Callable[[Any], Awaitable[T]]) -> T:
        units: list[MongoUnit] = []

        def attempt(session: Any) -> Awaitable[T]:
            units.append(MongoUnit(self, session))
            return work(units[-1])

        try:
            if self.transactional:
                return await self.driver.in_transaction(attempt)  # type: ignore[no-any-return]
            return await attempt(None)
        finally:  # after the transaction ended: built downloads are stale from now on
            written = [w for unit in units for w in unit.written]
            if written:
                await bump_generation(self.driver.db, written)

    async def _commit_in_transaction(self, writes: list[Write]) -> None:
        await self.driver.in_transaction(lambda session: self.write_in(session, writes))

    async def write_in(self, session: Any, writes: list[Write]) -> None:
        """Every write and its history entry, in the caller's session transaction."""
        for collection, group in _by_collection(writes).items():
            await self._free_slots(collection, group, session)
            self.round_trips += 1
            outcome = await self.driver.bulk(
                collection, [_op(w) for w in group], ordered=True, session=session
            )
            if outcome.duplicates or outcome.applied != len(group):
                raise WriteConflict([w.uuid for w in group])
        entries = [Op("insert", {}, w.history) for w in writes if w.history]
        if entries:  # bookkeeping alone (a counter, a number) records no history
            self.round_trips += 1
            await self.driver.bulk(HISTORY, entries, ordered=True, session=session)

    async def _commit_in_steps(self, writes: list[Write]) -> None:
        # History first, keyed by the change: a re-run after a crash writes the same entries
        # (duplicates are skipped), and no object exists without its entry.
        entries = [Op("insert", {}, w.history) for w in writes if w.history]
        if entries:
            self.round_trips += 1
            await self.driver.bulk(HISTORY, entries, ordered=False)
        lost: list[Write] = []
        for collection, group in _by_collection(writes).items():
            await self._free_slots(collection, group, None)
            self.round_trips += 1
            outcome = await self.driver.bulk(collection, [_op(w) for w in group], ordered=False)
            if outcome.applied != len(group):
                lost += await self._not_landed(collection, group)
        if lost:
            self.round_trips += 1
            await self.driver.delete_ids(HISTORY, [w.history["_id"] for w in lost if w.history])
            raise WriteConflict([w.uuid for w in lost])

    async def _free_slots(self, collection: str, group: list[Write], session: Any) -> None:
        """Take the position off the objects this write moves or deletes (at the revision it
        read), so that the unique index judges only where they end: pins swapping places in one
        write never collide half-way."""
        if not any(i.unique for i in INDEXES.get(collection, [])):
            return
        ops = [
            Op(
                "update",
                {"_id": w.uuid, "_meta.revision": w.expected_revision},
                {"$unset": {"_meta.slot": ""}},
            )
            for w in group
            if w.expected_revision is not None
        ]
        if ops:
            self.round_trips += 1
            await self.driver.bulk(collection, ops, ordered=False, session=session)

    async def _not_landed(self, collection: str, group: list[Write]) -> list[Write]:
        self.round_trips += 1
        ids = [w.uuid for w in group]
        stored = {
            d["_id"]: d for d in await self.driver.find(collection, {"_id": {"$in": ids}}, (), 0)
        }
        lost = []
        for write in group:
            now = stored.get(write.uuid)
            if write.document is None:
                landed = now is None
            else:
                landed = now is not None and now.get("_meta") == write.document.get("_meta")
            if not landed:
                lost.append(write)
        return lost

    async def close(self) -> None:
        await self.driver.close()


def _by_collection(writes: list[Write]) -> dict[str, list[Write]]:
    groups: dict[str, list[Write]] = {}
    for write in writes:
        groups.setdefault(write.collection, []).append(write)
    return groups


def _op(write: Write) -> Op:
    if write.expected_revision is None:
        return Op("insert", {}, write.document)
    where = {"_id": write.uuid, "_meta.revision": write.expected_revision}
    return Op("delete", where) if write.document is None else Op("replace", where, write.document)


def _index_model(index: Index) -> IndexModel:
    keys = [(f, 1) for f in index.fields]
    if not index.unique:
        return IndexModel(keys)
    # unique over the documents holding the last field only (objects placed in a container)
    present = {index.fields[-1]: {"$exists": True}}
    return IndexModel(keys, unique=True, partialFilterExpression=present)


from mxlims_store.store.backends.mongo_unit import MongoUnit  # noqa: E402  (uses MongoBackend)
