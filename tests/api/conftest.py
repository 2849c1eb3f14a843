"""The API under test: ``create_app`` on an in-memory embedded store, lifespan run by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app
from mxlims_store.config import Settings
from mxlims_store.store import Store
from mxlims_store.store.embedded import EmbeddedClient

BASE_URL = "http://testserver"


@asynccontextmanager
async def memory_store(settings: Settings) -> AsyncIterator[Store]:
    """An in-memory embedded store (nothing on disk), as ``open_store`` would hand it over."""
    client = EmbeddedClient()
    try:
        store = Store(client[settings.database])
        await store.init()
        yield store
    finally:
        await client.close()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    overrides.setdefault("data_dir", tmp_path / "unused")
    return Settings(_env_file=None, **overrides)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings, opener=memory_store)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as client:
        yield client
