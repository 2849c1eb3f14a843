"""A kept download's body goes out a piece at a time, the event loop free for others between
the pieces; the client gets the same bytes and headers, and HEAD none of the body."""

from __future__ import annotations

import asyncio
import itertools
import os

from starlette.types import Message

from mxlims_store.api.head import HeadAsGet
from mxlims_store.api.paced import PIECE, PacedResponse


async def _sent(app: object, method: str = "GET") -> tuple[list[Message], list[int]]:
    """What ``app`` sends, and how many turns another task got before each message."""
    messages: list[Message] = []
    turns: list[int] = []
    ticks = 0
    stop = False

    async def other() -> None:  # another request's work: counts its turns of the loop
        nonlocal ticks
        while not stop:
            ticks += 1
            await asyncio.sleep(0)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)
        turns.append(ticks)

    beside = asyncio.ensure_future(other())
    await asyncio.sleep(0)
    scope = {"type": "http", "method": method, "path": "/", "headers": []}
    await app(scope, receive, send)  # type: ignore[operator]
    stop = True
    await beside
    return messages, turns


async def test_a_large_body_goes_in_pieces_with_turns_between() -> None:
    body = os.urandom(3 * PIECE + 123)
    messages, turns = await _sent(PacedResponse(body, media_type="application/json"))
    start, *pieces = messages
    assert start["type"] == "http.response.start" and start["status"] == 200
    assert (b"content-length", str(len(body)).encode()) in start["headers"]
    assert [len(m["body"]) for m in pieces] == [PIECE, PIECE, PIECE, 123]
    assert [m["more_body"] for m in pieces] == [True, True, True, False]
    assert b"".join(m["body"] for m in pieces) == body
    # before each piece, the other task had its turn
    assert all(later > earlier for earlier, later in itertools.pairwise(turns))


async def test_a_small_body_goes_at_once() -> None:
    messages, _ = await _sent(PacedResponse(b"x" * 100))
    assert [m["type"] for m in messages] == ["http.response.start", "http.response.body"]
    assert messages[1]["body"] == b"x" * 100 and not messages[1].get("more_body", False)


async def test_head_gets_the_headers_and_no_body() -> None:
    body = os.urandom(2 * PIECE + 1)
    messages, _ = await _sent(HeadAsGet(PacedResponse(body)), "HEAD")
    start, *rest = messages
    assert (b"content-length", str(len(body)).encode()) in start["headers"]
    assert rest == [{"type": "http.response.body", "body": b""}]
