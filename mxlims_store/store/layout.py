"""The physical layout of a shipment, dewar or container, for people: dewar -> container ->
position, built from the links (``containerId``), never from names, so two dewars that each
hold a puck "A" are two dewars with a puck each.

Each container has its real geometry (a UniPuck's 16 positions, a SPINE puck's 10, a plate's
rows x columns) with its empty positions, and per position the sample status of what sits there
(see :mod:`status`). Lines carry what a person reads in a sample table: protein acronym, sample,
the requested strategy and resolution, and the best result with the sweeps it came from.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from mxlims_store.answers import label
from mxlims_store.errors import InvalidMessage, Problem
from mxlims_store.store.access import Caller
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.logistics import current_states
from mxlims_store.store.reads import fetch, locate
from mxlims_store.store.status import _RANK, STATUSES, positions_of
from mxlims_store.store.walk import walk

CONTAINERS = ("Puck", "Plate")
HOLDERS = ("Shipment", "Dewar", "Puck", "Plate")
# Positions by puck type when the puck does not say (names as facilities spell them)
PUCK_CAPACITY = {"unipuck": 16, "uni": 16, "spine": 10, "spinepuck": 10, "spine puck": 10}


def natural_key(text: str | None) -> tuple[Any, ...]:
    """Sort PK-1-2 before PK-1-10 (numbers compared as numbers)."""
    parts = re.split(r"([0-9]+)", (text or "").lower())  # ASCII digits: "²" is no number
    # compared as numbers by their length first: int() refuses text of over 4,300 digits
    return tuple(
        (0, len(p.lstrip("0")), p.lstrip("0")) if p.isascii() and p.isdigit() else (1, 0, p)
        for p in parts
    )


def shown_name(document: dict[str, Any]) -> str:
    return str(document.get("barcode") or document.get("name") or document["_id"][:8])


def puck_geometry(puck: dict[str, Any], highest: int) -> tuple[str, int]:
    """(kind, number of positions): what the puck says, else its type, else what it holds."""
    kind = str(puck.get("puckType") or "").strip()
    capacity = puck.get("numberPositions") or PUCK_CAPACITY.get(kind.lower())
    if not capacity:
        capacity = 16 if highest <= 16 else highest
    if not kind:
        kind = {16: "UniPuck", 10: "SPINE"}.get(int(capacity), "Puck")
    return kind, max(int(capacity), highest)


async def layout(db: Backend, caller: Caller, uuid: str) -> dict[str, Any]:
    """Dewars with their containers, each with its positions (empty ones included)."""
    _, root = await locate(db, caller, uuid)
    if root["mxlimsType"] not in HOLDERS:
        problem = Problem("uuid", f"a {root['mxlimsType']} holds no samples to lay out")
        raise InvalidMessage([problem])
    documents = (await walk(db, caller, [root], "down")).documents
    await _with_samples_and_proteins(db, caller, documents)
    lines = positions_of(documents)
    _enrich(lines, documents)
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for document in documents.values():
        parent = document.get("containerId")
        if parent and document["mxlimsType"] in (
            "Dewar",
            *CONTAINERS,
            "Pin",
            "MultiPin",
            "PlateWell",
        ):
            by_parent.setdefault(parent, []).append(document)
    lines_by_holder: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        lines_by_holder.setdefault(line["containerId"] or "", []).append(line)
        lines_by_holder[line["uuid"]] = [line]  # a pin is its own holder (uuids never collide)
    states = await current_states(db, caller, [root["_id"]])
    sections = _sections(root, by_parent, documents, lines_by_holder)
    counts = Counter(line["status"] for line in lines)
    drawn = [line for s in sections for c in s["containers"] for line in c["lines"]]
    seen = {line["uuid"] for line in drawn}
    return {
        "uuid": root["_id"],
        "mxlimsType": root["mxlimsType"],
        "name": root.get("name") or root.get("barcode"),
        "state": states.get(root["_id"]),
        "counts": {s: counts.get(s, 0) for s in STATUSES},
        "positions": len(lines),
        "dewars": sections,
        "lines": drawn + [line for line in lines if line["uuid"] not in seen],  # dewar order
    }


def _sections(
    root: dict[str, Any],
    by_parent: dict[str, list[dict[str, Any]]],
    documents: dict[str, dict[str, Any]],
    lines_by_holder: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """One section per dewar (a container outside any dewar gets a section of its own)."""
    if root["mxlimsType"] in CONTAINERS:
        return [_section(None, [root], by_parent, documents, lines_by_holder)]
    if root["mxlimsType"] == "Dewar":
        dewars = [root]
        loose: list[dict[str, Any]] = []
    else:
        below = by_parent.get(root["_id"], [])
        dewars = [d for d in below if d["mxlimsType"] == "Dewar"]
        loose = [d for d in below if d["mxlimsType"] in CONTAINERS]
    dewars.sort(key=lambda d: (natural_key(shown_name(d)), d["_id"]))
    sections = [
        _section(
            dewar,
            [c for c in by_parent.get(dewar["_id"], []) if c["mxlimsType"] in CONTAINERS],
            by_parent,
            documents,
            lines_by_holder,
        )
        for dewar in dewars
    ]
    if loose:
        sections.append(_section(None, loose, by_parent, documents, lines_by_holder))
    return sections


def _section(
    dewar: dict[str, Any] | None,
    containers: list[dict[str, Any]],
    by_parent: dict[str, list[dict[str, Any]]],
    documents: dict[str, dict[str, Any]],
    lines_by_holder: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    def order(c: dict[str, Any]) -> tuple[Any, ...]:
        return (c.get("positionInDewar") or 10**6, natural_key(shown_name(c)), c["_id"])

    drawn = [
        _plate(c, by_parent, lines_by_holder)
        if c["mxlimsType"] == "Plate"
        else _puck(c, by_parent, lines_by_holder)
        for c in sorted(containers, key=order)
    ]
    counts: Counter[str] = Counter()
    for container in drawn:
        counts.update(container["counts"])
    return {
        "uuid": dewar["_id"] if dewar else None,
        "mxlimsType": dewar["mxlimsType"] if dewar else None,
        "name": shown_name(dewar) if dewar else None,
        "containers": drawn,
        "counts": {s: counts.get(s, 0) for s in STATUSES},
    }


def _best(statuses: list[str]) -> str | None:
    return max(statuses, key=lambda s: _RANK[s]) if statuses else None


def _puck(
    puck: dict[str, Any],
    by_parent: dict[str, list[dict[str, Any]]],
    lines_by_holder: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The puck's positions 1..capacity, each with what sits there (a pin, or a multi-position
    pin's sub-positions) and its status; pins without a position are listed apart."""
    held = [p for p in by_parent.get(puck["_id"], []) if p["mxlimsType"] in ("Pin", "MultiPin")]
    slots: dict[int, list[dict[str, Any]]] = {}
    unplaced: list[dict[str, Any]] = []
    for pin in held:
        pin_lines = lines_by_holder.get(pin["_id"], [])  # the pin, or a multi-pin's positions
        place = pin.get("positionInPuck")
        if isinstance(place, int):
            slots.setdefault(place, []).extend(pin_lines)
        else:
            unplaced.extend(pin_lines)
    kind, capacity = puck_geometry(puck, max(slots, default=0))
    positions: list[dict[str, Any]] = []
    for place in range(1, capacity + 1):
        here = slots.get(place, [])
        positions.append(
            {
                "position": place,
                "status": _best([line["status"] for line in here]),
                "label": ", ".join(str(line["barcode"] or line["sample"] or "") for line in here),
                "lines": here,
            }
        )
    lines = [line for p in positions for line in p["lines"]] + unplaced
    return _container(puck, kind, capacity, positions, lines, rows=0, columns=0)


