"""No probing through writes: member B asks every write path about something of proposal A and
about something that does not exist, and gets the same answer, byte for byte (uuids masked).

The one fact a uuid B chooses may reveal is "taken" ("this uuid cannot be used here"); the
uuids a sheet gets in this store are not those anyone can derive from the sheet (``sheet
convert`` without a store gives previews).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mxlims_store.api.main import create_app
from tests.api.conftest import BASE_URL, make_settings, running
from tests.api.test_page_errors import _signed_in
from tests.factories import minimal, new_uuid, shipment_message

ROOT = Path(__file__).resolve().parents[2]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Two:
    app: FastAPI
    a: httpx.AsyncClient  # member of mx1
    b: httpx.AsyncClient  # member of mx2
    staff: httpx.AsyncClient
    shipment_a: dict[str, Any]
    b_pages: httpx.AsyncClient  # member of mx2, signed in to the pages


def _client(app: FastAPI, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[Two]:
    app = create_app(make_settings(tmp_path))
    async with running(app) as admin:
        keys = {}
        for name, role, proposals in (
            ("a", "member", ["mx1"]),
            ("b", "member", ["mx2"]),
            ("staff", "staff", []),
        ):
            made = await admin.post(
                "/keys", json={"name": name, "role": role, "proposals": proposals}
            )
            keys[name] = made.json()["key"]
        shipment_a = shipment_message(3, proposal="mx1")
        a, b, staff = (_client(app, keys[n]) for n in ("a", "b", "staff"))
        stored = await a.post("/messages", json=shipment_a)
        assert stored.status_code == 201, stored.text
        b_pages = await _signed_in(app, keys["b"])
        yield Two(app, a, b, staff, shipment_a, b_pages)
        for client in (a, b, staff, b_pages):
            await client.aclose()


def _masked(response: httpx.Response) -> tuple[int, str]:
    """Status and body with uuids and import ids (hashes of the content sent) masked."""
    text = re.sub(r'"importId":"[0-9a-f]{32}"', '"importId":"<id>"', response.text)
    text = re.sub(r'name="staged" value="[^"]*"', 'name="staged" value=""', text)
    return response.status_code, UUID.sub("<uuid>", text)


def _stub(base: str, uuid: str) -> dict[str, str]:
    return {"mxlimsBaseType": base, "uuid": uuid}


def _pin_into(puck: str, barcode: str, position: int = 1) -> dict[str, Any]:
    """B's message: a pin placed at ``position`` of ``puck`` (a stub), with ``barcode``."""
    return {
        "version": "0.6.13",
        "LogisticalSample": {"Puck": _stub("LogisticalSample", puck)},
        "Pin": {
            "Pin1": minimal(
                "Pin",
                barcode=barcode,
                positionInPuck=position,
                containerRef={"$ref": "#/LogisticalSample/Puck"},
            )
        },
    }


# Each case: what B sends, given (a uuid, a barcode) of A's or (a new uuid, a new barcode).
Probe = Callable[[Two, str, str], Awaitable[httpx.Response]]


async def _dry_run_into_puck(t: Two, uuid: str, barcode: str) -> httpx.Response:
    return await t.b.post("/messages?dry_run=true", json=_pin_into(uuid, barcode))


async def _import_into_puck(t: Two, uuid: str, barcode: str) -> httpx.Response:
    return await t.b.post("/messages", json=_pin_into(uuid, barcode, position=99))


async def _stub_of_another_kind(t: Two, uuid: str, barcode: str) -> httpx.Response:
    message = {
        "version": "0.6.13",
        "Sample": {"S": _stub("Sample", uuid)},
        "Crystal": {"C1": minimal("Crystal", parentSampleRef={"$ref": "#/Sample/S"})},
    }
    return await t.b.post("/messages?dry_run=true", json=message)


async def _patch(t: Two, uuid: str, barcode: str) -> httpx.Response:
    return await t.b.patch(f"/objects/{uuid}", json={"barcode": "X"}, headers={"If-Match": '"1"'})


async def _patch_own_pin_into(t: Two, uuid: str, barcode: str) -> httpx.Response:
    own = shipment_message(1, proposal="mx2")
    await t.b.post("/messages", json=own)
    pin = own["Pin"]["Pin1"]["uuid"]
    return await t.b.patch(
        f"/objects/{pin}", json={"containerRef": {"$ref": uuid}}, headers={"If-Match": '"1"'}
    )


