"""The staff routes: POST /api/v1/ispyb/push and GET /api/v1/ispyb/shippings/{id}; the ISPyB
URL comes from the server's settings only, and its password never appears in an answer."""

from __future__ import annotations

from pathlib import Path

from mxlims_store.api.main import create_app
from tests.api.conftest import make_settings, running
from tests.ispyb.conftest import SHIPMENT_UUID, fixture_shipment, new_proposal
from tests.mariadb_server import MariaDB


async def test_staff_push_and_pull_members_never(tmp_path: Path, mariadb: MariaDB) -> None:
    app = create_app(make_settings(tmp_path, ispyb_url=mariadb.url("ispyb")))
    code = new_proposal(mariadb)
    async with running(app) as admin:
        keys = {}
        for name, role, proposals in (("staff", "staff", []), ("member", "member", [code])):
            created = await admin.post(
                "/keys", json={"name": name, "role": role, "proposals": proposals}
            )
            keys[name] = {"Authorization": f"Bearer {created.json()['key']}"}
        message = fixture_shipment(code, "A1")
        stored = await admin.post("/messages", json=message, headers=keys["member"])
        assert stored.status_code == 201, stored.text

        body = {"shipment": SHIPMENT_UUID, "session": 1}
        member = await admin.post("/ispyb/push", json=body, headers=keys["member"])
        assert member.status_code == 403
        refused = await admin.post(
            "/ispyb/push", json={**body, "session": 7}, headers=keys["staff"]
        )
        assert refused.status_code == 409 and f"{code}-7" in refused.text
        pushed = await admin.post("/ispyb/push", json=body, headers=keys["staff"])
        assert pushed.status_code == 200, pushed.text
        report = pushed.json()
        assert report["created"]["BLSample"] == 14 and report["losses"]

        shipping = report["shippingId"]
        pulled = await admin.get(f"/ispyb/shippings/{shipping}", headers=keys["staff"])
        assert pulled.status_code == 200, pulled.text
        assert pulled.json()["message"]["Shipment"]["Shipment1"]["uuid"] == SHIPMENT_UUID
        assert (
            await admin.get(f"/ispyb/shippings/{shipping}", headers=keys["member"])
        ).status_code == 403
        missing = await admin.get("/ispyb/shippings/99999", headers=keys["staff"])
        assert missing.status_code == 404


async def test_no_database_is_a_404_and_a_wrong_one_a_503_without_the_password(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    unset = create_app(make_settings(tmp_path / "a"))
    async with running(unset) as admin:
        answer = await admin.get("/ispyb/shippings/1")
        assert answer.status_code == 404 and "MXLIMS_ISPYB_URL" in answer.text
    wrong = f"mysql+pymysql://root:s3cret-pw@127.0.0.1:{mariadb.port}/nosuchdb"
    app = create_app(make_settings(tmp_path / "b", ispyb_url=wrong))
    async with running(app) as admin:
        answer = await admin.get("/ispyb/shippings/1")
        assert answer.status_code == 503 and "s3cret-pw" not in answer.text
        assert "root:***@" in answer.text
