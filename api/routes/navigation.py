"""``/objects/{uuid}/links|provenance|export``: what an object is linked to and comes from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from mxlims_store.answers import Links, Step
from mxlims_store.api import message_files, models
from mxlims_store.api.deps import StoreDep
from mxlims_store.api.downloads import CACHE_HEADERS, CACHED, cached_download
from mxlims_store.api.errors import errors
from mxlims_store.api.message_files import MessageFile, truncation_headers
from mxlims_store.api.params import Depth, ObjectUuid
from mxlims_store.api.response_headers import DOWNLOAD
from mxlims_store.api.site_params import SiteOrDomainQuery
from mxlims_store.store import Store
from mxlims_store.store.navigation import ExportDirection
from mxlims_store.store.walk import Direction

router = APIRouter(tags=["links"])

LEFT_OUT_SHOWN = message_files.LEFT_OUT_SHOWN
TRUNCATION_HEADERS = {
    "X-MXLIMS-Truncated": {
        "description": "only when the walk stopped at the depth limit: what it did not follow",
        "schema": {"type": "string"},
    },
    "X-MXLIMS-Left-Out": {
        "description": f"with X-MXLIMS-Truncated: the first {LEFT_OUT_SHOWN} objects left out, "
        "comma-separated uuids to walk on from",
        "schema": {"type": "string"},
    },
}


async def message_download(request: Request, store: Store, made: MessageFile) -> Response:
    """The MXLIMS file ``made`` says, from the store's cache while nothing it read changed
    (built in a reading process when the server sends builds there: api/message_files.py)."""
    return await cached_download(request, store, made)


def message_file(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "model": models.MxlimsMessage,
            "description": description,
            "headers": {**DOWNLOAD, **TRUNCATION_HEADERS, **CACHE_HEADERS},
        },
        **CACHED,
    }


@router.get(
    "/objects/{uuid}/links",
    operation_id="get_object_links",
    summary="Direct links of one object",
    response_model=Links,
    responses=errors(401, 404, 422),
)
async def get_object_links(uuid: ObjectUuid, store: StoreDep) -> Links:
    """Forward links (its foreign keys) and reverse links (who points at it), typed and
    labelled (`Puck HOLD-PK-001-01 (position 2)`)."""
    return await store.links(uuid)


@router.get(
    "/objects/{uuid}/provenance",
    operation_id="get_object_provenance",
    summary="Provenance walk",
    response_model=list[Step],
    responses={
        200: {"description": "the steps, root first", "headers": TRUNCATION_HEADERS},
        **errors(401, 404, 422),
    },
)
async def get_object_provenance(
    uuid: ObjectUuid,
    store: StoreDep,
    request: Request,
    response: Response,
    direction: Annotated[
        Direction, Query(description="up: what it comes from; down: what came of it")
    ] = "up",
    depth: Depth = None,
) -> list[Step]:
    """Every object reached from this one, with its depth and the link that reached it. A
    walk stops after 64 levels; then the steps where it stopped list the links not followed
    (`cut`) and `X-MXLIMS-Truncated` says so."""
    async with request.app.state.build_gate.slot():  # a tree of thousands: one of the slots
        steps = await store.provenance(uuid, direction=direction, depth=depth)
    response.headers.update(truncation_headers(steps.cut))
    return list(steps)


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
    request: Request,
    site: SiteOrDomainQuery = None,
    direction: Annotated[ExportDirection, Query(description="neighbourhood to include")] = "both",
    depth: Depth = None,
) -> Response:
    """The object and its neighbourhood as one MXLIMS message in which every link resolves.
    A walk stops after 64 levels; then the links it did not follow are left out of the message
    (so that it imports anywhere) and `X-MXLIMS-Truncated` / `X-MXLIMS-Left-Out` say so."""

    options = (("direction", direction), ("depth", depth), ("site", site))
    made = MessageFile("export", (uuid,), f"mxlims-{uuid}.json", options=options)
    return await message_download(request, store, made)
