"""Reading, finding, changing and deleting objects; ETag / If-Match; links, history, export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import shipment_message


@pytest.fixture
async def shipment(client: httpx.AsyncClient) -> dict[str, Any]:
    """Five pins in one puck, stored; the message (with its uuids) is returned."""
    message = shipment_message(5)
    message["Pin"]["Pin1"]["identifiers"] = {"esrf.fr": "PIN-ESRF-1"}
    message["Pin"]["Pin2"]["extensions"] = {"esrf.fr": {"loopColour": "red", "priority": 3}}
    response = await client.post("/messages", json=message)
    assert response.status_code == 201, response.text
    return message


def pin(message: dict[str, Any], n: int) -> str:
    uuid: str = message["Pin"][f"Pin{n}"]["uuid"]
    return uuid


async def test_get_sends_the_revision_as_etag(
    client: httpx.AsyncClient, shipment: dict[str, Any]
) -> None:
    response = await client.get(f"/objects/{pin(shipment, 1)}")
    assert response.status_code == 200
    body = response.json()
    assert response.headers["etag"] == '"1"' == f'"{body["_meta"]["revision"]}"'
    # MXLIMS form: the standard's link names, each {"$ref": <uuid of the target>}
    assert body["barcode"] == "PIN-1" and body["mxlimsType"] == "Pin"
    assert body["containerRef"] == {"$ref": shipment["Puck"]["Puck1"]["uuid"]}
    assert "containerId" not in body and set(body["_meta"]) >= {"revision", "proposal"}


async def test_patch_with_the_etag_changes_and_bumps_it(
    client: httpx.AsyncClient, shipment: dict[str, Any]
) -> None:
    uuid = pin(shipment, 1)
    etag = (await client.get(f"/objects/{uuid}")).headers["etag"]
    changed = await client.patch(
        f"/objects/{uuid}",
        json={"barcode": "NEW", "positionInPuck": None},
        headers={"If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["barcode"] == "NEW"
    assert "positionInPuck" not in changed.json()
    stale = await client.patch(
        f"/objects/{uuid}", json={"barcode": "OLD"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["error"] == "StaleRevision"
    history = (await client.get(f"/objects/{uuid}/history")).json()
    assert [(h["revision"], h["operation"]) for h in history] == [(1, "create"), (2, "update")]


async def test_patch_accepts_merge_patch_json(
    client: httpx.AsyncClient, shipment: dict[str, Any]
) -> None:
    response = await client.patch(
        f"/objects/{pin(shipment, 2)}",
        content=b'{"barcode": "MP"}',
        headers={"If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text


async def test_delete_then_gone(client: httpx.AsyncClient, shipment: dict[str, Any]) -> None:
    uuid = pin(shipment, 3)
    stale = await client.delete(f"/objects/{uuid}", headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    deleted = await client.delete(f"/objects/{uuid}", headers={"If-Match": '"1"'})
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(f"/objects/{uuid}")).status_code == 404
    assert (await client.delete(f"/objects/{uuid}")).status_code == 404
    history = (await client.get(f"/objects/{uuid}/history")).json()
    assert history[-1]["operation"] == "delete"


@pytest.mark.parametrize("if_match", [None, "*", '"1"'], ids=["none", "any", "current"])
async def test_delete_preconditions_that_hold(
    client: httpx.AsyncClient, shipment: dict[str, Any], if_match: str | None
) -> None:
    headers = {} if if_match is None else {"If-Match": if_match}
    response = await client.delete(f"/objects/{pin(shipment, 4)}", headers=headers)
    assert response.status_code == 204


@dataclass(frozen=True)
class FindCase:
    id: str
    params: list[tuple[str, str]]
    barcodes: list[str] | None = None  # expected, sorted; None: only check the count
    count: int | None = None


FIND_CASES = [
    FindCase("type", [("type", "Pin")], count=5),
    FindCase("barcode", [("barcode", "PIN-3")], ["PIN-3"]),
    FindCase("where-eq-json-number", [("type", "Pin"), ("where", "positionInPuck=2")], ["PIN-2"]),
    FindCase(
        "where-range",
        [("type", "Pin"), ("where", "positionInPuck>=2"), ("where", "positionInPuck<4")],
        ["PIN-2", "PIN-3"],
    ),
    FindCase("where-ne", [("type", "Pin"), ("where", "positionInPuck!=1")], count=4),
    FindCase(
        "where-in", [("type", "Pin"), ("where", "positionInPuck:in=[1,5]")], ["PIN-1", "PIN-5"]
    ),
    FindCase("where-string", [("where", "barcode=PK-1")], ["PK-1"]),
    FindCase("identifier", [("identifier", "esrf.fr=PIN-ESRF-1")], ["PIN-1"]),
    FindCase("extension-domain", [("extension", "esrf.fr")], ["PIN-2"]),
    FindCase("extension-field", [("extension", "esrf.fr:priority=3")], ["PIN-2"]),
    FindCase("extension-no-match", [("extension", "esrf.fr:priority=4")], []),
    FindCase("core-type", [("type", "LogisticalSample")], count=8),  # every one of its kind
]


@pytest.mark.parametrize("case", FIND_CASES, ids=lambda c: c.id)
async def test_find(client: httpx.AsyncClient, shipment: dict[str, Any], case: FindCase) -> None:
    response = await client.get("/objects", params=[*case.params, ("total", "true")])
    assert response.status_code == 200, response.text
    page = response.json()
    if case.barcodes is not None:
        assert sorted(item["barcode"] for item in page["items"]) == case.barcodes
    if case.count is not None:
        assert len(page["items"]) == case.count
    assert page["total"] == len(page["items"])


async def test_pages_follow_the_next_cursor(
    client: httpx.AsyncClient, shipment: dict[str, Any]
) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"type": "Pin", "limit": 2}
    while True:
        page = (await client.get("/objects", params=params)).json()
        seen += [item["uuid"] for item in page["items"]]
        if page["next"] is None:
            break
        params["after"] = page["next"]
    assert sorted(seen) == sorted(pin(shipment, n) for n in range(1, 6))


async def test_links_of_a_puck(client: httpx.AsyncClient, shipment: dict[str, Any]) -> None:
    puck = shipment["Puck"]["Puck1"]["uuid"]
    links = (await client.get(f"/objects/{puck}/links")).json()
    assert [f["mxlimsType"] for f in links["forward"]] == ["Dewar"]
    assert sorted(r["uuid"] for r in links["reverse"]) == sorted(
        pin(shipment, n) for n in range(1, 6)
    )


@dataclass(frozen=True)
class ProvenanceCase:
    id: str
    params: dict[str, Any]
    types: set[str]


PROVENANCE_CASES = [
    ProvenanceCase(
        "up", {}, {"Pin", "Puck", "Dewar", "Shipment", "MacromoleculeSample", "Macromolecule"}
    ),
    ProvenanceCase("up-depth-1", {"depth": 1}, {"Pin", "Puck", "MacromoleculeSample"}),
    ProvenanceCase("depth-0", {"depth": 0}, {"Pin"}),
    ProvenanceCase("down", {"direction": "down"}, {"Pin"}),
]


@pytest.mark.parametrize("case", PROVENANCE_CASES, ids=lambda c: c.id)
async def test_provenance(
    client: httpx.AsyncClient, shipment: dict[str, Any], case: ProvenanceCase
) -> None:
    response = await client.get(f"/objects/{pin(shipment, 1)}/provenance", params=case.params)
    assert response.status_code == 200, response.text
    assert {step["mxlimsType"] for step in response.json()} == case.types


async def test_export_is_a_message_download(
    client: httpx.AsyncClient, shipment: dict[str, Any]
) -> None:
    puck = shipment["Puck"]["Puck1"]["uuid"]
    response = await client.get(
        f"/objects/{puck}/export", params={"direction": "down", "site": "esrf.fr"}
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="mxlims-{puck}.json"'
    message = response.json()
    assert message["version"] == "0.6.13"
    assert len(message["Pin"]) == 5


async def test_shipment_results_of_a_pin_is_refused(
    client: httpx.AsyncClient, shipment: dict[str, Any]
) -> None:
    response = await client.get(f"/shipments/{pin(shipment, 1)}/results")
    assert response.status_code == 422
    assert "not a Shipment" in response.json()["message"]


async def test_stats_count_per_type(client: httpx.AsyncClient, shipment: dict[str, Any]) -> None:
    stats = (await client.get("/stats")).json()
    assert stats["Pin"] == 5
    assert stats["Shipment"] == 1


@dataclass(frozen=True)
class ImportCase:
    id: str
    params: dict[str, Any]
    status: int
    created: bool


IMPORT_CASES = [
    ImportCase("new", {}, 201, True),
    ImportCase("dry-run", {"dry_run": "true"}, 200, True),
]


@pytest.mark.parametrize("case", IMPORT_CASES, ids=lambda c: c.id)
async def test_import_status(client: httpx.AsyncClient, case: ImportCase) -> None:
    response = await client.post("/messages", params=case.params, json=shipment_message(2))
    assert response.status_code == case.status, response.text
    report = response.json()
    assert bool(report["created"]) is case.created
    assert report["dryRun"] is ("dry_run" in case.params)
    if "dry_run" in case.params:
        assert (await client.get("/stats")).json() == {}
