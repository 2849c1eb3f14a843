"""Logistics events refuse control characters (NUL, the rest of C0, DEL, C1) in every text
field and in the scanned barcode or name, with a 422 naming the field; a note alone may hold
tabs and line breaks. Nothing is recorded when refused. The scan page says the same."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import shipment_message

FIELDS = ("location", "facility", "beamline", "storagePosition", "trackingNumber", "note")


@pytest.mark.parametrize("field", FIELDS)
async def test_an_event_field_with_a_control_character_is_refused(
    client: httpx.AsyncClient, field: str
) -> None:
    message = shipment_message(1)
    assert (await client.post("/messages", json=message)).status_code == 201
    for bad in ("\x00", "\x1b[31m", "\x7f", "\x85", "\x08"):  # NUL, ESC, DEL, C1 NEL, BS
        refused = await client.post(
            "/barcodes/DW-1/events", json={"state": "received", field: f"bay{bad}3"}
        )
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["problems"]
        assert problem["path"] == field and "control character U+" in problem["message"]
    dewar = message["Dewar"]["Dewar1"]["uuid"]
    assert (await client.get(f"/objects/{dewar}/events")).json()["events"] == []


async def test_a_note_may_run_over_lines_and_a_place_may_not(client: httpx.AsyncClient) -> None:
    assert (await client.post("/messages", json=shipment_message(1))).status_code == 201
    note = "lid dented\r\n\tcontents fine"
    kept = await client.post("/barcodes/DW-1/events", json={"state": "received", "note": note})
    assert kept.status_code == 201 and kept.json()["note"] == note
    one_line = await client.post(
        "/barcodes/DW-1/events", json={"state": "stored", "location": "shelf\n2"}
    )
    assert one_line.status_code == 422
    assert "only a note may hold tabs and line breaks" in one_line.json()["problems"][0]["message"]


async def test_a_scanned_code_with_a_control_character_is_refused(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/messages", json=shipment_message(1))).status_code == 201
    for code in ("DW-1%00", "DW%1B-1", "DW-1%C2%85"):
        for answer in (
            await client.post(f"/barcodes/{code}/events", json={"state": "received"}),
            await client.get(f"/barcodes/{code}"),
        ):
            assert answer.status_code == 422, (code, answer.text)
            assert answer.json()["problems"][0]["path"] == "ref"


async def test_the_scan_page_names_the_field(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert (await client.post("/messages", json=shipment_message(1))).status_code == 201
    key = client.headers["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        form = await browser.get("/pages/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        token = csrf.group(1)
        assert (
            await browser.post("/pages/login", data={"key": key, "csrf": token})
        ).status_code == 303
        scan = await browser.get("/pages/scan")
        token = re.search(r'name="csrf" value="([^"]+)"', scan.text).group(1)  # type: ignore[union-attr]
        for data in (
            {"ref": "DW-1\x00", "state": "received"},
            {"ref": "DW-1", "state": "received", "location": "dock\x00"},
        ):
            page = await browser.post("/pages/scan", data={**data, "csrf": token})
            assert page.status_code == 422, page.text
            assert "text/html" in page.headers["content-type"]
            assert "control character U+0000" in page.text
            field = "location" if "location" in data else "ref"
            assert field in page.text
        fine = await browser.post(
            "/pages/scan", data={"ref": "DW-1", "state": "received", "csrf": token}
        )
        assert fine.status_code == 200, fine.text
