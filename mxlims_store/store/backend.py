"""Open the store on MongoDB (``MXLIMS_MONGODB_URL``) or on the embedded default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import AsyncMongoClient

from mxlims_store.config import Settings
from mxlims_store.store.embedded import EmbeddedClient
from mxlims_store.store.store import Store


def make_client(settings: Settings) -> Any:
    if settings.mongodb_url:
        options: dict[str, Any] = {"tz_aware": True}
        if "serverselectiontimeoutms" not in settings.mongodb_url.lower():
            options["serverSelectionTimeoutMS"] = 5000  # fail fast on a wrong host
        return AsyncMongoClient(settings.mongodb_url, **options)
    return EmbeddedClient(settings.data_dir, tz_aware=True)


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Store]:
    """A ready store (pinged, indexes in place), closed on exit. A bad URL fails here, at start."""
    client = make_client(settings)
    try:
        await client.admin.command("ping")
        store = Store(client[settings.database])
        await store.init()
        yield store
    finally:
        await client.close()
