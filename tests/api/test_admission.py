"""Downloads are let in a few at a time (api/admission.py): the others wait at the door in
order, give up with 503 + Retry-After after the build wait, and everything that is not a
download (``/health`` first) passes at once. A slow reader does not keep its place."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from mxlims_store.api import admission
from mxlims_store.api.admission import DOWNLOADS, Door, DownloadAdmission, is_download
from mxlims_store.api.main import create_app
from mxlims_store.errors import Unauthenticated
from mxlims_store.store.bootstrap import FIRST_KEY_FILE
from tests.api.conftest import make_settings


async def test_the_door_lets_in_its_slots_and_the_others_in_order() -> None:
    door = Door(slots=2, wait=5)
    assert await door.enter() and await door.enter()
    order: list[int] = []

    async def waiting(n: int) -> None:
        assert await door.enter()
        order.append(n)

    waiters = [asyncio.create_task(waiting(n)) for n in range(3)]
    await asyncio.sleep(0.01)
    assert door.inside == 2 and door.waiting == 3 and not order
    door.leave()
    await asyncio.sleep(0.01)
    assert order == [0] and door.inside == 2 and door.waiting == 2
    door.leave()
    door.leave()
    await asyncio.gather(*waiters)
    assert order == [0, 1, 2] and door.waiting == 0
    for _ in range(2):
        door.leave()
    assert door.inside == 0


async def test_waiting_too_long_or_beyond_the_queue_is_refused_and_frees_nothing() -> None:
    door = Door(slots=1, wait=0.02, queue=1)
    assert await door.enter()
    late = asyncio.create_task(door.enter())
    await asyncio.sleep(0)
    assert not await door.enter()  # the queue is full: at once
    assert not await late  # waited 20 ms
    assert door.inside == 1 and door.waiting == 0
    door.leave()
    assert door.inside == 0 and await door.enter()


async def test_a_waiter_cancelled_after_being_let_in_passes_its_place_on() -> None:
    door = Door(slots=1, wait=5)
    assert await door.enter()
    first = asyncio.create_task(door.enter())
    second = asyncio.create_task(door.enter())
    await asyncio.sleep(0)
    door.leave()  # the place goes to the first waiter ...
    first.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second and door.inside == 1 and door.waiting == 0
    door.leave()
    assert door.inside == 0


@pytest.mark.parametrize(
    ("method", "path", "download"),
    [
        ("GET", "/api/v1/shipments/abc/results", True),
        ("HEAD", "/api/v1/shipments/abc/results", True),
        ("GET", "/api/v1/shipments/abc/sheet", True),
        ("GET", "/api/v1/proposals/mx1234/results", True),
        ("GET", "/api/v1/objects/abc/export", True),
        ("GET", "/api/v1/objects/abc/provenance", True),
        ("GET", "/pages/shipments/abc/results.json", True),
        ("GET", "/pages/objects/abc/export.json", True),
        ("GET", "/pages/shipments/abc/sheet", True),
        ("GET", "/pages/objects/abc/provenance", True),  # the same walk, drawn as a page
        ("GET", "/health", False),
        ("GET", "/api/v1/objects/abc", False),
        ("GET", "/api/v1/shipments/abc/sheet/report", False),
        ("GET", "/api/v1/shipments/abc/results/extra", False),
        ("POST", "/api/v1/messages", False),
        ("DELETE", "/api/v1/objects/abc/export", False),
    ],
)
def test_what_counts_as_a_download(method: str, path: str, download: bool) -> None:
    assert is_download({"method": method, "path": path}) is download


def test_every_kept_download_of_the_api_waits_at_the_door(tmp_path: Path) -> None:
    """A new route answering 304 (a kept download, api/downloads.py) must be added to
    ``DOWNLOADS``, or 64 of it at once run side by side again."""
    paths = create_app(make_settings(tmp_path)).openapi()["paths"]
    kept = [p for p, ops in paths.items() if "304" in ops.get("get", {}).get("responses", {})]
    assert len(kept) >= 4
    for path in kept:
        concrete = path.replace("{uuid}", "0b7c").replace("{code}", "mx1").replace("{site}", "x")
        assert DOWNLOADS.fullmatch(concrete), path


class Inner:
    """An app whose downloads answer when told to (``release``), headers first."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = 0
        self.bodies: list[bytes | None] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started += 1
        if scope["path"].endswith("/b/results"):  # one that reads its request
            self.bodies.append((await receive()).get("body"))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if is_download(scope):
            await self.release.wait()  # a slow reader: the body is not taken yet
        await send({"type": "http.response.body", "body": b"done"})


KEYED = [(b"authorization", b"Bearer mxk.some.key")]


class Keys:
    """The store as the door asks it: only KEYED's key is valid."""

    async def authenticate(self, presented: str | None) -> object:
        if presented != "mxk.some.key":
            raise Unauthenticated("a valid API key is needed")
        return "a caller"


