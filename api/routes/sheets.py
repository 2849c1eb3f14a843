"""``/sheets/{site}`` (upload a facility sheet), ``/sheets/convert`` (one facility's sheet as
another's, storing nothing) and ``/shipments/{uuid}/sheet`` (download one)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from mxlims_store.answers import ImportReport, SheetLoss, SheetReport
from mxlims_store.api.deps import StoreDep
from mxlims_store.api.downloads import CACHED, Built, cached_download
from mxlims_store.api.errors import ApiError, errors
from mxlims_store.api.params import ObjectUuid, created_root, location
from mxlims_store.api.response_headers import DOWNLOAD, LOCATION, header
from mxlims_store.api.sheet_upload import SHEET_BODY, Upload
from mxlims_store.api.site_params import (
    FacilityPath,
    FacilityQuery,
    FacilityTargetQuery,
    SourceQuery,
    TargetQuery,
)
from mxlims_store.mappings import (
    SheetDefaults,
    SheetExport,
    checked,
    get_site,
    parse_column_defaults,
    read_sheet,
)
from mxlims_store.mappings.tabular import MEDIA_TYPES
from mxlims_store.store import Policy, Store

router = APIRouter(tags=["sheets"])

SheetFormat = Annotated[
    Literal["csv", "tsv", "xlsx"],
    Query(description="file format (XLSX cells cannot hold control characters: said so)"),
]
Encoding = Annotated[
    str | None,
    Query(description="text encoding of a CSV/TSV that is not UTF-8 (e.g. cp1252)"),
]


@dataclass
class ExportOptions:
    """What a target facility requires and nothing stored gives, and whether a draft will do."""

    proposal: Annotated[
        str | None, Query(description="proposal code (mx1234) where none is stored")
    ] = None
    puckType: Annotated[str | None, Query(description="puck type for pucks that have none")] = None
    default: Annotated[
        list[str] | None,
        Query(description="`COLUMN=VALUE`: fill that column where it is empty (repeatable)"),
    ] = None
    draft: Annotated[
        bool,
        Query(
            description="answer the sheet even if the facility would refuse it "
            "(the report says why)"
        ),
    ] = False

    def defaults(self) -> SheetDefaults:
        return SheetDefaults(
            proposal=self.proposal,
            puck_type=self.puckType,
            columns=parse_column_defaults(self.default or []),
        )


def _sheet_response(exported: SheetExport, site: str, stem: str) -> Response:
    """The file, with counts of what the report beside it holds."""
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers=_sheet_headers(exported, site, stem),
    )


def _sheet_headers(exported: SheetExport, site: str, stem: str) -> dict[str, str]:
    code = get_site(site).code  # canonical: the raw parameter never reaches a header
    return {
        "Content-Disposition": f'attachment; filename="{stem}-{code}.{exported.fmt}"',
        "X-MXLIMS-Losses": str(len(exported.losses)),
        "X-MXLIMS-Warnings": str(len(exported.warnings)),
        "X-MXLIMS-Defaults-Applied": str(len(exported.defaults_applied)),
        "X-MXLIMS-Problems": str(len(exported.problems)),
    }


BINARY = {"type": "string", "format": "binary"}
SHEET_FILE_TYPES = ("text/csv", "text/tab-separated-values", MEDIA_TYPES["xlsx"])
COUNT_HEADERS = {
    f"X-MXLIMS-{name}": header(
        f"how many {name.lower().replace('-', ' ')} the report lists", pattern="^[0-9]+$"
    )
    for name in ("Losses", "Warnings", "Defaults-Applied", "Problems")
}
SHEET_FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The sheet. X-MXLIMS-Losses, -Warnings, -Defaults-Applied and -Problems "
        "count what the JSON report beside it lists",
        "content": {kind: {"schema": BINARY} for kind in SHEET_FILE_TYPES},
        "headers": {**DOWNLOAD, **COUNT_HEADERS},
    }
}
CONVERTED_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The sheet (headers as for a sheet download) or, to `mxlims`, the "
        "MXLIMS message",
        "content": {
            **SHEET_FILE_RESPONSE[200]["content"],
            "application/json": {"schema": {"$ref": "#/components/schemas/MxlimsMessage"}},
        },
    }
}


@dataclass
class Conversion:
    """A sheet to convert: from which facility, to which, and how to read it."""

    upload: Upload
    source: SourceQuery
    target: TargetQuery
    options: Annotated[ExportOptions, Depends()]
    filename: Annotated[str | None, Query(description="original file name")] = None
    encoding: Encoding = None

    async def run(self, fmt: str) -> SheetExport | dict[str, Any]:
        """The target's sheet (checked with its own rules) or, to MXLIMS, the message."""
        if self.target.lower() == "mxlims":
            if self.options.draft or self.options.puckType or self.options.default:
                raise ApiError(
                    422,
                    "InvalidQuery",
                    "draft, puckType and default are for a facility's sheet (to=<code>)",
                )
            return await asyncio.to_thread(
                read_sheet,
                self.source,
                self.upload.data,
                filename=self.filename or self.upload.filename,
                proposal_code=self.options.proposal,
                encoding=self.encoding,
            )
        get_site(self.target)  # an unknown facility is a 404 naming the known ones, first
        return await asyncio.to_thread(
            checked.convert_sheet,
            self.source,
            self.target,
            self.upload.data,
            filename=self.filename or self.upload.filename,
            encoding=self.encoding,
            fmt=fmt,
            defaults=self.options.defaults(),
            draft=self.options.draft,
        )


