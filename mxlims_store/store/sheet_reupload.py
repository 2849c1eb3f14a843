"""A sheet uploaded again: what of the stored shipment it changes, moves, empties or leaves out.

Sheet objects have stable uuids (see ``mappings/importer.py``), so the second upload of a
shipment names the same objects. Before that upload is imported (``update_old`` or ``merge``):

- a cell the sheet has a column for and leaves empty removes the stored value (``emptied``);
- a job's "Template" status, which the sheet only assumes, does not undo a facility's return;
- containers and pins the sheet no longer lists leave their container in the same commit, so
  that their places are free for what the sheet puts there; they stay stored, and are named;
- what moves is named;
- a sheet that shares not one pin with the stored shipment of the same name is another shipment,
  and is refused rather than allowed to take the stored one over.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from mxlims_store.errors import Conflict, InvalidMessage, MappingError, NotFound, SheetProblem
from mxlims_store.mappings import SiteFormat
from mxlims_store.model.links import link_targets, rule_for
from mxlims_store.model.registry import BASE_TYPE
from mxlims_store.store.access import Caller
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import collection_of
from mxlims_store.store.documents import from_document
from mxlims_store.store.reads import fetch, locate
from mxlims_store.store.walk import walk

# The places a part of a shipment can have in its container.
POSITIONS = ("positionInDewar", "positionInPuck", "positionInPin", "positionInPlate")
_SAMPLE_HOLDERS = ("Pin", "PinPosition")


async def stored_parts(db: Backend, caller: Caller, shipment_uuid: str) -> dict[str, Any]:
    """The dewars, pucks and pins of the shipment as stored now, by uuid; empty when new."""
    try:
        _, root = await locate(db, caller, shipment_uuid)
    except NotFound:
        return {}
    reached = (await walk(db, caller, [root], "down")).documents
    return {
        uuid: document
        for uuid, document in reached.items()
        if uuid != shipment_uuid and collection_of(document["mxlimsType"]) == "logistical_samples"
    }


def refuse_another_shipment(before: dict[str, Any], message: dict[str, Any]) -> None:
    """A sheet that shares no pin with the stored shipment of its name is a new shipment (the
    same dewar, say, shipped again), not a correction: refused, never taken over."""
    stored = {u for u, d in before.items() if d["mxlimsType"] in _SAMPLE_HOLDERS}
    listed = {o["uuid"] for t in _SAMPLE_HOLDERS for o in message.get(t, {}).values()}
    if stored and not stored & listed:
        [shipment] = message["Shipment"].values()
        raise Conflict(
            f"shipment {shipment.get('name')!r} of proposal "
            f"{shipment.get('proposalCode') or '(none)'} is stored with other pins: this sheet "
            "is another shipment; give it a name of its own (--name, ?name=) or delete the "
            "stored one first"
        )


def moves_and_drops(before: dict[str, Any], message: dict[str, Any]) -> list[str]:
    """Warnings for the parts the sheet puts elsewhere or leaves out."""
    uuid_of = {
        f"#/{type_}/{key}": obj["uuid"]
        for type_, bucket in message.items()
        if type_ != "version"
        for key, obj in bucket.items()
    }
    listed = {o["uuid"]: o for t, b in message.items() if t != "version" for o in b.values()}
    warnings = []
    for uuid, stored in before.items():
        new = listed.get(uuid)
        if new is None:
            warnings.append(
                f"{_label(stored)} ({uuid}) is in the stored shipment but not in the sheet: "
                "taken out of its container and kept; delete it if it is no longer shipped"
            )
            continue
        old_place = (stored.get("containerId"), _position(stored))
        new_place = (uuid_of.get((new.get("containerRef") or {}).get("$ref", "")), _position(new))
        if old_place != new_place:
            warnings.append(
                f"{_label(stored)} ({uuid}) moves from {_place(before, *old_place)} to "
                f"{_place(listed, *new_place)}"
            )
    return warnings


def take_out_dropped(before: dict[str, Any], message: dict[str, Any]) -> dict[str, set[str]]:
    """Add the parts the sheet leaves out to the message, out of their containers; their other
    links point at stubs (uuid only: the store has the object). Returns, per uuid, the stored
    fields to clear (container and place)."""
    listed = {o["uuid"] for t, b in message.items() if t != "version" for o in b.values()}
    cleared: dict[str, set[str]] = {}
    for uuid, document in before.items():
        if uuid in listed:
            continue
        obj = {k: v for k, v in from_document(document).items() if k not in POSITIONS}
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
        cleared[uuid] = {"containerId", *POSITIONS}
    return cleared


async def keep_job_states(db: Backend, caller: Caller, message: dict[str, Any]) -> None:
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


def emptied(site: SiteFormat, message: dict[str, Any]) -> dict[str, set[str]]:
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


def on_rows(error: InvalidMessage, rows: dict[str, int], site: SiteFormat) -> MappingError:
    """The store's refusal of a sheet's objects (JSON paths: ``Puck/Puck1/barcode``) told as a
    sheet's problems: the row the object is first named on, and the column of its field."""
    problems = []
    for problem in error.problems:
        type_, _, rest = problem.path.partition("/")
        key, _, field = rest.partition("/")
        row = rows.get(f"{type_}/{key}")
        if row is None:
            problems.append(SheetProblem(None, None, f"{problem.path}: {problem.message}"))
            continue
        name = field.split("/")[0]
        columns = site.columns_for("Pin" if type_ == "MultiPin" else type_, name)
        column = columns[0].header if columns else None
        said = problem.message if column else f"{type_} {name or ''}: {problem.message}"
        problems.append(SheetProblem(row, column, said.strip()))
    return MappingError(problems)


def _position(obj: dict[str, Any]) -> Any:
    return next((obj[p] for p in POSITIONS if obj.get(p) is not None), None)


def _label(document: dict[str, Any]) -> str:
    name = document.get("barcode") or document.get("name") or document.get("_id")
    return f"{document['mxlimsType']} {name or document.get('uuid')}"


def _place(objects: dict[str, Any], container: str | None, position: Any) -> str:
    if container is None:
        return "no container"
    holder = objects.get(container)
    named = _label(holder) if holder is not None else f"container {container}"
    return f"{named} position {position}" if position is not None else named
