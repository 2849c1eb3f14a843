"""The application shell: lifespan, health, facility description, schemas, docs."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from mxlims_store.api import facility
from mxlims_store.api.main import StoreUnavailable, create_app
from mxlims_store.config import SettingsError, describe_store, get_settings
from mxlims_store.errors import Unavailable
from mxlims_store.messages import SUPPORTED_VERSIONS
from mxlims_store.model.registry import MODEL_VERSION
from mxlims_store.store import Store
from tests.api.conftest import make_settings, running


async def test_lifespan_opens_one_store_and_closes_it(app: FastAPI) -> None:
    async with running(app) as client:
        store = app.state.store
        assert isinstance(store, Store)
        assert (await client.get("/health")).status_code == 200
        assert app.state.store is store
    assert not hasattr(app.state, "store")
    with pytest.raises(Unavailable, match="is closed"):
        await store.ping()


async def test_default_opener_uses_the_embedded_data_dir(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, data_dir=tmp_path / "data"))
    async with running(app) as client:
        health = (await client.get("/health")).json()
    assert health == {"status": "ok", "modelVersion": MODEL_VERSION, "backend": "embedded"}
    assert (tmp_path / "data").is_dir()


@pytest.mark.parametrize(
    "url",
    ["http://db.example.org", "mongodb://", "mongodb://db:notaport"],
    ids=["wrong-scheme", "no-host", "bad-port"],
)
def test_a_bad_mongodb_url_is_refused_by_the_settings(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before anything is opened or created: one line naming the variable and what it takes."""
    monkeypatch.setenv("MXLIMS_MONGODB_URL", url)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match=r"^MXLIMS_MONGODB_URL=.*it takes a URL mongodb://"):
            get_settings()
    finally:
        get_settings.cache_clear()


@pytest.mark.slow
async def test_an_unreachable_mongodb_fails_at_start(tmp_path: Path) -> None:
    app = create_app(
        make_settings(
            tmp_path,
            mongodb_url="mongodb://127.0.0.1:9/?connectTimeoutMS=100&serverSelectionTimeoutMS=100",
        )
    )
    with pytest.raises(StoreUnavailable, match="ServerSelectionTimeoutError"):
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover


def test_passwords_are_hidden_in_start_errors(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, mongodb_url="mongodb://admin:s3cret@db.example.org:27017/x")
    assert describe_store(settings) == "MongoDB at mongodb://admin:***@db.example.org:27017/x"


async def test_facility_describes_what_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.get("/facility")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "mxlims-store"
    assert body["mxlimsVersions"] == list(SUPPORTED_VERSIONS)
    assert body["shippingRequirements"]["Shipment"]["required"] == ["proposalCode"]
    assert body["shippingRequirements"]["MultiPin"]["required"] == [
        "numberPositions",
        "positionInPuck",
    ]
    assert set(body["shippingRequirements"]) == set(facility.SHIPPING_TYPES)
    pin = body["shippingRequirements"]["Pin"]  # message names, not the store's containerId
    assert {"containerRef", "sampleRef"} <= set(pin["optional"])
    assert not [f for f in pin["required"] + pin["optional"] if f.endswith("Id")]
    assert pin["bySheet"]["sls"] == ["containerRef", "positionInPuck", "sampleRef"]
    assert "positionInPuck" not in pin["bySheet"]["esrf"]  # row order gives the place
    samples = body["shippingRequirements"]["MacromoleculeSample"]["bySheet"]
    assert all("name" in samples[site] for site in ("dls", "esrf", "maxiv", "sls", "soleil"))
    containers = {c["type"]: c for c in body["containerTypes"]}
    assert containers["Puck"]["contains"] == ["Pin", "MultiPin"]
    assert containers["Puck"]["capacity"]["byType"]["unipuck"] == 16
    assert containers["MultiPin"]["capacity"]["field"] == "numberPositions"
    assert containers["Shipment"]["contains"] == ["Dewar", "Plate"]
    assert body["sheetFormats"] == facility.sheet_formats()


async def test_facility_name_comes_from_settings(tmp_path: Path) -> None:

    app = create_app(make_settings(tmp_path, facility_name="MAX IV"))
    async with running(app) as client:
        assert (await client.get("/facility")).json()["name"] == "MAX IV"


def test_sheet_formats_are_plain_json() -> None:
    formats = facility.sheet_formats()
    json.dumps(formats)
    for site in formats:
        assert {"code", "name", "domain", "columns"} <= set(site)


async def test_schemas_are_listed_and_served(client: httpx.AsyncClient) -> None:
    listing = (await client.get("/schemas")).json()
    names = [entry["name"] for entry in listing]
    assert "Pin" in names and "Shipment" in names
    pin = await client.get("/schemas/Pin")
    assert pin.status_code == 200
    assert pin.json()["properties"]["mxlimsType"]
    assert (await client.get("/schemas/Pin.json")).json() == pin.json()
    assert (await client.get(listing[0]["url"])).status_code == 200


async def test_docs_and_openapi_are_served(client: httpx.AsyncClient) -> None:
    docs = await client.get("http://testserver/docs")  # for people, at the root
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower() and "/api/v1/openapi.json" in docs.text
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "mxlims-store"


async def test_health_without_a_database_is_503(app: FastAPI) -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    class Down:
        async def ping(self) -> None:
            raise ServerSelectionTimeoutError("no servers")

    async with running(app) as client:
        app.state.store = Down()
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["error"] == "StoreUnavailable"
