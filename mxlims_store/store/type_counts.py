"""Number of stored objects per MXLIMS type (`mxlims-store stats`, GET /stats).

In a module of its own, free of the model and of dataclasses: `mxlims-store stats`' quick path
(console.py) runs :func:`count_types` over the SQLite engine's light functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mxlims_store.store.collection_names import CORE_COLLECTIONS

if TYPE_CHECKING:
    from mxlims_store.store.access import Caller
    from mxlims_store.store.backends import Backend

TYPE_FIELD = "mxlimsType"
# What access.readable gives a caller without proposal limits (the admin, as the CLI acts):
# every object. tests/cli/test_quick_stats.py checks that it is so.
EVERY_OBJECT: dict[str, Any] = {}


async def stats(db: Backend, caller: Caller) -> dict[str, int]:
    """Number of stored objects per MXLIMS type that ``caller`` may see."""
    from mxlims_store.store.access import readable

    return await count_types(db, readable(caller))


async def count_types(db: Backend, scope: dict[str, Any]) -> dict[str, int]:
    """Number of stored objects per MXLIMS type among those ``scope`` matches."""
    counts: dict[str, int] = {}
    for collection in CORE_COLLECTIONS:
        for type_name, n in (await db.count_by(collection, scope, TYPE_FIELD)).items():
            counts[type_name] = n
    return dict(sorted(counts.items()))
