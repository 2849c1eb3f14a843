"""One set of integrity rules for every write path (message import, sheet import, PATCH).

Checked on the objects as they will be after the write, together with what is stored:

- a position is unique within its container (a pin's or multipin's ``positionInPuck`` in its
  puck, ``positionInPin``, ``positionInDewar``, a well's row and column, ``dropNumber``) and
  within the container's capacity (``numberPositions``);
- containment (``containerId``), sample parents (``parentSampleId``), data derived from data
  (``derivedFromId``) and jobs started from jobs (``startedFromId``) form no cycle and never point
  at the object itself (so a job is never started from itself);
- a barcode is used once within a shipment. The same barcode in another open shipment of the same
  proposal is allowed but reported as a warning (a dewar going out again).

Every violation is reported, with the JSON path of the written object, all at once. Stored
objects of proposals the caller may not read are as absent to the rules (``visible``): a member
learns nothing from a problem about another proposal's positions, capacities or barcodes (it
cannot place anything in another proposal's container: such a link is refused as a missing
object), and may use a barcode another proposal also uses, neither blocked nor told.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from mxlims_store.errors import Problem
from mxlims_store.model.registry import BASE_TYPE
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import COLLECTION_OF_CORE
from mxlims_store.store.content_rules import CAPPED, CHAIN_LIMIT, LOGISTICAL, ContentRules

# where the rest of the store reads them from (history, consistency, the SQLite tables)
from mxlims_store.store.content_rules import SLOTS as SLOTS
from mxlims_store.store.content_rules import slot_of as slot_of

# links that must never come back to where they started, and where their targets are stored
CHAINS = {
    "containerId": "logistical_samples",
    "parentSampleId": "samples",
    "derivedFromId": "datasets",
    "startedFromId": "jobs",
}
_CHAIN_FIELDS = frozenset(CHAINS)


class Checker(ContentRules):
    """The rules for one write: ``written`` are the objects (store form) as they will be."""

    def __init__(
        self,
        db: Backend,
        written: list[tuple[dict[str, Any], str | None]],
        path_of: dict[str, str],
        message_form: bool,
        visible: Callable[[str | None], bool] | None = None,
        stored: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.db = db
        self.visible = visible
        self.written = {obj["uuid"]: obj for obj, _ in written}  # as they are: not copied
        self._pairs = written  # each with its proposal (see _warn_open_shipments)
        self.stored = stored  # None: which are stored is not known (see check)
        self.path_of = path_of
        self.message_form = message_form
        self.known: dict[str, dict[str, Any]] = dict(self.written)  # uuid -> object (store form)
        # the known objects that are not written (stored, read for the rules): with the written
        # ones the rules name below, all a rule needs to look through, never every written one
        self.others: dict[str, dict[str, Any]] = {}
        self._sees: dict[str | None, bool] = {}  # proposal -> visible (asked once each)
        self._learn_stored(stored or {})
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self._shipments: dict[str, str | None] = {}  # uuid -> its shipment (see _shipment)
        self._chain_ends: dict[str, set[str]] = {field: set() for field in CHAINS}  # _cycles
        self._targets: dict[str, set[str]] = {}  # see _link_targets
        self._sort_written()

    def _sort_written(self) -> None:
        """The written objects each rule reads, in one pass over them all (in written order):
        those with a chain link, those placed in a container, the capped containers and the
        labelled logistical samples. Most rules then look at a few hundred, not every one."""
        self.linked: list[dict[str, Any]] = []  # with a field of CHAINS (maybe None)
        self.placed: list[dict[str, Any]] = []  # a type of SLOTS, with a container
        self.capped: list[dict[str, Any]] = []  # a Puck or MultiPin with numberPositions
        self.labelled: list[dict[str, Any]] = []  # a logistical sample with a barcode
        kinds: dict[str, tuple[bool, bool, bool]] = {}  # type -> what it may be (once each)
        for obj in self.written.values():
            type_name = obj["mxlimsType"]
            kind = kinds.get(type_name)
            if kind is None:
                core = BASE_TYPE.get(type_name)
                logistical = core is not None and COLLECTION_OF_CORE.get(core) == LOGISTICAL
                kind = kinds[type_name] = (type_name in SLOTS, type_name in CAPPED, logistical)
            slotted, cappable, logistical = kind
            if not _CHAIN_FIELDS.isdisjoint(obj):
                self.linked.append(obj)
            if slotted and obj.get("containerId"):
                self.placed.append(obj)
            if cappable and isinstance(obj.get("numberPositions"), int):
                self.capped.append(obj)
            if logistical and obj.get("barcode"):
                self.labelled.append(obj)

    def _learn_stored(self, stored: dict[str, dict[str, Any]]) -> None:
        """The documents read already in this transaction (not read again): as :meth:`_learn`
        for each, in one loop (a return's thousands of stored pins)."""
        written, known, others, sees = self.written, self.known, self.others, self._sees
        for document in stored.values():
            uuid: str = document["_id"]  # (every stored document has its id)
            if uuid in written or uuid in known:
                continue  # as it will be written: that form is the one the rules read
            obj = _object(document)
            if self.visible is not None:
                proposal = obj["_proposal"]
                if proposal not in sees:
                    sees[proposal] = self.visible(proposal)
                if not sees[proposal]:
                    continue
            known[uuid] = others[uuid] = obj

    def _learn(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """``obj`` (read from the store) as the rules know it: the written form where it is
        written, None where it is another proposal's (as if it were not stored)."""
        if self.visible is not None:
            proposal = obj["_proposal"]
            if proposal not in self._sees:
                self._sees[proposal] = self.visible(proposal)
            if not self._sees[proposal]:
                return None
        known = self.known.get(obj["uuid"])
        if known is not None:
            return known
        self.known[obj["uuid"]] = self.others[obj["uuid"]] = obj
        return obj

    def _may_hold_stored(self, uuids: list[str]) -> list[str]:
        """Of ``uuids``, the stored ones: nothing stored links to what is not (``check`` reports
        it), so an import of a new shipment asks nothing about its objects' contents."""
        return uuids if self.stored is None else [u for u in uuids if u in self.stored]

    def _path(self, uuid: str, field: str) -> str:
        """Where the problem is: a message's JSON path (links named ``...Ref``), or for a
        PATCH the field as sent (store form, ``containerId``)."""
        if self.message_form and field.endswith("Id"):
            field = field[:-2] + "Ref"
        base = self.path_of.get(uuid, "")
        return f"{base}/{field}" if base else field

    async def run(self) -> tuple[list[Problem], list[str]]:
        await self._fetch_ancestors()
        self._chains()
        await self._positions()
        await self._capacities()
        await self._barcodes()
        return self.problems, self.warnings

    # -- reading what the rules need -----------------------------------------------------------

    async def _fetch(self, collection: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        found = []
        for document in await self.db.find(collection, query):
            obj = self._learn(_object(document))
            if obj is not None:  # None: another proposal's, as if it were not stored
                found.append(obj)
        return found

    async def _fetch_ancestors(self) -> None:
        """Everything up the containment and sample-parent chains of the written objects, one
        query per level and collection, to the top of any chain a message can build."""
        await self._fetch_up(self.linked, tuple(CHAINS))

    async def _fetch_up(self, start: list[dict[str, Any]], fields: tuple[str, ...]) -> None:
        """Everything up the chains of ``fields`` from ``start``. An object known already (read
        in this transaction: a stored puck new pins go into) is climbed past, not stopped at:
        its dewar and shipment are read too, or its pins' barcodes would meet no shipment.
        A written object is not climbed to: every written one with a link was climbed from
        first (``_fetch_ancestors``), so a thousand pins do not walk their puck again."""
        walked: set[str] = set()
        frontier = start
        for _ in range(CHAIN_LIMIT):
            wanted: dict[str, set[str]] = defaultdict(set)
            climbing = frontier
            while climbing:  # a level's known objects, climbed a link at a time
                above: list[dict[str, Any]] = []
                for field in fields:
                    # the distinct targets first: a thousand pins name a few dozen pucks
                    if climbing is self.linked:
                        targets = self._link_targets(field)
                    else:
                        targets = {t for o in climbing if isinstance(t := o.get(field), str)}
                    for target in targets - walked:
                        walked.add(target)
                        if target in self.written:
                            continue
                        if target in self.known:
                            above.append(self.known[target])
                        else:
                            wanted[CHAINS[field]].add(target)
                climbing = above
            if not wanted:
                return
            frontier = []
            for collection, ids in wanted.items():
                frontier += await self._fetch(collection, {"_id": {"$in": sorted(ids)}})

    # -- the rules -------------------------------------------------------------------------------

    def _chains(self) -> None:
        if not self._may_come_round():
            return  # most writes: no link comes back, none points at its own object
        for obj in self.linked:
            uuid = obj["uuid"]
            for field in CHAINS:
                target = obj.get(field)
                if target is None:
                    continue
                if target == uuid:
                    where = self._path(uuid, field)
                    self.problems.append(Problem(where, "points at the object itself"))
                elif not isinstance(target, str):
                    continue
                elif target in self._chain_ends[field] or target not in self.known:
                    self._chain_ends[field].add(uuid)  # as _cycles would find: most links
                elif self._cycles(uuid, field):
                    where = self._path(uuid, field)  # only for a problem: most links have none
                    self.problems.append(Problem(where, "makes a cycle: the chain comes back here"))

    def _may_come_round(self) -> bool:
        """Whether a written link may point at its own object or make a cycle. An object on a
        cycle has its target on it too, so walking up from each distinct target (a thousand
        pins name a few dozen pucks) tells, instead of from every object."""
        for field in CHAINS:
            ends = self._chain_ends[field]
            known = self.known
            for target in self._link_targets(field):
                if target not in known or target in ends:
                    continue
                above = known[target].get(field)  # _cycles' first step, without its call
                if not isinstance(above, str) or above in ends or above not in known:
                    ends.add(target)
                elif self._cycles(target, field):
                    return True
        return False

    def _link_targets(self, field: str) -> set[str]:
        """The distinct uuids the written objects' ``field`` names (made once per field)."""
        if field not in self._targets:
            linked = self.linked
            self._targets[field] = {t for o in linked if isinstance(t := o.get(field), str)}
        return self._targets[field]

    def _cycles(self, start: str, field: str) -> bool:
        # Every object a walk passes on its way to the chain's end leads there too: remembered,
        # a thousand pins in one puck walk up from the puck once, not a thousand times.
        ends = self._chain_ends[field]
        seen = {start}
        walked = [start]
        current = self.known[start].get(field)
        for _ in range(len(self.known) + 1):
            if not isinstance(current, str) or current not in self.known or current in ends:
                ends.update(walked)
                return False
            if current in seen:
                return current == start
            seen.add(current)
            walked.append(current)
            current = self.known[current].get(field)
        return True  # longer than everything known: it must come round


def _object(document: dict[str, Any]) -> dict[str, Any]:
    """The few fields the rules read, from a stored document (no conversion of the rest)."""
    obj = dict(document)  # copied whole, then the two keys taken out: quicker than a filter
    uuid = obj.pop("_id")
    meta = obj.pop("_meta", None)
    obj["uuid"] = uuid
    obj["_proposal"] = (meta or {}).get("proposal")
    return obj


async def check(
    db: Backend,
    written: list[tuple[dict[str, Any], str | None]],
    path_of: dict[str, str],
    *,
    message_form: bool = True,
    visible: Callable[[str | None], bool] | None = None,
    stored: dict[str, dict[str, Any]] | None = None,
) -> tuple[list[Problem], list[str]]:
    """Problems (refusing the write) and warnings of writing ``written``: each object as it
    will be stored (store form), with its owning proposal; stored objects of a proposal not
    ``visible`` to the caller (``caller.may_read``) are left out of the rules. ``stored``:
    documents the caller read in the same transaction (uuid -> document), as they are stored:
    the rules read them from there (an import's containers, its pins' pucks). Given, it holds
    every stored object among the written ones (any proposal's): one not in it is new."""
    return await Checker(db, written, path_of, message_form, visible, stored).run()
