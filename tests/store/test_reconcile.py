"""Results find the user's objects: a shipment goes to a facility as its sheet, the facility's
store gives everything its own uuids, and its results come back onto the user's shipment.

The loop: user shipment (MXLIMS, the user's uuids) -> the facility's sheet -> a second store
imports the sheet (the facility's uuids) -> that store adds results and exports them -> the
user's store imports them with ``merge``: still one Shipment, the same Pins and samples, every
planned MxExperiment Completed, every ReflectionSet in the user's shipment results file.
"""

from __future__ import annotations

import copy
import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.mappings import SheetDefaults
from mxlims_store.store import Store
from mxlims_store.store.access import Caller
from tests.acting import admin_store
from tests.factories import minimal, new_uuid, shipment_message
from tests.store.conftest import make_backend

PROPOSAL = "mx1234"
PINS = 20


def user_shipment(barcodes: bool) -> dict[str, Any]:
    """The user's shipment: two pucks of pins, each with its planned experiment; without
    ``barcodes`` the dewar and pucks are known by name only, the pins by their place."""
    message = shipment_message(PINS, positions=16, proposal=PROPOSAL, experiments=True)
    message["Shipment"]["Shipment1"]["name"] = "user-shipment"
    if not barcodes:
        for type_ in ("Dewar", "Puck"):
            for n, obj in enumerate(message[type_].values(), start=1):
                obj["name"] = f"{type_.upper()}-{n}"
                del obj["barcode"]
        for pin in message["Pin"].values():
            del pin["barcode"]
    return message


def with_results(exported: dict[str, Any]) -> dict[str, Any]:
    """The facility's work on every pin: its experiment completed, a sweep measured, processed
    into a ReflectionSet (linked by ``$ref`` inside the message)."""
    message = copy.deepcopy(dict(exported))
    for n, (key, exp) in enumerate(sorted(message["MxExperiment"].items()), start=1):
        exp["jobStatus"] = "Completed"
        pin = exp["logisticalSampleRef"]
        message.setdefault("CollectionSweep", {})[f"Measured{n}"] = minimal(
            "CollectionSweep",
            uuid=new_uuid(),
            sourceRef={"$ref": f"#/MxExperiment/{key}"},
            logisticalSampleRef=pin,
            exposureTime=0.02,
        )
        message.setdefault("MxProcessing", {})[f"Processing{n}"] = minimal(
            "MxProcessing",
            uuid=new_uuid(),
            jobStatus="Completed",
            inputDataRefs=[{"$ref": f"#/CollectionSweep/Measured{n}"}],
            logisticalSampleRef=pin,
        )
        message.setdefault("ReflectionSet", {})[f"ReflectionSet{n}"] = minimal(
            "ReflectionSet",
            uuid=new_uuid(),
            sourceRef={"$ref": f"#/MxProcessing/Processing{n}"},
            logisticalSampleRef=pin,
        )
    return message


def counted(message: dict[str, Any]) -> Counter[str]:
    return Counter({t: len(b) for t, b in message.items() if isinstance(b, dict)})


async def loop(user: Store, facility: Store, site: str, barcodes: bool) -> dict[str, Any]:
    """One trip of a shipment to ``site`` and back; the report of the user's results import."""
    sent = await user.import_message(user_shipment(barcodes))
    assert sent.shipment is not None
    sheet = await user.export_sheet(
        site, sent.shipment, defaults=SheetDefaults(proposal=PROPOSAL, puck_type="unipuck")
    )
    at_facility = await facility.import_sheet(
        site, sheet.content, filename="from-user.csv", proposal=PROPOSAL
    )
    assert at_facility.shipment is not None
    assert set(at_facility.keys.values()).isdisjoint(sent.keys.values())  # its own uuids
    done = with_results(await facility.shipment_results(at_facility.shipment))
    await facility.import_message(done, policy="merge")
    results = dict(await facility.shipment_results(at_facility.shipment))
    assert counted(results)["ReflectionSet"] == PINS
    report = await user.import_message(results, policy="merge")
    mine = dict(await user.shipment_results(sent.shipment))
    before = counted(user_shipment(barcodes))
    got = counted(mine)
    assert got["Shipment"] == 1
    assert got["Pin"] == before["Pin"] == PINS
    assert got["MacromoleculeSample"] == before["MacromoleculeSample"]
    assert got["ReflectionSet"] == PINS  # every result in the user's shipment results file
    planned = [e for e in mine["MxExperiment"].values() if e.get("templateDataRefs")]
    assert len(planned) == PINS and all(e["jobStatus"] == "Completed" for e in planned)
    assert mine["Shipment"]["Shipment1"]["name"] == "user-shipment"  # not renamed
    totals = await user.stats()
    assert totals["Shipment"] == 1 and totals["Pin"] == PINS  # nothing doubled in the store
    return report.to_dict()


@pytest.fixture
async def facility(tmp_path: Path) -> Any:
    backend = make_backend("sqlite", tmp_path / "facility")
    (tmp_path / "facility").mkdir(exist_ok=True)
    store = admin_store(backend)
    await store.init()
    yield store
    await backend.close()


