"""``/messages``: import an MXLIMS message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.body import MessageBody
from api.deps import StoreDep
from api.errors import errors
from api.params import created_root, location
from mxlims_store.answers import ImportReport
from mxlims_store.messages import SUPPORTED_VERSIONS
from mxlims_store.store import Policy

router = APIRouter(tags=["messages"])


MESSAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An MXLIMS message (ShipmentMessage, results, any MxlimsMessage)",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["version"],
                    "properties": {"version": {"type": "string", "enum": list(SUPPORTED_VERSIONS)}},
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": {"type": "object"},
                    },
                }
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
        201: {"model": ImportReport, "description": "Objects were created"},
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
) -> ImportReport:
    """Check the whole message (every problem reported with its path), then store it; 201 when
    anything was created, 200 otherwise (dry run, or everything already stored)."""
    report = await store.import_message(message, policy=policy, dry_run=dry_run)
    response.status_code = 201 if report.created and not dry_run else 200
    if response.status_code == 201:
        response.headers["Location"] = location(request, f"/objects/{created_root(report)}")
    return report
