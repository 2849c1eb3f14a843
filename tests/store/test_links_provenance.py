"""Links both ways, provenance up and down, export; round trips that do not grow with size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mxlims_store.store import Store
from tests.acting import admin_store
from tests.conftest import REFERENCE, conformance_errors
from tests.factories import results_message, shipment_message
from tests.store.conftest import BACKENDS, make_backend


async def test_links_forward_and_reverse(store: Store) -> None:
    message = shipment_message(3)
    await store.import_message(message)
    puck = message["Puck"]["Puck1"]["uuid"]
    links = await store.links(puck)
    assert links["forward"] == [
        {
            "link": "containerRef",
            "field": "containerId",
            "uuid": message["Dewar"]["Dewar1"]["uuid"],
            "mxlimsType": "Dewar",
            "label": f"Dewar {message['Dewar']['Dewar1']['barcode']}",
        }
    ]
    assert links["label"] == f"Puck {message['Puck']['Puck1']['barcode']}"
    assert sorted(r["uuid"] for r in links["reverse"]) == sorted(
        p["uuid"] for p in message["Pin"].values()
    )
    assert {r["link"] for r in links["reverse"]} == {"contents"}


async def test_provenance_down_from_the_shipment_reaches_the_results(store: Store) -> None:
    message = shipment_message(3)
    await store.import_message(message)
    results = results_message(message)
    await store.import_message(results, policy="update_old")
    steps = await store.provenance(message["Shipment"]["Shipment1"]["uuid"], direction="down")
    reached = {s["uuid"]: s for s in steps}
    reflection_set = results["ReflectionSet"]["ReflectionSet1"]["uuid"]
    assert reflection_set in reached
    assert results["MxProcessing"]["MxProcessing1"]["uuid"] in reached
    assert {s["link"] for s in steps} >= {"contents", "jobs", "datasets"}
    limited = await store.provenance(
        message["Shipment"]["Shipment1"]["uuid"], direction="down", depth=2
    )
    assert max(s["depth"] for s in limited) == 2 and {s["mxlimsType"] for s in limited} == {
        "Shipment",
        "Dewar",
        "Puck",
    }


async def test_export_of_a_pin_is_a_valid_message(store: Store) -> None:
    message = shipment_message(3)
    await store.import_message(message)
    exported = await store.export(message["Pin"]["Pin2"]["uuid"], direction="up")
    if REFERENCE.is_dir():  # the official schema's verdict where the reference is at hand
        assert conformance_errors(exported, "ShipmentMessage") == []
    assert set(exported) == {
        "version",
        "Shipment",
        "Dewar",
        "Puck",
        "Pin",
        "Macromolecule",
        "MacromoleculeSample",
    }
    assert len(exported["Pin"]) == 1


async def _round_trips(kind: str, tmp_path: Path, pins: int) -> tuple[int, int]:
    backend = make_backend(kind, tmp_path / f"{kind}-{pins}")
    (tmp_path / f"{kind}-{pins}").mkdir()
    store = admin_store(backend)
    await store.init()
    message = shipment_message(pins)
    before = backend.round_trips
    await store.import_message(message)
    import_trips = backend.round_trips - before
    results = results_message(message, pin_key="Pin2")
    await store.import_message(results, policy="update_old")
    before = backend.round_trips
    await store.provenance(results["ReflectionSet"]["ReflectionSet1"]["uuid"])
    provenance_trips = backend.round_trips - before
    await backend.close()
    return import_trips, provenance_trips


@pytest.mark.parametrize("kind", BACKENDS)
async def test_round_trips_do_not_grow_with_the_number_of_pins(kind: str, tmp_path: Path) -> None:
    small: Any = await _round_trips(kind, tmp_path, 10)
    large: Any = await _round_trips(kind, tmp_path, 1000)
    assert small == large
    assert (await _round_trips(kind, tmp_path, 100))[0] == large[0]
    # a find per collection, one history read, the integrity rules' few reads (ancestors,
    # siblings, contents, barcodes), the commit (one transaction, or a bulk per collection and
    # one for history without transactions): a fixed number, whatever the size
    assert large[0] <= 16 and large[1] <= 40
