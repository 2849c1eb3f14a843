"""The in-memory double of MongoDB for tests: :class:`MongoDriver` over mongomock.

Only mongomock's public, single-document API is used (its ``bulk_write`` is broken with
pymongo >= 4.11, mongomock issue 912), so nothing here reaches into private attributes of
mongomock or pymongo. A standalone server has no transactions, and neither has the double: the
Mongo backend's step-by-step commit is what the tests exercise here.
"""

from __future__ import annotations

from typing import Any

import mongomock
from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError

from mxlims_store.store.backends.base import Document, Sort
from mxlims_store.store.backends.mongo import BulkOutcome, Op


class MongomockDriver:
    def __init__(self, database: str = "mxlims_test") -> None:
        self.client: Any = mongomock.MongoClient()
        self.db = self.client[database]

    async def command(self, name: str) -> Document:
        return {"ok": 1.0} if name == "ping" else {"isWritablePrimary": True}

    async def create_indexes(self, collection: str, indexes: list[IndexModel]) -> None:
        # mongomock enforces unique indexes, partial ones included (partialFilterExpression
        # with $exists), on insert_one and replace_one: the double refuses what MongoDB refuses.
        # An index already there is left alone, as MongoDB's createIndexes does (mongomock would
        # re-check a partial unique index against every document, ignoring its filter).
        present = set(self.db[collection].index_information())
        for index in indexes:
            if index.document["name"] in present:
                continue
            options = {k: v for k, v in index.document.items() if k not in ("key", "name")}
            self.db[collection].create_index(list(index.document["key"].items()), **options)

    async def find(
        self, collection: str, filter: Document, sort: Sort, limit: int, session: Any = None
    ) -> list[Document]:
        cursor = self.db[collection].find(filter)
        if sort:
            cursor = cursor.sort(list(sort))
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    async def count(self, collection: str, filter: Document) -> int:
        return int(self.db[collection].count_documents(filter))

    async def aggregate(self, collection: str, pipeline: list[Document]) -> list[Document]:
        return list(self.db[collection].aggregate(pipeline))

    async def bulk(
        self, collection: str, ops: list[Op], *, ordered: bool, session: Any = None
    ) -> BulkOutcome:
        outcome = BulkOutcome()
        target = self.db[collection]
        for position, op in enumerate(ops):
            if op.kind == "insert":
                try:
                    target.insert_one(dict(op.document or {}))
                except DuplicateKeyError:
                    outcome.duplicates.append(position)
                    if ordered:
                        break
                    continue
                outcome.applied += 1
            elif op.kind == "replace":
                try:
                    outcome.applied += target.replace_one(op.filter, op.document).matched_count
                except DuplicateKeyError:  # a unique index (a taken position) refused it
                    outcome.duplicates.append(position)
            elif op.kind == "update":
                outcome.applied += target.update_one(op.filter, op.document or {}).matched_count
            else:
                outcome.applied += target.delete_one(op.filter).deleted_count
        return outcome

    async def delete_ids(self, collection: str, ids: list[str]) -> None:
        self.db[collection].delete_many({"_id": {"$in": ids}})

    async def in_transaction(self, work: Any) -> None:  # pragma: no cover - never transactional
        raise NotImplementedError("the mongomock double has no transactions")

    async def close(self) -> None:
        self.client.close()
