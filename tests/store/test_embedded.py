"""The embedded backend: PyMongo async shapes and behaviour over mongomock."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from pymongo import (
    DeleteMany,
    DeleteOne,
    IndexModel,
    InsertOne,
    ReplaceOne,
    ReturnDocument,
    UpdateMany,
    UpdateOne,
)
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.command_cursor import AsyncCommandCursor
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.asynchronous.mongo_client import AsyncMongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError, InvalidOperation

from mxlims_store.store.embedded import (
    EmbeddedClient,
    EmbeddedCollection,
    EmbeddedCommandCursor,
    EmbeddedCursor,
    EmbeddedDatabase,
)

ROOT = Path(__file__).resolve().parents[2]

# -- shapes -------------------------------------------------------------------------------

SHAPES = [
    (EmbeddedClient, AsyncMongoClient),
    (EmbeddedDatabase, AsyncDatabase),
    (EmbeddedCollection, AsyncCollection),
    (EmbeddedCursor, AsyncCursor),
    (EmbeddedCommandCursor, AsyncCommandCursor),
]


def _public_methods(cls: type) -> list[str]:
    return [
        name
        for name, value in inspect.getmembers(cls)
        if (not name.startswith("_") or name in ("__aiter__", "__anext__", "__getitem__"))
        and callable(value)
        and not isinstance(inspect.getattr_static(cls, name), property)
    ]


@pytest.mark.parametrize(("ours", "theirs"), SHAPES, ids=lambda cls: cls.__name__)
def test_async_exactly_where_pymongo_is(ours: type, theirs: type) -> None:
    shared = [name for name in _public_methods(ours) if hasattr(theirs, name)]
    assert shared
    wrong = [
        name
        for name in shared
        if inspect.iscoroutinefunction(getattr(ours, name))
        != inspect.iscoroutinefunction(getattr(theirs, name))
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("ours", "names"),
    [
        (EmbeddedCursor, ["to_list", "__aiter__", "__anext__", "sort", "skip", "limit", "close"]),
        (EmbeddedCommandCursor, ["to_list", "__aiter__", "__anext__", "close"]),
        (EmbeddedCollection, ["find", "aggregate", "bulk_write", "find_one_and_update"]),
    ],
    ids=lambda value: getattr(value, "__name__", "names"),
)
def test_the_methods_the_store_relies_on_exist(ours: type, names: list[str]) -> None:
    assert [name for name in names if not callable(getattr(ours, name, None))] == []


# -- CRUD ---------------------------------------------------------------------------------


@pytest.fixture
def client() -> EmbeddedClient:
    return EmbeddedClient()


async def test_ping_and_names(client: EmbeddedClient) -> None:
    assert await client.admin.command("ping") == {"ok": 1.0}
    db = client.get_database("lims")
    assert await db.command({"ping": 1}) == {"ok": 1.0}
    await db["samples"].insert_one({"_id": "a"})
    await db.create_collection("jobs")
    assert sorted(await db.list_collection_names()) == ["jobs", "samples"]
    assert "lims" in await client.list_database_names()
    await db.drop_collection("jobs")
    assert await db.list_collection_names() == ["samples"]
    await db["samples"].drop()
    assert await db.list_collection_names() == []


async def test_crud(client: EmbeddedClient) -> None:
    coll = client["lims"]["samples"]
    doc: dict[str, Any] = {"name": "x", "n": 1}
    result = await coll.insert_one(doc)
    assert isinstance(result.inserted_id, ObjectId)
    assert doc["_id"] == result.inserted_id  # pymongo fills in _id in place
    many = await coll.insert_many(
        [{"_id": f"s{i}", "n": i, "tags": ["a", f"t{i}"]} for i in range(5)]
    )
    assert many.inserted_ids == [f"s{i}" for i in range(5)]

    cursor = coll.find({"n": {"$gte": 1}}, {"tags": 0}).sort("n", -1).skip(1).limit(2)
    assert [d["n"] for d in await cursor.to_list()] == [3, 2]
    assert await cursor.to_list() == []
    with pytest.raises(InvalidOperation):
        cursor.limit(1)
    found = [d["_id"] async for d in coll.find({"tags": "a"}, sort=[("n", 1)], limit=3)]
    assert found == ["s0", "s1", "s2"]
    partial = coll.find({"tags": "a"})
    assert len(await partial.to_list(2)) == 2
    assert len(await partial.to_list()) == 3

    assert (await coll.find_one({"_id": "s2"}) or {})["n"] == 2
    assert await coll.find_one("s3") == {"_id": "s3", "n": 3, "tags": ["a", "t3"]}
    assert await coll.find_one({"_id": "missing"}) is None

    updated = await coll.update_one({"_id": "s1"}, {"$set": {"n": 10}})
    assert (updated.matched_count, updated.modified_count, updated.upserted_id) == (1, 1, None)
    updated = await coll.update_many({"tags": "a"}, {"$inc": {"n": 100}})
    assert (updated.matched_count, updated.modified_count) == (5, 5)
    upserted = await coll.update_one({"_id": "new"}, {"$set": {"n": 0}}, upsert=True)
    assert (upserted.matched_count, upserted.upserted_id) == (0, "new")
    replaced = await coll.replace_one({"_id": "s4"}, {"n": 4})
    assert (replaced.matched_count, replaced.modified_count) == (1, 1)
    assert await coll.find_one({"_id": "s4"}) == {"_id": "s4", "n": 4}

    assert (await coll.delete_one({"_id": "s4"})).deleted_count == 1
    assert (await coll.delete_many({"n": {"$gte": 100}})).deleted_count == 4
    assert await coll.count_documents({}) == 2
    assert await coll.estimated_document_count() == 2


async def test_results_are_copies(client: EmbeddedClient) -> None:
    coll = client["lims"]["samples"]
    inserted: dict[str, Any] = {"_id": "a", "nested": {"list": [1]}}
    await coll.insert_one(inserted)
    inserted["nested"]["list"].append(2)
    found = await coll.find_one({"_id": "a"})
    assert found is not None and found["nested"]["list"] == [1]
    found["nested"]["list"].append(3)
    listed = await coll.find({}).to_list()
    listed[0]["nested"]["list"].append(4)
    aggregated = await (await coll.aggregate([{"$match": {"_id": "a"}}])).to_list()
    aggregated[0]["nested"]["list"].append(5)
    assert await coll.find_one({"_id": "a"}) == {"_id": "a", "nested": {"list": [1]}}


async def test_bulk_write_upserts_absorb_mongomock_issue_912(client: EmbeddedClient) -> None:
    coll = client["lims"]["samples"]
    await coll.insert_one({"_id": "old", "n": 1})
    result = await coll.bulk_write(
        [
            ReplaceOne({"_id": "a"}, {"n": 1}, upsert=True),
            ReplaceOne({"_id": "old"}, {"n": 2}, upsert=True),
            UpdateOne({"name": "by-name"}, {"$set": {"n": 3}}, upsert=True),
            UpdateOne({"_id": "old"}, {"$inc": {"n": 1}}),
            UpdateMany({"n": {"$gte": 1}}, {"$set": {"seen": True}}),
            InsertOne({"_id": "ins", "n": 9}),
            DeleteOne({"_id": "ins"}),
            DeleteMany({"n": 99}),
        ]
    )
    assert result.upserted_count == 2
    assert result.matched_count == 1 + 1 + 3
    assert result.modified_count == 1 + 1 + 3
    assert result.inserted_count == 1
    assert result.deleted_count == 1
    assert result.upserted_ids is not None and result.upserted_ids[0] == "a"
    assert isinstance(result.upserted_ids[2], ObjectId)
    assert await coll.find_one({"name": "by-name"}) == {
        "_id": result.upserted_ids[2],
        "name": "by-name",
        "n": 3,
        "seen": True,
    }
    assert await coll.find_one({"_id": "old"}) == {"_id": "old", "n": 3, "seen": True}
    with pytest.raises(TypeError):
        await coll.bulk_write([{"insertOne": {}}])


async def test_unique_index_violations(client: EmbeddedClient) -> None:
    coll = client["lims"]["samples"]
    name = await coll.create_index([("code", 1)], unique=True)
    assert name == "code_1"
    await coll.create_indexes([IndexModel([("containerId", 1)]), IndexModel("tags")])
    info = await coll.index_information()
    assert info["code_1"]["unique"] is True
    assert set(info) == {"_id_", "code_1", "containerId_1", "tags_1"}
    assert [i["name"] async for i in await coll.list_indexes()] == list(info)

    await coll.insert_one({"_id": "a", "code": "X"})
    with pytest.raises(DuplicateKeyError):
        await coll.insert_one({"_id": "b", "code": "X"})
    with pytest.raises(DuplicateKeyError):
        await coll.insert_one({"_id": "a", "code": "Y"})
    with pytest.raises(BulkWriteError) as bulk:
        await coll.insert_many([{"_id": "c", "code": "C"}, {"_id": "d", "code": "X"}])
    assert bulk.value.details["nInserted"] == 1
    assert bulk.value.details["writeErrors"][0]["code"] == 11000
    with pytest.raises(BulkWriteError) as bulk:
        await coll.bulk_write(
            [ReplaceOne({"_id": "e"}, {"code": "X"}, upsert=True), InsertOne({"_id": "f"})]
        )
    assert bulk.value.details["writeErrors"][0]["index"] == 0
    assert sorted(await coll.distinct("_id")) == ["a", "c"]
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"_id": "c"}, {"$set": {"code": "X"}})
    assert await coll.find_one({"_id": "c"}) == {"_id": "c", "code": "C"}
    await coll.drop_index("containerId_1")
    await coll.drop_index([("tags", 1)])
    assert set(await coll.index_information()) == {"_id_", "code_1"}


async def test_count_distinct_aggregate(client: EmbeddedClient) -> None:
    db = client["lims"]
    await db["samples"].insert_many(
        [{"_id": f"s{i}", "kind": "pin" if i % 2 else "puck", "c": f"c{i % 2}"} for i in range(6)]
    )
    await db["containers"].insert_many([{"_id": "c0", "label": "zero"}, {"_id": "c1"}])
    assert await db["samples"].count_documents({"kind": "pin"}) == 3
    assert sorted(await db["samples"].distinct("kind")) == ["pin", "puck"]
    assert await db["samples"].distinct("kind", {"_id": "s1"}) == ["pin"]
    cursor = await db["samples"].aggregate(
        [{"$match": {"kind": "puck"}}, {"$group": {"_id": "$c", "n": {"$sum": 1}}}]
    )
    assert isinstance(cursor, EmbeddedCommandCursor)
    assert await cursor.to_list() == [{"_id": "c0", "n": 3}]
    joined = await db["samples"].aggregate(
        [
            {"$match": {"_id": {"$in": ["s0", "s1"]}}},
            {
                "$lookup": {
                    "from": "containers",
                    "localField": "c",
                    "foreignField": "_id",
                    "as": "x",
                }
            },
            {"$sort": {"_id": 1}},
        ]
    )
    assert [d["x"][0]["_id"] async for d in joined] == ["c0", "c1"]


async def test_find_one_and_update(client: EmbeddedClient) -> None:
    coll = client["lims"]["samples"]
    await coll.insert_many([{"_id": "a", "rev": 1, "o": 2}, {"_id": "b", "rev": 1, "o": 1}])
    before = await coll.find_one_and_update({"rev": 1}, {"$inc": {"rev": 1}}, sort=[("o", 1)])
    assert before == {"_id": "b", "rev": 1, "o": 1}
    after = await coll.find_one_and_update(
        {"_id": "a", "rev": 1},
        {"$inc": {"rev": 1}},
        projection={"rev": 1},
        return_document=ReturnDocument.AFTER,
    )
    assert after == {"_id": "a", "rev": 2}
    assert await coll.find_one_and_update({"_id": "a", "rev": 1}, {"$inc": {"rev": 1}}) is None
    created = await coll.find_one_and_update(
        {"name": "n"}, {"$set": {"rev": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert created is not None and isinstance(created["_id"], ObjectId)
    assert await coll.find_one_and_delete({"_id": "a"}) == {"_id": "a", "rev": 2, "o": 2}
    replaced = await coll.find_one_and_replace(
        {"_id": "b"}, {"x": 1}, return_document=ReturnDocument.AFTER
    )
    assert replaced == {"_id": "b", "x": 1}


async def test_round_trips_do_not_grow_with_documents(client: EmbeddedClient) -> None:
    coll = client["lims"]["samples"]

    async def trips(action: Any) -> int:
        start = client.round_trips
        await action
        return client.round_trips - start

    for count in (1, 500):
        ids = [f"{count}-{i}" for i in range(count)]
        assert await trips(coll.insert_many([{"_id": i} for i in ids])) == 1
        requests = [ReplaceOne({"_id": i}, {"n": 1}, upsert=True) for i in ids]
        assert await trips(coll.bulk_write(requests)) == 1
        before_find = client.round_trips
        cursor = coll.find({"_id": {"$in": ids}})
        assert client.round_trips == before_find  # find() itself sends nothing
        assert await trips(cursor.to_list()) == 1
        assert await trips(coll.count_documents({"_id": {"$in": ids}})) == 1
        assert await trips(coll.aggregate([{"$match": {"_id": {"$in": ids}}}])) == 1
        assert await trips(coll.delete_many({"_id": {"$in": ids}})) == 1


async def test_closed_client_refuses(client: EmbeddedClient) -> None:
    await client.close()
    await client.close()
    with pytest.raises(InvalidOperation):
        await client["lims"]["samples"].insert_one({"_id": "a"})
