"""The OpenAPI document: it builds, operation ids are stable, every route declares its errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from mxlims_store.api.params import ETAG_OR_ANY_PATTERN, ETAG_PATTERN

ERROR_BODY = "#/components/schemas/ErrorBody"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    errors: frozenset[int]  # the 4xx it must declare (each with ErrorBody)


def op(operation_id: str, method: str, path: str, *codes: int) -> Operation:
    served = path if path == "/health" else f"/api/v1{path}"  # /health stays at the root
    return Operation(operation_id, method, served, frozenset(codes) | {413})  # 413: body limit


BY_UUID = (401, 404, 422)
OPERATIONS = [
    op("import_message", "post", "/messages", 400, 401, 409, 415, 422),
    op("find_objects", "get", "/objects", 401, 422),
    op("get_object", "get", "/objects/{uuid}", *BY_UUID),
    op("update_object", "patch", "/objects/{uuid}", *BY_UUID, 400, 412, 415, 428),
    op("delete_object", "delete", "/objects/{uuid}", *BY_UUID, 403, 409, 412),
    op("get_object_links", "get", "/objects/{uuid}/links", *BY_UUID),
    op("get_object_provenance", "get", "/objects/{uuid}/provenance", *BY_UUID),
    op("export_object", "get", "/objects/{uuid}/export", *BY_UUID),
    op("get_object_history", "get", "/objects/{uuid}/history", *BY_UUID),
    op("get_shipment_results", "get", "/shipments/{uuid}/results", *BY_UUID),
    op("import_sheet", "post", "/sheets/{site}", 400, 401, 404, 409, 415, 422),
    op("export_sheet", "get", "/shipments/{uuid}/sheet", *BY_UUID),
    op("get_sheet_losses", "get", "/shipments/{uuid}/sheet/losses", *BY_UUID),
    op("get_sheet_report", "get", "/shipments/{uuid}/sheet/report", *BY_UUID),
    op("convert_sheet", "post", "/sheets/convert", 400, 401, 404, 415, 422),
    op("convert_sheet_report", "post", "/sheets/convert/report", 400, 401, 404, 415, 422),
    op("get_facility", "get", "/facility"),
    op("list_schemas", "get", "/schemas"),
    op("get_schema", "get", "/schemas/{name}", 404, 422),
    op("get_health", "get", "/health"),
    op("get_stats", "get", "/stats", 401),
    op("create_key", "post", "/keys", 400, 401, 403, 422),
    op("list_keys", "get", "/keys", 401, 403),
    op("revoke_key", "delete", "/keys/{key_id}", 401, 403, 404),
    op("record_event", "post", "/objects/{uuid}/events", 400, 401, 403, 404, 409, 422),
    op("get_events", "get", "/objects/{uuid}/events", *BY_UUID),
    op("get_by_barcode", "get", "/barcodes/{barcode}", *BY_UUID, 409),
    op(
        "record_event_by_barcode",
        "post",
        "/barcodes/{barcode}/events",
        400,
        401,
        403,
        404,
        409,
        422,
    ),
    op("get_shipment_status", "get", "/shipments/{uuid}/status", *BY_UUID),
    op("list_proposal_shipments", "get", "/proposals/{code}/shipments", 401, 404, 422),
    op("get_proposal_results", "get", "/proposals/{code}/results", *BY_UUID),
    op("list_proposal_samples", "get", "/proposals/{code}/samples", 401, 404, 422),
    op("get_me", "get", "/me", 401),
    op("ispyb_push", "post", "/ispyb/push", 401, 403, 404, 409, 422),
    op("ispyb_shipping", "get", "/ispyb/shippings/{shipping_id}", 401, 403, 404, 422),
]
OPEN = {"get_facility", "list_schemas", "get_schema", "get_health"}  # no key needed


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from mxlims_store.api.main import create_app
    from tests.api.conftest import make_settings

    app: FastAPI = create_app(make_settings(tmp_path_factory.mktemp("openapi")))
    openapi: dict[str, Any] = app.openapi()  # as served: links and all
    return openapi


def test_operation_ids_are_exactly_the_stable_ones(document: dict[str, Any]) -> None:
    found = {
        (o["operationId"], method, path)
        for path, ops in document["paths"].items()
        for method, o in ops.items()
    }
    assert found == {(o.operation_id, o.method, o.path) for o in OPERATIONS}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.operation_id)
def test_every_route_declares_its_errors_with_error_body(
    document: dict[str, Any], operation: Operation
) -> None:
    responses = document["paths"][operation.path][operation.method]["responses"]
    declared = {int(code) for code in responses if code.startswith(("4", "5"))}
    assert operation.errors <= declared
    assert 500 in declared
    for code in declared:
        schema = responses[str(code)]["content"]["application/json"]["schema"]
        assert schema == {"$ref": ERROR_BODY}, (code, schema)
        assert responses[str(code)]["description"]


def test_error_body_names_the_problem(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["ErrorBody"]["required"]) == {"error", "message"}
    assert "problems" in schemas["ErrorBody"]["properties"]
    assert "HTTPValidationError" not in schemas  # FastAPI's default 422 body is never used


def test_bodies_are_documented_as_json(document: dict[str, Any]) -> None:
    for path, method in (("/api/v1/messages", "post"), ("/api/v1/objects/{uuid}", "patch")):
        body = document["paths"][path][method]["requestBody"]
        assert body["required"] is True
        assert "application/json" in body["content"]


def test_if_match_is_a_documented_header(document: dict[str, Any]) -> None:
    """Required for a change (its absence is a 428), optional for a delete (which may say
    `*`), and in the form the API reads."""
    by_uuid = document["paths"]["/api/v1/objects/{uuid}"]
    patch, delete = (
        next(p for p in by_uuid[method]["parameters"] if p["in"] == "header")
        for method in ("patch", "delete")
    )
    assert patch["name"] == delete["name"] == "If-Match"
    assert patch["required"] is True and delete["required"] is False
    assert patch["schema"] == {"type": "string", "pattern": ETAG_PATTERN, **DESCRIBED(patch)}
    assert delete["schema"]["pattern"] == ETAG_OR_ANY_PATTERN


def DESCRIBED(parameter: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parameter["schema"].items() if k in ("description", "title")}


def test_every_body_media_type_names_one_schema(document: dict[str, Any]) -> None:
    """A client generator makes one model per schema: a body's media types share theirs."""
    patch = document["paths"]["/api/v1/objects/{uuid}"]["patch"]["requestBody"]["content"]
    assert set(patch) == {"application/json", "application/merge-patch+json"}
    assert {json.dumps(media["schema"]) for media in patch.values()} == {
        json.dumps({"$ref": "#/components/schemas/MergePatch"})
    }


