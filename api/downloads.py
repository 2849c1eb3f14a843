"""Downloads that cost what they must: built once per change of the store, off the event loop,
kept compressed in the store (every worker shares them), answered ``304`` when unchanged.
Under ``serve``, an MXLIMS file of the embedded store is built in the reading process beside
the server's (api/message_files.py); a kept copy goes out in pieces (api/paced.py).

A download is kept per *slot*: what was asked (path and query), what the caller may see (role
and proposals) and a server secret, hashed. It is kept with its read set (the uuids and
proposals its build read, :mod:`mxlims_store.store.read_set`) and stays valid while no commit
touched any of them: a new result, a pin moved in or out, a deletion, a restore (which empties
the cache) in THAT tree. Its ETag hashes the slot and the store's generation when the build
began, so it changes with every rebuild that gives other bytes and with nothing else (a rebuild
with the same bytes keeps it: what a member may not see moves none of its ETags): writes
elsewhere in the store (another shipment, another proposal) neither change it nor rebuild it.
A build that read more than keys can say (a search over every proposal) follows the store's
generation instead.

A build runs in one of ``MXLIMS_BUILD_SLOTS`` slots per worker; beyond that a request waits in a
queue at most ``MXLIMS_BUILD_WAIT`` seconds and then gets ``503`` with ``Retry-After``. Requests
for the same uncached download share one build. So memory is bounded by the slots, not by the
number of clients: a cached copy is a few hundred kB, and is streamed uncompressed to a client
that does not take gzip.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from mxlims_store.api.errors import ApiError
from mxlims_store.api.memory import trim
from mxlims_store.api.message_files import Built as Built
from mxlims_store.api.message_files import Made, MessageFile, build_here, compressed
from mxlims_store.api.message_files import json_built as json_built
from mxlims_store.api.paced import PacedResponse
from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.collector import collector_paused
from mxlims_store.store.read_processes import run_elsewhere
from mxlims_store.store.read_set import ReadRecorder
from mxlims_store.store.server_state import ServerState, server_state

T = TypeVar("T")
KIND = "download"
READS = "download-reads"  # what a kept download read: its keys (store/read_set.py)
BUILDING = "download-building"  # which worker builds a download now: the others wait for it
POLL = 0.2  # seconds between looks for another worker's build
KEPT_FOR = 24 * 3600.0  # seconds an unused built download stays in the store
CACHE_BYTES = 1024**3  # what built downloads may take of the store; beyond, served unkept
STREAM_CHUNK = 64 * 1024
FRESH_KEPT = 4096  # versions remembered as fresh at a generation
GIVE_BACK_AFTER = 1.0  # seconds without a download before their memory goes back
VARY = "Authorization, X-API-Key, Cookie, Accept-Encoding"


Kept = tuple[dict[str, Any], bytes]  # a kept download: what describes it, its gzipped bytes


CACHED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Unchanged since the ETag sent in If-None-Match"},
}
CACHE_HEADERS = {
    "ETag": {
        "description": "changes with anything in the download or what the caller may see: "
        "send it back as If-None-Match",
        "schema": {"type": "string"},
    }
}


class BuildsBusy(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            503,
            "Busy",
            "the server is building as many downloads as it may at once "
            "(MXLIMS_BUILD_SLOTS); try again shortly",
            {"Retry-After": str(retry_after)},
        )


class BuildGate:
    """At most ``slots`` builds at once in this worker; a bounded queue waits ``wait`` seconds."""

    def __init__(self, slots: int, wait: float, queue: int = 256, elsewhere: bool = False) -> None:
        self.slots, self.wait, self.queue = slots, wait, queue
        self.elsewhere = elsewhere  # MXLIMS files built in a reading process (message_files)
        self._free = asyncio.Semaphore(slots)
        self.waiting = 0
        self.inflight: dict[str, asyncio.Future[Kept]] = {}
        self.active = 0  # downloads being answered now
        self.fresh_at: dict[tuple[str, int], int] = {}  # (slot, built at) -> found fresh at
        # (slot, built at, now) -> the one look at its read set that requests share
        self.checking: dict[tuple[str, int, int], asyncio.Future[bool]] = {}
        self.trimming: asyncio.Future[bool] | None = None  # kept: a task nobody holds may vanish
        self._builders: ThreadPoolExecutor | None = None
        # When a build is done, every request that waited for it (63 of a burst of 64) would
        # send its answer in one pass of the event loop, ~3 ms each: ~0.2 s in which nobody
        # else (/health) was answered. They take turns instead, one a pass.
        self.turns = asyncio.Lock()

    async def off_the_loop(self, store: Store, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """``make()`` run on an event loop of its own, in one of this gate's threads: a build
        of a 1,600-pin results file is ~0.3 s of Python between its reads, and on the server's
        loop each stretch of it (tens of ms) was a stretch in which nobody was answered,
        ``/health`` included. In a thread, the interpreter switches to the server's loop every
        switch interval (api/main.py). An embedded store's reads go to its own threads from any
        loop; a MongoDB client belongs to the loop it started on: there, builds stay on it."""
        if not isinstance(store.db, SqliteBackend):
            return await make()
        if self._builders is None:
            self._builders = ThreadPoolExecutor(self.slots, thread_name_prefix="mxlims-build")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._builders, asyncio.run, make())

    @asynccontextmanager
    async def answering(self, state: ServerState) -> AsyncIterator[None]:
        """One download being answered; the last of a burst gives memory back a moment later."""
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            if not self.active and (self.trimming is None or self.trimming.done()):
                self.trimming = asyncio.ensure_future(self._give_back_when_quiet(state))

    async def _give_back_when_quiet(self, state: ServerState) -> bool:
        await asyncio.sleep(GIVE_BACK_AFTER)  # a burst seldom ends with one quiet instant
        if self.active:
            return False  # the next quiet moment
        return await _give_back(state)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.waiting >= self.queue:
            raise BuildsBusy(max(1, int(self.wait)))
        self.waiting += 1
        try:
            await asyncio.wait_for(self._free.acquire(), self.wait)
        except TimeoutError:
            raise BuildsBusy(max(1, int(self.wait))) from None
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._free.release()


def _visibility(store: Store) -> str:
    caller = store.caller
    seen = "*" if caller.proposals is None else ",".join(sorted(caller.proposals))
    return f"{caller.effective_role}:{seen}"


def _what(request: Request) -> str:
    query = "&".join(sorted(request.url.query.split("&"))) if request.url.query else ""
    return f"{request.url.path}?{query}"


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


async def cached_download(
    request: Request, store: Store, build: Callable[[Store], Awaitable[Built]]
) -> Response:
    """The download ``build`` makes (reading through the store it is given), from the store's
    cache while no commit touched what the kept copy read."""
    state: ServerState = server_state(store.db)
    gate: BuildGate = request.app.state.build_gate
    slot = hashlib.sha256(
        f"{request.app.state.download_secret}|{_what(request)}|{_visibility(store)}".encode()
    ).hexdigest()
    async with gate.answering(state):
        entry = await state.get(KIND, slot)
        if entry is None or await _stale(gate, state, slot, entry.value):
            before = None if entry is None else (entry.value, entry.body or b"")
            value, body = await _built_once(gate, state, slot, store, build, before)
        else:
            value, body = entry.value, entry.body or b""
    etag = value["etag"]
    headers = {**value["headers"], "ETag": etag, "Cache-Control": "private, no-cache", "Vary": VARY}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        return PacedResponse(body, media_type=value["media"], headers=_gzipped(headers))
    return StreamingResponse(_inflated(body), media_type=value["media"], headers=headers)


async def _stale(gate: BuildGate, state: ServerState, slot: str, value: dict[str, Any]) -> bool:
    """Whether a commit since the kept copy's build touched what it read (or, for a build that
    read more than keys can say, whether anything changed at all). The store's generation is
    one row: unmoved, nothing is stale; and a version found fresh at a generation stays fresh
    while the generation does not move (where a commit notes its touches with its generation,
    not after it)."""
    now = await state.generation()
    built = value["generation"]
    if now == built:
        return False
    if value.get("wholeStore"):
        return True
    if gate.fresh_at.get((slot, built)) == now:
        return False
    if await _read_set_changed(gate, state, (slot, built, now), _reads_key(slot, value)):
        return True
    if state.touches_with_generation:
        if len(gate.fresh_at) >= FRESH_KEPT:
            gate.fresh_at.clear()
        gate.fresh_at[(slot, built)] = now
    return False


async def _read_set_changed(
    gate: BuildGate, state: ServerState, version: tuple[str, int, int], reads_key: str
) -> bool:
    """Whether a commit touched the read set of ``version`` (slot, built at, generation now),
    looked at once per generation by a burst's requests. Where touches are logged after the
    generation is bumped (MongoDB), each request looks: the answer may change meanwhile."""
    if not state.touches_with_generation:
        return await state.read_set_changed(READS, reads_key, version[1])
    running = gate.checking.get(version)
    if running is None:
        if len(gate.checking) >= FRESH_KEPT:
            gate.checking.clear()
        running = asyncio.ensure_future(state.read_set_changed(READS, reads_key, version[1]))
        gate.checking[version] = running  # kept once done: the answer holds at that generation

        def done(future: asyncio.Future[bool]) -> None:
            if future.cancelled() or future.exception() is not None:  # (retrieved here)
                gate.checking.pop(version, None)  # no answer: the next request looks again

        running.add_done_callback(done)
    return await asyncio.shield(running)  # one waiter cancelled leaves the look to the others


def _reads_key(slot: str, value: dict[str, Any]) -> str:
    """Where the read set of the version ``value`` describes is kept: each version's its own,
    so a version is never checked against another's read set."""
    return f"{slot}@{value['generation']}"


