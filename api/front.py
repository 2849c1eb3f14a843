"""The layer in front of the whole application, the framework's own layers included.

Two things happen here, before anything else a request costs the event loop:

- ``GET``/``HEAD /health`` is answered from the last ping (:class:`health.Pings`), with the
  route's own answer. Behind it were the framework's layers (server errors, telemetry, body
  limit), the pages' session and headers layers, and the Host check: a fifth of the loop's CPU
  per ping, in a ping that waits for every other request's turn during a burst anyway. The Host
  check is made here too; a request with an ``Origin`` (CORS headers to add), a query string,
  or a store not known to answer goes on to the route, which answers as before.
- Every other request takes a turn (:mod:`mxlims_store.api.turns`): a few start per pass of
  the loop, so a burst's arrivals cannot fill one pass with their first steps.

Under ``serve`` the access log leaves out ``/health`` answered 200 (:func:`quiet_health_log`):
a load balancer's pings every few seconds were most of its lines, each a write on the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from mxlims_store.api.hosts import HostCheck
from mxlims_store.api.routes import health
from mxlims_store.api.turns import Turns


def install(app: FastAPI, hosts: list[str]) -> None:
    """Put :class:`Front` outside the stack ``app`` builds at its first request (Starlette
    builds it lazily; every layer added with ``add_middleware`` stays inside)."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack
    check = None if hosts == ["*"] else HostCheck(hosts)

    def with_front() -> ASGIApp:
        return Front(build(), app, check)

    app.build_middleware_stack = with_front  # type: ignore[method-assign]


class Front:
    def __init__(self, inner: ASGIApp, app: FastAPI, hosts: HostCheck | None) -> None:
        self.inner, self.app, self.hosts = inner, app, hosts
        self.turns = Turns()
        self._bodies: dict[bool, bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if await self._health_answered(scope, receive, send):
                return
            await self.turns.take()
        await self.inner(scope, receive, send)

    async def _health_answered(self, scope: Scope, receive: Receive, send: Send) -> bool:
        if (
            scope["path"] not in health.PATHS
            or scope["method"] not in ("GET", "HEAD")
            or scope.get("query_string")
            or any(name == b"origin" for name, _ in scope["headers"])
        ):
            return False
        if self.hosts is not None and not await self.hosts.allows(scope, receive):
            return False  # the Host check inside answers its 400
        state = self.app.state
        try:
            await state.pings.check(state.store)
        except Exception:  # the route pings again and answers the error as it does
            return False
        body = self._body(bool(state.settings.mongodb_url))
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
        return True

    def _body(self, mongodb: bool) -> bytes:
        if mongodb not in self._bodies:
            self._bodies[mongodb] = health.answer(mongodb).model_dump_json().encode()
        return self._bodies[mongodb]


ACCESS_LOG = "uvicorn.access"


class HealthOkNotLogged(logging.Filter):
    """uvicorn's access log line (``client, method, path, version, status``) of a ``/health``
    answered 200 is dropped; a failing health check, and every other request, is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (
            isinstance(args, tuple)
            and len(args) == 5
            and args[2] in health.PATHS
            and args[4] == 200
        )


def quiet_health_log() -> None:
    logger = logging.getLogger(ACCESS_LOG)
    if not any(isinstance(f, HealthOkNotLogged) for f in logger.filters):
        logger.addFilter(HealthOkNotLogged())
