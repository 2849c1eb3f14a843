"""Tracking over HTTP: a journey by barcode scan, status, proposal views, careful deletes."""

from __future__ import annotations

import httpx

from tests.factories import results_message, shipment_message


async def test_a_dewars_journey_by_barcode_scan(client: httpx.AsyncClient) -> None:
    message = shipment_message(4)
    assert (await client.post("/messages", json=message)).status_code == 201
    dewar = message["Dewar"]["Dewar1"]["uuid"]
    found = await client.get("/barcodes/DW-1")
    assert found.status_code == 200 and found.json()["uuid"] == dewar
    steps = [
        {"state": "prepared", "location": "lab"},
        {"state": "shipped", "trackingNumber": "1Z1"},
        {"state": "received", "facility": "MAX IV", "location": "goods in"},
        {"state": "at_beamline", "facility": "MAX IV", "beamline": "BioMAX"},
        {"state": "returned", "note": "all pins back"},
    ]
    for number, step in enumerate(steps, start=1):
        recorded = await client.post("/barcodes/DW-1/events", json=step)
        assert recorded.status_code == 201, recorded.text
        where = (await client.get(f"/objects/{dewar}/events")).json()
        assert where["state"] == step["state"] and len(where["events"]) == number
    assert where["location"] == {}  # returned: no longer at the beamline (issue 24)
    again = await client.post(f"/objects/{dewar}/events", json={"state": "shipped"})
    assert again.status_code == 409 and "returned" in again.json()["message"]
    unknown = await client.post("/barcodes/NOPE/events", json={"state": "received"})
    assert unknown.status_code == 404
    bad = await client.post(f"/objects/{dewar}/events", json={"state": "lost", "x": 1})
    assert bad.status_code == 422


async def test_status_in_one_request_and_proposal_views(client: httpx.AsyncClient) -> None:
    message = shipment_message(3, proposal="mx77")
    await client.post("/messages", json=message)
    results = results_message(message, pin_key="Pin2")
    reflections = results["ReflectionSet"]["ReflectionSet1"]
    reflections["reflectionStatisticsOverall"] = {"resolutionLimits": [30.0, 1.7]}
    await client.post("/messages?policy=update_old", json=results)
    shipment = message["Shipment"]["Shipment1"]["uuid"]
    status = (await client.get(f"/shipments/{shipment}/status")).json()
    assert status["counts"] == {"planned": 2, "collected": 0, "processed": 1, "failed": 0}
    best = [p for p in status["positions"] if p["status"] == "processed"]
    assert [(p["barcode"], p["resolution"]) for p in best] == [("PIN-2", 1.7)]
    listed = (await client.get("/proposals/mx77/shipments")).json()
    assert [s["uuid"] for s in listed] == [shipment]
    assert listed[0]["counts"] == {"planned": 2, "processed": 1}
    file = (await client.get("/proposals/mx77/results")).json()
    assert reflections["uuid"] in {o["uuid"] for o in file["ReflectionSet"].values()}
    assert (await client.get("/proposals/nobody/results")).status_code == 404


async def test_delete_is_careful_and_cascades_on_request(client: httpx.AsyncClient) -> None:
    message = shipment_message(2)
    await client.post("/messages", json=message)
    dewar = message["Dewar"]["Dewar1"]["uuid"]
    refused = await client.delete(f"/objects/{dewar}")
    assert refused.status_code == 409
    assert [p["path"] for p in refused.json()["problems"]] == [message["Puck"]["Puck1"]["uuid"]]
    assert (await client.delete(f"/objects/{dewar}?cascade=true")).status_code == 204
    stats = (await client.get("/stats")).json()
    assert "Pin" not in stats and "Puck" not in stats and stats["Shipment"] == 1
