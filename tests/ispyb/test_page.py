"""The staff button on a shipment's page pushes it into ISPyB; members see no button."""

from __future__ import annotations

from pathlib import Path

import httpx

from mxlims_store.api.main import create_app
from tests.api.conftest import make_settings, running
from tests.ispyb.conftest import SHIPMENT_UUID, fixture_shipment, new_proposal
from tests.mariadb_server import MariaDB


def _token(text: str) -> str:
    return text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def _signed_in(app: object, key: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        follow_redirects=False,
    )
    login = await client.get("/pages/login")
    signed = await client.post("/pages/login", data={"key": key, "csrf": _token(login.text)})
    assert signed.status_code == 303
    return client


async def test_the_staff_button_pushes_and_a_member_has_none(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    app = create_app(make_settings(tmp_path, ispyb_url=mariadb.url("ispyb")))
    code = new_proposal(mariadb)
    async with running(app) as admin:
        keys = {}
        for name, role, proposals in (("staff", "staff", []), ("member", "member", [code])):
            created = await admin.post(
                "/keys", json={"name": name, "role": role, "proposals": proposals}
            )
            keys[name] = created.json()["key"]
        stored = await admin.post("/messages", json=fixture_shipment(code, "G1"))
        assert stored.status_code == 201, stored.text

        member = await _signed_in(app, keys["member"])
        page = await member.get(f"/pages/shipments/{SHIPMENT_UUID}")
        assert page.status_code == 200 and "Push to ISPyB" not in page.text
        forbidden = await member.post(
            f"/pages/shipments/{SHIPMENT_UUID}/ispyb",
            data={"csrf": _token(page.text), "session": "1"},
        )
        # the API's status for a refusal (one map for pages and API)
        assert forbidden.status_code == 403 and "only facility staff" in forbidden.text
        await member.aclose()

        staff = await _signed_in(app, keys["staff"])
        page = await staff.get(f"/pages/shipments/{SHIPMENT_UUID}")
        assert "Push to ISPyB" in page.text
        forged = await staff.post(f"/pages/shipments/{SHIPMENT_UUID}/ispyb", data={"session": "1"})
        assert forged.status_code == 403
        pushed = await staff.post(
            f"/pages/shipments/{SHIPMENT_UUID}/ispyb",
            data={"csrf": _token(page.text), "session": "1"},
        )
        assert pushed.status_code == 200, pushed.text
        assert "Pushed into ISPyB" in pushed.text and "BLSample" in pushed.text
        assert "root@127.0.0.1" in pushed.text or "ISPyB Shipping" in pushed.text
        await staff.aclose()