async def _delete(t: Two, uuid: str, barcode: str) -> httpx.Response:
    return await t.b.delete(f"/objects/{uuid}?cascade=true")


async def _event_by_uuid(t: Two, uuid: str, barcode: str) -> httpx.Response:
    return await t.b.post(f"/objects/{uuid}/events", json={"state": "received"})


async def _event_by_barcode(t: Two, uuid: str, barcode: str) -> httpx.Response:
    return await t.b.post(f"/barcodes/{barcode}/events", json={"state": "received"})


async def _scan(t: Two, uuid: str, barcode: str) -> httpx.Response:
    return await t.b.get(f"/barcodes/{barcode}")


def _dls_sheet(proposal_number: str, pin_barcode: str = "DLS-PIN-4100") -> bytes:
    data = (ROOT / "fixtures" / "sheets" / "dls_shipment.csv").read_bytes()
    data = data.replace(b"mx,23456", b"mx," + proposal_number.encode())
    return data.replace(b"DLS-PIN-4100", pin_barcode.encode())


async def _sheet_with_that_barcode(t: Two, uuid: str, barcode: str) -> httpx.Response:
    """A member may use a barcode another proposal also uses: neither blocked nor told."""
    csv = {"Content-Type": "text/csv"}
    return await t.b.post("/sheets/dls?dry_run=true", content=_dls_sheet("2", barcode), headers=csv)


async def _page_upload_into_puck(t: Two, uuid: str, barcode: str) -> httpx.Response:
    form = await t.b_pages.get("/pages/upload")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    return await t.b_pages.post(
        "/pages/upload",
        data={"kind": "message", "csrf": csrf.group(1), "policy": "reject_new"},
        files={"file": ("probe.json", json.dumps(_pin_into(uuid, barcode)), "application/json")},
    )


PROBES: dict[str, Probe] = {
    "message dry run into a puck": _dry_run_into_puck,
    "message import into a puck": _import_into_puck,
    "stub of another kind": _stub_of_another_kind,
    "PATCH": _patch,
    "PATCH own pin into": _patch_own_pin_into,
    "DELETE": _delete,
    "event by uuid": _event_by_uuid,
    "event by barcode": _event_by_barcode,
    "barcode scan": _scan,
    "sheet using the barcode": _sheet_with_that_barcode,
    "page upload into a puck": _page_upload_into_puck,
}


@pytest.mark.parametrize("probe", list(PROBES), ids=list(PROBES))
async def test_another_proposals_object_answers_as_one_that_does_not_exist(
    two: Two, probe: str
) -> None:
    puck = two.shipment_a["Puck"]["Puck1"]
    pin = two.shipment_a["Pin"]["Pin1"]
    target_uuid = puck["uuid"] if "puck" in probe or "into" in probe else pin["uuid"]
    barcode = pin["barcode"]
    existing = await PROBES[probe](two, target_uuid, barcode)
    absent = await PROBES[probe](two, new_uuid(), "NEVER-SEEN")
    assert existing.status_code < 500 and "Traceback" not in existing.text
    if probe == "sheet using the barcode":  # stored or not, B's own sheet goes in as it is
        assert existing.status_code == 200, existing.text
    masked_existing, masked_absent = _masked(existing), _masked(absent)
    assert masked_existing == (masked_absent[0], masked_absent[1].replace("NEVER-SEEN", barcode))
    for secret in ("mx1", "PK-1", "DW-1", "16 positions", "cannot be used here"):
        assert secret not in existing.text


async def test_a_chosen_uuid_reveals_only_that_it_is_taken(two: Two) -> None:
    taken = two.shipment_a["Pin"]["Pin1"]["uuid"]
    message = {
        "version": "0.6.13",
        "Macromolecule": {"M1": minimal("Macromolecule", uuid=taken, acronym="X")},
    }
    answer = await two.b.post("/messages?dry_run=true", json=message)
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["problems"]
    assert problem == {
        "path": "Macromolecule/M1",
        "message": "this uuid cannot be used here; leave it out or use another",
    }


