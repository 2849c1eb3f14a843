"""The history collection: one entry per change of an object, never embedded in the object.

An entry records the change, never a second copy of the object: an update or a deletion holds
the fields it changed (``changes``: before and after). A creation holds no fields at all: what it
created is the object as stored, with every later change undone (``creations_filled``). Entries
written before this (a creation with ``changes``, each field's ``after``) are read as they are.

An entry's ``_id`` is ``<uuid>@<revision>@<key>``. The key of a change an import makes is the
import's id, so that its re-run after a crash writes the same entries again, not new ones; any
other change gets a random one. Either way, two writers racing for the same revision of an object
write two entries, and the loser's is removed without touching the winner's (where no
transaction exists, history is written before the objects).
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any, Literal

from mxlims_store.answers import mxlims_form
from mxlims_store.model.links import FOREIGN_KEY_FIELDS, ref_key_for
from mxlims_store.model.registry import BASE_TYPE, MODEL_VERSION
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.backends.base import CreationEntry
from mxlims_store.store.collection_names import COLLECTION_OF_CORE
from mxlims_store.store.collections import CORE_COLLECTIONS, HISTORY, collection_of
from mxlims_store.store.documents import META, from_document, to_document
from mxlims_store.store.integrity import SLOTS, slot_of

Operation = Literal["create", "update", "delete"]
OLDEST_FIRST = (("time", 1), ("revision", 1))


def recorded_change(
    stored: dict[str, Any] | None,
    obj: dict[str, Any] | None,
    *,
    revision: int,
    expected: int | None,
    actor: str,
    time: str,
    import_id: str | None = None,
    source_version: str | None = None,
    created: dict[str, Any] | None = None,
) -> Write:
    """The write of one object change with the history entry that records it.

    ``stored`` None creates ``obj`` (its uuid must still be free), ``obj`` None deletes
    ``stored``, both replace one with the other; the write only lands over the ``expected``
    revision, so a concurrent change is never overwritten. The new document keeps the stored
    bookkeeping (proposal, creation) and takes the new ``revision``; ``created`` is the
    bookkeeping of a creation (createdAt, createdBy, proposal).
    """
    if stored is None and obj is not None:  # a creation: most changes of a big import
        return _creation(obj, revision, expected, actor, time, import_id, source_version, created)
    document = None
    if obj is not None:
        # set one by one in a copy: the same keys in the same order as one merged literal,
        # in less time (one per object of an import)
        meta = dict(stored[META]) if stored is not None else {}
        meta["revision"] = revision
        meta["updatedAt"] = time
        meta["updatedBy"] = actor
        meta["modelVersion"] = MODEL_VERSION
        if import_id is not None:
            meta["importId"] = import_id
        if created:
            meta.update(created)
        if source_version is not None:
            meta["sourceVersion"] = source_version
        meta.pop("slot", None)
        slot = slot_of(obj)
        if slot is not None:
            meta["slot"] = slot  # the position, one value, under the database's unique index
        document = to_document(obj, meta)
    current = document if document is not None else stored
    if current is None:
        raise ValueError("a change needs an object before or after it")
    operation: Operation = "create" if stored is None else "delete" if obj is None else "update"
    recorded = entry(
        current["_id"],
        revision,
        operation,
        actor,
        time,
        stored,
        document if stored is not None else None,  # a creation's fields: see the docstring
        proposal=current[META].get("proposal"),
        import_id=import_id,
    )
    if operation == "create":
        # the fields are the object's (filled in when read): half the bytes of an import
        del recorded["changes"]
    if source_version is not None:
        recorded["sourceVersion"] = source_version  # the model version the change was sent in
    return Write(collection_of(current["mxlimsType"]), current["_id"], document, expected, recorded)


def _creation(
    obj: dict[str, Any],
    revision: int,
    expected: int | None,
    actor: str,
    time: str,
    import_id: str | None,
    source_version: str | None,
    created: dict[str, Any] | None,
) -> Write:
    """:func:`recorded_change` of a creation, written out: the same document and entry, key
    for key, without the steps that find nothing to do for a new object (a creation's entry
    holds no fields: ``changes`` is never made)."""
    meta: dict[str, Any] = {
        "revision": revision,
        "updatedAt": time,
        "updatedBy": actor,
        "modelVersion": MODEL_VERSION,
    }
    if import_id is not None:
        meta["importId"] = import_id
    if created:
        meta.update(created)
        meta.pop("slot", None)
    if source_version is not None:
        meta["sourceVersion"] = source_version
    slot = slot_of(obj)
    if slot is not None:
        meta["slot"] = slot
    document = to_document(obj, meta)
    uuid = document["_id"]
    recorded = {
        "_id": f"{uuid}@{revision}@{import_id or uuidlib.uuid4().hex}",
        "uuid": uuid,
        "revision": revision,
        "operation": "create",
        "actor": actor,
        "time": time,
        "importId": import_id,
        META: {"proposal": meta.get("proposal")},
    }
    if source_version is not None:
        recorded["sourceVersion"] = source_version
    return Write(collection_of(document["mxlimsType"]), uuid, document, expected, recorded)


class ImportWrites:
    """The writes of one import's changes. What its creations all share (the bookkeeping, the
    entry) is made once, and each creation is then a copy of it with the object's own values
    (a third less time per object than :func:`recorded_change`, the bulk of planning a new
    shipment): key for key the document and entry that ``recorded_change`` gives a creation
    with ``created`` = createdAt (``time``), createdBy (``actor``), proposal."""

    def __init__(
        self, *, actor: str, time: str, import_id: str, source_version: str | None = None
    ) -> None:
        meta: dict[str, Any] = {
            "revision": 0,
            "updatedAt": time,
            "updatedBy": actor,
            "modelVersion": MODEL_VERSION,
            "importId": import_id,
            "createdAt": time,
            "createdBy": actor,
            "proposal": None,
        }
        recorded: dict[str, Any] = {
            "_id": "",
            "uuid": "",
            "revision": 0,
            "operation": "create",
            "actor": actor,
            "time": time,
            "importId": import_id,
            META: None,
        }
        if source_version is not None:
            meta["sourceVersion"] = source_version
            recorded["sourceVersion"] = source_version
        self._meta, self._entry, self._key = meta, recorded, import_id
        self._actor, self._time, self._version = actor, time, source_version
        # the bookkeeping of each creation, in order: numbered at the commit (numbering.py)
        self.created: list[dict[str, Any]] = []
        self._tails: dict[int, str] = {}

    def update(self, stored: dict[str, Any], obj: dict[str, Any]) -> Write:
        """``stored`` replaced by ``obj`` at the next revision (:func:`recorded_change`)."""
        revision = int(stored[META]["revision"])
        return recorded_change(
            stored,
            obj,
            revision=revision + 1,
            expected=revision,
            actor=self._actor,
            time=self._time,
            import_id=self._key,
            source_version=self._version,
        )

    def create(self, obj: dict[str, Any], proposal: str | None, revision: int) -> Write:
        meta = self._meta.copy()  # keys keep their places when set again
        meta["revision"] = revision
        meta["proposal"] = proposal
        self.created.append(meta)
        type_name = obj["mxlimsType"]
        if type_name in SLOTS:  # (slot_of of any other type is None)
            slot = slot_of(obj)
            if slot is not None:
                meta["slot"] = slot
        uuid = obj["uuid"]
        if "extensions" in obj or "identifiers" in obj or "urls" in obj:
            document = to_document(obj, meta)  # domain-keyed fields as lists: the general way
        else:
            document = {"_id": uuid, **obj}
            del document["uuid"]
            document[META] = meta
        tail = self._tails.get(revision)  # "@<revision>@<import id>", made once per revision
        if tail is None:
            tail = self._tails[revision] = f"@{revision}@{self._key}"
        # made whole at once (set afterwards, it would no longer be one: backends/base.py)
        recorded = CreationEntry(
            self._entry, _id=uuid + tail, uuid=uuid, revision=revision, _meta={"proposal": proposal}
        )
        collection = _COLLECTION.get(type_name) or collection_of(type_name)
        # the tuple made directly: a NamedTuple's own __new__ is a Python call (~0.2 us more)
        return _new_tuple(Write, (collection, uuid, document, None, recorded))


_new_tuple = tuple.__new__
# type -> its collection, for the creations of an import (one lookup instead of two)
_COLLECTION = {
    name: COLLECTION_OF_CORE[core] for name, core in BASE_TYPE.items() if core in COLLECTION_OF_CORE
}


def entry(
    uuid: str,
    revision: int,
    operation: Operation,
    actor: str,
    time: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    proposal: str | None,
    import_id: str | None = None,
) -> dict[str, Any]:
    """One change from document ``before`` to document ``after`` (None: absent);
    ``_meta.proposal`` scopes who may read it, as on the objects themselves."""
    return {
        "_id": f"{uuid}@{revision}@{import_id or uuidlib.uuid4().hex}",
        "uuid": uuid,
        "revision": revision,
        "operation": operation,
        "actor": actor,
        "time": time,
        "importId": import_id,
        "changes": changes(before, after),
        META: {"proposal": proposal},
    }


def _fields(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """A document's own fields: its id and bookkeeping are no change of the object."""
    if document is None:
        return None
    return {k: v for k, v in document.items() if k not in ("_id", META)}