async def _give_back(state: ServerState) -> bool:
    """The caches a burst of builds filled, and then the memory they held, back to the system
    (api/memory.py): two workers otherwise stayed ~100 MB larger after a burst."""
    await state.release_memory()
    return await asyncio.to_thread(trim)


def _gzipped(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Encoding": "gzip"}


async def _built_once(
    gate: BuildGate,
    state: ServerState,
    slot: str,
    store: Store,
    build: Callable[[Store], Awaitable[Built]],
    before: Kept | None = None,
) -> Kept:
    """Build (or wait for this worker's build of the same download), compress off the event
    loop, and keep it in the store with what it read, in place of the version ``before``."""
    running = gate.inflight.get(slot)
    if running is None:
        running = asyncio.get_running_loop().create_future()
        gate.inflight[slot] = running
        try:
            found = await _built_elsewhere(gate, state, slot)
            if found is not None:
                running.set_result(found)
                return found
            async with gate.slot():
                kept = await _recorded_build(gate, state, slot, store, build, before)
                running.set_result(kept)
        except BaseException as error:
            running.set_exception(error)
            running.exception()  # retrieved: waiters get it, nobody else must
            if isinstance(error, Exception):  # other workers must not wait for it
                await state.delete(BUILDING, slot)
            raise
        finally:
            gate.inflight.pop(slot, None)
    kept = await asyncio.shield(running)
    async with gate.turns:  # those who waited for this build answer one per pass of the loop
        await asyncio.sleep(0)
    return kept


async def _recorded_build(
    gate: BuildGate,
    state: ServerState,
    slot: str,
    store: Store,
    build: Callable[[Store], Awaitable[Built]],
    before: Kept | None = None,
) -> Kept:
    """One build through a :class:`ReadRecorder`, kept with its read set. Its ETag names the
    generation read *before* it started: a commit that lands during the build touches a key
    the build read at a later generation, so the kept copy is found stale at once. A build
    with the very bytes of the version ``before`` keeps its ETag: a write a member may not see
    (another proposal's object linked to its pin, edited) rebuilds its download, and a new
    ETag for the same bytes told the member that something hidden had changed."""
    generation = await state.generation()
    body, media, headers, reads, whole_store = made = await _made(gate, state, store, build)
    etag = '"' + hashlib.sha256(f"{slot}|{generation}".encode()).hexdigest()[:40] + '"'
    if before is not None and _same_download(before, made):
        etag = before[0]["etag"]
    value = {
        "headers": headers,
        "media": media,
        "etag": etag,
        "generation": generation,
        "wholeStore": whole_store,
    }
    kept_bytes = (await state.usage(KIND))[1] + (await state.usage(READS))[1]
    if kept_bytes + len(body) + len(reads) <= CACHE_BYTES:
        reads_key = _reads_key(slot, value)
        await state.put(READS, reads_key, {}, ttl=KEPT_FOR, body=reads, owner=slot)
        await state.put(KIND, slot, value, ttl=KEPT_FOR, body=body, owner=slot)
        await state.delete_owned(READS, slot, keep=reads_key)  # the versions before
    await state.delete(BUILDING, slot)
    return value, body


async def _made(
    gate: BuildGate, state: ServerState, store: Store, build: Callable[[Store], Awaitable[Built]]
) -> Made:
    """The download built, compressed, and what it read: an MXLIMS file of the embedded store
    in a reading process when the gate sends builds there (api/message_files.py), anything
    else (or when no process could) off the event loop in this process."""
    caller = store.caller  # a member's read set names only what it may see (read_set.py)
    if gate.elsewhere and isinstance(build, MessageFile) and isinstance(store.db, SqliteBackend):
        made = await run_elsewhere(build_here, str(store.db.path), caller, build)
        if made is not None:
            return made
    recorder = ReadRecorder(store.db, None if caller.reads_everything else caller.proposals or ())

    async def building() -> Made:  # all of it off the loop
        built = await build(Store(recorder, caller))
        body = await asyncio.to_thread(compressed, built.content)  # zlib lets go of the GIL
        # in the form the store asks about (SQLite: numbers), made once per build, off the loop
        reads = state.read_set_body(recorder.keys)
        return body, built.media_type, built.headers, reads, recorder.whole_store

    with collector_paused():  # one pause for imports, exports and builds (store.collector)
        return await gate.off_the_loop(store, building)


def _same_download(before: Kept, made: Made) -> bool:
    """Whether a build gives the bytes (gzipped without a time: the same for the same
    content) and headers of the version ``before``."""
    value, kept = before
    body, media, headers = made[:3]
    return kept == body and value["headers"] == headers and value["media"] == media


async def _built_elsewhere(gate: BuildGate, state: ServerState, slot: str) -> Kept | None:
    """When another worker is building the same download, its copy once it is in the store
    (None: this worker builds it; also when the other one takes longer than a build may)."""
    claim = secrets.token_hex(8)
    holder = await state.add(BUILDING, slot, {"by": claim}, ttl=gate.wait)
    if holder.value.get("by") == claim:
        return None
    for _ in range(int(gate.wait / POLL)):
        await asyncio.sleep(POLL)
        entry = await state.get(KIND, slot)
        if entry is not None and not await _stale(gate, state, slot, entry.value):
            return entry.value, entry.body or b""
        if await state.get(BUILDING, slot) is None:  # it failed, or gave up
            return None
    return None


async def _inflated(body: bytes) -> AsyncIterator[bytes]:
    """The cached copy uncompressed, a chunk at a time (memory stays at one chunk, and so does
    each stretch of the event loop's work: 64 kB of gzip is up to ~0.5 MB of JSON)."""
    inflater = zlib.decompressobj(wbits=31)
    for start in range(0, len(body), STREAM_CHUNK):
        pending = body[start : start + STREAM_CHUNK]
        while pending:
            piece = inflater.decompress(pending, STREAM_CHUNK)
            pending = inflater.unconsumed_tail
            if piece:
                yield piece
                await asyncio.sleep(0)  # the others' turn between pieces (api/paced.py)
    tail = inflater.flush()
    if tail:
        yield tail
