"""Logistics and status: events by uuid or barcode, where things are, what came out of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mxlims_store.answers import (
    BeamlineSample,
    Event,
    EventState,
    MxlimsObject,
    ShipmentSummary,
    Status,
    Whereabouts,
)
from mxlims_store.api.deps import StoreDep
from mxlims_store.api.errors import errors
from mxlims_store.api.message_files import MessageFile
from mxlims_store.api.params import ObjectUuid, location
from mxlims_store.api.response_headers import ETAG, LOCATION
from mxlims_store.api.routes.navigation import message_download, message_file
from mxlims_store.api.routes.objects import answer
from mxlims_store.store import Store

router = APIRouter(tags=["logistics"])

# Declared one line (no C0, DEL or C1 character), as the store checks it and says why
# (store/logistics.py, problem path "ref"): declared only, so that a schema-valid barcode is one
# the API reads, and the store's answer is the one a client gets.
Barcode = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="a scanned barcode (one line: no control characters)",
        json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f-\x9f]+$"},
    ),
]
Proposal = Annotated[str, Path(min_length=1, max_length=64, description="a proposal code")]


class NewEvent(BaseModel):
    """What happened to a shipment, dewar or container; the time and actor are the server's."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "state": "received",
                    "location": "stores, bay 3",
                    "facility": "ESRF",
                    "trackingNumber": "1Z999AA10123456784",
                    "note": "lid dented, contents fine",
                }
            ]
        },
    }

    state: EventState
    location: str | None = Field(default=None, max_length=500)
    facility: str | None = Field(default=None, max_length=100)
    beamline: str | None = Field(default=None, max_length=100)
    storagePosition: str | None = Field(default=None, max_length=100)
    trackingNumber: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=2000)
    sampleChangerPosition: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="with at_beamline: the puck's position in the sample changer",
    )


EVENT_ROUTE: dict[str, Any] = {
    "status_code": 201,
    "response_model": Event,
    "responses": {201: {"headers": LOCATION}, **errors(400, 401, 403, 404, 409, 422)},
}


async def _recorded(
    ref: str, event: NewEvent, store: Store, request: Request, response: Response
) -> Event:
    details = event.model_dump(exclude={"state"}, exclude_none=True)
    recorded = await store.record_event(ref, event.state, **details)
    response.headers["Location"] = location(request, f"/objects/{recorded.subject}/events")
    return recorded


@router.post(
    "/objects/{uuid}/events",
    operation_id="record_event",
    summary="Record a logistics event",
    **EVENT_ROUTE,
)
async def record_event(
    uuid: ObjectUuid, event: NewEvent, store: StoreDep, request: Request, response: Response
) -> Event:
    """A new state (and place) of a shipment, dewar or container; a move the journey does not
    allow (say `returned` -> `shipped` without a new `prepared`) is refused with 409."""
    return await _recorded(uuid, event, store, request, response)


@router.get(
    "/objects/{uuid}/events",
    operation_id="get_events",
    summary="Where it is, and every event",
    response_model=Whereabouts,
    responses=errors(401, 404, 422),
)
async def get_events(uuid: ObjectUuid, store: StoreDep) -> Whereabouts:
    return await store.where(uuid)


@router.get(
    "/barcodes/{barcode}",
    operation_id="get_by_barcode",
    summary="The object with this barcode",
    response_model=MxlimsObject,
    responses={200: {"headers": ETAG}, **errors(401, 404, 409, 422)},
)
async def get_by_barcode(barcode: Barcode, store: StoreDep, response: Response) -> MxlimsObject:
    """The object with this barcode (of several, the newest: a dewar reused for a new shipment);
    409 when the barcode is on objects of several proposals (scan by uuid instead)."""
    return answer(await store.by_barcode(barcode), response)


@router.post(
    "/barcodes/{barcode}/events",
    operation_id="record_event_by_barcode",
    summary="Record a logistics event by barcode scan",
    **EVENT_ROUTE,
)
async def record_event_by_barcode(
    barcode: Barcode, event: NewEvent, store: StoreDep, request: Request, response: Response
) -> Event:
    """As `POST /objects/{uuid}/events`, for the object a scanned barcode names (refused when
    the barcode is on objects of several proposals)."""
    return await _recorded(barcode, event, store, request, response)


@router.get(
    "/shipments/{uuid}/status",
    operation_id="get_shipment_status",
    summary="Sample status of a shipment (or dewar, puck, plate)",
    response_model=Status,
    responses=errors(401, 404, 422),
)
async def get_shipment_status(uuid: ObjectUuid, store: StoreDep) -> Status:
    """Counts per status (planned, collected, processed, failed) and one line per pin, drop or
    multipin position with its best result: one request answers "which pins of dewar D were
    measured, and with what result"."""
    return await store.status(uuid)


@router.get(
    "/proposals/{code}/shipments",
    operation_id="list_proposal_shipments",
    summary="A proposal's shipments with their state",
    response_model=list[ShipmentSummary],
    responses=errors(401, 404, 422),
)
async def list_proposal_shipments(code: Proposal, store: StoreDep) -> list[ShipmentSummary]:
    return await store.proposal_shipments(code)


@router.get(
    "/proposals/{code}/results",
    operation_id="get_proposal_results",
    summary="A proposal's results file",
    response_class=JSONResponse,
    responses={
        **message_file("MXLIMS message: every shipment and result"),
        **errors(401, 404, 422),
    },
)
async def get_proposal_results(code: Proposal, store: StoreDep, request: Request) -> Response:
    """One MXLIMS file with every shipment of the proposal, their experiments and results."""

    made = MessageFile("proposal_results", (code,), f"proposal-{code}-results.json")
    return await message_download(request, store, made)


@router.get(
    "/proposals/{code}/samples",
    operation_id="list_proposal_samples",
    summary="A proposal's samples as MXCuBE lists them",
    response_model=list[BeamlineSample],
    responses=errors(401, 404, 422),
)
async def list_proposal_samples(
    code: Proposal,
    store: StoreDep,
    beamline: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="only pucks at this beamline"),
    ] = None,
    loaded: Annotated[
        bool | None,
        Query(description="only pucks whose latest event is at_beamline (at the key's beamline)"),
    ] = None,
) -> list[BeamlineSample]:
    """One entry per pin or multipin position in the shape of MXCuBE's `get_samples`
    (`sampleId`, `crystalId` and `diffractionPlanId` are the store's stable numbers), each with
    the uuids behind it. `loaded=true` keeps pucks whose latest event is `at_beamline` (at
    `beamline`, else at the key's own beamline when it has one); `beamline` alone means that."""
    return await store.samples(code, beamline=beamline, loaded=loaded)
