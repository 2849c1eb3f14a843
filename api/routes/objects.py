"""``/objects``: find, read, change and delete stored MXLIMS objects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from api import models
from api.body import JsonObject
from api.deps import StoreDep
from api.errors import errors
from api.params import IfMatch, ObjectUuid, etag, find_query, optional_revision, required_revision
from mxlims_store.store import FindQuery
from mxlims_store.store import StoredObject as Stored

router = APIRouter(tags=["objects"])

CHANGES_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Fields to change (store form, e.g. containerId); `null` removes a field",
        "content": {
            media: {"schema": {"type": "object", "additionalProperties": True}}
            for media in ("application/json", "application/merge-patch+json")
        },
    }
}


def answer(stored: Stored, response: Response) -> models.StoredObject:
    response.headers["ETag"] = etag(stored.revision)
    return models.StoredObject(data=stored.data, revision=stored.revision, meta=stored.meta)


@router.get(
    "/objects",
    operation_id="find_objects",
    summary="Find objects",
    response_model=models.Page,
    responses=errors(401, 422),
)
async def find_objects(
    store: StoreDep, query: Annotated[FindQuery, Depends(find_query)]
) -> models.Page:
    """Objects by type and conditions on standard fields, site identifiers and extensions;
    keyset-paginated by uuid (`next` -> `after`)."""
    return models.Page.model_validate((await store.find(query)).to_dict())


@router.get(
    "/objects/{uuid}",
    operation_id="get_object",
    summary="Read one object",
    response_model=models.StoredObject,
    responses=errors(401, 404, 422),
)
async def get_object(uuid: ObjectUuid, store: StoreDep, response: Response) -> models.StoredObject:
    """The object with its revision (also sent as the `ETag` header) and bookkeeping."""
    return answer(await store.get(uuid), response)


@router.patch(
    "/objects/{uuid}",
    operation_id="update_object",
    summary="Change fields of one object",
    response_model=models.StoredObject,
    responses=errors(400, 401, 404, 412, 413, 415, 422, 428),
    openapi_extra=CHANGES_BODY,
)
async def update_object(
    uuid: ObjectUuid,
    changes: JsonObject,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> models.StoredObject:
    """Apply the changes if `If-Match` names the current revision (else 412; without it 428)."""
    stored = await store.update(uuid, changes, revision=required_revision(if_match))
    return answer(stored, response)


@router.delete(
    "/objects/{uuid}",
    operation_id="delete_object",
    summary="Delete one object",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404, 409, 412, 422),
)
async def delete_object(
    uuid: ObjectUuid,
    store: StoreDep,
    if_match: IfMatch = None,
    cascade: Annotated[
        bool, Query(description="also delete everything that points at it, in one transaction")
    ] = False,
) -> Response:
    """Delete the object; refused (409, listing who points at it) while others point at it,
    unless `cascade=true`. With `If-Match`, only if it is still at that revision."""
    await store.delete(uuid, revision=optional_revision(if_match), cascade=cascade)
    return Response(status_code=204)
