"""A page whose work fails unexpectedly (a bug) is an error page like any other: HTML with the
500 the API gives, never the API's JSON body in a browser. And the shipment page of a dewar named
with a superscript digit ("DW-1²", which once broke its natural sort) is drawn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mxlims_store.api.main import create_app
from mxlims_store.store import layout
from tests.api.conftest import make_settings, running
from tests.factories import shipment_message
from tests.pages.test_pages_forms import token


@pytest.fixture
async def ada(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    app = create_app(make_settings(tmp_path))
    async with running(app) as api:
        key = (
            await api.post("/keys", json={"name": "Ada", "role": "member", "proposals": ["mx1234"]})
        ).json()["key"]
        message = shipment_message(2)
        next(iter(message["Dewar"].values()))["barcode"] = "DW-1²"  # shown by its barcode
        stored = await api.post("/messages", json=message, params={"proposal": "mx1234"})
        assert stored.status_code == 201, stored.text
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # as a server does
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as page:
            login = await page.get("/pages/login")
            await page.post("/pages/login", data={"key": key, "csrf": token(login.text)})
            yield page, stored.json()["shipment"]


async def test_a_dewar_named_with_a_superscript_digit_is_drawn(
    ada: tuple[httpx.AsyncClient, str],
) -> None:
    page, shipment = ada
    drawn = await page.get(f"/pages/shipments/{shipment}")
    assert drawn.status_code == 200 and "DW-1²" in drawn.text


async def test_an_unexpected_failure_on_a_page_is_an_error_page(
    ada: tuple[httpx.AsyncClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page, shipment = ada

    def broken(text: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(layout, "natural_key", broken)
    failed = await page.get(f"/pages/shipments/{shipment}")
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("text/html")
    assert "see the server log" in failed.text and "a bug" not in failed.text
    assert failed.headers["cache-control"] == "no-store"
