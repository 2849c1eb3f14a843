"""Open the store on MongoDB (``MXLIMS_MONGODB_URL``) or on the embedded SQLite default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mxlims_store.config import Settings, describe_store
from mxlims_store.errors import StoreBroken
from mxlims_store.store.backends import Backend
from mxlims_store.store.backends.legacy import convert_if_legacy
from mxlims_store.store.backends.sqlite import SqliteBackend, database_file
from mxlims_store.store.store import Store


def make_backend(settings: Settings) -> Backend:
    """The configured backend, not yet touched (nothing is read or written here)."""
    if settings.mongodb_url:
        from pymongo import AsyncMongoClient  # only here: the embedded store starts faster

        options: dict[str, Any] = {}
        if "serverselectiontimeoutms" not in settings.mongodb_url.lower():
            options["serverSelectionTimeoutMS"] = 5000  # fail fast on a wrong host
        from pymongo.errors import PyMongoError

        from mxlims_store.store.backends.mongo import MongoBackend, PymongoDriver

        try:
            client: Any = AsyncMongoClient(settings.mongodb_url, **options)
        except PyMongoError as error:  # a malformed URL or option
            raise StoreBroken(f"cannot open {describe_store(settings)}: {error}") from None
        return MongoBackend(PymongoDriver(client, settings.database))
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreBroken(
            f"cannot create the data directory {settings.data_dir}: {error}"
        ) from None
    path = database_file(settings.data_dir, settings.database)
    convert_if_legacy(settings.data_dir, settings.database, path)
    return SqliteBackend(path, lock_timeout=settings.lock_timeout)


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Store]:
    """A ready store (pinged, indexes in place), closed on exit. A bad URL or a damaged file
    fails here, at start."""
    backend = make_backend(settings)
    try:
        store = Store(backend)
        try:
            await store.ping()
            await store.init()
        except Exception as error:  # unreachable server, refused login ...: one clear line
            if isinstance(error, StoreBroken) or not _is_driver_error(error):
                raise
            raise StoreBroken(
                f"cannot open {describe_store(settings)}: {type(error).__name__}: {error}"
            ) from error
        yield store
    finally:
        await backend.close()


def _is_driver_error(error: Exception) -> bool:
    return type(error).__module__.startswith("pymongo")