def _plate(
    plate: dict[str, Any],
    by_parent: dict[str, list[dict[str, Any]]],
    lines_by_holder: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """A plate as rows x columns of wells, each with the status of its best drop."""
    geometry = plate.get("plateType") or {}
    wells = lines_by_holder  # drops hang from wells: lines are keyed by their well's uuid
    placed: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for well in by_parent.get(plate["_id"], []):
        key = (int(well.get("rowNumber") or 0), int(well.get("columnNumber") or 0))
        placed.setdefault(key, []).extend(wells.get(well["_id"], []))
    rows = max([int(geometry.get("numberRows") or 0), *(r for r, _ in placed)], default=0)
    columns = max([int(geometry.get("numberColumns") or 0), *(c for _, c in placed)], default=0)
    positions: list[dict[str, Any]] = []
    for row in range(1, rows + 1):
        for column in range(1, columns + 1):
            here = placed.get((row, column), [])
            positions.append(
                {
                    "position": f"{chr(64 + row) if row <= 26 else row}{column}",
                    "row": row,
                    "column": column,
                    "status": _best([line["status"] for line in here]),
                    "label": ", ".join(str(line["sample"] or "") for line in here),
                    "lines": here,
                }
            )
    lines = [line for p in positions for line in p["lines"]]
    kind = str(geometry.get("name") or "Plate")
    return _container(plate, kind, rows * columns, positions, lines, rows=rows, columns=columns)


def _container(
    document: dict[str, Any],
    kind: str,
    capacity: int,
    positions: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    *,
    rows: int,
    columns: int,
) -> dict[str, Any]:
    counts = Counter(line["status"] for line in lines)
    return {
        "uuid": document["_id"],
        "mxlimsType": document["mxlimsType"],
        "name": shown_name(document),
        "kind": kind,
        "capacity": capacity,
        "rows": rows,
        "columns": columns,
        "filled": sum(1 for p in positions if p["lines"]),
        "positions": positions,
        "lines": lines,
        "counts": {s: counts.get(s, 0) for s in STATUSES},
    }


async def _with_samples_and_proteins(
    db: Backend, caller: Caller, documents: dict[str, dict[str, Any]]
) -> None:
    """The samples of the positions and their proteins (above them: a walk down misses them)."""
    for _ in range(2):
        above = (
            d.get("sampleId") or d.get("parentSampleId")
            for d in documents.values()
            if d["mxlimsType"] in ("Pin", "PinPosition", "WellDrop", "MacromoleculeSample")
        )
        wanted = {str(w) for w in above if w and w not in documents}
        documents.update(await fetch(db, caller, {"samples": wanted}))


def _enrich(lines: list[dict[str, Any]], documents: dict[str, dict[str, Any]]) -> None:
    """Protein, requested strategy and resolution, the sweeps of the best result."""
    requested: dict[str, dict[str, Any]] = {}
    for document in documents.values():
        if document["mxlimsType"] != "MxExperiment":
            continue
        holder = _position_holder(document.get("logisticalSampleId"), documents)
        if holder and (holder not in requested or document.get("jobStatus") == "Template"):
            requested[holder] = document
    for line in lines:
        position = documents[line["uuid"]]
        line["containerId"] = position.get("containerId")
        sample = documents.get(position.get("sampleId") or "") or {}
        protein = documents.get(sample.get("parentSampleId") or "") or {}
        line["acronym"] = protein.get("acronym") or protein.get("name")
        line["sampleUuid"] = sample.get("_id")
        experiment = requested.get(line["uuid"]) or {}
        line["strategy"] = experiment.get("experimentStrategy")
        line["requestedResolution"] = experiment.get("requiredResolution") or experiment.get(
            "expectedResolution"
        )
        line["sweeps"] = _sweeps_of(line.get("reflectionSet"), documents)


def _position_holder(uuid: str | None, documents: dict[str, dict[str, Any]]) -> str | None:
    """The pin (or sub-position, or drop) a logistical sample is, or sits on."""
    for _ in range(4):
        document = documents.get(uuid or "")
        if document is None:
            return None
        if document["mxlimsType"] in ("Pin", "PinPosition", "WellDrop"):
            return str(document["_id"])
        uuid = document.get("containerId")
    return None


def _sweeps_of(reflection_set: str | None, documents: dict[str, dict[str, Any]]) -> list[str]:
    """The measured sweeps a reflection set was processed from (its job's input data)."""
    found: list[str] = []
    current = documents.get(reflection_set or "")
    for _ in range(6):
        if current is None:
            break
        for data in current.get("inputDataIds") or []:
            if documents.get(data, {}).get("mxlimsType") == "CollectionSweep":
                found.append(data)
        if found:
            break
        current = documents.get(current.get("sourceId") or current.get("derivedFromId") or "")
    return found


async def labels_of(db: Backend, caller: Caller, uuids: list[str]) -> dict[str, str]:
    """How a person names each of ``uuids`` it may see (one query per collection)."""
    wanted = sorted(set(uuids))[:5000]
    found = await fetch(db, caller, {collection: wanted for collection in CORE_COLLECTIONS})
    return {uuid: label(document) for uuid, document in found.items()}
