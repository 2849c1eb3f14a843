"""The OpenAPI document: FastAPI's, completed with what a route declaration cannot say.

- schemas that request bodies name by reference (``SheetFile``, ``MergePatch``), so that every
  media type of a body names one schema (a client generator makes one model of it);
- ``If-Match`` of a change declared required (the route answers its absence itself, with 428
  rather than a validation error) and header parameters as plain strings (a header is never
  ``null``);
- the links of :mod:`mxlims_store.api.links`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from mxlims_store.api.links import add_links
from mxlims_store.api.routes.objects import MERGE_PATCH, MERGE_PATCH_SCHEMA
from mxlims_store.api.sheet_upload import SHEET_FILE, SHEET_FILE_SCHEMA

REQUIRED_HEADERS = {("update_object", "If-Match")}


def complete(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[SHEET_FILE] = SHEET_FILE_SCHEMA
    schemas[MERGE_PATCH] = MERGE_PATCH_SCHEMA
    for path in document["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header":
                    _plain_header(operation["operationId"], parameter)
    add_links(document)
    return document


def _plain_header(operation_id: str, parameter: dict[str, Any]) -> None:
    schema = parameter["schema"]
    if "anyOf" in schema:  # `str | None` in Python: absent, never null, on the wire
        strings = [s for s in schema.pop("anyOf") if s.get("type") != "null"]
        schema.update(strings[0])
    if (operation_id, parameter["name"]) in REQUIRED_HEADERS:
        parameter["required"] = True


def install(app: FastAPI) -> None:
    """Serve the completed document (built once, on first request, as FastAPI does)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