@pytest.mark.parametrize(
    ("site", "barcodes", "by"),
    [("esrf", True, "barcode"), ("soleil", False, "position")],
    ids=["esrf-pin-barcodes", "soleil-names-and-places"],
)
async def test_results_through_a_facility_sheet_land_on_the_users_shipment(
    store: Store, facility: Store, site: str, barcodes: bool, by: str
) -> None:
    report = await loop(store, facility, site, barcodes)
    matched = report["matched"]
    how = Counter(m["by"] for m in matched.values())
    assert how[by] == PINS  # every pin, by barcode or by its place in its matched puck
    assert how["experiment"] == PINS and how["sample"] >= PINS and how["template"] == PINS
    assert how["container"] >= 1  # the shipment, from its matched dewar
    assert report["created"].get("Shipment") is None and report["created"].get("Pin") is None
    # the facility's uuid is kept as an identifier of the stored object, under its domain
    stored_uuid, facility_uuid = next((m["uuid"], u) for u, m in matched.items() if m["by"] == by)
    pin = (await store.get(stored_uuid)).data
    domain = {"esrf": "esrf.fr", "soleil": "synchrotron-soleil.fr"}[site]
    (kept_under,) = [d for d, v in pin["identifiers"].items() if v == facility_uuid]
    # the facility's domain when its objects carry its sheet's extensions; else a reserved
    # name, and the report says so
    if kept_under != domain:
        assert kept_under == "facility.invalid"
        assert any("names no facility" in w for w in report["warnings"])


async def test_two_stored_pins_with_one_barcode_are_refused_naming_both(store: Store) -> None:
    first = await store.import_message(user_shipment(True))
    second_message = user_shipment(True)
    second_message["Shipment"]["Shipment1"]["name"] = "second"
    second = await store.import_message(second_message)  # reject_new: no reconciling
    assert first.shipment != second.shipment
    incoming = user_shipment(True)  # the facility's uuids, the same barcodes
    with pytest.raises(InvalidMessage) as refused:
        await store.import_message(incoming, policy="merge")
    said = " ".join(p.message for p in refused.value.problems)
    assert first.shipment and second.shipment
    assert "2 stored objects in open shipments" in said and "'second'" in said
    assert "'user-shipment'" in said


async def test_matching_looks_only_where_the_caller_may(store: Store) -> None:
    await store.import_message(user_shipment(True))
    other = Caller(actor="eve", proposals=frozenset({"mx9999"}))
    incoming = user_shipment(True)
    for obj in incoming["Shipment"].values():
        obj["proposalCode"] = "mx9999"
    report = await store.import_message(incoming, policy="merge", caller=other)
    assert report.matched == {} and report.created["Pin"] == PINS  # nothing of mx1234 told


async def test_a_closed_shipment_is_not_matched(store: Store) -> None:
    sent = await store.import_message(user_shipment(True))
    assert sent.shipment
    for state in ("prepared", "closed"):
        await store.record_event(sent.shipment, state)
    report = await store.import_message(user_shipment(True), policy="merge")
    assert report.matched == {} and report.created["Shipment"] == 1


async def test_the_facilitys_filled_in_sheet_uploaded_finds_the_users_shipment(
    store: Store,
) -> None:
    sent = await store.import_message(user_shipment(True))
    assert sent.shipment
    sheet = await store.export_sheet(
        "esrf", sent.shipment, defaults=SheetDefaults(proposal=PROPOSAL, puck_type="unipuck")
    )
    rows = list(csv.reader(io.StringIO(sheet.content.decode())))
    for row in rows[1:]:  # the facility notes what it saw on each pin
        row[rows[0].index("comments")] = "mounted, diffracts"
    filled = io.StringIO()
    csv.writer(filled).writerows(rows)
    report = await store.import_sheet(
        "esrf", filled.getvalue().encode(), filename="filled.csv", proposal=PROPOSAL
    )
    assert Counter(m.by for m in report.matched.values())["barcode"] == PINS
    assert report.created == {}  # nothing doubled: the user's shipment, updated
    totals = await store.stats()
    assert totals["Shipment"] == 1 and totals["Pin"] == PINS
    mine = dict(await store.shipment_results(sent.shipment))
    notes = {s.get("annotation") for s in mine["MacromoleculeSample"].values()}
    assert notes == {"mounted, diffracts"}


async def test_staff_merging_without_a_proposal_are_refused(store: Store) -> None:
    """Staff returning results under their own uuids without a proposal (and no Shipment in
    the message) could match nothing: a merge is refused naming --proposal, nothing stored;
    update_old (which stores them as new) says so in its report."""
    stored = user_shipment(True)
    await store.import_message(stored)
    before = await store.stats()
    staff = Caller(actor="beamline", proposals=None, role="staff")
    pins = {
        f"Pin{n}": minimal("Pin", uuid=new_uuid(), barcode=pin["barcode"])
        for n, pin in enumerate(stored["Pin"].values(), start=1)
    }
    returned = {"version": "0.6.13", "Pin": pins}
    for caller in (staff, None):  # None: the local admin
        with pytest.raises(InvalidMessage) as refused:
            await store.import_message(copy.deepcopy(returned), policy="merge", caller=caller)
        [problem] = refused.value.problems
        assert problem.path == "proposal" and "--proposal" in problem.message
        assert "?proposal=" in problem.message and "\n" not in problem.message
    assert await store.stats() == before  # nothing stored
    blind = await store.import_message(
        copy.deepcopy(returned), policy="update_old", caller=staff, dry_run=True
    )
    assert blind.matched == {}
    assert any(f"{PINS} dewar(s), container(s) or pin(s)" in w for w in blind.warnings)
    fresh = {"version": "0.6.13", "Pin": {k: {**p, "uuid": new_uuid()} for k, p in pins.items()}}
    matched = await store.import_message(
        fresh, policy="merge", caller=staff, proposal=PROPOSAL, dry_run=True
    )
    assert len(matched.matched) == PINS and not any("not matched" in w for w in matched.warnings)
