"""What routes depend on: the store and the settings the lifespan put on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mxlims_store.config import Settings
from mxlims_store.store import Store


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