@pytest.mark.parametrize(
    "path", ["/api/v1/sheets/{site}", "/api/v1/sheets/convert", "/api/v1/sheets/convert/report"]
)
def test_a_sheet_is_uploaded_as_a_form_or_raw(document: dict[str, Any], path: str) -> None:
    content = document["paths"][path]["post"]["requestBody"]["content"]
    assert set(content) == {"multipart/form-data", "application/octet-stream"}
    form = document["components"]["schemas"]["SheetFile"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"


def test_answers_are_camel_case(document: dict[str, Any]) -> None:
    for name, schema in document["components"]["schemas"].items():
        snake = [p for p in schema.get("properties", {}) if "_" in p.strip("_")]
        assert not snake, (name, snake)


def test_every_link_names_an_operation_and_its_parameters(document: dict[str, Any]) -> None:
    operations = {
        op["operationId"]: op for ops in document["paths"].values() for op in ops.values()
    }
    targets = set()
    for source in operations.values():
        for response in source["responses"].values():
            for link in response.get("links", {}).values():
                target = operations[link["operationId"]]
                names = {p["name"] for p in target.get("parameters", [])}
                for parameter in link["parameters"]:
                    assert parameter.split(".", 1)[-1] in names, (link, parameter)
                targets.add(link["operationId"])
    with_parameters = {
        o
        for o, op in operations.items()
        if any(p["in"] == "path" for p in op.get("parameters", []))
    }
    # every {param} but a facility's name (its pattern lists them) comes from some response
    assert with_parameters - targets == {"import_sheet"}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.operation_id)
def test_security_and_403_are_declared_exactly_where_they_apply(
    document: dict[str, Any], operation: Operation
) -> None:
    declared = document["paths"][operation.path][operation.method]
    codes = {int(code) for code in declared["responses"] if code.startswith("4")}
    if operation.operation_id in OPEN:
        assert "security" not in declared and 401 not in codes
    else:
        schemes = {name for option in declared["security"] for name in option}
        assert schemes == {"HTTPBearer", "APIKeyHeader"} and 401 in codes
    may_forbid = {
        "delete_object",
        "create_key",
        "list_keys",
        "revoke_key",
        "record_event",
        "record_event_by_barcode",
        "ispyb_push",  # staff only
        "ispyb_shipping",
    }
    assert (403 in codes) == (operation.operation_id in may_forbid)
