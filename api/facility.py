"""The machine-readable facility description of ``GET /facility``, derived from the model.

What a shipment must carry (required fields per container type), which container holds which
(from the link table) and how many (capacities), which MXLIMS versions and sheet formats this
instance accepts.
"""

from __future__ import annotations

from typing import Any

from mxlims_store.api import models
from mxlims_store.config import Settings
from mxlims_store.mappings import list_sites
from mxlims_store.mappings.requirements import sheet_requirements
from mxlims_store.messages import SUPPORTED_VERSIONS
from mxlims_store.model.links import FOREIGN_KEY_FIELDS, LINK_RULES, ref_key_for
from mxlims_store.model.registry import MODEL_VERSION, OBJECT_TYPES

SHIPPING_TYPES = (
    "Shipment",
    "Dewar",
    "Puck",
    "Pin",
    "MultiPin",
    "PinPosition",
    "Plate",
    "Macromolecule",
    "MacromoleculeSample",
)
_NOT_USER_FIELDS = frozenset({"mxlimsType", "mxlimsBaseType"})
UNIPUCK_POSITIONS = 16


def sheet_formats() -> list[dict[str, Any]]:
    """The facility sheet formats this instance reads and writes."""
    return [site.to_dict() for site in list_sites()]


def requirements(type_name: str) -> models.TypeRequirements:
    """The type's fields in a message's names (``containerRef``, not the store's
    ``containerId``), and what each facility's sheet requires of it (from its site file)."""
    fields = {
        _message_name(n): f
        for n, f in OBJECT_TYPES[type_name].model_fields.items()
        if n not in _NOT_USER_FIELDS
    }
    by_sheet = {
        site.code: needed
        for site in list_sites()
        if (needed := sheet_requirements(site).get(type_name))
    }
    return models.TypeRequirements(
        required=[n for n, f in fields.items() if f.is_required()],
        optional=[n for n, f in fields.items() if not f.is_required()],
        bySheet=by_sheet,
    )


def _message_name(field: str) -> str:
    return ref_key_for(field) if field in FOREIGN_KEY_FIELDS else field


def puck_types() -> dict[str, int]:
    """Pin positions by puck type, as the site formats know them (unipuck: 16)."""
    known = {"unipuck": UNIPUCK_POSITIONS}
    for site in sheet_formats():
        known.update(site.get("capacities", {}).get("puck_types", {}))
    return dict(sorted(known.items()))


def capacity(container: str) -> models.Capacity | None:
    if container == "Puck":
        return models.Capacity(
            field="numberPositions", default=UNIPUCK_POSITIONS, byType=puck_types()
        )
    if container == "MultiPin":
        return models.Capacity(field="numberPositions", note="required field of every MultiPin")
    if container == "Plate":
        return models.Capacity(
            field="plateType",
            note="plateType.numberRows x numberColumns wells, numberSubPositions drops",
        )
    if container in ("Pin", "PinPosition"):
        return models.Capacity(default=1, note="one crystal or sample")
    return None


def container_types() -> list[models.ContainerType]:
    contents: dict[str, list[str]] = {}
    for rule in LINK_RULES:
        if rule.field == "containerId" and rule.source in OBJECT_TYPES:
            for target in rule.targets:
                if target in OBJECT_TYPES:
                    contents.setdefault(target, []).append(rule.source)
    return [
        models.ContainerType(type=t, contains=c, capacity=capacity(t)) for t, c in contents.items()
    ]


def describe(settings: Settings) -> models.Facility:
    return models.Facility(
        name=settings.facility_name,
        modelVersion=MODEL_VERSION,
        mxlimsVersions=list(SUPPORTED_VERSIONS),
        sheetFormats=sheet_formats(),
        shippingRequirements={t: requirements(t) for t in SHIPPING_TYPES},
        containerTypes=container_types(),
    )
