"""What a download depends on: the *keys* its build read, and the keys each commit touches.

A built download (a shipment's results file, an export, a sheet) stays valid while no commit
touched any key of its read set since it was built; its ETag then names the store's generation
at the start of the build. So a download follows its own tree, not the whole store: a write in
another shipment or proposal neither changes its ETag nor rebuilds it.

Keys are uuids and ``proposal:<code>``. A commit touches, for every MXLIMS object it writes
(created, replaced or deleted): its uuid, every uuid its links name (``containerId``,
``sampleId``, ...), and its proposal. A build reads through :class:`ReadRecorder`, which
records, for each query, what *anchors* it (the uuids it asks for by ``_id`` or by a link, or
the proposals it asks for), and the uuid of every object it got back. Why that is
enough: an object a query could newly return (or stop returning) matches the query's anchor,
and writing it touches that anchor (a new result touches the sample it links to; a pin moved
in touches its new puck; one moved out, or deleted, or moved to another proposal, touches its
own uuid, which the query returned before). The links of what a build got back are no part of
it: a build depends on an object through a query (its anchor) or by getting it, never through a
link it did not follow. A query with no anchor (a staff member's search
over every proposal) makes the whole download follow the store's generation, as all did before.
A member's read set names only what it may see (:class:`ReadRecorder`'s ``proposals``).

Only the core collections count, as for the store's generation: history, keys and events are
no part of a download's MXLIMS content.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mxlims_store.model.links import FOREIGN_KEY_FIELDS, LINK_RULES
from mxlims_store.store.backends.base import Document, Sort, Write
from mxlims_store.store.collections import CORE_COLLECTIONS, collection_of
from mxlims_store.store.documents import META

LINKS = frozenset(FOREIGN_KEY_FIELDS)
PROPOSAL_FIELD = f"{META}.proposal"
_CORE = frozenset(CORE_COLLECTIONS)
_NO_META: dict[str, Any] = {}
# The link fields objects of each collection may hold (a commit writes many objects: only
# these are looked at).
_LINKS_OF: dict[str, frozenset[str]] = {
    collection: frozenset(r.field for r in LINK_RULES if collection_of(r.source) == collection)
    for collection in CORE_COLLECTIONS
}


def proposal_key(code: str) -> str:
    return f"proposal:{code}"


def touched_keys(writes: Sequence[Write]) -> set[str]:
    """The keys a commit of ``writes`` touches (none when it writes no MXLIMS object). An
    object the commit creates, and a link to one, touch nothing: no build can have read what
    did not exist yet (one that asked for a uuid in vain follows the whole store instead)."""
    created = {w.uuid for w in writes if w.expected_revision is None and w.document is not None}
    keys: set[str] = set()
    proposals: set[str] = set()
    for write in writes:
        links = _LINKS_OF.get(write.collection)
        if links is None:  # not an MXLIMS object
            continue
        if write.uuid not in created:
            keys.add(write.uuid)
        document = write.document
        if document is not None:
            # the link fields the document holds, found at C speed: most hold one or two
            for field in links.intersection(document):
                value = document[field]
                if isinstance(value, str):
                    keys.add(value)
                elif isinstance(value, list):
                    keys.update(v for v in value if isinstance(v, str))
            proposal = (document.get(META) or _NO_META).get("proposal")
            if isinstance(proposal, str):
                proposals.add(proposal)
    keys.update(proposal_key(p) for p in proposals)
    keys.difference_update(created)
    return keys


def _values(condition: Any) -> set[str] | None:
    """The strings an equality or ``$in`` condition allows (None: any other condition)."""
    if isinstance(condition, str):
        return {condition}
    if isinstance(condition, dict) and len(condition) == 1:
        (operator, operand), *_ = condition.items()
        if operator == "$eq" and isinstance(operand, str):
            return {operand}
        if (
            operator == "$in"
            and isinstance(operand, list)
            and all(isinstance(v, str) for v in operand)
        ):
            return set(operand)
    return None


def anchors(query: Document) -> tuple[set[str], set[str]] | None:
    """(uuids, proposal keys) some condition of ``query`` must match (a conjunction takes the
    narrowest: its uuids when any part names uuids); None when nothing anchors it."""
    by_uuid: list[set[str]] = []
    by_proposal: list[set[str]] = []
    for field, condition in query.items():
        if field == "$and" and isinstance(condition, list):
            for part in condition:
                found = anchors(part) if isinstance(part, dict) else None
                if found is not None:
                    (by_uuid if found[0] else by_proposal).append(found[0] or found[1])
        elif field == "$or" and isinstance(condition, list) and condition:
            parts = [anchors(p) if isinstance(p, dict) else None for p in condition]
            if all(p is not None for p in parts):
                union = {key for p in parts if p is not None for key in p[0] | p[1]}
                has_proposals = any(p is not None and p[1] for p in parts)
                (by_proposal if has_proposals else by_uuid).append(union)
        elif field == "_id" or field in LINKS:
            values = _values(condition)
            if values is not None:
                by_uuid.append(values)
        elif field == PROPOSAL_FIELD:
            values = _values(condition)
            if values is not None:
                by_proposal.append({proposal_key(v) for v in values})
    if by_uuid:
        return set().union(*by_uuid), set()
    if by_proposal:
        return set(), set().union(*by_proposal)
    return None


def _asked_uuids(query: Document) -> set[str]:
    """The uuids ``query`` asks for by ``_id`` (in any of its parts)."""
    asked: set[str] = set()
    for field, condition in query.items():
        if field in ("$and", "$or") and isinstance(condition, list):
            for part in condition:
                if isinstance(part, dict):
                    asked |= _asked_uuids(part)
        elif field == "_id":
            asked |= _values(condition) or set()
    return asked


class ReadRecorder:
    """A backend for one build: the reads go to ``db``; what they depend on is recorded in
    ``keys`` (``whole_store`` once a read depends on more than keys can say: a query without
    an anchor, or a uuid asked for and not found, which a later commit may create).

    ``proposals``: what the caller may see when that is not everything (a member). Its read
    set then names only what it may see, or its ETag would tell it when another proposal writes
    (staff linked a member's pin to another proposal's sample: the build asks for the sample
    and does not get it). Keys it may not see, and uuids asked for in vain, become the keys of
    its own proposals: whatever could newly appear to it is written into one of them, and such
    a write touches that proposal's key."""

    _PASSED = frozenset({"name", "transactional", "round_trips"})

    def __init__(self, db: Any, proposals: Iterable[str] | None = None) -> None:
        self._db = db
        self._seen = None if proposals is None else frozenset(proposals)
        self._anchors: set[str] = set()  # uuids and proposal keys the queries were anchored by
        self._unanchored = False
        self._asked: set[str] = set()  # uuids asked for by _id
        self._found: set[str] = set()  # uuids got back (of a member: of its proposals only)

    @property
    def keys(self) -> set[str]:
        if self._seen is None:
            return self._anchors | self._found
        own = {proposal_key(p) for p in self._seen}
        # Found, or anchors of its own: an anchor that is the uuid of an object it did not get
        # (not there, or another proposal's) is stood for by its own proposals' keys.
        keys = self._found | (self._anchors & own)
        if (self._anchors - own) - self._found or not self._asked <= self._found:
            keys |= own
        return keys

    @property
    def whole_store(self) -> bool:
        if self._seen is not None:  # a uuid asked in vain: its own proposals stand for it
            return self._unanchored
        return self._unanchored or not self._asked <= self._found

    def __getattr__(self, name: str) -> Any:
        if name not in self._PASSED:  # a way of reading this recorder does not know
            self._unanchored = True
        return getattr(self._db, name)

    def _visible(self, document: Document) -> bool:
        if self._seen is None:
            return True
        return (document.get(META) or {}).get("proposal") in self._seen

    def _note(self, collection: str, query: Document, found: Iterable[Document] = ()) -> None:
        if collection not in _CORE:
            return
        anchored = anchors(query)
        if anchored is None:
            self._unanchored = True
        else:
            self._anchors.update(anchored[0] or anchored[1])
        self._asked |= _asked_uuids(query)
        if self._seen is None:
            self._found.update(d["_id"] for d in found if isinstance(d.get("_id"), str))
        else:
            self._found.update(
                d["_id"] for d in found if isinstance(d.get("_id"), str) and self._visible(d)
            )

    async def find(
        self, collection: str, filter: Document, *, sort: Sort = (), limit: int | None = None
    ) -> list[Document]:
        found: list[Document] = await self._db.find(collection, filter, sort=sort, limit=limit)
        self._note(collection, filter, found)
        return found

    async def count(self, collection: str, filter: Document) -> int:
        self._note(collection, filter)
        self._unanchored |= bool(_asked_uuids(filter))  # whether they exist: not seen here
        result: int = await self._db.count(collection, filter)
        return result

    async def count_by(self, collection: str, filter: Document, field: str) -> dict[Any, int]:
        self._note(collection, filter)
        self._unanchored |= bool(_asked_uuids(filter))
        result: dict[Any, int] = await self._db.count_by(collection, filter, field)
        return result

    async def commit(self, writes: Sequence[Write]) -> None:
        raise RuntimeError("a download's build must not write")
