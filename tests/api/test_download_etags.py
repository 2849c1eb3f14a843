"""A download's ETag follows what the caller may see of ITS tree: unchanged (304, not rebuilt)
when someone writes elsewhere in the store, new when anything of the tree changes (new results,
a pin moved in or out, a deletion, a restore), and different per caller where what they see
differs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mxlims_store.api import downloads, memory
from mxlims_store.api.main import create_app
from mxlims_store.store.backend import restore
from tests.acting import ADMIN
from tests.api.conftest import make_settings, results_built_here, running
from tests.factories import results_message, shipment_message


async def _member(client: httpx.AsyncClient, proposals: list[str]) -> dict[str, str]:
    made = await client.post(
        "/keys", json={"name": "member", "role": "member", "proposals": proposals}
    )
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


async def _stored(client: httpx.AsyncClient, message: dict[str, Any], policy: str = "") -> None:
    answer = await client.post(f"/messages{policy}", json=message)
    assert answer.status_code in (200, 201), answer.text


def _uuid(message: dict[str, Any], section: str, key: str) -> str:
    uuid: str = message[section][key]["uuid"]
    return uuid


async def _etag(client: httpx.AsyncClient, url: str, **headers: str) -> str:
    answer = await client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    etag: str = answer.headers["etag"]
    return etag


async def _unchanged(client: httpx.AsyncClient, url: str, etag: str, **headers: str) -> bool:
    answer = await client.get(url, headers={**headers, "If-None-Match": etag})
    assert answer.status_code in (200, 304), answer.text
    return answer.status_code == 304


async def test_writes_elsewhere_change_no_etag_and_rebuild_nothing(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(app) as client:
        mine, theirs = shipment_message(3, proposal="mx1"), shipment_message(2, proposal="mx2")
        await _stored(client, mine)
        await _stored(client, theirs)
        url = f"/shipments/{_uuid(mine, 'Shipment', 'Shipment1')}/results"
        member = await _member(client, ["mx1"])
        as_member = await _etag(client, url, **member)
        as_admin = await _etag(client, url)
        assert as_member != as_admin  # what each may see differs: so does the ETag

        built = results_built_here(monkeypatch)
        # another proposal: a new shipment, its results, a change of one of its pins
        await _stored(client, shipment_message(4, proposal="mx2"))
        await _stored(client, results_message(theirs), "?policy=merge")
        pin = _uuid(theirs, "Pin", "Pin1")
        patched = await client.patch(
            f"/objects/{pin}", json={"barcode": "OTHER-1"}, headers={"If-Match": '"1"'}
        )
        assert patched.status_code == 200, patched.text
        # a new shipment of the same proposal is no part of this shipment's tree either
        await _stored(client, shipment_message(1, proposal="mx1"))
        assert await _unchanged(client, url, as_member, **member)
        assert await _unchanged(client, url, as_admin)
        assert built == []  # answered from the kept copies, not rebuilt


async def test_new_results_of_the_tree_change_its_etag(app: FastAPI) -> None:
    async with running(app) as client:
        shipment = shipment_message(2, proposal="mx1")
        await _stored(client, shipment)
        url = f"/shipments/{_uuid(shipment, 'Shipment', 'Shipment1')}/results"
        member = await _member(client, ["mx1"])
        before = await _etag(client, url, **member)
        await _stored(client, results_message(shipment), "?policy=merge")
        answer = await client.get(url, headers={**member, "If-None-Match": before})
        assert answer.status_code == 200 and answer.headers["etag"] != before
        assert "ReflectionSet" in answer.json()


async def test_a_pin_moved_between_shipments_changes_both(app: FastAPI) -> None:
    async with running(app) as client:
        first, second = shipment_message(2, proposal="mx1"), shipment_message(1, proposal="mx1")
        await _stored(client, first)
        await _stored(client, second)
        urls = [f"/shipments/{_uuid(m, 'Shipment', 'Shipment1')}/results" for m in (first, second)]
        before = [await _etag(client, url) for url in urls]
        pin = _uuid(first, "Pin", "Pin2")
        moved = await client.patch(
            f"/objects/{pin}",
            json={"containerId": _uuid(second, "Puck", "Puck1"), "positionInPuck": 9},
            headers={"If-Match": '"1"'},
        )
        assert moved.status_code == 200, moved.text
        for url, etag in zip(urls, before, strict=True):
            assert not await _unchanged(client, url, etag)
        arrived = (await client.get(urls[1])).json()
        assert pin in {p["uuid"] for p in arrived["Pin"].values()}
        left = (await client.get(urls[0])).json()
        assert pin not in {p["uuid"] for p in left["Pin"].values()}


async def test_a_deletion_in_the_tree_changes_its_etag(app: FastAPI) -> None:
    async with running(app) as client:
        shipment = shipment_message(2, proposal="mx1")
        await _stored(client, shipment)
        url = f"/shipments/{_uuid(shipment, 'Shipment', 'Shipment1')}/results"
        before = await _etag(client, url)
        pin = _uuid(shipment, "Pin", "Pin2")
        deleted = await client.delete(f"/objects/{pin}", headers={"If-Match": '"1"'})
        assert deleted.status_code in (200, 204), deleted.text
        assert not await _unchanged(client, url, before)
        assert pin not in {p["uuid"] for p in (await client.get(url)).json()["Pin"].values()}


async def test_a_restore_gives_every_download_a_new_etag(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings)
    async with running(app) as client:
        shipment = shipment_message(2, proposal="mx1")
        await _stored(client, shipment)
        url = f"/shipments/{_uuid(shipment, 'Shipment', 'Shipment1')}/results"
        await app.state.store.acting_as(ADMIN).backup(tmp_path / "copy.sqlite3")
        await _stored(client, results_message(shipment), "?policy=merge")
        with_results = await _etag(client, url)
        restore(settings, tmp_path / "copy.sqlite3")  # back to before the results
        answer = await client.get(url, headers={"If-None-Match": with_results})
        assert answer.status_code == 200 and answer.headers["etag"] != with_results
        assert "ReflectionSet" not in answer.json()


async def test_an_export_follows_its_own_neighbourhood(app: FastAPI) -> None:
    async with running(app) as client:
        shipment, other = shipment_message(2, proposal="mx1"), shipment_message(2, proposal="mx1")
        await _stored(client, shipment)
        await _stored(client, other)
        url = f"/objects/{_uuid(shipment, 'Puck', 'Puck1')}/export"
        before = await _etag(client, url)
        pin = _uuid(other, "Pin", "Pin1")
        await client.patch(f"/objects/{pin}", json={"barcode": "X-1"}, headers={"If-Match": '"1"'})
        assert await _unchanged(client, url, before)
        mine = _uuid(shipment, "Pin", "Pin1")
        await client.patch(f"/objects/{mine}", json={"barcode": "X-2"}, headers={"If-Match": '"1"'})
        assert not await _unchanged(client, url, before)


async def test_memory_goes_back_once_the_last_download_is_done(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(downloads, "GIVE_BACK_AFTER", 0.0)
    assert memory.limit_arenas() == sys.platform.startswith("linux")  # glibc's mallopt said yes
    async with running(app) as client:
        shipment = shipment_message(2, proposal="mx1")
        await _stored(client, shipment)
        gate = app.state.build_gate
        assert gate.trimming is None
        await _etag(client, f"/shipments/{_uuid(shipment, 'Shipment', 'Shipment1')}/results")
        assert gate.trimming is not None and not gate.inflight and not gate.active
        assert isinstance(await gate.trimming, bool)


async def test_a_member_etag_follows_nothing_of_another_proposal(app: FastAPI) -> None:
    """Staff linked a member's pin to another proposal's sample: what that proposal then does
    to the sample (which the member cannot see) must not move the member's ETag, nor rebuild
    the member's copy: a moving ETag would tell the member that the other proposal wrote."""
    async with running(app) as client:
        mine, theirs = shipment_message(2, proposal="mx1"), shipment_message(1, proposal="mx2")
        await _stored(client, mine)
        await _stored(client, theirs)
        pin = _uuid(mine, "Pin", "Pin1")
        foreign = _uuid(theirs, "MacromoleculeSample", "MacromoleculeSample1")
        linked = await client.patch(
            f"/objects/{pin}", json={"sampleId": foreign}, headers={"If-Match": '"1"'}
        )
        assert linked.status_code == 200, linked.text
        url = f"/shipments/{_uuid(mine, 'Shipment', 'Shipment1')}/results"
        member = await _member(client, ["mx1"])
        seen = (await client.get(url, headers=member)).json()  # the pin, with its link
        samples = seen.get("MacromoleculeSample", {}).values()
        assert foreign not in {s["uuid"] for s in samples}  # nor the sample itself
        before = await _etag(client, url, **member)
        edited = await client.patch(
            f"/objects/{foreign}", json={"name": "RENAMED"}, headers={"If-Match": '"1"'}
        )
        assert edited.status_code == 200, edited.text
        assert await _unchanged(client, url, before, **member)
        # while what the member sees still moves it: its own pin
        await client.patch(f"/objects/{pin}", json={"barcode": "X-1"}, headers={"If-Match": '"2"'})
        assert not await _unchanged(client, url, before, **member)


