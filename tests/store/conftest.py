"""The store under test: the in-memory embedded facade, or a real MongoDB when
``MXLIMS_TEST_MONGODB_URL`` is set (e.g. ``docker compose up -d mongo`` and
``MXLIMS_TEST_MONGODB_URL=mongodb://127.0.0.1:27017/?directConnection=true``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mxlims_store.store import Store
from mxlims_store.store.embedded import EmbeddedClient

MONGODB_URL = os.environ.get("MXLIMS_TEST_MONGODB_URL")


@pytest.fixture
async def client() -> AsyncIterator[Any]:
    if MONGODB_URL:
        from pymongo import AsyncMongoClient

        real: Any = AsyncMongoClient(MONGODB_URL, tz_aware=True)
        yield real
        await real.close()
    else:
        embedded = EmbeddedClient(tz_aware=True)
        yield embedded
        await embedded.close()


@pytest.fixture
async def store(client: Any) -> AsyncIterator[Store]:
    name = f"mxlims_test_{uuid.uuid4().hex[:8]}"
    store = Store(client[name])
    await store.init()
    yield store
    if MONGODB_URL:
        await client.drop_database(name)