_NOT_FIELDS = frozenset(("_id", META))  # a document's id and bookkeeping: no change of it


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Per changed field ``{"before": ..., "after": ...}`` (absent values left out), fields
    in the order of ``before`` then those new in ``after``; ``_id`` and ``_meta`` are no fields.

    Takes document forms (domain dicts as lists), so that no stored key contains a dot.
    """
    after = after or {}
    if before is None:  # a creation: every field is new (the common case of a big import)
        return {
            name: {"after": value}
            for name, value in after.items()
            if value is not None and name not in _NOT_FIELDS
        }
    delta: dict[str, Any] = {}
    for name, old in before.items():
        new = after.get(name)
        if old != new and name not in _NOT_FIELDS:  # (not both None: they differ)
            if old is None:
                delta[name] = {"after": new}
            elif new is None:
                delta[name] = {"before": old}
            else:
                delta[name] = {"before": old, "after": new}
    for name, new in after.items():
        if new is not None and name not in before and name not in _NOT_FIELDS:
            delta[name] = {"after": new}
    return delta


async def recorded(db: Backend, caller: Caller, uuid: str) -> list[dict[str, Any]]:
    """The entries of ``uuid`` that ``caller`` may read, oldest first, creations filled in."""
    entries = await db.find(HISTORY, readable(caller, {"uuid": uuid}), sort=OLDEST_FIRST)
    if any(e.get("operation") == "create" and e.get("changes") is None for e in entries):
        created = await _created_fields(db, uuid)
        for shown in entries:
            if shown.get("changes") is None:
                shown["changes"] = created.get(shown["_id"], {})
    return entries


async def _created_fields(db: Backend, uuid: str) -> dict[str, Any]:
    """Per creation entry of ``uuid`` its fields, undone from the object over every entry (any
    proposal's: a creation shows what it created, as an entry holding its fields did). Read
    again when a change landed between the two reads (the object ahead of its history)."""
    for _ in range(5):
        entries = await db.find(HISTORY, {"uuid": uuid}, sort=OLDEST_FIRST)
        stored = None
        for collection in CORE_COLLECTIONS:
            found = await db.find(collection, {"_id": uuid}, limit=1)
            if found:
                stored = found[0]
                break
        last = entries[-1] if entries else None
        revision = (stored or {}).get(META, {}).get("revision")
        if last is None or (
            (stored is None) == (last.get("operation") == "delete")
            and (stored is None or revision == last.get("revision"))
        ):
            break
    creations_filled(entries, stored)
    return {e["_id"]: e["changes"] for e in entries if e.get("operation") == "create"}


def creations_filled(entries: list[dict[str, Any]], stored: dict[str, Any] | None) -> None:
    """Give each creation entry without fields (see the module's docstring) the fields it
    created: the ``stored`` document (None: not stored) with the changes of ``entries`` (every
    entry of one uuid, oldest first) undone from the newest back to the creation."""
    fields = _fields(stored)
    for recorded in reversed(entries):
        changed = recorded.get("changes")
        if recorded.get("operation") == "delete":  # the fields before it: every one changed
            fields = {k: c["before"] for k, c in (changed or {}).items() if "before" in c}
        elif recorded.get("operation") == "create":
            if changed is None:
                created = fields or {}
                recorded["changes"] = {k: {"after": v} for k, v in created.items() if v is not None}
            fields = None  # nothing before a creation
        elif fields is not None:
            for name, change in (changed or {}).items():
                if "before" in change:
                    fields[name] = change["before"]
                else:
                    fields.pop(name, None)


def public(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry as shown to users: JSON-friendly, no internal id."""
    shown = {k: v for k, v in (_fields(entry) or {}).items() if v is not None}
    # in the form objects are shown in: links under the standard's names, each a {"$ref": uuid}
    shown["changes"] = {
        next(iter(_shown(name, None))): {
            side: next(iter(_shown(name, value).values())) for side, value in change.items()
        }
        for name, change in entry.get("changes", {}).items()
    }
    return shown


def _shown(name: str, value: Any) -> dict[str, Any]:
    """One stored field as objects show it: extensions/identifiers/urls as the standard's
    dicts, a link as ``containerRef: {"$ref": uuid}``."""
    if name in FOREIGN_KEY_FIELDS:
        return mxlims_form({name: value}) if value is not None else {ref_key_for(name): None}
    return {name: from_document({name: value}).get(name, value)}
