"""Integrity under awkward use: re-created uuids, uuid clashes across collections, other
proposals' objects, lost races, values no database can hold, bad overrides and queries."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mxlims_store.errors import InvalidMessage, InvalidQuery, StaleRevision, Unavailable
from mxlims_store.store import Caller, FindQuery, Store
from mxlims_store.store.backends.sqlite import SqliteBackend
from tests.acting import admin_store
from tests.factories import minimal, new_uuid, results_message, shipment_message

BOB = Caller("bob", frozenset({"mx2222"}))


async def test_a_uuid_deleted_and_created_anew_keeps_a_whole_history(store: Store) -> None:
    message = shipment_message(1)
    pin = message["Pin"]["Pin1"]["uuid"]
    await store.import_message(message)
    await store.update(pin, {"loopType": "a"}, revision=1)
    await store.delete(pin)
    await store.import_message(message)  # the same uuid, created anew: its count goes on
    assert (await store.get(pin)).revision == 4
    with pytest.raises(StaleRevision):  # an ETag of the deleted object matches nothing
        await store.update(pin, {"loopType": "b"}, revision=2)
    await store.update(pin, {"loopType": "b"}, revision=4)
    history = await store.history(pin)
    assert [(e["operation"], e["revision"]) for e in history] == [
        ("create", 1),
        ("update", 2),
        ("delete", 3),
        ("create", 4),
        ("update", 5),
    ]


async def test_a_uuid_names_one_object_across_all_collections(store: Store) -> None:
    message = shipment_message(1)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    clash = {
        "version": "0.6.13",
        "Macromolecule": {"Macromolecule1": minimal("Macromolecule", uuid=pin)},
    }
    with pytest.raises(InvalidMessage, match="is a stored Pin"):
        await store.import_message(clash)
    with pytest.raises(InvalidMessage) as caught:  # another proposal's caller learns nothing
        await store.import_message(clash, caller=BOB)
    assert "Pin" not in str(caught.value) and "cannot be used here" in str(caught.value)


async def test_links_into_another_proposal_are_refused_as_missing(store: Store) -> None:
    alices = shipment_message(1, proposal="mx1111")
    await store.import_message(alices)
    evil = {
        "version": "0.6.13",
        "LogisticalSample": {
            "LogisticalSample1": {
                "mxlimsBaseType": "LogisticalSample",
                "uuid": alices["Puck"]["Puck1"]["uuid"],
            }
        },
        "Pin": {
            "Pin1": minimal(
                "Pin", barcode="EVIL", containerRef={"$ref": "#/LogisticalSample/LogisticalSample1"}
            )
        },
    }
    with pytest.raises(InvalidMessage) as caught:
        await store.import_message(evil, caller=BOB)
    assert "names no object in the store" in str(caught.value) and "Puck" not in str(caught.value)
    assert (await store.stats())["Pin"] == 1


async def test_a_stub_that_nothing_stored_backs_is_refused(store: Store) -> None:
    message = {
        "version": "0.6.13",
        "Dataset": {"Dataset1": {"mxlimsType": "Dataset", "uuid": new_uuid()}},
    }
    with pytest.raises(InvalidMessage, match="names no object in the store"):
        await store.import_message(message)


async def test_a_writer_cannot_land_between_the_checks_and_the_commit(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process writes while an import is between its checks and its commit: on SQLite
    it cannot (the import holds the write lock from its first read); without transactions the
    import loses the race, is run again against what the winner wrote, and no history tells of
    what did not happen."""
    message = shipment_message(2)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    changed = copy.deepcopy(message)
    changed["Pin"]["Pin1"]["barcode"] = "IMPORTED"
    changed["Pin"]["Pin2"]["barcode"] = "IMPORTED-2"
    raced: list[str] = []
    other_process = admin_store(_second_backend(store))  # a writer this process does not serialise
    real_unit = store.db.unit

    async def racing_unit(work: Any) -> Any:
        async def raced_work(tx: Any) -> Any:
            real_commit = tx.commit

            async def racing_commit(writes: Any) -> None:
                if not raced:  # another writer tries to land right before this commit
                    try:
                        await other_process.update(pin, {"barcode": "OTHER"}, revision=1)
                        raced.append("landed")
                    except Unavailable:
                        raced.append("waited")
                await real_commit(writes)

            tx.commit = racing_commit
            return await work(tx)

        return await real_unit(raced_work)

    monkeypatch.setattr(store.db, "unit", racing_unit)
    await store.import_message(changed, policy="update_old")
    assert (await store.get(pin)).data["barcode"] == "IMPORTED"
    assert (await store.get(message["Pin"]["Pin2"]["uuid"])).data["barcode"] == "IMPORTED-2"
    history = await store.history(pin)
    seen = [(e["operation"], e["changes"].get("barcode", {}).get("after")) for e in history]
    if isinstance(store.db, SqliteBackend):
        assert raced == ["waited"]
        assert seen == [("create", "PIN-1"), ("update", "IMPORTED")]
    else:
        assert raced == ["landed"]
        assert seen == [("create", "PIN-1"), ("update", "OTHER"), ("update", "IMPORTED")]


