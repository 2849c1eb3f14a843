"""The rules hold in the database itself and `check` re-verifies them over the whole store.

A store is broken on purpose with raw writes (SQL on SQLite, the driver on the mongomock
double), bypassing the write path; `check` must name every broken rule, one line each.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from mxlims_store.errors import Conflict, InvalidMessage
from mxlims_store.store import Store, integrity
from mxlims_store.store.backends.mongo import MongoBackend
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_ids import key
from mxlims_store.store.backends.sqlite_links import LINKS, fill_all
from tests.acting import admin_store
from tests.factories import minimal, new_uuid, shipment_message


def _raw_put(store: Store, collection: str, document: dict[str, Any]) -> None:
    """Write a document as a careless tool would: no rules, no history, no slot."""
    if isinstance(store.db, SqliteBackend):
        connection = sqlite3.connect(store.db.path, isolation_level=None)
        # history is a view (sqlite_history), which takes inserts but no upsert
        upsert = (
            "" if collection == "history" else " ON CONFLICT (id) DO UPDATE SET doc = excluded.doc"
        )
        connection.execute(
            f'INSERT INTO "{collection}" (id, doc) VALUES (?, ?)' + upsert,
            # a core table's id as schema 11 keeps it (sqlite_ids)
            (
                key(document["_id"]) if collection in LINKS else document["_id"],
                json.dumps(document),
            ),
        )
        if collection in LINKS:  # the links' numbers, as schema 9 keeps them (sqlite_links)
            fill_all(connection, [collection])
        connection.close()
    else:
        assert isinstance(store.db, MongoBackend)
        store.db.driver.db[collection].replace_one(  # type: ignore[attr-defined]
            {"_id": document["_id"]}, document, upsert=True
        )


def _raw_delete(store: Store, collection: str, ids: list[str]) -> None:
    if isinstance(store.db, SqliteBackend):
        connection = sqlite3.connect(store.db.path, isolation_level=None)
        connection.execute(
            f'DELETE FROM "{collection}" WHERE id IN (SELECT value FROM json_each(?))',
            (json.dumps(ids),),
        )
        connection.close()
    else:
        store.db.driver.db[collection].delete_many({"_id": {"$in": ids}})  # type: ignore[attr-defined]


async def _documents(store: Store, collection: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    return await store.db.find(collection, query)


async def test_a_whole_store_written_through_the_store_checks_clean(store: Store) -> None:
    message = shipment_message(20)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    await store.update(pin, {"loopType": "mesh"}, revision=1)
    await store.delete(message["Pin"]["Pin2"]["uuid"])
    assert (await store.check()).problems == []


async def test_check_names_every_broken_rule(store: Store) -> None:
    message = shipment_message(3, positions=4)
    await store.import_message(message)
    puck = message["Puck"]["Puck1"]["uuid"]
    [pin1] = await _documents(store, "logistical_samples", {"_id": message["Pin"]["Pin1"]["uuid"]})
    pin3_id = message["Pin"]["Pin3"]["uuid"]
    [pin3] = await _documents(store, "logistical_samples", {"_id": pin3_id})
    meta = {k: v for k, v in pin1["_meta"].items() if k != "slot"}
    intruder = new_uuid()
    # a second pin at position 1, a pin at position 9 of a 4-position puck, a barcode twice in
    # the shipment, a link to nothing, a revision without history, one recorded twice
    _raw_put(store, "logistical_samples", {**pin1, "_id": intruder, "barcode": "X", "_meta": meta})
    _raw_put(store, "logistical_samples", {**pin3, "positionInPuck": 9, "barcode": "PIN-2"})
    ghost = new_uuid()
    orphan = {**pin1, "_id": new_uuid(), "containerId": ghost, "barcode": None, "_meta": meta}
    orphan.pop("positionInPuck")
    _raw_put(store, "logistical_samples", orphan)
    entries = await _documents(store, "history", {"uuid": pin1["_id"]})
    _raw_delete(store, "history", [e["_id"] for e in entries])
    [entry3] = await _documents(store, "history", {"uuid": pin3_id})
    _raw_put(store, "history", {**entry3, "_id": entry3["_id"] + "-copy"})

    problems = (await store.check()).problems
    text = "\n".join(problems)
    assert f"container {puck}: position 1 holds 2 objects" in text
    assert "position 9 is beyond the 4 positions of Puck" in text
    assert "barcode 'PIN-2' is on 2 objects" in text
    assert f"containerId points at {ghost}, which is not stored" in text
    assert f"history of {pin1['_id']}: no entry for revision(s) 1" in text
    assert f"history of {pin3_id}: revision 1 is recorded 2 times" in text
    assert all("\n" not in line for line in problems)


async def test_the_database_itself_refuses_two_objects_at_one_position(store: Store) -> None:
    message = shipment_message(1)
    await store.import_message(message)
    [pin] = await _documents(store, "logistical_samples", {"_id": message["Pin"]["Pin1"]["uuid"]})
    assert pin["_meta"]["slot"] == "puck:1:-1"  # a position with no sub-position is a value
    twin = {**pin, "_id": new_uuid()}
    with pytest.raises((sqlite3.IntegrityError, DuplicateKeyError)):
        _raw_put(store, "logistical_samples", twin)


async def test_a_position_the_database_refuses_is_the_rules_own_clean_error(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the Python check switched off, the unique index still holds: the writer gets the
    same one-line problem (SQLite) or a conflict after its retries (no transactions), never a
    database traceback, and the position keeps one pin."""
    message = shipment_message(1)
    await store.import_message(message)

    async def nothing_wrong(*args: Any, **kwargs: Any) -> tuple[list[Any], list[str]]:
        return [], []

    monkeypatch.setattr(integrity, "check", nothing_wrong)
    second = {
        "version": "0.6.13",
        "LogisticalSample": {
            "Puck1": {
                "mxlimsBaseType": "LogisticalSample",
                "uuid": message["Puck"]["Puck1"]["uuid"],
            }
        },
        "Pin": {
            "Pin9": minimal(
                "Pin",
                uuid=new_uuid(),
                positionInPuck=1,
                containerRef={"$ref": "#/LogisticalSample/Puck1"},
            )
        },
    }
    with pytest.raises((InvalidMessage, Conflict)) as caught:
        await store.import_message(second, proposal="mx1234")
    if isinstance(store.db, SqliteBackend):
        assert isinstance(caught.value, InvalidMessage)
        [problem] = caught.value.problems
        assert str(problem) == "Pin/Pin9/positionInPuck: position 1 of its container is taken twice"
    pins = await _documents(store, "logistical_samples", {"mxlimsType": "Pin"})
    assert (
        len([p for p in pins if p.get("positionInPuck") == 1 and p.get("_meta", {}).get("slot")])
        == 1
    )


