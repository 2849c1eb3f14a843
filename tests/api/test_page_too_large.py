"""A form too large for the pages gets a page (status 413, HTML, the limit said), whether its
length was declared, streamed without one, or above the server's own body limit; the API keeps
its JSON 413."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from mxlims_store.api.key_first import MAX_SIGN_IN_BODY
from mxlims_store.api.main import create_app
from tests.api.conftest import make_settings, running

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _is_page(answer: httpx.Response, limit: int) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    assert f"larger than {limit} bytes" in answer.text
    assert "<html" in answer.text.lower()


async def _streamed(size: int) -> AsyncIterator[bytes]:
    yield b"key="
    for _ in range(size // 1024):
        yield b"k" * 1024


async def test_a_too_large_sign_in_form_gets_a_page(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, max_body_bytes=64 * 1024))
    async with (
        running(app) as api,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as browser,
    ):
        declared = await browser.post("/pages/login", content=b"key=" + b"k" * 20_000, headers=FORM)
        _is_page(declared, MAX_SIGN_IN_BODY)
        streamed = await browser.post(
            "/pages/login", content=_streamed(40_000), headers=FORM
        )  # no Content-Length: cut where the bytes pass the limit
        _is_page(streamed, MAX_SIGN_IN_BODY)
        beyond_server = await browser.post(
            "/pages/login", content=b"key=" + b"k" * 70_000, headers=FORM
        )
        _is_page(beyond_server, 64 * 1024)
        upload = await browser.post("/pages/upload", content=b"x" * 70_000, headers=FORM)
        _is_page(upload, 64 * 1024)
        api_too_large = await api.post("/messages", content=b"x" * 70_000)
        assert api_too_large.status_code == 413
        assert api_too_large.json()["error"] == "BodyTooLarge"
        # the sign-in form itself still answers
        assert (await browser.get("/pages/login")).status_code == 200