@router.post(
    "/sheets/convert",
    operation_id="convert_sheet",
    summary="One facility's sheet as another's, without storing anything",
    response_class=Response,
    responses={**CONVERTED_RESPONSE, **errors(400, 401, 404, 415, 422)},
    openapi_extra=SHEET_BODY,
)
async def convert_sheet(
    _authenticated: StoreDep,
    conversion: Annotated[Conversion, Depends()],
    format: SheetFormat = "csv",
) -> Response:
    """The sheet converted through MXLIMS and checked with the target facility's own import
    rules: refused (422, every row and column) when the target would refuse it, unless a draft
    is asked for. ``to=mxlims`` answers the MXLIMS message. Nothing is stored (a key is asked
    for all the same: conversion is work done for someone). ``POST /sheets/convert/report``
    answers the losses, warnings and defaults applied instead of the file."""
    exported = await conversion.run(format)
    if isinstance(exported, dict):
        return JSONResponse(exported)
    return _sheet_response(exported, conversion.target, "converted")


@dataclass
class FacilityConversion(Conversion):
    """A conversion to a facility's sheet (a report has nothing to say of an MXLIMS one)."""

    target: FacilityTargetQuery


@router.post(
    "/sheets/convert/report",
    operation_id="convert_sheet_report",
    summary="What converting a sheet to another facility's loses, warns of and fills in",
    response_model=SheetReport,
    responses=errors(400, 401, 404, 415, 422),
    openapi_extra=SHEET_BODY,
)
async def convert_sheet_report(
    _authenticated: StoreDep,
    conversion: Annotated[FacilityConversion, Depends()],
    format: SheetFormat = "csv",
) -> SheetReport:
    """The report of ``POST /sheets/convert`` with the same parameters (no file)."""
    exported = await conversion.run(format)
    assert not isinstance(exported, dict)  # a facility's sheet, as checked above
    return SheetReport.of(get_site(conversion.target).code, exported)


