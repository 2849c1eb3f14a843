"""Slow clients: bounded waits for a request's head and body.

uvicorn bounds only the idle time *between* requests (``timeout_keep_alive``, restarted by every
byte received), so a client that trickles a request's headers or body holds its connection for
as long as it likes (Slowloris). Two guards close that:

- :class:`TimedHttpToolsProtocol`, the HTTP protocol ``mxlims-store serve`` runs: the request
  line and headers must arrive within ``MXLIMS_HEADER_TIMEOUT`` seconds of the connection
  opening (or of the first byte of the next request on a kept-alive connection), else the
  connection is closed (with a 408 when part of a request came). A body that the application
  answered without reading (a 401 or 413 before the upload ended) must end within
  ``MXLIMS_BODY_TIMEOUT``.
  Only the server sees a request before its headers are complete: this cannot be middleware.
- :class:`BodyTimeout`, ASGI middleware: while the application reads a body, no pause may be
  longer than ``MXLIMS_BODY_TIMEOUT`` and the whole body must arrive within
  ``MXLIMS_BODY_TOTAL_TIMEOUT``; else a 408 in the usual error body, and the connection closes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from mxlims_store.api.errors import ApiError
from mxlims_store.config import get_settings


def _request_timeout(message: str) -> bytes:
    """A whole 408 response, written by the protocol itself (no request reached the app)."""
    body = json.dumps({"error": "RequestTimeout", "message": message, "problems": []}).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        "content-type: application/json\r\n"
        "connection: close\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


class TimedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines for a request's head and for an unread body.

    httptools (llhttp, in C) rather than h11: h11 parsed each request and framed each piece of
    an answer in Python on the event loop, about a sixth of the loop's CPU during a burst of
    downloads (py-spy), in the passes a ``/health`` ping waits for."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = get_settings()
        self.header_timeout = settings.header_timeout
        self.body_timeout = settings.body_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._drain_timer: asyncio.TimerHandle | None = None
        self._in_head = False  # a request's first bytes came, its headers are not all in
        self._in_body = False  # its headers are in, its body is not

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_head()

    def data_received(self, data: bytes) -> None:
        if not self._in_head and not self._in_body:  # a request's first bytes: its clock starts
            self._expect_head()
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_headers_complete(self) -> None:
        self._in_head, self._in_body = False, True
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        self._stop_drain_timer()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._in_body and not self.transport.is_closing():
            # answered before the body was read: the rest of it may take body_timeout, no more
            self._stop_drain_timer()
            self._drain_timer = self.loop.call_later(self.body_timeout, self._drain_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        self._stop_drain_timer()
        super().connection_lost(exc)

    def _expect_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._in_body or self.transport.is_closing():
            return
        if self._in_head:  # part of a request came: say why it ends
            message = (
                f"the request line and headers did not arrive within {self.header_timeout:g} s"
            )
            self.transport.write(_request_timeout(message))
        self.transport.close()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _stop_drain_timer(self) -> None:
        if self._drain_timer is not None:
            self._drain_timer.cancel()
            self._drain_timer = None

    def _drain_too_slow(self) -> None:
        self._drain_timer = None
        if self._in_body and not self.transport.is_closing():
            self.transport.close()


class RequestTimeout(ApiError):
    def __init__(self, message: str) -> None:
        # the rest of the body is not read: the connection cannot serve another request
        super().__init__(408, "RequestTimeout", message, headers={"Connection": "close"})


class BodyTimeout:
    """ASGI middleware: a request body keeps coming (no pause over ``pause`` seconds) and is
    complete within ``total`` seconds of the request's start, else 408."""

    def __init__(self, app: ASGIApp, pause: float, total: float) -> None:
        self.app, self.pause, self.total = app, pause, total

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.total
        body_done = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:  # after the body, receive() only waits for a disconnect: no limit
                return await receive()
            wait = min(self.pause, deadline - loop.time())
            try:
                async with asyncio.timeout(max(wait, 0)):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(self._why(wait)) from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)

    def _why(self, wait: float) -> str:
        if wait < self.pause:
            return f"the request body did not arrive within {self.total:g} s"
        return f"the request body paused for more than {self.pause:g} s"
