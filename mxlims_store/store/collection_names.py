"""The collections' names, without the MXLIMS model.

:mod:`mxlims_store.store.collections` declares the indexes from the model's link table; the
names alone are here so that the SQLite engine's light modules (opening the file, counting
for `mxlims-store stats`, server state) can use them without loading pydantic and the model.
"""

from __future__ import annotations

# One collection per MXLIMS core class; plural names everywhere.
COLLECTION_OF_CORE: dict[str, str] = {
    "Sample": "samples",
    "LogisticalSample": "logistical_samples",
    "Job": "jobs",
    "Dataset": "datasets",
}
CORE_COLLECTIONS: tuple[str, ...] = tuple(COLLECTION_OF_CORE.values())
HISTORY = "history"
KEYS = "api_keys"  # API keys: not MXLIMS objects, never exported
EVENTS = "events"  # logistics events: beside the MXLIMS objects, never exported
COUNTERS = "counters"  # the next store-assigned object number (store/numbering.py)
OBJECT_COUNTER = "objects"  # its one document; absent in a store from before numbers
