"""The rules ask the database about what sits in a written object only where that object is
stored: an object the transaction found new holds nothing stored, so an import of a new
shipment costs no query per container, puck capacity or moved barcode."""

from __future__ import annotations

from typing import Any

from mxlims_store.store import integrity
from tests.factories import new_uuid


class _Recording:
    """A store holding ``documents``, recording every query the rules make."""

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.documents, self.queries = documents, []

    async def find(
        self, collection: str, filter: dict[str, Any], *, sort: Any = (), limit: Any = None
    ) -> list[dict[str, Any]]:
        self.queries.append(filter)
        ((field, condition),) = filter.items()
        wanted = set(condition["$in"])
        return [d for d in self.documents if d.get(field) in wanted]


def _shipment(puck: str, pins: list[str]) -> list[dict[str, Any]]:
    return [
        {"uuid": puck, "mxlimsType": "Puck", "numberPositions": 16, "barcode": "P1"},
        *(
            {"uuid": pin, "mxlimsType": "Pin", "containerId": puck, "positionInPuck": n}
            for n, pin in enumerate(pins, start=1)
        ),
    ]


def _asked_for_contents(db: _Recording) -> list[dict[str, Any]]:
    return [q for q in db.queries if "containerId" in q]


async def test_new_objects_cost_no_query_about_their_contents() -> None:
    puck, pins = new_uuid(), [new_uuid() for _ in range(3)]
    written = [(obj, "mx1") for obj in _shipment(puck, pins)]
    db = _Recording([])
    problems, _ = await integrity.check(db, written, {}, stored={})  # type: ignore[arg-type]
    assert problems == [] and _asked_for_contents(db) == []
    unknown = _Recording([])  # which are stored not said: asked as before
    await integrity.check(unknown, written, {})  # type: ignore[arg-type]
    assert _asked_for_contents(unknown) != []


async def test_a_stored_container_s_contents_are_still_read() -> None:
    """The puck is stored with a pin at position 1 (and so are its stored pins): writing it
    with one position, and a new pin at 1, is refused for both as before."""
    puck, stored_pin, new_pin = new_uuid(), new_uuid(), new_uuid()
    stored_doc = {"_id": puck, "mxlimsType": "Puck", "numberPositions": 16, "_meta": {}}
    pin_doc = {
        "_id": stored_pin,
        "mxlimsType": "Pin",
        "containerId": puck,
        "positionInPuck": 2,
        "_meta": {"proposal": "mx1"},
    }
    db = _Recording([pin_doc])
    written = [
        ({"uuid": puck, "mxlimsType": "Puck", "numberPositions": 1}, "mx1"),
        ({"uuid": new_pin, "mxlimsType": "Pin", "containerId": puck, "positionInPuck": 2}, "mx1"),
    ]
    path_of = {puck: "Puck/P", new_pin: "Pin/N"}
    problems, _ = await integrity.check(
        db,  # type: ignore[arg-type]
        written,
        path_of,
        stored={puck: {**stored_doc, "_meta": {"proposal": "mx1"}}},
    )
    paths = sorted(p.path for p in problems)
    assert "Puck/P/numberPositions" in paths  # position 2 in use beyond 1
    assert "Pin/N/positionInPuck" in paths  # taken twice, and beyond the one position
    assert _asked_for_contents(db) != []


async def test_a_stored_job_written_costs_no_query_about_its_contents() -> None:
    """Only a container holds anything: a results return's updated experiments are not asked
    about, however many."""
    job = new_uuid()
    written = [({"uuid": job, "mxlimsType": "MxExperiment", "jobStatus": "Completed"}, "mx1")]
    stored = {job: {"_id": job, "mxlimsType": "MxExperiment", "_meta": {"proposal": "mx1"}}}
    db = _Recording([])
    problems, _ = await integrity.check(db, written, {}, stored=stored)  # type: ignore[arg-type]
    assert problems == [] and _asked_for_contents(db) == []
