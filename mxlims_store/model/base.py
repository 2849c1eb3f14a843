"""`MxlimsObject`, the root of every MXLIMS object type (``data/MxlimsObjectData.json``)."""

from __future__ import annotations

from typing import ClassVar

from mxlims_store.model.basic_types import Extensions, Identifiers, StrictModel, Urls, Uuid
from mxlims_store.model.enums import CoreTypeName

# Foreign keys of the store form: the standard's ``xxxRef`` links as uuids (``xxxId``), and its
# ``xxxRefs`` lists as uuid lists (``xxxIds``, always held by the Job).
SINGLE_FOREIGN_KEYS: tuple[str, ...] = (
    "containerId",
    "sampleId",
    "parentSampleId",
    "mediumId",
    "sourceId",
    "derivedFromId",
    "logisticalSampleId",
    "startedFromId",
)
LIST_FOREIGN_KEYS: tuple[str, ...] = ("inputDataIds", "templateDataIds", "referenceDataIds")
FOREIGN_KEY_NAMES: frozenset[str] = frozenset(SINGLE_FOREIGN_KEYS + LIST_FOREIGN_KEYS)


class MxlimsObject(StrictModel):
    """Fields every MXLIMS object has. Abstract: instantiate a concrete or core type instead.

    ``uuid`` is optional as in the standard (a message may leave it to the importer); the store
    assigns one before saving. ``extensions``, ``identifiers`` and ``urls`` keep the standard's
    dict form, keyed by the domain name of the site they belong to (``"esrf.fr"``).
    """

    # Name of the core class (LogisticalSample, Sample, Job, Dataset) this type belongs to; set on
    # every subclass. Not a pydantic field.
    core_type: ClassVar[CoreTypeName]

    mxlimsType: str
    """Name of the object type; a constant on every concrete class."""
    mxlimsBaseType: CoreTypeName | None = None
    """Name of the core class the type belongs to (optional; the type implies it)."""
    uuid: Uuid | None = None
    """Lower-case RFC 4122 uuid of version 1 to 5, permanent identity of the object."""
    extensions: Extensions | None = None
    """Site-specific fields by site domain; a key equal to an object field overrides it there."""
    identifiers: Identifiers | None = None
    """The object's identifier in other systems, by domain of the system."""
    urls: Urls | None = None
    """http(s) URLs of the object in other systems, by domain of the system."""
    annotation: str | None = None
    """Free-text comment."""

    @classmethod
    def foreign_keys(cls) -> tuple[str, ...]:
        """Names of the foreign-key fields this type has, in declaration order."""
        return tuple(name for name in cls.model_fields if name in FOREIGN_KEY_NAMES)


__all__ = [
    "FOREIGN_KEY_NAMES",
    "LIST_FOREIGN_KEYS",
    "SINGLE_FOREIGN_KEYS",
    "MxlimsObject",
]
