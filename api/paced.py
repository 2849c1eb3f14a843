"""A kept download's bytes sent a piece at a time, the event loop free between the pieces.

A kept results file is ~466 kB gzipped. Sent as one ASGI message it was one ``send`` system call
of all of it (on loopback the kernel also hands it to the reader inside that call), in which
the event loop answered nobody: py-spy during 64 downloads at once found a quarter of the loop
thread's time in the socket transport's ``write``. Sent in pieces of :data:`PIECE` bytes with a
pass of the loop between them, a ``/health`` ping waits for one piece at most.
"""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

PIECE = 64 * 1024


class PacedResponse(Response):
    """A :class:`Response` (its headers, ``Content-Length`` among them) whose body goes out
    :data:`PIECE` bytes per pass of the event loop."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body
        if len(body) <= PIECE:
            await super().__call__(scope, receive, send)
            return
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        for offset in range(0, len(body), PIECE):
            await asyncio.sleep(0)  # the others' turn (a /health ping) before each piece
            more = offset + PIECE < len(body)
            await send(
                {
                    "type": "http.response.body",
                    "body": body[offset : offset + PIECE],
                    "more_body": more,
                }
            )
