"""The key is checked before the body is read: a keyless write is a 401 whatever its body."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.api.conftest import BASE_URL


async def test_a_keyless_write_is_401_before_415(app: FastAPI, client: httpx.AsyncClient) -> None:
    keyless = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    async with keyless:
        for method in ("POST", "PATCH", "DELETE"):
            answer = await keyless.request(method, "/messages", content=b"not json at all")
            assert answer.status_code == 401, (method, answer.text)
            assert answer.headers["connection"] == "close"
        wrong = await keyless.post("/messages", content=b"{}", headers={"X-API-Key": "mxk.a.b"})
        assert wrong.status_code == 401
    # with a key, the same request gets the complaint about its body
    assert (await client.post("/messages", content=b"not json at all")).status_code == 415


async def test_the_body_of_a_keyless_write_is_never_read(
    app: FastAPI,
    client: httpx.AsyncClient,  # the lifespan runs
) -> None:
    reads: list[Any] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        reads.append(1)
        return {"type": "http.request", "body": b"{}", "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/messages",
        "raw_path": b"/api/v1/messages",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-length", b"50000000")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 401 and reads == []


async def test_a_page_form_without_a_session_is_not_read(
    app: FastAPI,
    client: httpx.AsyncClient,  # the lifespan runs
) -> None:
    browser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    )
    async with browser:
        upload = await browser.post("/pages/upload", content=b"x" * 100_000)
        assert upload.status_code == 303 and upload.headers["location"] == "/pages/login"
        big = await browser.post(
            "/pages/login",
            content=b"key=" + b"k" * 20_000,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert big.status_code == 413
        form = await browser.get("/pages/login")
        assert form.status_code == 200  # and the ordinary sign-in still works (test_page_errors)
