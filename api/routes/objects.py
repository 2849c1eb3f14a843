"""``/objects``: find, read, change and delete stored MXLIMS objects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from mxlims_store.answers import MxlimsObject, Page, as_written, store_form
from mxlims_store.api.body import JsonObject
from mxlims_store.api.deps import StoreDep
from mxlims_store.api.errors import errors
from mxlims_store.api.params import (
    IfMatch,
    IfMatchOrAny,
    ObjectUuid,
    etag,
    find_query,
    optional_revision,
    required_revision,
)
from mxlims_store.api.response_headers import ETAG
from mxlims_store.errors import InvalidMessage
from mxlims_store.store import FindQuery

router = APIRouter(tags=["objects"])

MERGE_PATCH = "MergePatch"  # the body's schema, in components/schemas (see api.openapi)
MERGE_PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": MERGE_PATCH,
    "description": "A JSON merge patch (RFC 7396) of an object in MXLIMS form",
    "additionalProperties": True,
}
# Both media types name one schema: a generator makes one model of it, not two of one name.
CHANGES_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A JSON merge patch (RFC 7396) of the object in MXLIMS form: fields to "
        'set, `null` removes one, links as `{"$ref": "<uuid>"}` (`containerRef`)',
        "content": {
            media: {"schema": {"$ref": f"#/components/schemas/{MERGE_PATCH}"}}
            for media in ("application/json", "application/merge-patch+json")
        },
    }
}


def answer(stored: MxlimsObject, response: Response) -> MxlimsObject:
    response.headers["ETag"] = etag(stored.revision)
    return stored


@router.get(
    "/objects",
    operation_id="find_objects",
    summary="Find objects",
    response_model=Page,
    responses=errors(401, 422),
)
async def find_objects(store: StoreDep, query: Annotated[FindQuery, Depends(find_query)]) -> Page:
    """Objects by type and conditions on standard fields, site identifiers and extensions;
    keyset-paginated by uuid (`next` -> `after`). The query grammar is the CLI's `find`'s."""
    return await store.find(query)


@router.get(
    "/objects/{uuid}",
    operation_id="get_object",
    summary="Read one object",
    response_model=MxlimsObject,
    responses={200: {"headers": ETAG}, **errors(401, 404, 422)},
)
async def get_object(uuid: ObjectUuid, store: StoreDep, response: Response) -> MxlimsObject:
    """The object in MXLIMS form with its bookkeeping under `_meta` (its revision also sent
    as the `ETag` header)."""
    return answer(await store.get(uuid), response)


@router.patch(
    "/objects/{uuid}",
    operation_id="update_object",
    summary="Change fields of one object",
    response_model=MxlimsObject,
    responses={200: {"headers": ETAG}, **errors(400, 401, 404, 412, 413, 415, 422, 428)},
    openapi_extra=CHANGES_BODY,
)
async def update_object(
    uuid: ObjectUuid,
    changes: JsonObject,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> MxlimsObject:
    """Apply the changes if `If-Match` names the current revision (else 412; without it 428)."""
    try:
        stored = await store.update(uuid, store_form(changes), revision=required_revision(if_match))
    except InvalidMessage as error:  # located by the names the patch was written with
        raise as_written(error, changes) from None
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
    if_match: IfMatchOrAny = None,
    cascade: Annotated[
        bool, Query(description="also delete everything that points at it, in one transaction")
    ] = False,
) -> Response:
    """Delete the object; refused (409, listing who points at it) while others point at it,
    unless `cascade=true`. With `If-Match`, only if it is still at that revision."""
    await store.delete(uuid, revision=optional_revision(if_match), cascade=cascade)
    return Response(status_code=204)
