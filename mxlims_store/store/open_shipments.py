"""Which open shipment each stored LogisticalSample sits in (the containers above it, climbed
with one query per level), for finding things by barcode or name among what is still on its
way: a shipment whose last event is ``closed`` is over, and its dewars may travel again."""

from __future__ import annotations

from typing import Any

from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import EVENTS

LOGISTICS = "logistical_samples"
MAX_DEPTH = 8  # containers above a pin: puck, dewar, shipment (and room to spare)


async def open_shipments_of(
    db: Backend, caller: Caller, found: dict[str, dict[str, Any]], known: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """uuid -> the uuid of the open shipment it is in, for each of ``found`` in one. ``known``
    (stored documents by uuid) gains every container read on the way."""
    known.update(found)
    frontier = set(found)
    for _ in range(MAX_DEPTH):
        wanted = {known[u].get("containerId") for u in frontier}
        wanted = {w for w in wanted if isinstance(w, str) and w not in known}
        if not wanted:
            break
        fetched = await db.find(LOGISTICS, readable(caller, {"_id": {"$in": sorted(wanted)}}))
        known.update((d["_id"], d) for d in fetched)
        frontier = {d["_id"] for d in fetched}
    top: dict[str, str] = {}
    for uuid in found:
        here, seen = uuid, {uuid}
        while known[here]["mxlimsType"] != "Shipment":
            parent = known[here].get("containerId")
            if not isinstance(parent, str) or parent not in known or parent in seen:
                break
            here = parent
            seen.add(here)
        if known[here]["mxlimsType"] == "Shipment":
            top[uuid] = here
    shipments = sorted(set(top.values()))
    if not shipments:
        return {}
    events = await db.find(
        EVENTS, readable(caller, {"subject": {"$in": shipments}}), sort=[("time", 1), ("_id", 1)]
    )
    state = {e["subject"]: e["state"] for e in events}
    return {u: s for u, s in top.items() if state.get(s) != "closed"}


def where(known: dict[str, dict[str, Any]], shipment_of: dict[str, str], uuid: str) -> str:
    """``Puck 1234-... in shipment 'name'``: how an object is named in an ambiguity."""
    doc = known.get(uuid, {})
    shipment = known.get(shipment_of.get(uuid, ""), {})
    named = shipment.get("name") or shipment.get("_id")
    return f"{doc.get('mxlimsType', 'object')} {uuid}" + (
        f" in shipment {named!r}" if shipment else ""
    )
