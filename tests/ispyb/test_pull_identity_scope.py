"""A pull gives ISPyB's rows the uuids recorded at push, but only the uuids of the pulled
proposal's own objects: ``identifiers`` are written by any message, so another proposal could
claim a row ("ispyb.local": "BLSample:1234") and, when staff pulled the owner's shipping and
imported it, have the owner's data merged into its own objects."""

from __future__ import annotations

import copy

from mxlims_store.ispyb.bridge import pull, push
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.store import Store
from tests.ispyb.conftest import SHIPMENT_UUID, fixture_shipment, new_proposal
from tests.mariadb_server import MariaDB

DOMAIN = "ispyb.local"


async def test_another_proposals_claim_on_a_row_is_not_followed(
    store: Store, mariadb: MariaDB
) -> None:
    owner = new_proposal(mariadb)
    message = fixture_shipment(owner, "IDS")
    message["Shipment"]["Shipment1"]["sessionNumber"] = 1
    await store.import_message(message)
    report = await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN))
    pins = (await store.export(SHIPMENT_UUID))["Pin"].values()
    claimed = {p["identifiers"][DOMAIN]: p["uuid"] for p in pins}
    row = sorted(claimed)[0]

    # another proposal's shipment whose pin claims the owner's BLSample row
    other = copy.deepcopy(fixture_shipment("mx777777", "EVE"))
    for section in other.values():
        if isinstance(section, dict):
            for obj in section.values():
                obj.pop("uuid", None)
    first_pin = next(iter(other["Pin"].values()))
    first_pin["identifiers"] = {DOMAIN: row}
    imported = await store.import_message(other)
    impostor = imported.keys[f"Pin/{next(iter(other['Pin']))}"]

    pulled = await pull(store, mariadb.url("ispyb"), shipping_id=report.shipping_id, domain=DOMAIN)
    uuids = {p["uuid"] for p in pulled.message["Pin"].values()}
    assert impostor not in uuids
    assert claimed[row] in uuids  # the owner's own recorded uuid, as before
