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
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import EVENTS, collection_of

# type -> (position fields, the container type whose numberPositions caps it, slot space)
SLOTS: dict[str, tuple[tuple[str, ...], str | None, str]] = {
    "Pin": (("positionInPuck",), "Puck", "puck"),
    "MultiPin": (("positionInPuck",), "Puck", "puck"),
    "PinPosition": (("positionInPin",), "MultiPin", "multipin"),
    "Puck": (("positionInDewar",), None, "dewar"),
    "PlateWell": (("rowNumber", "columnNumber"), None, "plate"),
    "WellDrop": (("dropNumber",), None, "well"),
}


def slot_of(obj: dict[str, Any]) -> str | None:
    """The position an object holds in its container as one value, ``<space>:<position>:<sub>``
    (``puck:5:-1``, a well ``plate:3:4``): an absent sub-position is ``-1``, never NULL, so the
    database's unique index on (containerId, slot) holds for every placed object. None when the
    object holds no position (no container, or no position given)."""
    slot = SLOTS.get(obj.get("mxlimsType", ""))
    if slot is None or not obj.get("containerId"):
        return None
    fields, _, space = slot
    key = [obj.get(f) for f in fields]
    if key[0] is None or None in key:
        return None
    sub = key[1] if len(key) > 1 else -1
    return f"{space}:{key[0]}:{sub}"


# links that must never come back to where they started, and where their targets are stored
CHAINS = {
    "containerId": "logistical_samples",
    "parentSampleId": "samples",
    "derivedFromId": "datasets",
    "startedFromId": "jobs",
}
_CHAIN_FIELDS = frozenset(CHAINS)
LOGISTICAL = CHAINS["containerId"]  # only a container holds anything: a logistical sample
CAPPED = ("Puck", "MultiPin")  # the containers written with their number of positions
CLOSED_STATES = ("returned", "closed")
CHAIN_LIMIT = 10_000  # levels followed along a chain: beyond any message's, bounded all the same


