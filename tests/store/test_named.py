"""Dewars and pucks known by name only (ESRF, MAX IV, SLS, SOLEIL sheets): tracking, ``where``
and the barcode lookup find them by name within the caller's open shipments."""

from __future__ import annotations

from typing import Any

import pytest

from mxlims_store.errors import Conflict, NotFound
from mxlims_store.store import Store
from mxlims_store.store.access import Caller
from tests.factories import shipment_message
from tests.mappings.mapping_helpers import fixture


def named_only(name: str, proposal: str = "mx1234") -> dict[str, Any]:
    message = shipment_message(3, proposal=proposal)
    message["Shipment"]["Shipment1"]["name"] = name
    dewar = message["Dewar"]["Dewar1"]
    del dewar["barcode"]
    dewar["name"] = "DW-01"
    return message


async def test_a_name_only_dewar_and_puck_of_a_sheet_are_tracked_by_name(store: Store) -> None:
    data, filename = fixture("esrf")  # dewars and pucks by name, no barcodes
    report = await store.import_sheet("esrf", data, filename=filename, proposal="mx2450")
    event = await store.record_event("MX2450-dewar-A", "shipped", facility="ESRF")
    dewar = await store.by_barcode("MX2450-dewar-A")
    assert event["subject"] == dewar.data["uuid"] and dewar.data["mxlimsType"] == "Dewar"
    assert dewar.data["uuid"] in report.keys.values()
    await store.record_event("ESRF-UNI-12", "shipped")
    assert (await store.where("ESRF-UNI-12"))["mxlimsType"] == "Puck"
    assert (await store.where("MX2450-dewar-A"))["state"] == "shipped"


async def test_an_ambiguous_name_is_refused_naming_both(store: Store) -> None:
    first = await store.import_message(named_only("first"))
    second = await store.import_message(named_only("second"))
    with pytest.raises(Conflict) as refused:
        await store.record_event("DW-01", "received")
    said = str(refused.value)
    assert "'first'" in said and "'second'" in said
    assert first.keys["Dewar/Dewar1"] in said and second.keys["Dewar/Dewar1"] in said
    # the first journey over, the name is the second shipment's dewar's alone
    assert first.shipment
    for state in ("prepared", "closed"):
        await store.record_event(first.shipment, state)
    assert (await store.where("DW-01"))["uuid"] == second.keys["Dewar/Dewar1"]


async def test_a_name_is_looked_for_only_among_what_the_caller_may_see(store: Store) -> None:
    await store.import_message(named_only("first"))
    mine = await store.import_message(named_only("mine", proposal="mx7777"))
    member = Caller(actor="m", proposals=frozenset({"mx7777"}))
    assert (await store.where("DW-01", caller=member))["uuid"] == mine.keys["Dewar/Dewar1"]
    stranger = Caller(actor="s", proposals=frozenset({"mx0000"}))
    with pytest.raises(NotFound):
        await store.where("DW-01", caller=stranger)
    with pytest.raises(NotFound):
        await store.where("no such thing")
