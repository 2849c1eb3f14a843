"""Upload sizes: a full beamtime's shipment goes through; a body above the maximum gets 413."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mxlims_store.api.main import create_app
from tests.api.conftest import make_settings, running
from tests.factories import shipment_message

MB = 1024 * 1024


@pytest.fixture
async def small_limit_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(tmp_path, max_body_bytes=16 * MB))
    async with running(app) as client:
        yield client


def twenty_megabytes() -> bytes:
    filler = {"version": "0.6.13", "padding": "x" * (20 * MB)}
    return json.dumps(filler).encode()


async def test_declared_oversize_body_is_refused_unread(
    small_limit_client: httpx.AsyncClient,
) -> None:
    response = await small_limit_client.post(
        "/messages", content=twenty_megabytes(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "BodyTooLarge"
    assert str(16 * MB) in response.json()["message"]


async def test_streamed_oversize_body_is_cut_at_the_limit(
    small_limit_client: httpx.AsyncClient,
) -> None:
    body = twenty_megabytes()

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: only counting can catch it
        for start in range(0, len(body), MB):
            yield body[start : start + MB]

    response = await small_limit_client.post(
        "/messages", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "BodyTooLarge"


async def test_lying_content_length_is_counted_too(small_limit_client: httpx.AsyncClient) -> None:
    body = twenty_megabytes()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), MB):
            yield body[start : start + MB]

    response = await small_limit_client.patch(
        "/objects/3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        content=chunks(),
        headers={"Content-Type": "application/json", "Content-Length": "100", "If-Match": '"1"'},
    )
    assert response.status_code == 413


async def test_a_five_megabyte_shipment_is_accepted_at_the_default(
    client: httpx.AsyncClient,
) -> None:
    # 1,600 pins with their requested experiments (~6,500 objects), pretty-printed as a user's
    # tool would write it, is ~2 MB; trailing whitespace (valid JSON) brings it to 5 MB.
    message = shipment_message(1600, experiments=True)
    body = json.dumps(message, indent=2).encode()
    body += b" " * (5 * MB - len(body))
    response = await client.post(
        "/messages", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text[:500]
    assert response.json()["created"]["Pin"] == 1600
