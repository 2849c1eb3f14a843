"""Reconcile: objects of a message that are stored objects under another system's uuids.

A facility that received a user's shipment as its sheet gives the dewars, pucks and pins its own
uuids; its results come back naming them by barcode (or name, or place). Before such a message is
checked against the store, every LogisticalSample whose uuid is unknown but whose barcode names
a stored one (a Dewar or container without barcode: its name; a pin without barcode: its place
in a matched container) is taken to be that stored object, when it sits in a shipment of the
caller's proposal that is not ``closed``. Its uuid is used and the facility's uuid kept as an
identifier under the facility's domain; what hangs from it - its container up to the shipment,
its sample and that sample's parent, the experiment and processing planned for it and their
template data - is matched the same way, so the planned experiment ends with its results. Two
stored candidates for one object (among what the caller may see) are a refusal naming both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Literal

from mxlims_store.answers import MatchedObject
from mxlims_store.errors import InvalidMessage, Problem
from mxlims_store.messages import ReadResult
from mxlims_store.model.links import LIST_FIELDS
from mxlims_store.model.registry import BASE_TYPE
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.documents import META
from mxlims_store.store.matched_uuids import keep_stored_labels, rewrite
from mxlims_store.store.open_shipments import LOGISTICS, MAX_DEPTH, open_shipments_of, where

MatchedBy = Literal["barcode", "name", "position", "container", "sample", "experiment", "template"]
LABELLED = ("Dewar", "Puck", "Plate", "MultiPin", "Pin")  # top-down: containers first
BY_NAME = ("Dewar", "Puck", "Plate", "MultiPin")  # a container may be known by its name
_LABELLED_TYPES = frozenset(LABELLED)


@dataclass(frozen=True)
class Match:
    """A message object taken to be a stored one: the stored uuid and what matched it."""

    uuid: str
    by: MatchedBy


async def reconcile(
    db: Backend,
    read: ReadResult,
    caller: Caller,
    proposal: str | None,
    stored: AbstractSet[str] | None = None,
    *,
    blind_refused: bool = False,
) -> tuple[dict[str, Match], list[str]]:
    """Match the message's unknown objects to stored ones and rewrite ``read`` to their uuids.
    ``stored``: the uuids of the message already known to be stored (read here if None).

    Returns the matches (message uuid -> :class:`Match`) and warnings. ``blind_refused``: staff
    or an admin naming no proposal while objects need matching are refused, nothing stored."""
    if not any(o["mxlimsType"] in LABELLED for o in read.objects):
        return {}, []
    # only the message's uuids are asked about: a superset of its stored ones answers alike
    known = stored if stored is not None else await _stored_ids(db, read)
    # the unknown dewars, containers and pins, in one pass (a return holds thousands of results)
    labelled, positioned = [], []
    for o in read.objects:
        if o["mxlimsType"] not in _LABELLED_TYPES or o["uuid"] in known:
            continue
        if _label(o):
            labelled.append(o)
        if o["mxlimsType"] == "Pin" and not o.get("barcode"):
            positioned.append(o)
    if not labelled and not positioned:  # a results return: every pin stored already
        return {}, []
    proposals = _scope(read, caller, proposal)
    in_message = {o["uuid"]: o for o in read.objects}
    if not proposals:  # staff or an admin naming no proposal: said, never silently new
        count = len(labelled) + len(positioned)
        if blind_refused and caller.proposals is None:
            said = (
                f"{count} dewar(s), container(s) or pin(s) with uuids not stored need the "
                "user's proposal to be matched to stored ones: give it with --proposal "
                "(?proposal= over HTTP) or a Shipment's proposalCode; nothing was stored"
            )
            raise InvalidMessage([Problem("proposal", said)])
        return {}, [
            f"{count} dewar(s), container(s) or pin(s) with uuids not stored were not matched "
            "to stored ones by barcode, name or place (they are stored as new): name the "
            "proposal (--proposal, ?proposal=) to match them"
        ]
    scope = {"_meta.proposal": {"$in": sorted(proposals)}}
    labels = sorted({_label(o) or "" for o in labelled})
    found: dict[str, dict[str, Any]] = {}
    for field in ("barcode", "name"):
        query = readable(caller, {"$and": [{field: {"$in": labels}}, scope]})
        found.update((d["_id"], d) for d in await db.find(LOGISTICS, query) if labels)
    path_of = {uuid: path for path, uuid in read.keys.items()}
    matcher = _Matcher(db, caller, in_message, known, path_of)
    await matcher.open_shipments(found)
    matcher.by_label(labelled, found)
    matcher.drop_contradicted()
    await matcher.by_position(positioned)
    matcher.upward()
    await matcher.hanging()
    if matcher.problems:
        raise InvalidMessage(matcher.problems)
    warnings = keep_stored_labels(read, matcher.matches, matcher.stored)
    warnings += rewrite(read, {u: m.uuid for u, m in matcher.matches.items()})
    return matcher.matches, warnings


async def reconciled(
    db: Backend,
    read: ReadResult,
    caller: Caller,
    policy: str,
    proposal: str | None,
    stored: AbstractSet[str] | None = None,
) -> tuple[dict[str, MatchedObject], list[str]]:
    """The import's reconcile step: for ``merge`` and ``update_old`` (imports that update what is
    stored); ``reject_new`` and ``error`` go by uuid alone. ``stored``: as for reconcile."""
    if policy not in ("merge", "update_old"):
        return {}, []
    blind_refused = policy == "merge"  # a merge is a reconcile: refused, never a guess
    matches, warnings = await reconcile(
        db, read, caller, proposal, stored, blind_refused=blind_refused
    )
    return {u: MatchedObject(uuid=m.uuid, by=m.by) for u, m in matches.items()}, warnings


def _scope(read: ReadResult, caller: Caller, given: str | None) -> set[str]:
    """The proposals whose shipments may hold the message's objects: the one named (the
    import's proposal, else the message's shipments'), within what a member may see; staff and
    admins look only where a proposal is named."""
    if given:
        named = {given}
    else:
        named = {
            str(o["proposalCode"])
            for o in read.objects
            if o["mxlimsType"] == "Shipment" and o.get("proposalCode")
        }
    if caller.reads_everything:
        return named
    grants = caller.proposals or frozenset()  # a member of no proposal: none
    return named & grants if named else set(grants)


def _label(obj: dict[str, Any]) -> str | None:
    """What names a LogisticalSample across systems: its barcode, else a container's name."""
    if obj.get("barcode"):
        return str(obj["barcode"])
    if obj["mxlimsType"] in BY_NAME and obj.get("name"):
        return str(obj["name"])
    return None


