"""One private MariaDB with ISPyB's own build for the whole bridge test session (~6 s), and
stores holding the fixture shipment under a proposal of each test's own (so tests sharing the
database never see each other's rows)."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import SqliteBackend
from tests.acting import admin_store
from tests.conftest import FIXTURES
from tests.mariadb_server import MariaDB, MariaDBUnavailable, build_ispyb, private_mariadb

SHIPMENT_UUID = "aaa868d5-89c2-5c0c-a92c-0ee70829d82c"
_numbers = itertools.count(40251)


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    try:
        with private_mariadb(tmp_path_factory.mktemp("mariadb")) as server:
            build_ispyb(server, "ispyb")
            yield server
    except MariaDBUnavailable as why:
        pytest.skip(f"no ISPyB on MariaDB here: {why}")


@pytest.fixture(scope="session")
def models_database(mariadb: MariaDB) -> str:
    """ISPyB created from PyPI ``ispyb``'s models (schema 5.2.0), on the same server."""
    from tests.ispyb.models_schema import build_from_models

    build_from_models(mariadb, "models")
    return "models"


@pytest.fixture(params=["ispyb", "models"], ids=["shared-build", "pypi-models"])
def database(request: pytest.FixtureRequest, mariadb: MariaDB) -> str:
    """The shared build (with ISPyB's stored procedures), then the schema of PyPI's models."""
    if request.param == "models":
        return str(request.getfixturevalue("models_database"))
    return "ispyb"


def new_proposal(server: MariaDB, sessions: tuple[int, ...] = (1,), db: str = "ispyb") -> str:
    """A proposal (and its sessions) as the user office would insert them; its code."""
    number = next(_numbers)
    statements = [
        f"INSERT INTO Proposal (personId, title, proposalCode, proposalNumber) "
        f"VALUES (1, 'bridge test', 'mx', '{number}');"
    ]
    for visit in sessions:
        statements.append(
            "INSERT INTO BLSession (proposalId, visit_number, beamLineName, startDate, endDate) "
            f"SELECT proposalId, {visit}, 'id30a1', '2026-11-20 08:00', '2026-11-21 08:00' "
            f"FROM Proposal WHERE proposalCode='mx' AND proposalNumber='{number}';"
        )
    server.sql("\n".join(statements), db)
    return f"mx{number}"


def fixture_shipment(proposal: str, tag: str) -> dict[str, Any]:
    """fixtures/messages/shipment.json for ``proposal``, its dewars and pucks carrying barcodes
    (as real ones do) unique to ``tag``."""
    message = copy.deepcopy(json.loads((FIXTURES / "messages" / "shipment.json").read_text()))
    message["Shipment"]["Shipment1"]["proposalCode"] = proposal
    for n, dewar in enumerate(message["Dewar"].values(), start=1):
        dewar["barcode"] = f"{tag}-DW{n}"
    for n, puck in enumerate(message["Puck"].values(), start=1):
        puck["barcode"] = f"{tag}-PK{n}"
    for pin in message["Pin"].values():
        pin["barcode"] = f"{tag}-{pin['barcode']}"
    return message


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    backend = SqliteBackend(tmp_path / "store.sqlite3")
    the_store = admin_store(backend)
    await the_store.init()
    yield the_store
    await backend.close()


def fixture_results(tag: str) -> dict[str, Any]:
    """fixtures/messages/results.json for the shipment of :func:`fixture_shipment` (``tag``)."""
    message = copy.deepcopy(json.loads((FIXTURES / "messages" / "results.json").read_text()))
    for pin in message["Pin"].values():
        pin["barcode"] = f"{tag}-{pin['barcode']}"
    return message
