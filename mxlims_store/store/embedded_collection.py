"""``EmbeddedCollection``: ``AsyncCollection``'s shape over one mongomock collection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pymongo import IndexModel, ReturnDocument
from pymongo.common import (
    validate_is_document_type,
    validate_ok_for_replace,
    validate_ok_for_update,
)
from pymongo.errors import BulkWriteError, InvalidOperation
from pymongo.results import (
    BulkWriteResult,
    DeleteResult,
    InsertManyResult,
    InsertOneResult,
    UpdateResult,
)

from mxlims_store.store import embedded_ops as ops
from mxlims_store.store.embedded_cursor import EmbeddedCommandCursor, EmbeddedCursor

if TYPE_CHECKING:
    from mxlims_store.store.embedded import EmbeddedDatabase


class EmbeddedCollection:
    """``AsyncCollection``'s shape: ``find`` is sync (returns a cursor), the rest are coroutines."""

    def __init__(self, database: EmbeddedDatabase, name: str) -> None:
        self.database = database
        self.name = name
        self.full_name = f"{database.name}.{name}"
        self._client = database.client
        self._mongomock = ops.indexed(database._mongomock[name])

    def _record(self, op: str, **fields: Any) -> dict[str, Any]:
        return {"d": self.database.name, "c": self.name, "op": op, **fields}

    def _write(self, requests: list[ops.Request], ordered: bool = True) -> ops.Outcome:
        """Apply, journal what was applied (even if it then failed), re-raise a crash."""
        self._client._journalable(requests)
        outcome = ops.execute(self._mongomock, requests, ordered)
        if outcome.applied:
            self._client._journal(self._record("bulk", ordered=ordered, reqs=outcome.applied))
        if outcome.fatal is not None:
            raise outcome.fatal
        return outcome

    def _write_one(self, request: ops.Request) -> Any:
        outcome = self._write([request])
        if outcome.first_error is not None:
            raise outcome.first_error
        return outcome.results[0]

    # -- reads ---------------------------------------------------------------------------

    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        projection: Any = None,
        *,
        sort: Any = None,
        skip: int = 0,
        limit: int = 0,
    ) -> EmbeddedCursor:
        if filter is not None:
            validate_is_document_type("filter", filter)
        cursor = EmbeddedCursor(
            self._run_find, {"filter": filter, "projection": projection, "skip": skip}
        )
        cursor.limit(limit)
        if sort is not None:
            cursor.sort(sort)
        return cursor

    def _run_find(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        self._client._call()
        options = {**options, "limit": abs(options.get("limit", 0))}
        return list(self._mongomock.find(**options))

    async def find_one(
        self, filter: Any = None, projection: Any = None, **kwargs: Any
    ) -> dict[str, Any] | None:
        if filter is not None and not isinstance(filter, Mapping):
            filter = {"_id": filter}
        documents = await self.find(filter, projection, **kwargs).limit(1).to_list()
        return documents[0] if documents else None

    async def count_documents(self, filter: Mapping[str, Any], **kwargs: Any) -> int:
        self._client._call()
        options = {key: kwargs[key] for key in ("skip", "limit") if key in kwargs}
        return int(self._mongomock.count_documents(filter, **options))

    async def estimated_document_count(self, **kwargs: Any) -> int:
        self._client._call()
        return int(self._mongomock.estimated_document_count())

    async def distinct(
        self, key: str, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[Any]:
        self._client._call()
        return list(self._mongomock.distinct(key, filter))

    async def aggregate(
        self, pipeline: list[dict[str, Any]], **kwargs: Any
    ) -> EmbeddedCommandCursor:
        self._client._call()
        writes = any(
            isinstance(stage, Mapping) and {"$out", "$merge"} & set(stage) for stage in pipeline
        )
        if writes:
            self._client._journalable(pipeline)
        documents = ops.run_aggregate(self._mongomock, pipeline)
        if writes:
            self._client._journal(self._record("aggregate", pipeline=pipeline))
        return EmbeddedCommandCursor(documents)

    # -- writes --------------------------------------------------------------------------

    async def insert_one(self, document: Any, **kwargs: Any) -> InsertOneResult:
        validate_is_document_type("document", document)
        self._client._call()
        result = self._write_one({"t": "InsertOne", "doc": document})
        return InsertOneResult(result.inserted_id, acknowledged=True)

    async def insert_many(
        self, documents: Iterable[Any], ordered: bool = True, **kwargs: Any
    ) -> InsertManyResult:
        if not isinstance(documents, Iterable) or isinstance(documents, Mapping):
            raise TypeError("documents must be a non-empty list")
        documents = list(documents)
        if not documents:
            raise TypeError("documents must be a non-empty list")
        for document in documents:
            validate_is_document_type("document", document)
        self._client._call()
        outcome = self._write([{"t": "InsertOne", "doc": doc} for doc in documents], ordered)
        if outcome.write_errors:
            raise BulkWriteError(outcome.bulk_api_result())
        return InsertManyResult([doc["_id"] for doc in documents], acknowledged=True)

    def _update(self, kind: str, filter: Any, doc: Any, upsert: bool) -> UpdateResult:
        validate_is_document_type("filter", filter)
        (validate_ok_for_replace if kind == "ReplaceOne" else validate_ok_for_update)(doc)
        request = {"t": kind, "filter": filter, "doc": doc, "upsert": bool(upsert)}
        self._client._call()
        result = self._write_one(request)
        return UpdateResult(result.raw_result, acknowledged=True)

    async def replace_one(
        self, filter: Mapping[str, Any], replacement: Any, upsert: bool = False, **kwargs: Any
    ) -> UpdateResult:
        return self._update("ReplaceOne", filter, replacement, upsert)

    async def update_one(
        self, filter: Mapping[str, Any], update: Any, upsert: bool = False, **kwargs: Any
    ) -> UpdateResult:
        return self._update("UpdateOne", filter, update, upsert)

    async def update_many(
        self, filter: Mapping[str, Any], update: Any, upsert: bool = False, **kwargs: Any
    ) -> UpdateResult:
        return self._update("UpdateMany", filter, update, upsert)

    async def delete_one(self, filter: Mapping[str, Any], **kwargs: Any) -> DeleteResult:
        validate_is_document_type("filter", filter)
        self._client._call()
        result = self._write_one({"t": "DeleteOne", "filter": filter})
        return DeleteResult(result.raw_result, acknowledged=True)

    async def delete_many(self, filter: Mapping[str, Any], **kwargs: Any) -> DeleteResult:
        validate_is_document_type("filter", filter)
        self._client._call()
        result = self._write_one({"t": "DeleteMany", "filter": filter})
        return DeleteResult(result.raw_result, acknowledged=True)

    async def bulk_write(
        self, requests: Iterable[Any], ordered: bool = True, **kwargs: Any
    ) -> BulkWriteResult:
        normalized = [ops.normalize(request) for request in requests]
        if not normalized:
            raise InvalidOperation("No operations to execute")
        self._client._call()
        outcome = self._write(normalized, ordered)
        if outcome.write_errors:
            raise BulkWriteError(outcome.bulk_api_result())
        return BulkWriteResult(outcome.bulk_api_result(), acknowledged=True)

    async def find_one_and_update(
        self,
        filter: Mapping[str, Any],
        update: Any,
        projection: Any = None,
        sort: Any = None,
        upsert: bool = False,
        return_document: bool = ReturnDocument.BEFORE,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        validate_ok_for_update(update)
        return self._find_and_write(
            "UpdateOne", filter, update, projection, sort, upsert, return_document
        )

    async def find_one_and_replace(
        self,
        filter: Mapping[str, Any],
        replacement: Any,
        projection: Any = None,
        sort: Any = None,
        upsert: bool = False,
        return_document: bool = ReturnDocument.BEFORE,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        validate_ok_for_replace(replacement)
        return self._find_and_write(
            "ReplaceOne", filter, replacement, projection, sort, upsert, return_document
        )

    async def find_one_and_delete(
        self, filter: Mapping[str, Any], projection: Any = None, sort: Any = None, **kwargs: Any
    ) -> dict[str, Any] | None:
        return self._find_and_write("DeleteOne", filter, None, projection, sort, False, False)

    def _find_and_write(
        self,
        kind: str,
        filter: Any,
        doc: Any,
        projection: Any,
        sort: Any,
        upsert: bool,
        return_after: bool,
    ) -> dict[str, Any] | None:
        """Pick the one document first, then write it by ``_id``: a replay hits the same one."""
        validate_is_document_type("filter", filter)
        self._client._call()
        sort = None if sort is None else ops.index_keys(sort)
        target = self._mongomock.find_one(filter, {"_id": 1}, sort=sort)
        if target is None and not upsert:
            return None
        before = None
        if target is not None:
            where = {"_id": target["_id"]}
            before = self._mongomock.find_one(where, projection)
            request = {"t": kind, "filter": where, "doc": doc, "upsert": False}
        else:
            request = {"t": kind, "filter": filter, "doc": doc, "upsert": True}
        result = self._write_one(request)
        if not return_after or kind == "DeleteOne":
            return before
        key = target["_id"] if target is not None else result.upserted_id
        return self._mongomock.find_one({"_id": key}, projection)  # type: ignore[no-any-return]

    # -- indexes and the collection itself -------------------------------------------------

    def _create_indexes(self, specs: list[dict[str, Any]]) -> list[str]:
        self._client._call()
        self._client._journalable(specs)
        names: list[str] = []
        try:
            for spec in specs:
                names.extend(ops.create_indexes(self._mongomock, [spec]))
        finally:
            if names:
                record = self._record("create_indexes", specs=specs[: len(names)])
                self._client._journal(record)
        return names

    async def create_index(self, keys: Any, **kwargs: Any) -> str:
        keys = [list(pair) for pair in ops.index_keys(keys)]
        return self._create_indexes([{"keys": keys, "kw": kwargs}])[0]

    async def create_indexes(self, indexes: list[IndexModel], **kwargs: Any) -> list[str]:
        specs = []
        for model in indexes:
            if not isinstance(model, IndexModel):
                raise TypeError(f"{model!r} is not an instance of pymongo.operations.IndexModel")
            document = dict(model.document)
            keys = [list(pair) for pair in document.pop("key").items()]
            specs.append({"keys": keys, "kw": document})
        return self._create_indexes(specs)

    async def index_information(self, **kwargs: Any) -> dict[str, Any]:
        self._client._call()
        return dict(self._mongomock.index_information())

    async def list_indexes(self, **kwargs: Any) -> EmbeddedCommandCursor:
        self._client._call()
        information = self._mongomock.index_information()
        return EmbeddedCommandCursor(
            [
                {"v": 2, **info, "key": dict(info["key"]), "name": name}
                for name, info in information.items()
            ]
        )

    async def drop_index(self, index_or_name: Any, **kwargs: Any) -> None:
        self._client._call()
        name = index_or_name
        if not isinstance(name, str):
            name = "_".join(f"{key}_{direction}" for key, direction in ops.index_keys(name))
        self._mongomock.drop_index(name)
        self._client._journal(self._record("drop_index", name=name))

    async def drop_indexes(self, **kwargs: Any) -> None:
        self._client._call()
        self._mongomock.drop_indexes()
        self._client._journal(self._record("drop_indexes"))

    async def drop(self, **kwargs: Any) -> None:
        await self.database.drop_collection(self.name)
