"""``/messages``: import an MXLIMS message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from mxlims_store.answers import ImportReport
from mxlims_store.api.body import MessageBody
from mxlims_store.api.deps import StoreDep
from mxlims_store.api.errors import errors
from mxlims_store.api.examples import SHIPMENT_MESSAGE
from mxlims_store.api.params import UUID_PATTERN, created_root, location
from mxlims_store.api.response_headers import LOCATION
from mxlims_store.messages import SUPPORTED_VERSIONS
from mxlims_store.model.registry import ALL_TYPES
from mxlims_store.store import Policy

router = APIRouter(tags=["messages"])


def _section(type_name: str) -> dict[str, Any]:
    """The objects of one type by local key: each (at least) its type and, when given, its uuid;
    whatever else the standard asks of it the import checks, naming every problem's path."""
    return {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {
            "type": "object",
            "properties": {
                "mxlimsType": {"const": type_name},
                "uuid": {"type": "string", "pattern": UUID_PATTERN},
            },
        },
    }


MESSAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An MXLIMS message (ShipmentMessage, results, any MxlimsMessage): its "
        "`version` and one section per object type",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["version"],
                    "properties": {
                        "version": {"type": "string", "enum": list(SUPPORTED_VERSIONS)},
                        **{name: _section(name) for name in sorted(ALL_TYPES)},
                    },
                    "additionalProperties": False,
                },
                "examples": {"shipment": {"summary": "a shipment", "value": SHIPMENT_MESSAGE}},
            }
        },
    }
}


@router.post(
    "/messages",
    operation_id="import_message",
    summary="Import an MXLIMS message",
    response_model=ImportReport,
    responses={
        201: {"model": ImportReport, "description": "Objects were created", "headers": LOCATION},
        **errors(400, 401, 409, 413, 415, 422),
    },
    openapi_extra=MESSAGE_BODY,
)
async def import_message(
    message: MessageBody,
    store: StoreDep,
    request: Request,
    response: Response,
    policy: Annotated[
        Policy, Query(description="what to do with uuids already stored")
    ] = "reject_new",
    dry_run: Annotated[bool, Query(description="check and report, write nothing")] = False,
    proposal: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="the proposal new objects belong to, and whose open shipments a "
            "`merge` or `update_old` import matches objects of unknown uuid against (by "
            "barcode, name or place); default: the message's shipment's proposalCode",
        ),
    ] = None,
) -> ImportReport:
    """Check the whole message (every problem reported with its path), then store it; 201 when
    anything was created, 200 otherwise (dry run, or everything already stored)."""
    report = await store.import_message(message, policy=policy, dry_run=dry_run, proposal=proposal)
    response.status_code = 201 if report.created and not dry_run else 200
    if response.status_code == 201:
        response.headers["Location"] = location(request, f"/objects/{created_root(report)}")
    return report