async def test_the_very_sheet_another_proposal_stored_answers_as_one_never_stored(
    two: Two,
) -> None:
    # a sheet's uuids follow its content: B sending exactly A's stored sheet (for A's
    # proposal) would meet A's uuids; it must hear what it hears for any sheet for mx1
    sheet, csv = _dls_sheet("1"), {"Content-Type": "text/csv"}
    assert (await two.a.post("/sheets/dls", content=sheet, headers=csv)).status_code == 201
    never = sheet.replace(b"lysozyme+friends", b"something else")
    for query in ("", "?policy=update_old", "?dry_run=true", "?proposal=mx1"):
        stored = await two.b.post(f"/sheets/dls{query}", content=sheet, headers=csv)
        absent = await two.b.post(f"/sheets/dls{query}", content=never, headers=csv)
        assert stored.status_code == absent.status_code == 422, stored.text
        assert "cannot be used here" not in stored.text
        assert stored.json()["problems"] == absent.json()["problems"]


async def test_another_proposals_very_message_answers_as_a_new_one(two: Two) -> None:
    again = await two.b.post("/messages?policy=merge", json=two.shipment_a)
    fresh = await two.b.post("/messages?policy=merge", json=shipment_message(3, proposal="mx1"))
    assert again.status_code == fresh.status_code == 422, again.text
    assert _masked(again) == _masked(fresh)
    assert "you may not create objects for proposal 'mx1'" in again.text


async def test_a_stored_sheets_uuids_are_not_the_ones_a_convert_previews(two: Two) -> None:
    sheet = _dls_sheet("1")
    csv = {"Content-Type": "text/csv"}
    stored = await two.a.post("/sheets/dls", content=sheet, headers=csv)
    assert stored.status_code == 201, stored.text
    previewed = await two.b.post("/sheets/convert?from=dls&to=mxlims", content=sheet, headers=csv)
    assert previewed.status_code == 200, previewed.text
    stored_uuids = set(stored.json()["keys"].values())
    assert stored_uuids and not stored_uuids & set(UUID.findall(previewed.text))


async def test_staff_scanning_a_barcode_of_two_proposals_are_shown_the_candidates(
    two: Two,
) -> None:
    other = shipment_message(1, proposal="mx2")  # the same barcodes: DW-1, PK-1, PIN-1
    assert (await two.b.post("/messages", json=other)).status_code == 201
    scan = await two.staff.get("/barcodes/PIN-1")
    assert scan.status_code == 409
    candidates = {p["path"] for p in scan.json()["problems"]}
    assert candidates == {two.shipment_a["Pin"]["Pin1"]["uuid"], other["Pin"]["Pin1"]["uuid"]}
    own = await two.b.get("/barcodes/PIN-1")  # a member sees its own only
    assert own.status_code == 200 and own.json()["uuid"] == other["Pin"]["Pin1"]["uuid"]


async def test_a_delete_refusal_does_not_count_hidden_objects(two: Two) -> None:
    own = shipment_message(1, proposal="mx2")
    assert (await two.b.post("/messages", json=own)).status_code == 201
    sample = own["MacromoleculeSample"]["MacromoleculeSample1"]["uuid"]
    a_pin = two.shipment_a["Pin"]["Pin2"]["uuid"]  # staff link A's pin to B's sample
    linked = await two.staff.patch(
        f"/objects/{a_pin}", json={"sampleRef": {"$ref": sample}}, headers={"If-Match": '"1"'}
    )
    assert linked.status_code == 200, linked.text
    blocked = await two.b.delete(f"/objects/{sample}")
    assert blocked.status_code == 409
    body = blocked.json()
    assert a_pin not in blocked.text and "you may not see" not in body["message"]
    assert body["message"] == "other objects point at it; delete them first or ask for a cascade"
    cascade = await two.b.delete(f"/objects/{sample}?cascade=true")
    assert cascade.status_code == 403 and not re.search(r"\d", cascade.json()["message"])


async def test_a_deleted_uuid_of_another_proposal_is_taken_and_tells_nothing_more(
    two: Two,
) -> None:
    own = shipment_message(1, proposal="mx1")
    assert (await two.a.post("/messages", json=own)).status_code == 201
    gone = own["Macromolecule"]["Macromolecule1"]["uuid"]
    assert (await two.a.delete(f"/objects/{gone}?cascade=true")).status_code == 204
    reuse = {
        "version": "0.6.13",
        "Macromolecule": {"M1": minimal("Macromolecule", uuid=gone, acronym="X")},
    }
    answer = await two.b.post("/messages?dry_run=true", json=reuse)
    assert answer.status_code == 422  # not created at revision 3, which would tell its past
    assert answer.json()["problems"] == [
        {
            "path": "Macromolecule/M1",
            "message": "this uuid cannot be used here; leave it out or use another",
        }
    ]
    again = await two.a.post("/messages", json=reuse)  # its own proposal may bring it back
    assert again.status_code == 201, again.text


