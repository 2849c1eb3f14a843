"""``/shipments/{uuid}/results``: a shipment with its experiments and results, as one file."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mxlims_store.api.deps import StoreDep
from mxlims_store.api.errors import errors
from mxlims_store.api.message_files import MessageFile
from mxlims_store.api.params import ObjectUuid
from mxlims_store.api.routes.navigation import message_download, message_file

router = APIRouter(tags=["shipments"])


@router.get(
    "/shipments/{uuid}/results",
    operation_id="get_shipment_results",
    summary="Shipment results file",
    response_class=JSONResponse,
    responses={
        **message_file("MXLIMS message: shipment, contents, experiments, results"),
        **errors(401, 404, 422),
    },
)
async def get_shipment_results(uuid: ObjectUuid, store: StoreDep, request: Request) -> Response:
    """One MXLIMS file with the shipment, everything in it, its experiments and all results.
    Built once per change of the store and kept (`ETag`; `If-None-Match` answers 304)."""

    made = MessageFile("shipment_results", (uuid,), f"shipment-{uuid}-results.json")
    return await message_download(request, store, made)
