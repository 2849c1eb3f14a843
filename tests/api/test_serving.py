"""Serving a facility's traffic: downloads built once per change and kept in the store (ETag,
304, gzip), bounded builds, failed keys limited per address, sessions any worker knows, and a
Host check that says which setting to change."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from mxlims_store.api.downloads import BuildGate, BuildsBusy
from mxlims_store.api.main import create_app
from mxlims_store.store.server_state import server_state
from tests.api.conftest import BASE_URL, make_settings, running
from tests.factories import results_message, shipment_message


async def _key(client: httpx.AsyncClient, name: str, proposals: list[str]) -> str:
    created = await client.post(
        "/keys", json={"name": name, "role": "member", "proposals": proposals}
    )
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


def _as(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_results_file_is_cached_until_the_store_changes(app: FastAPI) -> None:
    async with running(app) as client:
        shipment = shipment_message(4, proposal="mx1234")
        assert (await client.post("/messages", json=shipment)).status_code == 201
        uuid = shipment["Shipment"]["Shipment1"]["uuid"]
        url = f"/shipments/{uuid}/results"
        first = await client.get(url)
        assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
        etag = first.headers["etag"]
        state = server_state(app.state.store.db)
        assert (await state.usage("download"))[0] == 1  # kept in the store, compressed

        again = await client.get(url)
        assert again.headers["etag"] == etag and again.content == first.content
        plain = await client.get(url, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.json() == first.json()
        unchanged = await client.get(url, headers={"If-None-Match": etag})
        assert unchanged.status_code == 304 and unchanged.headers["etag"] == etag

        member = await _key(client, "ada", ["mx1234"])
        seen = await client.get(url, headers=_as(member))
        assert seen.status_code == 200 and seen.headers["etag"] != etag  # differs by who sees
        outsider = await _key(client, "eve", ["mx9999"])
        hidden = await client.get(url, headers={**_as(outsider), "If-None-Match": etag})
        assert hidden.status_code == 404  # a cached copy never answers someone else

        results = results_message(shipment)
        imported = await client.post("/messages?policy=merge", json=results)
        assert imported.status_code in (200, 201), imported.text
        changed = await client.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert "ReflectionSet" in changed.json() and "ReflectionSet" not in first.json()
        assert (await state.usage("download"))[0] == 2  # the old version retired: admin, ada


async def test_a_patch_changes_the_etag_of_every_download(app: FastAPI) -> None:
    async with running(app) as client:
        shipment = shipment_message(2)
        await client.post("/messages", json=shipment)
        pin = shipment["Pin"]["Pin1"]["uuid"]
        before = await client.get(f"/objects/{pin}/export")
        patched = await client.patch(
            f"/objects/{pin}", json={"barcode": "CRACKED-1"}, headers={"If-Match": '"1"'}
        )
        assert patched.status_code == 200, patched.text
        after = await client.get(f"/objects/{pin}/export")
        assert after.headers["etag"] != before.headers["etag"]
        assert after.json()["Pin"]["Pin1"]["barcode"] == "CRACKED-1"


async def test_same_download_asked_at_once_is_built_once(app: FastAPI) -> None:
    async with running(app) as client:
        shipment = shipment_message(3)
        await client.post("/messages", json=shipment)
        uuid = shipment["Shipment"]["Shipment1"]["uuid"]
        store = app.state.store
        calls = 0
        original = type(store).shipment_results

        async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.05)
            return await original(self, *args, **kwargs)

        type(store).shipment_results = counted  # type: ignore[method-assign]
        try:
            answers = await asyncio.gather(
                *(client.get(f"/shipments/{uuid}/results") for _ in range(8))
            )
        finally:
            type(store).shipment_results = original  # type: ignore[method-assign]
        assert {a.status_code for a in answers} == {200} and calls == 1
        assert len({a.content for a in answers}) == 1


async def test_builds_beyond_the_slots_wait_then_get_503() -> None:
    gate = BuildGate(slots=1, wait=0.05)
    async with gate.slot():
        with pytest.raises(BuildsBusy) as refused:
            async with gate.slot():
                pass  # pragma: no cover - never reached
    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "1"}
    async with gate.slot():  # free again
        assert gate.waiting == 0


async def test_failed_keys_are_limited_per_address(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, failed_key_limit=3))
    async with running(app) as client:
        attacker = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("10.0.0.9", 5000)), base_url=BASE_URL
        )
        wrong = {"Authorization": "Bearer mxk.0123abcd.wrong"}
        codes = [(await attacker.get("/stats", headers=wrong)).status_code for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]
        limited = await attacker.get("/stats", headers=wrong)
        assert limited.headers["retry-after"] == "60" and "MXLIMS_FAILED_KEY_LIMIT" in limited.text
        spoofed = await attacker.get("/stats", headers={**wrong, "X-Forwarded-For": "10.0.0.1"})
        assert spoofed.status_code == 429  # no proxy is trusted: the header changes nothing
        assert (await client.get("/stats")).status_code == 200  # another address is not limited
        await attacker.aclose()


async def test_a_host_not_allowed_is_told_which_setting(app: FastAPI) -> None:
    async with running(app) as client:
        refused = await client.get("http://lims.example.org/api/v1/health")
        assert refused.status_code == 400
        assert refused.json()["error"] == "HostNotAllowed"
        assert "MXLIMS_ALLOWED_HOSTS" in refused.json()["message"]


async def _sign_in(client: httpx.AsyncClient, key: str) -> None:
    page = await client.get("/pages/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    signed = await client.post("/pages/login", data={"key": key, "csrf": csrf})
    assert signed.status_code == 303 and signed.headers["location"] == "/pages/shipments"


async def test_a_session_is_known_to_every_worker_and_ends_everywhere(tmp_path: Path) -> None:
    """Two apps on one data directory stand for two workers: a session started on one is
    signed in on the other, and a revoked key ends it on both at once."""
    settings = make_settings(tmp_path)
    first, second = create_app(settings), create_app(settings)
    async with running(first) as admin, running(second):
        key = await _key(admin, "ada", ["mx1234"])
        browsers = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
            for app in (first, second)
        ]
        await _sign_in(browsers[0], key)
        browsers[1].cookies = browsers[0].cookies  # the same browser, answered by the other
        for browser in browsers * 3:
            assert (await browser.get("/pages/shipments")).status_code == 200
        key_id = key.split(".")[1]
        stored = await server_state(first.state.store.db).usage("page-session", key_id)
        assert stored[0] == 1  # the store keeps the session by the key's id ...
        assert key not in str(await _session_values(first))  # ... never the key
        assert (await admin.delete(f"/keys/{key_id}")).status_code == 200
        for browser in browsers:
            gone = await browser.get("/pages/shipments")
            assert gone.status_code == 303 and gone.headers["location"] == "/pages/login"
        for browser in browsers:
            await browser.aclose()


async def _session_values(app: FastAPI) -> list[Any]:
    db = app.state.store.db

    def read() -> list[Any]:
        return db._connection().execute("SELECT value, owner FROM server_state").fetchall()

    return await db._run(read)


async def test_the_cookie_is_secure_over_tls(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    async with running(app):
        for scheme, secure in (("http", False), ("https", True)):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"{scheme}://testserver"
            ) as browser:
                page = await browser.get("/pages/login")
                cookie = page.headers["set-cookie"].lower()
                assert ("; secure" in cookie) is secure, cookie


async def test_upload_drafts_wait_in_the_store_within_a_quota(app: FastAPI) -> None:
    async with running(app) as admin:
        key = await _key(admin, "ada", ["mx1234"])
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as browser:
            await _sign_in(browser, key)
            form = await browser.get("/pages/upload")
            csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            state = server_state(app.state.store.db)
            tokens = []
            for n in range(6):
                body = orjson.dumps(shipment_message(1, proposal="mx1234"))
                checked = await browser.post(
                    "/pages/upload",
                    data={"kind": "message", "csrf": csrf, "policy": "reject_new"},
                    files={"file": (f"s{n}.json", body, "application/json")},
                )
                assert checked.status_code == 200, checked.text
                tokens.append(checked.text.split('name="staged" value="', 1)[1].split('"', 1)[0])
            assert all(tokens[:5]) and tokens[5] == ""  # the sixth cannot wait: over the quota
            assert "at most 5 checked uploads" in checked.text
            assert (await state.usage("upload-draft", key.split(".")[1]))[0] == 5
            stored = await browser.post(
                "/pages/upload",
                data={"kind": "message", "csrf": csrf, "policy": "reject_new", "staged": tokens[0]},
            )
            assert stored.status_code == 200 and "Nothing was stored" not in stored.text
            assert (await state.usage("upload-draft"))[0] == 4  # taken: gone from the store


async def test_the_pages_downloads_are_cached_too(app: FastAPI) -> None:
    async with running(app) as admin:
        shipment = shipment_message(2, proposal="mx1234")
        await admin.post("/messages", json=shipment)
        uuid = shipment["Shipment"]["Shipment1"]["uuid"]
        key = await _key(admin, "ada", ["mx1234"])
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as browser:
            await _sign_in(browser, key)
            for path in (
                f"/pages/shipments/{uuid}/results.json",
                f"/pages/shipments/{uuid}/sheet?site=dls&download=1&puck_type=unipuck",
            ):
                first = await browser.get(path)
                assert first.status_code == 200, first.text[:300]
                assert "attachment" in first.headers["content-disposition"]
                again = await browser.get(path, headers={"If-None-Match": first.headers["etag"]})
                assert again.status_code == 304
            assert "no-store" in first.headers["cache-control"]  # never kept by a browser
