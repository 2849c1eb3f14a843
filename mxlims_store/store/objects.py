"""Single objects: get, and partial update with a revision check (deleting: ``deletion``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mxlims_store.answers import MxlimsObject, mxlims_form
from mxlims_store.errors import (
    InvalidMessage,
    NotFound,
    PermissionDenied,
    Problem,
    StaleRevision,
    WriteConflict,
)
from mxlims_store.messages.errors import object_problems
from mxlims_store.messages.limits import storable_problems
from mxlims_store.model.links import FOREIGN_KEY_FIELDS, link_targets, rule_for
from mxlims_store.store import integrity, unit_of_work
from mxlims_store.store.access import Caller
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.collections import collection_of
from mxlims_store.store.documents import META, from_document, now
from mxlims_store.store.history import recorded_change
from mxlims_store.store.merging import merge_patch
from mxlims_store.store.ownership import relabel_problems
from mxlims_store.store.reads import fetch, locate

FIXED_FIELDS = frozenset({"uuid", "mxlimsType"})


@dataclass(frozen=True)
class StoredObject:
    """An MXLIMS object (store form: ``containerId`` uuids) with its bookkeeping."""

    data: dict[str, Any]
    revision: int
    meta: dict[str, Any]

    def answer(self) -> MxlimsObject:
        """As the CLI prints it and the API answers it: MXLIMS form, bookkeeping in ``_meta``."""
        return MxlimsObject.model_validate({**mxlims_form(self.data), "_meta": self.meta})


def stored_object(document: dict[str, Any]) -> StoredObject:
    meta = dict(document[META])
    return StoredObject(from_document(document), int(meta["revision"]), meta)


async def get(db: Backend, caller: Caller, uuid: str) -> StoredObject:
    _, document = await locate(db, caller, uuid)
    return stored_object(document)


MAX_REVISION = 2**62  # far beyond any object's; past it a revision + 1 is no stored integer


async def update(
    db: Backend, caller: Caller, uuid: str, changes: dict[str, Any], revision: int
) -> StoredObject:
    return await unit_of_work.run(db, lambda tx: _update(tx, caller, uuid, changes, revision))


async def _update(
    db: Backend, caller: Caller, uuid: str, changes: dict[str, Any], revision: int
) -> StoredObject:
    """Apply ``changes`` as a JSON merge patch (RFC 7396, store form: ``null`` removes, objects
    such as ``extensions`` merge per key) if ``revision`` is still current."""
    _, document = await locate(db, caller, uuid)
    _check_writable(caller, document)
    if not 0 < revision < MAX_REVISION:  # no object is at it (a page's form sends any integer)
        await _refuse_stale(db, caller, uuid, revision)
    problems = [Problem(name, "cannot be changed") for name in changes if name in FIXED_FIELDS]
    before = from_document(document)
    after = merge_patch(before, changes)
    after.update({name: before[name] for name in FIXED_FIELDS})  # never changed, whatever was sent
    problems += relabel_problems(caller, before, after, "")
    problems += storable_problems(after, "") or object_problems(after)
    problems += await _link_problems(
        db, caller, after, changed={k for k in changes if k in FOREIGN_KEY_FIELDS}
    )
    if not problems:  # the integrity rules need a valid object
        proposal = document[META].get("proposal")
        broken, _ = await integrity.check(
            db, [(after, proposal)], {}, message_form=False, visible=caller.may_read
        )
        problems += broken
    if problems:
        raise InvalidMessage(problems)
    if after == before:  # nothing changes: no new revision, so no client's ETag goes stale
        if int(document[META]["revision"]) != revision:
            await _refuse_stale(db, caller, uuid, revision)
        return stored_object(document)
    write = recorded_change(
        document, after, revision=revision + 1, expected=revision, actor=caller.actor, time=now()
    )
    await commit_at_revision(db, caller, write, revision)
    assert write.document is not None  # an update writes a document
    return stored_object(write.document)


async def commit_at_revision(db: Backend, caller: Caller, write: Write, revision: int) -> None:
    """One object and its history entry in one transaction; a lost race is a stale revision."""
    try:
        await db.commit([write])
    except WriteConflict:
        _, current = await locate(db, caller, write.uuid)  # NotFound if it was deleted meanwhile
        if int(current[META]["revision"]) != revision:
            raise StaleRevision(write.uuid, revision, int(current[META]["revision"])) from None
        raise  # its container changed under it, not the object: the unit runs again
    except InvalidMessage as error:  # the database's own unique index: the same problem
        raise unit_of_work.located(error, {}, message_form=False) from None


def _check_writable(caller: Caller, document: dict[str, Any]) -> None:
    if not caller.may_write(document[META].get("proposal")):
        raise PermissionDenied(f"you may not change object {document['_id']}")


async def _link_problems(
    db: Backend, caller: Caller, obj: dict[str, Any], changed: set[str]
) -> list[Problem]:
    """Changed foreign keys must point at stored objects of an allowed type (batched)."""
    wanted: dict[str, set[str]] = {}
    links = [(f, u) for f, u in link_targets(obj) if f in changed]
    for field, target in links:
        rule = rule_for(obj["mxlimsType"], field)
        if rule is not None:
            for collection in {collection_of(t) for t in rule.targets}:
                wanted.setdefault(collection, set()).add(target)
    found = await fetch(db, caller, wanted)
    problems = []
    for field, target in links:
        rule = rule_for(obj["mxlimsType"], field)
        stored = found.get(target)
        if rule is None:
            problems.append(Problem(field, f"a {obj['mxlimsType']} has no link {field!r}"))
        elif stored is None:
            problems.append(Problem(field, f"no stored object {target}"))
        elif not rule.allows(stored["mxlimsType"]):
            problems.append(
                Problem(
                    field, f"may point at {', '.join(rule.targets)}, not {stored['mxlimsType']}"
                )
            )
    return problems


async def _refuse_stale(db: Backend, caller: Caller, uuid: str, revision: int) -> None:
    _, current = await locate(db, caller, uuid)  # NotFound if it was deleted meanwhile
    raise StaleRevision(uuid, revision, int(current[META]["revision"]))


__all__ = ["FIXED_FIELDS", "NotFound", "StoredObject", "get", "stored_object", "update"]