def _macromolecule(acronym: str) -> dict[str, Any]:
    """A message whose one object carries no uuid: the store derives it from the content."""
    return {"version": "0.6.13", "Macromolecule": {"M1": minimal("Macromolecule", acronym=acronym)}}


@pytest.mark.parametrize("stored_for", [None, "mx1"], ids=["no proposal", "another proposal"])
async def test_content_stored_where_a_member_cannot_read_answers_as_new_content(
    two: Two, stored_for: str | None
) -> None:
    # staff store a message of objects without uuids, for no proposal or for A's
    query = f"?proposal={stored_for}" if stored_for else ""
    stored = await two.staff.post(f"/messages{query}", json=_macromolecule("HIDDEN"))
    assert stored.status_code == 201, stored.text
    hidden = set(stored.json()["keys"].values())
    for dry_run in ("?dry_run=true", ""):  # B sends the very same content, and new content
        again = await two.b.post(f"/messages{dry_run}", json=_macromolecule("HIDDEN"))
        fresh = await two.b.post(f"/messages{dry_run}", json=_macromolecule(f"NEW{dry_run}"))
        assert again.status_code == fresh.status_code == (200 if dry_run else 201), again.text
        assert _masked(again)[1] == _masked(fresh)[1].replace(f"NEW{dry_run}", "HIDDEN")
        assert "cannot be used here" not in again.text
        assert not hidden & set(again.json()["keys"].values())  # B's own objects, not A's
    # and B sending it once more finds its own copy: a re-run stores nothing twice
    rerun = await two.b.post("/messages", json=_macromolecule("HIDDEN"))
    assert rerun.status_code == 200 and rerun.json()["unchanged"] == {"Macromolecule": 1}


async def test_callers_who_read_everything_keep_the_contents_own_uuids(two: Two) -> None:
    first = await two.staff.post("/messages", json=_macromolecule("SAME"))
    again = await two.staff.post("/messages", json=_macromolecule("SAME"))
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert first.json()["keys"] == again.json()["keys"]
    assert again.json()["unchanged"] == {"Macromolecule": 1}


async def test_content_stored_for_a_members_proposal_is_found_again_by_the_member(
    two: Two,
) -> None:
    # staff import content for mx1; its member sending the very same content finds that copy
    # (a re-run stores nothing twice), and its own earlier content keeps the content's uuids
    stored = await two.staff.post("/messages?proposal=mx1", json=_macromolecule("FOR-A"))
    again = await two.a.post("/messages", json=_macromolecule("FOR-A"))
    assert (stored.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["keys"] == stored.json()["keys"]
    assert again.json()["unchanged"] == {"Macromolecule": 1}
    own = await two.a.post("/messages", json=_macromolecule("A-OWN"))
    staff_sees = await two.staff.post("/messages?proposal=mx1", json=_macromolecule("A-OWN"))
    assert (own.status_code, staff_sees.status_code) == (201, 200), staff_sees.text
    assert staff_sees.json()["keys"] == own.json()["keys"]


async def test_a_members_uuids_never_depend_on_what_others_stored(two: Two) -> None:
    # the uuids a member's uuid-less content gets are the same before and after the very same
    # content is stored for another proposal or for none: they tell nothing of it
    before = await two.b.post("/messages?dry_run=true", json=_macromolecule("GUESSED"))
    for query in ("?proposal=mx1", ""):
        stored = await two.staff.post(f"/messages{query}", json=_macromolecule("GUESSED"))
        assert stored.status_code == 201, stored.text
        after = await two.b.post("/messages?dry_run=true", json=_macromolecule("GUESSED"))
        assert (before.status_code, after.status_code) == (200, 200), after.text
        assert after.json()["keys"] == before.json()["keys"]
        assert not set(stored.json()["keys"].values()) & set(after.json()["keys"].values())
