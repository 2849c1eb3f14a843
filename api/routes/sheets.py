"""``/sheets/{site}`` (upload a facility sheet) and ``/shipments/{uuid}/sheet`` (download one)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api import models
from api.deps import StoreDep
from api.errors import ApiError, errors
from api.params import ObjectUuid
from mxlims_store.mappings import get_site

router = APIRouter(tags=["sheets"])

SHEET_TYPES = (
    "text/csv",
    "text/tab-separated-values",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
)
SHEET_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The filled-in sheet: CSV or TSV (UTF-8, any delimiter) or XLSX",
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}} for kind in SHEET_TYPES
        },
    }
}
Site = Annotated[str, Query(description="facility code: dls, esrf, maxiv, petraiii, sls, soleil")]


async def sheet_bytes(request: Request) -> bytes:
    """The raw upload; 415 unless it is declared a spreadsheet, 400 when empty."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in SHEET_TYPES:
        raise ApiError(
            415, "UnsupportedMediaType", f"send the sheet as one of {', '.join(SHEET_TYPES)}"
        )
    data = await request.body()
    if not data:
        raise ApiError(400, "EmptyBody", "the request body is empty; expected a sheet")
    return data


@router.post(
    "/sheets/{site}",
    operation_id="import_sheet",
    summary="Import a facility shipment sheet",
    response_model=models.ImportReport,
    responses={
        201: {"model": models.ImportReport, "description": "A shipment was created"},
        **errors(400, 401, 404, 409, 415, 422),
    },
    openapi_extra=SHEET_BODY,
)
async def import_sheet(
    site: str,
    data: Annotated[bytes, Depends(sheet_bytes)],
    store: StoreDep,
    response: Response,
    proposal: Annotated[
        str | None, Query(description="proposal code, for sheets without one")
    ] = None,
    filename: Annotated[
        str | None, Query(description="original file name (.xlsx, .tsv ...)")
    ] = None,
    dry_run: Annotated[bool, Query(description="check and report, write nothing")] = False,
) -> models.ImportReport:
    """Convert the sheet (every problem reported with row and column, nothing stored if any) and
    store it as a new shipment; 201 when created, 200 for a dry run or a sheet already stored."""
    report = await store.import_sheet(
        site, data, filename=filename, proposal=proposal, dry_run=dry_run
    )
    response.status_code = 201 if report.created and not dry_run else 200
    return models.ImportReport(**report.to_dict())


@router.get(
    "/shipments/{uuid}/sheet",
    operation_id="export_sheet",
    summary="A stored shipment as a facility's sheet",
    response_class=Response,
    responses={
        200: {
            "description": "The sheet; X-MXLIMS-Losses counts values it cannot hold",
            "content": {kind: {} for kind in SHEET_TYPES[:2] + SHEET_TYPES[3:4]},
        },
        **errors(401, 404, 422),
    },
)
async def export_sheet(
    uuid: ObjectUuid,
    site: Site,
    store: StoreDep,
    format: Annotated[Literal["csv", "tsv", "xlsx"], Query(description="file format")] = "csv",
) -> Response:
    """The shipment in the facility's layout. Values the sheet cannot hold are counted in the
    ``X-MXLIMS-Losses`` header and listed by ``GET /shipments/{uuid}/sheet/losses``."""
    exported = await store.export_sheet(site, uuid, fmt=format)
    code = get_site(site).code  # canonical: the raw parameter never reaches a header
    headers = {
        "Content-Disposition": f'attachment; filename="shipment-{uuid}-{code}.{format}"',
        "X-MXLIMS-Losses": str(len(exported.losses)),
    }
    return Response(exported.content, media_type=exported.media_type, headers=headers)


@router.get(
    "/shipments/{uuid}/sheet/losses",
    operation_id="get_sheet_losses",
    summary="What a facility's sheet cannot hold of a shipment",
    response_model=list[models.SheetLoss],
    responses=errors(401, 404, 422),
)
async def get_sheet_losses(uuid: ObjectUuid, site: Site, store: StoreDep) -> list[models.SheetLoss]:
    """Every stored value that the facility's sheet has no column for (nothing silently dropped)."""
    exported = await store.export_sheet(site, uuid)
    return [models.SheetLoss.from_loss(loss) for loss in exported.losses]
