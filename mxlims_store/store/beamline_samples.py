"""The beamline's view of a proposal: its samples as MXCuBE's ``get_samples`` lists them.

One entry per sample position (a Pin, or a MultiPin's PinPosition), in the shape of
mxcubecore's ``AbstractLims.get_samples``: ``sampleId`` (the position's store-assigned number),
``sampleName``, ``sampleLocation`` (its place in the puck), ``containerCode`` (the puck's
barcode, else its name), ``containerSampleChangerLocation`` (the puck's sample-changer position,
from its latest event when that is ``at_beamline``), ``crystalId`` and ``crystalSpaceGroup``
(the position's sample and its expected space group), ``proteinAcronym`` (the macromolecule's)
and ``diffractionPlan`` (the planned MxExperiment: ``diffractionPlanId`` its number), each with
the uuid of the object it comes from. Reads are batched per level, never per pin.
"""

from __future__ import annotations

from typing import Any

from mxlims_store.errors import InvalidQuery, Problem
from mxlims_store.mappings.ispyb_terms import ispyb_experiment_kind
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import EVENTS
from mxlims_store.store.navigation import proposal_shipments_seen
from mxlims_store.store.numbering import number_of
from mxlims_store.store.reads import fetch

POSITIONS = ("Pin", "PinPosition")


async def latest_events(db: Backend, caller: Caller, uuids: list[str]) -> dict[str, dict[str, Any]]:
    """The latest event of each of ``uuids`` that has one (one query)."""
    if not uuids:
        return {}
    query = readable(caller, {"subject": {"$in": sorted(set(uuids))}})
    events = await db.find(EVENTS, query, sort=[("time", 1), ("_id", 1)])
    return {e["subject"]: e for e in events}


async def samples(
    db: Backend,
    caller: Caller,
    proposal: str,
    *,
    beamline: str | None = None,
    loaded: bool | None = None,
) -> list[dict[str, Any]]:
    """The sample positions of ``proposal`` the caller may see. ``loaded``: only those in pucks
    whose latest event is ``at_beamline`` (at ``beamline`` when given, else at the caller's
    own beamline if its key has one). ``beamline`` alone means ``loaded``."""
    if loaded is False and beamline is not None:
        problem = Problem("beamline", "names where loaded pucks are; leave out loaded=false")
        raise InvalidQuery([problem])
    if loaded is None:
        loaded = beamline is not None
    at = (beamline or caller.beamline) if loaded else None
    query = {"_meta.proposal": proposal, "mxlimsType": {"$in": list(POSITIONS)}}
    positions = await db.find("logistical_samples", readable(caller, query))
    if not positions:  # a proposal not seen is a 404, as for its results (no existence leak)
        await proposal_shipments_seen(db, caller, proposal, limit=1)
    holders = await fetch(db, caller, {"logistical_samples": _ids(positions, "containerId")})
    multipins = [h for h in holders.values() if h["mxlimsType"] == "MultiPin"]
    holders |= await fetch(db, caller, {"logistical_samples": _ids(multipins, "containerId")})
    puck_of = {p["_id"]: _puck(p, holders) for p in positions}
    latest = await latest_events(db, caller, [p["_id"] for p in puck_of.values() if p])
    if loaded:
        positions = [
            p for p in positions if _loaded(latest.get(_uuid(puck_of[p["_id"]]) or ""), at)
        ]
    documents = await fetch(db, caller, {"samples": _ids(positions, "sampleId")})
    documents |= await fetch(db, caller, {"samples": _ids(documents.values(), "parentSampleId")})
    plans = await _plans(db, caller, [p["_id"] for p in positions])
    answer = [
        _entry(p, holders, puck_of[p["_id"]], latest, documents, plans.get(p["_id"]))
        for p in positions
    ]
    answer.sort(key=lambda e: (str(e["containerCode"]), e["sampleLocation"] or 0, e["uuid"]))
    return answer


def _ids(documents: Any, field: str) -> list[str]:
    return [d[field] for d in documents if d.get(field)]


def _uuid(document: dict[str, Any] | None) -> str | None:
    return None if document is None else str(document["_id"])


