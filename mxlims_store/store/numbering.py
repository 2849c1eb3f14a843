"""Stable integer ids: every MXLIMS object the store creates gets a number under ``_meta``.

Systems that speak in integers (MXCuBE's ``sampleId``, ``crystalId``, ``diffractionPlanId``;
ISPyB's keys) need an id that is the same after every restart and never given twice. A hash
cut to fit an int can collide; so the store counts. One counter document (``counters``,
``objects``) holds the next free number, and is moved on with a revision check:

- on an engine with transactions (SQLite, a MongoDB replica set) the counter moves in the same
  commit that creates the objects, so a lost race writes neither and numbers never repeat;
- without transactions (standalone MongoDB) a block of numbers is reserved first, in a commit of
  its own, then the objects are written: a crash in between leaves a gap, never a duplicate.

A store written before numbers existed is numbered once (:func:`backfill`, at start-up, and
before the first numbered write), in creation order. Numbers are bookkeeping: giving one keeps
the object's revision (and its ETag).
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from typing import Any

from mxlims_store.errors import WriteConflict
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.collection_names import CORE_COLLECTIONS, COUNTERS, OBJECT_COUNTER
from mxlims_store.store.documents import META

COUNTER = OBJECT_COUNTER
NUMBER = "number"
COUNTER_TRIES = 8  # writers in other processes (the CLI beside serve, several workers)


async def _counter(db: Backend) -> dict[str, Any] | None:
    found = await db.find(COUNTERS, {"_id": COUNTER}, limit=1)
    return found[0] if found else None


def _moved(counter: dict[str, Any] | None, taken: int) -> Write:
    """The write that moves the counter on by ``taken`` numbers (creates it if absent). Its
    ``move`` token tells this move from a rival's to the same revision (where no transaction
    exists, a write counts as landed when the stored bookkeeping is its own)."""
    move = uuidlib.uuid4().hex
    if counter is None:
        document = {"_id": COUNTER, "next": 1 + taken, META: {"revision": 1, "move": move}}
        return Write(COUNTERS, COUNTER, document, None, None)
    revision = int(counter[META]["revision"])
    document = {
        "_id": COUNTER,
        "next": int(counter["next"]) + taken,
        META: {"revision": revision + 1, "move": move},
    }
    return Write(COUNTERS, COUNTER, document, revision, None)


def _number(metas: Sequence[dict[str, Any]], first: int) -> None:
    """Give the objects created (their bookkeeping dicts ``metas``, in the writes' order) their
    numbers from ``first`` on, in place: the bookkeeping of a creation is its own dict
    (history.recorded_change), and a retry numbers it again. (A copy of document and write per
    object cost an import of thousands of objects tens of milliseconds; a call per object, a
    millisecond.)"""
    for number, meta in enumerate(metas, start=first):
        meta[NUMBER] = number


_CORE = frozenset(CORE_COLLECTIONS)


def _creates(writes: Sequence[Write]) -> list[dict[str, Any]]:
    """The bookkeeping dicts of the objects ``writes`` create, in their order."""
    return [
        w.document[META]
        for w in writes
        if w.expected_revision is None
        and w.document is not None
        and w.collection in _CORE
        and NUMBER not in w.document.get(META, ())
    ]


async def commit_numbered(
    db: Backend, writes: Sequence[Write], created: Sequence[dict[str, Any]] | None = None
) -> None:
    """Commit ``writes``, each object they create numbered from the counter. A writer in
    another process that moved the counter first costs a re-read and another try (the lost
    commit wrote nothing, or only reserved nothing); any other conflict is the caller's.
    ``created``: the bookkeeping dicts of the objects the writes create, in their order, where
    the caller made them (an import's plan: no pass over its thousands of writes to find
    them again); None: found from the writes."""
    writes = list(writes)
    creating = _creates(writes) if created is None else created
    if not creating:
        await db.commit(writes)
        return
    for attempt in range(COUNTER_TRIES):
        counter = await _counter(db)
        if counter is None:
            await backfill(db)
            counter = await _counter(db)
        first = 1 if counter is None else int(counter["next"])
        numbered = writes
        _number(creating, first)
        moved = _moved(counter, len(creating))
        try:
            if db.transactional:
                await db.commit([moved, *numbered])
            else:
                await db.commit([moved])  # the block is ours before any object carries it
        except WriteConflict as conflict:
            if conflict.uuids != [COUNTER] or attempt == COUNTER_TRIES - 1:
                raise
            continue
        if not db.transactional:
            await db.commit(numbered)
        return


async def backfill(db: Backend) -> int:
    """Number the objects stored before numbers existed (once: the counter's existence says it
    was done); how many were numbered. Two processes starting at once: one wins, the other's
    commit conflicts on the counter and leaves it be."""
    if await _counter(db) is not None:
        return 0
    unnumbered: list[dict[str, Any]] = []
    for collection in CORE_COLLECTIONS:
        for document in await db.find(collection, {f"{META}.{NUMBER}": {"$exists": False}}):
            unnumbered.append({**document, "_collection": collection})
    unnumbered.sort(key=lambda d: (str(d[META].get("createdAt") or ""), d["_id"]))
    writes = []
    for number, document in enumerate(unnumbered, start=1):
        collection = document.pop("_collection")
        revision = int(document[META]["revision"])
        numbered = {**document, META: {**document[META], NUMBER: number}}
        writes.append(Write(collection, document["_id"], numbered, revision, None))
    moved = _moved(None, len(unnumbered))
    try:
        if db.transactional:
            await db.commit([moved, *writes])
        else:
            await db.commit([moved])
            if writes:
                await db.commit(writes)
    except WriteConflict:
        # Another process numbered them. (Without transactions, an object changed between
        # the read and this write stays unnumbered: the samples answer says so.)
        return 0
    return len(unnumbered)


def number_of(document: dict[str, Any] | None) -> int | None:
    """The store-assigned number of a stored document (None for none)."""
    if document is None:
        return None
    value = document.get(META, {}).get(NUMBER)
    return int(value) if isinstance(value, int) else None
