"""uuid <-> (ISPyB table, row id), kept in the store as ``identifiers`` under the ISPyB site's
domain ("BLSample:1234"): most ISPyB tables have no uuid column. The push commits ISPyB first,
then this map; the pull reads it to give rows the uuids they were pushed with."""

from __future__ import annotations

from typing import Any

from mxlims_store.ispyb.table import whole_number
from mxlims_store.store import Store
from mxlims_store.store.access import readable
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.documents import META

DEFAULT_DOMAIN = "ispyb.local"  # MXLIMS_ISPYB_DOMAIN: the facility's own, e.g. ispyb.esrf.fr


def row_name(table: str, row_id: int) -> str:
    return f"{table}:{row_id}"


def parse_row(value: object) -> tuple[str, int] | None:
    if not isinstance(value, str) or ":" not in value:
        return None
    table, _, text = value.partition(":")  # any message may write this identifier
    number = whole_number(text) if text == text.strip() else None
    return None if number is None else (table, number)


def mapped_rows(objects: dict[str, dict[str, Any]], domain: str) -> dict[str, tuple[str, int]]:
    """uuid -> (table, id) for the objects that carry one under ``domain``."""
    rows = {}
    for uuid, obj in objects.items():
        found = parse_row((obj.get("identifiers") or {}).get(domain))
        if found:
            rows[uuid] = found
    return rows


async def uuids_of_rows(
    store: Store, domain: str, rows: list[str], proposals: set[str]
) -> dict[str, str]:
    """``"Table:id"`` -> uuid of the stored object recorded with it (one query per core
    collection, whatever the store holds), among the objects of ``proposals`` (the rows'
    own, any case) only: any message may write an identifier, so another proposal's object
    may claim a row too. A row that several of them claim (a Protein reused by two shipments'
    macromolecules) gets the least of their uuids, the same every pull."""
    if not rows:
        return {}
    owners = {p.casefold() for p in proposals}
    claims: dict[str, set[str]] = {}
    query = {"identifiers": {"$elemMatch": {"domain": domain, "value": {"$in": rows}}}}
    for collection in CORE_COLLECTIONS:
        for document in await store.db.find(collection, readable(store.caller, query)):
            if str((document.get(META) or {}).get("proposal") or "").casefold() not in owners:
                continue
            for entry in document.get("identifiers") or []:
                if entry.get("domain") == domain and entry.get("value") in rows:
                    claims.setdefault(entry["value"], set()).add(document["_id"])
    return {row: min(uuids) for row, uuids in claims.items()}


async def record(
    store: Store, message: dict[str, Any], domain: str, pushed: dict[str, str]
) -> None:
    """Keep ``pushed`` (uuid -> "Table:id") on the objects of ``message`` (the exported
    shipment), through the normal import: only the identifiers change."""
    changed = False
    for objects in message.values():
        if not isinstance(objects, dict):
            continue
        for obj in objects.values():
            value = pushed.get(obj.get("uuid", ""))
            if value and (obj.get("identifiers") or {}).get(domain) != value:
                obj["identifiers"] = {**(obj.get("identifiers") or {}), domain: value}
                changed = True
    if changed:
        await store.import_message(message, policy="update_old")
