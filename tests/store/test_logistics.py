"""Sample tracking: a dewar's journey, derived sample status, integrity rules on every write path,
deleting with care, and all of it under the access rules."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from mxlims_store.errors import Conflict, InvalidMessage, MappingError, NotFound
from mxlims_store.store import Caller, Store
from tests.conftest import FIXTURES
from tests.factories import minimal, new_uuid, ref, results_message, shipment_message

ALICE = Caller("alice", frozenset({"mx1234"}))
BOB = Caller("bob", frozenset({"mx2222"}))


def _stats_unchanged(before: dict[str, int], after: dict[str, int]) -> bool:
    return before == after


async def test_a_dewar_travels_by_barcode_and_an_impossible_move_is_refused(store: Store) -> None:
    message = shipment_message(20)
    await store.import_message(message)
    journey = [
        ("prepared", {"location": "lab 2.17"}),
        ("shipped", {"trackingNumber": "1Z999", "note": "courier picked up"}),
        ("received", {"facility": "ESRF", "location": "stores"}),
        ("at_beamline", {"facility": "ESRF", "beamline": "ID23-1"}),
        ("returned", {"trackingNumber": "1Z777"}),
    ]
    for number, (state, details) in enumerate(journey, start=1):
        event = await store.record_event("DW-1", state, **details)
        assert event["state"] == state and event["actor"] == "test admin"
        where = await store.where("DW-1")
        assert where["state"] == state
        assert [e["state"] for e in where["events"]] == [s for s, _ in journey[:number]]
        placed = [d for _, d in journey[:number] if "location" in d or "facility" in d]
        expected = {k: v for k, v in placed[-1].items() if k != "trackingNumber"}
        assert where["location"] == (expected if state != "returned" else {})  # none on return
    assert where["trackingNumber"] == "1Z777"
    with pytest.raises(Conflict, match="cannot go from returned to shipped"):
        await store.record_event("DW-1", "shipped")
    dewar = message["Dewar"]["Dewar1"]["uuid"]
    assert (await store.where(dewar))["state"] == "returned"  # by uuid: the same answer
    await store.record_event(dewar, "prepared")  # a new journey may start
    with pytest.raises(InvalidMessage, match="state"):
        await store.record_event(dewar, "teleported")
    with pytest.raises(NotFound):
        await store.record_event("NO-SUCH-BARCODE", "received")
    with pytest.raises(InvalidMessage, match="has no journey"):
        await store.record_event(
            message["MacromoleculeSample"]["MacromoleculeSample1"]["uuid"], "shipped"
        )


async def test_exports_stay_mxlims_with_events_recorded(store: Store) -> None:
    message = shipment_message(2)
    await store.import_message(message)
    await store.record_event("DW-1", "prepared")
    exported = await store.shipment_results(message["Shipment"]["Shipment1"]["uuid"])
    assert "events" not in str(exported.keys()) and "state" not in exported["Dewar"]["Dewar1"]


def _with_result(results: dict[str, Any], resolution: float, group: str) -> dict[str, Any]:
    reflections = results["ReflectionSet"]["ReflectionSet1"]
    reflections["spaceGroupName"] = group
    reflections["reflectionStatisticsOverall"] = {
        "resolutionLimits": [40.0, resolution],
        "Completeness": 99.5,
    }
    results["MxExperiment"]["MxExperiment1"]["jobStatus"] = "Completed"
    return results


async def test_status_counts_and_best_results_per_pin(store: Store) -> None:
    message = shipment_message(6)
    await store.import_message(message)
    for pin, resolution in (("Pin1", 1.9), ("Pin2", 2.4)):
        await store.import_message(
            _with_result(results_message(message, pin_key=pin), resolution, "P 21 21 21"),
            policy="update_old",
        )
    second = _with_result(results_message(message, pin_key="Pin1"), 1.6, "P 1")
    await store.import_message(second, policy="update_old")  # a better dataset of Pin1
    collected = results_message(message, pin_key="Pin3")
    del collected["MxProcessing"], collected["ReflectionSet"]
    await store.import_message(collected, policy="update_old")
    failed = results_message(message, pin_key="Pin4")
    failed = {
        k: v
        for k, v in failed.items()
        if k in ("version", "Pin", "MacromoleculeSample", "Crystal", "MxExperiment")
    }
    failed["MxExperiment"]["MxExperiment1"]["jobStatus"] = "Failed"
    await store.import_message(failed, policy="update_old")

    answer = await store.status(message["Dewar"]["Dewar1"]["uuid"])
    assert answer["counts"] == {"planned": 2, "collected": 1, "processed": 2, "failed": 1}
    by_pin = {line["barcode"]: line for line in answer["positions"]}
    assert by_pin["PIN-1"]["status"] == "processed" and by_pin["PIN-1"]["resolution"] == 1.6
    assert by_pin["PIN-1"]["spaceGroup"] == "P 1" and by_pin["PIN-1"]["completeness"] == 99.5
    assert by_pin["PIN-2"]["resolution"] == 2.4
    assert by_pin["PIN-3"]["status"] == "collected" and "resolution" not in by_pin["PIN-3"]
    assert by_pin["PIN-4"]["status"] == "failed"
    assert [line["position"] for line in answer["positions"]] == [1, 2, 3, 4, 5, 6]
    shipment = await store.status(message["Shipment"]["Shipment1"]["uuid"])
    assert shipment["counts"] == answer["counts"]


async def test_proposal_views(store: Store) -> None:
    first, second = shipment_message(2, proposal="mx1234"), shipment_message(3, proposal="mx1234")
    await store.import_message(first)
    await store.import_message(second)
    await store.import_message(shipment_message(1, proposal="mx2222"))
    await store.record_event(first["Dewar"]["Dewar1"]["uuid"], "prepared")
    await store.record_event(first["Shipment"]["Shipment1"]["uuid"], "shipped")
    listed = await store.proposal_shipments("mx1234")
    assert [s["uuid"] for s in listed] == [
        first["Shipment"]["Shipment1"]["uuid"],
        second["Shipment"]["Shipment1"]["uuid"],
    ]
    assert listed[0]["state"] == "shipped" and listed[1]["positions"] == 3
    results = await store.proposal_results("mx1234")
    assert len(results["Pin"]) == 5 and len(results["Shipment"]) == 2


async def test_members_see_only_their_proposals_events_and_status(store: Store) -> None:
    alices = shipment_message(2, proposal="mx1234")
    await store.import_message(alices, caller=ALICE)
    await store.record_event("DW-1", "prepared", caller=ALICE)
    dewar = alices["Dewar"]["Dewar1"]["uuid"]
    for read in (store.where, store.status):
        with pytest.raises(NotFound):
            await read(dewar, caller=BOB)
    with pytest.raises(NotFound):
        await store.record_event("DW-1", "shipped", caller=BOB)
    for proposal_read in (store.proposal_shipments, store.proposal_results, store.samples):
        with pytest.raises(NotFound):  # as for a proposal that does not exist
            await proposal_read("mx1234", caller=BOB)
    assert (await store.where(dewar, caller=ALICE))["state"] == "prepared"


# -- integrity rules on the message, sheet and PATCH paths ---------------------------------


def _message_with(change: Any) -> dict[str, Any]:
    message = shipment_message(4, positions=4)
    change(message)
    return message


MESSAGE_CASES = {
    "position-twice": (
        lambda m: m["Pin"]["Pin2"].update(positionInPuck=1),
        "Pin/Pin2/positionInPuck",
        "taken twice",
    ),
    "beyond-capacity": (
        lambda m: m["Pin"]["Pin4"].update(positionInPuck=5),
        "Pin/Pin4/positionInPuck",
        "beyond the 4 positions",
    ),
    # Containment and sample parents cannot go round with concrete types (the link table
    # forbids a Puck in a Pin, a Macromolecule with a parent): data and jobs can.
    "derived-cycle": (
        lambda m: m.update(
            ReflectionSet={
                "ReflectionSet1": minimal("ReflectionSet", derivedFromRef=ref("ReflectionSet", 2)),
                "ReflectionSet2": minimal("ReflectionSet", derivedFromRef=ref("ReflectionSet", 1)),
            }
        ),
        "ReflectionSet/ReflectionSet1/derivedFromRef",
        "cycle",
    ),
    "started-from-cycle": (
        lambda m: m.update(
            MxProcessing={
                "MxProcessing1": minimal("MxProcessing", startedFromRef=ref("MxProcessing", 3)),
                "MxProcessing2": minimal("MxProcessing", startedFromRef=ref("MxProcessing", 1)),
                "MxProcessing3": minimal("MxProcessing", startedFromRef=ref("MxProcessing", 2)),
            }
        ),
        "MxProcessing/MxProcessing2/startedFromRef",
        "cycle",
    ),
    "container-self": (
        lambda m: m["Puck"]["Puck1"].update(containerRef=ref("Puck", 1)),
        "Puck/Puck1/containerRef",
        "",  # the link table already refuses a Puck in a Puck
    ),
    "derived-self": (
        lambda m: m.update(
            CollectionSweep={
                "CollectionSweep1": minimal(
                    "CollectionSweep", derivedFromRef=ref("CollectionSweep", 1)
                )
            }
        ),
        "CollectionSweep/CollectionSweep1/derivedFromRef",
        "points at the object itself",
    ),
    "barcode-twice": (
        lambda m: m["Pin"]["Pin3"].update(barcode="PIN-1"),
        "Pin/Pin3/barcode",
        "used twice",
    ),
}


@pytest.mark.parametrize("case", list(MESSAGE_CASES))
async def test_integrity_rules_on_the_message_path(store: Store, case: str) -> None:
    change, path, says = MESSAGE_CASES[case]
    with pytest.raises(InvalidMessage) as caught:
        await store.import_message(_message_with(change))
    assert any(p.path == path and says in p.message for p in caught.value.problems), (
        caught.value.problems
    )
    assert await store.stats() == {}


async def test_a_job_is_not_started_from_itself(store: Store) -> None:
    message = shipment_message(1, experiments=True)
    message["MxExperiment"]["MxExperiment1"]["startedFromRef"] = ref("MxExperiment", 1)
    with pytest.raises(InvalidMessage) as caught:
        await store.import_message(message)
    assert any(p.path == "MxExperiment/MxExperiment1/startedFromRef" for p in caught.value.problems)


async def test_a_cycle_through_stored_objects_is_refused_on_the_patch_path(store: Store) -> None:
    first, second = new_uuid(), new_uuid()
    message = {
        "version": "0.6.13",
        "ReflectionSet": {
            "ReflectionSet1": minimal("ReflectionSet", uuid=first),
            "ReflectionSet2": minimal(
                "ReflectionSet", uuid=second, derivedFromRef=ref("ReflectionSet", 1)
            ),
        },
    }
    await store.import_message(message, proposal="mx1234")
    with pytest.raises(InvalidMessage) as caught:
        await store.update(first, {"derivedFromId": second}, revision=1)
    assert [(p.path, "cycle" in p.message) for p in caught.value.problems] == [
        ("derivedFromId", True)
    ]
    with pytest.raises(InvalidMessage, match="itself"):
        await store.update(first, {"derivedFromId": first}, revision=1)


PATCH_CASES = {
    "position-twice": ("Pin2", {"positionInPuck": 1}, "positionInPuck", "taken twice"),
    "beyond-capacity": ("Pin2", {"positionInPuck": 9}, "positionInPuck", "beyond"),
    "barcode-twice": ("Pin2", {"barcode": "PIN-1"}, "barcode", "used twice"),
    "container-self": ("Pin2", {"containerId": "self"}, "containerId", ""),
}


@pytest.mark.parametrize("case", list(PATCH_CASES))
async def test_integrity_rules_on_the_patch_path(store: Store, case: str) -> None:
    message = shipment_message(4, positions=4)
    await store.import_message(message)
    key, changes, path, says = PATCH_CASES[case]
    uuid = message["Pin"][key]["uuid"]
    changes = {k: uuid if v == "self" else v for k, v in changes.items()}
    before = await store.get(uuid)
    with pytest.raises(InvalidMessage) as caught:
        await store.update(uuid, changes, revision=1)
    assert any(p.path == path and says in p.message for p in caught.value.problems)
    assert (await store.get(uuid)) == before


async def test_container_cycle_on_the_patch_path(store: Store) -> None:
    message = shipment_message(1)
    await store.import_message(message)
    dewar = message["Dewar"]["Dewar1"]["uuid"]
    puck = message["Puck"]["Puck1"]["uuid"]
    with pytest.raises(InvalidMessage):  # a Dewar in a Puck: refused by the link table already
        await store.update(dewar, {"containerId": puck}, revision=1)


def _sheet(change: Any, site: str = "dls") -> bytes:
    text = (FIXTURES / "sheets" / f"{site}_shipment.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    change(rows)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


SHEET_CASES = {
    "position-twice": lambda rows: rows[2].__setitem__(rows[0].index("samplePosition"), "1"),
    "barcode-twice": lambda rows: rows[2].__setitem__(
        rows[0].index("sampleBarcode"), rows[1][rows[0].index("sampleBarcode")]
    ),
}


@pytest.mark.parametrize("case", list(SHEET_CASES))
async def test_integrity_rules_on_the_sheet_path(store: Store, case: str) -> None:
    with pytest.raises((InvalidMessage, MappingError)) as caught:
        await store.import_sheet("dls", _sheet(SHEET_CASES[case]), filename="s.csv")
    assert caught.value.problems  # row and column, or JSON path
    assert await store.stats() == {}


def _two_positions(rows: list[list[str]]) -> None:
    column = rows[0].index("number of positions")
    for row in rows[1:]:
        if len(row) > column and row[column]:
            row[column] = "2"


async def test_capacity_on_the_sheet_path(store: Store) -> None:
    """ESRF sheets number pins by row order within a puck: a third pin in a puck declared to
    have two positions is refused."""
    with pytest.raises((InvalidMessage, MappingError)) as caught:
        await store.import_sheet("esrf", _sheet(_two_positions, "esrf"), filename="s.csv")
    assert any("beyond" in p.message or "position" in p.message for p in caught.value.problems)
    assert await store.stats() == {}


async def test_a_barcode_in_another_open_shipment_is_a_warning(store: Store) -> None:
    first = shipment_message(1)
    await store.import_message(first)
    again = shipment_message(1)  # the same dewar and pin barcodes, a new shipment
    report = await store.import_message(again)
    assert any("DW-1" in w and "open shipment" in w for w in report.warnings)
    await store.record_event(first["Shipment"]["Shipment1"]["uuid"], "received")
    await store.record_event(first["Shipment"]["Shipment1"]["uuid"], "returned")
    third = await store.import_message(shipment_message(1))
    assert not any(first["Shipment"]["Shipment1"]["uuid"] in w for w in third.warnings)


# -- deleting with care --------------------------------------------------------------------


async def test_a_delete_that_would_leave_dangling_links_is_refused_unless_cascade(
    store: Store,
) -> None:
    message = shipment_message(3)
    await store.import_message(message)
    results = results_message(message)
    await store.import_message(results, policy="update_old")
    puck = message["Puck"]["Puck1"]["uuid"]
    before = await store.stats()
    with pytest.raises(Conflict) as caught:
        await store.delete(puck)
    assert {p.path for p in caught.value.problems} == {p["uuid"] for p in message["Pin"].values()}
    assert await store.stats() == before
    deleted = await store.delete(puck, cascade=True)
    assert puck in deleted and results["ReflectionSet"]["ReflectionSet1"]["uuid"] in deleted
    left = await store.stats()
    assert "Pin" not in left and "ReflectionSet" not in left and left["Dewar"] == 1
    history = await store.history(message["Pin"]["Pin1"]["uuid"])
    assert history[-1]["operation"] == "delete"


async def test_shipments_are_found_by_barcode_or_container_name_in_any_case(store: Store) -> None:
    message = shipment_message(2)
    message["Dewar"]["Dewar1"]["name"] = "MX2450-dewar-A"
    await store.import_message(message)
    shipment = message["Shipment"]["Shipment1"]["uuid"]
    for search in ("PIN-2", "pin-2", "MX2450-dewar-A", "mx1234"):
        assert [s["uuid"] for s in await store.shipments(search=search)] == [shipment], search
    assert await store.shipments(search="PIN-99") == []


async def test_open_shipment_warnings_come_in_one_order(store: Store) -> None:
    """The same import answers with the same warnings in the same order in every process: the
    other open shipments are named in uuid order, not in a set's (which moves with the
    interpreter's hash seed, so two server processes gave the report differently)."""
    for _ in range(6):
        await store.import_message(shipment_message(1))
    report = await store.import_message(shipment_message(1))
    named = [w.split("open shipment ")[1].split()[0] for w in report.warnings if "'DW-1'" in w]
    assert len(named) == 6 and named == sorted(named)
