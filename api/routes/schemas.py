"""``/schemas``: the JSON schemas of the store-form object types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from mxlims_store.api import models
from mxlims_store.api.errors import errors
from mxlims_store.api.schema_files import read_schema, schema_names

router = APIRouter(tags=["schemas"])
NAMES = schema_names()


@router.get(
    "/schemas",
    operation_id="list_schemas",
    summary="List JSON schemas",
    response_model=list[models.SchemaRef],
)
async def list_schemas(request: Request) -> list[models.SchemaRef]:
    return [
        models.SchemaRef(name=name, url=str(request.url_for("get_schema", name=name)))
        for name in schema_names()
    ]


@router.get(
    "/schemas/{name}",
    operation_id="get_schema",
    name="get_schema",
    summary="One JSON schema",
    response_model=dict[str, Any],
    responses=errors(404, 422),
)
async def get_schema(
    name: Annotated[
        str,
        Path(
            description="a type, with or without `.json`",
            json_schema_extra={"enum": [*NAMES, *(f"{n}.json" for n in NAMES)]},
        ),
    ],
) -> dict[str, Any]:
    """The JSON schema of one type (`Pin` or `Pin.json`)."""
    return read_schema(name)