async def test_pins_swapping_places_in_one_write_do_not_collide(store: Store) -> None:
    message = shipment_message(2)
    await store.import_message(message)
    message["Pin"]["Pin1"]["positionInPuck"], message["Pin"]["Pin2"]["positionInPuck"] = 2, 1
    await store.import_message(message, policy="update_old")
    assert (await store.get(message["Pin"]["Pin1"]["uuid"])).data["positionInPuck"] == 2
    assert (await store.check()).problems == []


async def test_an_old_store_gets_its_positions_and_keeps_a_clash_for_check(
    tmp_path: Any,
) -> None:
    """A schema-3 file with two pins at one position (written before the unique index) opens:
    the first keeps its slot, `check` names the clash."""
    backend = SqliteBackend(tmp_path / "old.sqlite3")
    store = admin_store(backend)
    await store.init()
    message = shipment_message(2)
    await store.import_message(message)
    connection = sqlite3.connect(backend.path, isolation_level=None)
    connection.execute("DROP INDEX logistical_samples__containerId__meta_slot")
    connection.execute("UPDATE logistical_samples SET doc = json_remove(doc, '$._meta.slot')")
    pin2 = message["Pin"]["Pin2"]["uuid"]
    connection.execute(
        "UPDATE logistical_samples SET doc = json_set(doc, '$.positionInPuck', 1) WHERE id = ?",
        (key(pin2),),  # (the store's own file, whose ids are keys: sqlite_ids)
    )
    connection.execute("PRAGMA user_version = 3")
    connection.close()
    await backend.close()
    reopened = admin_store(SqliteBackend(tmp_path / "old.sqlite3"))
    await reopened.init()
    slots = [
        (d.get("_meta") or {}).get("slot")
        for d in await reopened.db.find("logistical_samples", {"mxlimsType": "Pin"})
    ]
    assert sorted(map(str, slots)) == ["None", "puck:1:-1"]
    problems = (await reopened.check()).problems
    assert any("position 1 holds 2 objects" in p for p in problems)
    await reopened.db.close()
