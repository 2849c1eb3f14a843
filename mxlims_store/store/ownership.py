"""Which proposal owns each new object of an import.

The rule (README, "Access"): an object belongs to the proposal of what it hangs from. Each object
is followed up one link at a time, by the first link that is set in this order: its container,
its logistical sample, its sample, its source job or dataset, its input / template data, the job
it was started from, what it was derived from, its parent sample, its medium. The chain ends at
a stored object (its proposal), at a Shipment of the message (the proposal given with the
import, else its ``proposalCode``) or at an object with no such link (the proposal given with
the import, else the message's one Shipment proposal, else the caller's only grant). So results
a facility returns for a pin (Crystal, sweeps, processing, reflection sets) belong to the pin's
proposal, whoever uploads them.

Objects are never shared between proposals: a group that uses the same protein as another
describes it in its own shipment. A link that staff make across proposals is seen by the other
proposal's members as a bare uuid (exports write it as a uuid-only stub).
"""

from __future__ import annotations

import functools
from typing import Any

from mxlims_store.errors import Problem
from mxlims_store.messages import ReadResult
from mxlims_store.model.registry import OBJECT_TYPES
from mxlims_store.store.access import Caller
from mxlims_store.store.documents import META

_UPWARD = (
    "containerId",
    "logisticalSampleId",
    "sampleId",
    "sourceId",
    "inputDataIds",
    "templateDataIds",
    "startedFromId",
    "derivedFromId",
    "parentSampleId",
    "mediumId",
)


def owners(
    read: ReadResult,
    existing: dict[str, dict[str, Any]],
    caller: Caller,
    given: str | None,
) -> dict[str, str | None]:
    """The owning proposal of every object of ``read`` that is not stored yet, by uuid."""
    in_message = {obj["uuid"]: obj for obj in read.objects}
    codes = {str(o["proposalCode"]) for o in read.objects if o.get("proposalCode")}
    default = given
    if default is None and len(codes) == 1:
        default = next(iter(codes))
    if default is None and caller.proposals is not None and len(caller.proposals) == 1:
        default = next(iter(caller.proposals))
    found: dict[str, str | None] = {}
    for start, obj in in_message.items():
        if start in existing or start in found:  # stored: its own owner; found: on a chain
            continue
        # most objects: a root, or one link below an object whose owner is known (a pin in a
        # puck another pin led to): told without walking (_parent's common case written out)
        parent = None
        for field in _upward_of(obj["mxlimsType"]):
            value = obj.get(field)
            if value is None:
                continue
            if type(value) is str:
                if value in existing or value in in_message:
                    parent = value
                    break
            else:
                parent = _target(value, in_message, existing)
                if parent is not None:
                    break
        if parent is None:
            found[start] = _root_owner(obj, given, default)
            continue
        if parent in found:
            found[start] = found[parent]
            continue
        if parent in existing:  # a result on a stored pin
            found[start] = stored_owner(existing[parent]) or default
            continue
        chain: list[str] = []
        uuid = start
        while True:
            if uuid in found:
                owner = found[uuid]
                break
            if uuid in existing:
                owner = stored_owner(existing[uuid]) or default
                break
            if uuid in chain:  # a cycle in the message: its last object counts as the root
                owner = _root_owner(in_message[chain[-1]], given, default)
                break
            chain.append(uuid)
            parent = _parent(in_message[uuid], in_message, existing)
            if parent is None:
                owner = _root_owner(in_message[uuid], given, default)
                break
            uuid = parent
        for member in chain:
            found[member] = owner
    return found


def _parent(
    obj: dict[str, Any], in_message: dict[str, Any], existing: dict[str, dict[str, Any]]
) -> str | None:
    """The uuid the ownership chain goes on to, or None at a root."""
    for field in _upward_of(obj["mxlimsType"]):
        value = obj.get(field)
        if value is None:  # most fields of most objects: nothing to look at
            continue
        target = _target(value, in_message, existing)
        if target is not None:
            return target
    return None


def _target(
    value: Any, in_message: dict[str, Any], existing: dict[str, dict[str, Any]]
) -> str | None:
    """The first uuid a link's value (one uuid or a list) names in the message or the store."""
    for target in value if isinstance(value, list) else (value,):
        if isinstance(target, str) and (target in existing or target in in_message):
            return target
    return None


@functools.cache
def _upward_of(type_name: str) -> tuple[str, ...]:
    """The links of :data:`_UPWARD` a type has, in that order (a pin has 2 of the 10: asking
    an object for the other 8 was half of finding an import's owners); all of them for a type
    that may hold keys its model does not name."""
    model = OBJECT_TYPES.get(type_name)
    if model is None or model.model_config.get("extra") != "forbid":
        return _UPWARD
    return tuple(field for field in _UPWARD if field in model.model_fields)


def _root_owner(obj: dict[str, Any], given: str | None, default: str | None) -> str | None:
    if obj["mxlimsType"] == "Shipment":
        return given or (str(obj["proposalCode"]) if obj.get("proposalCode") else default)
    return default


def stored_owner(document: dict[str, Any]) -> str | None:
    proposal = document[META].get("proposal")
    return None if proposal is None else str(proposal)


def visible_documents(
    existing: dict[str, dict[str, Any]], caller: Caller
) -> dict[str, dict[str, Any]]:
    """The stored documents the caller may read, by uuid (asked once per proposal, not once
    per object): the others are as good as absent to an import."""
    if caller.reads_everything:
        return existing
    may: dict[str | None, bool] = {}
    visible = {}
    for uuid, document in existing.items():
        owner = stored_owner(document)
        if owner not in may:
            may[owner] = caller.may_read(owner)
        if may[owner]:
            visible[uuid] = document
    return visible


# Fields that say whose an object is: written by a member at creation (and refused there when
# they name a proposal not its own), changed afterwards only by facility staff or an admin.
OWNERSHIP_FIELDS = ("proposalCode",)


def relabel_problems(
    caller: Caller, before: dict[str, Any], after: dict[str, Any], path: str
) -> list[Problem]:
    """A member changing an ownership field of a stored object, on any write path."""
    if caller.effective_role in ("staff", "admin"):
        return []
    return [
        Problem(
            f"{path}/{field}" if path else field,
            "only facility staff or an admin may change whose this is",
        )
        for field in OWNERSHIP_FIELDS
        if before.get(field) != after.get(field) and not _filled_in(caller, before, after, field)
    ]


def _filled_in(caller: Caller, before: dict[str, Any], after: dict[str, Any], field: str) -> bool:
    """An empty ownership field given one of the caller's own proposals (a sheet stored without
    its proposal, uploaded again with it) says nothing new about whose the object is."""
    value = after.get(field)
    return not before.get(field) and isinstance(value, str) and caller.may_write(value)
