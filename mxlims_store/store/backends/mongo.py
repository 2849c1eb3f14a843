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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pymongo import DeleteOne, IndexModel, InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError

from mxlims_store.errors import InvalidMessage, Problem, WriteConflict
from mxlims_store.store.backends.base import Document, Sort, Write
from mxlims_store.store.backends.mongo_state import bump_generation
from mxlims_store.store.collections import HISTORY, INDEXES
from mxlims_store.store.filters import parse, parse_path

DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class Op:
    """One write of a bulk: ``insert`` a document, ``replace`` or ``delete`` where ``filter``."""

    kind: Literal["insert", "replace", "delete"]
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
    async def in_transaction(self, work: Any) -> None:
        """Run ``await work(session)`` in a transaction (only called when transactions exist)."""

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

    async def in_transaction(self, work: Any) -> None:
        async with self.client.start_session() as session:
            await session.with_transaction(work)

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
            models = [IndexModel([(f, 1) for f in index.fields]) for index in indexes]
            await self.driver.create_indexes(collection, models)

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

    async def _commit_in_transaction(self, writes: list[Write]) -> None:
        async def work(session: Any) -> None:
            for collection, group in _by_collection(writes).items():
                self.round_trips += 1
                outcome = await self.driver.bulk(
                    collection, [_op(w) for w in group], ordered=True, session=session
                )
                if outcome.duplicates or outcome.applied != len(group):
                    raise WriteConflict([w.uuid for w in group])
            self.round_trips += 1
            await self.driver.bulk(
                HISTORY,
                [Op("insert", {}, w.history) for w in writes],
                ordered=True,
                session=session,
            )

        await self.driver.in_transaction(work)

    async def _commit_in_steps(self, writes: list[Write]) -> None:
        # History first, keyed by the change: a re-run after a crash writes the same entries
        # (duplicates are skipped), and no object exists without its entry.
        entries = [Op("insert", {}, w.history) for w in writes if w.history]
        if entries:
            self.round_trips += 1
            await self.driver.bulk(HISTORY, entries, ordered=False)
        lost: list[Write] = []
        for collection, group in _by_collection(writes).items():
            self.round_trips += 1
            outcome = await self.driver.bulk(collection, [_op(w) for w in group], ordered=False)
            if outcome.applied != len(group):
                lost += await self._not_landed(collection, group)
        if lost:
            self.round_trips += 1
            await self.driver.delete_ids(HISTORY, [w.history["_id"] for w in lost if w.history])
            raise WriteConflict([w.uuid for w in lost])

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
