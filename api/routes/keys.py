"""``/keys``: API keys, for admins."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.deps import StoreDep
from api.errors import errors
from api.params import location

router = APIRouter(tags=["keys"])


class NewKey(BaseModel):
    name: str = Field(description="who or what uses the key; recorded as the actor in history")
    role: Literal["member", "staff", "admin"]
    proposals: list[str] = Field(default=[], description="a member's proposals")
    expires: str | None = Field(default=None, description="ISO date or time; none: no expiry")


class ApiKey(BaseModel):
    id: str
    name: str
    role: str
    proposals: list[str]
    expires: str | None = None
    createdAt: str
    createdBy: str
    revokedAt: str | None = None
    lastUsed: str | None = None


class CreatedKey(ApiKey):
    key: str = Field(description="the secret: shown this once, stored only as a hash")


@router.post(
    "/keys",
    operation_id="create_key",
    summary="Create an API key",
    status_code=201,
    response_model=CreatedKey,
    responses=errors(401, 403, 422),
)
async def create_key(
    new: NewKey, store: StoreDep, request: Request, response: Response
) -> CreatedKey:
    created = CreatedKey.model_validate(
        await store.create_key(
            name=new.name, role=new.role, proposals=new.proposals, expires=new.expires
        )
    )
    response.headers["Location"] = location(request, f"/keys/{created.id}")
    return created


@router.get(
    "/keys",
    operation_id="list_keys",
    summary="List API keys",
    response_model=list[ApiKey],
    responses=errors(401, 403),
)
async def list_keys(store: StoreDep) -> list[ApiKey]:
    return [ApiKey.model_validate(key) for key in await store.list_keys()]


@router.delete(
    "/keys/{key_id}",
    operation_id="revoke_key",
    summary="Revoke an API key (effective on the next request)",
    response_model=ApiKey,
    responses=errors(401, 403, 404, 422),
)
async def revoke_key(key_id: str, store: StoreDep) -> ApiKey:
    return ApiKey.model_validate(await store.revoke_key(key_id))
