"""A facility's realistic sheet -> MXLIMS -> every other facility's sheet: exactly what the
target cannot hold is reported lost, and everything else arrives."""

from __future__ import annotations

import pytest

from mxlims_store.mappings import get_site, read_sheet, write_sheet
from tests.mappings.cross_facility_helpers import (
    assert_target_keeps_what_it_can_hold,
    expected_losses,
    fill_required,
    loss_keys,
)
from tests.mappings.mapping_helpers import SITES, fixture, imported, sheet_rows

PAIRS = [(a, b) for a in SITES for b in SITES if a != b]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_cross_facility_losses_are_exactly_the_unmapped_values(source: str, target: str) -> None:
    msg = imported(source)
    out = write_sheet(target, msg)
    assert loss_keys(out.losses) == expected_losses(msg, target)
    for loss in out.losses:
        obj = msg[loss.object_type][loss.key]
        assert loss.uuid == obj["uuid"] and loss.reason
    # every required cell the message cannot fill is named, with its row
    sf = get_site(target)
    for w in out.warnings:
        assert w.row is not None and w.row >= 2
        if w.column is None:  # a multi-position pin the target sheet cannot express
            assert "multi-position pin" in w.message and msg.get("MultiPin")
            continue
        col = sf.column(w.column)
        # a required cell left empty, or a controlled cell whose text changes
        assert col is not None and (col.required or col.values is not None)
    # what the target maps survives: re-read the exported sheet (its empty required cells
    # filled in, as the user would) and compare
    back = read_sheet(target, fill_required(target, out.content, out.warnings))
    assert_target_keeps_what_it_can_hold(msg, back, target, loss_keys(out.losses))


def test_cross_facility_spot_checks() -> None:
    # DLS -> SLS: space group name becomes the IT number, cell six numbers in one cell; barcodes
    # stand in for the names SLS identifies dewars and pucks by, and are reported.
    out = write_sheet("sls", imported("dls"))
    row = sheet_rows("sls", out.content)[0]
    assert row["Space Group Number [1x int]"] == "96"
    assert row["Cell Parameters [6x real number]"] == "79.1 79.1 37.9 90 90 90"
    assert row["DewarName*"] == "DLS-MX-0101"
    reasons = {(loss.object_type, loss.field): loss.reason for loss in out.losses}
    assert "DewarName" in reasons[("Dewar", "barcode")]
    assert reasons[("Shipment", "proposalCode")].startswith("the Swiss Light Source sheet has no")
    assert (
        "another facility" in reasons[("MxExperiment", "extensions[diamond.ac.uk].centringMethod")]
    )
    # SLS -> MAX IV: SLS-only processing options are extensions of psi.ch: lost and named
    out = write_sheet("maxiv", imported("sls"))
    fields = {loss.field for loss in out.losses}
    assert "extensions[psi.ch].PDB Model [str]" in fields
    assert "programName" in fields and "priority" in fields
    # ESRF -> MAX IV: everything ESRF holds has a MAX IV column, and every ESRF experiment kind
    # is an ISPyB kind MAX IV knows (MXScore too: canonical Characterisation), spelled alike
    out = write_sheet("maxiv", imported("esrf"))
    assert out.losses == [] and out.warnings == []
    kinds = [r["experimentType"] for r in sheet_rows("maxiv", out.content)]
    original = [r["experimentType"] for r in sheet_rows("esrf", fixture("esrf")[0])]
    assert kinds == original
    # PETRA III -> DLS: DLS holds the PETRA III columns and more
    assert write_sheet("dls", imported("petraiii")).losses == []
    # DLS -> ESRF: no position column; the gaps in DLS puck positions cannot be kept
    out = write_sheet("esrf", imported("dls"))
    pos = [loss for loss in out.losses if loss.field == "positionInPuck"]
    assert {loss.value for loss in pos} == {5, 16, 7, 8}
    assert all("row" in loss.reason or "column" in loss.reason for loss in pos)


def test_losses_for_values_no_sheet_can_hold() -> None:
    msg = imported("maxiv")
    msg = {t: ({k: dict(o) for k, o in b.items()} if t != "version" else b) for t, b in msg.items()}
    sweep = msg["CollectionSweep"]["CollectionSweep1"]
    sweep["beamSize"] = [0.05, 0.02]
    exp = msg["MxExperiment"]["MxExperiment1"]
    exp["expectedSpaceGroupName"] = "P21221"
    exp["extensions"] = {"maxiv.lu.se": {"unknown thing": 1}}
    msg["MxExperiment"]["MxExperiment99"] = {
        "mxlimsType": "MxExperiment",
        "uuid": exp["uuid"][:-1] + "0",
    }
    msg["MxExperiment"]["MxExperiment99"]["doseBudget"] = 5.0
    out = write_sheet("maxiv", msg)
    got = {(loss.key, loss.field): loss.reason for loss in out.losses}
    assert "beam diameter" in got[("CollectionSweep1", "beamSize")]
    assert (
        "no 'unknown thing' column"
        in got[("MxExperiment1", "extensions[maxiv.lu.se].unknown thing")]
    )
    assert "not on any pin row" in got[("MxExperiment99", "doseBudget")]
    assert ("MxExperiment1", "expectedSpaceGroupName") not in got  # MAX IV writes names
    out = write_sheet("sls", msg)
    got = {(loss.key, loss.field): loss.reason for loss in out.losses}
    assert "setting" in got[("MxExperiment1", "expectedSpaceGroupName")]
    assert sheet_rows("sls", out.content)[0]["Space Group Number [1x int]"] == "18"
