"""What every request with a key costs besides its own work: the key is looked up once per
request (the key-first check hands its caller on), and an address is believed clean of failed
keys for a moment by a worker, without ever letting a guess through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from mxlims_store.api import rate_limits
from mxlims_store.api.main import create_app
from mxlims_store.store.server_state import server_state
from tests.api.conftest import BASE_URL, make_settings, running
from tests.factories import shipment_message


def _count_authentications(app: Any) -> list[str | None]:
    store = app.state.store
    seen: list[str | None] = []
    real = store.authenticate

    async def counted(presented: str | None) -> Any:
        seen.append(presented)
        return await real(presented)

    store.authenticate = counted
    return seen


async def test_a_write_looks_its_key_up_once(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    async with running(app) as client:
        seen = _count_authentications(app)
        created = await client.post("/messages", json=shipment_message(2, proposal="mx1"))
        assert created.status_code == 201, created.text
        assert len(seen) == 1
        assert (await client.get("/stats")).status_code == 200
        assert len(seen) == 2  # a read: checked once too (no key-first check there)


async def test_two_different_keys_are_still_refused(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    async with running(app) as client:
        key = client.headers["Authorization"].removeprefix("Bearer ")
        both = {"Authorization": f"Bearer {key}", "X-API-Key": "mxk.0123abcd.other"}
        answer = await client.post("/messages", json=shipment_message(1), headers=both)
        assert answer.status_code == 401


async def test_a_wrong_key_is_counted_at_once_and_a_valid_key_still_gets_in(
    tmp_path: Path,
) -> None:
    app = create_app(make_settings(tmp_path, failed_key_limit=3))
    async with running(app) as client:
        key = client.headers["Authorization"]
        transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 5000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as attacker:
            assert (await attacker.get("/stats", headers={"Authorization": key})).status_code == 200
            # another worker counted this address's failures meanwhile, up to the limit
            state = server_state(app.state.store.db)
            for _ in range(3):
                await state.hit(rate_limits.KIND, "10.0.0.9", window=rate_limits.WINDOW)
            wrong = {"Authorization": "Bearer mxk.0123abcd.wrong"}
            assert (await attacker.get("/stats", headers=wrong)).status_code == 429
            # a valid key from the same address still gets in (one NAT: see rate_limits)
            assert (await attacker.get("/stats", headers={"Authorization": key})).status_code == 200
            assert (await client.get("/stats")).status_code == 200  # another address
