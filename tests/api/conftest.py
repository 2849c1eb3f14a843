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
from mxlims_store.store.bootstrap import FIRST_KEY_FILE

BASE_URL = "http://testserver/api/v1"  # the API's prefix (/health is served there too)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    overrides.setdefault("data_dir", tmp_path / "data")
    overrides.setdefault("allowed_hosts", "testserver,localhost,127.0.0.1")
    return Settings(_env_file=None, **overrides)


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
