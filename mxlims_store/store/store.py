"""The store: one object over a database handle, the library's whole storage surface.

Like Beanie, it never creates a client: the caller hands it a backend (SQLite or MongoDB,
:mod:`mxlims_store.store.backends`) and owns its life. Every method takes the ``caller``
whose grants scope it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mxlims_store.errors import MxlimsError
from mxlims_store.mappings import SheetExport
from mxlims_store.store import history as history_entries
from mxlims_store.store import importer, navigation, objects, queries, sheets
from mxlims_store.store.access import LOCAL, Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.collections import HISTORY
from mxlims_store.store.importer import ImportReport, Policy, Progress
from mxlims_store.store.navigation import ExportDirection
from mxlims_store.store.objects import StoredObject
from mxlims_store.store.queries import FindQuery, Page
from mxlims_store.store.reads import locate
from mxlims_store.store.walk import Direction


class Store:
    def __init__(self, db: Backend) -> None:
        self.db = db

    async def init(self) -> None:
        """Collections and declared indexes in place (idempotent; writes nothing if present)."""
        await self.db.prepare()

    async def ping(self) -> None:
        await self.db.ping()

    async def import_message(
        self,
        message: Any,
        *,
        policy: Policy = "reject_new",
        dry_run: bool = False,
        caller: Caller = LOCAL,
        proposal: str | None = None,
        allow_missing_targets: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        return await importer.import_message(
            self.db,
            message,
            caller=caller,
            policy=policy,
            dry_run=dry_run,
            proposal=proposal,
            allow_missing_targets=allow_missing_targets,
            progress=progress,
        )

    async def import_sheet(
        self,
        site: str,
        data: bytes,
        *,
        filename: str | None = None,
        proposal: str | None = None,
        dry_run: bool = False,
        caller: Caller = LOCAL,
    ) -> ImportReport:
        return await sheets.import_sheet(
            self.db, caller, site, data, filename=filename, proposal=proposal, dry_run=dry_run
        )

    async def export_sheet(
        self, site: str, shipment_uuid: str, *, fmt: str = "csv", caller: Caller = LOCAL
    ) -> SheetExport:
        return await sheets.export_sheet(self.db, caller, site, shipment_uuid, fmt=fmt)

    async def get(self, uuid: str, *, caller: Caller = LOCAL) -> StoredObject:
        return await objects.get(self.db, caller, uuid)

    async def find(self, query: FindQuery, *, caller: Caller = LOCAL) -> Page:
        return await queries.find(self.db, caller, query)

    async def update(
        self, uuid: str, changes: dict[str, Any], *, revision: int, caller: Caller = LOCAL
    ) -> StoredObject:
        return await objects.update(self.db, caller, uuid, changes, revision)

    async def delete(
        self, uuid: str, *, revision: int | None = None, caller: Caller = LOCAL
    ) -> None:
        await objects.delete(self.db, caller, uuid, revision)

    async def links(self, uuid: str, *, caller: Caller = LOCAL) -> dict[str, Any]:
        return await navigation.links(self.db, caller, uuid)

    async def provenance(
        self,
        uuid: str,
        *,
        direction: Direction = "up",
        depth: int | None = None,
        caller: Caller = LOCAL,
    ) -> list[dict[str, Any]]:
        return await navigation.provenance(self.db, caller, uuid, direction, depth)

    async def export(
        self,
        uuid: str,
        *,
        direction: ExportDirection = "both",
        depth: int | None = None,
        site: str | None = None,
        caller: Caller = LOCAL,
    ) -> dict[str, Any]:
        return await navigation.export(
            self.db, caller, uuid, direction=direction, depth=depth, site=site
        )

    async def shipment_results(self, uuid: str, *, caller: Caller = LOCAL) -> dict[str, Any]:
        return await navigation.shipment_results(self.db, caller, uuid)

    async def history(self, uuid: str, *, caller: Caller = LOCAL) -> list[dict[str, Any]]:
        """Every recorded change of ``uuid``, oldest first (also after the object was deleted)."""
        query = readable(caller, {"uuid": uuid})
        entries = await self.db.find(HISTORY, query, sort=[("time", 1), ("revision", 1)])
        if not entries:
            await locate(self.db, caller, uuid)  # NotFound when there is no such object at all
        return [history_entries.public(e) for e in entries]

    async def stats(self, *, caller: Caller = LOCAL) -> dict[str, int]:
        return await queries.stats(self.db, caller)

    async def backup(self, target: Path) -> dict[str, Any]:
        """A consistent online copy of the embedded store into ``target``."""
        return await self._embedded("backup").backup(target)

    async def check(self) -> list[str]:
        """Problems found by the embedded store's integrity check (none: an empty list)."""
        return await self._embedded("check").check()

    def _embedded(self, action: str) -> SqliteBackend:
        if not isinstance(self.db, SqliteBackend):
            raise MxlimsError(
                f"{action} is for the embedded store; on MongoDB use the server's own tools "
                "(mongodump, validate)"
            )
        return self.db
