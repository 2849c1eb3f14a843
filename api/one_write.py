"""An answer's writes made in one pass of the event loop go out as one ``send``.

uvicorn writes a response's head when the application starts it and its body when it sends
it: two system calls and, with ``TCP_NODELAY``, two segments. A small answer (``/health``, a
``304``, an error) then reaches its client in two pieces: a ``/health`` pinger over a kept-alive
connection needed 1.48 reads per ping (2,000 pings), so about every other ping woke it twice,
and on a busy machine each wake-up can wait for a core. :class:`OneWritePerPass` holds what is
written in a pass and sends it at the start of the next one, joined: the head and a body sent
right after it go out together. A kept download's pieces are one per pass (api/paced.py): each
still goes out alone, one pass later, with the transport's flow control as before (uvicorn waits
for the transport to drain before its next write).
"""

from __future__ import annotations

import asyncio
from typing import Any


class OneWritePerPass:
    """A transport whose writes in one pass of the loop are sent together in the next one;
    closing sends what is held first. Everything else is the transport's own."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._held:
            self._loop.call_soon(self._send)
        self._held.append(bytes(data) if not isinstance(data, bytes) else data)

    def writelines(self, pieces: Any) -> None:
        for piece in pieces:
            self.write(piece)

    def close(self) -> None:
        self._send()
        self._transport.close()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(piece) for piece in self._held)

    def _send(self) -> None:
        held, self._held = self._held, []
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, abort, ...
        return getattr(self._transport, name)
