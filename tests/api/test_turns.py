"""Requests start a few per pass of the event loop (api/turns.py), in order, and a request
cancelled while it waits leaves the line without taking anyone's turn."""

from __future__ import annotations

import asyncio

from mxlims_store.api.turns import Turns


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
