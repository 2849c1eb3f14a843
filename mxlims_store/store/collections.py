"""The four core collections, the history collection, and their indexes — declared as data."""

from __future__ import annotations

from mxlims_store.model.links import LINK_RULES
from mxlims_store.model.registry import BASE_TYPE

# One collection per MXLIMS core class; plural names everywhere.
COLLECTION_OF_CORE: dict[str, str] = {
    "Sample": "samples",
    "LogisticalSample": "logistical_samples",
    "Job": "jobs",
    "Dataset": "datasets",
}
CORE_COLLECTIONS: tuple[str, ...] = tuple(COLLECTION_OF_CORE.values())
HISTORY = "history"


def collection_of(mxlims_type: str) -> str:
    """``Pin`` -> ``logistical_samples``."""
    return COLLECTION_OF_CORE[BASE_TYPE[mxlims_type]]


def _foreign_keys_of(collection: str) -> list[str]:
    fields = (r.field for r in LINK_RULES if collection_of(r.source) == collection)
    return list(dict.fromkeys(fields))


# Index key lists per collection. Every foreign key is indexed (multikey for the Job-side lists);
# site identifiers and extensions are lists of {domain, ...} so that they can be indexed at all.
_COMMON: list[list[tuple[str, int]]] = [
    [("mxlimsType", 1)],
    [("identifiers.domain", 1), ("identifiers.value", 1)],
    [("extensions.domain", 1)],
    [("_meta.proposal", 1)],
]
INDEXES: dict[str, list[list[tuple[str, int]]]] = {
    collection: [*_COMMON, *([(field, 1)] for field in _foreign_keys_of(collection))]
    for collection in CORE_COLLECTIONS
}
INDEXES["logistical_samples"] += [[("barcode", 1)], [("name", 1)]]
INDEXES["samples"] += [[("name", 1)], [("acronym", 1)]]
INDEXES[HISTORY] = [[("uuid", 1), ("revision", 1)]]
