"""The rules about what sits where, for :class:`~mxlims_store.store.integrity.Checker`: a
position used once in its container and within its capacity, a container written with no
fewer positions than are used, a barcode once per shipment (and the warning of another open
shipment of the proposal holding it). Each rule reads the written objects the checker sorted
for it (``placed``, ``capped``, ``labelled``) and the stored ones it knows (``others``), never
every written object again.
"""

from __future__ import annotations

from collections import defaultdict
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
    position = obj.get(fields[0])
    if position is None:
        return None
    if len(fields) == 1:  # most: one position, no sub-position (no list made per object)
        return f"{space}:{position}:-1"
    sub = obj.get(fields[1])
    return None if sub is None else f"{space}:{position}:{sub}"


LOGISTICAL = "logistical_samples"  # only a container holds anything: a logistical sample
CAPPED = ("Puck", "MultiPin")  # the containers written with their number of positions
CLOSED_STATES = ("returned", "closed")
CHAIN_LIMIT = 10_000  # levels followed along a chain: beyond any message's, bounded all the same


class ContentRules:
    """The rules above, mixed into the Checker (which reads and holds what they name here)."""

    db: Backend
    written: dict[str, dict[str, Any]]
    known: dict[str, dict[str, Any]]
    others: dict[str, dict[str, Any]]
    stored: dict[str, dict[str, Any]] | None
    placed: list[dict[str, Any]]
    capped: list[dict[str, Any]]
    labelled: list[dict[str, Any]]
    problems: list[Problem]
    warnings: list[str]
    _shipments: dict[str, str | None]
    _pairs: list[tuple[dict[str, Any], str | None]]

    async def _fetch(self, collection: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError  # the Checker's

    async def _fetch_up(self, start: list[dict[str, Any]], fields: tuple[str, ...]) -> None:
        raise NotImplementedError  # the Checker's

    def _path(self, uuid: str, field: str) -> str:
        raise NotImplementedError  # the Checker's

    def _may_hold_stored(self, uuids: list[str]) -> list[str]:
        raise NotImplementedError  # the Checker's

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
        carried = (self.known[u] for u in inside)  # (a few: stored, in a written container)
        labelled = [
            *self.labelled,
            *(
                o
                for o in carried
                if o.get("barcode") and collection_of(o["mxlimsType"]) == LOGISTICAL
            ),
        ]
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
        named = sorted(elsewhere)  # a set's order moves with the hash seed: one answer always
        for obj in labelled:
            own = shipment_of[obj["uuid"]]
            if own is None:
                continue
            for shipment in named:
                same_owner = proposals.get(shipment) == proposals.get(own)
                is_open = state.get(shipment) not in CLOSED_STATES
                if same_owner and is_open and by_shipment.get((shipment, str(obj["barcode"]))):
                    where = self._path(obj["uuid"], "barcode")
                    self.warnings.append(
                        f"{where}: barcode {obj['barcode']!r} is also in open shipment "
                        f"{shipment} of the same proposal"
                    )
