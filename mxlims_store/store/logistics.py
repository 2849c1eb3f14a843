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

At the beamline a puck's event may give its ``sampleChangerPosition`` (what MXCuBE calls
``containerSampleChangerLocation``); staff may start a journey at ``at_beamline`` (a puck that
reached the beamline without earlier events). A pin is ``mounted`` on the goniometer and
``unmounted`` again (the robot's actions, :data:`MOUNTING`), from any state of its stay.
"""

from __future__ import annotations

import unicodedata
import uuid as uuidlib
from typing import Any, get_args

from mxlims_store.answers.tracking import EventState
from mxlims_store.errors import Conflict, InvalidMessage, PermissionDenied, Problem
from mxlims_store.model.basic_types import is_uuid
from mxlims_store.store import unit_of_work
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.collections import EVENTS
from mxlims_store.store.documents import META, now
from mxlims_store.store.named import by_name
from mxlims_store.store.reads import fetch, locate

STATES: tuple[str, ...] = get_args(EventState)
MOVES: dict[str | None, tuple[str, ...]] = {
    None: ("prepared", "shipped", "received"),
    "prepared": ("shipped", "closed"),
    "shipped": ("received",),
    "received": ("stored", "at_beamline", "returned"),
    "stored": ("stored", "at_beamline", "returned"),
    "at_beamline": ("at_beamline", "stored", "returned"),
    "returned": ("prepared", "closed"),
    "closed": (),
    "mounted": ("unmounted", "mounted"),  # mounted again: the robot lost count, never refused
    "unmounted": ("mounted", "stored", "at_beamline", "returned"),
}
MOUNTING = ("mounted", "unmounted")
MOUNTABLE = ("Pin", "MultiPin")
# a pin is mounted wherever its puck has brought it (pins rarely have events of their own)
for _state in (None, "received", "stored", "at_beamline"):
    MOVES[_state] += ("mounted",)
STAFF_STARTS = ("at_beamline",)  # a first event only staff may record
TRACKED = ("Shipment", "Dewar", "Puck", "Plate", "MultiPin", "Pin")
_TEXT_LIMITS = {
    "location": 500,
    "facility": 100,
    "beamline": 100,
    "storagePosition": 100,
    "trackingNumber": 100,
    "note": 2000,
}
FREE_TEXT = {"note": "\t\n\r"}  # a comment may run over lines (a browser's are \r\n)


def unprintable(value: str, allowed: str = "") -> str | None:
    """Why ``value`` cannot be stored as a label or a place: its first control character (NUL
    and the rest of C0, DEL, C1) or lone surrogate, by code point; None when it is clean."""
    for ch in value:
        if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cs"):
            return f"contains the control character U+{ord(ch):04X}"
    return None


def _ref_problems(ref: str) -> list[Problem]:
    said = unprintable(ref)
    return [Problem("ref", f"{said}: a barcode, uuid or name is one line")] if said else []


async def resolve(db: Backend, caller: Caller, ref: str) -> dict[str, Any]:
    """The object a uuid or a barcode names (a barcode scan), else the dewar or container of
    that name (``by_name``). Barcodes are unique within a shipment; a dewar reused across
    shipments has one object per shipment, and the newest of those the caller may see is the
    one in hand."""
    if problems := _ref_problems(ref):  # a NUL in a scanned code finds nothing: say why
        raise InvalidMessage(problems)
    if is_uuid(ref.lower()):
        return (await locate(db, caller, ref.lower()))[1]
    found = await db.find(
        "logistical_samples",
        readable(caller, {"barcode": ref}),
        sort=[("_meta.createdAt", -1), ("_id", 1)],
        limit=50,
    )
    if not found:
        return await by_name(db, caller, ref)
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
    position = fields.get("sampleChangerPosition")
    if position is not None and (
        not isinstance(position, int) or isinstance(position, bool) or not 1 <= position <= 1000
    ):
        problems.append(Problem("sampleChangerPosition", "a whole number from 1 to 1000"))
    if position is not None and fields.get("state") != "at_beamline":
        problems.append(
            Problem(
                "sampleChangerPosition",
                f"is given only with state at_beamline, not {fields.get('state')!r}",
            )
        )
    if fields.get("state") not in STATES:
        problems.append(Problem("state", f"must be one of {', '.join(STATES)}"))
    for name, limit in _TEXT_LIMITS.items():
        value = fields.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            problems.append(Problem(name, f"text of at most {limit} characters"))
        elif value is not None and (said := unprintable(value, FREE_TEXT.get(name, ""))):
            lines = "only a note may hold tabs and line breaks" if name not in FREE_TEXT else ""
            problems.append(Problem(name, f"{said}{'; ' + lines if lines else ''}"))
    return problems


async def record(
    db: Backend, caller: Caller, ref: str, state: str, **details: str | int | None
) -> dict[str, Any]:
    """Record that the object ``ref`` (uuid or barcode) is now in ``state``, with the details
    (location, facility, beamline, storagePosition, trackingNumber, note, and at the beamline
    sampleChangerPosition). At the beamline a staff key's own beamline is the default."""
    if state in ("at_beamline", *MOUNTING) and not details.get("beamline") and caller.beamline:
        details = {**details, "beamline": caller.beamline}
    problems = _ref_problems(ref) + _check({"state": state, **details})
    if problems:
        raise InvalidMessage(problems)
    # the current state is read and moved on in one unit of work (one transaction)
    return await unit_of_work.run(db, lambda tx: _record(tx, caller, ref, state, details))


async def _record(
    db: Backend, caller: Caller, ref: str, state: str, details: dict[str, str | int | None]
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
    if state in MOUNTING and subject["mxlimsType"] not in MOUNTABLE:
        kind = subject["mxlimsType"]
        raise InvalidMessage([Problem("state", f"a {kind} is not mounted; a pin is")])
    if state in MOUNTING and caller.effective_role not in ("staff", "admin"):
        # the beamline's robot mounts samples: its (staff) key records it, never a member's
        raise PermissionDenied("only facility staff record mounting and unmounting")
    history = await _events(db, caller, subject["_id"])
    # An object without events of its own starts from its container's state (derived).
    current = history[-1]["state"] if history else await inherited_state(db, caller, subject)
    allowed_moves = MOVES[current] if history else first_moves(current)
    if subject["mxlimsType"] not in MOUNTABLE:
        allowed_moves = tuple(m for m in allowed_moves if m not in MOUNTING)
    if not history and caller.effective_role in ("staff", "admin"):
        allowed_moves += tuple(s for s in STAFF_STARTS if s not in allowed_moves)
    if state not in allowed_moves:
        allowed = ", ".join(allowed_moves) or "nothing: the journey is closed"
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
    """The object's current state and location, and every event in order, in one answer.

    An object with no event of its own (a puck in a dewar) is where its nearest tracked
    container is: that state and place are shown, with ``inheritedFrom`` naming the container
    (derived, not recorded). A return ends a journey: places from before it are not current.
    """
    subject = await resolve(db, caller, ref)
    events = [public(e) for e in await _events(db, caller, subject["_id"])]
    inherited_from = None
    if not events:
        above = await _tracked_container(db, caller, subject)
        if above is not None:
            holder, held_events = above
            events = [public(e) for e in held_events]
            inherited_from = {
                "uuid": holder["_id"],
                "mxlimsType": holder["mxlimsType"],
                "name": holder.get("barcode") or holder.get("name"),
            }
    answer = _whereabouts(subject, events)
    if inherited_from:
        answer.update(events=[], inheritedFrom=inherited_from)
    return answer


def _whereabouts(subject: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    returns = [n for n, e in enumerate(events) if e["state"] == "returned"]
    current = events[returns[-1] :] if returns else events  # the journey since the last return
    located = [
        e
        for e in current
        if any(e.get(k) for k in ("location", "facility", "beamline"))
        and e["state"] not in MOUNTING  # a pin mounted at the beamline has not moved house
    ]
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
            for k in (
                "location",
                "facility",
                "beamline",
                "storagePosition",
                "sampleChangerPosition",
            )
            if last_place.get(k)
        },
        "trackingNumber": next(
            (e["trackingNumber"] for e in reversed(events) if e.get("trackingNumber")), None
        ),
        "trackingDevice": subject.get("trackingDevice"),
        "events": events,
    }


async def _tracked_container(
    db: Backend, caller: Caller, subject: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The nearest container above ``subject`` that has events, and those events."""
    current = subject.get("containerId")
    for _ in range(8):
        if not current:
            return None
        above = (await fetch(db, caller, {"logistical_samples": [current]})).get(current)
        if above is None:
            return None
        if above["mxlimsType"] in TRACKED:
            events = await _events(db, caller, above["_id"])
            if events:
                return above, events
        current = above.get("containerId")
    return None


def first_moves(inherited: str | None) -> tuple[str, ...]:
    """An object's first event: from its container's state, which it may also confirm (a
    puck scanned "received" after its dewar was)."""
    if inherited is None:
        return MOVES[None]
    return (inherited, *MOVES[inherited]) if MOVES[inherited] else ()


async def inherited_state(db: Backend, caller: Caller, subject: dict[str, Any]) -> str | None:
    """The state an object without events of its own starts from: its container's."""
    above = await _tracked_container(db, caller, subject)
    return above[1][-1]["state"] if above else None


async def current_states(db: Backend, caller: Caller, uuids: list[str]) -> dict[str, str]:
    """The current state of each of ``uuids`` that has events (one query)."""
    if not uuids:
        return {}
    events = await db.find(
        EVENTS, readable(caller, {"subject": {"$in": uuids}}), sort=[("time", 1), ("_id", 1)]
    )
    return {e["subject"]: e["state"] for e in events}