class Checker:
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
        for document in (stored or {}).values():  # read already in this transaction: not again
            if document.get("_id") in self.written:
                continue  # as it will be written: that form is the one the rules read
            self._learn(_object(document))
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
        logistical: dict[str, bool] = {}  # type -> a logistical sample's (asked once each)
        for obj in self.written.values():
            type_name = obj["mxlimsType"]
            if not _CHAIN_FIELDS.isdisjoint(obj):
                self.linked.append(obj)
            if type_name in SLOTS and obj.get("containerId"):
                self.placed.append(obj)
            if type_name in CAPPED and isinstance(obj.get("numberPositions"), int):
                self.capped.append(obj)
            if obj.get("barcode"):
                if type_name not in logistical:
                    logistical[type_name] = collection_of(type_name) == LOGISTICAL
                if logistical[type_name]:
                    self.labelled.append(obj)

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
            for target in self._link_targets(field):
                if target in self.known and target not in ends and self._cycles(target, field):
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

    async def _positions(self) -> None:
        placed = self.placed
        containers = sorted({o["containerId"] for o in placed})
        if not containers:
            return
        missing = [c for c in containers if c not in self.known]
        if missing:
            await self._fetch("logistical_samples", {"_id": {"$in": missing}})
        holding = self._may_hold_stored(containers)
        if holding:
            await self._fetch("logistical_samples", {"containerId": {"$in": holding}})
        # One pass over the placed objects: each one's slot, how many hold it, and whether it
        # is beyond its container's capacity (each container looked up once, not per pin).
        in_them = set(containers)  # asked of every object below: a set, not the sorted list
        occupants: dict[tuple[str, str, tuple[Any, ...]], int] = defaultdict(int)
        seen: list[tuple[dict[str, Any], tuple[Any, ...], tuple[Any, ...], Any]] = []
        limits: dict[str, tuple[Any, Any]] = {}  # container -> (its type, numberPositions)
        any_beyond = False
        for obj in placed:
            fields, capped_by, space = SLOTS[obj["mxlimsType"]]
            key = tuple(map(obj.get, fields))
            if None in key:
                continue
            container_id = obj["containerId"]
            where_held = (container_id, space, key)
            occupants[where_held] += 1
            limit = limits.get(container_id)
            if limit is None:
                container = self.known.get(container_id) or {}
                limit = limits[container_id] = (
                    container.get("mxlimsType"),
                    container.get("numberPositions"),
                )
            capped_type, capacity = limit
            capped = capped_by is not None and capped_type == capped_by
            beyond = capped and isinstance(capacity, int) and int(key[0] or 0) > capacity
            any_beyond = any_beyond or beyond
            seen.append((obj, where_held, key, capacity if beyond else None))
        for obj in self.others.values():  # stored objects already in these containers
            slot = SLOTS.get(obj["mxlimsType"])
            if slot is None or obj.get("containerId") not in in_them:
                continue
            fields, _, space = slot
            key = tuple(map(obj.get, fields))
            if None not in key:
                occupants[(obj["containerId"], space, key)] += 1
        if not any_beyond and max(occupants.values(), default=0) < 2:
            return  # most writes: no path or text made for any object
        for obj, where_held, key, capacity in seen:
            taken = occupants[where_held] > 1
            if not taken and capacity is None:
                continue
            fields, capped_by, _ = SLOTS[obj["mxlimsType"]]
            where = self._path(obj["uuid"], fields[0])
            shown = "/".join(str(k) for k in key)
            if taken:
                twice = f"position {shown} of its container is taken twice"
                self.problems.append(Problem(where, twice))
            if capacity is not None:
                message = f"position {shown} is beyond the {capacity} positions of its {capped_by}"
                self.problems.append(Problem(where, message))

    async def _capacities(self) -> None:
        """A puck or multipin written with fewer positions than are occupied is refused."""
        capped = self.capped
        if not capped:
            return
        ids = [o["uuid"] for o in capped]
        holding = self._may_hold_stored(ids)
        if holding:
            await self._fetch("logistical_samples", {"containerId": {"$in": holding}})
        # positions used per container, in one pass over what is known (not one per container)
        used_in: dict[str, set[int]] = defaultdict(set)
        wanted = set(ids)
        for o in (*self.placed, *self.others.values()):  # all known that may sit in them
            if o.get("containerId") in wanted and o["mxlimsType"] in SLOTS:
                used_in[o["containerId"]].add(int(o.get(SLOTS[o["mxlimsType"]][0][0]) or 0))
        for container in capped:
            capacity = container["numberPositions"]
            used = used_in[container["uuid"]]
            beyond = sorted(p for p in used if p > capacity)
            if beyond:
                where = self._path(container["uuid"], "numberPositions")
                shown = ", ".join(map(str, beyond))
                message = f"position(s) {shown} are in use, beyond {capacity}"
                self.problems.append(Problem(where, message))

    async def _descendants(self) -> dict[str, str]:
        """Stored objects inside the written ones (any depth), each with the written object it
        sits in: moving a container moves its contents' barcodes too."""
        origin: dict[str, str] = {}
        # the written ones that are stored (asked of the fewer: most of an import is new)
        written = self.written if self.stored is None else self.written.keys() & self.stored
        kind = LOGISTICAL  # only a container holds anything: a logistical sample
        frontier = {u for u in written if collection_of(self.written[u]["mxlimsType"]) == kind}
        for _ in range(CHAIN_LIMIT):
            if not frontier:
                break
            query = {"containerId": {"$in": sorted(frontier)}}
            found = await self._fetch("logistical_samples", query)
            frontier = set()
            for obj in found:
                uuid = obj["uuid"]
                if uuid not in self.written and uuid not in origin:
                    parent = obj["containerId"]
                    origin[uuid] = origin.get(parent, parent)
                    frontier.add(uuid)
        return origin

    async def _barcodes(self) -> None:
        inside = await self._descendants()
        labelled = [
            *self.labelled,
            *(o for o in map(self.known.__getitem__, inside) if o.get("barcode")),
        ]  # what is inside a written container is a logistical sample too
        if not labelled:
            return
        codes = sorted({str(o["barcode"]) for o in labelled})
        others = await self._fetch("logistical_samples", {"barcode": {"$in": codes}})
        await self._fetch_up(others, ("containerId",))
        by_shipment: dict[tuple[str | None, str], list[str]] = defaultdict(list)
        every = {o["uuid"]: o for o in [*labelled, *others]}
        shipment_of = {uuid: self._shipment(uuid) for uuid in every}  # asked once each
        for uuid, obj in every.items():
            if obj.get("barcode") is not None:
                by_shipment[(shipment_of[uuid], str(obj["barcode"]))].append(uuid)
        for obj in labelled:
            shipment = shipment_of[obj["uuid"]]
            if shipment is None or len(by_shipment[(shipment, str(obj["barcode"]))]) < 2:
                continue
            carrier = inside.get(obj["uuid"])
            if carrier is None:
                where = self._path(obj["uuid"], "barcode")
                message = f"barcode {obj['barcode']!r} is used twice in the shipment"
            else:  # a stored object that moves along with the written container
                where = self._path(carrier, "containerId")
                message = f"brings barcode {obj['barcode']!r} into a shipment that has it already"
            if Problem(where, message) not in self.problems:
                self.problems.append(Problem(where, message))
        await self._warn_open_shipments(labelled, by_shipment, shipment_of)

    def _shipment(self, uuid: str) -> str | None:
        """The shipment ``uuid`` travels in (asked once everything the rules need is known:
        remembered, each chain walked once however many pins share it)."""
        if uuid in self._shipments:
            return self._shipments[uuid]
        seen: list[str] = []
        current: str | None = uuid
        found: str | None = None
        while isinstance(current, str) and current in self.known and current not in seen:
            if current in self._shipments:
                found = self._shipments[current]
                break
            seen.append(current)
            if self.known[current]["mxlimsType"] == "Shipment":
                found = current
                break
            current = self.known[current].get("containerId")
        for walked in seen:
            self._shipments[walked] = found
        return found

    async def _warn_open_shipments(
        self,
        labelled: list[dict[str, Any]],
        by_shipment: dict[tuple[str | None, str], list[str]],
        shipment_of: dict[str, str | None],
    ) -> None:
        mine = {s for o in labelled if (s := shipment_of[o["uuid"]]) is not None}
        elsewhere = {s for (s, _) in by_shipment if s is not None and s not in mine}
        if not mine or not elsewhere:
            return
        ours = mine | elsewhere
        proposal_of = {o["uuid"]: p for o, p in self._pairs if o["uuid"] in ours}  # rarely asked
        proposals = {
            s: proposal_of[s] if s in proposal_of else self.known[s].get("_proposal") for s in ours
        }
        events = await self.db.find(
            EVENTS, {"subject": {"$in": sorted(elsewhere)}}, sort=[("time", 1), ("_id", 1)]
        )
        state = {e["subject"]: e["state"] for e in events}
        for obj in labelled:
            own = shipment_of[obj["uuid"]]
            if own is None:
                continue
            for shipment in elsewhere:
                same_owner = proposals.get(shipment) == proposals.get(own)
                is_open = state.get(shipment) not in CLOSED_STATES
                if same_owner and is_open and by_shipment.get((shipment, str(obj["barcode"]))):
                    where = self._path(obj["uuid"], "barcode")
                    self.warnings.append(
                        f"{where}: barcode {obj['barcode']!r} is also in open shipment "
                        f"{shipment} of the same proposal"
                    )


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
