"""Each facility's realistic sheet -> MXLIMS -> the same and every other facility's sheet."""

from __future__ import annotations

from typing import Any

import pytest

from mxlims_store.mappings import get_site, read_sheet, write_sheet
from tests.conftest import conformance_errors, needs_shared
from tests.mappings.mapping_helpers import (
    SITES,
    chains,
    fixture,
    imported,
    same_cell,
    sheet_rows,
)


def sample_column(site: str) -> str:
    return next(c.header for c in get_site(site).columns if c.field == "MacromoleculeSample.name")


@needs_shared
@pytest.mark.parametrize("site", SITES)
def test_fixture_imports_to_a_valid_message(site: str) -> None:
    msg = imported(site)
    assert msg["version"] == "0.6.13"
    assert conformance_errors(msg, "MxlimsMessageStrict", patched=True) == []
    assert len(msg["Shipment"]) == 1
    assert len(msg["Dewar"]) >= 2 and len(msg["Puck"]) >= 3
    assert len(msg.get("Pin", {})) + len(msg.get("PinPosition", {})) >= 10
    assert len(msg["Macromolecule"]) >= 3
    n = len(msg["MacromoleculeSample"])
    assert len(msg["MxExperiment"]) == len(msg["CollectionSweep"]) == n
    uuids = [o["uuid"] for t, b in msg.items() if t != "version" for o in b.values()]
    assert len(set(uuids)) == len(uuids)
    for t, bucket in msg.items():
        if t != "version":
            assert list(bucket) == [f"{t}{i}" for i in range(1, len(bucket) + 1)]
    for exp in msg["MxExperiment"].values():
        assert exp["jobStatus"] == "Template"
        assert exp["templateDataRefs"][0]["$ref"].startswith("#/CollectionSweep/")
        assert exp["logisticalSampleRef"]["$ref"].startswith(("#/Pin/", "#/PinPosition/"))
    sf = get_site(site)
    if any(c.object_type == "MxProcessing" for c in sf.columns):
        assert msg.get("MxProcessing")
    if any(c.field is None for c in sf.columns):
        assert any(
            sf.domain in o.get("extensions", {})
            for t, b in msg.items()
            if t != "version"
            for o in b.values()
        )


def test_dedup_and_structure_dls() -> None:
    msg = imported("dls")
    ship = msg["Shipment"]["Shipment1"]
    assert ship["proposalCode"] == "mx23456" and ship["sessionNumber"] == 3
    assert {d["barcode"] for d in msg["Dewar"].values()} == {"DLS-MX-0101", "DLS-MX-0102"}
    assert {m["acronym"] for m in msg["Macromolecule"].values()} == {
        "HEWL",
        "THAU",
        "PRK",
        "TLN",
        "GI",
        "TRP",
    }
    # subLocation rows: one MultiPin at that puck position holding two PinPositions
    (mp,) = msg["MultiPin"].values()
    assert mp["positionInPuck"] == 7 and mp["numberPositions"] == 8
    assert sorted(p["positionInPin"] for p in msg["PinPosition"].values()) == [1, 2]
    sweep = msg["CollectionSweep"]["CollectionSweep1"]
    assert sweep["energy"] == 12658.0  # keV in the sheet, eV in MXLIMS
    assert msg["MxExperiment"]["MxExperiment1"]["extensions"]["diamond.ac.uk"] == {
        "centringMethod": "xray"
    }


def test_sls_space_group_number_and_cell_in_one_cell() -> None:
    exp = imported("sls")["MxExperiment"]["MxExperiment1"]
    assert exp["expectedSpaceGroupName"] == "P43212"
    assert exp["expectedUnitCell"] == {
        "a": 79.1,
        "b": 79.1,
        "c": 37.9,
        "alpha": 90.0,
        "beta": 90.0,
        "gamma": 90.0,
    }
    sample = imported("sls")["MacromoleculeSample"]["MacromoleculeSample1"]
    assert sample["campaignName"] == "FFCS"


def test_row_order_positions_esrf() -> None:
    msg = imported("esrf")
    by_puck: dict[str, list[int]] = {}
    for pin in msg["Pin"].values():
        by_puck.setdefault(pin["containerRef"]["$ref"], []).append(pin["positionInPuck"])
    assert sorted(by_puck.values()) == [[1, 2], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]
    beam = msg["CollectionSweep"]["CollectionSweep1"]["beamSize"]
    assert beam == [0.05, 0.05]  # 50 um diameter -> mm pair


@pytest.mark.parametrize("fmt", ["csv", "tsv", "xlsx"])
@pytest.mark.parametrize("site", SITES)
def test_same_facility_round_trip(site: str, fmt: str) -> None:
    data, name = fixture(site)
    out = write_sheet(site, imported(site), fmt=fmt)
    assert out.losses == []
    assert out.warnings == []
    key = sample_column(site)
    original = {r[key]: r for r in sheet_rows(site, data, name)}
    exported = {r[key]: r for r in sheet_rows(site, out.content, f"x.{fmt}")}
    assert original.keys() == exported.keys()
    for sample, row in original.items():
        for header, cell in row.items():
            back = exported[sample][header]
            assert same_cell(cell, back), (sample, header, cell, back)
    # ... and the exported sheet imports again to the same values
    again = read_sheet(site, out.content, filename=f"x.{fmt}")
    assert_same_values(imported(site), again, site)


def strip(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "uuid" and not k.endswith(("Ref", "Refs"))}


def assert_same_values(a: dict[str, Any], b: dict[str, Any], site: str) -> None:
    ca, cb = chains(a), chains(b)
    assert ca.keys() == cb.keys()
    for sample, roles in ca.items():
        assert roles.keys() == cb[sample].keys()
        for role, (_, obj) in roles.items():
            assert strip(obj) == strip(cb[sample][role][1]), (site, sample, role)
