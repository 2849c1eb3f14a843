"""However big and bad a message, the error stays small: at most 1,000 problems listed, with
their total, in a body under 1 MB (the benchmark measures the 2-million-object case)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from mxlims_store.errors import MAX_PROBLEMS
from mxlims_store.messages.reader import MAX_OBJECTS, PROBLEM_BUDGET


def _pins(count: int, pin: dict[str, Any]) -> bytes:
    return json.dumps({"version": "0.6.13", "Pin": {f"P{n}": pin for n in range(count)}}).encode()


@pytest.mark.parametrize(
    ("body", "total"),
    [
        # over the object limit: refused as a whole, before any object is read
        (_pins(MAX_OBJECTS + 1, {"positionInPuck": -1}), 1),
        # under it, every object bad: reading stops at the problem budget
        (_pins(3 * PROBLEM_BUDGET, {"mxlimsType": "Pin", "positionInPuck": -1}), None),
    ],
    ids=["over-the-object-limit", "every-object-bad"],
)
async def test_the_error_body_of_a_big_bad_message_stays_small(
    client: httpx.AsyncClient, body: bytes, total: int | None
) -> None:
    answer = await client.post(
        "/messages", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert len(answer.content) < 1_000_000
    error = answer.json()
    assert 1 <= len(error["problems"]) <= MAX_PROBLEMS
    counted = re.match(r"(\d+) problem\(s\)", error["message"])
    assert counted is not None, error["message"]  # the total, however many are listed
    assert int(counted[1]) >= len(error["problems"])
    if total is None:
        assert len(error["problems"]) == MAX_PROBLEMS and int(counted[1]) > PROBLEM_BUDGET
        stopped = f"stopped reading after {PROBLEM_BUDGET:,} problems"
        assert error["problems"][0]["message"].startswith(stopped)
        assert "stopped reading" in error["message"]
    else:
        assert int(counted[1]) == total and "split it" in error["problems"][0]["message"]
    assert (await client.get("/stats")).json() == {}  # nothing stored
