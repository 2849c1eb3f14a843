"""``/health`` (at the root, as load balancers and compose expect) and ``/api/v1/stats``: is the
store reachable, and what does it hold."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from mxlims_store.answers import Stats
from mxlims_store.api import models
from mxlims_store.api.deps import OpenStoreDep, SettingsDep, StoreDep
from mxlims_store.api.errors import errors
from mxlims_store.model.registry import MODEL_VERSION

router = APIRouter(tags=["service"])
stats_router = APIRouter(tags=["service"])
PING_EVERY = 1.0  # seconds


@router.get(
    "/health",
    operation_id="get_health",
    summary="Health check",
    response_model=models.Health,
    responses=errors(503),
)
async def get_health(request: Request, store: OpenStoreDep, settings: SettingsDep) -> models.Health:
    """Pings the store (at most once a second: a load balancer polling during a burst of
    downloads measures whether the server answers, not the queue to the database)."""
    now = time.monotonic()
    if now - getattr(request.app.state, "pinged_at", -PING_EVERY) >= PING_EVERY:
        await store.ping()  # a failure answers 503, and the next request pings again
        request.app.state.pinged_at = now
    backend = "mongodb" if settings.mongodb_url else "embedded"
    return models.Health(status="ok", modelVersion=MODEL_VERSION, backend=backend)


@stats_router.get(
    "/stats",
    operation_id="get_stats",
    summary="Objects per type",
    response_model=Stats,
    responses=errors(401),
)
async def get_stats(store: StoreDep) -> Stats:
    return await store.stats()
