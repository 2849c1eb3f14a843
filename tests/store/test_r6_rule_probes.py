"""Round 6's rules ask nothing about objects an import found new: every rule about what sits
in a stored container still holds for new objects put into it (a review's probes)."""

from __future__ import annotations

from typing import Any

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.store import Caller, Store
from tests.factories import derived_chain, minimal, new_uuid, shipment_message, stub


def _into_stored_puck(puck: str, **pin: Any) -> dict[str, Any]:
    return {
        "version": "0.6.13",
        "LogisticalSample": {"P": stub("LogisticalSample", puck)},
        "Pin": {
            "New": minimal(
                "Pin", uuid=new_uuid(), containerRef={"$ref": "#/LogisticalSample/P"}, **pin
            )
        },
    }


async def _refusal(store: Store, message: dict[str, Any], **kw: Any) -> set[tuple[str, str]]:
    with pytest.raises(InvalidMessage) as caught:
        await store.import_message(message, **kw)
    return {(p.path, p.message) for p in caught.value.problems}


async def test_new_pins_into_a_stored_puck_meet_its_positions_capacity_and_barcodes(
    store: Store,
) -> None:
    stored = shipment_message(2, positions=4)
    await store.import_message(stored)
    puck = stored["Puck"]["Puck1"]["uuid"]
    found = await _refusal(store, _into_stored_puck(puck, positionInPuck=2))
    assert ("Pin/New/positionInPuck", "position 2 of its container is taken twice") in found
    found = await _refusal(store, _into_stored_puck(puck, positionInPuck=5))
    assert ("Pin/New/positionInPuck", "position 5 is beyond the 4 positions of its Puck") in found
    found = await _refusal(store, _into_stored_puck(puck, positionInPuck=3, barcode="PIN-1"))
    assert ("Pin/New/barcode", "barcode 'PIN-1' is used twice in the shipment") in found
    await store.import_message(_into_stored_puck(puck, positionInPuck=3))  # a free one: fine


async def test_a_stored_pin_moved_into_a_new_puck_meets_the_new_pins_there(store: Store) -> None:
    stored = shipment_message(1, positions=4)
    await store.import_message(stored)
    pin = stored["Pin"]["Pin1"]
    moved = {
        "version": "0.6.13",
        "Puck": {"Puck1": minimal("Puck", uuid=new_uuid(), numberPositions=4, barcode="X")},
        "Pin": {
            "Moved": {**pin, "containerRef": {"$ref": "#/Puck/Puck1"}, "sampleRef": None},
            "New": minimal(
                "Pin", uuid=new_uuid(), positionInPuck=1, containerRef={"$ref": "#/Puck/Puck1"}
            ),
        },
    }
    del moved["Pin"]["Moved"]["sampleRef"]
    for policy in ("update_old", "merge"):
        found = await _refusal(store, moved, policy=policy, proposal="mx1234")
        assert any(
            path.endswith("positionInPuck") and "taken twice" in message for path, message in found
        ), found


async def test_new_pin_positions_into_a_stored_multipin_meet_its_taken_ones(store: Store) -> None:
    stored = shipment_message(1, positions=4)
    multipin = new_uuid()
    stored["MultiPin"] = {
        "M": minimal(
            "MultiPin", uuid=multipin, positionInPuck=2, containerRef={"$ref": "#/Puck/Puck1"}
        )
    }
    stored["PinPosition"] = {
        "PP": minimal("PinPosition", uuid=new_uuid(), containerRef={"$ref": "#/MultiPin/M"})
    }
    await store.import_message(stored)
    new = {
        "version": "0.6.13",
        "LogisticalSample": {"M": stub("LogisticalSample", multipin)},
        "PinPosition": {
            "New": minimal(
                "PinPosition",
                uuid=new_uuid(),
                positionInPin=1,
                containerRef={"$ref": "#/LogisticalSample/M"},
            ),
            "Beyond": minimal(
                "PinPosition",
                uuid=new_uuid(),
                positionInPin=5,
                containerRef={"$ref": "#/LogisticalSample/M"},
            ),
        },
    }
    found = await _refusal(store, new)
    assert ("PinPosition/New/positionInPin", "position 1 of its container is taken twice") in found
    beyond = "position 5 is beyond the 4 positions of its MultiPin"
    assert ("PinPosition/Beyond/positionInPin", beyond) in found


async def test_a_hidden_stored_puck_answers_as_an_unknown_one(store: Store) -> None:
    alices = shipment_message(1, proposal="mx1234", positions=4)
    await store.import_message(alices)
    bob = Caller("bob", frozenset({"mx2222"}))
    answers = []
    for puck in (alices["Puck"]["Puck1"]["uuid"], new_uuid()):
        found = await _refusal(
            store, _into_stored_puck(puck, positionInPuck=1), caller=bob, proposal="mx2222"
        )
        answers.append({(path, message.replace(puck, "<uuid>")) for path, message in found})
    assert answers[0] == answers[1]
    assert not any("taken" in m or "mx1234" in m for _, m in answers[0])


async def test_a_cycle_through_a_stubbed_stored_object_is_refused(store: Store) -> None:
    """The first of a stored chain derived from its last, sent as a stub: the chain goes on
    from the stub (known, read in the transaction) through the middle, which the message does
    not hold, back to the first."""
    chain = derived_chain(3)  # 2 derived from 1, 3 from 2
    await store.import_message(chain)
    first = {**chain["ReflectionSet"]["ReflectionSet1"]}
    first["derivedFromRef"] = {"$ref": "#/Dataset/Last"}
    message = {
        "version": "0.6.13",
        "Dataset": {"Last": stub("Dataset", chain["ReflectionSet"]["ReflectionSet3"]["uuid"])},
        "ReflectionSet": {"ReflectionSet1": first},
    }
    found = await _refusal(store, message, policy="update_old")
    cycle = "makes a cycle: the chain comes back here"
    assert ("ReflectionSet/ReflectionSet1/derivedFromRef", cycle) in found, found
