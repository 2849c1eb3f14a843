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
        self.proposal_of = {obj["uuid"]: proposal for obj, proposal in written}
        self.stored = stored  # None: which are stored is not known (see check)
        self.path_of = path_of
        self.message_form = message_form
        self.known: dict[str, dict[str, Any]] = dict(self.written)  # uuid -> object (store form)
        for document in (stored or {}).values():  # read already in this transaction: not again
            if document.get("_id") in self.written:
                continue  # as it will be written: that form is the one the rules read
            obj = _object(document)
            if visible is None or visible(obj["_proposal"]):
                self.known.setdefault(obj["uuid"], obj)
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self._shipments: dict[str, str | None] = {}  # uuid -> its shipment (see _shipment)
        self._chain_ends: dict[str, set[str]] = {field: set() for field in CHAINS}  # _cycles

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
            obj = _object(document)
            if self.visible is not None and not self.visible(obj["_proposal"]):
                continue  # another proposal's: as if it were not stored
            self.known.setdefault(obj["uuid"], obj)
            found.append(self.known[obj["uuid"]])
        return found

    async def _fetch_ancestors(self) -> None:
        """Everything up the containment and sample-parent chains of the written objects, one
        query per level and collection, to the top of any chain a message can build."""
        await self._fetch_up(list(self.written.values()), tuple(CHAINS))

    async def _fetch_up(self, start: list[dict[str, Any]], fields: tuple[str, ...]) -> None:
        """Everything up the chains of ``fields`` from ``start``. An object known already (read
        in this transaction: a stored puck new pins go into) is climbed past, not stopped at:
        its dewar and shipment are read too, or its pins' barcodes would meet no shipment."""
        walked: set[str] = set()
        frontier = start
        for _ in range(CHAIN_LIMIT):
            wanted: dict[str, set[str]] = defaultdict(set)
            climbing = list(frontier)
            while climbing:
                obj = climbing.pop()
                for field in fields:
                    target = obj.get(field)
                    if not isinstance(target, str) or target in walked:
                        continue
                    walked.add(target)
                    if target in self.known:
                        climbing.append(self.known[target])
                    else:
                        wanted[CHAINS[field]].add(target)
            if not wanted:
                return
            frontier = []
            for collection, ids in wanted.items():
                frontier += await self._fetch(collection, {"_id": {"$in": sorted(ids)}})

    # -- the rules -------------------------------------------------------------------------------

    def _chains(self) -> None:
        for uuid, obj in self.written.items():
            for field in CHAINS:
                target = obj.get(field)
                if target is None:
                    continue
                if target == uuid:
                    where = self._path(uuid, field)
                    self.problems.append(Problem(where, "points at the object itself"))
                elif isinstance(target, str) and self._cycles(uuid, field):
                    where = self._path(uuid, field)  # only for a problem: most links have none
                    self.problems.append(Problem(where, "makes a cycle: the chain comes back here"))

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
        placed = [
            o for o in self.written.values() if o["mxlimsType"] in SLOTS and o.get("containerId")
        ]
        containers = sorted({o["containerId"] for o in placed})
        if not containers:
            return
        missing = [c for c in containers if c not in self.known]
        if missing:
            await self._fetch("logistical_samples", {"_id": {"$in": missing}})
        holding = self._may_hold_stored(containers)
        if holding:
            await self._fetch("logistical_samples", {"containerId": {"$in": holding}})
        occupants: dict[tuple[str, str, tuple[Any, ...]], list[str]] = defaultdict(list)
        in_them = set(containers)  # asked of every object known: a set, not the sorted list
        for obj in self.known.values():
            slot = SLOTS.get(obj["mxlimsType"])
            if slot is None or obj.get("containerId") not in in_them:
                continue
            fields, _, space = slot
            key = tuple(map(obj.get, fields))
            if None not in key:
                occupants[(obj["containerId"], space, key)].append(obj["uuid"])
        for obj in placed:
            fields, capped_by, space = SLOTS[obj["mxlimsType"]]
            key = tuple(map(obj.get, fields))
            if None in key:
                continue
            taken = len(occupants[(obj["containerId"], space, key)]) > 1
            container = self.known.get(obj["containerId"]) or {}
            capacity = container.get("numberPositions")
            capped = capped_by is not None and container.get("mxlimsType") == capped_by
            beyond = capped and isinstance(capacity, int) and int(key[0] or 0) > capacity
            if not taken and not beyond:  # most objects: no path or text made for them
                continue
            where = self._path(obj["uuid"], fields[0])
            shown = "/".join(str(k) for k in key)
            if taken:
                twice = f"position {shown} of its container is taken twice"
                self.problems.append(Problem(where, twice))
            if beyond:
                message = f"position {shown} is beyond the {capacity} positions of its {capped_by}"
                self.problems.append(Problem(where, message))

    async def _capacities(self) -> None:
        """A puck or multipin written with fewer positions than are occupied is refused."""
        capped = [
            o
            for o in self.written.values()
            if o["mxlimsType"] in ("Puck", "MultiPin") and isinstance(o.get("numberPositions"), int)
        ]
        if not capped:
            return
        ids = [o["uuid"] for o in capped]
        holding = self._may_hold_stored(ids)
        if holding:
            await self._fetch("logistical_samples", {"containerId": {"$in": holding}})
        # positions used per container, in one pass over what is known (not one per container)
        used_in: dict[str, set[int]] = defaultdict(set)
        wanted = set(ids)
        for o in self.known.values():
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
        written = self._may_hold_stored(list(self.written))
        kind = CHAINS["containerId"]  # only a container holds anything: a logistical sample
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
        candidates = [*self.written.values(), *(self.known[u] for u in inside)]
        labelled = [
            o
            for o in candidates
            if o.get("barcode") and collection_of(o["mxlimsType"]) == "logistical_samples"
        ]
        if not labelled:
            return
        codes = sorted({str(o["barcode"]) for o in labelled})
        others = await self._fetch("logistical_samples", {"barcode": {"$in": codes}})
        await self._fetch_up(others, ("containerId",))
        by_shipment: dict[tuple[str | None, str], list[str]] = defaultdict(list)
        for obj in {o["uuid"]: o for o in [*labelled, *others]}.values():
            if obj.get("barcode") is not None:
                by_shipment[(self._shipment(obj["uuid"]), str(obj["barcode"]))].append(obj["uuid"])
        for obj in labelled:
            shipment = self._shipment(obj["uuid"])
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
        await self._warn_open_shipments(labelled, by_shipment)

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
        self, labelled: list[dict[str, Any]], by_shipment: dict[tuple[str | None, str], list[str]]
    ) -> None:
        mine = {s for o in labelled if (s := self._shipment(o["uuid"])) is not None}
        elsewhere = {s for (s, _) in by_shipment if s is not None and s not in mine}
        if not mine or not elsewhere:
            return
        proposals = {
            s: self.proposal_of[s] if s in self.proposal_of else self.known[s].get("_proposal")
            for s in mine | elsewhere
        }
        events = await self.db.find(
            EVENTS, {"subject": {"$in": sorted(elsewhere)}}, sort=[("time", 1), ("_id", 1)]
        )
        state = {e["subject"]: e["state"] for e in events}
        for obj in labelled:
            own = self._shipment(obj["uuid"])
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
