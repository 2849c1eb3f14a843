"""Status of samples, derived from what the store holds, never typed in.

A sample position (a Pin, a MultiPin's PinPosition, a plate's WellDrop) is

- ``processed`` once a ReflectionSet came from it,
- ``collected`` once data were measured on it (a CollectionSweep that is not a template, or an
  experiment that completed),
- ``failed`` when its experiments failed or were aborted and nothing was measured,
- ``planned`` otherwise (it is in the shipment, with or without a requested experiment).

Jobs and datasets find their position through their logistical sample (a Crystal on a pin
counts for the pin) or, failing that, through the job or data they came from. The headline
result is that of the position's best ReflectionSet (highest resolution): resolution, space
group, completeness.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from mxlims_store.errors import InvalidMessage, NotFound, Problem
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.logistics import current_states
from mxlims_store.store.navigation import PROPOSAL_NOT_SEEN
from mxlims_store.store.reads import fetch, locate
from mxlims_store.store.walk import walk

POSITIONS = ("Pin", "PinPosition", "WellDrop")
STATUSES = ("planned", "collected", "processed", "failed")
_RANK = {"planned": 0, "failed": 1, "collected": 2, "processed": 3}


async def status(db: Backend, caller: Caller, uuid: str) -> dict[str, Any]:
    """Counts per status and one line per sample position, for a Shipment, Dewar or container."""
    _, root = await locate(db, caller, uuid)
    if root["mxlimsType"] not in ("Shipment", "Dewar", "Puck", "Plate", "MultiPin"):
        problem = Problem("uuid", f"a {root['mxlimsType']} holds no samples to report on")
        raise InvalidMessage([problem])
    documents = (await walk(db, caller, [root], "down")).documents
    await _with_samples(db, caller, documents)
    lines = positions_of(documents)
    counts = Counter(line["status"] for line in lines)
    states = await current_states(db, caller, [root["_id"]])
    return {
        "uuid": root["_id"],
        "mxlimsType": root["mxlimsType"],
        "name": root.get("name") or root.get("barcode"),
        "state": states.get(root["_id"]),
        "counts": {s: counts.get(s, 0) for s in STATUSES},
        "positions": lines,
    }


async def _with_samples(db: Backend, caller: Caller, documents: dict[str, dict[str, Any]]) -> None:
    """Add the samples of the positions (above them, so not reached walking down): their names
    go on each line."""
    wanted = {
        d["sampleId"]
        for d in documents.values()
        if d["mxlimsType"] in POSITIONS and d.get("sampleId") and d["sampleId"] not in documents
    }
    documents.update(await fetch(db, caller, {"samples": wanted}))


def positions_of(documents: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per sample position among ``documents`` (a downward walk's result)."""
    holder_of = {uuid: _holder(uuid, documents) for uuid in documents}
    evidence: dict[str, list[dict[str, Any]]] = {}
    for document in documents.values():
        position = _position_of(document, documents, holder_of)
        if position is not None and document["_id"] != position:
            evidence.setdefault(position, []).append(document)
    lines = []
    for uuid, document in documents.items():
        if document["mxlimsType"] not in POSITIONS:
            continue
        found = evidence.get(uuid, [])
        line = {
            "uuid": uuid,
            "mxlimsType": document["mxlimsType"],
            "barcode": document.get("barcode"),
            "position": _place(document),
            "container": _barcode(documents.get(document.get("containerId") or "")),
            "sample": _name(documents.get(document.get("sampleId") or "")),
            "status": _status(found),
            **_headline(found),
        }
        lines.append(line)
    lines.sort(key=lambda line: (str(line["container"]), line["position"] or 0, line["uuid"]))
    return lines


def _holder(uuid: str, documents: dict[str, dict[str, Any]]) -> str | None:
    """The sample position a logistical sample is, or sits in (a Crystal on its pin)."""
    seen: set[str] = set()
    current: str | None = uuid
    while current is not None and current in documents and current not in seen:
        seen.add(current)
        document = documents[current]
        if document["mxlimsType"] in POSITIONS:
            return current
        current = document.get("containerId")
    return None


def _position_of(
    document: dict[str, Any],
    documents: dict[str, dict[str, Any]],
    holder_of: dict[str, str | None],
) -> str | None:
    """The sample position a job or dataset is about: its logistical sample's, or that of the
    job or data it came from (followed a few steps)."""
    current: dict[str, Any] | None = document
    for _ in range(8):
        if current is None:
            return None
        target = current.get("logisticalSampleId")
        if target is not None and holder_of.get(target):
            return holder_of[target]
        sources = [current.get("sourceId"), *(current.get("inputDataIds") or [])]
        current = next((documents[s] for s in sources if s in documents), None)
    return None


def _status(evidence: list[dict[str, Any]]) -> str:
    best = "planned"
    for document in evidence:
        kind = document["mxlimsType"]
        measured = kind == "CollectionSweep" and document.get("sourceId")
        completed = kind == "MxExperiment" and document.get("jobStatus") == "Completed"
        if kind == "ReflectionSet":
            found = "processed"
        elif measured or completed:
            found = "collected"
        elif document.get("jobStatus") in ("Failed", "Aborted"):
            found = "failed"
        else:
            continue
        if _RANK[found] > _RANK[best]:
            best = found
    return best


def _headline(evidence: list[dict[str, Any]]) -> dict[str, Any]:
    best: tuple[float, dict[str, Any]] | None = None
    for document in evidence:
        if document["mxlimsType"] != "ReflectionSet":
            continue
        overall = document.get("reflectionStatisticsOverall") or {}
        limits = overall.get("resolutionLimits") or []
        resolution = limits[1] if len(limits) == 2 else document.get("operationalResolution")
        if isinstance(resolution, int | float) and (best is None or resolution < best[0]):
            best = (float(resolution), document)
    if best is None:
        return {}
    resolution, document = best
    overall = document.get("reflectionStatisticsOverall") or {}
    return {
        "resolution": resolution,
        "spaceGroup": document.get("spaceGroupName"),
        "completeness": overall.get("Completeness"),
        "reflectionSet": document["_id"],
    }


