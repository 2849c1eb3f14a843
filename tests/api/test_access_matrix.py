"""Who may see and change what, over HTTP: every kind of caller against every kind of request,
and no body a member of another proposal receives ever names proposal A's objects."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mxlims_store.api.main import create_app
from mxlims_store.store.backends import Write
from mxlims_store.store.collections import KEYS
from mxlims_store.store.documents import META
from tests.acting import ADMIN
from tests.api.conftest import BASE_URL, make_settings, running
from tests.factories import results_message, shipment_message

CALLERS = [
    "none",
    "malformed",
    "wrong",
    "revoked",
    "expired",
    "member_a",
    "member_b",
    "staff",
    "admin",
]
UNAUTHENTICATED = {"none", "malformed", "wrong", "revoked", "expired"}


@dataclass
class World:
    app: FastAPI
    keys: dict[str, str]
    shipment_a: dict[str, Any]
    results_a: dict[str, Any]
    shipment_b: dict[str, Any]

    def secrets_of_a(self) -> set[str]:
        """Every uuid, barcode and name of proposal A (that B does not use too): none may reach
        a member of B."""
        return _names(self.shipment_a, self.results_a) - _names(self.shipment_b)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    app = create_app(make_settings(tmp_path))
    async with running(app) as admin:
        store = app.state.store
        keys = {"admin": admin.headers["Authorization"].removeprefix("Bearer ")}
        for name, role, proposals in (
            ("member_a", "member", ["mxA"]),
            ("member_b", "member", ["mxB"]),
            ("staff", "staff", []),
            ("revoked", "admin", []),
            ("expired", "admin", []),
        ):
            created = await admin.post(
                "/keys", json={"name": name, "role": role, "proposals": proposals}
            )
            assert created.status_code == 201, created.text
            keys[name] = created.json()["key"]
        revoked_id = keys["revoked"].split(".")[1]
        assert (await admin.delete(f"/keys/{revoked_id}")).status_code == 200
        await _expire(store, keys["expired"].split(".")[1])
        keys["malformed"] = "not-a-key"
        keys["wrong"] = keys["member_a"][:-4] + "AAAA"

        shipment_a = shipment_message(8, proposal="mxA")
        shipment_b = shipment_message(2, proposal="mxB")
        for message, who in ((shipment_a, "member_a"), (shipment_b, "member_b")):
            headers = {"Authorization": f"Bearer {keys[who]}"}
            stored = await admin.post("/messages", json=message, headers=headers)
            assert stored.status_code == 201, stored.text
        results_a = results_message(shipment_a, pin_key="Pin1")
        staff = {"Authorization": f"Bearer {keys['staff']}"}
        returned = await admin.post("/messages?policy=update_old", json=results_a, headers=staff)
        assert returned.status_code == 201, returned.text
        yield World(app, keys, shipment_a, results_a, shipment_b)


def _names(*messages: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for message in messages:
        for type_name, objects in message.items():
            if type_name != "version":
                for obj in objects.values():
                    found |= {str(obj[k]) for k in ("uuid", "barcode", "name") if obj.get(k)}
    return found


async def _expire(store: Any, key_id: str) -> None:
    [document] = await store.db.find(KEYS, {"_id": key_id})
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    revision = document[META]["revision"]
    await store.db.commit([Write(KEYS, key_id, {**document, "expires": past}, revision, None)])


def client_for(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    """A client of an app whose lifespan is already running (no key unless given)."""
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers)


Request = Callable[[httpx.AsyncClient, World, int], Any]


def _pin(world: World, n: int) -> str:
    uuid: str = world.shipment_a["Pin"][f"Pin{n}"]["uuid"]
    return uuid


def _ship(world: World) -> str:
    uuid: str = world.shipment_a["Shipment"]["Shipment1"]["uuid"]
    return uuid


# name -> (request, expected status for member_a, member_b, staff, admin)
OPERATIONS: dict[str, tuple[Request, dict[str, int]]] = {
    "get": (lambda c, w, i: c.get(f"/objects/{_pin(w, 1)}"), {"member_b": 404}),
    "find": (lambda c, w, i: c.get("/objects", params={"type": "Pin", "total": "true"}), {}),
    "stats": (lambda c, w, i: c.get("/stats"), {}),
    "links": (lambda c, w, i: c.get(f"/objects/{_pin(w, 1)}/links"), {"member_b": 404}),
    "provenance-up": (
        lambda c, w, i: c.get(
            f"/objects/{w.results_a['ReflectionSet']['ReflectionSet1']['uuid']}/provenance"
        ),
        {"member_b": 404},
    ),
    "provenance-down": (
        lambda c, w, i: c.get(f"/objects/{_ship(w)}/provenance", params={"direction": "down"}),
        {"member_b": 404},
    ),
    "export": (lambda c, w, i: c.get(f"/objects/{_pin(w, 1)}/export"), {"member_b": 404}),
    "results": (lambda c, w, i: c.get(f"/shipments/{_ship(w)}/results"), {"member_b": 404}),
    "sheet": (
        lambda c, w, i: c.get(f"/shipments/{_ship(w)}/sheet", params={"site": "esrf"}),
        {"member_b": 404},
    ),
    "history": (lambda c, w, i: c.get(f"/objects/{_pin(w, 1)}/history"), {"member_b": 404}),
    "patch": (
        lambda c, w, i: c.patch(
            f"/objects/{_pin(w, i)}", json={"loopType": "mesh"}, headers={"If-Match": '"1"'}
        ),
        {"member_b": 404},
    ),
    "delete": (
        lambda c, w, i: c.delete(f"/objects/{_pin(w, i + 4)}"),
        {"member_a": 204, "member_b": 404, "staff": 403, "admin": 204},
    ),
    "import-into-a": (
        lambda c, w, i: c.post("/messages", json=shipment_message(1, proposal="mxA")),
        {"member_a": 201, "member_b": 422, "staff": 201, "admin": 201},
    ),
    "keys": (
        lambda c, w, i: c.get("/keys"),
        {"member_a": 403, "member_b": 403, "staff": 403},
    ),
}
# each allowed caller changes and deletes its own pin (Pin1..4 / Pin5..8)
TARGET = {"member_a": 1, "member_b": 2, "staff": 3, "admin": 4}


@pytest.mark.parametrize("caller", CALLERS)
async def test_every_caller_against_every_request(world: World, caller: str) -> None:
    headers = {} if caller == "none" else {"Authorization": f"Bearer {world.keys[caller]}"}
    secrets = world.secrets_of_a()
    wrong: list[str] = []
    async with client_for(world.app, **headers) as c:
        for name, (request, exceptions) in OPERATIONS.items():
            response = await request(c, world, TARGET.get(caller, 1))
            if caller in UNAUTHENTICATED:
                expected = 401
            else:
                default = 201 if name.startswith("import") else 200
                expected = exceptions.get(caller, default)
            if response.status_code != expected:
                wrong.append(
                    f"{name}: {response.status_code} not {expected}: {response.text[:200]}"
                )
            if caller in UNAUTHENTICATED or caller == "member_b":
                leaked = {s for s in secrets if s in response.text}
                if leaked:
                    wrong.append(f"{name}: the body names proposal A's {sorted(leaked)[:3]}")
    assert not wrong, "\n".join(wrong)


async def test_a_member_sees_only_its_own_proposal_in_lists_and_counts(world: World) -> None:
    headers = {"X-API-Key": world.keys["member_b"]}
    async with client_for(world.app) as c:
        stats = (await c.get("/stats", headers=headers)).json()
        pins = await c.get("/objects", params={"type": "Pin", "total": "true"}, headers=headers)
    assert stats["Pin"] == 2
    assert pins.json()["total"] == 2


async def test_results_returned_by_staff_reach_the_members_results_file(world: World) -> None:
    headers = {"X-API-Key": world.keys["member_a"]}
    async with client_for(world.app) as c:
        results = (await c.get(f"/shipments/{_ship(world)}/results", headers=headers)).json()
    for kind in ("Crystal", "CollectionSweep", "MxProcessing", "ReflectionSet"):
        expected = {o["uuid"] for o in world.results_a[kind].values()}
        assert expected <= {o["uuid"] for o in results.get(kind, {}).values()}, kind


async def test_history_names_the_key_that_made_each_change(world: World) -> None:
    pin = _pin(world, 1)
    async with client_for(world.app) as c:
        headers = {"X-API-Key": world.keys["member_a"]}
        changed = await c.patch(
            f"/objects/{pin}", json={"loopType": "nylon"}, headers={**headers, "If-Match": '"1"'}
        )
        assert changed.status_code == 200, changed.text
        history = (await c.get(f"/objects/{pin}/history", headers=headers)).json()
    assert [e["actor"] for e in history] == ["member_a", "member_a"]


async def test_revoking_takes_effect_on_the_next_request(world: World) -> None:
    key = world.keys["staff"]
    async with client_for(world.app) as c:
        assert (await c.get("/stats", headers={"X-API-Key": key})).status_code == 200
        admin = {"X-API-Key": world.keys["admin"]}
        revoked = await c.delete(f"/keys/{key.split('.')[1]}", headers=admin)
        assert revoked.status_code == 200 and revoked.json()["revokedAt"]
        assert (await c.get("/stats", headers={"X-API-Key": key})).status_code == 401


async def test_keys_are_never_stored_or_logged_in_clear(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client_for(world.app) as c:
        for key in world.keys.values():
            await c.get("/stats", headers={"Authorization": f"Bearer {key}"})
    database = world.app.state.settings.data_dir / "mxlims.sqlite3"
    raw = sqlite3.connect(database)
    dump = "\n".join(raw.iterdump())
    raw.close()
    for key in world.keys.values():
        secret = key.split(".")[-1]
        if len(secret) > 20:
            assert secret not in dump
            assert secret not in caplog.text
    admin = world.app.state.store.acting_as(ADMIN)
    listed = json.dumps([key.to_dict() for key in await admin.list_keys()])
    assert "hash" not in listed


async def test_wrong_hosts_and_foreign_origins_are_refused(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, allowed_hosts="localhost"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as c:
            assert (await c.get("/health")).status_code == 400
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
            simple = await c.post(
                "/api/v1/sheets/dls",
                content=b"a,b\n1,2\n",
                headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
            )
            assert simple.status_code == 401  # no key, no write: and no CORS headers to read it
            assert "access-control-allow-origin" not in simple.headers
