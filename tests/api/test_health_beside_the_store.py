"""``/health`` answers from the store's last ping while the next one runs beside it (a ping
queued behind a burst of downloads must not be what a load balancer waits for), waits for the
store when the last ping failed, and says 503 when a ping does not come back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from mxlims_store.api import front, models
from mxlims_store.api.main import create_app
from mxlims_store.api.params import API_PREFIX
from mxlims_store.api.routes import health
from mxlims_store.errors import Unavailable
from mxlims_store.model.registry import MODEL_VERSION
from tests.api.conftest import make_settings, running


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowStore:
    """A store whose pings come back only when told to."""

    def __init__(self) -> None:
        self.pings = 0
        self.answer = asyncio.Event()

    async def ping(self) -> None:
        self.pings += 1
        await self.answer.wait()


class DownStore:
    async def ping(self) -> None:
        raise Unavailable("down")


async def test_health_answers_beside_a_slow_ping_and_says_when_it_is_stuck(app: FastAPI) -> None:
    clock = Clock()
    async with running(app) as client:
        app.state.pings.clock = clock
        assert (await client.get("/health")).status_code == 200  # the first ping: waited for
        real, slow = app.state.store, SlowStore()
        app.state.store = slow
        clock.now += health.PING_EVERY
        assert (await client.get("/health")).status_code == 200  # while its ping waits
        await asyncio.sleep(0)
        assert slow.pings == 1
        clock.now += health.PING_EVERY
        assert (await client.get("/health")).status_code == 200
        assert slow.pings == 1  # one ping at a time
        clock.now += health.STUCK_AFTER
        stuck = await client.get("/health")
        assert stuck.status_code == 503 and "has not answered a ping" in stuck.text
        slow.answer.set()
        for _ in range(5):
            await asyncio.sleep(0)
        assert app.state.pings.running is None and not app.state.pings.failed
        app.state.store = real
        assert (await client.get("/health")).status_code == 200


async def test_after_a_failed_ping_health_waits_for_the_store(app: FastAPI) -> None:
    clock = Clock()
    async with running(app) as client:
        app.state.pings.clock = clock
        assert (await client.get("/health")).status_code == 200
        real = app.state.store
        app.state.store = DownStore()
        clock.now += health.PING_EVERY
        assert (await client.get("/health")).status_code == 200  # the ping runs beside it
        for _ in range(5):
            await asyncio.sleep(0)
        assert app.state.pings.failed
        assert (await client.get("/health")).status_code == 503  # now it waits, and says so
        app.state.store = real
        assert (await client.get("/health")).status_code == 200  # and once back, at once


async def test_health_is_answered_before_the_routes_with_the_routes_answer(app: FastAPI) -> None:
    async with running(app) as client:
        quick = await client.get("http://testserver/health")
        also = await client.get("/health")  # under the API's prefix too
        head = await client.head("http://testserver/health")
        assert quick.status_code == also.status_code == head.status_code == 200
        assert quick.content == also.content and head.content == b""
        assert head.headers["content-length"] == str(len(quick.content))
        answer = models.Health.model_validate_json(quick.content)  # the route's answer model
        assert answer.status == "ok" and answer.backend == "embedded"
        assert answer.modelVersion == MODEL_VERSION
        # a query string is the route's business (an unknown parameter is a 422 there)
        assert (await client.get("/health?x=1")).status_code == 422


async def test_health_still_passes_the_host_check_and_cors(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, cors_origins="https://ui.example.org"))
    async with running(app) as client:
        origin = {"Origin": "https://ui.example.org"}
        answer = await client.get("http://testserver/health", headers=origin)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "https://ui.example.org"
        foreign = await client.get("http://elsewhere.example.org/health")
        assert foreign.status_code == 400 and "MXLIMS_ALLOWED_HOSTS" in foreign.text


async def _health_after_a_ping(app: FastAPI, clock: Clock, client: Any) -> int:
    """/health's status once the ping run beside the last answer has come back."""
    clock.now += health.PING_EVERY
    await client.get("/health")  # answered from the last ping; the next one runs beside it
    while app.state.pings.running is not None:
        await asyncio.sleep(0.01)
    return int((await client.get("/health")).status_code)


@pytest.mark.parametrize("harm", ["overwritten", "removed"])
async def test_health_is_503_once_the_store_file_is_damaged_or_gone(
    tmp_path: Path, harm: str
) -> None:
    # SELECT 1 was the ping: an open connection answered it for a file overwritten or deleted
    # under the server, and /health said ok while every other request was a 503
    app = create_app(make_settings(tmp_path))
    database = app.state.settings.data_dir / "mxlims.sqlite3"
    clock = Clock()
    async with running(app) as client:
        app.state.pings.clock = clock
        assert (await client.get("/health")).status_code == 200
        assert await _health_after_a_ping(app, clock, client) == 200  # a healthy store
        if harm == "overwritten":
            database.write_bytes(b"\x13" * database.stat().st_size)
            said = "not a readable mxlims-store database"
        else:
            database.rename(database.with_name("elsewhere.sqlite3"))
            said = "removed or replaced while the server ran"
        assert await _health_after_a_ping(app, clock, client) == 503
        answer = await client.get("http://testserver/health")
        assert answer.status_code == 503 and said in answer.json()["message"], answer.text


def test_the_access_log_leaves_out_only_health_answered_200() -> None:
    quiet = front.HealthOkNotLogged()

    def line(path: str, status: int) -> logging.LogRecord:  # as uvicorn logs a request
        args = ("127.0.0.1:5000", "GET", path, "1.1", status)
        return logging.LogRecord(
            front.ACCESS_LOG, logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', args, None
        )

    assert not quiet.filter(line("/health", 200))
    assert not quiet.filter(line(f"{API_PREFIX}/health", 200))
    assert quiet.filter(line("/health", 503))  # a failing check is worth its line
    assert quiet.filter(line("/health?x=1", 422))
    assert quiet.filter(line(f"{API_PREFIX}/objects", 200))
    logger = logging.getLogger(front.ACCESS_LOG)
    before = list(logger.filters)
    try:
        front.quiet_health_log()
        front.quiet_health_log()  # once, however many apps serving_app makes
        assert sum(isinstance(f, front.HealthOkNotLogged) for f in logger.filters) == 1
    finally:
        logger.filters[:] = before
