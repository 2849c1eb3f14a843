"""``/ispyb``: the facility's own LIMS (ISPyB), for its staff. The database URL comes from the
server's settings (``MXLIMS_ISPYB_URL``) only, never from a request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from mxlims_store.answers.ispyb import IspybPushReport, IspybShipping
from mxlims_store.api.deps import SettingsDep, StoreDep
from mxlims_store.api.errors import errors
from mxlims_store.config import Settings
from mxlims_store.errors import NotFound, PermissionDenied
from mxlims_store.ispyb.bridge import pull, push
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.store import Store

router = APIRouter(tags=["ispyb"])

UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


class PushRequest(BaseModel):
    """A stored shipment to push into the facility's ISPyB."""

    model_config = ConfigDict(extra="forbid")

    shipment: str = Field(pattern=UUID, description="the stored shipment's uuid")
    session: int | None = Field(
        default=None, ge=0, le=4294967295, description="BLSession.visit_number"
    )
    results: bool = Field(default=False, description="also what came back")
    events: bool = Field(default=False, description="also the logistics events")
    retire_old_barcode: bool = Field(default=False, alias="retireOldBarcode")
    dry_run: bool = Field(default=False, alias="dryRun")


def _configured(settings: Settings, store: Store) -> str:
    if store.caller.effective_role not in ("staff", "admin"):
        raise PermissionDenied("only facility staff may reach ISPyB")
    if not settings.ispyb_url:
        raise NotFound("this server has no ISPyB database (MXLIMS_ISPYB_URL is not set)")
    return settings.ispyb_url


@router.post(
    "/ispyb/push",
    operation_id="ispyb_push",
    summary="Push a stored shipment into ISPyB (staff)",
    response_model=IspybPushReport,
    responses=errors(400, 401, 403, 404, 409, 422, 503),  # 400: a body that is not JSON
)
async def ispyb_push(body: PushRequest, store: StoreDep, settings: SettingsDep) -> IspybPushReport:
    url = _configured(settings, store)
    options = PushOptions(
        domain=settings.ispyb_domain,
        session=body.session,
        results=body.results,
        events=body.events,
        retire_old_barcode=body.retire_old_barcode,
        dry_run=body.dry_run,
        timezone=settings.ispyb_timezone,
    )
    report = await push(store, body.shipment, url, options)
    return IspybPushReport.model_validate(report.to_dict())


@router.get(
    "/ispyb/shippings/{shipping_id}",
    operation_id="ispyb_shipping",
    summary="An ISPyB shipping as MXLIMS (staff)",
    response_model=IspybShipping,
    responses=errors(401, 403, 404, 422, 503),
)
async def ispyb_shipping(
    shipping_id: Annotated[int, Path(ge=1, le=4294967295)],
    store: StoreDep,
    settings: SettingsDep,
) -> IspybShipping:
    url = _configured(settings, store)
    pulled = await pull(
        store,
        url,
        shipping_id=shipping_id,
        domain=settings.ispyb_domain,
        timezone=settings.ispyb_timezone,
    )
    return IspybShipping(message=pulled.message, lacks=pulled.lacks, shipping_ids=pulled.shippings)
