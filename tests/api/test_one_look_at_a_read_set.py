"""After a write, the requests of a burst that ask whether a kept download is still valid share
one look at its read set (api/downloads.py): side by side, each look once made ~14k uuids
numbers in Python holding the interpreter lock while the event loop waited for it (the
slowest /health pings of a 64-download burst); a look is one SQL statement now, still shared."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mxlims_store.api.downloads import BuildGate, _stale
from mxlims_store.store.backends import sqlite_state
from tests.api.conftest import running
from tests.factories import shipment_message


async def _mine_and_theirs(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """mx1's shipment (its results file's url) and mx2's message, both stored: a write to
    mx2's objects moves the store's generation without touching mx1's read set."""
    mine, theirs = shipment_message(2, proposal="mx1"), shipment_message(1, proposal="mx2")
    for message in (mine, theirs):
        assert (await client.post("/messages", json=message)).status_code == 201
    return f"/shipments/{mine['Shipment']['Shipment1']['uuid']}/results", theirs


async def test_a_burst_after_a_write_looks_at_the_read_set_once(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    looks: list[str] = []
    original = sqlite_state.SqliteState.read_set_changed

    async def counted(self: sqlite_state.SqliteState, kind: str, key: str, at: int) -> bool:
        looks.append(key)
        await asyncio.sleep(0.05)  # a look long enough for the burst's requests to overlap it
        return await original(self, kind, key, at)

    monkeypatch.setattr(sqlite_state.SqliteState, "read_set_changed", counted)
    async with running(app) as client:
        url, theirs = await _mine_and_theirs(client)
        kept = await client.get(url)
        assert kept.status_code == 200 and not looks  # built now: nothing to look at

        for round_ in (1, 2):  # a write elsewhere moves the store's generation
            pin = theirs["Pin"]["Pin1"]["uuid"]
            changed = await client.patch(
                f"/objects/{pin}",
                json={"barcode": f"ELSEWHERE-{round_}"},
                headers={"If-Match": f'"{round_}"'},
            )
            assert changed.status_code == 200, changed.text
            burst = await asyncio.gather(*(client.get(url) for _ in range(8)))
            assert [answer.status_code for answer in burst] == [200] * 8
            assert {answer.headers["etag"] for answer in burst} == {kept.headers["etag"]}
            assert len(looks) == round_  # one look per generation, whatever the burst


async def test_a_cancelled_request_leaves_the_shared_look_to_the_others(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = sqlite_state.SqliteState.read_set_changed
    looking = asyncio.Event()

    async def slow(self: sqlite_state.SqliteState, kind: str, key: str, at: int) -> bool:
        looking.set()
        await asyncio.sleep(0.1)
        return await original(self, kind, key, at)

    monkeypatch.setattr(sqlite_state.SqliteState, "read_set_changed", slow)
    async with running(app) as client:
        url, theirs = await _mine_and_theirs(client)
        etag = (await client.get(url)).headers["etag"]
        pin = theirs["Pin"]["Pin1"]["uuid"]
        changed = await client.patch(
            f"/objects/{pin}", json={"barcode": "ELSEWHERE"}, headers={"If-Match": '"1"'}
        )
        assert changed.status_code == 200, changed.text
        first = asyncio.ensure_future(client.get(url))
        await looking.wait()  # the first request's look has begun
        second = asyncio.ensure_future(client.get(url))
        await asyncio.sleep(0.01)
        first.cancel()
        answer: httpx.Response = await second
        assert answer.status_code == 200 and answer.headers["etag"] == etag


class _TouchesAfterTheGeneration:
    """A server state like MongoDB's: a commit bumps the generation first and logs the keys it
    touched after it, so at one generation a look may answer "untouched" and the next one
    (the touches logged meanwhile) "touched"."""

    touches_with_generation = False

    def __init__(self) -> None:
        self.touched = False
        self.looks = 0

    async def generation(self) -> int:
        return 2

    async def read_set_changed(self, kind: str, key: str, at: int) -> bool:
        self.looks += 1
        return self.touched


async def test_a_look_is_not_kept_where_touches_are_logged_after_the_generation() -> None:
    gate, state = BuildGate(slots=1, wait=1.0), _TouchesAfterTheGeneration()
    kept = {"generation": 1}
    assert not await _stale(gate, state, "slot", kept)  # type: ignore[arg-type]
    state.touched = True  # the commit's touches logged, the generation unmoved
    assert await _stale(gate, state, "slot", kept)  # type: ignore[arg-type]
    assert state.looks == 2
