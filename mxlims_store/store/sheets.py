"""Facility sheets against the store: import a filled-in sheet, export a stored shipment."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from mxlims_store.errors import NotFound, SheetProblem
from mxlims_store.mappings import SheetExport, SiteFormat, get_site, read_sheet
from mxlims_store.mappings.checked import SheetDefaults, checked_sheet
from mxlims_store.model.links import link_targets, rule_for
from mxlims_store.model.registry import BASE_TYPE
from mxlims_store.store.access import Caller
from mxlims_store.store.backends import Backend
from mxlims_store.store.documents import from_document
from mxlims_store.store.importer import ImportReport, Policy, import_message
from mxlims_store.store.navigation import shipment_results
from mxlims_store.store.reads import fetch, locate
from mxlims_store.store.walk import walk

# What a re-upload compares with the stored shipment: the things that hold a sample.
_HOLDERS = ("Pin", "PinPosition", "MultiPin")


async def import_sheet(
    db: Backend,
    caller: Caller,
    site: str,
    data: bytes,
    *,
    filename: str | None = None,
    proposal: str | None = None,
    encoding: str | None = None,
    policy: Policy = "update_old",
    dry_run: bool = False,
) -> ImportReport:
    """Convert (every problem as row + column, nothing stored if any) and import.

    Sheet-derived uuids are stable (facility, proposal, shipment name, barcodes or places), so
    uploading a corrected sheet again updates its shipment in place (``update_old``: the sheet
    is the truth for what it holds; other sites' extension slots are kept). The report lists
    what changed, and says which stored pins the new sheet moves or no longer has.
    """
    noted: list[SheetProblem] = []
    message = await asyncio.to_thread(
        read_sheet,
        site,
        data,
        filename=filename,
        proposal_code=proposal,
        encoding=encoding,
        warnings=noted,
    )
    [shipment] = message["Shipment"].values()
    before = await _stored_holders(db, caller, shipment["uuid"])
    warnings = [str(w) for w in noted]
    warnings += _moves_and_drops(before, message) if before else []
    cleared: dict[str, set[str]] = {}
    if before and policy in ("update_old", "merge"):
        await _keep_job_states(db, caller, message)
        cleared = _emptied(get_site(site), message)
        for uuid in _take_out_dropped(before, message):
            cleared[uuid] = {"containerId", "positionInPuck", "positionInPin"}
    report = await import_message(
        db, message, caller=caller, policy=policy, dry_run=dry_run, cleared=cleared
    )
    report.warnings.extend(warnings)
    return report


async def _keep_job_states(db: Backend, caller: Caller, message: dict[str, Any]) -> None:
    """A sheet has no status column: its jobs are "Template" by default. Uploaded again after a
    facility's return, it must not turn completed experiments back into templates."""
    jobs = {
        obj["uuid"]: obj
        for type_ in ("MxExperiment", "MxProcessing")
        for obj in message.get(type_, {}).values()
        if obj.get("jobStatus") == "Template"
    }
    for uuid in await fetch(db, caller, {"jobs": jobs}):
        del jobs[uuid]["jobStatus"]


def _emptied(site: SiteFormat, message: dict[str, Any]) -> dict[str, set[str]]:
    """Per object, the fields this sheet has a column for and leaves empty: a corrected sheet
    that empties a cell removes its value (fields no column gives, set by a facility's return
    or a PATCH, are kept)."""
    columns: dict[str, set[str]] = defaultdict(set)
    for column in site.columns:
        if column.field:
            type_, field = column.field.split(".")[:2]
            columns[type_].add(field)
            if type_ == "Pin":
                columns["MultiPin"].add(field)
        else:
            columns[column.object_type].add(f"extensions/{site.domain}")
    columns["Pin"].add(f"extensions/{site.domain}")  # where columns it does not know are kept
    out: dict[str, set[str]] = {}
    for type_, bucket in message.items():
        for obj in bucket.values() if type_ != "version" else ():
            present = set(obj) | {f"extensions/{d}" for d in obj.get("extensions", {})}
            if missing := columns.get(type_, set()) - present:
                out[obj["uuid"]] = missing
    return out


async def _stored_holders(
    db: Backend, caller: Caller, shipment_uuid: str
) -> dict[str, dict[str, Any]]:
    """The pins (and multi-pins) of the shipment as stored now; empty when it is new."""
    try:
        _, root = await locate(db, caller, shipment_uuid)
    except NotFound:
        return {}
    reached = (await walk(db, caller, [root], "down")).documents
    return {u: d for u, d in reached.items() if d["mxlimsType"] in _HOLDERS}


def _take_out_dropped(before: dict[str, dict[str, Any]], message: dict[str, Any]) -> list[str]:
    """Pins the new sheet no longer lists leave their puck (in the same commit), so that the
    places they held are free for the pins the sheet puts there. They stay stored, with their
    samples and everything else; their other links point at stubs (uuid only: the store has
    the object)."""
    listed = {o["uuid"] for t in _HOLDERS for o in message.get(t, {}).values()}
    dropped = [uuid for uuid in before if uuid not in listed]
    for uuid in dropped:
        document = before[uuid]
        obj = from_document(document)
        obj.pop("containerId", None)
        for field, target in list(link_targets(obj)):
            rule = rule_for(obj["mxlimsType"], field)
            if rule is None:
                continue
            section = BASE_TYPE[rule.targets[0]]  # a stub sits in its core type's section
            message.setdefault(section, {})[f"Stored-{target}"] = {"uuid": target}
            ref = {"$ref": f"#/{section}/Stored-{target}"}
            if rule.many:
                obj.setdefault(rule.ref_key, []).append(ref)
            else:
                obj[rule.ref_key] = ref
            obj.pop(field, None)
        message.setdefault(obj["mxlimsType"], {})[f"Dropped-{uuid}"] = obj
    return dropped


def _label(document: dict[str, Any]) -> str:
    name = document.get("barcode") or document.get("name") or document["_id"]
    return f"{document['mxlimsType']} {name}"


def _moves_and_drops(before: dict[str, dict[str, Any]], message: dict[str, Any]) -> list[str]:
    """Warnings for pins that the re-uploaded sheet puts elsewhere or leaves out."""
    uuid_of = {
        f"#/{type_}/{key}": obj["uuid"]
        for type_, bucket in message.items()
        if type_ != "version"
        for key, obj in bucket.items()
    }
    now = {obj["uuid"]: obj for type_ in _HOLDERS for obj in message.get(type_, {}).values()}
    warnings = []
    for uuid, stored in before.items():
        new = now.get(uuid)
        if new is None:
            warnings.append(
                f"{_label(stored)} ({uuid}) is stored in this shipment but not in the sheet: it "
                "was kept; delete it if it is no longer shipped"
            )
            continue
        old_place = (stored.get("containerId"), stored.get("positionInPuck"))
        container = uuid_of.get((new.get("containerRef") or {}).get("$ref", ""))
        new_place = (container, new.get("positionInPuck"))
        if old_place != new_place:
            warnings.append(
                f"{_label(stored)} ({uuid}) moves from container {old_place[0]} position "
                f"{old_place[1]} to container {new_place[0]} position {new_place[1]}"
            )
    return warnings


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
    message: dict[str, Any] = await shipment_results(db, caller, shipment_uuid)
    return await asyncio.to_thread(
        checked_sheet, site, message, fmt=fmt, defaults=defaults or SheetDefaults(), draft=draft
    )
