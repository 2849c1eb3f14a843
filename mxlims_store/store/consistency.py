"""The store's rules re-verified over everything stored, for ``mxlims-store check``.

Every write checks the rules on what it changes (:mod:`mxlims_store.store.integrity`) inside one
transaction; this walks the whole store instead, on any backend, and says what is wrong one line
each: one uuid stored in two collections, two objects at one position of a container, a
position beyond a puck's capacity, a barcode twice in one shipment, a link to an object the
store does not hold, and a revision without exactly one history entry. (A store written by
hand, restored from a bad copy, or written by an older version that had no transaction around
its checks, is where these show up.)

Other checks (the engine's own integrity check, ...) are added beside :func:`rule_problems` in
:meth:`Store.check`, not in here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from mxlims_store.model.links import link_targets
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import CORE_COLLECTIONS, EVENTS, HISTORY
from mxlims_store.store.integrity import SLOTS

Document = dict[str, Any]


async def rule_problems(db: Backend) -> list[str]:
    stored: dict[str, Document] = {}
    home: dict[str, str] = {}  # the collection each uuid was first found in
    twins: dict[str, list[str]] = defaultdict(list)
    for collection in CORE_COLLECTIONS:
        for document in await db.find(collection, {}):
            uuid = document["_id"]
            if uuid in home:  # each collection's own ids are unique (a unique index), but
                twins[uuid].append(collection)  # nothing stops a uuid written into two
            else:
                home[uuid] = collection
            stored[uuid] = document
    problems = [
        f"object {uuid} is stored {len(places) + 1} times: in {' and '.join([home[uuid], *places])}"
        for uuid, places in sorted(twins.items())
    ]
    logistical = [d for d in stored.values() if _is_logistical(d)]
    problems += _positions(logistical, stored)
    problems += _barcodes(logistical, stored)
    problems += _links(stored)
    problems += _history(stored, await db.find(HISTORY, {}))
    events = await db.find(EVENTS, {})
    problems += [
        f"event {e['_id']}: its subject {e.get('subject')} is not stored"
        for e in events
        if e.get("subject") not in stored
    ]
    return problems


def _is_logistical(document: Document) -> bool:
    from mxlims_store.store.collections import collection_of

    try:
        return collection_of(document.get("mxlimsType", "")) == "logistical_samples"
    except KeyError:
        return False


def _positions(logistical: list[Document], stored: dict[str, Document]) -> list[str]:
    problems = []
    occupants: dict[tuple[str, str, tuple[Any, ...]], list[str]] = defaultdict(list)
    for document in logistical:
        slot = SLOTS.get(document["mxlimsType"])
        container = document.get("containerId")
        if slot is None or not isinstance(container, str):
            continue
        fields, capped_by, space = slot
        key = tuple(document.get(f) for f in fields)
        if None in key:
            continue
        occupants[(container, space, key)].append(document["_id"])
        holder = stored.get(container) or {}
        capacity = holder.get("numberPositions")
        capped = holder.get("mxlimsType") == capped_by and isinstance(capacity, int)
        if capped and isinstance(key[0], int) and key[0] > int(capacity or 0):
            problems.append(
                f"{document['mxlimsType']} {document['_id']}: position {key[0]} is beyond "
                f"the {capacity} positions of {capped_by} {container}"
            )
    for (container, _, key), uuids in sorted(occupants.items(), key=str):
        if len(uuids) > 1:
            shown = "/".join(str(k) for k in key)
            problems.append(
                f"container {container}: position {shown} holds {len(uuids)} objects "
                f"({', '.join(sorted(uuids))})"
            )
    return problems


def _shipment_of(uuid: str, stored: dict[str, Document]) -> str | None:
    seen: set[str] = set()
    current: Any = uuid
    while isinstance(current, str) and current in stored and current not in seen:
        seen.add(current)
        if stored[current].get("mxlimsType") == "Shipment":
            return current
        current = stored[current].get("containerId")
    return None


def _barcodes(logistical: list[Document], stored: dict[str, Document]) -> list[str]:
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for document in logistical:
        barcode = document.get("barcode")
        shipment = _shipment_of(document["_id"], stored)
        if barcode is not None and shipment is not None:
            holders[(shipment, str(barcode))].append(document["_id"])
    return [
        f"shipment {shipment}: barcode {barcode!r} is on {len(uuids)} objects "
        f"({', '.join(sorted(uuids))})"
        for (shipment, barcode), uuids in sorted(holders.items())
        if len(uuids) > 1
    ]


def _links(stored: dict[str, Document]) -> list[str]:
    return [
        f"{document.get('mxlimsType')} {uuid}: {field} points at {target}, which is not stored"
        for uuid, document in sorted(stored.items())
        for field, target in link_targets(document)
        if target not in stored
    ]


def _history(stored: dict[str, Document], entries: list[Document]) -> list[str]:
    per_revision = Counter((e.get("uuid"), e.get("revision")) for e in entries)
    problems = [
        f"history of {uuid}: revision {revision} is recorded {count} times"
        for (uuid, revision), count in sorted(per_revision.items(), key=str)
        if count > 1
    ]
    for uuid, document in sorted(stored.items()):
        revision = int((document.get("_meta") or {}).get("revision") or 0)
        missing = [r for r in range(1, revision + 1) if (uuid, r) not in per_revision]
        if missing:
            shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
            problems.append(f"history of {uuid}: no entry for revision(s) {shown}")
    return problems
