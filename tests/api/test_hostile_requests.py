"""Requests a review found answered wrongly: lone surrogates in keys, user text in a download
name, a key's last day, a query too large."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.factories import shipment_message

SURROGATE_BODIES = [
    '{"version":"0.6.13","Pin":{"P":{"mxlimsType":"Pin","extensions":{"esrf.fr":{"\\ud800":1}}}}}',
    '{"version":"0.6.13","Pin":{"\\udc00":{"mxlimsType":"Pin"}}}',
    '{"version":"0.6.13","\\ud800":{"P":{"mxlimsType":"Pin"}}}',
]


@pytest.mark.parametrize("body", SURROGATE_BODIES, ids=["extension-key", "local-key", "type-key"])
async def test_a_lone_surrogate_in_a_key_is_a_422(client: httpx.AsyncClient, body: str) -> None:
    response = await client.post(
        "/messages?dry_run=true", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert json.loads(response.text)["problems"]


async def test_a_proposal_code_never_breaks_the_download_header(client: httpx.AsyncClient) -> None:
    message = shipment_message(1, proposal="mx✓1")
    assert (await client.post("/messages", json=message)).status_code == 201
    response = await client.get("/proposals/mx%E2%9C%931/results")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="proposal-mx_1-results.json"'
    )


async def test_a_key_given_a_date_works_through_that_day(client: httpx.AsyncClient) -> None:
    from datetime import UTC, datetime

    today = datetime.now(UTC).date().isoformat()
    created = await client.post(
        "/keys", json={"name": "visitor", "role": "staff", "expires": today}
    )
    assert created.status_code == 201, created.text
    assert created.json()["expires"].startswith(today) is False  # the end of the day
    visitor = {"Authorization": f"Bearer {created.json()['key']}"}
    assert (await client.get("/stats", headers=visitor)).status_code == 200


async def test_a_long_in_list_over_http_is_answered(client: httpx.AsyncClient) -> None:
    values = ",".join(str(n) for n in range(1, 601))
    response = await client.get(f"/objects?type=Pin&where=positionInPuck:in=[{values}]")
    assert response.status_code == 200, response.text
