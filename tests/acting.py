"""Who the tests act as: a Store has no rights until someone is named, so every store a test
builds or opens says who it acts for (here: an admin named in history as ``test admin``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mxlims_store.config import Settings
from mxlims_store.store import Caller, Store
from mxlims_store.store.backend import open_store
from mxlims_store.store.backends import Backend

ADMIN = Caller.admin("test admin")


def admin_store(db: Backend) -> Store:
    """A store on ``db`` acting as the tests' admin."""
    return Store(db, ADMIN)


@asynccontextmanager
async def open_admin_store(settings: Settings, **options: Any) -> AsyncIterator[Store]:
    """``open_store`` (same options, same failures), acting as the tests' admin."""
    async with open_store(settings, **options) as store:
        yield store.acting_as(ADMIN)
