"""The API under test: ``create_app`` on an embedded store in a temporary directory, lifespan
run by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mxlims_store.api.main import create_app
from mxlims_store.config import Settings
from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import database_file
from mxlims_store.store.backends.sqlite_create import create_database
from mxlims_store.store.bootstrap import FIRST_KEY_FILE
from mxlims_store.store.existence import make_private_dir

BASE_URL = "http://testserver/api/v1"  # the API's prefix (/health is served there too)


def make_settings(tmp_path: Path, *, new_store: bool = True, **overrides: Any) -> Settings:
    """Settings of an embedded store in ``tmp_path`` (made there first unless ``new_store`` is
    false: the API's start never creates one, as ``serve`` and ``init`` do)."""
    overrides.setdefault("data_dir", tmp_path / "data")
    overrides.setdefault("allowed_hosts", "testserver,localhost,127.0.0.1")
    settings = Settings(_env_file=None, **overrides)
    if new_store and not settings.mongodb_url:
        make_store(settings)
    return settings


def make_store(settings: Settings) -> None:
    """An empty embedded store where ``settings`` point, as `mxlims-store init` makes one."""
    database = database_file(settings.data_dir, settings.database)
    if not database.exists():
        make_private_dir(settings.data_dir)
        create_database(database, {})


@asynccontextmanager
async def running(app: FastAPI, key: str | None = "admin") -> AsyncIterator[httpx.AsyncClient]:
    """A client of the running app, by default with the first admin key the start created."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {}
        if key == "admin":
            first = app.state.settings.data_dir / FIRST_KEY_FILE
            headers["Authorization"] = f"Bearer {first.read_text().strip()}"
        async with httpx.AsyncClient(
            transport=transport, base_url=BASE_URL, headers=headers
        ) as client:
            yield client


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as client:
        yield client


def results_built_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The uuids whose results file this process builds from now on (a reading process runs
    the unpatched code, and notes nothing here)."""
    built: list[str] = []
    original = Store.shipment_results

    async def counted(self: Any, uuid: str, **kwargs: Any) -> Any:
        built.append(uuid)
        return await original(self, uuid, **kwargs)

    monkeypatch.setattr(Store, "shipment_results", counted)
    return built
