"""A PATCH is written in MXLIMS form (containerRef, startedFromRef); its problems are located by
the names it was written with, as a message's are (Pin/Pin1/containerRef), not by the store's
own (containerId, startedFromId), which the client never sent. Store-form names, which a PATCH
may use too, stay as sent."""

from __future__ import annotations

import uuid as uuidlib

import httpx


def _two_experiments() -> tuple[dict[str, object], str, str]:
    first, second = str(uuidlib.uuid4()), str(uuidlib.uuid4())
    message = {
        "version": "0.6.13",
        "Shipment": {"S": {"mxlimsType": "Shipment", "name": "s", "proposalCode": "mx1234"}},
        "MxExperiment": {
            "E1": {"mxlimsType": "MxExperiment", "uuid": first},
            "E2": {
                "mxlimsType": "MxExperiment",
                "uuid": second,
                "startedFromRef": {"$ref": "#/MxExperiment/E1"},
            },
        },
    }
    return message, first, second


async def _paths(client: httpx.AsyncClient, uuid: str, patch: dict[str, object]) -> list[str]:
    refused = await client.patch(f"/objects/{uuid}", json=patch, headers={"If-Match": '"1"'})
    assert refused.status_code == 422, refused.text
    return [p["path"] for p in refused.json()["problems"]]


async def test_patch_problems_name_the_fields_as_sent(client: httpx.AsyncClient) -> None:
    message, first, second = _two_experiments()
    assert (await client.post("/messages", json=message)).status_code == 201
    nowhere = str(uuidlib.uuid4())
    assert await _paths(client, first, {"startedFromRef": {"$ref": second}}) == ["startedFromRef"]
    assert await _paths(client, first, {"startedFromRef": {"$ref": first}}) == ["startedFromRef"]
    assert await _paths(client, first, {"startedFromRef": {"$ref": nowhere}}) == ["startedFromRef"]
    assert await _paths(client, first, {"startedFromId": nowhere}) == ["startedFromId"]
