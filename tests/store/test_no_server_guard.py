"""Every store method called on a real but unreachable PyMongo async client fails only with
ServerSelectionTimeoutError: a TypeError or AttributeError would mean a call shape that the
mongomock double accepts but PyMongo does not (DESIGN.md, "Backends")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import ServerSelectionTimeoutError

from mxlims_store.store import FindQuery, Store
from mxlims_store.store.backends.mongo import MongoBackend, PymongoDriver
from tests.acting import admin_store
from tests.conftest import FIXTURES
from tests.factories import shipment_message

UUID = "0196f23a-dce0-2560-baac-f1b23ec9e0dd"
ESRF_SHEET = (FIXTURES / "sheets" / "esrf_shipment.csv").read_bytes()

CALLS: dict[str, Callable[[Store], Awaitable[Any]]] = {
    "init": lambda s: s.init(),
    "ping": lambda s: s.ping(),
    "import_message": lambda s: s.import_message(shipment_message(2)),
    "import_message-dry-run": lambda s: s.import_message(shipment_message(2), dry_run=True),
    "get": lambda s: s.get(UUID),
    "find": lambda s: s.find(FindQuery("Pin", {"positionInPuck": {"$lt": 3}}, with_total=True)),
    "find-any-type": lambda s: s.find(FindQuery(identifier=("icebear.fi", "SHP-1"))),
    "update": lambda s: s.update(UUID, {"loopType": "mesh"}, revision=1),
    "delete": lambda s: s.delete(UUID),
    "links": lambda s: s.links(UUID),
    "provenance": lambda s: s.provenance(UUID, direction="down", depth=3),
    "export": lambda s: s.export(UUID, site="esrf.fr"),
    "shipment_results": lambda s: s.shipment_results(UUID),
    "history": lambda s: s.history(UUID),
    "stats": lambda s: s.stats(),
    "import_sheet": lambda s: s.import_sheet("esrf", ESRF_SHEET, filename="s.csv"),
    "export_sheet": lambda s: s.export_sheet("dls", UUID),
    "create_key": lambda s: s.create_key(name="n", role="admin"),
    "list_keys": lambda s: s.list_keys(),
    "revoke_key": lambda s: s.revoke_key("0123456789abcdef"),
    "count_keys": lambda s: s.count_keys(),
    "authenticate": lambda s: s.authenticate("mxk.0123456789abcdef.secret"),
    "authenticate_id": lambda s: s.authenticate_id("0123456789abcdef"),
    "record_event": lambda s: s.record_event("DW-1", "received", location="stores"),
    "where": lambda s: s.where(UUID),
    "layout": lambda s: s.layout(UUID),
    "labels": lambda s: s.labels([UUID]),
    "by_barcode": lambda s: s.by_barcode("DW-1"),
    "status": lambda s: s.status(UUID),
    "proposal_shipments": lambda s: s.proposal_shipments("mx1"),
    "samples": lambda s: s.samples("mx1", loaded=True),
    "shipments": lambda s: s.shipments(search="PIN-1"),
    "proposal_results": lambda s: s.proposal_results("mx1"),
    "delete-cascade": lambda s: s.delete(UUID, cascade=True),
}
EMBEDDED_ONLY = {"backup", "check"}  # refused on MongoDB before anything is sent
NOT_CALLS = {"acting_as", "identity"}  # a view of the store, the caller: nothing sent


def test_every_public_store_method_is_covered() -> None:
    public = {
        name for name in dir(Store) if not name.startswith("_") and callable(getattr(Store, name))
    }
    assert public - EMBEDDED_ONLY - NOT_CALLS <= {name.split("-")[0] for name in CALLS}


@pytest.fixture
async def unreachable() -> AsyncIterator[Store]:
    client: Any = AsyncMongoClient("mongodb://127.0.0.1:9", serverSelectionTimeoutMS=50)
    backend = MongoBackend(PymongoDriver(client, "guard"))
    yield admin_store(backend)
    await backend.close()


@pytest.mark.parametrize("name", list(CALLS))
async def test_store_method_reaches_pymongo_with_a_valid_call_shape(
    unreachable: Store, name: str
) -> None:
    with pytest.raises(ServerSelectionTimeoutError):
        await CALLS[name](unreachable)