async def test_a_member_etag_follows_nothing_another_proposal_links_to_its_objects(
    app: FastAPI,
) -> None:
    """Staff put another proposal's pin in a member's puck: editing that pin (which the member
    cannot see) touches the puck, and rebuilt the member's download with the same bytes under
    a new ETag, telling the member that something hidden in its puck had changed."""
    async with running(app) as client:
        mine, theirs = shipment_message(2, proposal="mx1"), shipment_message(1, proposal="mx2")
        await _stored(client, mine)
        await _stored(client, theirs)
        foreign = _uuid(theirs, "Pin", "Pin1")
        moved = await client.patch(
            f"/objects/{foreign}",
            json={"containerId": _uuid(mine, "Puck", "Puck1"), "positionInPuck": 9, "barcode": "H"},
            headers={"If-Match": '"1"'},
        )
        assert moved.status_code == 200, moved.text
        url = f"/shipments/{_uuid(mine, 'Shipment', 'Shipment1')}/results"
        member = await _member(client, ["mx1"])
        seen = await client.get(url, headers=member)
        assert foreign not in seen.text  # the member does not see the pin
        before = await _etag(client, url, **member)
        edited = await client.patch(
            f"/objects/{foreign}", json={"barcode": "HIDDEN-2"}, headers={"If-Match": '"2"'}
        )
        assert edited.status_code == 200, edited.text
        assert await _unchanged(client, url, before, **member)
        assert (await client.get(url, headers=member)).content == seen.content
        # while what the member sees still moves it: its own pin
        pin = _uuid(mine, "Pin", "Pin1")
        await client.patch(f"/objects/{pin}", json={"barcode": "X-1"}, headers={"If-Match": '"1"'})
        assert not await _unchanged(client, url, before, **member)
