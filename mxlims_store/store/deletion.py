"""Deleting with care: an object others point at is kept unless a cascade is asked for.

A cascade deletes the object and everything below it (everything whose links lead to it: the
pins of a puck, their samples' experiments and results ...) in one transaction, each deletion
with its history entry. The caller must be allowed to delete every one of them; otherwise
nothing is deleted. The objects that block a plain delete are listed as far as the caller may
see them (the others are neither named nor counted).
"""

from __future__ import annotations

from typing import Any

from mxlims_store.errors import Conflict, PermissionDenied, Problem
from mxlims_store.store import unit_of_work
from mxlims_store.store.access import SYSTEM, Caller
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.documents import META, now
from mxlims_store.store.history import recorded_change
from mxlims_store.store.objects import commit_at_revision
from mxlims_store.store.ownership import stored_owner
from mxlims_store.store.reads import locate
from mxlims_store.store.walk import walk

CASCADE_DEPTH = 10_000  # a cascade goes to the bottom of any chain a message can build


async def delete(
    db: Backend, caller: Caller, uuid: str, revision: int | None = None, cascade: bool = False
) -> list[str]:
    """Delete ``uuid`` (and with ``cascade`` all below it); the uuids deleted."""
    return await unit_of_work.run(db, lambda tx: _delete(tx, caller, uuid, revision, cascade))


async def _delete(
    db: Backend, caller: Caller, uuid: str, revision: int | None, cascade: bool
) -> list[str]:
    _, document = await locate(db, caller, uuid)
    if not caller.may_delete(document[META].get("proposal")):
        raise PermissionDenied("you may not delete this object")
    current = int(document[META]["revision"])
    expected = current if revision is None else revision
    # Who points at it, whoever owns them: a hidden pointer blocks a delete all the same.
    depth = CASCADE_DEPTH if cascade else 1
    # SYSTEM: everything below must be found, also what the caller may not see, because
    # an object hidden from the caller still blocks the delete (it is neither named nor counted)
    walked = await walk(db, SYSTEM, [document], "down", depth, unbounded=cascade)
    steps, below = walked.steps, walked.documents
    others = [u for u in below if u != uuid]
    if others and not cascade:
        visible = [
            s for s in steps if s.uuid != uuid and caller.may_read(stored_owner(below[s.uuid]))
        ]
        problems = [Problem(s.uuid, f"{s.mxlims_type} points at it ({s.link})") for s in visible]
        # objects the caller may not see block it all the same, but are neither named nor counted
        what = f"{len(visible)} object(s)" if len(visible) == len(others) else "other objects"
        raise Conflict(
            f"{what} point at it; delete them first or ask for a cascade",
            problems,
        )
    if any(not caller.may_delete(stored_owner(below[u])) for u in others):
        raise PermissionDenied("the cascade reaches objects you may not delete")
    time = now()
    writes = [_deletion(caller, document, expected, time)]
    writes += [_deletion(caller, below[u], int(below[u][META]["revision"]), time) for u in others]
    if len(writes) == 1:
        await commit_at_revision(db, caller, writes[0], expected)
    else:
        await db.commit(writes)
    return [w.uuid for w in writes]


def _deletion(caller: Caller, document: dict[str, Any], expected: int, time: str) -> Write:
    revision = int(document[META]["revision"]) + 1
    return recorded_change(
        document, None, revision=revision, expected=expected, actor=caller.actor, time=time
    )
