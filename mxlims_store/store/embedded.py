"""The embedded backend: mongomock behind PyMongo's async API shapes, persisted to a directory.

``EmbeddedClient(data_dir)`` stands in for ``pymongo.AsyncMongoClient``: ``find`` is sync and
returns a cursor, ``aggregate`` and every other call are coroutines, results and errors are
PyMongo's own classes. Without ``data_dir`` everything lives in memory (tests); with one, every
acknowledged write is in the journal there (see ``embedded_journal``) and survives ``kill -9``.

It is meant for a lab's own data (up to some tens of thousands of documents): mongomock scans
a whole collection for each query that is not by ``_id``, and the whole data set lives in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mongomock
from pymongo.errors import ConfigurationError, InvalidOperation

from mxlims_store.store import embedded_ops as ops
from mxlims_store.store.embedded_collection import EmbeddedCollection
from mxlims_store.store.embedded_cursor import EmbeddedCommandCursor, EmbeddedCursor
from mxlims_store.store.embedded_journal import DataDir, DataDirCorrupt, DataDirLocked, dumps

__all__ = [
    "DataDirCorrupt",
    "DataDirLocked",
    "EmbeddedClient",
    "EmbeddedCollection",
    "EmbeddedCommandCursor",
    "EmbeddedCursor",
    "EmbeddedDatabase",
]

logger = logging.getLogger(__name__)


class EmbeddedClient:
    """``AsyncMongoClient``'s shape over mongomock; ``round_trips`` counts database calls."""

    def __init__(self, data_dir: Path | str | None = None, *, tz_aware: bool = False) -> None:
        self.round_trips = 0
        self._mongomock: Any = mongomock.MongoClient(tz_aware=tz_aware)
        self._closed = False
        self._data_dir: DataDir | None = None
        if data_dir is not None:
            data = DataDir(Path(data_dir))
            try:
                databases, records = data.load()
                ops.load_state(self._mongomock, databases)
                for record in records:
                    ops.replay(self._mongomock, record)
                if data.journal_bytes > data.snapshot_bytes:
                    data.write_snapshot(ops.dump_state(self._mongomock))
            except BaseException:
                data.close()
                raise
            self._data_dir = data

    @property
    def data_dir(self) -> Path | None:
        return self._data_dir.path if self._data_dir is not None else None

    def _call(self) -> None:
        """Every database operation starts here: one round trip, refused after close()."""
        if self._closed:
            raise InvalidOperation("cannot use the embedded client after close()")
        self.round_trips += 1

    def _journalable(self, value: Any) -> None:
        """Refuse, before it touches the data, a write whose values JSON cannot carry."""
        if self._data_dir is not None:
            dumps(value)

    def _journal(self, record: dict[str, Any]) -> None:
        """Make an applied write durable before the call returns."""
        data = self._data_dir
        if data is None:
            return
        try:
            data.append(record)
        except BaseException:
            # Memory now holds a write the disk may not: refuse everything until reopened.
            self._closed = True
            data.close()
            self._data_dir = None
            raise
        if data.wants_compaction():
            try:
                data.write_snapshot(ops.dump_state(self._mongomock))
            except OSError:  # the write above is durable; the journal stays valid, retry later
                logger.warning("compacting %s failed", data.path, exc_info=True)

    def __getitem__(self, name: str) -> EmbeddedDatabase:
        return EmbeddedDatabase(self, name)

    def get_database(self, name: str | None = None) -> EmbeddedDatabase:
        if name is None:
            raise ConfigurationError("No default database name defined or provided.")
        return EmbeddedDatabase(self, name)

    @property
    def admin(self) -> EmbeddedDatabase:
        return EmbeddedDatabase(self, "admin")

    async def list_database_names(self) -> list[str]:
        self._call()
        return list(self._mongomock.list_database_names())

    async def drop_database(self, name_or_database: str | EmbeddedDatabase) -> None:
        self._call()
        name = getattr(name_or_database, "name", name_or_database)
        self._mongomock.drop_database(name)
        self._journal({"d": name, "op": "drop_database"})

    async def close(self) -> None:
        """Compact (snapshot, empty journal) and release the data directory; idempotent."""
        self._closed = True
        data, self._data_dir = self._data_dir, None
        if data is not None:
            try:
                if data.journal_bytes:
                    data.write_snapshot(ops.dump_state(self._mongomock))
            finally:
                data.close()

    async def __aenter__(self) -> EmbeddedClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class EmbeddedDatabase:
    """``AsyncDatabase``'s shape."""

    def __init__(self, client: EmbeddedClient, name: str) -> None:
        self.client = client
        self.name = name
        self._mongomock: Any = client._mongomock[name]

    def __getitem__(self, name: str) -> EmbeddedCollection:
        return EmbeddedCollection(self, name)

    def get_collection(self, name: str) -> EmbeddedCollection:
        return EmbeddedCollection(self, name)

    async def list_collection_names(self) -> list[str]:
        self.client._call()
        return list(self._mongomock.list_collection_names())

    async def command(self, command: str | Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        self.client._call()
        name = command if isinstance(command, str) else next(iter(command))
        if name == "ping":
            return {"ok": 1.0}
        raise NotImplementedError(f"the embedded backend does not run the {name!r} command")

    async def create_collection(self, name: str, **kwargs: Any) -> EmbeddedCollection:
        self.client._call()
        self._mongomock.create_collection(name, **kwargs)
        self.client._journal({"d": self.name, "c": name, "op": "create_collection"})
        return EmbeddedCollection(self, name)

    async def drop_collection(self, name_or_collection: str | EmbeddedCollection) -> None:
        self.client._call()
        name = getattr(name_or_collection, "name", name_or_collection)
        self._mongomock.drop_collection(name)
        self.client._journal({"d": self.name, "c": name, "op": "drop_collection"})
