"""A facility's sheet export applies the facility's (or the beamline's) extension overrides,
as MXLIMS exports do, and its loss report says truly what did not reach the sheet."""

from __future__ import annotations

from mxlims_store.mappings import read_sheet
from mxlims_store.store import Store
from tests.mappings.mapping_helpers import fixture, sheet_rows


async def test_sheet_exports_apply_the_facilitys_overrides(store: Store) -> None:
    data, name = fixture("esrf")
    message = read_sheet("esrf", data, filename=name, proposal_code="mx2450")
    first, second = list(message["MxExperiment"].values())[:2]
    first["extensions"] = {"esrf.fr": {"experimentStrategy": "SAD"}}
    second["extensions"] = {"massif1.esrf.fr": {"experimentStrategy": "MXPressO"}}
    report = await store.import_message(message)
    assert report.shipment
    facility = await store.export_sheet("esrf", report.shipment)
    rows = sheet_rows("esrf", facility.content)
    assert rows[0]["experimentType"] == "SAD"  # the facility's own override, applied
    assert rows[1]["experimentType"] == "MXPressE"  # the beamline's is not the facility's
    (loss,) = [x for x in facility.losses if "experimentStrategy" in x.field]
    assert loss.field == "extensions[massif1.esrf.fr].experimentStrategy"
    assert "export for massif1.esrf.fr to apply it" in loss.reason
    beamline = await store.export_sheet("massif1.esrf.fr", report.shipment)
    rows = sheet_rows("esrf", beamline.content)
    assert [r["experimentType"] for r in rows[:2]] == ["SAD", "MXPressO"]
    assert not [x for x in beamline.losses if "experimentStrategy" in x.field]


def test_a_sheet_column_named_like_a_field_is_never_an_override() -> None:
    """DLS keeps its unmapped ``requiredResolution`` column on the experiment: under a key that
    is no MxExperiment field, so exports applying DLS's overrides leave neededResolution's
    value (the mapped requiredResolution) alone, and the column still goes back to its place."""
    data, name = fixture("dls")
    message = read_sheet("dls", data, filename=name)
    for experiment in message["MxExperiment"].values():
        kept = experiment.get("extensions", {}).get("diamond.ac.uk", {})
        assert "requiredResolution" not in kept
    assert any(
        "requiredResolution (column)" in e.get("extensions", {}).get("diamond.ac.uk", {})
        for e in message["MxExperiment"].values()
    )
