"""Facility sheets against the store: import a filled-in sheet, export a stored shipment."""

from __future__ import annotations

import asyncio
from typing import Any

from mxlims_store.errors import InvalidMessage, Problem
from mxlims_store.mappings import SheetExport, read_sheet, write_sheet
from mxlims_store.store.access import Caller
from mxlims_store.store.backends import Backend
from mxlims_store.store.importer import ImportReport, import_message
from mxlims_store.store.navigation import export
from mxlims_store.store.reads import locate


async def import_sheet(
    db: Backend,
    caller: Caller,
    site: str,
    data: bytes,
    *,
    filename: str | None = None,
    proposal: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Convert (every problem as row + column, nothing stored if any) and import as new objects.

    The converter's fresh uuids are dropped so that the store derives them from the sheet's
    content: importing the same sheet again (say, after a crash) completes it, never doubles it.
    """
    message = await asyncio.to_thread(
        read_sheet, site, data, filename=filename, proposal_code=proposal
    )
    for type_name, objects in message.items():
        if type_name != "version":
            for obj in objects.values():
                obj.pop("uuid", None)
    return await import_message(db, message, caller=caller, policy="error", dry_run=dry_run)


async def export_sheet(
    db: Backend, caller: Caller, site: str, shipment_uuid: str, *, fmt: str = "csv"
) -> SheetExport:
    """A stored shipment as ``site``'s sheet; ``losses`` lists what that sheet cannot hold."""
    _, root = await locate(db, caller, shipment_uuid)
    if root["mxlimsType"] != "Shipment":
        problem = Problem("uuid", f"{shipment_uuid} is a {root['mxlimsType']}, not a Shipment")
        raise InvalidMessage([problem])
    message: dict[str, Any] = await export(db, caller, shipment_uuid, direction="down")
    return await asyncio.to_thread(write_sheet, site, message, fmt=fmt)
