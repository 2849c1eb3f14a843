"""Bad input of every kind gets a 4xx with a JSON body naming the problem, never a 5xx."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.factories import minimal, new_uuid, shipment_message

UNKNOWN = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
GONE = "no object with this uuid"  # never repeats the uuid: it may be another proposal's


@dataclass(frozen=True)
class Bad:
    id: str
    method: str
    url: str  # "{pin}" is replaced by a stored pin's uuid
    status: int
    error: str
    mentions: str  # found in the message or in a problem's path/message
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def json(value: Any) -> bytes:
        return json.dumps(value).encode()


JSON = {"Content-Type": "application/json"}
INVALID_MESSAGE = {
    "version": "0.6.13",
    "Pin": {"Pin1": minimal("Pin", positionInPuck=0, containerRef={"$ref": "#/Puck/Puck9"})},
}

# fmt: off
CASES = [
    # bodies
    Bad("malformed-json", "POST", "/messages", 400, "MalformedJson", "not valid JSON",
        b'{"version": "0.6.13",', JSON),
    Bad("empty-body", "POST", "/messages", 400, "MalformedJson", "empty", b"", JSON),
    Bad("nan-is-not-json", "POST", "/messages", 400, "MalformedJson", "NaN",
        b'{"version": NaN}', JSON),
    Bad("not-utf8", "POST", "/messages", 400, "MalformedJson", "not valid JSON",
        b'{"v": "\xff"}', JSON),
    Bad("deeply-nested", "POST", "/messages", 400, "MalformedJson", "nested", b"[" * 100_000, JSON),
    # a body that is not UTF-8 on routes whose body FastAPI reads (it said only "There was an
    # error parsing the body", as a BadRequest)
    Bad("not-utf8-event", "POST", "/objects/{pin}/events", 400, "MalformedJson", "UTF-8",
        b'{"state": "received", "note": "\xff"}', JSON),
    Bad("not-utf8-key", "POST", "/keys", 400, "MalformedJson", "UTF-8", b'{"name": "\xff"}', JSON),
    # JSON that does not parse, on the routes whose body FastAPI parses: the same answer as
    # POST /messages gives (it was FastAPI's 422 "JSON decode error")
    Bad("malformed-json-event", "POST", "/objects/{pin}/events", 400, "MalformedJson",
        "not valid JSON", b'{"state": "received",', JSON),
    Bad("malformed-json-key", "POST", "/keys", 400, "MalformedJson", "not valid JSON",
        b'{"name": ', JSON),
    Bad("wrong-content-type", "POST", "/messages", 415, "UnsupportedMediaType", "text/plain",
        b'{"version": "0.6.13"}', {"Content-Type": "text/plain"}),
    Bad("no-content-type", "POST", "/messages", 415, "UnsupportedMediaType", "undeclared",
        b'{"version": "0.6.13"}'),
    Bad("array-not-object", "POST", "/messages", 422, "InvalidMessage", "must be a JSON object",
        b"[]", JSON),
    Bad("invalid-message-with-paths", "POST", "/messages", 422, "InvalidMessage", "Pin/Pin1",
        Bad.json(INVALID_MESSAGE), JSON),
    Bad("unsupported-version", "POST", "/messages", 422, "InvalidMessage", "version",
        Bad.json({"version": "9.9"}), JSON),
    Bad("version-not-a-string", "POST", "/messages", 422, "InvalidMessage", "version",
        Bad.json({"version": ["0.6.13"]}), JSON),
    Bad("unknown-policy", "POST", "/messages?policy=overwrite", 422, "InvalidQuery",
        "query/policy", Bad.json({"version": "0.6.13"}), JSON),
    Bad("patch-array", "PATCH", "/objects/{pin}", 422, "InvalidRequest", "not an array", b"[1]",
        {**JSON, "If-Match": '"1"'}),
    Bad("patch-invalid-field", "PATCH", "/objects/{pin}", 422, "InvalidMessage", "positionInPuck",
        Bad.json({"positionInPuck": -1}), {**JSON, "If-Match": '"1"'}),
    Bad("patch-uuid", "PATCH", "/objects/{pin}", 422, "InvalidMessage", "uuid",
        Bad.json({"uuid": UNKNOWN}), {**JSON, "If-Match": '"1"'}),
    # objects
    Bad("unknown-uuid", "GET", f"/objects/{UNKNOWN}", 404, "NotFound", GONE),
    Bad("malformed-uuid", "GET", "/objects/not-a-uuid", 422, "InvalidRequest", "path/uuid"),
    Bad("upper-case-uuid", "GET", f"/objects/{UNKNOWN.upper()}", 422, "InvalidRequest",
        "path/uuid"),
    Bad("uuid-v7", "GET", "/objects/0196f23a-dce0-7560-baac-f1b23ec9e0dd", 422, "InvalidRequest",
        "path/uuid"),
    Bad("stale-if-match", "PATCH", "/objects/{pin}", 412, "StaleRevision", "revision",
        Bad.json({"barcode": "X"}), {**JSON, "If-Match": '"5"'}),
    Bad("garbage-if-match", "PATCH", "/objects/{pin}", 422, "InvalidRequest", "If-Match",
        Bad.json({"barcode": "X"}), {**JSON, "If-Match": "yesterday"}),
    Bad("weak-if-match", "PATCH", "/objects/{pin}", 422, "InvalidRequest", "If-Match",
        Bad.json({"barcode": "X"}), {**JSON, "If-Match": 'W/"1"'}),
    Bad("delete-garbage-if-match", "DELETE", "/objects/{pin}", 422, "InvalidRequest", "ETag",
        headers={"If-Match": "yesterday"}),
    Bad("missing-if-match", "PATCH", "/objects/{pin}", 428, "PreconditionRequired", "If-Match",
        Bad.json({"barcode": "X"}), JSON),
    Bad("patch-if-match-any", "PATCH", "/objects/{pin}", 428, "PreconditionRequired", "ETag",
        Bad.json({"barcode": "X"}), {**JSON, "If-Match": "*"}),
    Bad("patch-unknown", "PATCH", f"/objects/{UNKNOWN}", 404, "NotFound", GONE,
        Bad.json({"barcode": "X"}), {**JSON, "If-Match": '"1"'}),
    Bad("delete-unknown", "DELETE", f"/objects/{UNKNOWN}", 404, "NotFound", GONE),
    Bad("delete-stale", "DELETE", "/objects/{pin}", 412, "StaleRevision", "revision",
        headers={"If-Match": '"2"'}),
    Bad("method-not-allowed", "PUT", "/objects/{pin}", 405, "MethodNotAllowed", "no route PUT"),
    Bad("unknown-route", "GET", "/nowhere", 404, "NotFound", "no route GET /api/v1/nowhere"),
    # finding and walking
    Bad("limit-0", "GET", "/objects?limit=0", 422, "InvalidQuery", "query/limit"),
    Bad("limit-huge", "GET", f"/objects?limit={10**9}", 422, "InvalidQuery", "query/limit"),
    Bad("limit-text", "GET", "/objects?limit=many", 422, "InvalidQuery", "query/limit"),
    Bad("after-garbage", "GET", "/objects?after=%00garbage", 422, "InvalidQuery", "query/after"),
    Bad("total-garbage", "GET", "/objects?total=perhaps", 422, "InvalidQuery", "query/total"),
    Bad("unknown-type", "GET", "/objects?type=Banana", 422, "InvalidQuery", "type"),
    Bad("disallowed-operator", "GET", "/objects?where=name:regex=.*", 422, "InvalidQuery",
        "where/0"),
    Bad("where-operator-injection", "GET", "/objects?where=name:where=1", 422, "InvalidQuery",
        "where/0"),
    Bad("where-dollar-field", "GET", "/objects?where=$where=1", 422, "InvalidQuery", "where/0"),
    Bad("where-unreadable", "GET", "/objects?where=justtext", 422, "InvalidQuery", "where/0"),
    Bad("where-unknown-field", "GET", "/objects?type=Pin&where=colour=red", 422, "InvalidQuery",
        "not a searchable field of Pin"),
    Bad("where-bookkeeping", "GET", "/objects?where=_meta.proposal=x", 422, "InvalidQuery",
        "where/0"),
    Bad("where-wrong-type", "GET", "/objects?type=Pin&where=positionInPuck=abc", 422,
        "InvalidQuery", "positionInPuck takes a number"),
    Bad("where-double-sign", "GET", "/objects?type=Pin&where=positionInPuck<<3", 422,
        "InvalidQuery", "'<3' is not one"),
    Bad("where-unknown-choice", "GET", "/objects?where=jobStatus=Complete", 422, "InvalidQuery",
        "'Completed'"),
    Bad("where-unordered", "GET", "/objects?where=jobStatus<Ready", 422, "InvalidQuery",
        "not ordered"),
    Bad("where-bad-uuid", "GET", "/objects?where=containerId=abc", 422, "InvalidQuery",
        "uuid"),
    Bad("identifier-unreadable", "GET", "/objects?identifier=esrf.fr", 422, "InvalidQuery",
        "identifier"),
    Bad("extension-unreadable", "GET", "/objects?extension=esrf.fr:field", 422, "InvalidQuery",
        "extension"),
    Bad("depth-negative", "GET", "/objects/{pin}/provenance?depth=-1", 422, "InvalidQuery",
        "query/depth"),
    Bad("depth-huge", "GET", f"/objects/{{pin}}/provenance?depth={10**6}", 422, "InvalidQuery",
        "query/depth"),
    Bad("direction-sideways", "GET", "/objects/{pin}/provenance?direction=sideways", 422,
        "InvalidQuery", "query/direction"),
    Bad("export-depth-negative", "GET", "/objects/{pin}/export?depth=-1", 422, "InvalidQuery",
        "query/depth"),
    Bad("export-unknown", "GET", f"/objects/{UNKNOWN}/export", 404, "NotFound", GONE),
    Bad("links-unknown", "GET", f"/objects/{UNKNOWN}/links", 404, "NotFound", GONE),
    Bad("history-unknown", "GET", f"/objects/{UNKNOWN}/history", 404, "NotFound", GONE),
    Bad("results-of-unknown", "GET", f"/shipments/{UNKNOWN}/results", 404, "NotFound", GONE),
    # schemas
    Bad("unknown-schema", "GET", "/schemas/Banana", 404, "NotFound", "Banana"),
    Bad("schema-traversal-encoded", "GET", "/schemas/..%2Fpyproject.toml", 404, "NotFound",
        "no route"),
    Bad("schema-traversal-dots", "GET", "/schemas/../pyproject.toml", 404, "NotFound", "no route"),
    Bad("schema-traversal-deep", "GET", "/schemas/..%2F..%2Fetc%2Fpasswd", 404, "NotFound",
        "no route"),
    Bad("schema-dotfile", "GET", "/schemas/.json", 404, "NotFound", "no schema"),
    Bad("schema-not-a-file-name", "GET", "/schemas/pyproject.toml", 404, "NotFound", "no schema"),
]
# fmt: on


@pytest.fixture
async def stored_pin(client: httpx.AsyncClient) -> str:
    message = shipment_message(1)
    assert (await client.post("/messages", json=message)).status_code == 201
    uuid: str = message["Pin"]["Pin1"]["uuid"]
    return uuid


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_bad_input_is_a_named_4xx(
    client: httpx.AsyncClient, stored_pin: str, case: Bad
) -> None:
    response = await client.request(
        case.method,
        case.url.replace("{pin}", stored_pin),
        content=case.content,
        headers=case.headers,
    )
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == case.error
    said = [body["message"]] + [f"{p.get('path')} {p['message']}" for p in body["problems"]]
    assert any(case.mentions in text for text in said), body
    assert "Traceback" not in response.text


async def test_invalid_message_lists_every_problem(client: httpx.AsyncClient) -> None:
    message = {
        "version": "0.6.13",
        "Pin": {
            "Pin1": minimal("Pin", uuid="NOT-A-UUID", positionInPuck=0),
            "Pin2": minimal("Pin", containerRef={"$ref": "#/Puck/Puck1"}),
        },
    }
    response = await client.post("/messages", json=message)
    assert response.status_code == 422
    paths = {p["path"] for p in response.json()["problems"]}
    assert len(paths) >= 2
    assert all(path.startswith("Pin/") for path in paths)


async def test_conflict_under_policy_error(client: httpx.AsyncClient) -> None:
    message: dict[str, Any] = {
        "version": "0.6.13",
        "Dewar": {"Dewar1": minimal("Dewar", uuid=new_uuid())},
    }
    assert (await client.post("/messages", json=message)).status_code == 201
    message["Dewar"]["Dewar1"]["barcode"] = "DW-2"  # a different message with the same uuid
    response = await client.post("/messages", params={"policy": "error"}, json=message)
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "Conflict"
    assert body["problems"][0]["path"].startswith("Dewar/Dewar1")
