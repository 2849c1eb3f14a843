"""Who is asking, and the one function that scopes every read to what they may see.

Every read of the store (get, find, links, provenance, export, history) builds its filter with
:func:`readable`, so filtering by the caller's proposal grants lives in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mxlims_store.store.documents import META


@dataclass(frozen=True)
class Caller:
    """The actor behind a request; ``proposals=None`` means unrestricted (local use, staff)."""

    actor: str = "local"
    proposals: frozenset[str] | None = None

    def may_read(self, proposal: str | None) -> bool:
        return self.proposals is None or proposal in self.proposals

    def may_write(self, proposal: str | None) -> bool:
        return self.may_read(proposal)  # no read-only grants yet: one place to add them


LOCAL = Caller()


def readable(caller: Caller, query: dict[str, Any] | None = None) -> dict[str, Any]:
    """``query`` narrowed to the objects ``caller`` may see."""
    query = dict(query or {})
    if caller.proposals is None:
        return query
    scope = {f"{META}.proposal": {"$in": sorted(caller.proposals)}}
    return {"$and": [query, scope]} if query else scope
