"""The store under test, once per backend: the embedded SQLite engine, the mongomock double of
MongoDB, and a real MongoDB when ``MXLIMS_TEST_MONGODB_URL`` is set (e.g. ``docker compose up -d
mongo`` and ``MXLIMS_TEST_MONGODB_URL=mongodb://127.0.0.1:27017/?directConnection=true``).
A behaviour that differs between them is a bug."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mxlims_store.store import Store
from mxlims_store.store.backends import Backend
from mxlims_store.store.backends.mongo import MongoBackend, PymongoDriver
from mxlims_store.store.backends.sqlite import SqliteBackend
from tests.acting import admin_store
from tests.doubles.mongomock_driver import MongomockDriver

MONGODB_URL = os.environ.get("MXLIMS_TEST_MONGODB_URL")
BACKENDS = ["sqlite", "mongomock", *(["mongodb"] if MONGODB_URL else [])]


def make_backend(kind: str, tmp_path: Path) -> Backend:
    if kind == "sqlite":
        return SqliteBackend(tmp_path / "store.sqlite3")
    if kind == "mongomock":
        return MongoBackend(MongomockDriver())
    from pymongo import AsyncMongoClient

    client = AsyncMongoClient(MONGODB_URL)
    return MongoBackend(PymongoDriver(client, f"mxlims_test_{uuid.uuid4().hex[:8]}"))


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    backend = make_backend(request.param, tmp_path)
    yield backend
    if isinstance(backend, MongoBackend) and isinstance(backend.driver, PymongoDriver):
        await backend.driver.client.drop_database(backend.driver.db.name)
    await backend.close()


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    store = admin_store(backend)
    await store.init()
    yield store
