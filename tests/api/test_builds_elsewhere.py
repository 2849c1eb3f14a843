"""MXLIMS files built in a reading process (what ``serve`` runs: ``serving_app``): the same
bytes, ETags, 304s and refusals as a build in the server's own process, for each caller; and
built here when no process can build them."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from mxlims_store.api import downloads, message_files
from mxlims_store.api.main import create_app, serving_app
from mxlims_store.api.message_files import MessageFile, build_here
from mxlims_store.config import Settings
from mxlims_store.store import Caller, Store
from mxlims_store.store.backends.sqlite_state import key_number
from mxlims_store.store.read_processes import read_in_processes, run_elsewhere
from tests.acting import ADMIN
from tests.api.conftest import results_built_here, running
from tests.factories import results_message, shipment_message


def _uuid(message: dict[str, Any], section: str, key: str) -> str:
    uuid: str = message[section][key]["uuid"]
    return uuid


async def _stored(client: httpx.AsyncClient, message: dict[str, Any], policy: str = "") -> None:
    answer = await client.post(f"/messages{policy}", json=message)
    assert answer.status_code in (200, 201), answer.text


@pytest.fixture
def elsewhere(settings: Settings) -> FastAPI:
    return create_app(settings, builds_elsewhere=True)


async def test_a_results_file_built_elsewhere_is_the_one_built_here(
    elsewhere: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(elsewhere) as client:
        mine, theirs = shipment_message(3, proposal="mx1"), shipment_message(2, proposal="mx2")
        for message in (mine, theirs):
            await _stored(client, message)
        await _stored(client, results_message(mine), "?policy=merge")
        made = await client.post(
            "/keys", json={"name": "m", "role": "member", "proposals": ["mx1"]}
        )
        member = {"Authorization": f"Bearer {made.json()['key']}"}
        uuid = _uuid(mine, "Shipment", "Shipment1")
        url = f"/shipments/{uuid}/results"
        built = results_built_here(monkeypatch)
        as_admin = await client.get(url)
        as_member = await client.get(url, headers=member)
        assert built == []  # neither was built in this process
        monkeypatch.undo()
        store: Store = elsewhere.state.store
        for answer, caller in ((as_admin, ADMIN), (as_member, Caller("m", frozenset({"mx1"})))):
            assert answer.status_code == 200, answer.text
            here = await store.acting_as(caller).shipment_results(uuid)
            assert answer.content == orjson.dumps(here)  # byte for byte
            assert answer.headers["content-disposition"].endswith(f'-{uuid}-results.json"')
        assert as_admin.headers["etag"] != as_member.headers["etag"]

        # what it read came back with it: writes elsewhere keep it, new results change it
        etag = as_member.headers["etag"]
        await _stored(client, results_message(theirs), "?policy=merge")
        again = await client.get(url, headers={**member, "If-None-Match": etag})
        assert again.status_code == 304
        await _stored(client, results_message(mine, "Pin2"), "?policy=merge")
        after = await client.get(url, headers={**member, "If-None-Match": etag})
        assert after.status_code == 200 and after.headers["etag"] != etag
        assert len(after.json()["MxExperiment"]) == 2


async def test_refusals_are_the_servers_own(elsewhere: FastAPI) -> None:
    async with running(elsewhere) as client:
        theirs = shipment_message(2, proposal="mx2")
        await _stored(client, theirs)
        made = await client.post(
            "/keys", json={"name": "m", "role": "member", "proposals": ["mx1"]}
        )
        member = {"Authorization": f"Bearer {made.json()['key']}"}
        url = f"/shipments/{_uuid(theirs, 'Shipment', 'Shipment1')}/results"
        hidden = await client.get(url, headers=member)
        missing = await client.get("/shipments/00000000-0000-4000-8000-000000000000/results")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["error"] == missing.json()["error"]
        assert (await client.get(url)).status_code == 200  # staff see it


async def test_without_a_reading_process_it_is_built_here(
    elsewhere: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def none(*args: Any) -> None:
        return None

    monkeypatch.setattr(downloads, "run_elsewhere", none)
    async with running(elsewhere) as client:
        shipment = shipment_message(2, proposal="mx1")
        await _stored(client, shipment)
        built = results_built_here(monkeypatch)
        answer = await client.get(f"/shipments/{_uuid(shipment, 'Shipment', 'Shipment1')}/results")
        assert answer.status_code == 200 and len(answer.json()["Pin"]) == 2
        assert len(built) == 1


async def test_no_reading_process_no_work_sent() -> None:
    read_in_processes(0)
    try:
        assert (
            await run_elsewhere(build_here, "x", ADMIN, MessageFile("export", ("u",), "f")) is None
        )
    finally:
        read_in_processes()


async def test_build_here_answers_none_for_what_it_cannot_build(client: httpx.AsyncClient) -> None:
    shipment = shipment_message(1, proposal="mx1")
    await _stored(client, shipment)
    database = str(client._transport.app.state.store.db.path)  # type: ignore[attr-defined]
    uuid = _uuid(shipment, "Shipment", "Shipment1")
    results = ("shipment_results", (uuid,), "f.json")  # as a reading process runs it
    made = await asyncio.to_thread(build_here, database, ADMIN, MessageFile(*results))
    assert made is not None
    body, media, headers, reads, whole_store = made
    assert media == "application/json" and headers["Content-Disposition"]
    assert key_number(uuid) in orjson.loads(reads) and not whole_store  # kept as numbers
    assert len(orjson.loads(gzip.decompress(body))["Pin"]) == 1
    unknown = MessageFile("shipment_results", ("no-such-uuid",), "f.json")
    assert await asyncio.to_thread(build_here, database, ADMIN, unknown) is None  # 404 here
    nobody = Caller()  # no rights: refused there too
    export = MessageFile("export", (uuid,), "f.json")
    assert await asyncio.to_thread(build_here, database, nobody, export) is None
    kept = message_files._backends.pop(Path(database))  # one backend, kept from build to build
    await kept.close()


def test_serve_runs_the_app_that_builds_elsewhere(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MXLIMS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MXLIMS_ALLOWED_HOSTS", "localhost")
    assert serving_app().state.build_gate.elsewhere
    assert not create_app(settings).state.build_gate.elsewhere
