"""The document store: four uuid-keyed collections, safe import, links, provenance, history."""

from mxlims_store.answers import ImportReport, Page
from mxlims_store.store.access import LOCAL, Caller
from mxlims_store.store.importer import POLICIES, Policy
from mxlims_store.store.objects import StoredObject
from mxlims_store.store.queries import FindQuery
from mxlims_store.store.store import Store

__all__ = [
    "LOCAL",
    "POLICIES",
    "Caller",
    "FindQuery",
    "ImportReport",
    "Page",
    "Policy",
    "Store",
    "StoredObject",
]
