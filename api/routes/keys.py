"""``/keys``: API keys, for admins."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mxlims_store.answers import ApiKey, CreatedKey, Identity
from mxlims_store.api.deps import StoreDep
from mxlims_store.api.errors import errors
from mxlims_store.api.params import location
from mxlims_store.api.response_headers import LOCATION

router = APIRouter(tags=["keys"])


ProposalCode = Annotated[str, StringConstraints(max_length=64, pattern=r"\S")]
ISO_MOMENT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)


class NewKey(BaseModel):
    """A key to create. The constraints the store checks are declared here too (a member key
    names its proposals, another names none); those that depend on the clock (an expiry in the
    future) or the calendar (no 30 February) only the store can check."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "properties": {
                        "role": {"const": "member"},
                        "proposals": {"minItems": 1},
                        "beamline": {"type": "null"},  # a member's key has none
                    },
                    "required": ["proposals"],
                },
                {
                    "properties": {
                        "role": {"enum": ["staff", "admin"]},
                        "proposals": {"maxItems": 0},
                    }
                },
            ]
        }
    )

    name: str = Field(
        max_length=100,
        pattern=r"\S",
        description="who or what uses the key; recorded as the actor in history",
    )
    role: Literal["member", "staff", "admin"]
    proposals: list[ProposalCode] = Field(default=[], description="a member's proposals")
    expires: str | None = Field(
        default=None, pattern=ISO_MOMENT, description="ISO date or time; none: no expiry"
    )
    beamline: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"\S",
        description="a staff key's beamline: the default of its events and sample lists there",
    )


@router.post(
    "/keys",
    operation_id="create_key",
    summary="Create an API key",
    status_code=201,
    response_model=CreatedKey,
    responses={201: {"headers": LOCATION}, **errors(400, 401, 403, 422)},
)
async def create_key(
    new: NewKey, store: StoreDep, request: Request, response: Response
) -> CreatedKey:
    created = await store.create_key(
        name=new.name,
        role=new.role,
        proposals=new.proposals,
        expires=new.expires,
        beamline=new.beamline,
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
    return await store.list_keys()


@router.delete(
    "/keys/{key_id}",
    operation_id="revoke_key",
    summary="Revoke an API key (effective on the next request)",
    response_model=ApiKey,
    responses=errors(401, 403, 404, 422),
)
async def revoke_key(key_id: str, store: StoreDep) -> ApiKey:
    return await store.revoke_key(key_id)


@router.get(
    "/me",
    operation_id="get_me",
    summary="Who the presented key stands for",
    response_model=Identity,
    responses=errors(401),
)
async def get_me(store: StoreDep) -> Identity:
    """The key's name, role, proposals and beamline: what a client such as MXCuBE shows as the
    user signed in, and the proposals it may offer (any key may ask about itself)."""
    return store.identity()
