"""The engine seen over HTTP: keys no document database holds are refused at the door on every
write path, a store that cannot write answers 503 while reads go on, and the event loop never
waits for the database."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mxlims_store.errors import Unavailable
from tests.factories import shipment_message

HOSTILE_EXTENSIONS = [
    ({"esrf.fr": {"when": {"$date": "not a date"}}}, "extensions/esrf.fr/when/$date"),
    ({"esrf.fr": {"id": {"$oid": "5f1d7f0e1c9d440000a1b2c3"}}}, "extensions/esrf.fr/id/$oid"),
    ({"esrf.fr": {"bad\x00key": 1}}, "extensions/esrf.fr/bad\x00key"),
    ({"esrf.fr": {"min osc. angle": 1}}, "extensions/esrf.fr/min osc. angle"),
    ({"$where": {"x": 1}}, "extensions/$where"),
]


@pytest.mark.parametrize(("extensions", "path"), HOSTILE_EXTENSIONS)
async def test_message_keys_a_database_cannot_hold_are_refused_with_their_path(
    client: httpx.AsyncClient, extensions: dict[str, Any], path: str
) -> None:
    message = shipment_message(1)
    message["Pin"]["Pin1"]["extensions"] = extensions
    response = await client.post("/messages", json=message)
    assert response.status_code == 422, response.text
    assert [p["path"] for p in response.json()["problems"]] == [f"Pin/Pin1/{path}"]
    assert (await client.get("/stats")).json() == {}


@pytest.mark.parametrize(("extensions", "path"), HOSTILE_EXTENSIONS)
async def test_patch_keys_a_database_cannot_hold_are_refused_and_nothing_changes(
    client: httpx.AsyncClient, extensions: dict[str, Any], path: str
) -> None:
    message = shipment_message(1)
    await client.post("/messages", json=message)
    uuid = message["Pin"]["Pin1"]["uuid"]
    before = (await client.get(f"/objects/{uuid}")).json()
    response = await client.patch(
        f"/objects/{uuid}", json={"extensions": extensions}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 422, response.text
    assert [p["path"] for p in response.json()["problems"]] == [path]
    assert (await client.get(f"/objects/{uuid}")).json() == before
    assert (await client.get(f"/objects/{uuid}/links")).status_code == 200


async def test_a_store_that_cannot_write_answers_503_and_reads_go_on(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = shipment_message(1)
    await client.post("/messages", json=message)

    async def full(writes: Any) -> None:
        raise Unavailable("cannot write the store (database or disk is full)")

    real_unit = app.state.store.db.unit

    async def unit_on_a_full_disk(work: Any) -> Any:  # every write is a unit of work
        async def work_on_a_full_disk(tx: Any) -> Any:
            tx.commit = full
            return await work(tx)

        return await real_unit(work_on_a_full_disk)

    monkeypatch.setattr(app.state.store.db, "unit", unit_on_a_full_disk)
    response = await client.post("/messages", json=shipment_message(2))
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.json()["error"] == "Unavailable"
    assert (await client.get("/health")).status_code == 200
    assert (await client.get(f"/objects/{message['Pin']['Pin1']['uuid']}")).status_code == 200


async def test_health_answers_while_a_large_import_runs(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ordering, not wall clock: the health answer arrives while the import writes its ~6,500
    objects, before the writes and the request end. The health request goes out once the
    writing starts (nothing is paused): a fixed 0.2 s wait was longer than the whole import
    on a fast host, and an answer after the writes would still come before the response's
    ~1 MB report had gone out."""
    finished: list[str] = []
    big = shipment_message(1600, experiments=True)  # ~6,500 objects
    under_way = asyncio.Event()
    real_unit = app.state.store.db.unit

    async def noted_unit(work: Any) -> Any:  # every write is a unit of work
        async def noted_work(tx: Any) -> Any:
            real_commit = tx.commit

            async def commit(writes: Any) -> None:
                under_way.set()
                await real_commit(writes)
                finished.append("written")

            tx.commit = commit
            return await work(tx)

        return await real_unit(noted_work)

    monkeypatch.setattr(app.state.store.db, "unit", noted_unit)

    async def long_import() -> None:
        response = await client.post("/messages", json=big)
        assert response.status_code == 201, response.text[:300]
        finished.append("import")

    async def health() -> None:
        await under_way.wait()
        assert (await client.get("/health")).status_code == 200
        finished.append("health")

    await asyncio.gather(long_import(), health())
    assert finished == ["health", "written", "import"]


async def test_health_answers_while_a_results_export_and_a_walk_run(
    client: httpx.AsyncClient,
) -> None:
    big = shipment_message(1600, experiments=True)
    assert (await client.post("/messages", json=big)).status_code == 201
    shipment = big["Shipment"]["Shipment1"]["uuid"]
    finished: list[str] = []

    async def long(path: str) -> None:
        assert (await client.get(path)).status_code == 200
        finished.append(path)

    async def health() -> None:
        await asyncio.sleep(0.02)
        assert (await client.get("/health")).status_code == 200
        finished.append("health")

    results = f"/shipments/{shipment}/results"
    await asyncio.gather(
        long(results), long(f"/objects/{shipment}/provenance?direction=down"), health()
    )
    assert finished.index("health") < finished.index(results)
