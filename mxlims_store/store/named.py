"""Dewars and containers found by name: sheets of ESRF, MAX IV, SLS and SOLEIL give them names
but no barcodes, so a name must do wherever a barcode would (tracking, ``where``, the scan page,
``/barcodes/{code}``). A name is looked for among what is still on its way - the caller's
shipments that are not closed - and one that names two things is refused, naming them."""

from __future__ import annotations

from typing import Any

from mxlims_store.errors import Conflict, NotFound
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.open_shipments import LOGISTICS, open_shipments_of, where

NAMED = ("Dewar", "Puck", "Plate", "MultiPin")  # what carries a name on a sheet


async def by_name(db: Backend, caller: Caller, name: str) -> dict[str, Any]:
    """The one dewar or container called ``name`` in the caller's open shipments."""
    query = readable(caller, {"$and": [{"name": name}, {"mxlimsType": {"$in": list(NAMED)}}]})
    found = {d["_id"]: d for d in await db.find(LOGISTICS, query, limit=50)}
    known: dict[str, dict[str, Any]] = {}
    shipment_of = await open_shipments_of(db, caller, found, known) if found else {}
    hits = [found[u] for u in found if u in shipment_of]
    if not hits:
        raise NotFound(
            "no object with this barcode, nor a dewar or container of this name in "
            "an open shipment, that you may see"
        )
    if len(hits) > 1:
        named = "; ".join(where(known, shipment_of, d["_id"]) for d in hits)
        raise Conflict(
            f"{name!r} names {len(hits)} dewars or containers in open shipments: {named}; "
            "scan by barcode or uuid instead"
        )
    return hits[0]
