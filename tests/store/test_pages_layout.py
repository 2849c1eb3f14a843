"""What the pages read from the store: the physical layout built from links (never names),
the facility sheet keeping the plan after results, search by sample and protein."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from mxlims_store.errors import Conflict
from mxlims_store.store import Store
from tests.conftest import FIXTURES
from tests.factories import minimal, new_uuid, ref


def two_dewars_each_with_puck_a() -> dict[str, Any]:
    """Dewars D1 and D2, each with a puck named "A" holding pins at positions 1 and 2."""
    message: dict[str, Any] = {
        "version": "0.6.13",
        "Shipment": {"Shipment1": minimal("Shipment", uuid=new_uuid(), name="twins")},
        "Dewar": {},
        "Puck": {},
        "Pin": {},
    }
    for d in (1, 2):
        message["Dewar"][f"Dewar{d}"] = minimal(
            "Dewar", uuid=new_uuid(), barcode=f"D{d}", containerRef=ref("Shipment")
        )
        message["Puck"][f"Puck{d}"] = minimal(
            "Puck", uuid=new_uuid(), name="A", numberPositions=16, containerRef=ref("Dewar", d)
        )
        for p in (1, 2):
            message["Pin"][f"Pin{d}{p}"] = minimal(
                "Pin",
                uuid=new_uuid(),
                barcode=f"D{d}-A-{p}",
                positionInPuck=p,
                containerRef=ref("Puck", d),
            )
    return message


async def test_two_dewars_with_a_puck_of_the_same_name_stay_apart(store: Store) -> None:
    message = two_dewars_each_with_puck_a()
    await store.import_message(message)
    laid = await store.layout(message["Shipment"]["Shipment1"]["uuid"])
    assert [d["name"] for d in laid["dewars"]] == ["D1", "D2"]
    for n, dewar in enumerate(laid["dewars"], start=1):
        [puck] = dewar["containers"]
        assert puck["name"] == "A" and puck["capacity"] == 16 and puck["kind"] == "UniPuck"
        filled = [
            (p["position"], p["lines"][0]["barcode"]) for p in puck["positions"] if p["lines"]
        ]
        assert filled == [(1, f"D{n}-A-1"), (2, f"D{n}-A-2")]
        assert sum(1 for p in puck["positions"] if p["status"] is None) == 14  # empty ones


async def test_pucks_sort_naturally_and_spine_pucks_have_ten_positions(store: Store) -> None:
    message = two_dewars_each_with_puck_a()
    pucks = message["Puck"]
    pucks.clear()
    for n, name in enumerate(("PK-10", "PK-2", "PK-1"), start=1):
        pucks[f"Puck{n}"] = minimal(
            "Puck", uuid=new_uuid(), name=name, puckType="spine", containerRef=ref("Dewar", 1)
        )
    del message["Pin"]
    await store.import_message(message)
    laid = await store.layout(message["Shipment"]["Shipment1"]["uuid"])
    containers = laid["dewars"][0]["containers"]
    assert [c["name"] for c in containers] == ["PK-1", "PK-2", "PK-10"]
    assert {c["capacity"] for c in containers} == {10}


def sheet_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_the_esrf_sheet_keeps_every_planned_value_after_results(store: Store) -> None:
    shipment = json.loads((FIXTURES / "messages" / "shipment.json").read_text())
    results = json.loads((FIXTURES / "messages" / "results.json").read_text())
    await store.import_message(shipment)
    uuid = next(iter(shipment["Shipment"].values()))["uuid"]
    before = await store.export_sheet("esrf", uuid, draft=True)
    await store.import_message(results, policy="merge")
    after = await store.export_sheet("esrf", uuid, draft=True)
    planned, kept = sheet_rows(before.content), sheet_rows(after.content)
    assert len(planned) == len(kept) == 14
    filled = sum(1 for row in planned for value in row.values() if value)
    assert filled > 14 * 10  # the plan fills the sheet: space group, cell, resolution ...
    for row_before, row_after in zip(planned, kept, strict=True):
        lost = {k: v for k, v in row_before.items() if v and row_after.get(k) != v}
        assert not lost, f"planned values lost after results: {lost}"


async def test_search_finds_sample_names_and_protein_acronyms(store: Store) -> None:
    shipment = json.loads((FIXTURES / "messages" / "shipment.json").read_text())
    await store.import_message(shipment)
    uuid = next(iter(shipment["Shipment"].values()))["uuid"]
    sample = next(iter(shipment["MacromoleculeSample"].values()))["name"]
    protein = next(iter(shipment["Macromolecule"].values()))["acronym"]
    for needle in (sample, protein, protein.lower()):
        assert [s["uuid"] for s in await store.shipments(search=needle)] == [uuid], needle
    assert await store.shipments(search="no-such-sample") == []


async def test_pucks_and_pins_show_their_dewars_place_until_they_have_their_own(
    store: Store,
) -> None:
    from tests.factories import shipment_message

    message = shipment_message(48)  # three pucks in dewar DW-1
    await store.import_message(message)
    for state, details in (
        ("received", {"facility": "ESRF"}),
        ("at_beamline", {"facility": "ESRF", "beamline": "ID23-1"}),
    ):
        await store.record_event("DW-1", state, **details)
    puck, pin = await store.where("PK-1"), await store.where("PIN-1")
    for shown in (puck, pin):
        assert shown["state"] == "at_beamline" and shown["location"]["beamline"] == "ID23-1"
        assert shown["inheritedFrom"]["name"] == "DW-1" and shown["events"] == []
    await store.record_event("PK-2", "at_beamline")  # confirms where its dewar is
    await store.record_event("PK-1", "stored", location="cold room rack 3")  # from at_beamline
    assert (await store.where("PIN-1"))["inheritedFrom"]["name"] == "PK-1"
    assert (await store.where("PIN-1"))["location"] == {"location": "cold room rack 3"}
    assert (await store.where("PK-3"))["state"] == "at_beamline"  # its dewar's still
    with pytest.raises(Conflict, match="cannot go from at_beamline to shipped"):
        await store.record_event("PK-3", "shipped")
    await store.record_event("DW-1", "returned")
    assert (await store.where("DW-1"))["location"] == {}  # a returned dewar is not at ID23-1


async def test_a_plate_is_drawn_as_its_rows_and_columns(store: Store) -> None:
    plate_type = {
        "name": "MRC 2-drop",
        "numberRows": 2,
        "numberColumns": 3,
        "numberSubPositions": 2,
        "dropMapping": "12",
    }
    message: dict[str, Any] = {
        "version": "0.6.13",
        "Shipment": {"Shipment1": minimal("Shipment", uuid=new_uuid())},
        "Plate": {
            "Plate1": minimal(
                "Plate", uuid=new_uuid(), barcode="PL-1", plateType=plate_type,
                containerRef=ref("Shipment"),
            )
        },
        "PlateWell": {
            "PlateWell1": minimal(
                "PlateWell", uuid=new_uuid(), rowNumber=2, columnNumber=3,
                containerRef=ref("Plate"),
            )
        },
        "WellDrop": {
            "WellDrop1": minimal(
                "WellDrop", uuid=new_uuid(), dropNumber=1, containerRef=ref("PlateWell"),
                sampleRef=ref("MacromoleculeSample"),
            )
        },
        "MacromoleculeSample": {
            "MacromoleculeSample1": minimal("MacromoleculeSample", uuid=new_uuid(), name="lys-1")
        },
    }  # fmt: skip
    await store.import_message(message)
    laid = await store.layout(message["Shipment"]["Shipment1"]["uuid"])
    [section] = laid["dewars"]
    assert section["uuid"] is None  # not in a dewar
    [plate] = section["containers"]
    assert (plate["kind"], plate["rows"], plate["columns"], plate["capacity"]) == (
        "MRC 2-drop", 2, 3, 6,
    )  # fmt: skip
    filled = [(p["position"], p["status"], p["label"]) for p in plate["positions"] if p["lines"]]
    assert filled == [("B3", "planned", "lys-1")]


async def test_a_page_of_shipments_counts_each_of_them_apart(store: Store) -> None:
    from tests.factories import shipment_message

    sizes = {}
    for pins in (20, 40, 50):
        message = shipment_message(pins, pucks_per_dewar=2)
        await store.import_message(message)
        sizes[message["Shipment"]["Shipment1"]["uuid"]] = pins
    listed = await store.shipments()
    assert {s["uuid"]: s["positions"] for s in listed} == sizes
    assert {s["uuid"]: s["dewars"] for s in listed} == {u: -(-p // 32) for u, p in sizes.items()}
    assert all(s["counts"] == {"planned": s["positions"]} for s in listed)
    first, second = await store.shipments(limit=2), await store.shipments(limit=2, offset=2)
    assert [s["uuid"] for s in first + second] == [s["uuid"] for s in listed]
    assert len(first) == 2 and len(second) == 1
