"""Facility sheets against the store: import a filled-in sheet, export a stored shipment."""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict

from mxlims_store.answers import ImportReport
from mxlims_store.errors import InvalidMessage, SheetProblem
from mxlims_store.mappings import SheetExport, get_site, read_sheet
from mxlims_store.mappings.checked import SheetDefaults, checked_sheet
from mxlims_store.mappings.identities import keyed_by_store
from mxlims_store.store import sheet_reupload as reupload
from mxlims_store.store.access import Caller
from mxlims_store.store.backends import Backend
from mxlims_store.store.importer import import_message
from mxlims_store.store.navigation import shipment_results
from mxlims_store.store.policies import Policy
from mxlims_store.store.store_secret import store_secret
from mxlims_store.store.write_lock import one_at_a_time


class SheetOptions(TypedDict, total=False):
    """How to read and store an uploaded sheet (all optional)."""

    filename: str | None  # the upload's name: .xlsx, .tsv ...
    proposal: str | None  # for a sheet that names none
    name: str | None  # the shipment's, for a sheet that names none (else: its first dewar)
    encoding: str | None  # of a text sheet that is not UTF-8
    policy: Policy  # for what is stored already (default update_old: a corrected sheet)
    dry_run: bool


async def import_sheet(
    db: Backend,
    caller: Caller,
    site: str,
    data: bytes,
    *,
    filename: str | None = None,
    proposal: str | None = None,
    name: str | None = None,
    encoding: str | None = None,
    policy: Policy = "update_old",
    dry_run: bool = False,
) -> ImportReport:
    """Convert (every problem as row + column, nothing stored if any) and import.

    Sheet-derived uuids are stable (facility, proposal, shipment name, barcodes or places), so
    uploading a corrected sheet again updates its shipment in place (``update_old``: the sheet
    is the truth for what it holds; other sites' extension slots are kept). The report lists
    what changed and names what the sheet moves or leaves out (see ``sheet_reupload``).
    """
    noted: list[SheetProblem] = []
    rows: dict[str, int] = {}
    if proposal is None and caller.proposals is not None and len(caller.proposals) == 1:
        # a member's sheet that names no proposal is its one proposal's (as ownership has it):
        # the same uuids, and the same shipment found, as when the proposal is given
        [proposal] = caller.proposals
    message = await asyncio.to_thread(
        read_sheet,
        site,
        data,
        filename=filename,
        proposal_code=proposal,
        shipment_name=name,
        encoding=encoding,
        warnings=noted,
        rows=rows,
    )
    keyed_by_store(message, await store_secret(db))  # uuids another proposal cannot work out
    site_format = get_site(site)
    [shipment] = message["Shipment"].values()
    warnings = [str(w) for w in noted]
    if not shipment.get("proposalCode"):
        warnings.append(
            "the sheet names no proposal and none was given (--proposal, ?proposal=): "
            "the shipment belongs to no proposal"
        )
    # Uploads of sheets take turns: each compares itself with what the one before stored.
    async with one_at_a_time(db, "sheet uploads"):
        before = await reupload.stored_parts(db, caller, shipment["uuid"])
        cleared: dict[str, set[str]] = {}
        if before:
            reupload.refuse_another_shipment(before, message)
        if before and policy in ("update_old", "merge"):
            warnings += reupload.moves_and_drops(before, message)
            await reupload.keep_job_states(db, caller, message)
            cleared = reupload.emptied(site_format, message)
            cleared.update(reupload.take_out_dropped(before, message))
        try:
            report = await import_message(
                db, message, caller=caller, policy=policy, dry_run=dry_run, cleared=cleared
            )
        except InvalidMessage as error:
            raise reupload.on_rows(error, rows, site_format) from None
    report.warnings.extend(warnings)
    return report


async def export_sheet(
    db: Backend,
    caller: Caller,
    site: str,
    shipment_uuid: str,
    *,
    fmt: str = "csv",
    defaults: SheetDefaults | None = None,
    draft: bool = False,
) -> SheetExport:
    """A stored shipment as ``site``'s sheet, checked against that facility's own import rules.

    Missing required values come from ``defaults`` (proposal, puck type, per-column values) or
    from the stored objects; what is still missing is refused (every row and column) unless
    ``draft``. ``losses`` lists what the sheet cannot hold, ``warnings`` what to look at.
    """
    # as the facility (or its beamline: massif1.esrf.fr) sees it: its overrides applied
    message: dict[str, Any] = await shipment_results(db, caller, shipment_uuid, site)
    return await asyncio.to_thread(
        checked_sheet, site, message, fmt=fmt, defaults=defaults or SheetDefaults(), draft=draft
    )
