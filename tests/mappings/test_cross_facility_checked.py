"""Every facility's sheet as every other facility's: a sheet the target accepts, or a refusal
naming exactly the required columns nothing filled."""

from __future__ import annotations

from typing import Any

import pytest

from mxlims_store.errors import MappingError
from mxlims_store.mappings import SheetDefaults, convert_sheet, get_site, read_sheet
from mxlims_store.mappings.checked import checked_sheet
from tests.mappings.cross_facility_helpers import assert_target_keeps_what_it_can_hold, loss_keys
from tests.mappings.mapping_helpers import SITES, fixture, imported

PAIRS = [(a, b) for a in SITES for b in SITES if a != b]
IDS = [f"{a}-to-{b}" for a, b in PAIRS]
DEFAULTS = SheetDefaults(proposal="mx23456", puck_type="unipuck")


def missing_required(msg: dict[str, Any], target: str) -> set[str]:
    """Required target columns that some row of the message leaves empty (worked out from the
    target's column list, not by the exporter). A puck's place in its dewar is never missing:
    the export numbers the pucks of each dewar in their stored order; a dewar's or puck's
    barcode stands in for its name, and the other way round."""
    out = set()
    for col in get_site(target).columns:
        if not col.required or not col.field or col.field == "Puck.positionInDewar":
            continue
        type_, field = col.field.split(".")[:2]
        holders = list(msg.get(type_, {}).values())
        if type_ == "Pin":
            holders += msg.get("MultiPin", {}).values()
        if type_ in ("Dewar", "Puck") and field in ("name", "barcode"):
            field = "name" if all(h.get("name") for h in holders) else "barcode"  # stands in
        if any(h.get(field) in (None, "") for h in holders):
            out.add(col.header)
    return out


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=IDS)
def test_with_the_defaults_the_target_accepts_it_and_keeps_every_value_it_can_hold(
    source: str, target: str
) -> None:
    msg = imported(source)
    out = checked_sheet(target, msg, defaults=DEFAULTS)
    assert out.problems == []
    back = read_sheet(target, out.content, filename="back.csv")  # the target's own importer
    assert_target_keeps_what_it_can_hold(msg, back, target, loss_keys(out.losses))


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=IDS)
def test_without_defaults_it_exports_cleanly_or_names_exactly_the_missing_columns(
    source: str, target: str
) -> None:
    data, name = fixture(source)
    expected = missing_required(imported(source), target)
    try:
        out = convert_sheet(source, target, data, filename=name)
    except MappingError as refused:
        assert expected, f"refused although nothing required is missing: {refused}"
        assert {p.column for p in refused.problems} == expected
        assert all(p.row is not None and p.row >= 2 for p in refused.problems)
        assert "would refuse this sheet" in refused.message
    else:
        assert not expected and out.problems == []


def test_a_draft_is_answered_with_what_the_target_would_refuse() -> None:
    data, name = fixture("esrf")
    out = convert_sheet("esrf", "dls", data, filename=name, draft=True)
    assert {p.column for p in out.problems} == {"#proposalCode", "proposalNumber"}
    assert out.content.startswith(b"#proposalCode")


def test_column_defaults_fill_only_empty_cells_and_are_reported() -> None:
    data, name = fixture("petraiii")
    out = convert_sheet(
        "petraiii",
        "sls",
        data,
        filename=name,
        defaults=SheetDefaults(columns={"puck type": "unipuck", "Comment": "n/a"}),
    )
    applied = {(d.column, d.value, d.source): d.rows for d in out.defaults_applied}
    assert applied[("PuckType*", "unipuck", "default")] == 14
    assert ("PuckLocationInDewar*", "1, 2, ...", "stored order") in applied
    with pytest.raises(MappingError, match="has no such column"):
        convert_sheet("petraiii", "sls", data, defaults=SheetDefaults(columns={"nope": "1"}))


def test_a_multi_position_pin_is_one_row_at_a_facility_without_sub_positions() -> None:
    msg = imported("dls")
    out = checked_sheet("esrf", msg)
    back = read_sheet("esrf", out.content)
    assert len(back["Pin"]) == len(msg["Pin"]) + len(msg["MultiPin"])
    reasons = {loss.reason for loss in out.losses if loss.object_type == "PinPosition"}
    assert any("sub-position 2 of a multi-position pin" in r for r in reasons)
