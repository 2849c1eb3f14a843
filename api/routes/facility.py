"""``/facility``: what this instance accepts, machine-readable."""

from __future__ import annotations

from fastapi import APIRouter

from mxlims_store.api import facility, models
from mxlims_store.api.deps import SettingsDep

router = APIRouter(tags=["facility"])


@router.get(
    "/facility",
    operation_id="get_facility",
    summary="Facility description",
    response_model=models.Facility,
)
async def get_facility(settings: SettingsDep) -> models.Facility:
    """Name, MXLIMS versions accepted, sheet formats, required fields and container capacities."""
    return facility.describe(settings)