def _place(document: dict[str, Any]) -> int | None:
    for field in ("positionInPuck", "positionInPin", "dropNumber"):
        if isinstance(document.get(field), int):
            return int(document[field])
    return None


def _barcode(document: dict[str, Any] | None) -> str | None:
    if document is None:
        return None
    return str(document.get("barcode") or document.get("name") or document["_id"])


def _name(document: dict[str, Any] | None) -> str | None:
    return None if document is None else document.get("name") or document.get("acronym")


async def shipments(
    db: Backend,
    caller: Caller,
    *,
    proposal: str | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The shipments the caller may see (of one proposal, or matching ``search``: a barcode of
    anything in them, a sample's name, a protein's acronym, or a piece of their name or
    proposal), newest first, each with its state, dewar and position counts and sample status
    counts. ``limit`` and ``offset`` page the list: only the shipments of the page are walked
    for their counts."""
    query: dict[str, Any] = {"mxlimsType": "Shipment"}
    if proposal is not None:
        query["_meta.proposal"] = proposal
    found = await db.find("logistical_samples", readable(caller, query))
    if search:
        found = await _matching(db, caller, found, search.strip())
    found.sort(key=lambda s: (str(s["_meta"].get("createdAt")), s["_id"]), reverse=True)
    found = found[offset : None if limit is None else offset + limit]
    states = await current_states(db, caller, [s["_id"] for s in found])
    # one walk for the whole page (round trips grow with its depth, not with its length)
    documents = (await walk(db, caller, found, "down")).documents if found else {}
    home = _shipment_of(documents, {s["_id"] for s in found})
    dewars: Counter[str] = Counter()
    for document in documents.values():
        if document["mxlimsType"] == "Dewar":
            dewars[home(document["_id"]) or ""] += 1
    lines_of: dict[str, list[dict[str, Any]]] = {}
    for line in positions_of(documents):
        lines_of.setdefault(home(line["uuid"]) or "", []).append(line)
    answer = []
    for shipment in found:
        lines = lines_of.get(shipment["_id"], [])
        answer.append(
            {
                "uuid": shipment["_id"],
                "name": shipment.get("name"),
                "proposal": shipment["_meta"].get("proposal"),
                "state": states.get(shipment["_id"]),
                "createdAt": shipment["_meta"].get("createdAt"),
                "dewars": dewars.get(shipment["_id"], 0),
                "positions": len(lines),
                "counts": dict(Counter(line["status"] for line in lines)),
            }
        )
    return answer


def _shipment_of(
    documents: dict[str, dict[str, Any]], shipments: set[str]
) -> Callable[[str], str | None]:
    """The shipment an object of a walk travels in (climbing its containers, remembered)."""
    known: dict[str, str | None] = {s: s for s in shipments}

    def home(uuid: str) -> str | None:
        path: list[str] = []
        current = uuid
        while current not in known and current in documents and len(path) < 64:
            path.append(current)
            current = documents[current].get("containerId") or ""
        found = known.get(current)
        for step in path:
            known[step] = found
        return found

    return home


async def _matching(
    db: Backend, caller: Caller, found: list[dict[str, Any]], search: str
) -> list[dict[str, Any]]:
    needle = search.lower()
    by_text = {
        s["_id"]
        for s in found
        if needle in str(s.get("name") or "").lower()
        or needle == str(s["_meta"].get("proposal") or "").lower()
    }
    # a barcode or a container's name as written, or as a scanner or a hurried person types it
    spellings = sorted({search, search.upper(), search.lower()})
    either = {"$or": [{"barcode": {"$in": spellings}}, {"name": {"$in": spellings}}]}
    labelled = await db.find("logistical_samples", readable(caller, either))
    labelled += await _holding_samples(db, caller, spellings)
    for document in labelled:  # climb to the shipment (a few levels, batched per level)
        current: dict[str, Any] | None = document
        for _ in range(8):
            if current is None:
                break
            if current["mxlimsType"] == "Shipment":
                by_text.add(current["_id"])
                break
            parent = current.get("containerId")
            above = await fetch(db, caller, {"logistical_samples": [parent]}) if parent else {}
            current = above.get(parent) if parent else None
    return [s for s in found if s["_id"] in by_text]


async def _holding_samples(
    db: Backend, caller: Caller, spellings: list[str]
) -> list[dict[str, Any]]:
    """The positions holding a sample of that name, or of a protein with that acronym."""
    named = {"$or": [{"name": {"$in": spellings}}, {"acronym": {"$in": spellings}}]}
    samples = {d["_id"] for d in await db.find("samples", readable(caller, named))}
    if samples:
        below = readable(caller, {"parentSampleId": {"$in": sorted(samples)}})
        samples |= {d["_id"] for d in await db.find("samples", below)}
    if not samples:
        return []
    holding = readable(caller, {"sampleId": {"$in": sorted(samples)}})
    return await db.find("logistical_samples", holding, limit=500)


async def proposal_shipments(db: Backend, caller: Caller, code: str) -> list[dict[str, Any]]:
    """The shipments of a proposal the caller may see, oldest first, with state and counts;
    none is a 404 in the words of the proposal's results and samples (no existence leak)."""
    found = list(reversed(await shipments(db, caller, proposal=code)))
    if not found:
        raise NotFound(PROPOSAL_NOT_SEEN)
    return found
