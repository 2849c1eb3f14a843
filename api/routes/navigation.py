"""``/objects/{uuid}/links|provenance|export``: what an object is linked to and comes from."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api import models
from api.deps import StoreDep
from api.errors import errors
from api.params import Depth, ObjectUuid
from mxlims_store.store.navigation import ExportDirection
from mxlims_store.store.walk import Direction

router = APIRouter(tags=["links"])


def attachment(message: dict[str, Any], filename: str) -> JSONResponse:
    """An MXLIMS file download. The name may hold user text (a proposal code): only safe
    ASCII reaches the header."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return JSONResponse(message, headers={"Content-Disposition": f'attachment; filename="{safe}"'})


def message_file(description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": models.MxlimsMessage, "description": description}}


@router.get(
    "/objects/{uuid}/links",
    operation_id="get_object_links",
    summary="Direct links of one object",
    response_model=models.Links,
    responses=errors(401, 404, 422),
)
async def get_object_links(uuid: ObjectUuid, store: StoreDep) -> models.Links:
    """Forward links (its foreign keys) and reverse links (who points at it), typed."""
    return models.Links.model_validate(await store.links(uuid))


@router.get(
    "/objects/{uuid}/provenance",
    operation_id="get_object_provenance",
    summary="Provenance walk",
    response_model=list[models.Step],
    responses=errors(401, 404, 422),
)
async def get_object_provenance(
    uuid: ObjectUuid,
    store: StoreDep,
    direction: Annotated[
        Direction, Query(description="up: what it comes from; down: what came of it")
    ] = "up",
    depth: Depth = None,
) -> list[models.Step]:
    """Every object reached from this one, with its depth and the link that reached it."""
    steps = await store.provenance(uuid, direction=direction, depth=depth)
    return [models.Step.model_validate(step) for step in steps]


@router.get(
    "/objects/{uuid}/export",
    operation_id="export_object",
    summary="Download as an MXLIMS message",
    response_class=JSONResponse,
    responses={**message_file("MXLIMS message"), **errors(401, 404, 422)},
)
async def export_object(
    uuid: ObjectUuid,
    store: StoreDep,
    site: Annotated[
        str | None, Query(description="facility domain whose overrides apply, e.g. esrf.fr")
    ] = None,
    direction: Annotated[ExportDirection, Query(description="neighbourhood to include")] = "both",
    depth: Depth = None,
) -> JSONResponse:
    """The object and its neighbourhood as one MXLIMS message in which every link resolves."""
    message = await store.export(uuid, direction=direction, depth=depth, site=site)
    return attachment(message, f"mxlims-{uuid}.json")
