"""``/objects/{uuid}/links|provenance|export``: what an object is linked to and comes from."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from mxlims_store.answers import Links, Step
from mxlims_store.api import models
from mxlims_store.api.deps import StoreDep
from mxlims_store.api.downloads import CACHE_HEADERS, CACHED, Built, cached_download, json_built
from mxlims_store.api.errors import errors
from mxlims_store.api.params import Depth, ObjectUuid
from mxlims_store.api.response_headers import DOWNLOAD
from mxlims_store.api.site_params import SiteOrDomainQuery
from mxlims_store.store import Store
from mxlims_store.store.navigation import ExportDirection, ExportedMessage
from mxlims_store.store.walk import Cut, Direction, cut_summary

router = APIRouter(tags=["links"])

LEFT_OUT_SHOWN = 20  # uuids in X-MXLIMS-Left-Out: a header stays small; the body has them all
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


def truncation_headers(cut: Sequence[Cut]) -> dict[str, str]:
    """Headers saying that a walk stopped at the depth limit (none when nothing was cut)."""
    if not cut:
        return {}
    left_out = list(dict.fromkeys(c.target for c in cut))
    return {
        "X-MXLIMS-Truncated": cut_summary(cut),
        "X-MXLIMS-Left-Out": ", ".join(left_out[:LEFT_OUT_SHOWN]),
    }


def attachment_headers(message: dict[str, Any], filename: str) -> dict[str, str]:
    """The headers of an MXLIMS file download. The name may hold user text (a proposal code):
    only safe ASCII reaches the header. An export cut at the depth limit says so in its headers
    (the message itself must stay MXLIMS)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    headers = {"Content-Disposition": f'attachment; filename="{safe}"'}
    if isinstance(message, ExportedMessage):
        headers.update(truncation_headers(message.cut))
    return headers


async def message_download(
    request: Request,
    store: Store,
    make: Callable[[Store], Awaitable[dict[str, Any]]],
    filename: str,
    *,
    indent: bool = False,
) -> Response:
    """An MXLIMS file built by ``make`` (reading through the store it is given), from the
    store's cache while nothing it read changed."""

    async def build(reading: Store) -> Built:
        message = await make(reading)
        return await json_built(message, attachment_headers(message, filename), indent=indent)

    return await cached_download(request, store, build)


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

    async def make(reading: Store) -> dict[str, Any]:
        return await reading.export(uuid, direction=direction, depth=depth, site=site)

    return await message_download(request, store, make, f"mxlims-{uuid}.json")
