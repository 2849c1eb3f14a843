"""The pages' forms and downloads without a browser (the app in process): the upload dry run
per object, identical problems grouped, the default policy said, the shipment header edited,
and another proposal's key refused by every new page (labels, manifests, containers, edits)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mxlims_store.api.main import create_app
from tests.api.conftest import make_settings, running
from tests.conftest import FIXTURES
from tests.factories import shipment_message


async def signed_in(app: Any, key: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    page = await client.get("/pages/login")
    await client.post("/pages/login", data={"key": key, "csrf": token(page.text)})
    return client


def token(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


@pytest.fixture
async def pages(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    app = create_app(make_settings(tmp_path))
    async with running(app) as api:
        keys = {}
        for name, proposal in (("Ada", "mx1234"), ("Bob", "mx9999")):
            made = await api.post(
                "/keys", json={"name": name, "role": "member", "proposals": [proposal]}
            )
            keys[name] = made.json()["key"]
        ada, bob = await signed_in(app, keys["Ada"]), await signed_in(app, keys["Bob"])
        yield {"api": api, "ada": ada, "bob": bob}
        await ada.aclose()
        await bob.aclose()


async def upload(client: httpx.AsyncClient, body: bytes, **form: str) -> httpx.Response:
    csrf = token((await client.get("/pages/upload")).text)
    return await client.post(
        "/pages/upload",
        data={"csrf": csrf, "kind": "message", **form},
        files={"file": ("m.json", body, "application/json")},
    )


async def test_the_dry_run_lists_each_object_and_says_the_policy(pages: dict[str, Any]) -> None:
    shipment = (FIXTURES / "messages" / "shipment.json").read_bytes()
    checked = await upload(pages["ada"], shipment)  # no policy chosen: the API's default
    assert checked.status_code == 200
    assert "Policy for objects already stored: <strong>reject_new</strong>" in checked.text
    assert re.search(r"<summary>\d+ object\(s\) would be created</summary>", checked.text)
    assert "<code>Pin/Pin1</code>" in checked.text
    csrf = token(checked.text)
    staged = checked.text.split('name="staged" value="', 1)[1].split('"', 1)[0]
    await pages["ada"].post(
        "/pages/upload",
        data={"csrf": csrf, "kind": "message", "policy": "reject_new", "staged": staged},
    )
    results = (FIXTURES / "messages" / "results.json").read_bytes()
    again = await upload(pages["ada"], results)
    kept = re.search(r"<summary>(\d+) object\(s\) different from what is stored", again.text)
    assert kept and int(kept.group(1)) > 0
    assert re.search(
        r"MxExperiment1</code>: <a [^>]+>MxExperiment OSC Template</a> \(differs in [^)]*jobStatus",
        again.text,
    )
    sheet = (FIXTURES / "sheets" / "esrf_shipment.csv").read_bytes()
    csrf = token((await pages["ada"].get("/pages/upload")).text)
    as_sheet = await pages["ada"].post(
        "/pages/upload",
        data={"csrf": csrf, "kind": "sheet", "site": "esrf", "proposal": "mx1234"},
        files={"file": ("s.csv", sheet, "text/csv")},
    )
    assert "Policy for objects already stored: <strong>update_old</strong>" in as_sheet.text


async def test_a_member_uploading_for_another_proposal_reads_one_line(
    pages: dict[str, Any],
) -> None:
    message = shipment_message(40, proposal="mx9999")
    refused = await upload(pages["ada"], json.dumps(message).encode())
    assert refused.status_code == 422 and "Nothing was stored" in refused.text
    rows = re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">(\d+)</td>", refused.text)
    assert len(rows) == 1 and int(rows[0][1]) > 40, rows
    assert "mx9999" in rows[0][0]


async def test_the_shipment_header_is_edited_with_its_contacts(pages: dict[str, Any]) -> None:
    message = shipment_message(4)
    await pages["api"].post("/messages", json=message)
    shipment = message["Shipment"]["Shipment1"]["uuid"]
    page = await pages["ada"].get(f"/pages/objects/{shipment}")
    assert '<div class="card"><h3>Lab contact return</h3>' in page.text
    form = {
        "csrf": token(page.text),
        "revision": "1",
        "annotation": "two pucks are fragile",
        "labContactReturn.name": "Grace Hopper",
        "labContactReturn.emailAddress": "grace@example.org",
        "labContactReturn.phoneNumber": "",
        "labContactOutbound.name": "Bob",
        "labContactOutbound.emailAddress": "bob@example.org",
    }
    saved = await pages["ada"].post(f"/pages/objects/{shipment}/edit", data=form)
    assert saved.status_code == 303
    stored = (await pages["api"].get(f"/objects/{shipment}")).json()
    assert stored["annotation"] == "two pucks are fragile"
    assert stored["labContactReturn"] == {
        "name": "Grace Hopper",
        "emailAddress": "grace@example.org",
    }
    history = (await pages["api"].get(f"/objects/{shipment}/history")).json()
    assert history[-1]["actor"] == "Ada" and set(history[-1]["changes"]) == {
        "annotation",
        "labContactReturn",
    }
    broken = await pages["ada"].post(
        f"/pages/objects/{shipment}/edit",
        data={**form, "revision": "2", "labContactReturn.emailAddress": ""},
    )  # a contact needs an e-mail address or a phone number: refused, said, nothing stored
    assert broken.status_code == 422 and "Not saved" in broken.text
    assert (await pages["api"].get(f"/objects/{shipment}")).json()["labContactReturn"] == {
        "name": "Grace Hopper",
        "emailAddress": "grace@example.org",
    }


async def test_another_proposal_sees_and_changes_nothing(pages: dict[str, Any]) -> None:
    message = shipment_message(4)
    await pages["api"].post("/messages", json=message)
    shipment = message["Shipment"]["Shipment1"]["uuid"]
    dewar, puck = message["Dewar"]["Dewar1"]["uuid"], message["Puck"]["Puck1"]["uuid"]
    sample = message["MacromoleculeSample"]["MacromoleculeSample1"]["uuid"]
    bob = pages["bob"]
    for path in (
        f"/pages/labels/{dewar}.pdf",
        f"/pages/labels/{shipment}.pdf",
        f"/pages/manifests/{shipment}.pdf",
        f"/pages/containers/{puck}",
        f"/pages/containers/{puck}?rows=1",
        f"/pages/shipments/{shipment}?q=PIN-1",
        f"/pages/shipments/{shipment}/sheet?site=esrf&loss=1",
    ):
        seen = await bob.get(path)
        assert seen.status_code == 404 and "PIN-1" not in seen.text and "DW-1" not in seen.text
    csrf = token((await bob.get("/pages/scan")).text)
    edit = await bob.post(
        f"/pages/objects/{sample}/edit", data={"csrf": csrf, "revision": "1", "name": "mine"}
    )
    assert edit.status_code == 404
    assert (await bob.get("/pages/shipments?q=S1")).text.count("/pages/shipments/") == 0
    scan = await bob.post("/pages/scan", data={"csrf": csrf, "ref": "DW-1", "state": "received"})
    assert scan.status_code == 404 and "Not recorded" in scan.text
    assert (await pages["api"].get(f"/objects/{sample}")).json()["name"] == "S1"
    label = await pages["ada"].get(f"/pages/labels/{dewar}.pdf")
    assert label.status_code == 200 and label.content.startswith(b"%PDF")


async def test_pages_asked_about_the_wrong_kind_of_object_say_so(pages: dict[str, Any]) -> None:
    message = shipment_message(4)
    await pages["api"].post("/messages", json=message)
    pin, dewar = message["Pin"]["Pin1"]["uuid"], message["Dewar"]["Dewar1"]["uuid"]
    ada = pages["ada"]
    for path in (f"/pages/shipments/{pin}", f"/pages/containers/{pin}", f"/pages/labels/{pin}.pdf"):
        answer = await ada.get(path)
        assert answer.status_code == 422 and "holds no samples" in answer.text, path
    assert (await ada.get(f"/pages/containers/{dewar}")).status_code == 303  # its own page
    for path in ("/pages/containers/not-a-uuid", "/pages/labels/%00.pdf", "/pages/manifests/x.pdf"):
        assert (await ada.get(path)).status_code == 404, path
    sheet = await ada.get(
        f"/pages/shipments/{message['Shipment']['Shipment1']['uuid']}/sheet?loss=99999"
    )
    assert sheet.status_code == 200  # a kind of loss that is not there: the summary alone