async def _stored_ids(db: Backend, read: ReadResult) -> set[str]:
    uuids = [o["uuid"] for o in read.objects]
    found: set[str] = set()
    for collection in CORE_COLLECTIONS:
        found.update(d["_id"] for d in await db.find(collection, {"_id": {"$in": uuids}}))
    return found


class _Matcher:
    def __init__(
        self,
        db: Backend,
        caller: Caller,
        in_message: dict[str, dict[str, Any]],
        known: AbstractSet[str],
        path_of: dict[str, str],
    ) -> None:
        self.db, self.caller, self.path_of = db, caller, path_of
        self.in_message, self.known = in_message, known
        self.matches: dict[str, Match] = {}
        self.taken: dict[str, str] = {}  # stored uuid -> message uuid
        self.stored: dict[str, dict[str, Any]] = {}  # stored documents seen, by uuid
        self.shipment_of: dict[str, str] = {}  # stored uuid -> its open shipment's uuid
        self.problems: list[Problem] = []

    async def open_shipments(self, found: dict[str, dict[str, Any]]) -> None:
        """Keep the candidates that sit in a shipment that is not closed."""
        self.shipment_of = await open_shipments_of(self.db, self.caller, found, self.stored)

    def _take(self, obj: dict[str, Any], stored: str, by: MatchedBy) -> None:
        if stored in self.taken and self.taken[stored] != obj["uuid"]:
            self.problems.append(
                Problem(
                    self.path_of.get(obj["uuid"], obj["uuid"]),
                    f"{obj['mxlimsType']} {_label(obj) or obj['uuid']} and another object of the "
                    f"message both name the stored {self._show(stored)}",
                )
            )
            return
        self.taken[stored] = obj["uuid"]
        self.matches[obj["uuid"]] = Match(stored, by)

    def _show(self, uuid: str) -> str:
        return where(self.stored, self.shipment_of, uuid)

    def by_label(self, labelled: list[dict[str, Any]], found: dict[str, dict[str, Any]]) -> None:
        """Barcodes (and containers' names), containers first so pins narrow to their puck."""
        by_label: dict[tuple[str, str], list[str]] = defaultdict(list)
        for uuid, doc in found.items():
            if uuid not in self.shipment_of:
                continue
            for field in ("barcode", "name"):
                if doc.get(field):
                    by_label[(doc["mxlimsType"], str(doc[field]))].append(uuid)
        order = {t: i for i, t in enumerate(LABELLED)}
        for obj in sorted(labelled, key=lambda o: order[o["mxlimsType"]]):
            label = _label(obj) or ""
            candidates = list(dict.fromkeys(by_label.get((obj["mxlimsType"], label), [])))
            parent = self.matches.get(obj.get("containerId") or "")
            if parent is not None and len(candidates) > 1:
                inside = [c for c in candidates if found[c].get("containerId") == parent.uuid]
                candidates = inside or candidates
            if len(candidates) > 1:
                chosen = {self.shipment_of[m.uuid] for m in self.matches.values()} & {
                    self.shipment_of[c] for c in candidates
                }
                if len(chosen) == 1:
                    candidates = [c for c in candidates if self.shipment_of[c] in chosen]
            if len(candidates) > 1:
                newest = sorted(candidates, key=self._age, reverse=True)
                named = "; ".join(self._show(c) for c in newest)
                self.problems.append(
                    Problem(
                        self.path_of.get(obj["uuid"], obj["uuid"]),
                        f"{obj['mxlimsType']} {label!r} names {len(newest)} stored objects in "
                        f"open shipments: {named}; give the stored uuid instead",
                    )
                )
            elif candidates:
                self._take(obj, candidates[0], "barcode" if obj.get("barcode") else "name")

    def drop_contradicted(self) -> None:
        """A name is weaker than a barcode: a container matched by name whose pins carry
        barcodes, none of them stored, is another container of the same name (a new shipment
        of the same dewar), not the stored one."""
        inside: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for obj in self.in_message.values():
            if isinstance(obj.get("containerId"), str):
                inside[obj["containerId"]].append(obj)

        def barcoded_pins(uuid: str, depth: int = 0) -> list[str]:
            found: list[str] = []
            for child in inside.get(uuid, []) if depth < MAX_DEPTH else []:
                if child["mxlimsType"] in ("Pin", "MultiPin") and child.get("barcode"):
                    found.append(child["uuid"])
                found += barcoded_pins(child["uuid"], depth + 1)
            return found

        for uuid, match in list(self.matches.items()):
            pins = barcoded_pins(uuid) if match.by == "name" else []
            if pins and not any(p in self.matches for p in pins):
                del self.matches[uuid]
                self.taken.pop(match.uuid, None)

    def _age(self, uuid: str) -> str:
        shipment = self.stored.get(self.shipment_of.get(uuid, ""), {})
        return str(shipment.get(META, {}).get("createdAt", ""))

    async def by_position(self, positioned: list[dict[str, Any]]) -> None:
        """A pin without barcode: the stored pin at its place in its matched container."""
        places = {
            (self.matches[o["containerId"]].uuid, o.get("positionInPuck")): o
            for o in positioned
            if o.get("containerId") in self.matches and o.get("positionInPuck") is not None
        }
        if not places:
            return
        containers = sorted({c for c, _ in places})
        query = readable(self.caller, {"containerId": {"$in": containers}})
        for doc in await self.db.find(LOGISTICS, query):
            obj = places.get((str(doc.get("containerId")), doc.get("positionInPuck")))
            if obj is not None and doc["mxlimsType"] == "Pin" and obj["uuid"] not in self.matches:
                self.stored[doc["_id"]] = doc
                self._take(obj, doc["_id"], "position")

    def _follow(
        self, obj: dict[str, Any], stored: dict[str, Any], field: str, by: MatchedBy
    ) -> None:
        """The message object ``obj.field`` names is the stored one ``stored.field`` names."""
        values = obj.get(field)
        theirs = stored.get(field)
        pairs = (
            zip(values, theirs, strict=False)
            if field in LIST_FIELDS and isinstance(values, list) and isinstance(theirs, list)
            else [(values, theirs)]
        )
        for mine, target in pairs:
            if not isinstance(mine, str) or not isinstance(target, str):
                continue
            linked = self.in_message.get(mine)
            if linked is None or mine in self.known or mine in self.matches:
                continue
            target_doc = self.stored.get(target)
            if target_doc is not None and target_doc["mxlimsType"] != linked["mxlimsType"]:
                continue
            self._take(linked, target, by)

    def upward(self) -> None:
        """A matched object's container in the message is its stored container."""
        for _ in range(MAX_DEPTH):
            before = len(self.matches)
            for uuid, match in list(self.matches.items()):
                stored = self.stored.get(match.uuid)
                if stored is not None:
                    self._follow(self.in_message[uuid], stored, "containerId", "container")
            if len(self.matches) == before:
                return

    async def hanging(self) -> None:
        """Samples, and the experiments and processings planned for matched pins, with their
        template data, are the stored ones."""
        holders = {u: m.uuid for u, m in self.matches.items() if u in self.in_message}
        stored_samples = sorted(
            {s for m in holders.values() if (s := self.stored.get(m, {}).get("sampleId"))}
        )
        samples = await self._fetch("samples", {"_id": {"$in": stored_samples}})
        for uuid, stored_uuid in holders.items():
            stored = self.stored.get(stored_uuid)
            if stored is not None:
                self._follow(self.in_message[uuid], stored, "sampleId", "sample")
        message_of = {m.uuid: u for u, m in self.matches.items()}
        for doc in samples:
            if doc["_id"] in message_of:
                sample = self.in_message[message_of[doc["_id"]]]
                self._follow(sample, doc, "parentSampleId", "sample")
        jobs = await self._fetch("jobs", {"logisticalSampleId": {"$in": sorted(holders.values())}})
        planned: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for doc in jobs:
            planned[(doc["logisticalSampleId"], doc["mxlimsType"])].append(doc)
        asked: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for obj in self.in_message.values():
            holder = holders.get(obj.get("logisticalSampleId") or "")
            is_job = BASE_TYPE.get(obj["mxlimsType"]) == "Job"
            if is_job and holder and obj["uuid"] not in self.known:
                asked[(holder, obj["mxlimsType"])].append(obj)
        templates: list[str] = []
        for key, objs in asked.items():
            stored_jobs = planned.get(key, [])
            if len(objs) == 1 and len(stored_jobs) == 1:
                self._take(objs[0], stored_jobs[0]["_id"], "experiment")
                templates += stored_jobs[0].get("templateDataIds") or []
        for doc in await self._fetch("datasets", {"_id": {"$in": sorted(set(templates))}}):
            self.stored[doc["_id"]] = doc
        for key, objs in asked.items():
            match = self.matches.get(objs[0]["uuid"])
            if match is not None and match.by == "experiment":
                stored_job = next(d for d in planned[key] if d["_id"] == match.uuid)
                self._follow(objs[0], stored_job, "templateDataIds", "template")

    async def _fetch(self, collection: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        wanted = next(iter(query.values()))
        if isinstance(wanted, dict) and not wanted.get("$in"):
            return []
        found = await self.db.find(collection, readable(self.caller, query))
        self.stored.update((d["_id"], d) for d in found)
        return found
