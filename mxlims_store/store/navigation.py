"""Links, provenance and export, all built on the level-by-level walk.

A walk stops at :data:`~mxlims_store.store.walk.MAX_DEPTH` levels; what it then leaves out is
never dropped silently: a provenance or an export says which links it did not follow (``cut``),
and an export leaves those links out of the message, so that it imports anywhere.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import TypeAdapter

from mxlims_store.answers import CutLink, Link, Links, Step, label
from mxlims_store.errors import InvalidMessage, NotFound, Problem
from mxlims_store.mappings.site_registry import site_domain
from mxlims_store.messages import write_message
from mxlims_store.model.links import link_targets, ref_key_for, rule_for
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.collector import collector_paused
from mxlims_store.store.documents import from_document
from mxlims_store.store.reads import Document, Plan, locating, run_plan
from mxlims_store.store.site_views import view_as
from mxlims_store.store.stored_message import message_of_stored
from mxlims_store.store.walk import Cut, Direction, Walked, walking

ByUuid = dict[str, Document]  # documents by uuid

ExportDirection = Literal["up", "down", "both"]


async def links(db: Backend, caller: Caller, uuid: str) -> Links:
    """Forward links (the object's foreign keys) and reverse links (who points at it), typed
    and labelled."""
    root, up, down = await run_plan(db, caller, _neighbours(uuid))
    forward = [
        Link(
            link=ref_key_for(field),
            field=field,
            uuid=target,
            mxlims_type=up[target]["mxlimsType"] if target in up else None,
            label=label(up[target]) if target in up else None,
        )
        for field, target in link_targets(root)
    ]
    reverse = []
    for document in down.values():
        for field, target in link_targets(document):
            rule = rule_for(document["mxlimsType"], field)
            if target == uuid and document["_id"] != uuid and rule is not None:
                reverse.append(
                    Link(
                        link=rule.reverse,
                        field=field,
                        uuid=document["_id"],
                        mxlims_type=document["mxlimsType"],
                        label=label(document),
                    )
                )
    return Links(
        uuid=uuid,
        mxlims_type=root["mxlimsType"],
        label=label(root),
        forward=forward,
        reverse=reverse,
    )


def _neighbours(uuid: str) -> Plan[tuple[Document, ByUuid, ByUuid]]:
    _, root = yield from locating(uuid)
    up = yield from walking([root], "up", 1)
    down = yield from walking([root], "down", 1)
    return root, up.documents, down.documents


class Provenance(list[Step]):
    """The steps of a provenance walk, and ``cut``: the links it did not follow because it
    stopped at the depth limit (empty when it reached the end). The step where a cut link
    starts lists it too, under ``cut``."""

    def __init__(self, steps: list[Step], cut: list[Cut]) -> None:
        super().__init__(steps)
        self.cut = cut


class ExportedMessage(dict[str, Any]):
    """An MXLIMS message, and ``cut``: the links its walk did not follow because it stopped at
    the depth limit (empty when nothing was left out). Links from included objects to objects
    left out are not in the message (it would not import elsewhere); ``cut`` lists them."""

    def __init__(self, message: dict[str, Any], cut: list[Cut]) -> None:
        super().__init__(message)
        self.cut = cut


async def provenance(
    db: Backend, caller: Caller, uuid: str, direction: Direction = "up", depth: int | None = None
) -> Provenance:
    """Every object reached from ``uuid``, each with its depth, the link that reached it and
    its label, so that a chain reads "Pin P0010101 (position 1) in Puck ... in Dewar ..."."""
    _check_depth(depth)
    walked = await run_plan(db, caller, _walk_from(uuid, direction, depth))
    cut_from: dict[str, list[CutLink]] = {}
    for cut in walked.cut:
        cut_from.setdefault(cut.source, []).append(
            CutLink(link=cut.link, uuid=cut.target, mxlims_type=cut.target_type)
        )
    documents = walked.documents
    steps: list[dict[str, Any]] = []
    for uuid, mxlims_type, depth, link, source in walked.steps:  # (unpacked at C speed)
        # by the answer's JSON names, without the fields left at their default (null): a
        # third of the validation's time
        shown: dict[str, Any] = {
            "uuid": uuid,
            "mxlimsType": mxlims_type,
            "label": label(documents[uuid]),
            "depth": depth,
        }
        if link is not None:
            shown["link"] = link
        if source is not None:
            shown["from"] = source
        if cut_from and (links_cut := cut_from.get(uuid)) is not None:
            shown["cut"] = links_cut
        steps.append(shown)
    # one call for all of them: half the time of one each
    return Provenance(_STEPS.validate_python(steps), walked.cut)


_STEPS = TypeAdapter(list[Step])


def _walk_from(uuid: str, direction: Direction, depth: int | None) -> Plan[Walked]:
    _, root = yield from locating(uuid)
    return (yield from walking([root], direction, depth))


async def export(
    db: Backend,
    caller: Caller,
    uuid: str,
    *,
    direction: ExportDirection = "both",
    depth: int | None = None,
    site: str | None = None,
) -> ExportedMessage:
    """The object and its neighbourhood as one message; everything they link to comes along,
    so that every link in the message resolves (``direction`` and ``depth`` choose how far down
    it goes: up, every link is followed anyway)."""
    _check_depth(depth)
    site = site_domain(site) if site else None  # a code (esrf) or a domain (esrf.fr)
    with collector_paused():
        documents, cut = await run_plan(db, caller, _exporting(uuid, direction, depth))
        message = await _message_of_documents(documents, cut, site)
        del documents  # freed before the collector resumes (shipment_results)
    return message


def _exporting(
    uuid: str, direction: ExportDirection, depth: int | None, shipment: bool = False
) -> Plan[tuple[list[Document], list[Cut]]]:
    """The object, what lies below it (``direction`` down or both) and everything they link
    to, as one plan: one trip on SQLite. ``shipment``: the object must be a Shipment."""
    _, root = yield from locating(uuid)
    if shipment and root["mxlimsType"] != "Shipment":
        raise InvalidMessage([Problem("uuid", f"{uuid} is a {root['mxlimsType']}, not a Shipment")])
    roots, cut = [root], []
    if direction in ("down", "both"):
        below = yield from walking([root], "down", depth, bare=True)
        roots, cut = list(below.documents.values()), below.cut
    return (yield from _with_links(roots, cut))


def _with_links(roots: list[Document], cut: list[Cut]) -> Plan[tuple[list[Document], list[Cut]]]:
    """``roots`` and everything they link to; links cut at the depth limit (by the walk down
    to ``roots`` or by this walk up) are left out of the message and listed."""
    above = yield from walking(roots, "up", bare=True)
    documents = above.documents
    return list(documents.values()), [c for c in [*cut, *above.cut] if c.target not in documents]


async def _message_of_documents(
    documents: list[Document], cut: list[Cut], site: str | None
) -> ExportedMessage:
    left_out = {c.target for c in cut}
    # Building the message is CPU work on thousands of objects: off the event loop.
    message = await asyncio.to_thread(_message_of, documents, site, left_out)
    return ExportedMessage(message, cut)


def _message_of(
    documents: list[dict[str, Any]], site: str | None, left_out: set[str]
) -> dict[str, Any]:
    if not site:  # as stored: one pass (the same message as below, byte for byte)
        return message_of_stored(documents, left_out=left_out)
    objects = [view_as(from_document(d), site) for d in documents]
    return write_message(objects, left_out=left_out)


async def shipment_results(
    db: Backend, caller: Caller, uuid: str, site: str | None = None
) -> ExportedMessage:
    """One MXLIMS file: the shipment, everything in it, its experiments and all their results
    (as ``site`` sees them, its extension overrides applied, when one is named)."""
    site = site_domain(site) if site else None
    with collector_paused():
        documents, cut = await run_plan(db, caller, _exporting(uuid, "down", None, shipment=True))
        message = await _message_of_documents(documents, cut, site)
        # freed before the collector resumes: its first pass then walks the message alone
        # (~13,000 documents fewer)
        del documents
    return message


PROPOSAL_NOT_SEEN = "no shipment of this proposal that you may see"


async def proposal_shipments_seen(
    db: Backend, caller: Caller, code: str, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """The proposal's shipments the caller may see; NotFound if none, in the same words for a
    proposal that does not exist and for one the caller may not see (its shipments, results
    and samples all answer so: no existence leaks)."""
    query = readable(caller, {"mxlimsType": "Shipment", "_meta.proposal": code})
    shipments = await db.find("logistical_samples", query, limit=limit)
    if not shipments:
        raise NotFound(PROPOSAL_NOT_SEEN)
    return shipments


async def proposal_results(db: Backend, caller: Caller, code: str) -> ExportedMessage:
    """One MXLIMS file: every shipment of a proposal, everything in them and all results."""
    shipments = await proposal_shipments_seen(db, caller, code)
    with collector_paused():
        below = await run_plan(db, caller, walking(shipments, "down", bare=True))
        documents, cut = await run_plan(
            db, caller, _with_links(list(below.documents.values()), below.cut)
        )
        message = await _message_of_documents(documents, cut, None)
        del below, documents  # freed before the collector resumes (shipment_results)
    return message


def _check_depth(depth: int | None) -> None:
    if depth is not None and depth < 0:
        raise InvalidMessage([Problem("depth", "must be 0 or more")])
