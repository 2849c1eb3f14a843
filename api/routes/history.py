"""``/objects/{uuid}/history``: every recorded change of an object."""

from __future__ import annotations

from fastapi import APIRouter

from mxlims_store.answers import HistoryEntry
from mxlims_store.api.deps import StoreDep
from mxlims_store.api.errors import errors
from mxlims_store.api.params import ObjectUuid

router = APIRouter(tags=["history"])


@router.get(
    "/objects/{uuid}/history",
    operation_id="get_object_history",
    summary="Change history",
    response_model=list[HistoryEntry],
    responses=errors(401, 404, 422),
)
async def get_object_history(uuid: ObjectUuid, store: StoreDep) -> list[HistoryEntry]:
    """Every change (who, when, per field before/after), oldest first; also after a delete."""
    return await store.history(uuid)