@pytest.mark.parametrize(
    ("value", "says"),
    [(float("inf"), "finite"), (10**30, "64-bit"), ("bad\ud800", "UTF-8")],
    ids=["infinity", "huge-integer", "lone-surrogate"],
)
async def test_values_no_database_can_hold_are_refused(store: Store, value: Any, says: str) -> None:
    message = shipment_message(1)
    message["Pin"]["Pin1"]["extensions"] = {"esrf.fr": {"x": value}}
    with pytest.raises(InvalidMessage) as caught:
        await store.import_message(message)
    [problem] = caught.value.problems
    assert problem.path == "Pin/Pin1/extensions/esrf.fr/x" and says in problem.message
    assert await store.stats() == {}


async def test_deep_nesting_is_refused_with_its_path(store: Store) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["a"] = {}
        node = node["a"]
    message = shipment_message(1)
    message["Pin"]["Pin1"]["extensions"] = {"esrf.fr": deep}
    with pytest.raises(InvalidMessage, match="nested deeper"):
        await store.import_message(message)


@pytest.mark.parametrize("type_value", [None, "Foo", 5, "Crystal"])
async def test_patching_the_type_is_refused_cleanly(store: Store, type_value: Any) -> None:
    message = shipment_message(1)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    with pytest.raises(InvalidMessage, match="cannot be changed"):
        await store.update(pin, {"mxlimsType": type_value}, revision=1)
    assert (await store.get(pin)).data["mxlimsType"] == "Pin"


async def test_site_view_never_moves_links_nor_breaks_validity(store: Store) -> None:
    message = shipment_message(2)
    message["Pin"]["Pin1"]["extensions"] = {
        "esrf.fr": {
            "containerId": message["Puck"]["Puck1"]["uuid"],
            "positionInPuck": "two",
            "loopType": "mesh",
        }
    }
    await store.import_message(message)
    exported = await store.export(message["Pin"]["Pin1"]["uuid"], direction="up", site="esrf.fr")
    pin = exported["Pin"]["Pin1"]
    assert pin["loopType"] == "mesh" and pin["positionInPuck"] == 1
    assert pin["containerRef"] == {"$ref": "#/Puck/Puck1"}


@pytest.mark.parametrize(
    "query",
    [
        FindQuery("Pin", {"barcode": {"$in": "PIN-1"}}),
        FindQuery("Pin", {"barcode": {"$nin": 5}}),
        FindQuery("Pin", {"barcode": {"$exists": "yes"}}),
        FindQuery("Pin", {"barcode": {"$eq": {"$gt": ""}}}),
        FindQuery("Pin", {"unitCell..a": 1}),
        FindQuery("Pin", extension=("esrf.fr", "$where", 1)),
        FindQuery("Pin", {"positionInPuck": {"$lt": float("inf")}}),
    ],
    ids=[
        "in-not-list",
        "nin-not-list",
        "exists-not-bool",
        "nested-operator",
        "empty-path-part",
        "extension-operator",
        "infinite-bound",
    ],
)
async def test_malformed_conditions_are_refused(store: Store, query: FindQuery) -> None:
    with pytest.raises(InvalidQuery):
        await store.find(query)


async def test_results_round_trip_still_works_after_all_that(store: Store) -> None:
    message = shipment_message(2)
    await store.import_message(message)
    report = await store.import_message(results_message(message), policy="update_old")
    assert report.created["ReflectionSet"] == 1


def _second_backend(store: Store) -> Any:
    """Another handle on the same data, as a second process would have (its own write lock)."""
    from mxlims_store.store.backends.mongo import MongoBackend

    if isinstance(store.db, SqliteBackend):
        return SqliteBackend(store.db.path, lock_timeout=0.2)
    assert isinstance(store.db, MongoBackend)
    return MongoBackend(store.db.driver)
