"""Requests start a few per pass of the event loop (api/turns.py), in order; a request
cancelled while it waits leaves the line; ``/health`` is answered in front of the line."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from mxlims_store.api.front import Front
from mxlims_store.api.turns import Turns
from tests.api.conftest import running


async def _passes_until(done: asyncio.Future[None], limit: int = 100) -> int:
    for n in range(limit):
        if done.done():
            return n
        await asyncio.sleep(0)
    raise AssertionError("not done")


async def test_at_most_per_pass_start_in_one_pass_in_order() -> None:
    turns = Turns(per_pass=3)
    started: list[tuple[int, int]] = []  # (request, pass it started in)
    passes = 0

    async def count_passes() -> None:
        nonlocal passes
        while len(started) < 10:
            await asyncio.sleep(0)
            passes += 1

    async def request(i: int) -> None:
        await turns.take()
        started.append((i, passes))

    counter = asyncio.ensure_future(count_passes())
    await asyncio.gather(*(request(i) for i in range(10)))
    await counter
    assert [i for i, _ in started] == list(range(10))  # in order of arrival
    per_pass: dict[int, int] = {}
    for _, at in started:
        per_pass[at] = per_pass.get(at, 0) + 1
    assert max(per_pass.values()) <= 3 and len(per_pass) >= 4
    assert turns.waiting == 0


async def test_a_request_cancelled_while_waiting_leaves_the_line() -> None:
    turns = Turns(per_pass=1)
    requests = [asyncio.ensure_future(turns.take()) for _ in range(3)]
    await asyncio.sleep(0)  # the first takes this pass's turn, the others wait
    assert requests[0].done() and turns.waiting == 2
    requests[1].cancel()
    await _passes_until(requests[2])
    assert requests[1].cancelled() and requests[2].result() is None
    assert turns.waiting == 0 and not turns._waiting


async def test_health_is_answered_while_requests_wait_their_turn(app: FastAPI) -> None:
    async with running(app) as client:
        assert (await client.get("/health")).status_code == 200
        layer = app.middleware_stack
        assert isinstance(layer, Front)  # in front of the framework's own layers
        layer.turns.per_pass = layer.turns.left = 0  # nobody else starts
        waiting = asyncio.ensure_future(client.get("/stats"))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not waiting.done() and layer.turns.waiting == 1
        health = asyncio.ensure_future(client.get("/health"))
        await _passes_until(health, limit=1000)  # (it would wait forever behind the line)
        assert health.result().status_code == 200
        layer.turns.per_pass = 4
        layer.turns._refill_next_pass()
        assert (await waiting).status_code == 200
