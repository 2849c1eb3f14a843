"""Over HTTP and the command line: the samples route, its access rules, events with a
sample-changer position, keys with a beamline."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner

from mxlims_store.answers import MXCUBE_SAMPLE_KEYS
from mxlims_store.cli import app as cli
from tests.api.conftest import running
from tests.conftest import FIXTURES


async def _key(client: httpx.AsyncClient, **body: object) -> str:
    answer = await client.post("/keys", json={"name": "k", **body})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["key"])


async def test_samples_route_with_access_and_loaded(app: FastAPI) -> None:
    async with running(app) as admin:
        body = (FIXTURES / "messages" / "shipment.json").read_bytes()
        imported = await admin.post(
            "/messages", content=body, headers={"Content-Type": "application/json"}
        )
        assert imported.status_code == 201, imported.text
        staff = await _key(admin, role="staff", beamline="ID23-1")
        alice = await _key(admin, role="member", proposals=["mx1234"])
        eve = await _key(admin, role="member", proposals=["mx9999"])
        listed = (await admin.get("/proposals/mx1234/samples")).json()
        assert len(listed) == 14
        assert all(set(MXCUBE_SAMPLE_KEYS) <= set(e) for e in listed)
        as_alice = await admin.get(
            "/proposals/mx1234/samples", headers={"Authorization": f"Bearer {alice}"}
        )
        assert as_alice.json() == listed
        as_eve = await admin.get(
            "/proposals/mx1234/samples", headers={"Authorization": f"Bearer {eve}"}
        )
        assert as_eve.status_code == 404  # as for a proposal that does not exist
        as_staff = {"Authorization": f"Bearer {staff}"}
        puck = listed[0]["containerUuid"]
        event = await admin.post(
            f"/objects/{puck}/events",
            json={"state": "at_beamline", "sampleChangerPosition": 5},
            headers=as_staff,
        )
        assert event.status_code == 201, event.text
        assert event.json()["beamline"] == "ID23-1" and event.json()["sampleChangerPosition"] == 5
        loaded = (await admin.get("/proposals/mx1234/samples?loaded=true", headers=as_staff)).json()
        assert {e["containerUuid"] for e in loaded} == {puck}
        assert {e["containerSampleChangerLocation"] for e in loaded} == {5}
        elsewhere = await admin.get("/proposals/mx1234/samples?beamline=ID30A-1")
        assert elsewhere.json() == []
        for bad in ("loaded=maybe", "beamline=", "loaded=false&beamline=ID23-1"):
            refused = await admin.get(f"/proposals/mx1234/samples?{bad}")
            assert refused.status_code == 422, bad
        wrong = await admin.post(
            f"/objects/{puck}/events", json={"state": "stored", "sampleChangerPosition": 0}
        )
        assert wrong.status_code == 422
        member_key = await admin.post(
            "/keys", json={"name": "m", "role": "member", "proposals": ["a"], "beamline": "X"}
        )
        assert member_key.status_code == 422


def test_cli_event_position_and_samples(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"MXLIMS_DATA_DIR": str(tmp_path / "data")}
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0  # only init creates a store
    done = runner.invoke(cli, ["import", str(FIXTURES / "messages" / "shipment.json")], env=env)
    assert done.exit_code == 0, done.output
    key = runner.invoke(
        cli, ["keys", "create", "--name", "bl", "--role", "staff", "--beamline", "ID23-1"], env=env
    )
    assert json.loads(key.stdout)["beamline"] == "ID23-1"
    listed = json.loads(runner.invoke(cli, ["samples", "mx1234"], env=env).stdout)
    puck = listed[0]["containerUuid"]
    moved = runner.invoke(
        cli,
        ["event", puck, "at_beamline", "--beamline", "ID23-1", "--sample-changer-position", "7"],
        env=env,
    )
    assert moved.exit_code == 0, moved.output
    loaded = runner.invoke(cli, ["samples", "mx1234", "--beamline", "ID23-1"], env=env)
    entries = json.loads(loaded.stdout)
    assert entries and {e["containerSampleChangerLocation"] for e in entries} == {7}


async def test_the_scan_page_records_a_sample_changer_position(app: FastAPI) -> None:
    async with running(app) as admin:
        body = (FIXTURES / "messages" / "shipment.json").read_bytes()
        await admin.post("/messages", content=body, headers={"Content-Type": "application/json"})
        puck = (await admin.get("/proposals/mx1234/samples")).json()[0]["containerUuid"]
        key = admin.headers["Authorization"].split()[-1]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as page:
            form = (await page.get("/pages/login")).text
            csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            await page.post("/pages/login", data={"key": key, "csrf": csrf})
            scan = (await page.get("/pages/scan")).text
            csrf = scan.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            assert 'name="sample_changer_position"' in scan
            fields = {"ref": puck, "state": "at_beamline", "beamline": "ID23-1", "csrf": csrf}
            refused = await page.post(
                "/pages/scan", data={**fields, "sample_changer_position": "x"}
            )
            # the API's status for the refusal (one map for pages and API): a 422
            assert refused.status_code == 422 and "sampleChangerPosition" in refused.text
            assert (await admin.get(f"/objects/{puck}/events")).json()["events"] == []
            done = await page.post("/pages/scan", data={**fields, "sample_changer_position": "4"})
            assert done.status_code == 200, done.text
            shown = (await page.get(f"/pages/objects/{puck}")).text
            assert "ID23-1 (sample changer 4)" in shown
        where = (await admin.get(f"/objects/{puck}/events")).json()
        assert where["location"] == {"beamline": "ID23-1", "sampleChangerPosition": 4}
