"""The rules walk each distinct container or parent once, not once per object that names it
(integrity._may_come_round, the one pass of content_rules._positions): a problem hidden among
thousands of fine objects is still found, said once, at its object, in the written order."""

from __future__ import annotations

from typing import Any

from mxlims_store.answers import ImportReport
from mxlims_store.store import Store, integrity
from tests.factories import new_uuid, results_message, shipment_message

TWICE = "position {} of its container is taken twice"
CYCLE = "makes a cycle: the chain comes back here"


class _Holding:
    """A store holding ``documents``, answering the rules' ``$in`` reads."""

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.documents = documents

    async def find(
        self, collection: str, filter: dict[str, Any], *, sort: Any = (), limit: Any = None
    ) -> list[dict[str, Any]]:
        ((field, condition),) = filter.items()
        wanted = set(condition["$in"])
        return [d for d in self.documents if d.get(field) in wanted]


def _puck_of_pins(pins: int, capacity: int = 16) -> list[dict[str, Any]]:
    puck = new_uuid()
    return [
        {"uuid": puck, "mxlimsType": "Puck", "numberPositions": capacity},
        *(
            {"uuid": new_uuid(), "mxlimsType": "Pin", "containerId": puck, "positionInPuck": n}
            for n in range(1, pins + 1)
        ),
    ]


async def _problems(
    written: list[dict[str, Any]], held: list[dict[str, Any]] | None = None, **kwargs: Any
) -> list[tuple[str, str]]:
    """The problems of writing ``written`` (each at ``<type>/<its index>``) beside ``held``."""
    path_of = {obj["uuid"]: f"{obj['mxlimsType']}/{n}" for n, obj in enumerate(written)}
    db = _Holding(held or [])
    problems, _ = await integrity.check(
        db,  # type: ignore[arg-type]
        [(obj, "mx1") for obj in written],
        path_of,
        **kwargs,
    )
    return [(p.path, p.message) for p in problems]


async def test_a_cycle_behind_many_pins_is_told_at_its_two_containers_only() -> None:
    """Two pucks each inside the other, with fifty pins: the pins lead into the cycle but are
    not on it, so only the pucks are told, in the order written."""
    pucks = [_puck_of_pins(25, capacity=25), _puck_of_pins(25, capacity=25)]
    first, second = pucks[0][0], pucks[1][0]
    first["containerId"], second["containerId"] = second["uuid"], first["uuid"]
    written = [*pucks[0], *pucks[1]]
    found = await _problems(written)
    assert found == [("Puck/0/containerRef", CYCLE), ("Puck/26/containerRef", CYCLE)]


async def test_a_self_link_among_fine_links_is_told_once_in_order() -> None:
    """A pin in itself between pins in their puck, and a sample its own parent after them."""
    written = _puck_of_pins(10)
    written[5] = {**written[5], "containerId": written[5]["uuid"]}
    sample = new_uuid()
    written.append({"uuid": sample, "mxlimsType": "MacromoleculeSample", "parentSampleId": sample})
    found = await _problems(written)
    itself = "points at the object itself"
    assert found == [
        ("Pin/5/containerRef", itself),
        ("MacromoleculeSample/11/parentSampleRef", itself),
    ]


async def test_a_stored_occupant_and_a_small_puck_are_both_told_at_the_pin() -> None:
    """A stored pin holds position 3 of a stored four-position puck; of twelve new pins, the
    one at 3 is taken twice, and those at 5.. are beyond the four positions, each told once,
    taken before beyond, in the written order."""
    puck = new_uuid()
    stored_puck = {"_id": puck, "mxlimsType": "Puck", "numberPositions": 4, "_meta": {}}
    occupant = {
        "_id": new_uuid(),
        "mxlimsType": "Pin",
        "containerId": puck,
        "positionInPuck": 3,
        "_meta": {"proposal": "mx1"},
    }
    pins = [
        {"uuid": new_uuid(), "mxlimsType": "Pin", "containerId": puck, "positionInPuck": n}
        for n in (1, 2, 3, 4, 5, 6)
    ]
    found = await _problems(
        pins, [stored_puck, occupant], stored={puck: {**stored_puck, "_meta": {"proposal": "mx1"}}}
    )
    beyond = "position {} is beyond the 4 positions of its Puck"
    assert found == [
        ("Pin/2/positionInPuck", TWICE.format(3)),
        ("Pin/4/positionInPuck", beyond.format(5)),
        ("Pin/5/positionInPuck", beyond.format(6)),
    ]


async def test_another_proposal_s_occupant_is_as_absent_to_a_member() -> None:
    """The same stored pin, of a proposal the caller may not read: nothing is told."""
    puck = new_uuid()
    theirs = {"_id": new_uuid(), "mxlimsType": "Pin", "containerId": puck, "positionInPuck": 3}
    written = [
        {"uuid": puck, "mxlimsType": "Puck", "numberPositions": 16},
        {"uuid": new_uuid(), "mxlimsType": "Pin", "containerId": puck, "positionInPuck": 3},
    ]
    hidden = [{**theirs, "_meta": {"proposal": "mx9"}}]
    assert await _problems(written, hidden, visible=lambda p: p == "mx1") == []
    assert await _problems(written, [{**theirs, "_meta": {"proposal": "mx1"}}]) == [
        ("Pin/1/positionInPuck", TWICE.format(3))
    ]


async def test_the_import_report_is_what_validating_it_gives(store: Store) -> None:
    """The report is built without validating it again: it holds exactly what a validated one
    holds, of the declared types, for a shipment and for its results return."""
    message = shipment_message(3)
    for sent, policy in ((message, "reject_new"), (results_message(message), "update_old")):
        report = await store.import_message(sent, policy=policy)
        again = ImportReport.model_validate(report.model_dump())
        assert again.to_dict() == report.to_dict() and again.model_dump() == report.model_dump()
        assert all(type(n) is int for n in (*report.created.values(), *report.updated.values()))
        assert report.outcomes and set(report.outcomes.values()) <= {
            "created",
            "updated",
            "unchanged",
            "differing",
        }
