"""The walk down by row numbers on SQLite (backends/sqlite_walk_numbers.py): a level reads the
numbers its links match, then only the documents the walk does not hold yet. The answers stay
those of the compiled finds, byte for byte (the level-by-level walk over ``find``), also for a
member who may not see part of the tree; and a results file decodes each document once."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from mxlims_store.store import Caller, navigation
from mxlims_store.store.backends import Write, sqlite_walk_numbers
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.documents import META
from mxlims_store.store.reads import Request
from tests.acting import ADMIN, admin_store
from tests.store.test_read_plans import LevelByLevel, _answers, _generated, _uuids

ALICE = Caller("alice", frozenset({"mx1234"}))
OTHER = "mx9999"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def _move(db: SqliteBackend, collection: str, uuid: str, proposal: str) -> None:
    [document] = await db.find(collection, {"_id": uuid})
    document[META] = {**document[META], "proposal": proposal}
    await db.commit([Write(collection, uuid, document, document[META]["revision"], None)])


@pytest.fixture
async def filled(tmp_path: Path) -> Any:
    db = SqliteBackend(tmp_path / "store.sqlite3")
    store = admin_store(db)
    await store.init()
    shipment, results = _generated(8)
    await store.import_message(shipment)
    await store.import_message(results, policy="update_old")
    try:
        yield db, shipment, results
    finally:
        await db.close()


async def test_a_results_file_decodes_each_document_once(
    filled: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, shipment, _ = filled
    decoded: list[str] = []

    class Counted:  # every document the walk's reads decode, whichever way they read it
        JSONDecodeError = orjson.JSONDecodeError
        dumps = staticmethod(orjson.dumps)

        @staticmethod
        def loads(text: str) -> Any:
            document = orjson.loads(text)
            decoded.append(document["_id"])
            return document

    monkeypatch.setattr(sqlite_walk_numbers, "orjson", Counted)
    [uuid] = [s["uuid"] for s in shipment["Shipment"].values()]
    message = await navigation.shipment_results(db, ADMIN, uuid)
    objects = [o["uuid"] for k, group in message.items() if k != "version" for o in group.values()]
    # every object of the file read once: a job reached again from its reflection sets (and
    # the sweeps it lists) is not read a second time
    assert sorted(decoded) == sorted(objects) and len(set(decoded)) == len(decoded)
    # the same file as the walk over the compiled finds, which reads them again and drops them
    plain = await navigation.shipment_results(LevelByLevel(db), ADMIN, uuid)
    assert orjson.dumps(dict(message)) == orjson.dumps(dict(plain))


async def test_a_member_who_may_not_see_a_pin_gets_the_compiled_answers(filled: Any) -> None:
    db, shipment, results = filled
    uuids = _uuids(shipment, results)
    pin = shipment["Pin"]["Pin1"]["uuid"]
    sweep = next(iter(results["CollectionSweep"].values()))["uuid"]
    await _move(db, "logistical_samples", pin, OTHER)  # in the middle of the tree
    await _move(db, "datasets", sweep, OTHER)  # a dataset a job lists (a list of links)
    one_trip = await _answers(db, ALICE, uuids)
    # the same objects, each named as often (the compiled finds of a member may choose the
    # proposal's index, and then read a level's rows in another order: test_read_plans)
    assert _named(one_trip) == _named(await _answers(LevelByLevel(db), ALICE, uuids))
    assert OTHER not in one_trip.decode()
    [results_file, _] = orjson.loads(one_trip)["Shipment results"]
    held = {o["uuid"] for k, g in results_file.items() if k != "version" for o in g.values()}
    assert pin not in held and sweep not in held and len(held) > 20
    # the admin sees them, through the same walk
    everything = await _answers(db, ADMIN, uuids)
    assert everything == await _answers(LevelByLevel(db), ADMIN, uuids)
    assert pin in everything.decode() and sweep in everything.decode()


def _named(answers: bytes) -> dict[str, list[str]]:
    """Per read, every uuid its answer names, sorted."""
    return {
        read: sorted(UUID.findall(orjson.dumps(answer).decode()))
        for read, answer in orjson.loads(answers).items()
    }


async def test_a_field_not_kept_as_numbers_is_left_to_the_compiled_find(filled: Any) -> None:
    db, shipment, _ = filled
    [uuid] = [s["uuid"] for s in shipment["Shipment"].values()]
    table = db.tables["logistical_samples"]
    connection = sqlite3.connect(db.path)
    try:
        numbers = sqlite_walk_numbers.RowNumbers()
        sql = "SELECT n, id, doc FROM logistical_samples WHERE n IN "
        sql += "(SELECT value FROM json_each(?))"
        asked = Request("logistical_samples", {}, links={"barcode": [uuid]})
        assert sqlite_walk_numbers.find_by_links(connection, table, asked, numbers, sql, []) is None
        # a link kept as numbers: the shipment's dewars, its number read from the uuid index
        dewars = Request("logistical_samples", {}, links={"containerId": [uuid]})
        found = sqlite_walk_numbers.find_by_links(connection, table, dewars, numbers, sql, [])
        assert found and {d["mxlimsType"] for d in found} == {"Dewar"}
        # what the asker holds already is not read again
        held = Request(
            "logistical_samples", {}, links={"containerId": [uuid]}, known={found[0]["_id"]}
        )
        again = sqlite_walk_numbers.find_by_links(connection, table, held, numbers, sql, [])
        assert again == found[1:]
    finally:
        connection.close()
