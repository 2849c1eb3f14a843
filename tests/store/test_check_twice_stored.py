"""`check` names a uuid stored in two collections.

Each collection keeps its own ids unique (SQLite's unique index of ids, MongoDB's ``_id``), but
neither engine stops a tool writing by hand from putting one uuid into two of the four core
collections; a uuid names one object, so `check` must say so (it read the second copy over the
first, silently, before)."""

from __future__ import annotations

from mxlims_store.store import Store
from tests.factories import shipment_message
from tests.store.test_check_rules import _documents, _raw_put


async def test_a_uuid_stored_in_two_collections_is_named_once(store: Store) -> None:
    message = shipment_message(2)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    [document] = await _documents(store, "logistical_samples", {"_id": pin})
    copy = {k: v for k, v in document.items() if k not in ("containerId", "sampleId")}
    _raw_put(store, "datasets", {**copy, "_meta": {**copy["_meta"], "slot": None}})

    problems = (await store.check()).problems
    twice = [p for p in problems if "stored 2 times" in p]
    assert twice == [f"object {pin} is stored 2 times: in logistical_samples and datasets"]
    assert all("\n" not in line for line in problems)


async def test_a_store_without_twins_reports_none(store: Store) -> None:
    await store.import_message(shipment_message(2))
    assert not [p for p in (await store.check()).problems if "times: in" in p]
