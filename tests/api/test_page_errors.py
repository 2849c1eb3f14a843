"""Errors of the pages for people are pages, with the API's status for the same error."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
from fastapi import FastAPI

from mxlims_store.api.main import create_app
from mxlims_store.store.backends.sqlite import database_file
from tests.api.conftest import make_settings, running
from tests.factories import shipment_message


async def _signed_in(app: FastAPI, key: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    form = await client.get("/pages/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = await client.post("/pages/login", data={"key": key, "csrf": csrf.group(1)})
    assert answer.status_code == 303, answer.text
    return client


async def test_page_errors_are_pages_with_the_apis_status(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, lock_timeout=0.2)
    app = create_app(settings)
    async with running(app) as api:
        key = api.headers["Authorization"].removeprefix("Bearer ")
        assert (await api.post("/messages", json=shipment_message(1))).status_code == 201
        pages = await _signed_in(app, key)
        try:
            unknown = await pages.get("/pages/no-such-page")
            assert unknown.status_code == 404
            assert unknown.headers["content-type"].startswith("text/html")
            assert "no page /pages/no-such-page" in unknown.text

            missing = await pages.get("/pages/objects/00000000-0000-4000-8000-000000000000")
            assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]

            scan = await pages.get("/pages/scan")
            csrf = re.search(r'name="csrf" value="([^"]+)"', scan.text)
            assert csrf is not None
            other = sqlite3.connect(
                database_file(settings.data_dir, "mxlims"), isolation_level=None
            )
            other.execute("BEGIN IMMEDIATE")  # another writer holds the store
            try:
                busy = await pages.post(
                    "/pages/scan",
                    data={"ref": "DW-1", "state": "received", "csrf": csrf.group(1)},
                )
            finally:
                other.execute("ROLLBACK")
                other.close()
            # the API answers a locked store 503 with Retry-After; so does the page
            assert busy.status_code == 503, busy.text
            assert "text/html" in busy.headers["content-type"]
            assert busy.headers["retry-after"] == "5"

            # a form the route cannot read (a revision that is no number) is a page too
            pin = shipment_message(1)["Pin"]["Pin1"]["uuid"]
            bad = await pages.post(
                f"/pages/objects/{pin}/edit", data={"revision": "abc", "csrf": csrf.group(1)}
            )
            assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
            assert "revision" in bad.text
        finally:
            await pages.aclose()


async def test_a_form_token_that_is_not_ascii_is_refused_not_a_500(tmp_path: Path) -> None:
    """The per-session form token is compared in constant time; a token of any characters
    (an attacker's, or a browser's garbled one) is a wrong token, never a server error."""
    app = create_app(make_settings(tmp_path))
    async with running(app) as api:
        key = api.headers["Authorization"].removeprefix("Bearer ")
        pages = await _signed_in(app, key)
        try:
            for token in ("é", "\u00ed\u00a0\u0080", "\U0001f9ea" * 40):
                login = await pages.post("/pages/login", data={"key": key, "csrf": token})
                scan = await pages.post(
                    "/pages/scan", data={"ref": "DW-1", "state": "received", "csrf": token}
                )
                for answer in (login, scan):
                    assert answer.status_code < 500, answer.text
                    assert "text/html" in answer.headers["content-type"]
            # the session is still signed in, and its own token still works
            assert (await pages.get("/pages/shipments")).status_code == 200
        finally:
            await pages.aclose()