async def _call(
    layer: DownloadAdmission,
    path: str,
    door: Door,
    headers: Any = KEYED,
    gone: asyncio.Event | None = None,
    **more: Any,
) -> list[Message]:
    sent: list[Message] = []
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": path,
        "app": SimpleNamespace(state=SimpleNamespace(download_door=door, store=Keys())),
        "headers": headers,
        **more,
    }

    asked = 0

    async def receive() -> Message:  # a client: its (empty) body, then it stays till ``gone``
        nonlocal asked
        asked += 1
        if asked == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await (gone or asyncio.Event()).wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await layer(scope, receive, send)
    return sent


async def test_beyond_the_slots_a_download_waits_others_pass_and_a_slow_reader_lets_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(admission, "HOLD_AFTER_START", 0.05)
    inner = Inner()
    layer = DownloadAdmission(inner)
    door = Door(slots=1, wait=5)
    first = asyncio.create_task(_call(layer, "/api/v1/shipments/a/results", door))
    second = asyncio.create_task(_call(layer, "/api/v1/shipments/b/results", door))
    await asyncio.sleep(0.01)
    assert inner.started == 1 and door.waiting == 1  # the second waits at the door
    health = await _call(layer, "/health", door)  # passes at once
    assert health[-1]["body"] == b"done"
    await asyncio.sleep(0.1)  # the first still sends, but has held its place long enough
    assert inner.started == 3 and door.waiting == 0
    inner.release.set()
    for answer in await asyncio.gather(first, second):
        assert answer[0]["status"] == 200 and answer[-1]["body"] == b"done"
    assert door.inside == 0


async def test_a_download_that_waited_too_long_gets_503_with_retry_after() -> None:
    inner = Inner()
    layer = DownloadAdmission(inner)
    door = Door(slots=1, wait=0.05)
    assert await door.enter()  # someone else inside
    refused = await _call(layer, "/api/v1/shipments/a/results", door)
    assert inner.started == 0
    assert refused[0]["status"] == 503
    assert (b"retry-after", b"1") in refused[0]["headers"]
    assert b'"error":"Busy"' in refused[1]["body"]


async def test_the_app_answers_downloads_through_the_door(tmp_path: Path) -> None:
    from tests.api.conftest import running

    app = create_app(make_settings(tmp_path))
    async with running(app) as client:
        door: Door = app.state.download_door
        missing = "/shipments/0b7c0000-0000-4000-8000-000000000000/results"
        answers = await asyncio.gather(*(client.get(missing) for _ in range(door.slots * 3)))
        assert {a.status_code for a in answers} == {404}
        assert door.inside == 0 and door.waiting == 0
        assert (await client.get("/health")).status_code == 200


async def test_a_download_without_a_key_or_session_passes_without_a_place() -> None:
    """It is refused at once inside; keyless clients must not fill the queue."""
    inner = Inner()
    inner.release.set()
    layer = DownloadAdmission(inner)
    door = Door(slots=1, wait=0.05)
    assert await door.enter()  # the only place is taken
    path = "/pages/shipments/a/results.json"
    assert (await _call(layer, path, door, headers=[]))[0]["status"] == 200
    cookie = [(b"cookie", b"theme=dark")]
    assert (await _call(layer, path, door, headers=cookie))[0]["status"] == 200
    session = [(b"cookie", b"theme=dark; mxlims_session=abc")]  # decoded by the session layer
    assert (await _call(layer, path, door, headers=session, session={}))[0]["status"] == 200
    signed_in = {"sid": "s", "next": "/pages/shipments"}
    assert (await _call(layer, path, door, headers=session, session=signed_in))[0]["status"] == 503
    assert (await _call(layer, path, door, headers=[(b"x-api-key", b"k")]))[0]["status"] == 200
    assert (await _call(layer, path, door))[0]["status"] == 503  # a valid key waits


