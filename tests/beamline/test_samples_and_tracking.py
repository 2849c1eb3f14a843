"""The beamline's side of tracking (sample-changer positions, staff starting at the beamline,
pins mounted and unmounted, a staff key's beamline) and the MXCuBE sample list built on it."""

from __future__ import annotations

from typing import Any

import pytest

from mxlims_store.answers import MXCUBE_SAMPLE_KEYS, BeamlineSample
from mxlims_store.errors import Conflict, InvalidMessage, InvalidQuery, NotFound
from mxlims_store.store import Caller, Store
from tests.conftest import FIXTURES, load_json

STAFF = Caller("beamline id23-1", None, "staff", "ID23-1")
ALICE = Caller("alice", frozenset({"mx1234"}))
SHIPMENT = FIXTURES / "messages" / "shipment.json"


async def _shipment(store: Store) -> dict[str, Any]:
    message = load_json(SHIPMENT)
    await store.import_message(message)
    return message


def _pucks(message: dict[str, Any]) -> list[dict[str, Any]]:
    return list(message["Puck"].values())


async def test_every_pin_is_listed_once_in_mxcubes_shape(store: Store) -> None:
    message = await _shipment(store)
    proposal = message["Shipment"]["Shipment1"]["proposalCode"]
    listed = await store.samples(proposal)
    pins = {p["uuid"]: p for p in message["Pin"].values()}
    assert sorted(e["uuid"] for e in listed) == sorted(pins)
    pucks = {p["uuid"]: p for p in _pucks(message)}
    for entry in listed:
        shown = BeamlineSample.model_validate(entry).to_dict()
        assert set(MXCUBE_SAMPLE_KEYS) <= set(shown)
        pin = pins[entry["uuid"]]
        assert entry["sampleLocation"] == pin["positionInPuck"]
        puck = pucks[entry["containerUuid"]]
        assert entry["containerCode"] == (puck.get("barcode") or puck["name"])
        assert isinstance(entry["sampleId"], int) and isinstance(entry["crystalId"], int)
        assert entry["containerSampleChangerLocation"] is None  # no puck at a beamline yet
        plan = entry["diffractionPlan"]
        assert isinstance(plan["diffractionPlanId"], int)
        experiment = (await store.get(plan["uuid"])).to_dict()
        assert experiment["logisticalSampleRef"] == {"$ref": entry["uuid"]}
        assert entry["crystalSpaceGroup"] == experiment.get("expectedSpaceGroupName")
        assert entry["proteinAcronym"]
    ids = [e["sampleId"] for e in listed]
    assert len(set(ids)) == len(ids)
    with pytest.raises(NotFound) as unseen:  # as for a proposal that does not exist
        await store.samples(proposal, caller=Caller("eve", frozenset({"other"})))
    with pytest.raises(NotFound) as missing:
        await store.samples("no-such-proposal")
    assert unseen.value.message == missing.value.message
    assert proposal == "mx1234"
    assert len(await store.samples(proposal, caller=ALICE)) == len(pins)


async def test_loaded_lists_exactly_the_pucks_whose_latest_event_is_at_beamline(
    store: Store,
) -> None:
    message = await _shipment(store)
    proposal = message["Shipment"]["Shipment1"]["proposalCode"]
    first, second, third, *_ = _pucks(message)
    assert await store.samples(proposal, loaded=True, caller=STAFF) == []
    # a puck reaching the beamline without earlier events: staff may start there
    await store.record_event(first["uuid"], "at_beamline", sampleChangerPosition=3, caller=STAFF)
    await store.record_event(
        second["uuid"], "at_beamline", beamline="ID30A-3", sampleChangerPosition=1, caller=STAFF
    )
    await store.record_event(third["uuid"], "at_beamline", caller=STAFF)
    await store.record_event(third["uuid"], "stored", caller=STAFF)  # no longer loaded
    where = await store.where(first["uuid"])
    assert where["location"]["beamline"] == "ID23-1"  # the staff key's own beamline
    assert where["location"]["sampleChangerPosition"] == 3

    def pucks_of(entries: list[dict[str, Any]]) -> set[str]:
        return {e["containerUuid"] for e in entries}

    at_mine = await store.samples(proposal, loaded=True, caller=STAFF)
    assert pucks_of(at_mine) == {first["uuid"]}
    assert {e["containerSampleChangerLocation"] for e in at_mine} == {3}
    other = await store.samples(proposal, beamline="ID30A-3", caller=STAFF)
    assert pucks_of(other) == {second["uuid"]}
    anywhere = await store.samples(proposal, loaded=True)  # the local admin: no beamline
    assert pucks_of(anywhere) == {first["uuid"], second["uuid"]}
    with pytest.raises(InvalidQuery):
        await store.samples(proposal, beamline="ID23-1", loaded=False)