def _puck(position: dict[str, Any], holders: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The container whose sample-changer place counts: a pin's puck, a pin position's
    multipin's puck."""
    holder = holders.get(position.get("containerId") or "")
    if holder is not None and holder["mxlimsType"] == "MultiPin":
        return holders.get(holder.get("containerId") or "")
    return holder


def _loaded(event: dict[str, Any] | None, beamline: str | None) -> bool:
    if event is None or event["state"] != "at_beamline":
        return False
    return beamline is None or event.get("beamline") == beamline


async def _plans(db: Backend, caller: Caller, positions: list[str]) -> dict[str, dict[str, Any]]:
    """The planned experiment of each position: its template MxExperiment, else its first.

    An experiment may name the position itself or what is on it: results returned for a pin
    move its planned experiment onto the Crystal measured in it (MXLIMS's own form), and the
    pin keeps its plan."""
    if not positions:
        return {}
    on_pin = {"containerId": {"$in": positions}}
    held = await db.find("logistical_samples", readable(caller, on_pin))
    position_of = {p: p for p in positions} | {h["_id"]: h["containerId"] for h in held}
    query = {"logisticalSampleId": {"$in": sorted(position_of)}, "mxlimsType": "MxExperiment"}
    found = await db.find("jobs", readable(caller, query), sort=[("_meta.createdAt", 1)])
    plans: dict[str, dict[str, Any]] = {}
    for job in found:
        position = position_of[job["logisticalSampleId"]]
        current = plans.get(position)
        if current is None or (
            job.get("jobStatus") == "Template" and current.get("jobStatus") != "Template"
        ):
            plans[position] = job
    return plans


def _entry(
    position: dict[str, Any],
    holders: dict[str, dict[str, Any]],
    puck: dict[str, Any] | None,
    latest: dict[str, dict[str, Any]],
    documents: dict[str, dict[str, Any]],
    plan: dict[str, Any] | None,
) -> dict[str, Any]:
    sample = documents.get(position.get("sampleId") or "")
    protein = documents.get((sample or {}).get("parentSampleId") or "")
    event = latest.get(_uuid(puck) or "")
    at_beamline = event is not None and event["state"] == "at_beamline"
    holder = holders.get(position.get("containerId") or "")
    place = position.get("positionInPuck")
    if position["mxlimsType"] == "PinPosition" and holder is not None:
        place = holder.get("positionInPuck")
    return {
        "uuid": position["_id"],
        "sampleId": number_of(position),
        "sampleName": (sample or {}).get("name") or position.get("barcode"),
        "sampleLocation": place,
        "containerCode": None if puck is None else puck.get("barcode") or puck.get("name"),
        "containerUuid": _uuid(puck),
        "containerSampleChangerLocation": event.get("sampleChangerPosition")
        if at_beamline and event
        else None,
        "crystalId": number_of(sample),
        "crystalUuid": _uuid(sample),
        "crystalSpaceGroup": (plan or {}).get("expectedSpaceGroupName"),
        "proteinAcronym": (protein or {}).get("acronym") or (sample or {}).get("acronym"),
        "diffractionPlan": _plan(plan),
    }


def _plan(plan: dict[str, Any] | None) -> dict[str, Any]:
    """The planned experiment in the words of ISPyB's DiffractionPlan (``{}``: none)."""
    if plan is None:
        return {}
    fields = {
        "diffractionPlanId": number_of(plan),
        "uuid": plan["_id"],
        "experimentKind": _kind(plan.get("experimentStrategy")),
        "requiredResolution": plan.get("requiredResolution"),
        "aimedResolution": plan.get("expectedResolution"),
        "aimedCompleteness": plan.get("targetCompleteness"),
        "aimedMultiplicity": plan.get("targetMultiplicity"),
        "radiationSensitivity": plan.get("radiationSensitivity"),
    }
    return {k: v for k, v in fields.items() if v is not None}


def _kind(strategy: Any) -> str | None:
    """ISPyB's experimentKind where the strategy is one; other strategies (free text in MXLIMS)
    as written, since MXCuBE passes the value on and refuses none."""
    if not isinstance(strategy, str):
        return None
    return ispyb_experiment_kind(strategy) or strategy
