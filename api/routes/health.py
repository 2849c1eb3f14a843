"""``/health`` (at the root, as load balancers and compose expect) and ``/api/v1/stats``: is the
store reachable, and what does it hold."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request

from mxlims_store.answers import Stats
from mxlims_store.api import models
from mxlims_store.api.deps import StoreDep
from mxlims_store.api.errors import errors
from mxlims_store.api.params import API_PREFIX
from mxlims_store.errors import Unavailable
from mxlims_store.model.registry import MODEL_VERSION
from mxlims_store.store import Store

router = APIRouter(tags=["service"])
stats_router = APIRouter(tags=["service"])
PATHS = frozenset({"/health", f"{API_PREFIX}/health"})
PING_EVERY = 1.0  # seconds
STUCK_AFTER = 10.0  # seconds a ping may take before the store counts as not answering


class Pings:
    """The store's pings, at most one a second, waited for only when the last one failed (or
    there was none yet). Otherwise ``/health`` answers from the last ping and the next one runs
    beside it: during a burst of downloads the store's threads have a queue, and a load
    balancer asks whether the server answers, not how long that queue is (a ping queued behind
    64 downloads' reads was the slowest ``/health`` of the burst). A ping that has not come back
    after ``STUCK_AFTER`` seconds is a store that does not answer: 503."""

    def __init__(self) -> None:
        self.failed = True  # the last ping failed, or there was none yet
        self.running: asyncio.Task[None] | None = None
        self.sent_at = 0.0
        self.clock = time.monotonic

    async def check(self, store: Store) -> None:
        now = self.clock()
        if self.failed:  # nothing good known: this request waits for the answer
            self.sent_at = now
            await self._ping(store)
        elif self.running is not None:
            if now - self.sent_at >= STUCK_AFTER:
                raise Unavailable(f"the store has not answered a ping for {STUCK_AFTER:.0f} s")
        elif now - self.sent_at >= PING_EVERY:
            self.sent_at = now
            self.running = asyncio.ensure_future(self._beside(store))

    async def _ping(self, store: Store) -> None:
        try:
            await store.ping()  # a failure answers 503, and the next request pings again
        except BaseException:
            self.failed = True
            raise
        self.failed = False

    async def _beside(self, store: Store) -> None:
        try:
            await self._ping(store)
        except Exception:  # noted: the next request pings again, and says why
            pass
        finally:
            self.running = None


def answer(mongodb: bool) -> models.Health:
    """``/health``'s answer once the store is known to answer (also given by api/front.py)."""
    backend = "mongodb" if mongodb else "embedded"
    return models.Health(status="ok", modelVersion=MODEL_VERSION, backend=backend)


@router.get(
    "/health",
    operation_id="get_health",
    summary="Health check",
    response_model=models.Health,
    responses=errors(503),
)
async def get_health(request: Request) -> models.Health:
    """Is the store reachable (pinged at most once a second: see :class:`Pings`)."""
    # app.state read here, not through dependencies: FastAPI runs a plain function dependency
    # in a worker thread, and during a burst of downloads those threads have a queue.
    state = request.app.state
    await state.pings.check(state.store)
    return answer(bool(state.settings.mongodb_url))


@stats_router.get(
    "/stats",
    operation_id="get_stats",
    summary="Objects per type",
    response_model=Stats,
    responses=errors(401),
)
async def get_stats(store: StoreDep) -> Stats:
    return await store.stats()
