"""The four core collections, the history collection, and their indexes — declared as data."""

from __future__ import annotations

from dataclasses import dataclass

from mxlims_store.model.links import LINK_RULES, LIST_FIELDS
from mxlims_store.model.registry import BASE_TYPE

# the names live in a module of their own that the light SQLite modules import
from mxlims_store.store.collection_names import COLLECTION_OF_CORE as COLLECTION_OF_CORE
from mxlims_store.store.collection_names import CORE_COLLECTIONS as CORE_COLLECTIONS
from mxlims_store.store.collection_names import COUNTERS as COUNTERS
from mxlims_store.store.collection_names import EVENTS as EVENTS
from mxlims_store.store.collection_names import HISTORY as HISTORY
from mxlims_store.store.collection_names import KEYS as KEYS


def collection_of(mxlims_type: str) -> str:
    """``Pin`` -> ``logistical_samples``."""
    return COLLECTION_OF_CORE[BASE_TYPE[mxlims_type]]


@dataclass(frozen=True)
class Index:
    """An index over ``fields`` (dotted paths). ``array`` names the list field the paths run
    through, for multikey indexes (MongoDB finds that out itself; SQLite keeps one row per
    element in a side table)."""

    fields: tuple[str, ...]
    array: str | None = None
    unique: bool = False  # unique over the documents that hold the last field (a partial index)

    @property
    def name(self) -> str:
        return "_".join(self.fields).replace(".", "_")


def _foreign_keys_of(collection: str) -> list[str]:
    fields = (r.field for r in LINK_RULES if collection_of(r.source) == collection)
    return list(dict.fromkeys(fields))


def _foreign_key_indexes(collection: str) -> list[Index]:
    return [
        Index((f,), array=f if f in LIST_FIELDS else None) for f in _foreign_keys_of(collection)
    ]


# Every foreign key is indexed (multikey for the Job-side lists); site identifiers and
# extensions are lists of {domain, ...} so that they can be indexed at all.
_COMMON: list[Index] = [
    Index(("mxlimsType",)),
    Index(("identifiers.domain", "identifiers.value"), array="identifiers"),
    Index(("extensions.domain",), array="extensions"),
    Index(("_meta.proposal",)),
]
INDEXES: dict[str, list[Index]] = {
    collection: [*_COMMON, *_foreign_key_indexes(collection)] for collection in CORE_COLLECTIONS
}
INDEXES["logistical_samples"] += [
    Index(("barcode",)),
    Index(("name",)),
    # One object per position of a container, enforced by the database itself: ``_meta.slot``
    # ("puck:5:-1", see integrity.slot_of) is set on every object placed in a container.
    Index(("containerId", "_meta.slot"), unique=True),
]
INDEXES["samples"] += [Index(("name",)), Index(("acronym",))]
INDEXES[HISTORY] = [Index(("uuid", "revision"))]
INDEXES[KEYS] = []  # looked up by id only
INDEXES[EVENTS] = [Index(("subject", "time")), Index(("_meta.proposal",))]
INDEXES[COUNTERS] = []  # looked up by id only
