"""What routes depend on: the caller's store, the settings the lifespan put on ``app.state``.

:data:`StoreDep` is the store acting as the caller of the request: the key in
``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` is checked on every request (401 without
a valid one), and everything the route asks of the store is then scoped by the library to what
that key may see and do. :data:`OpenStoreDep` is for the few routes anyone may call (health).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from mxlims_store.api.key_first import CALLER
from mxlims_store.api.rate_limits import note_failure
from mxlims_store.config import Settings
from mxlims_store.errors import Unauthenticated
from mxlims_store.store import Store

bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer mxk...`")
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key, as a header of its own"
)


def get_open_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_store(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    header_key: Annotated[str | None, Security(api_key_header)],
) -> Store:
    store = get_open_store(request)
    bearer_key = credentials.credentials if credentials is not None else None
    if bearer_key is not None and header_key is not None and bearer_key != header_key:
        presented = None  # two different keys: which one was meant is not ours to guess
    else:
        presented = bearer_key or header_key
    checked = request.scope.get("state", {}).get(CALLER)
    if checked is not None and presented and checked[0] == presented:  # KeyFirst checked it
        caller = checked[1]
        request.state.actor = caller.actor
        return store.acting_as(caller)
    try:
        caller = await store.authenticate(presented)
    except Unauthenticated:
        if presented:  # a wrong key counts against its address; no key at all is no guess
            await note_failure(request)
        raise
    request.state.actor = caller.actor  # for the access log
    return store.acting_as(caller)


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
OpenStoreDep = Annotated[Store, Depends(get_open_store)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
