"""The document store: four uuid-keyed collections, safe import, links, provenance, history."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mxlims_store.answers import ImportReport, Page
    from mxlims_store.store.access import NOBODY, SYSTEM, Caller, local_admin
    from mxlims_store.store.objects import StoredObject
    from mxlims_store.store.policies import POLICIES, Policy
    from mxlims_store.store.queries import FindQuery
    from mxlims_store.store.store import Store

# Each name is imported on first use, so that `import mxlims_store.store.<module>` (a light
# module, e.g. the SQLite backend for `stats`) does not load the whole store and its model.
_HOMES = {
    "ImportReport": "mxlims_store.answers",
    "Page": "mxlims_store.answers",
    "NOBODY": "mxlims_store.store.access",
    "SYSTEM": "mxlims_store.store.access",
    "Caller": "mxlims_store.store.access",
    "local_admin": "mxlims_store.store.access",
    "POLICIES": "mxlims_store.store.policies",
    "Policy": "mxlims_store.store.policies",
    "StoredObject": "mxlims_store.store.objects",
    "FindQuery": "mxlims_store.store.queries",
    "Store": "mxlims_store.store.store",
}

__all__ = [
    "NOBODY",
    "POLICIES",
    "SYSTEM",
    "Caller",
    "FindQuery",
    "ImportReport",
    "Page",
    "Policy",
    "Store",
    "StoredObject",
    "local_admin",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # once
    return value