@router.post(
    "/sheets/{site}",
    operation_id="import_sheet",
    summary="Import a facility shipment sheet",
    response_model=ImportReport,
    responses={
        201: {"model": ImportReport, "description": "A shipment was created", "headers": LOCATION},
        **errors(400, 401, 404, 409, 415, 422),
    },
    openapi_extra=SHEET_BODY,
)
async def import_sheet(
    site: FacilityPath,
    upload: Upload,
    store: StoreDep,
    request: Request,
    response: Response,
    proposal: Annotated[
        str | None, Query(description="proposal code, for sheets without one")
    ] = None,
    filename: Annotated[
        str | None, Query(description="original file name (.xlsx, .tsv ...)")
    ] = None,
    name: Annotated[
        str | None,
        Query(description="shipment name, for a sheet without one (else: its first dewar)"),
    ] = None,
    encoding: Encoding = None,
    policy: Annotated[
        Policy,
        Query(
            description="for objects already stored: a corrected sheet uploaded again updates "
            "its shipment (update_old); merge for a facility's return"
        ),
    ] = "update_old",
    dry_run: Annotated[bool, Query(description="check and report, write nothing")] = False,
) -> ImportReport:
    """Convert the sheet (every problem reported with row and column, nothing stored if any) and
    store it; 201 when a shipment was created, 200 for a dry run or a sheet already stored. The
    same shipment uploaded again (same facility, proposal, shipment name or first dewar) is
    updated in place; the report's warnings name pins it moves or no longer lists."""
    report = await store.import_sheet(
        site,
        upload.data,
        filename=filename or upload.filename,
        proposal=proposal,
        name=name,
        encoding=encoding,
        policy=policy,
        dry_run=dry_run,
    )
    response.status_code = 201 if report.created.get("Shipment") and not dry_run else 200
    if response.status_code == 201:
        response.headers["Location"] = location(request, f"/objects/{created_root(report)}")
    return report


@router.get(
    "/shipments/{uuid}/sheet",
    operation_id="export_sheet",
    summary="A stored shipment as a facility's sheet",
    response_class=Response,
    responses={**SHEET_FILE_RESPONSE, **CACHED, **errors(401, 404, 422)},
)
async def export_sheet(
    uuid: ObjectUuid,
    site: FacilityQuery,
    store: StoreDep,
    request: Request,
    options: Annotated[ExportOptions, Depends()],
    format: SheetFormat = "csv",
) -> Response:
    """The shipment in the facility's layout, checked with that facility's own import rules:
    what it requires and nothing stored gives comes from ``proposal``, ``puckType`` and
    ``default``; what is still missing is refused (422, every row and column) unless ``draft``.
    ``GET /shipments/{uuid}/sheet/report`` lists the losses, warnings and defaults applied."""

    async def build(reading: Store) -> Built:
        exported = await reading.export_sheet(
            site, uuid, fmt=format, defaults=options.defaults(), draft=options.draft
        )
        headers = _sheet_headers(exported, site, f"shipment-{uuid}")
        return Built(exported.content, exported.media_type, headers)

    return await cached_download(request, store, build)


@router.get(
    "/shipments/{uuid}/sheet/report",
    operation_id="get_sheet_report",
    summary="What a facility's sheet of a shipment loses, warns of and fills in",
    response_model=SheetReport,
    responses=errors(401, 404, 422),
)
async def get_sheet_report(
    uuid: ObjectUuid,
    site: FacilityQuery,
    store: StoreDep,
    options: Annotated[ExportOptions, Depends()],
    format: SheetFormat = "csv",
) -> SheetReport:
    """The report of ``GET /shipments/{uuid}/sheet`` with the same parameters (no file)."""
    exported = await store.export_sheet(
        site, uuid, fmt=format, defaults=options.defaults(), draft=options.draft
    )
    return SheetReport.of(get_site(site).code, exported)


@router.get(
    "/shipments/{uuid}/sheet/losses",
    operation_id="get_sheet_losses",
    summary="What a facility's sheet cannot hold of a shipment",
    response_model=list[SheetLoss],
    responses=errors(401, 404, 422),
)
async def get_sheet_losses(
    uuid: ObjectUuid,
    site: FacilityQuery,
    store: StoreDep,
    options: Annotated[ExportOptions, Depends()],
) -> list[SheetLoss]:
    """Every stored value that the facility's sheet has no column for (nothing silently dropped);
    ``.../sheet/report`` has these with the warnings and defaults applied."""
    exported = await store.export_sheet(
        site, uuid, defaults=options.defaults(), draft=options.draft
    )
    return SheetReport.of(site, exported).losses
