"""Logistics events: where a shipment, dewar or container is, and what has happened to it.

Events are not MXLIMS objects: they live in their own collection, point at their object by
uuid, are never changed or deleted, and never appear in exports (which stay valid MXLIMS). Each
belongs to its object's proposal, so the access rules of objects hold for them too.

States and the moves between them (the first event of an object may be ``prepared``,
``shipped`` or ``received``: a facility scanning a dewar that arrives unannounced)::

    prepared    -> shipped, closed
    shipped     -> received
    received    -> stored, at_beamline, returned
    stored      -> stored (moved), at_beamline, returned
    at_beamline -> at_beamline (another beamline), stored, returned
    returned    -> prepared (a new journey), closed
    closed      -> (none: the journey is over)
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from mxlims_store.errors import Conflict, InvalidMessage, NotFound, PermissionDenied, Problem
from mxlims_store.model.basic_types import is_uuid
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.collections import EVENTS
from mxlims_store.store.documents import META, now
from mxlims_store.store.reads import locate
from mxlims_store.store.write_lock import checked_writes

STATES = ("prepared", "shipped", "received", "stored", "at_beamline", "returned", "closed")
MOVES: dict[str | None, tuple[str, ...]] = {
    None: ("prepared", "shipped", "received"),
    "prepared": ("shipped", "closed"),
    "shipped": ("received",),
    "received": ("stored", "at_beamline", "returned"),
    "stored": ("stored", "at_beamline", "returned"),
    "at_beamline": ("at_beamline", "stored", "returned"),
    "returned": ("prepared", "closed"),
    "closed": (),
}
TRACKED = ("Shipment", "Dewar", "Puck", "Plate", "MultiPin", "Pin")
_TEXT_LIMITS = {
    "location": 500,
    "facility": 100,
    "beamline": 100,
    "storagePosition": 100,
    "trackingNumber": 100,
    "note": 2000,
}


async def resolve(db: Backend, caller: Caller, ref: str) -> dict[str, Any]:
    """The object a uuid or a barcode names (a barcode scan). Barcodes are unique within a
    shipment; a dewar reused across shipments has one object per shipment, and the newest of
    those the caller may see is the one in hand."""
    if is_uuid(ref.lower()):
        return (await locate(db, caller, ref.lower()))[1]
    found = await db.find(
        "logistical_samples",
        readable(caller, {"barcode": ref}),
        sort=[("_meta.createdAt", -1), ("_id", 1)],
        limit=50,
    )
    if not found:
        raise NotFound("no object with this barcode that you may see")
    proposals = {d[META].get("proposal") for d in found}
    if len(proposals) > 1:  # staff see every proposal: a scan must not land on the wrong one
        listed = ", ".join(sorted(str(p) for p in proposals))
        candidates = [Problem(d["_id"], _candidate(d)) for d in found]
        raise Conflict(
            f"barcode {ref!r} is on objects of {len(proposals)} proposals ({listed}); "
            "choose one of the candidates and scan it by uuid",
            candidates,
        )
    return found[0]


def _candidate(document: dict[str, Any]) -> str:
    """One object a scanned barcode may mean, as staff choose between them."""
    meta = document[META]
    name = f" {document['name']!r}" if document.get("name") else ""
    return (
        f"{document['mxlimsType']}{name} of proposal {meta.get('proposal')}, "
        f"created {meta.get('createdAt')}"
    )


def _check(fields: dict[str, Any]) -> list[Problem]:
    problems = []
    if fields.get("state") not in STATES:
        problems.append(Problem("state", f"must be one of {', '.join(STATES)}"))
    for name, limit in _TEXT_LIMITS.items():
        value = fields.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            problems.append(Problem(name, f"text of at most {limit} characters"))
    return problems


async def record(
    db: Backend, caller: Caller, ref: str, state: str, **details: str | None
) -> dict[str, Any]:
    """Record that the object ``ref`` (uuid or barcode) is now in ``state``, with the details
    (location, facility, beamline, storagePosition, trackingNumber, note)."""
    problems = _check({"state": state, **details})
    if problems:
        raise InvalidMessage(problems)
    async with checked_writes(db):  # the current state is read and moved on in one turn
        return await _record(db, caller, ref, state, details)


async def _record(
    db: Backend, caller: Caller, ref: str, state: str, details: dict[str, str | None]
) -> dict[str, Any]:
    subject = await resolve(db, caller, ref)
    if subject["mxlimsType"] not in TRACKED:
        raise InvalidMessage(
            [
                Problem(
                    "ref", f"a {subject['mxlimsType']} has no journey; track {', '.join(TRACKED)}"
                )
            ]
        )
    proposal = subject[META].get("proposal")
    if not caller.may_write(proposal):
        raise PermissionDenied("you may not record events for this object")
    history = await _events(db, caller, subject["_id"])
    current = history[-1]["state"] if history else None
    if state not in MOVES[current]:
        allowed = ", ".join(MOVES[current]) or "nothing: the journey is closed"
        raise Conflict(f"cannot go from {current or 'no state'} to {state}; allowed: {allowed}")
    event_id = str(uuidlib.uuid4())
    event: dict[str, Any] = {
        "_id": event_id,
        "subject": subject["_id"],
        "subjectType": subject["mxlimsType"],
        "state": state,
        "time": now(),
        "actor": caller.actor,
        **{k: v for k, v in details.items() if v is not None},
        META: {"proposal": proposal, "revision": 1},
    }
    await db.commit([Write(EVENTS, event_id, event, None, None)])
    return public(event)


async def _events(db: Backend, caller: Caller, uuid: str) -> list[dict[str, Any]]:
    query = readable(caller, {"subject": uuid})
    return await db.find(EVENTS, query, sort=[("time", 1), ("_id", 1)])


def public(event: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in event.items() if k not in ("_id", META)}
    return {"id": event["_id"], **shown}


async def where(db: Backend, caller: Caller, ref: str) -> dict[str, Any]:
    """The object's current state and location, and every event in order, in one answer."""
    subject = await resolve(db, caller, ref)
    events = [public(e) for e in await _events(db, caller, subject["_id"])]
    located = [e for e in events if any(e.get(k) for k in ("location", "facility", "beamline"))]
    last_place = located[-1] if located else {}
    return {
        "uuid": subject["_id"],
        "mxlimsType": subject["mxlimsType"],
        "barcode": subject.get("barcode"),
        "name": subject.get("name"),
        "state": events[-1]["state"] if events else None,
        "since": events[-1]["time"] if events else None,
        "location": {
            k: last_place.get(k)
            for k in ("location", "facility", "beamline", "storagePosition")
            if last_place.get(k)
        },
        "trackingNumber": next(
            (e["trackingNumber"] for e in reversed(events) if e.get("trackingNumber")), None
        ),
        "trackingDevice": subject.get("trackingDevice"),
        "events": events,
    }


async def current_states(db: Backend, caller: Caller, uuids: list[str]) -> dict[str, str]:
    """The current state of each of ``uuids`` that has events (one query)."""
    if not uuids:
        return {}
    events = await db.find(
        EVENTS, readable(caller, {"subject": {"$in": uuids}}), sort=[("time", 1), ("_id", 1)]
    )
    return {e["subject"]: e["state"] for e in events}
