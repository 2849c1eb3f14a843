"""Links, provenance and export, all built on the level-by-level walk."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from mxlims_store.errors import InvalidMessage, NotFound, Problem
from mxlims_store.messages import write_message
from mxlims_store.model.links import link_targets, ref_key_for, rule_for
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.documents import from_document
from mxlims_store.store.reads import locate
from mxlims_store.store.sites import view_as
from mxlims_store.store.walk import Direction, walk

ExportDirection = Literal["up", "down", "both"]


async def links(db: Backend, caller: Caller, uuid: str) -> dict[str, Any]:
    """Forward links (the object's foreign keys) and reverse links (who points at it), typed."""
    _, root = await locate(db, caller, uuid)
    _, up = await walk(db, caller, [root], "up", 1)
    _, down = await walk(db, caller, [root], "down", 1)
    forward = [
        {
            "link": ref_key_for(field),
            "field": field,
            "uuid": target,
            "mxlimsType": up[target]["mxlimsType"] if target in up else None,
        }
        for field, target in link_targets(root)
    ]
    reverse = []
    for document in down.values():
        for field, target in link_targets(document):
            rule = rule_for(document["mxlimsType"], field)
            if target == uuid and document["_id"] != uuid and rule is not None:
                reverse.append(
                    {
                        "link": rule.reverse,
                        "field": field,
                        "uuid": document["_id"],
                        "mxlimsType": document["mxlimsType"],
                    }
                )
    return {"uuid": uuid, "mxlimsType": root["mxlimsType"], "forward": forward, "reverse": reverse}


async def provenance(
    db: Backend, caller: Caller, uuid: str, direction: Direction = "up", depth: int | None = None
) -> list[dict[str, Any]]:
    """Every object reached from ``uuid``, each with its depth and the link that reached it."""
    _check_depth(depth)
    _, root = await locate(db, caller, uuid)
    steps, _ = await walk(db, caller, [root], direction, depth)
    return [s.to_dict() for s in steps]


async def export(
    db: Backend,
    caller: Caller,
    uuid: str,
    *,
    direction: ExportDirection = "both",
    depth: int | None = None,
    site: str | None = None,
) -> dict[str, Any]:
    """The object and its neighbourhood as one message; everything they link to comes along,
    so that every link in the message resolves."""
    _check_depth(depth)
    _, root = await locate(db, caller, uuid)
    documents = {uuid: root}
    for way in ("up", "down"):
        if direction in (way, "both"):
            _, reached = await walk(db, caller, [root], way, depth)
            documents.update(reached)
    _, documents = await walk(db, caller, list(documents.values()), "up")
    # Building the message is CPU work on thousands of objects: off the event loop.
    return await asyncio.to_thread(_message_of, list(documents.values()), site)


def _message_of(documents: list[dict[str, Any]], site: str | None) -> dict[str, Any]:
    objects = [from_document(d) for d in documents]
    if site:
        objects = [view_as(o, site) for o in objects]
    return write_message(objects)


async def shipment_results(db: Backend, caller: Caller, uuid: str) -> dict[str, Any]:
    """One MXLIMS file: the shipment, everything in it, its experiments and all their results."""
    _, root = await locate(db, caller, uuid)
    if root["mxlimsType"] != "Shipment":
        raise InvalidMessage([Problem("uuid", f"{uuid} is a {root['mxlimsType']}, not a Shipment")])
    return await export(db, caller, uuid, direction="down")


async def proposal_results(db: Backend, caller: Caller, code: str) -> dict[str, Any]:
    """One MXLIMS file: every shipment of a proposal, everything in them and all results."""
    shipments = await db.find(
        "logistical_samples",
        readable(caller, {"mxlimsType": "Shipment", "_meta.proposal": code}),
    )
    if not shipments:
        raise NotFound("no shipment of this proposal that you may see")
    _, documents = await walk(db, caller, shipments, "down")
    _, documents = await walk(db, caller, list(documents.values()), "up")
    return await asyncio.to_thread(_message_of, list(documents.values()), None)


def _check_depth(depth: int | None) -> None:
    if depth is not None and depth < 0:
        raise InvalidMessage([Problem("depth", "must be 0 or more")])