async def test_members_may_not_start_at_the_beamline_and_positions_are_checked(
    store: Store,
) -> None:
    message = await _shipment(store)
    puck = _pucks(message)[0]["uuid"]
    member = Caller("m", frozenset({message["Shipment"]["Shipment1"]["proposalCode"]}))
    with pytest.raises(Conflict):
        await store.record_event(puck, "at_beamline", caller=member)
    for bad in (0, 1001, "3"):
        with pytest.raises(InvalidMessage) as refused:
            await store.record_event(puck, "at_beamline", sampleChangerPosition=bad, caller=STAFF)
        assert refused.value.problems[0].path == "sampleChangerPosition"
    with pytest.raises(InvalidMessage) as refused:  # where a puck is at the beamline
        await store.record_event(puck, "received", sampleChangerPosition=2, caller=STAFF)
    assert "only with state at_beamline, not 'received'" in refused.value.problems[0].message
    assert (await store.where(puck))["events"] == []


async def test_a_pin_is_mounted_and_unmounted_and_a_puck_is_not(store: Store) -> None:
    message = await _shipment(store)
    pin = next(iter(message["Pin"].values()))["uuid"]
    puck = _pucks(message)[0]["uuid"]
    await store.record_event(pin, "mounted", caller=STAFF)
    await store.record_event(pin, "unmounted", caller=STAFF)
    await store.record_event(pin, "mounted", caller=STAFF)
    where = await store.where(pin)
    assert [e["state"] for e in where["events"]] == ["mounted", "unmounted", "mounted"]
    assert where["events"][0]["beamline"] == "ID23-1"
    with pytest.raises(InvalidMessage):
        await store.record_event(puck, "mounted", caller=STAFF)
    with pytest.raises(Conflict):
        await store.record_event(pin, "shipped", caller=STAFF)


async def test_a_staff_key_carries_its_beamline_and_a_member_key_may_not(store: Store) -> None:
    created = await store.create_key(name="id23-1", role="staff", beamline="ID23-1")
    assert created["beamline"] == "ID23-1"
    caller = await store.authenticate(created["key"])
    assert caller.beamline == "ID23-1" and caller.effective_role == "staff"
    with pytest.raises(InvalidMessage) as refused:
        await store.create_key(name="m", role="member", proposals=["mx1"], beamline="ID23-1")
    assert refused.value.problems[0].path == "beamline"


async def test_returned_results_leave_each_pin_its_diffraction_plan(store: Store) -> None:
    """The facility's results move a planned experiment onto the Crystal measured in the pin
    (fixtures/messages/results.json does): MXCuBE's list still shows the pin's plan."""
    message = await _shipment(store)
    planned = {
        e["logisticalSampleRef"]["$ref"].rsplit("/", 1)[-1]: e
        for e in message["MxExperiment"].values()
    }
    pin_of_key = {key: pin["uuid"] for key, pin in message["Pin"].items()}
    await store.import_message(load_json(FIXTURES / "messages" / "results.json"), policy="merge")
    listed = await store.samples("mx1234")
    assert len(listed) == len(pin_of_key)
    plan_of = {pin_of_key[k]: e for k, e in planned.items() if k in pin_of_key}
    for entry in listed:
        plan = entry["diffractionPlan"]
        assert plan, f"pin {entry['sampleName']} lost its plan"
        assert plan["uuid"] == plan_of[entry["uuid"]]["uuid"]
        assert entry["crystalSpaceGroup"] == plan_of[entry["uuid"]].get("expectedSpaceGroupName")


async def test_only_staff_record_mounting(store: Store) -> None:
    """The beamline's robot mounts samples; a member's key may not say a pin was mounted."""
    from mxlims_store.errors import PermissionDenied

    message = load_json(FIXTURES / "messages" / "shipment.json")
    await store.import_message(message)
    pin = next(iter(message["Pin"].values()))["uuid"]
    member = Caller(actor="m", proposals=frozenset({"mx1234"}))
    with pytest.raises(PermissionDenied, match="only facility staff"):
        await store.record_event(pin, "mounted", caller=member)
    assert (await store.where(pin))["state"] != "mounted"
