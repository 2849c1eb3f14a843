"""A sheet uploaded again updates its shipment; a facility's return finds the sheet's objects."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mxlims_store.errors import Conflict, MappingError
from mxlims_store.mappings import read_sheet
from mxlims_store.mappings.identities import keyed_by_store
from mxlims_store.store import Caller, FindQuery, Store
from mxlims_store.store.store_secret import store_secret
from tests.mappings.mapping_helpers import fixture


def _edited(data: bytes, old: str, new: str) -> bytes:
    assert data.count(old.encode()) == 1, old
    return data.replace(old.encode(), new.encode())


def _without_line(data: bytes, contains: str) -> bytes:
    lines = data.decode("utf-8-sig").splitlines(keepends=True)
    kept = [line for line in lines if contains not in line]
    assert len(kept) == len(lines) - 1
    return "".join(kept).encode()


async def _as_the_store_reads(store: Store, data: bytes, name: str) -> dict[str, Any]:
    """The sheet read as this store reads it: its uuids keyed with the store's secret (a
    facility returning results into this store finds the same objects)."""
    message = read_sheet("esrf", data, filename=name, proposal_code="mx2450")
    keyed_by_store(message, await store_secret(store.db))
    return message


async def _count(store: Store, type_: str) -> int:
    return (await store.find(FindQuery(type_, with_total=True))).total or 0


async def test_the_same_sheet_read_twice_gives_the_same_uuids() -> None:
    data, name = fixture("dls")
    first, again = read_sheet("dls", data, filename=name), read_sheet("dls", data)
    uuids = [o["uuid"] for t, b in first.items() if t != "version" for o in b.values()]
    assert uuids == [o["uuid"] for t, b in again.items() if t != "version" for o in b.values()]
    assert len(set(uuids)) == len(uuids)
    other = read_sheet("dls", data.replace(b"mx,23456", b"mx,23457"))  # another proposal
    assert not set(uuids) & {
        o["uuid"] for t, b in other.items() if t != "version" for o in b.values()
    }


async def test_a_corrected_sheet_updates_its_shipment_in_place(store: Store) -> None:
    data, name = fixture("esrf")
    first = await store.import_sheet("esrf", data, filename=name, proposal="mx2450")
    before = {t: await _count(store, t) for t in ("Shipment", "Dewar", "Puck", "Pin")}
    corrected = _edited(data, "hewl_1102,ESRF-PIN-301,P43212", "hewl_1102,ESRF-PIN-301,P41212")
    report = await store.import_sheet("esrf", corrected, filename="fixed.csv", proposal="mx2450")
    assert report.created == {} and report.updated == {"MxExperiment": 1}
    assert report.keys == first.keys  # same objects, same uuids
    assert {t: await _count(store, t) for t in before} == before  # nothing doubled
    experiment = await store.get(report.keys["MxExperiment/MxExperiment2"])
    assert experiment.data["expectedSpaceGroupName"] == "P41212"
    history = await store.history(experiment.data["uuid"])
    assert [e["revision"] for e in history] == [1, 2]
    assert report.warnings == []


async def test_a_reupload_that_moves_or_drops_pins_says_so(store: Store) -> None:
    data, name = fixture("esrf")
    first = await store.import_sheet("esrf", data, filename=name)
    shorter = _without_line(data, "ESRF-PIN-300")  # positions follow row order at the ESRF
    report = await store.import_sheet("esrf", shorter, filename=name)
    dropped = first.keys["Pin/Pin1"]
    [gone] = [w for w in report.warnings if dropped in w]
    assert "Pin ESRF-PIN-300" in gone and "not in the sheet" in gone and "kept" in gone
    moves = [w for w in report.warnings if " moves from " in w]
    assert len(moves) == 3  # ESRF-PIN-301..303 each move up one position in their puck
    assert all("position 2 to" in m or "position 3 to" in m or "position 4 to" in m for m in moves)
    assert await _count(store, "Shipment") == 1


async def test_a_shipment_without_proposal_or_name_is_named_after_its_first_dewar(
    store: Store,
) -> None:
    data, name = fixture("esrf")
    await store.import_sheet("esrf", data, filename=name)
    [listed] = await store.shipments()
    assert listed["name"] == "MX2450-dewar-A"


async def test_the_facility_return_of_a_sheet_shipment_gives_every_final_state(
    store: Store,
) -> None:
    """The user uploads a sheet; the facility reads the same sheet (same uuids), collects, and
    returns its MXLIMS results reusing them; one results file has every final state."""
    data, name = fixture("esrf")
    report = await store.import_sheet("esrf", data, filename=name, proposal="mx2450")
    at_facility = await _as_the_store_reads(store, data, name)
    returned = _results_of(at_facility)
    default = await store.import_message(returned)  # reject_new: kept as stored, and said so
    assert default.differing["MxExperiment"] == 14 and default.created["CollectionSweep"] == 14
    merged = await store.import_message(returned, policy="merge")
    assert merged.updated["MxExperiment"] == 14
    one_file = await store.shipment_results(report.keys["Shipment/Shipment1"])
    experiments = list(one_file["MxExperiment"].values())
    assert len(experiments) == 14
    assert {e["jobStatus"] for e in experiments} == {"Completed"}
    assert all(e["startTime"] and e["endTime"] for e in experiments)
    assert len(one_file["CollectionSweep"]) == 28  # each pin's template and its result


def _results_of(message: dict[str, Any]) -> dict[str, Any]:
    """What a facility sends back: the experiments completed, with times, and one dataset each."""
    out: dict[str, Any] = {"version": "0.6.13", "MxExperiment": {}, "CollectionSweep": {}}
    for n, (key, experiment) in enumerate(message["MxExperiment"].items(), start=1):
        done = {k: v for k, v in experiment.items() if not k.endswith(("Ref", "Refs"))}
        done |= {
            "jobStatus": "Completed",
            "startTime": f"2026-11-20T10:{n:02d}:00Z",
            "endTime": f"2026-11-20T10:{n:02d}:30Z",
        }
        out["MxExperiment"][key] = done
        out["CollectionSweep"][f"Result{n}"] = {
            "mxlimsType": "CollectionSweep",
            "scanAxis": "omega",
            "numberImages": 3600,
            "sourceRef": {"$ref": f"#/MxExperiment/{key}"},
        }
    return out


async def test_an_emptied_cell_removes_its_value_and_a_return_survives_a_reupload(
    store: Store,
) -> None:
    data, name = fixture("esrf")
    first = await store.import_sheet("esrf", data, filename=name, proposal="mx2450")
    returned = _results_of(await _as_the_store_reads(store, data, name))
    await store.import_message(returned, policy="merge")
    row = next(line for line in data.decode().splitlines() if "hewl_1102" in line)
    emptied = _edited(data, row, row.replace(',"small crystal, handle with care"', ","))
    report = await store.import_sheet("esrf", emptied, filename=name, proposal="mx2450")
    sample = await store.get(first.keys["MacromoleculeSample/MacromoleculeSample2"])
    assert "annotation" not in sample.data and report.updated["MacromoleculeSample"] == 1
    experiment = await store.get(first.keys["MxExperiment/MxExperiment2"])
    assert experiment.data["jobStatus"] == "Completed" and experiment.data["endTime"]


async def test_cells_kept_as_written_are_warnings_of_the_import(store: Store) -> None:
    data, name = fixture("dls")
    unknown = data.replace(b",Nylon,", b",Kapton 20um,", 1)
    report = await store.import_sheet("dls", unknown, filename=name)
    [warning] = report.warnings
    assert warning.startswith("row 2, column 'loopType'") and "Kapton 20um" in warning


async def test_a_renamed_dewar_moves_its_pucks_and_the_old_dewar_is_named(store: Store) -> None:
    data, name = fixture("dls")
    first = await store.import_sheet("dls", data, filename=name)
    renamed = data.replace(b"DLS-MX-0101", b"DLS-MX-0999")
    report = await store.import_sheet("dls", renamed, filename=name)
    assert report.created.get("Dewar") == 1 and "Puck" not in report.created
    old = first.keys["Dewar/Dewar1"]
    assert any(old in w and "not in the sheet" in w for w in report.warnings)
    assert any("Puck DLS-CPS-0011" in w and "moves from" in w for w in report.warnings)
    assert "containerId" not in (await store.get(old)).data  # taken out of the shipment


async def test_another_shipment_under_the_same_name_is_refused_not_taken_over(
    store: Store,
) -> None:
    data, name = fixture("esrf")
    await store.import_sheet("esrf", data, filename=name, proposal="mx2450")
    other = data
    for n in range(300, 314):  # the same dewars and pucks, all new pins
        other = other.replace(f"ESRF-PIN-{n}".encode(), f"ESRF-PIN-{n + 100}".encode())
    with pytest.raises(Conflict, match="another shipment; give it a name of its own"):
        await store.import_sheet("esrf", other, filename=name, proposal="mx2450")
    named = await store.import_sheet("esrf", other, filename=name, proposal="mx2450", name="Dec")
    assert named.created["Shipment"] == 1
    assert len(await store.shipments()) == 2


async def test_a_proposal_other_than_the_sheets_is_refused_and_none_is_said(store: Store) -> None:
    data, name = fixture("dls")
    with pytest.raises(MappingError, match="for proposal mx23456, not mx1"):
        await store.import_sheet("dls", data, filename=name, proposal="mx1")
    esrf, esrf_name = fixture("esrf")
    report = await store.import_sheet("esrf", esrf, filename=esrf_name)
    assert any("belongs to no proposal" in w for w in report.warnings)


async def test_a_dropped_pin_leaves_its_place_and_a_store_refusal_names_rows(store: Store) -> None:
    data, name = fixture("esrf")
    first = await store.import_sheet("esrf", data, filename=name)
    await store.import_sheet("esrf", _without_line(data, "ESRF-PIN-300"), filename=name)
    dropped = (await store.get(first.keys["Pin/Pin1"])).data
    assert "containerId" not in dropped and "positionInPuck" not in dropped


async def test_concurrent_reuploads_take_turns(store: Store) -> None:
    data, name = fixture("dls")
    await store.import_sheet("dls", data, filename=name)
    changed = data.replace(b",DLS-PIN-4101,hewl_1102,2,", b",DLS-PIN-4101,hewl_1102,9,")
    results = await asyncio.gather(
        *(store.import_sheet("dls", changed if i % 2 else data, filename=name) for i in range(6))
    )
    assert all(r.policy == "update_old" for r in results)


async def test_a_members_sheet_without_a_proposal_is_its_one_proposals(store: Store) -> None:
    """ESRF sheets name no proposal: a member's upload without ``proposal`` is its one
    proposal's shipment, the same one as with the proposal given (uploading it again was
    refused as changing whose the shipment is)."""
    data, name = fixture("esrf")
    member = Caller("b", frozenset({"mx5678"}))
    first = await store.import_sheet("esrf", data, filename=name, caller=member)
    assert not any("belongs to no proposal" in w for w in first.warnings)
    shipment = first.keys["Shipment/Shipment1"]
    assert (await store.get(shipment)).data["proposalCode"] == "mx5678"
    for caller, proposal in ((None, "mx5678"), (member, None)):
        again = await store.import_sheet(
            "esrf", data, filename=name, caller=caller, proposal=proposal
        )
        assert again.keys["Shipment/Shipment1"] == shipment
        assert not again.created and not again.updated


async def test_a_sheet_stored_without_its_proposal_takes_it_when_uploaded_again(
    store: Store,
) -> None:
    """A member's sheet stored before its proposal was filled in (proposalCode ""): uploading
    it again fills the proposal in, which is not a change of whose it is; another proposal's
    code still is."""
    data, name = fixture("esrf")
    member = Caller("b", frozenset({"mx5678"}))
    old = read_sheet("esrf", data, filename=name)  # as a store without the default read it
    keyed_by_store(old, await store_secret(store.db))
    stored = await store.import_message(old, caller=member)
    assert stored.shipment is not None
    assert (await store.get(stored.shipment)).data["proposalCode"] == ""
    again = await store.import_sheet("esrf", data, filename=name, caller=member)
    assert again.shipment == stored.shipment and again.updated.get("Shipment") == 1
    assert (await store.get(stored.shipment)).data["proposalCode"] == "mx5678"
    relabel = await store.get(stored.shipment)
    with pytest.raises(MappingError, match="proposal 'mx1'"):
        await store.import_sheet("esrf", data, filename=name, caller=member, proposal="mx1")
    assert (await store.get(stored.shipment)).revision == relabel.revision
