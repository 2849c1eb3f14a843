"""``/proposals/{code}/samples``, ``/results`` and ``/shipments`` answer alike: a proposal the
caller may not see gets the very answer of a proposal that does not exist (404, same body), for
a member, staff and an admin; a proposal the caller sees answers 200 on both."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.conftest import running
from tests.factories import shipment_message

ROUTES = ("samples", "results", "shipments")


async def _key(admin: httpx.AsyncClient, **body: object) -> dict[str, str]:
    made = await admin.post("/keys", json={"name": "k", **body})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


async def test_a_proposal_not_seen_answers_as_one_that_does_not_exist(app: FastAPI) -> None:
    async with running(app) as admin:
        stored = await admin.post("/messages", json=shipment_message(3, proposal="mx1234"))
        assert stored.status_code == 201, stored.text
        callers = {
            "member": await _key(admin, role="member", proposals=["mx1234", "mx5555"]),
            "stranger": await _key(admin, role="member", proposals=["mx9999"]),
            "staff": await _key(admin, role="staff"),
            "admin": {},  # the client's own admin key
        }
        for route in ROUTES:
            missing = {
                who: await admin.get(f"/proposals/nosuch1/{route}", headers=h)
                for who, h in callers.items()
            }
            assert {who: a.status_code for who, a in missing.items()} == dict.fromkeys(
                callers, 404
            ), route
            said = {a.json()["message"] for a in missing.values()}
            assert len(said) == 1, (route, said)
            # the stranger's view of mx1234 is exactly that of a proposal that does not exist
            unseen = await admin.get(f"/proposals/mx1234/{route}", headers=callers["stranger"])
            assert unseen.status_code == 404, (route, unseen.text)
            assert unseen.json() == missing["stranger"].json(), route
            # a proposal of the member's without any shipment yet: the same answer again
            empty = await admin.get(f"/proposals/mx5555/{route}", headers=callers["member"])
            assert empty.status_code == 404 and empty.json() == missing["member"].json()
            for who in ("member", "staff", "admin"):
                seen = await admin.get(f"/proposals/mx1234/{route}", headers=callers[who])
                assert seen.status_code == 200, (route, who, seen.text)
                assert seen.json(), (route, who)
