"""Requests start a few per pass of the event loop.

A request's first step (the framework's and the project's middlewares, up to its first wait:
the download door, a key's look-up) is a stretch of the loop's CPU in which nobody else is
answered, ``/health`` included. Sixty-four clients asking at once put sixty-four such steps in
one pass of the loop: a ping that arrived then waited for all of them (the loop's probe during
`python -m bench.downloads`: passes of 4-13 ms of work as a burst arrived, against 1 ms idle).
:class:`Turns` lets at most ``per_pass`` requests take their first step in a pass; the others
wait for the next one, in order. The work is the same, in shorter passes: a ping waits for a
few first steps at most. Waiting here costs a parked task, and a burst of 64 is let through
within 16 passes (milliseconds).
"""

from __future__ import annotations

import asyncio
from collections import deque

PER_PASS = 4  # ~0.2-0.4 ms of the loop's CPU each (py-spy): about a millisecond a pass


class Turns:
    """At most ``per_pass`` callers of :meth:`take` go on in one pass of the event loop."""

    def __init__(self, per_pass: int = PER_PASS) -> None:
        self.per_pass = per_pass
        self.left = per_pass  # turns left in this pass
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._refill_due = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def take(self) -> None:
        """Return in this pass when a turn is left (and nobody waits for one), else in a
        later pass, in order of arrival."""
        if self.left > 0 and not self._waiting:
            self.left -= 1
            self._refill_next_pass()
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        self._refill_next_pass()
        try:
            await turn
        except BaseException:  # cancelled while waiting: it leaves the line
            if turn in self._waiting:
                self._waiting.remove(turn)
            raise

    def _refill_next_pass(self) -> None:
        # a callback scheduled now runs in the next pass, after everything ready in this one
        if not self._refill_due:
            self._refill_due = True
            asyncio.get_running_loop().call_soon(self._refill)

    def _refill(self) -> None:
        self._refill_due = False
        self.left = self.per_pass
        while self.left > 0 and self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():  # (a cancelled one is skipped)
                turn.set_result(None)  # its task goes on in the next pass
                self.left -= 1
        if self._waiting or self.left < self.per_pass:
            self._refill_next_pass()
