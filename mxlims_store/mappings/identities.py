"""Stable uuids for the objects a sheet describes.

Every object gets a uuid derived from the facility, the proposal, the shipment's name and what
names the object in it (a dewar's or puck's barcode or name, a pin's barcode or else its place;
a row's sample, experiment, sweep and processing from its pin). Reading the same sheet again,
corrected or at the facility it was sent to, gives the same uuids: a re-upload updates its
shipment instead of doubling it, and results a facility returns find the user's objects.

A store then keys them with its own secret (:func:`keyed_by_store`): the one fact a uuid chosen
by a client can reveal is "taken", so another proposal must not be able to work out the uuids
of someone else's sheet from its facility, proposal and names. A sheet converted without a
store (``sheet convert``) keeps the unkeyed uuids: a preview, never those a store gives.
"""

from __future__ import annotations

import uuid
from typing import Any

# uuid5 namespace of sheet-derived objects (itself uuid5(NAMESPACE_URL, "mxlims-store:sheets")).
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "mxlims-store:sheets")


def assign_stable_uuids(
    objects: dict[str, dict[str, dict[str, Any]]],
    identities: dict[tuple[str, str], tuple[str, ...]],
    site_code: str,
    shipment: dict[str, Any],
) -> None:
    """Set ``uuid`` on every object (``objects[type][key]``) from its ``identities[(type, key)]``
    within the shipment's scope."""
    scope = (
        "mxlims-sheet",
        site_code,
        str(shipment.get("proposalCode", "")),
        str(shipment.get("name", "")),
    )
    used: set[str] = set()
    for (type_, key), identity in identities.items():
        value = str(uuid.uuid5(_NAMESPACE, "\x1f".join((*scope, *identity))))
        if value in used:  # only a sheet with problems names two objects alike
            value = str(uuid.uuid5(_NAMESPACE, "\x1f".join((*scope, *identity, key))))
        used.add(value)
        objects[type_][key]["uuid"] = value


def keyed_by_store(message: dict[str, Any], secret: str) -> None:
    """Replace the preview uuid of every object of a sheet's ``message`` by the store's own,
    derived from it and the store's ``secret`` (links are local keys, so nothing else moves)."""
    namespace = uuid.uuid5(_NAMESPACE, "store:" + secret)
    for section in message.values():
        if not isinstance(section, dict):
            continue
        for obj in section.values():
            if isinstance(obj, dict) and isinstance(obj.get("uuid"), str):
                obj["uuid"] = str(uuid.uuid5(namespace, obj["uuid"]))
