"""A shipment goes in, results come back, one MXLIMS file comes out — all over HTTP."""

from __future__ import annotations

import json

import httpx

from tests.conftest import REFERENCE, conformance_errors, needs_shared
from tests.factories import results_message

SHIPMENT = REFERENCE / "0.6.13/messages/ShipmentMessage/valid/singlePositionPins.json"


@needs_shared
async def test_shipment_results_round_trip(client: httpx.AsyncClient) -> None:
    shipment = json.loads(SHIPMENT.read_text())
    imported = await client.post("/messages", json=shipment)
    assert imported.status_code == 201, imported.text
    shipment_uuid = imported.json()["keys"]["Shipment/Shipment1"]

    results = results_message(shipment)
    returned = await client.post("/messages", params={"policy": "update_old"}, json=results)
    assert returned.status_code == 201, returned.text
    reflection_set = returned.json()["keys"]["ReflectionSet/ReflectionSet1"]

    download = await client.get(f"/shipments/{shipment_uuid}/results")
    assert download.status_code == 200, download.text
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    assert download.headers["content-disposition"].endswith('.json"')
    document = download.json()
    assert conformance_errors(document, "MxlimsMessageStrict") == []
    assert [o["uuid"] for o in document["ReflectionSet"].values()] == [reflection_set]

    provenance = await client.get(
        f"/objects/{reflection_set}/provenance", params={"direction": "up"}
    )
    assert provenance.status_code == 200
    reached = {step["uuid"]: step["mxlimsType"] for step in provenance.json()}
    assert reached[shipment_uuid] == "Shipment"


@needs_shared
async def test_reimporting_the_same_shipment_creates_nothing(client: httpx.AsyncClient) -> None:
    shipment = json.loads(SHIPMENT.read_text())
    assert (await client.post("/messages", json=shipment)).status_code == 201
    again = await client.post("/messages", json=shipment)
    assert again.status_code == 200
    assert again.json()["created"] == {}
