"""The link table: every foreign key of MXLIMS 0.6.13, as data.

One row per (object type, foreign-key field): the types the key may point at, whether it is a
list, and the name of the reverse link. Derived from the ``...Ref``/``...Refs`` properties of the
standard's ``objects/*.json`` schemas (facts of the standard). The message reader checks `$ref`
targets with it, the store checks stored foreign keys and answers reverse links with it.

A target named after a core type ("Job", "Sample", ...) means the generic object of that core type
(or a uuid-only stub of it), as in the standard; it does not admit every subtype.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Where each concrete link target set is spelled once.
_HOLDERS = ("Crystal", "Pin", "PinPosition", "PlateWell", "WellDrop", "DropRegion")

# Reverse-link names of the standard, keyed by foreign-key field.
REVERSE_NAMES: dict[str, str] = {
    "containerId": "contents",
    "sampleId": "logisticalSamples",  # on LogisticalSamples; on Jobs it is "jobs" (see below)
    "parentSampleId": "childSamples",
    "mediumId": "mediumSamples",
    "sourceId": "results",
    "derivedFromId": "derivedDatasets",
    "logisticalSampleId": "datasets",  # on Datasets; on Jobs it is "jobs"
    "startedFromId": "subjobs",
    "inputDataIds": "inputFor",
    "templateDataIds": "templateFor",
    "referenceDataIds": "referenceFor",
}

LIST_FIELDS = frozenset({"inputDataIds", "templateDataIds", "referenceDataIds"})


@dataclass(frozen=True)
class LinkRule:
    """A foreign key ``field`` on objects of ``source`` pointing at objects of ``targets``."""

    source: str
    field: str
    targets: tuple[str, ...]
    reverse: str

    @property
    def many(self) -> bool:
        """True for the Job-side uuid lists (``inputDataIds`` ...)."""
        return self.field in LIST_FIELDS

    @property
    def ref_key(self) -> str:
        """The message key: ``containerId`` -> ``containerRef``, ``...Ids`` -> ``...Refs``."""
        return ref_key_for(self.field)

    def allows(self, target_type: str) -> bool:
        return target_type in self.targets


def ref_key_for(field: str) -> str:
    return field[:-3] + "Refs" if field.endswith("Ids") else field[:-2] + "Ref"


def field_for_ref_key(ref_key: str) -> str | None:
    """``containerRef`` -> ``containerId``; None when the key is not a link key."""
    if ref_key.endswith("Refs"):
        return ref_key[:-4] + "Ids"
    if ref_key.endswith("Ref"):
        return ref_key[:-3] + "Id"
    return None


def _rule(source: str, field: str, *targets: str) -> LinkRule:
    reverse = REVERSE_NAMES[field]
    if field in ("sampleId", "logisticalSampleId") and source in _JOB_TYPES:
        reverse = "jobs"
    return LinkRule(source, field, tuple(targets), reverse)


_JOB_TYPES = frozenset({"Job", "MxExperiment", "MxProcessing", "VolumeScan"})

LINK_RULES: tuple[LinkRule, ...] = (
    # LogisticalSamples: containment and the sample a holder carries.
    _rule("LogisticalSample", "containerId", "LogisticalSample"),
    _rule("LogisticalSample", "sampleId", "Sample"),
    _rule("Dewar", "containerId", "Shipment"),
    _rule("Plate", "containerId", "Shipment"),
    _rule("Puck", "containerId", "Dewar"),
    _rule("Pin", "containerId", "Puck"),
    _rule("Pin", "sampleId", "MacromoleculeSample"),
    _rule("MultiPin", "containerId", "Puck"),
    _rule("PinPosition", "containerId", "MultiPin"),
    _rule("PinPosition", "sampleId", "MacromoleculeSample"),
    _rule("PlateWell", "containerId", "Plate"),
    _rule("PlateWell", "sampleId", "MacromoleculeSample"),
    _rule("WellDrop", "containerId", "PlateWell"),
    _rule("WellDrop", "sampleId", "MacromoleculeSample"),
    _rule("DropRegion", "containerId", "WellDrop"),
    _rule("DropRegion", "sampleId", "MacromoleculeSample"),
    _rule("Crystal", "containerId", "Pin", "PinPosition", "DropRegion"),
    _rule("Crystal", "sampleId", "MacromoleculeSample"),
    # Samples.
    _rule("Sample", "mediumId", "Sample"),
    _rule("Sample", "parentSampleId", "Sample"),
    _rule("MacromoleculeSample", "mediumId", "Medium"),
    _rule("MacromoleculeSample", "parentSampleId", "Macromolecule"),
    # Jobs.
    _rule("Job", "sampleId", "Sample"),
    _rule("Job", "startedFromId", "Job"),
    _rule("Job", "logisticalSampleId", "LogisticalSample"),
    _rule("Job", "referenceDataIds", "Dataset"),
    _rule("Job", "templateDataIds", "Dataset"),
    _rule("Job", "inputDataIds", "Dataset"),
    _rule("MxExperiment", "sampleId", "MacromoleculeSample", "Sample"),
    _rule("MxExperiment", "startedFromId", "MxExperiment", "Job"),
    _rule("MxExperiment", "logisticalSampleId", *_HOLDERS, "LogisticalSample"),
    _rule("MxExperiment", "referenceDataIds", "ReflectionSet", "Dataset"),
    _rule("MxExperiment", "templateDataIds", "CollectionSweep", "Dataset"),
    _rule("MxProcessing", "sampleId", "MacromoleculeSample"),
    _rule("MxProcessing", "startedFromId", "MxProcessing"),
    _rule("MxProcessing", "logisticalSampleId", *_HOLDERS),
    _rule("MxProcessing", "referenceDataIds", "ReflectionSet"),
    _rule("MxProcessing", "templateDataIds", "ReflectionSet"),
    _rule("MxProcessing", "inputDataIds", "CollectionSweep"),
    _rule("VolumeScan", "sampleId", "MacromoleculeSample", "Sample"),
    _rule("VolumeScan", "startedFromId", "MxExperiment", "Job"),
    _rule("VolumeScan", "logisticalSampleId", *_HOLDERS, "LogisticalSample"),
    _rule("VolumeScan", "templateDataIds", "CollectionSweep", "Dataset"),
    # Datasets.
    _rule("Dataset", "sourceId", "Job"),
    _rule("Dataset", "derivedFromId", "Dataset"),
    _rule("Dataset", "logisticalSampleId", "LogisticalSample"),
    _rule("CollectionSweep", "sourceId", "MxExperiment"),
    _rule("CollectionSweep", "derivedFromId", "CollectionSweep"),
    _rule("CollectionSweep", "logisticalSampleId", *_HOLDERS),
    _rule("ReflectionSet", "sourceId", "MxProcessing"),
    _rule("ReflectionSet", "derivedFromId", "ReflectionSet"),
    _rule("ReflectionSet", "logisticalSampleId", *_HOLDERS),
)

_BY_SOURCE_FIELD: dict[tuple[str, str], LinkRule] = {(r.source, r.field): r for r in LINK_RULES}

# Every foreign-key field name, for indexing.
FOREIGN_KEY_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(r.field for r in LINK_RULES))


def rule_for(source_type: str, field: str) -> LinkRule | None:
    """The rule for ``field`` on objects of ``source_type``; None if that type has no such link."""
    return _BY_SOURCE_FIELD.get((source_type, field))


def link_targets(document: dict[str, object]) -> Iterator[tuple[str, str]]:
    """(field, uuid) for every foreign key set on a store-form document."""
    for field in FOREIGN_KEY_FIELDS:
        value = document.get(field)
        if isinstance(value, str):
            yield field, value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    yield field, item
