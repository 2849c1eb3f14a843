"""Write execution against mongomock for the embedded backend, shared by live calls and replay.

Every write is reduced to a list of plain requests, ``{"t": "ReplaceOne", "filter": ...,
"doc": ..., "upsert": true}``, executed one at a time with mongomock's single-document methods.
That sidesteps mongomock's own ``bulk_write`` (broken with pymongo >= 4.11, mongomock issue
912) and yields requests that are journaled as they were applied: an upsert that generated an
``_id`` is rewritten to carry it in its filter, so a replay rebuilds exactly the same documents.

mongomock scans every document for every filter; the collection class below adds the one
shortcut the store needs: ``{"_id": value}`` and ``{"_id": {"$in": [...]}}`` filters are looked up
instead of scanned (6,500 upserts by _id take ~0.5 s instead of ~20 s).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from mongomock import aggregate as mongomock_aggregate
from mongomock.collection import Collection as MongomockCollection
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.common import (
    validate_is_document_type,
    validate_ok_for_replace,
    validate_ok_for_update,
)
from pymongo.errors import OperationFailure

Request = dict[str, Any]
_LOOKUP_TYPES = (str, ObjectId)


class IdIndexedCollection(MongomockCollection):
    """mongomock's collection with direct ``_id`` lookups instead of full scans."""

    def _iter_documents(self, filter: Any) -> Any:
        if type(filter) is dict and len(filter) == 1 and "_id" in filter:
            wanted = filter["_id"]
            store = self._store
            if type(wanted) in _LOOKUP_TYPES:
                return iter([store[wanted]] if wanted in store else [])
            if (
                type(wanted) is dict
                and len(wanted) == 1
                and type(wanted.get("$in")) is list
                and all(type(value) in _LOOKUP_TYPES for value in wanted["$in"])
            ):
                ids = set(wanted["$in"])
                return iter([doc for doc in store.documents if doc["_id"] in ids])
        return super()._iter_documents(filter)  # type: ignore[no-untyped-call]


def indexed(collection: Any) -> Any:
    """Give a mongomock collection the ``_id`` shortcut (mongomock caches one per name)."""
    if type(collection) is MongomockCollection:
        collection.__class__ = IdIndexedCollection
    return collection


def normalize(request: Any) -> Request:
    """A pymongo request object as a plain, journal-ready request (validated like pymongo)."""
    if isinstance(request, InsertOne):
        validate_is_document_type("document", request._doc)
        return {"t": "InsertOne", "doc": request._doc}
    if isinstance(request, DeleteOne | DeleteMany):
        if request._collation is not None:
            raise NotImplementedError("the embedded backend does not support collation")
        return {"t": type(request).__name__, "filter": request._filter}
    if isinstance(request, UpdateOne | UpdateMany | ReplaceOne):
        if request._collation is not None or request._sort is not None:
            raise NotImplementedError("the embedded backend does not support collation or sort")
        if isinstance(request, ReplaceOne):
            validate_ok_for_replace(request._doc)
        else:
            validate_ok_for_update(request._doc)
            if request._array_filters:
                raise NotImplementedError("the embedded backend does not support array_filters")
        return {
            "t": type(request).__name__,
            "filter": request._filter,
            "doc": request._doc,
            "upsert": bool(request._upsert),
        }
    raise TypeError(f"{request!r} is not a valid request")


@dataclass
class Outcome:
    """What a list of requests did: counts, errors and the requests to journal."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("nInserted", "nUpserted", "nMatched", "nModified", "nRemoved"), 0
        )
    )
    upserted: list[dict[str, Any]] = field(default_factory=list)
    write_errors: list[dict[str, Any]] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    applied: list[Request] = field(default_factory=list)
    first_error: BaseException | None = None
    fatal: BaseException | None = None

    def bulk_api_result(self) -> dict[str, Any]:
        return {
            "writeErrors": self.write_errors,
            "writeConcernErrors": [],
            **self.counts,
            "upserted": self.upserted,
        }


def _error_op(request: Request) -> Any:
    kind = request["t"]
    if kind == "InsertOne":
        return request["doc"]
    if kind.startswith("Delete"):
        return {"q": request["filter"], "limit": 1 if kind == "DeleteOne" else 0}
    return {
        "q": request["filter"],
        "u": request["doc"],
        "multi": kind == "UpdateMany",
        "upsert": request["upsert"],
    }


def _apply(collection: Any, index: int, request: Request, outcome: Outcome) -> Request:
    """Run one request; count it in ``outcome``; return it as it must be journaled."""
    kind = request["t"]
    counts = outcome.counts
    if kind == "InsertOne":
        result = collection.insert_one(request["doc"])  # sets doc["_id"], as pymongo does
        counts["nInserted"] += 1
    elif kind in ("DeleteOne", "DeleteMany"):
        delete = collection.delete_one if kind == "DeleteOne" else collection.delete_many
        result = delete(request["filter"])
        counts["nRemoved"] += result.deleted_count
    else:
        if kind == "ReplaceOne":
            method = collection.replace_one
        else:
            method = collection.update_one if kind == "UpdateOne" else collection.update_many
        result = method(request["filter"], request["doc"], upsert=request["upsert"])
        counts["nMatched"] += result.matched_count
        counts["nModified"] += result.modified_count or 0
        if result.upserted_id is not None:
            counts["nUpserted"] += 1
            outcome.upserted.append({"index": index, "_id": result.upserted_id})
            if request["filter"].get("_id") is None:
                request = {**request, "filter": {**request["filter"], "_id": result.upserted_id}}
    outcome.results.append(result)
    return request


def execute(collection: Any, requests: list[Request], ordered: bool) -> Outcome:
    """Apply ``requests`` like a pymongo bulk write; never raises (see ``Outcome``)."""
    outcome = Outcome()
    for index, request in enumerate(requests):
        try:
            outcome.applied.append(_apply(collection, index, request, outcome))
        except OperationFailure as exc:  # includes WriteError and DuplicateKeyError
            outcome.applied.append(request)  # may have changed something; replays the same
            outcome.results.append(None)
            outcome.first_error = outcome.first_error or exc
            outcome.write_errors.append(
                {
                    "index": index,
                    "code": exc.code if exc.code is not None else 2,
                    "errmsg": str(exc),
                    "op": _error_op(request),
                }
            )
            if ordered:
                break
        except Exception as exc:
            outcome.applied.append(request)
            outcome.fatal = exc
            break
    return outcome


def index_keys(keys: Any) -> list[tuple[str, Any]]:
    """pymongo's accepted index key shapes as a list of (field, direction) pairs."""
    if isinstance(keys, str):
        return [(keys, 1)]
    if isinstance(keys, Mapping):
        return list(keys.items())
    return [(key, 1) if isinstance(key, str) else (key[0], key[1]) for key in keys]


