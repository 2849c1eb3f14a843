"""Every MXLIMS 0.6.13 object type by name; `parse_object` validates a document by its type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mxlims_store.model.base import MxlimsObject
from mxlims_store.model.basic_types import STANDARD_JSON
from mxlims_store.model.core import Dataset, Job, LogisticalSample, Sample
from mxlims_store.model.datasets import CollectionSweep, ReflectionSet
from mxlims_store.model.jobs import MxExperiment, MxProcessing, VolumeScan
from mxlims_store.model.logistical_samples import (
    Crystal,
    Dewar,
    DropRegion,
    MultiPin,
    Pin,
    PinPosition,
    Plate,
    PlateWell,
    Puck,
    Shipment,
    WellDrop,
)
from mxlims_store.model.samples import Macromolecule, MacromoleculeSample, Medium

MODEL_VERSION: Final = "0.6.13"


def _by_type(*classes: type[MxlimsObject]) -> dict[str, type[MxlimsObject]]:
    return {cls.model_fields["mxlimsType"].default: cls for cls in classes}


# The 19 concrete types of the standard, keyed by mxlimsType.
OBJECT_TYPES: Final[dict[str, type[MxlimsObject]]] = _by_type(
    Shipment, Dewar, Puck, Pin, MultiPin, PinPosition,
    Plate, PlateWell, WellDrop, DropRegion, Crystal,
    Macromolecule, MacromoleculeSample, Medium,
    MxExperiment, MxProcessing, VolumeScan,
    CollectionSweep, ReflectionSet,
)  # fmt: skip

# The generic objects of the four core classes, keyed by core name (= their mxlimsType).
CORE_TYPES: Final[dict[str, type[MxlimsObject]]] = _by_type(LogisticalSample, Sample, Job, Dataset)

# Every type, concrete and core.
ALL_TYPES: Final[dict[str, type[MxlimsObject]]] = {**OBJECT_TYPES, **CORE_TYPES}

# mxlimsType -> name of its core class ("Pin" -> "LogisticalSample", "Job" -> "Job").
BASE_TYPE: Final[dict[str, str]] = {name: cls.core_type for name, cls in ALL_TYPES.items()}

# mxlimsType -> its foreign-key fields ("Pin" -> ("sampleId", "containerId")).
FOREIGN_KEYS: Final[dict[str, tuple[str, ...]]] = {
    name: cls.foreign_keys() for name, cls in ALL_TYPES.items()
}


def model_for(mxlims_type: str) -> type[MxlimsObject]:
    """The model class of an mxlimsType; ValueError when the standard has no such type."""
    try:
        return ALL_TYPES[mxlims_type]
    except (KeyError, TypeError):
        known = ", ".join(sorted(ALL_TYPES))
        raise ValueError(f"unknown mxlimsType {mxlims_type!r}; known: {known}") from None


def parse_object(data: Mapping[str, Any]) -> MxlimsObject:
    """Validate a store-form document (parsed JSON) as the model named by its ``mxlimsType``.

    Raises ValueError when ``mxlimsType`` is missing or unknown, and pydantic's ValidationError
    (itself a ValueError) when the document breaks a rule of the standard, ``null`` values
    included. Links must already be uuid foreign keys (``containerId``), not ``containerRef``.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"an MXLIMS object must be a JSON object, not {type(data).__name__}")
    if "mxlimsType" not in data:
        raise ValueError("the object has no mxlimsType")
    document = data if isinstance(data, dict) else dict(data)
    return model_for(document["mxlimsType"]).model_validate(document, context=STANDARD_JSON)


__all__ = [
    "ALL_TYPES",
    "BASE_TYPE",
    "CORE_TYPES",
    "FOREIGN_KEYS",
    "MODEL_VERSION",
    "OBJECT_TYPES",
    "model_for",
    "parse_object",
]
