"""Ownership fields (a shipment's proposalCode) change only through staff or an admin, on every
write path: PATCH, an import that updates, a sheet uploaded again."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.api.test_no_probing import Two, _dls_sheet, two  # noqa: F401 - the fixture
from tests.factories import shipment_message

CSV = {"Content-Type": "text/csv"}


async def _shipment_says(client: httpx.AsyncClient, uuid: str) -> str:
    answer = await client.get(f"/objects/{uuid}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["proposalCode"])


async def test_a_member_cannot_relabel_by_patch(two: Two) -> None:  # noqa: F811
    shipment = two.shipment_a["Shipment"]["Shipment1"]["uuid"]
    answer = await two.a.patch(
        f"/objects/{shipment}", json={"proposalCode": "mx2"}, headers={"If-Match": '"1"'}
    )
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {
            "path": "proposalCode",
            "message": "only facility staff or an admin may change whose this is",
        }
    ]
    assert await _shipment_says(two.a, shipment) == "mx1"
    exported = await two.a.get(f"/shipments/{shipment}/results")
    assert '"mx2"' not in exported.text


async def test_a_member_cannot_relabel_by_an_updating_import(two: Two) -> None:  # noqa: F811
    relabelled = {
        "version": "0.6.13",
        "Shipment": {"S": {**two.shipment_a["Shipment"]["Shipment1"], "proposalCode": "mx2"}},
    }
    for policy in ("update_old", "merge"):
        answer = await two.a.post(f"/messages?policy={policy}", json=relabelled)
        assert answer.status_code == 422, answer.text
        assert answer.json()["problems"][0]["path"] == "Shipment/S/proposalCode"
    shipment = two.shipment_a["Shipment"]["Shipment1"]["uuid"]
    assert await _shipment_says(two.a, shipment) == "mx1"


async def test_a_sheet_naming_another_proposal_stores_nothing_for_it(two: Two) -> None:  # noqa: F811
    first = await two.a.post("/sheets/dls", content=_dls_sheet("1"), headers=CSV)
    assert first.status_code == 201, first.text
    again = await two.a.post("/sheets/dls", content=_dls_sheet("2"), headers=CSV)
    assert again.status_code == 422, again.text
    shipment = first.json()["shipment"]
    assert await _shipment_says(two.a, shipment) == "mx1"


async def test_staff_may_relabel(two: Two, tmp_path: Path) -> None:  # noqa: F811
    own = shipment_message(1, proposal="mx1")
    assert (await two.a.post("/messages", json=own)).status_code == 201
    shipment = own["Shipment"]["Shipment1"]["uuid"]
    answer = await two.staff.patch(
        f"/objects/{shipment}", json={"proposalCode": "mx1b"}, headers={"If-Match": '"1"'}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["proposalCode"] == "mx1b"
