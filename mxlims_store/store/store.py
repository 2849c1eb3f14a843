"""The store: one object over a database handle, the library's whole storage surface.

Like Beanie, it never creates a client: the caller hands it a backend (SQLite or MongoDB,
:mod:`mxlims_store.store.backends`) and owns its life. Every method takes the ``caller``
whose grants scope it; a store opened without one acts for nobody and is refused everything
that reads or writes objects, keys or backups (say who acts: ``Store(db, caller)`` or
``store.acting_as(caller)``). Every method answers with a declared model of
:mod:`mxlims_store.answers`, which the CLI prints and the API sends as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Unpack

from mxlims_store.answers import (
    ApiKey,
    BackupReport,
    BeamlineSample,
    CheckReport,
    CreatedKey,
    Deleted,
    Event,
    HistoryEntry,
    Identity,
    ImportReport,
    Labels,
    Layout,
    Links,
    MxlimsObject,
    Page,
    ShipmentSummary,
    Stats,
    Status,
    Whereabouts,
)
from mxlims_store.errors import MxlimsError, PermissionDenied, StoreBroken
from mxlims_store.mappings import SheetDefaults, SheetExport
from mxlims_store.store import (
    beamline_samples,
    consistency,
    deletion,
    importer,
    keys,
    layout,
    logistics,
    navigation,
    numbering,
    objects,
    queries,
    sheets,
    status,
)
from mxlims_store.store import history as history_entries
from mxlims_store.store.access import NOBODY, Caller
from mxlims_store.store.backends import Backend
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.navigation import ExportDirection, ExportedMessage, Provenance
from mxlims_store.store.policies import Policy
from mxlims_store.store.queries import FindQuery
from mxlims_store.store.reads import locate
from mxlims_store.store.walk import Direction


class Store:
    def __init__(self, db: Backend, caller: Caller = NOBODY) -> None:
        self.db = db
        self.caller = caller

    def acting_as(self, caller: Caller) -> Store:
        """The same store, every call made by ``caller`` unless a call names another."""
        return Store(self.db, caller)

    def _who(self, caller: Caller | None) -> Caller:
        """The caller of a call that reads or writes objects, keys or backups: refused when it
        has no rights at all (a store opened without a caller), rather than answered empty."""
        who = self.caller if caller is None else caller
        if not who.reads_everything and not who.proposals:
            raise PermissionDenied(
                "no rights: this caller holds no proposal and no role (a store opened without "
                "a caller acts for nobody; say who acts)"
            )
        return who

    async def init(self) -> None:
        """Collections and declared indexes in place, objects numbered (idempotent; writes
        nothing if present)."""
        await self.db.prepare()
        # a store from before object numbers, once: the library's own bookkeeping over every
        # object (it reads the backend itself, no caller), so any opener may run it
        await numbering.backfill(self.db)

    async def ping(self) -> None:
        await self.db.ping()

    async def import_message(
        self,
        message: Any,
        *,
        policy: Policy = "reject_new",
        dry_run: bool = False,
        caller: Caller | None = None,
        proposal: str | None = None,
    ) -> ImportReport:
        return await importer.import_message(
            self.db,
            message,
            caller=self._who(caller),
            policy=policy,
            dry_run=dry_run,
            proposal=proposal,
        )

    async def import_sheet(
        self,
        site: str,
        data: bytes,
        *,
        caller: Caller | None = None,
        **options: Unpack[sheets.SheetOptions],
    ) -> ImportReport:
        return await sheets.import_sheet(self.db, self._who(caller), site, data, **options)

    async def export_sheet(
        self,
        site: str,
        shipment_uuid: str,
        *,
        fmt: str = "csv",
        defaults: SheetDefaults | None = None,
        draft: bool = False,
        caller: Caller | None = None,
    ) -> SheetExport:
        return await sheets.export_sheet(
            self.db,
            self._who(caller),
            site,
            shipment_uuid,
            fmt=fmt,
            defaults=defaults,
            draft=draft,
        )

    async def get(self, uuid: str, *, caller: Caller | None = None) -> MxlimsObject:
        return (await objects.get(self.db, self._who(caller), uuid)).answer()

    async def find(self, query: FindQuery, *, caller: Caller | None = None) -> Page:
        return await queries.find(self.db, self._who(caller), query)

    async def update(
        self, uuid: str, changes: dict[str, Any], *, revision: int, caller: Caller | None = None
    ) -> MxlimsObject:
        """Change fields (store form) of the object at ``revision``; the object as it is now."""
        stored = await objects.update(self.db, self._who(caller), uuid, changes, revision)
        return stored.answer()

    async def delete(
        self,
        uuid: str,
        *,
        revision: int | None = None,
        cascade: bool = False,
        caller: Caller | None = None,
    ) -> Deleted:
        """Delete an object nothing points at, or with ``cascade`` everything below it too, in
        one transaction; the uuids deleted."""
        return Deleted(await deletion.delete(self.db, self._who(caller), uuid, revision, cascade))

    async def links(self, uuid: str, *, caller: Caller | None = None) -> Links:
        return await navigation.links(self.db, self._who(caller), uuid)

    async def provenance(
        self,
        uuid: str,
        *,
        direction: Direction = "up",
        depth: int | None = None,
        caller: Caller | None = None,
    ) -> Provenance:
        """The steps from ``uuid``; ``.cut`` lists the links not followed at the depth limit."""
        return await navigation.provenance(self.db, self._who(caller), uuid, direction, depth)

    async def export(
        self,
        uuid: str,
        *,
        direction: ExportDirection = "both",
        depth: int | None = None,
        site: str | None = None,
        caller: Caller | None = None,
    ) -> ExportedMessage:
        """An MXLIMS message; ``.cut`` lists the links not followed at the depth limit (left
        out of the message, which therefore imports anywhere)."""
        return await navigation.export(
            self.db, self._who(caller), uuid, direction=direction, depth=depth, site=site
        )

    async def shipment_results(self, uuid: str, *, caller: Caller | None = None) -> ExportedMessage:
        return await navigation.shipment_results(self.db, self._who(caller), uuid)

    async def history(self, uuid: str, *, caller: Caller | None = None) -> list[HistoryEntry]:
        """Every recorded change of ``uuid``, oldest first (also after the object was deleted)."""
        who = self._who(caller)
        entries = await history_entries.recorded(self.db, who, uuid)
        if not entries:
            await locate(self.db, who, uuid)  # NotFound when there is no such object at all
        return [HistoryEntry.model_validate(history_entries.public(e)) for e in entries]

    async def stats(self, *, caller: Caller | None = None) -> Stats:
        return Stats(await queries.stats(self.db, self._who(caller)))

    # -- logistics and status ---------------------------------------------------------------

    async def record_event(
        self, ref: str, state: str, *, caller: Caller | None = None, **details: str | int | None
    ) -> Event:
        """Record a logistics event for the object a uuid or barcode names."""
        recorded = await logistics.record(self.db, self._who(caller), ref, state, **details)
        return Event.model_validate(recorded)

    async def where(self, ref: str, *, caller: Caller | None = None) -> Whereabouts:
        """Current state, location and every event of the object a uuid or barcode names."""
        return Whereabouts.model_validate(await logistics.where(self.db, self._who(caller), ref))

    async def by_barcode(self, barcode: str, *, caller: Caller | None = None) -> MxlimsObject:
        found = await logistics.resolve(self.db, self._who(caller), barcode)
        return objects.stored_object(found).answer()

    async def status(self, uuid: str, *, caller: Caller | None = None) -> Status:
        """Counts per sample status and one line per sample position of a shipment or dewar."""
        return Status.model_validate(await status.status(self.db, self._who(caller), uuid))

    async def shipments(
        self,
        *,
        proposal: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        caller: Caller | None = None,
    ) -> list[ShipmentSummary]:
        """Shipments the caller may see, newest first, with state and counts (``search``: a
        barcode of anything in them, a sample or protein, part of a name, a proposal code)."""
        found = await status.shipments(
            self.db, self._who(caller), proposal=proposal, search=search, limit=limit, offset=offset
        )
        return [ShipmentSummary.model_validate(s) for s in found]

    async def layout(self, uuid: str, *, caller: Caller | None = None) -> Layout:
        """Dewars, containers drawn as their real geometry, positions with status (pages)."""
        return Layout.model_validate(await layout.layout(self.db, self._who(caller), uuid))

    async def labels(self, uuids: list[str], *, caller: Caller | None = None) -> Labels:
        """How a person names each object of ``uuids`` the caller may see."""
        return Labels(await layout.labels_of(self.db, self._who(caller), uuids))

    async def proposal_shipments(
        self, code: str, *, caller: Caller | None = None
    ) -> list[ShipmentSummary]:
        found = await status.proposal_shipments(self.db, self._who(caller), code)
        return [ShipmentSummary.model_validate(s) for s in found]

    async def proposal_results(self, code: str, *, caller: Caller | None = None) -> ExportedMessage:
        """One MXLIMS file: every shipment of the proposal with all its results."""
        return await navigation.proposal_results(self.db, self._who(caller), code)

    async def samples(
        self,
        proposal: str,
        *,
        beamline: str | None = None,
        loaded: bool | None = None,
        caller: Caller | None = None,
    ) -> list[BeamlineSample]:
        """The proposal's pins as MXCuBE lists samples (``loaded``: in pucks at a beamline)."""
        found = await beamline_samples.samples(
            self.db, self._who(caller), proposal, beamline=beamline, loaded=loaded
        )
        return [BeamlineSample.model_validate(s) for s in found]

    # -- API keys (admins) --------------------------------------------------------------------

    async def create_key(
        self,
        *,
        name: str,
        role: str,
        proposals: list[str] | None = None,
        expires: str | None = None,
        beamline: str | None = None,
        caller: Caller | None = None,
    ) -> CreatedKey:
        created = await keys.create(
            self.db,
            self._who(caller),
            name=name,
            role=role,
            proposals=proposals,
            expires=expires,
            beamline=beamline,
        )
        return CreatedKey.model_validate(created)

    def identity(self, *, caller: Caller | None = None) -> Identity:
        """Who the caller is: name, role, proposals (None: every one), beamline. Any caller
        may ask, one without rights too (it learns that it has none)."""
        who = self.caller if caller is None else caller
        proposals = None if who.reads_everything else sorted(who.proposals or ())
        return Identity(name=who.actor, role=who.role, proposals=proposals, beamline=who.beamline)

    async def list_keys(self, *, caller: Caller | None = None) -> list[ApiKey]:
        return [ApiKey.model_validate(k) for k in await keys.listed(self.db, self._who(caller))]

    async def revoke_key(self, key_id: str, *, caller: Caller | None = None) -> ApiKey:
        return ApiKey.model_validate(await keys.revoke(self.db, self._who(caller), key_id))

    async def count_keys(self, *, caller: Caller | None = None) -> int:
        """How many API keys there are (an admin's question: whether a first one is needed)."""
        if not self._who(caller).is_admin:
            raise PermissionDenied("only an admin manages API keys")
        return await keys.count(self.db)

    async def authenticate(self, presented: str | None) -> Caller:
        """The caller behind a presented API key; Unauthenticated if it is not a valid one."""
        return await keys.authenticate(self.db, presented)

    async def authenticate_id(self, key_id: str) -> Caller:
        """The caller of a key known by its id (a page session); Unauthenticated once it was
        revoked or expired."""
        return await keys.caller_of(self.db, key_id)

    # -- maintenance (embedded store, admins) ----------------------------------------------------

    async def backup(self, target: Path) -> BackupReport:
        """A consistent online copy of the embedded store into ``target``."""
        return BackupReport.model_validate(await self._embedded("backup").backup(target))

    async def check(self) -> CheckReport:
        """Every problem found, one line each (none: an empty list): the embedded engine's own
        integrity check, then the store's rules over everything stored (any backend)."""
        if not self._who(None).is_admin:
            raise PermissionDenied("only an admin may check the store")
        # The rules are read over every proposal (consistency.py reads the backend directly):
        # a rule spans proposals (one pin per position, whoever owns the pins), hence admins only.
        found = await self.db.check() if isinstance(self.db, SqliteBackend) else []
        try:
            return CheckReport(problems=found + await consistency.rule_problems(self.db))
        except StoreBroken as error:  # damaged documents, each named above: rules need them
            return CheckReport(problems=[*found, f"the rules were not checked: {error.message}"])

    def _embedded(self, action: str) -> SqliteBackend:
        if not self._who(None).is_admin:
            raise PermissionDenied(f"only an admin may {action} the store")
        if not isinstance(self.db, SqliteBackend):
            raise MxlimsError(
                f"{action} is for the embedded store; on MongoDB use the server's own tools "
                "(mongodump, validate)"
            )
        return self.db
