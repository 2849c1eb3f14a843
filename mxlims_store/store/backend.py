"""Open the store on MongoDB (``MXLIMS_MONGODB_URL``) or on the embedded SQLite default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mxlims_store.config import Settings, describe_store
from mxlims_store.errors import StoreBroken
from mxlims_store.store.backends import Backend
from mxlims_store.store.backends.legacy import convert_if_legacy
from mxlims_store.store.backends.sqlite import SCHEMA_VERSION, SqliteBackend, database_file
from mxlims_store.store.backends.sqlite_files import restore_from
from mxlims_store.store.existence import EXISTING, Creation, ensure_database, make_private_dir
from mxlims_store.store.store import Store


def make_backend(settings: Settings, creation: Creation = EXISTING) -> Backend:
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
    path = database_file(settings.data_dir, settings.database)
    if settings.data_dir.is_dir():
        convert_if_legacy(settings.data_dir, settings.database, path)
    # a missing database is an error unless this opening may create one (existence.py)
    ensure_database(settings.data_dir, path, creation)
    return SqliteBackend(path, lock_timeout=settings.lock_timeout)


@asynccontextmanager
async def open_store(settings: Settings, *, creation: Creation = EXISTING) -> AsyncIterator[Store]:
    """A ready store (pinged, indexes in place), closed on exit. A bad URL, a damaged file or
    a missing database (unless ``creation`` allows making one) fails here, at start."""
    backend = make_backend(settings, creation)
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


async def verify(store: Store) -> None:
    """Refuse a damaged embedded database before serving from it (SQLite's quick check)."""
    if isinstance(store.db, SqliteBackend):
        await store.db.verify()


def restore(settings: Settings, source: Path) -> dict[str, Any]:
    """Put the backup ``source`` in place of the embedded store's database (sqlite_files)."""
    if settings.mongodb_url:
        raise StoreBroken("restore is for the embedded store; on MongoDB use mongorestore")
    make_private_dir(settings.data_dir)
    return restore_from(source, database_file(settings.data_dir, settings.database), SCHEMA_VERSION)


def _is_driver_error(error: Exception) -> bool:
    return type(error).__module__.startswith("pymongo")
