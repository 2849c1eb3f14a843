"""A sheet uploaded again updates its shipment; a facility's return finds the sheet's objects."""

from __future__ import annotations

from typing import Any

from mxlims_store.mappings import read_sheet
from mxlims_store.store import FindQuery, Store
from tests.mappings.mapping_helpers import fixture


def _edited(data: bytes, old: str, new: str) -> bytes:
    assert data.count(old.encode()) == 1, old
    return data.replace(old.encode(), new.encode())


def _without_line(data: bytes, contains: str) -> bytes:
    lines = data.decode("utf-8-sig").splitlines(keepends=True)
    kept = [line for line in lines if contains not in line]
    assert len(kept) == len(lines) - 1
    return "".join(kept).encode()


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
    at_facility = read_sheet("esrf", data, filename=name, proposal_code="mx2450")
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
    returned = _results_of(read_sheet("esrf", data, filename=name, proposal_code="mx2450"))
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
