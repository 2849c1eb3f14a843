"""ispyb pull: ISPyB's rows as MXLIMS valid under the official strict schema, the same bytes
every time; push -> pull -> import changes nothing."""

from __future__ import annotations

import json

import pytest

from mxlims_store.ispyb.bridge import pull, push
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.store import Store
from tests.conftest import REFERENCE, conformance_errors
from tests.ispyb.conftest import SHIPMENT_UUID, fixture_shipment, new_proposal
from tests.mariadb_server import MariaDB

DOMAIN = "ispyb.local"
TEST_DATA_SHIPPINGS = (474, 477, 480, 6988, 7227, 7231)  # ISPyB's own test data set
needs_reference = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="needs the official schemas in ../shared/mxlims-reference"
)


@needs_reference
@pytest.mark.parametrize("shipping_id", TEST_DATA_SHIPPINGS)
async def test_every_test_data_shipping_pulls_valid_and_byte_identical(
    store: Store, mariadb: MariaDB, database: str, shipping_id: int
) -> None:
    first = await pull(store, mariadb.url(database), shipping_id=shipping_id, domain=DOMAIN)
    second = await pull(store, mariadb.url(database), shipping_id=shipping_id, domain=DOMAIN)
    assert json.dumps(first.message) == json.dumps(second.message)
    assert conformance_errors(first.message, "MxlimsMessageStrict", patched=True) == []
    assert len(first.message["Shipment"]) == 1 and first.message["Dewar"]
    # ISPyB's test data has no lab contacts: said, not invented.
    assert "labContactOutbound" not in first.message["Shipment"]["Shipment1"]
    assert any("labContactOutbound left out" in line for line in first.lacks)


async def test_a_pull_by_proposal_and_of_nothing(store: Store, mariadb: MariaDB) -> None:
    pulled = await pull(store, mariadb.url("ispyb"), proposal="cm14451", domain=DOMAIN)
    assert len(pulled.message["Shipment"]) == len(pulled.shippings) >= 2
    from mxlims_store.errors import NotFound

    with pytest.raises(NotFound, match="no Shipping 99999"):
        await pull(store, mariadb.url("ispyb"), shipping_id=99999, domain=DOMAIN)


@needs_reference
async def test_push_pull_import_changes_nothing(
    store: Store, mariadb: MariaDB, database: str
) -> None:
    code = new_proposal(mariadb, db=database)
    message = fixture_shipment(code, "R1")
    message["Shipment"]["Shipment1"]["sessionNumber"] = 1
    contact = {"name": "Ada Lovelace", "emailAddress": "ada@example.org"}
    message["Shipment"]["Shipment1"]["labContactOutbound"] = contact
    message["Shipment"]["Shipment1"]["labContactReturn"] = contact
    message["MxExperiment"]["MxExperiment1"]["radiationSensitivity"] = 0.1  # no exact FLOAT
    await store.import_message(message)
    report = await push(store, SHIPMENT_UUID, mariadb.url(database), PushOptions(DOMAIN))
    before = await store.export(SHIPMENT_UUID)

    pulled = await pull(store, mariadb.url(database), shipping_id=report.shipping_id, domain=DOMAIN)
    assert conformance_errors(pulled.message, "MxlimsMessageStrict", patched=True) == []
    assert pulled.message["Shipment"]["Shipment1"]["uuid"] == SHIPMENT_UUID
    imported = await store.import_message(pulled.message, policy="merge")
    assert imported.created == {} and imported.updated == {}
    assert sum(imported.unchanged.values()) == 1 + 2 + 4 + 14 + 6 + 14 + 14
    after = await store.export(SHIPMENT_UUID)
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)


async def test_pulled_uuids_without_a_push_are_derived_and_stable(
    store: Store, mariadb: MariaDB, tmp_path: object
) -> None:
    first = await pull(store, mariadb.url("ispyb"), shipping_id=7227, domain=DOMAIN)
    imported = await store.import_message(first.message, policy="merge")
    assert imported.created
    again = await pull(store, mariadb.url("ispyb"), shipping_id=7227, domain=DOMAIN)
    assert again.message == first.message
    reimported = await store.import_message(again.message, policy="merge")
    assert reimported.created == {} and reimported.updated == {}
