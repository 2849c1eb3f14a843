"""Writes a hostile or unlucky caller could try: races, scans across proposals, rules bypassed
through a container, deep chains, questions too large to run (regressions of a review)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mxlims_store.errors import Conflict, InvalidMessage, MxlimsError
from mxlims_store.store import Caller, FindQuery, Store
from tests.factories import minimal, new_uuid, ref, shipment_message

ALICE = Caller("alice", frozenset({"mx1234"}))
BOB = Caller("bob", frozenset({"mx2222"}))
STAFF = Caller("staff", None, "staff")


async def test_two_patches_racing_for_one_position_cannot_both_win(store: Store) -> None:
    message = shipment_message(2, positions=8)
    await store.import_message(message)
    pins = [message["Pin"][key]["uuid"] for key in ("Pin1", "Pin2")]
    outcomes = await asyncio.gather(
        *(store.update(pin, {"positionInPuck": 5}, revision=1) for pin in pins),
        return_exceptions=True,
    )
    assert sum(isinstance(o, InvalidMessage) for o in outcomes) == 1, outcomes
    page = await store.find(FindQuery("Pin", {"positionInPuck": 5}, with_total=True))
    assert page.total == 1


async def test_two_events_racing_cannot_skip_the_journey(store: Store) -> None:
    await store.import_message(shipment_message(1))
    await store.record_event("DW-1", "prepared")
    outcomes = await asyncio.gather(
        store.record_event("DW-1", "shipped"),
        store.record_event("DW-1", "closed"),
        return_exceptions=True,
    )
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1, outcomes
    states = [e["state"] for e in (await store.where("DW-1"))["events"]]
    assert len(states) == 2


async def test_a_scan_of_a_barcode_two_proposals_use_is_refused_not_misfiled(
    store: Store,
) -> None:
    await store.import_message(shipment_message(1, proposal="mx1234"), caller=ALICE)
    await store.import_message(shipment_message(1, proposal="mx2222"), caller=BOB)
    with pytest.raises(Conflict, match="2 proposals"):
        await store.record_event("DW-1", "received", caller=STAFF)
    await store.record_event("DW-1", "received", caller=ALICE)  # a member's scan is its own


async def test_an_import_never_tells_whose_a_hidden_uuid_is(store: Store) -> None:
    alices = shipment_message(1, proposal="mx1234")
    await store.import_message(alices, caller=ALICE)
    hidden = alices["Pin"]["Pin1"]["uuid"]
    probe = {
        "version": "0.6.13",
        "LogisticalSample": {"X": {"mxlimsBaseType": "LogisticalSample", "uuid": hidden}},
        "Crystal": {"C1": minimal("Crystal", containerRef={"$ref": "#/LogisticalSample/X"})},
    }
    with pytest.raises(InvalidMessage) as caught:
        await store.import_message(probe, caller=BOB, dry_run=True)
    said = " ".join(p.message for p in caught.value.problems)
    assert "mx1234" not in said and "names no object" in said
    taken = {"version": "0.6.13", "Pin": {"P": {"mxlimsType": "Pin", "uuid": hidden}}}
    with pytest.raises(InvalidMessage) as caught:
        await store.import_message(taken, caller=BOB, policy="update_old")
    assert "taken" not in str(caught.value) and "mx1234" not in str(caught.value)


async def test_moving_a_container_cannot_bring_a_duplicate_barcode(store: Store) -> None:
    first = shipment_message(2)
    second = shipment_message(1)  # its pin is PIN-1 too, in puck PK-1 of another shipment
    await store.import_message(first)
    await store.import_message(second)
    puck = second["Puck"]["Puck1"]["uuid"]
    with pytest.raises(InvalidMessage) as caught:
        await store.update(puck, {"containerId": first["Dewar"]["Dewar1"]["uuid"]}, revision=1)
    found = {(p.path, p.message) for p in caught.value.problems}
    assert ("containerId", "brings barcode 'PIN-1' into a shipment that has it already") in found
    assert ("barcode", "barcode 'PK-1' is used twice in the shipment") in found  # the puck's own


async def test_a_container_cannot_shrink_below_its_occupied_positions(store: Store) -> None:
    message = shipment_message(4, positions=8)
    await store.import_message(message)
    puck = message["Puck"]["Puck1"]
    with pytest.raises(InvalidMessage, match="3, 4 are in use, beyond 2"):
        await store.update(puck["uuid"], {"numberPositions": 2}, revision=1)
    smaller = {"version": "0.6.13", "Puck": {"P": {**minimal("Puck"), "uuid": puck["uuid"]}}}
    smaller["Puck"]["P"]["numberPositions"] = 1
    with pytest.raises(InvalidMessage, match="beyond 1"):
        await store.import_message(smaller, policy="update_old")
    await store.update(puck["uuid"], {"numberPositions": 4}, revision=1)  # still fits


def _chain(length: int) -> dict[str, Any]:
    uuids = [new_uuid() for _ in range(length)]
    jobs = {}
    for n, uuid in enumerate(uuids, start=1):
        job = minimal("MxProcessing", uuid=uuid)
        if n < length:
            job["startedFromRef"] = ref("MxProcessing", n + 1)
        jobs[f"MxProcessing{n}"] = job
    return {"version": "0.6.13", "MxProcessing": jobs}


async def test_deep_chains_are_cascaded_and_checked_to_the_end(store: Store) -> None:
    message = _chain(70)
    await store.import_message(message, proposal="mx1234")
    last = message["MxProcessing"]["MxProcessing70"]["uuid"]
    first = message["MxProcessing"]["MxProcessing1"]["uuid"]
    with pytest.raises(InvalidMessage, match="cycle"):
        await store.update(last, {"startedFromId": first}, revision=1)
    deleted = await store.delete(last, cascade=True)
    assert len(deleted) == 70 and await store.stats() == {}


@pytest.mark.parametrize(
    "query",
    [
        FindQuery("Pin", extension=("esrf.fr", "x", 10**23)),
        FindQuery("Pin", {"positionInPuck": float("nan")}),
        FindQuery("Pin", {".".join(["unitCell"] * 20): 1}),
    ],
    ids=["huge-integer", "nan", "deep-path"],
)
async def test_questions_that_cannot_be_run_are_refused_with_a_reason(
    store: Store, query: FindQuery
) -> None:
    with pytest.raises(MxlimsError):
        await store.find(query)


async def test_a_long_list_of_values_is_one_question(store: Store) -> None:
    await store.import_message(shipment_message(3))
    page = await store.find(FindQuery("Pin", {"positionInPuck": {"$in": list(range(600))}}))
    assert len(page.items) == 3


async def test_a_stub_of_the_wrong_core_type_is_refused(store: Store) -> None:
    message = shipment_message(1)
    await store.import_message(message)
    shipment = message["Shipment"]["Shipment1"]["uuid"]
    stub = {"version": "0.6.13", "Job": {"Job1": {"mxlimsBaseType": "Job", "uuid": shipment}}}
    with pytest.raises(InvalidMessage, match="names a stored Shipment, not a Job"):
        await store.import_message(stub)
    right = {"version": "0.6.13", "LogisticalSample": {"S1": {"uuid": shipment}}}
    assert (await store.import_message(right)).created == {}


async def test_a_member_cannot_store_a_shipment_labelled_as_another_proposals(
    store: Store,
) -> None:
    """With ``proposal=`` its own, a member stored a Shipment whose proposalCode named another
    proposal: owned by the member, but a sheet, ISPyB push or staff search took it for the
    other proposal's."""
    message = shipment_message(1, proposal="mx1234")
    with pytest.raises(InvalidMessage) as refused:
        await store.import_message(message, caller=BOB, proposal="mx2222")
    assert any(
        p.path == "Shipment/Shipment1/proposalCode" and "'mx1234'" in p.message
        for p in refused.value.problems
    )
    assert (await store.stats()).get("Shipment", 0) == 0
    report = await store.import_message(message, caller=STAFF, proposal="mx2222")  # staff may
    assert report.created["Shipment"] == 1
