"""User -> facility -> user: a shipment goes in, results come back, one file comes out."""

from __future__ import annotations

from typing import Any

from mxlims_store.store import Store
from tests.conftest import REFERENCE, conformance_errors, load_json, needs_shared
from tests.factories import results_message, shipment_message


@needs_shared
async def test_official_shipment_then_results_then_one_file(store: Store) -> None:
    shipment = load_json(
        REFERENCE / "0.6.13/messages/ShipmentMessage/valid/singlePositionPins.json"
    )
    first = await store.import_message(shipment)
    assert first.created == {
        "Shipment": 1,
        "Dewar": 1,
        "Puck": 1,
        "Pin": 1,
        "Macromolecule": 1,
        "MacromoleculeSample": 1,
    }
    results = results_message(shipment)
    second = await store.import_message(results, policy="update_old")
    assert second.created == {
        "Crystal": 1,
        "MxExperiment": 1,
        "CollectionSweep": 1,
        "MxProcessing": 1,
        "ReflectionSet": 1,
    }
    assert second.unchanged == {"Pin": 1, "MacromoleculeSample": 1}

    reflection_set = results["ReflectionSet"]["ReflectionSet1"]["uuid"]
    upward = await store.provenance(reflection_set)
    by_type = {step["mxlimsType"]: step for step in upward}
    for expected in (
        "MxProcessing",
        "CollectionSweep",
        "MxExperiment",
        "Crystal",
        "Pin",
        "Puck",
        "Dewar",
        "Shipment",
        "MacromoleculeSample",
        "Macromolecule",
    ):
        assert expected in by_type, expected
    assert by_type["Shipment"]["link"] == "containerRef"
    processing = by_type["MxProcessing"].to_dict()
    assert processing == {**processing, "depth": 1, "link": "sourceRef", "from": reflection_set}

    shipment_uuid = shipment["Shipment"]["Shipment1"]["uuid"]
    one_file = await store.shipment_results(shipment_uuid)
    assert conformance_errors(one_file, "MxlimsMessageStrict") == []
    assert [o["uuid"] for o in one_file["ReflectionSet"].values()] == [reflection_set]
    assert len(one_file["Pin"]) == 1 and len(one_file["Shipment"]) == 1


async def test_update_old_overlays_and_counts(store: Store) -> None:
    shipment = shipment_message(4)
    await store.import_message(shipment)
    pin = shipment["Pin"]["Pin1"]
    changed: dict[str, Any] = {"version": "0.6.13", "Pin": {"Pin1": {**pin, "loopType": "mesh"}}}
    del changed["Pin"]["Pin1"]["containerRef"], changed["Pin"]["Pin1"]["sampleRef"]
    kept = await store.import_message(changed)  # reject_new: the stored pin stays, and says so
    assert kept.unchanged == {} and kept.differing == {"Pin": 1}
    assert kept.differing_fields == {"Pin/Pin1": ["loopType"]}
    assert "loopType" not in (await store.get(pin["uuid"])).data
    report = await store.import_message(changed, policy="update_old")
    assert report.updated == {"Pin": 1}
    stored = await store.get(pin["uuid"])
    assert stored.data["loopType"] == "mesh"
    assert (
        stored.data["containerId"] == shipment["Puck"]["Puck1"]["uuid"]
    )  # overlay keeps old links
    assert stored.revision == 2