def index_specs(collection: Any) -> list[dict[str, Any]]:
    """The collection's indexes other than ``_id_``, as create_index keyword sets."""
    specs = []
    for name, info in collection.index_information().items():
        if name == "_id_":
            continue
        options = {key: value for key, value in info.items() if key not in ("key", "v", "ns")}
        keys = [list(pair) for pair in info["key"]]
        specs.append({"keys": keys, "kw": {"name": name, **options}})
    return specs


def create_indexes(collection: Any, specs: list[dict[str, Any]]) -> list[str]:
    return [collection.create_index(index_keys(spec["keys"]), **spec["kw"]) for spec in specs]


def dump_state(client: Any) -> dict[str, Any]:
    """Every database, collection, index and document, for the snapshot (not copied)."""
    databases: dict[str, Any] = {}
    for db_name in client.list_database_names():
        database = client[db_name]
        databases[db_name] = {
            name: {
                "indexes": index_specs(database[name]),
                "documents": list(database[name]._store.documents),
            }
            for name in database.list_collection_names()
        }
    return databases


def load_state(client: Any, databases: dict[str, Any]) -> None:
    """Rebuild what ``dump_state`` wrote, without re-validating each stored document."""
    for db_name, collections in databases.items():
        database = client[db_name]
        for name, content in collections.items():
            collection = indexed(database[name])
            store = collection._store
            store.create()
            for document in content["documents"]:
                key = document["_id"]
                if isinstance(key, dict):
                    collection.insert_one(document)
                else:
                    store[key] = document
            create_indexes(collection, content["indexes"])


def run_aggregate(collection: Any, pipeline: list[dict[str, Any]]) -> list[Any]:
    """mongomock's aggregate, but a leading $match is a find (no copy of the whole collection)."""
    if pipeline and isinstance(pipeline[0], Mapping) and list(pipeline[0]) == ["$match"]:
        documents = list(collection.find(pipeline[0]["$match"]))
        pipeline = pipeline[1:]
    else:
        documents = list(collection.find())
    database = collection.database
    stages: Any = mongomock_aggregate.process_pipeline
    return list(stages(documents, database, pipeline, None))


_REPLAYS: dict[str, Any] = {
    "bulk": lambda db, coll, rec: execute(coll, rec["reqs"], rec["ordered"]),
    "create_indexes": lambda db, coll, rec: create_indexes(coll, rec["specs"]),
    "drop_index": lambda db, coll, rec: coll.drop_index(rec["name"]),
    "drop_indexes": lambda db, coll, rec: coll.drop_indexes(),
    "create_collection": lambda db, coll, rec: db.create_collection(rec["c"]),
    "drop_collection": lambda db, coll, rec: db.drop_collection(rec["c"]),
    "aggregate": lambda db, coll, rec: run_aggregate(coll, rec["pipeline"]),
}


def replay(client: Any, record: dict[str, Any]) -> None:
    """Apply one journal record.

    A record may come from a call that raised after changing something (an ordered bulk that
    stopped at a duplicate key): replaying it raises the same error at the same point, which
    is ignored, so the state after replay equals the state the call left behind.
    """
    if record["op"] == "drop_database":
        client.drop_database(record["d"])
        return
    action = _REPLAYS.get(record["op"])
    if action is None:
        raise ValueError(f"unknown journal operation {record['op']!r} in record {record['s']}")
    database = client[record["d"]]
    with contextlib.suppress(Exception):
        action(database, indexed(database[record["c"]]), record)
