"""Where a download is built: off the server's event loop (a loop of its own in one of the
build gate's threads, for the embedded store), with the garbage collector paused meanwhile,
and the requests that waited for the same build all answered from it."""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

import pytest
from fastapi import FastAPI

from mxlims_store.api import downloads
from mxlims_store.store import Store
from tests.api.conftest import running
from tests.factories import shipment_message


async def test_a_build_runs_off_the_loop_with_the_collector_paused(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, bool]] = []
    original = Store.shipment_results

    async def watched(self: Any, uuid: str, **kwargs: Any) -> Any:
        seen.append((threading.current_thread().name, gc.isenabled()))
        await asyncio.sleep(0.01)  # the others ask meanwhile: they wait for this build
        return await original(self, uuid, **kwargs)

    monkeypatch.setattr(Store, "shipment_results", watched)
    async with running(app) as client:
        shipment = shipment_message(3, proposal="mx1")
        assert (await client.post("/messages", json=shipment)).status_code == 201
        url = f"/shipments/{shipment['Shipment']['Shipment1']['uuid']}/results"
        answers = await asyncio.gather(*(client.get(url) for _ in range(8)))
        assert {a.status_code for a in answers} == {200}
        assert len({a.content for a in answers}) == 1 and len(answers[0].json()["Pin"]) == 3
    assert len(seen) == 1  # one build for the eight
    thread, collecting = seen[0]
    assert thread.startswith("mxlims-build") and thread != threading.main_thread().name
    assert not collecting and gc.isenabled()  # paused for the build, back after it


def test_a_collector_turned_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        with downloads.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with downloads.collector_paused(), downloads.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
