"""A bare level down (a message's walk) keeps exactly what the full one keeps: it skips the
look for how a document was reached when its type has rules for every field asked, and a
document found over a field its type has no rule for is still left out."""

from __future__ import annotations

from typing import Any

from mxlims_store.store import walk
from tests.factories import new_uuid


def _kept(bare: bool, frontier: list[dict[str, Any]], by_collection: dict[str, list[Any]]) -> Any:
    plan = walk._level_down(frontier, {d["_id"]: d for d in frontier}, bare)
    requests = next(plan)
    try:
        plan.send([by_collection.get(r.collection, []) for r in requests])
    except StopIteration as done:
        return [d["_id"] for d, _, _ in done.value], requests
    raise AssertionError("a level down is one step")


def test_a_bare_level_down_keeps_what_the_full_one_keeps() -> None:
    pin = {"_id": new_uuid(), "mxlimsType": "Pin"}
    crystal = {"_id": new_uuid(), "mxlimsType": "Crystal", "containerId": pin["_id"]}
    # a Shipment has no rule for containerId: found over it (an engine's find matches the
    # field whatever the type), it is no child of the pin
    stray = {"_id": new_uuid(), "mxlimsType": "Shipment", "containerId": pin["_id"]}
    sweep = {"_id": new_uuid(), "mxlimsType": "CollectionSweep", "logisticalSampleId": pin["_id"]}
    answers = {"logistical_samples": [crystal, stray], "datasets": [sweep]}
    full, requests = _kept(False, [pin], answers)
    bare, bare_requests = _kept(True, [pin], answers)
    assert full == bare == [crystal["_id"], sweep["_id"]]
    assert [r.links for r in requests] == [r.links for r in bare_requests]
    assert {"logistical_samples", "datasets"} <= {r.collection for r in requests}
