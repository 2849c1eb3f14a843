"""A bad message stores nothing; policies, dry runs, re-runs and links to stored objects."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from mxlims_store.errors import Conflict, InvalidMessage
from mxlims_store.store import Store
from tests.factories import minimal, new_uuid, ref, shipment_message


def _dangling(m: dict[str, Any]) -> None:
    m["Pin"]["Pin2"]["containerRef"] = ref("Puck", 99)


def _wrong_link_type(m: dict[str, Any]) -> None:
    m["Puck"]["Puck1"]["containerRef"] = ref("Shipment")


def _duplicate_uuid(m: dict[str, Any]) -> None:
    m["Pin"]["Pin3"]["uuid"] = m["Pin"]["Pin1"]["uuid"]


def _bad_value(m: dict[str, Any]) -> None:
    m["Pin"]["Pin4"]["positionInPuck"] = -1


@pytest.mark.parametrize(
    "spoil",
    [_dangling, _wrong_link_type, _duplicate_uuid, _bad_value],
    ids=["dangling-ref", "wrong-link-type", "duplicate-uuid", "bad-value"],
)
async def test_a_bad_message_changes_nothing(
    store: Store, spoil: Callable[[dict[str, Any]], None]
) -> None:
    await store.import_message(shipment_message(5))
    before = await store.stats()
    bad = shipment_message(20)
    spoil(bad)
    with pytest.raises(InvalidMessage):
        await store.import_message(bad)
    assert await store.stats() == before


async def test_dry_run_reports_and_writes_nothing(store: Store) -> None:
    report = await store.import_message(shipment_message(20), dry_run=True)
    assert report.dry_run and report.created["Pin"] == 20
    assert await store.stats() == {}


async def test_re_running_an_import_is_idempotent(store: Store) -> None:
    message = shipment_message(20)
    for pin in message["Pin"].values():
        del pin["uuid"]  # uuids derived from the message: the same on every run
    first = await store.import_message(message)
    again = await store.import_message(message, policy="error")
    assert again.keys == first.keys
    assert again.created == {} and sum(again.unchanged.values()) == sum(first.created.values())
    assert (await store.stats())["Pin"] == 20


async def test_policy_error_refuses_stored_uuids(store: Store) -> None:
    message = shipment_message(3)
    await store.import_message(message)
    changed = copy.deepcopy(message)
    changed["Shipment"]["Shipment1"]["annotation"] = "changed"
    with pytest.raises(Conflict) as caught:
        await store.import_message(changed, policy="error")
    assert {p.path for p in caught.value.problems} >= {"Pin/Pin1", "Shipment/Shipment1"}


async def test_a_uuid_cannot_change_its_type(store: Store) -> None:
    message = shipment_message(1)
    await store.import_message(message)
    clash = {
        "version": "0.6.13",
        "Crystal": {"Crystal1": minimal("Crystal", uuid=message["Pin"]["Pin1"]["uuid"])},
    }
    with pytest.raises(InvalidMessage) as caught:
        await store.import_message(clash, policy="update_old")
    assert "stored Pin" in caught.value.problems[0].message


async def test_stub_links_must_reach_a_stored_object_of_the_right_type(store: Store) -> None:
    message = shipment_message(1)
    await store.import_message(message)
    pin_uuid = message["Pin"]["Pin1"]["uuid"]
    crystal = {
        "version": "0.6.13",
        "LogisticalSample": {
            "LogisticalSample1": {"mxlimsBaseType": "LogisticalSample", "uuid": pin_uuid}
        },
        "Crystal": {
            "Crystal1": minimal(
                "Crystal", containerRef={"$ref": "#/LogisticalSample/LogisticalSample1"}
            )
        },
    }
    report = await store.import_message(crystal)
    crystal_uuid = report.keys["Crystal/Crystal1"]
    assert (await store.get(crystal_uuid)).data["containerId"] == pin_uuid

    missing = copy.deepcopy(crystal)
    missing["LogisticalSample"]["LogisticalSample1"]["uuid"] = new_uuid()
    with pytest.raises(InvalidMessage, match="names no object in the store"):
        await store.import_message(missing)

    wrong = copy.deepcopy(crystal)
    wrong["LogisticalSample"]["LogisticalSample1"]["uuid"] = message["Puck"]["Puck1"]["uuid"]
    with pytest.raises(InvalidMessage, match="stored Puck"):
        await store.import_message(wrong)


async def test_the_report_maps_local_keys_to_uuids(store: Store) -> None:
    message = shipment_message(2)
    report = await store.import_message(message)
    assert report.keys["Pin/Pin2"] == message["Pin"]["Pin2"]["uuid"]
    assert report.to_dict()["policy"] == "reject_new"


async def test_a_message_over_the_object_limit_is_refused_before_anything_else(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mxlims_store.messages.reader import MAX_OBJECTS
    from mxlims_store.store import importer

    def no_hash(message: Any) -> str:  # encoding a huge message first would double its cost
        raise AssertionError("the message was hashed before it was counted")

    monkeypatch.setattr(importer, "content_hash", no_hash)
    pins = {f"P{n}": {} for n in range(MAX_OBJECTS + 1)}
    with pytest.raises(InvalidMessage, match="split it"):
        await store.import_message({"version": "0.6.13", "Pin": pins})
