"""Downloads are let into the application a few at a time.

Every request in the application is a task the event loop turns: its middlewares, routing,
dependencies, key and cache look-ups (each a trip to a database thread and back) and its
answer's writes. Sixty-four downloads asked at once made each pass of the loop run sixty-four
such steps (and their system calls, each of which waits for the interpreter's lock while build
and database threads hold it) before it came back to anyone else: ``/health`` waited tens of
milliseconds. :class:`DownloadAdmission` (after the Host check, CORS and the pages' session
layer, ahead of the other middlewares, routing and dependencies) lets at most ``slots``
downloads in at once; the others wait at the door, where waiting costs the loop nothing (a
parked task). Everything else passes at once, and so does a download asked
without a key or a signed-in session, or (when it would have to wait) with a key that is not
valid: it is refused at once.

A download holds its place until its answer is handed to the server (the app returns), or at
most ``HOLD_AFTER_START`` seconds after its answer started: a client that reads slowly must
not keep others out. A request that waited ``wait`` seconds (``MXLIMS_BUILD_WAIT``) without
getting in is answered ``503`` with ``Retry-After``, as a build that found no slot is; so is
one beyond a full queue.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mxlims_store.api.errors import error_response
from mxlims_store.api.key_first import presented_key
from mxlims_store.api.params import API_PREFIX
from mxlims_store.errors import MxlimsError

# Built and kept downloads (api/downloads.py) and the provenance walk (a tree of thousands),
# also the page drawing it.
# tests/api/test_admission.py checks that every route answering 304 is among them.
_API = re.escape(API_PREFIX)
_UUID = r"[^/]+"
DOWNLOADS = re.compile(
    "|".join(
        [
            rf"{_API}/shipments/{_UUID}/(results|sheet)",
            rf"{_API}/proposals/[^/]+/results",
            rf"{_API}/objects/{_UUID}/(export|provenance)",
            rf"/pages/shipments/{_UUID}/(results\.json|sheet)",
            rf"/pages/objects/{_UUID}/(export\.json|provenance)",
        ]
    )
)
HOLD_AFTER_START = 1.0  # seconds an answer being sent keeps its place
QUEUE = 1024  # requests waiting at the door at most; beyond, 503 at once


def is_download(scope: Scope) -> bool:
    return scope["method"] in ("GET", "HEAD") and DOWNLOADS.fullmatch(scope["path"]) is not None


def _says_who(scope: Scope) -> bool:
    """Whether the request presents a key or a session: one without is answered 401 (or sent
    to the sign-in page) at once, so it passes without a place, and keyless clients cannot
    fill the queue ahead of those who may download."""
    return presented_key(scope.get("headers", [])) is not None or _signed_in(scope)


def _signed_in(scope: Scope) -> bool:
    """The session as the pages' session layer (outside this one) decoded it: any visitor gets
    a signed cookie (the page to go back to after signing in), a forged one decodes empty;
    only one signed in holds a session id."""
    session = scope.get("session")
    return isinstance(session, dict) and isinstance(session.get("sid"), str)


async def _key_holds(scope: Scope) -> bool:
    """Whether the request's key (if it came with one, not a session) is a valid one, asked
    before it waits: a made-up key must not hold a place in the queue. Only requests that
    must wait ask; the answer asks again once let in (a key revoked meanwhile is refused). A
    wrong key is left for the answer to refuse and count."""
    if _signed_in(scope):  # the pages go by the session whatever key comes beside it
        return True
    presented = presented_key(scope.get("headers", []))
    if presented is None:
        return True
    try:
        await scope["app"].state.store.authenticate(presented)
    except MxlimsError:  # a wrong key (or the store down): answered at once inside
        return False
    return True


async def _enter_unless_gone(door: Door, receive: Receive) -> tuple[bool | None, Receive]:
    """``door.enter()``, given up (None) when the client disconnects meanwhile: its place is
    not kept, then taken later for an answer nobody reads. What the client sent while it
    waited (its request's body) is handed on to the app by the ``receive`` returned."""
    if not door.full:
        return await door.enter(), receive
    kept: list[Message] = []

    async def until_gone() -> None:
        while (message := await receive())["type"] != "http.disconnect":
            kept.append(message)

    entering = asyncio.ensure_future(door.enter())
    watching = asyncio.ensure_future(until_gone())
    try:
        await asyncio.wait({entering, watching}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # cancelled: a place given meanwhile is passed on
        await _stop(entering, watching, door)
        raise
    gone = watching.done() and not watching.cancelled() and watching.exception() is None
    if gone:
        await _stop(entering, watching, door)  # (let in at the moment it left: passed on)
        return None, receive
    watching.cancel()
    await asyncio.gather(watching, return_exceptions=True)

    async def replayed() -> Message:
        return kept.pop(0) if kept else await receive()

    return await entering, replayed  # (done, unless the client's receive failed)


async def _stop(entering: asyncio.Future[bool], watching: asyncio.Future[None], door: Door) -> None:
    watching.cancel()
    entering.cancel()  # (Door.enter passes on a place given before it saw the cancel)
    await asyncio.gather(entering, watching, return_exceptions=True)
    if entering.done() and not entering.cancelled() and entering.result() is True:
        door.leave()  # it got in before it was stopped


class Door:
    """At most ``slots`` inside; the others wait in order, at most ``wait`` seconds each."""

    def __init__(self, slots: int, wait: float, queue: int = QUEUE) -> None:
        self.slots, self.wait, self.queue = slots, wait, queue
        self.inside = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def full(self) -> bool:
        """Whether a request now would have to wait (or be refused)."""
        return self.inside >= self.slots or bool(self._waiting)

    async def enter(self) -> bool:
        """Whether the caller got in (False: it waited too long, or the queue was full)."""
        if self.inside < self.slots and not self._waiting:
            self.inside += 1
            return True
        if len(self._waiting) >= self.queue:
            return False
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            async with asyncio.timeout(self.wait):
                await turn
        except TimeoutError:
            if turn.done() and not turn.cancelled():
                # a place was given in the same pass as the deadline fell due: it is this
                # request's (counted inside already); given up, no one would hold it
                return True
            self._forget(turn)
            return False
        except BaseException:  # cancelled: a place given meanwhile goes to the next one
            if turn.done() and not turn.cancelled():
                self.leave()
            else:
                self._forget(turn)
            raise
        return True

    def _forget(self, turn: asyncio.Future[None]) -> None:
        turn.cancel()
        if turn in self._waiting:
            self._waiting.remove(turn)

    def leave(self) -> None:
        """One place free: the next waiting request takes it (it is counted inside already)."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.inside -= 1


class DownloadAdmission:
    """ASGI middleware: downloads wait at a :class:`Door` (``app.state.download_door``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_download(scope) or not _says_who(scope):
            await self.app(scope, receive, send)
            return
        door: Door = scope["app"].state.download_door
        if door.full and not await _key_holds(scope):
            await self.app(scope, receive, send)  # refused inside at once (and counted)
            return
        entered, receive = await _enter_unless_gone(door, receive)
        if entered is None:
            return  # the client left while it waited: nothing to answer
        if not entered:
            retry = str(max(1, int(door.wait)))
            busy = error_response(
                503,
                "Busy",
                "the server is answering as many downloads as it may at once "
                "(MXLIMS_BUILD_SLOTS, MXLIMS_BUILD_WAIT); try again shortly",
                headers={"Retry-After": retry},
            )
            await busy(scope, receive, send)
            return
        left = False
        timer: asyncio.TimerHandle | None = None

        def leave() -> None:
            nonlocal left
            if not left:
                left = True
                door.leave()

        async def sending(message: Message) -> None:
            nonlocal timer
            if message["type"] == "http.response.start" and timer is None:
                timer = asyncio.get_running_loop().call_later(HOLD_AFTER_START, leave)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if timer is not None:
                timer.cancel()
            leave()
