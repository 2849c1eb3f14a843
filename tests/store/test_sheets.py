"""Facility sheets through the store: import, one-file export, back to the same sheet."""

from __future__ import annotations

import pytest

from mxlims_store.errors import InvalidQuery, MappingError
from mxlims_store.mappings import get_site
from mxlims_store.store import FindQuery, Store
from tests.conftest import conformance_errors, needs_shared
from tests.mappings.mapping_helpers import FIXTURES, SITES, fixture, same_cell, sheet_rows


def _sample_column(site: str) -> str:
    return next(c.header for c in get_site(site).columns if c.field == "MacromoleculeSample.name")


@needs_shared
@pytest.mark.parametrize("site", SITES)
async def test_sheet_in_store_out_same_sheet(store: Store, site: str) -> None:
    data, name = fixture(site)
    has_proposal = any(c.field == "Shipment.proposalCode" for c in get_site(site).columns)
    proposal = None if has_proposal else "mx9999"  # a sheet that names one keeps its own
    report = await store.import_sheet(site.upper(), data, filename=name, proposal=proposal)
    assert report.created["Shipment"] == 1 and report.created["Dewar"] >= 2
    [shipment] = (await store.find(FindQuery("Shipment"))).items

    message = await store.shipment_results(shipment.uuid)
    assert conformance_errors(message, "MxlimsMessageStrict") == []

    exported = await store.export_sheet(site, shipment.uuid)
    # Only the proposal given on import can be lost, by the sheets that have no column for it.
    lost = {(loss.object_type, loss.field, loss.value) for loss in exported.losses}
    assert lost == (set() if has_proposal else {("Shipment", "proposalCode", "mx9999")})
    key = _sample_column(site)
    original = {r[key]: r for r in sheet_rows(site, data, name)}
    back = {r[key]: r for r in sheet_rows(site, exported.content, "back.csv")}
    assert original.keys() == back.keys()
    for sample, row in original.items():
        for header, cell in row.items():
            if header in back[sample]:
                assert same_cell(cell, back[sample][header]), (sample, header, cell)


async def test_a_bad_sheet_stores_nothing(store: Store) -> None:
    data, name = fixture("esrf")
    await store.import_sheet("esrf", data, filename=name)
    before = await store.stats()
    bad = (FIXTURES / "esrf_shipment_bad.csv").read_bytes()
    with pytest.raises(MappingError) as caught:
        await store.import_sheet("esrf", bad, filename="bad.csv")
    assert all(p.row is not None or p.column is not None for p in caught.value.problems)
    assert await store.stats() == before


async def test_importing_the_same_sheet_twice_does_not_double_it(store: Store) -> None:
    data, name = fixture("dls")
    first = await store.import_sheet("dls", data, filename=name)
    again = await store.import_sheet("dls", data, filename=name)
    assert again.created == {} and sum(again.unchanged.values()) == sum(first.created.values())


async def test_unknown_site_and_non_shipment(store: Store) -> None:
    with pytest.raises(InvalidQuery, match="esrf"):
        await store.import_sheet("nowhere", b"a,b\n")
    data, name = fixture("esrf")
    report = await store.import_sheet("esrf", data, filename=name)
    pin = report.keys["Pin/Pin1"]
    with pytest.raises(Exception, match="not a Shipment"):
        await store.export_sheet("esrf", pin)