async def test_a_session_cookie_not_signed_in_passes_without_a_place(tmp_path: Path) -> None:
    """Any visitor gets a signed session cookie (the page to go back to after signing in): it
    must not buy a place at the door, or anyone could fill the queue ahead of those who may
    download. Only a signed-in session (its ``sid``) or a key waits; a forged cookie, which
    the session layer does not decode, neither."""
    from tests.api.conftest import running

    app = create_app(make_settings(tmp_path))
    async with running(app, key=None) as client:
        page = await client.get("http://testserver/pages/shipments", follow_redirects=False)
        assert page.status_code == 303 and "mxlims_session" in client.cookies  # not signed in
        door: Door = app.state.download_door
        for _ in range(door.slots):
            assert await door.enter()  # every place taken
        door.wait = 30.0
        path = "http://testserver/pages/shipments/0b7c0000-0000-4000-8000-000000000000/results.json"
        answer = await asyncio.wait_for(client.get(path, follow_redirects=False), 10)
        assert answer.status_code == 303 and door.waiting == 0  # sent to sign in, at once
        forged = {"cookie": "mxlims_session=abc"}
        answer = await asyncio.wait_for(client.get(path, headers=forged), 10)
        assert answer.status_code == 303 and door.waiting == 0
        key = (app.state.settings.data_dir / FIRST_KEY_FILE).read_text().strip()
        form = await client.get("http://testserver/pages/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        data = {"key": key, "csrf": csrf.group(1)}
        assert (await client.post("http://testserver/pages/login", data=data)).status_code == 303
        door.wait = 0.05
        answer = await asyncio.wait_for(client.get(path, follow_redirects=False), 10)
        assert answer.status_code == 503  # signed in: it waits at the door like a key
        junk = {"X-API-Key": "made-up"}  # (the pages go by the session, never by a key)
        answer = await asyncio.wait_for(client.get(path, headers=junk), 10)
        assert answer.status_code == 503  # a made-up key beside it does not let it skip
        for _ in range(door.slots):
            door.leave()


async def test_a_place_given_as_the_wait_runs_out_is_never_lost() -> None:
    """A place handed on (a download leaving, or its hold running out: a timer) in the same
    pass of the loop as a waiter's deadline, ahead of it: the waiter's task is resumed with its
    place given and its timeout firing both. The place must be taken or passed on, never kept
    by no one (the door would lose a slot for good, at the busiest moments)."""
    door = Door(slots=1, wait=0.05)
    assert await door.enter()
    waiter = asyncio.create_task(door.enter())
    await asyncio.sleep(0)  # it waits, its deadline set
    loop = asyncio.get_running_loop()
    loop.call_at(loop.time() + 0.01, door.leave)  # due before the deadline ...
    time.sleep(0.1)  # ... the loop busy meanwhile: both fall due in the same pass
    got_in = await waiter
    assert door.waiting == 0
    assert door.inside == (1 if got_in else 0)
    if got_in:
        door.leave()
    assert door.inside == 0 and await door.enter()


async def test_a_wrong_key_never_waits_at_a_full_door(tmp_path: Path) -> None:
    """A key is looked up before its request takes a place in the queue: a wrong one is
    refused at once, so that made-up keys cannot fill the queue ahead of those who may
    download; a right one waits its turn."""
    from tests.api.conftest import running

    app = create_app(make_settings(tmp_path))
    async with running(app) as client:
        door: Door = app.state.download_door
        for _ in range(door.slots):
            assert await door.enter()  # every place taken
        door.wait = 30.0
        path = "/shipments/0b7c0000-0000-4000-8000-000000000000/results"
        for wrong in ("mxk.abc123.not-the-secret", "made-up"):
            headers = {"Authorization": f"Bearer {wrong}"}
            answer = await asyncio.wait_for(client.get(path, headers=headers), 10)
            assert answer.status_code == 401 and door.waiting == 0
        door.wait = 0.05
        answer = await asyncio.wait_for(client.get(path), 10)
        assert answer.status_code == 503  # the right key waited its turn
        for _ in range(door.slots):
            door.leave()
        assert (await client.get(path)).status_code == 404  # let in, looked up once more: none


async def test_a_client_gone_while_it_waited_gives_its_place_up() -> None:
    """One that disconnects while it waits leaves the queue at once: no place taken later
    for an answer nobody reads; one that stays is let in with its request as it was sent."""
    inner = Inner()
    inner.release.set()
    layer = DownloadAdmission(inner)
    door = Door(slots=1, wait=30)
    assert await door.enter()  # the only place is taken
    gone = asyncio.Event()
    leaving = asyncio.create_task(_call(layer, "/api/v1/shipments/a/results", door, gone=gone))
    staying = asyncio.create_task(_call(layer, "/api/v1/shipments/b/results", door))
    await asyncio.sleep(0.01)
    assert door.waiting == 2
    gone.set()
    assert await asyncio.wait_for(leaving, 10) == []  # nothing answered, nothing built
    assert door.waiting == 1 and inner.started == 0
    door.leave()
    answer = await asyncio.wait_for(staying, 10)
    assert answer[0]["status"] == 200 and inner.started == 1
    assert inner.bodies == [b""]  # the request it had sent reached the app
    assert door.inside == 0 and door.waiting == 0


async def test_a_key_revoked_while_it_waited_is_refused_once_let_in(tmp_path: Path) -> None:
    """The look-up before the queue only keeps made-up keys out: once in, the key is checked
    again, so one revoked meanwhile is answered 401, not served."""
    from tests.acting import ADMIN
    from tests.api.conftest import running

    app = create_app(make_settings(tmp_path))
    async with running(app) as client:
        store = app.state.store
        created = await store.create_key(name="m", role="admin", caller=ADMIN)
        door: Door = app.state.download_door
        for _ in range(door.slots):
            assert await door.enter()
        door.wait = 30.0
        path = "/shipments/0b7c0000-0000-4000-8000-000000000000/results"
        headers = {"Authorization": f"Bearer {created.key}"}
        waiting = asyncio.create_task(client.get(path, headers=headers))
        while not door.waiting:
            await asyncio.sleep(0.01)
        await store.revoke_key(created.key.split(".")[1], caller=ADMIN)
        for _ in range(door.slots):
            door.leave()
        assert (await asyncio.wait_for(waiting, 10)).status_code == 401
