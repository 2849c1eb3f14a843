"""The FastAPI application: ``create_app(settings)``, served by ``mxlims-store serve``.

The lifespan opens the store once (pinged, indexes in place), keeps it on ``app.state`` for
:data:`api.deps.StoreDep`, and closes it on shutdown. A store that cannot be opened (bad
MongoDB URL, unreachable server, locked data directory) stops the start with one clear line.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from importlib import metadata

from fastapi import FastAPI

from api.body import BodyLimit
from api.errors import COMMON_ERRORS, errors, install_error_handlers
from api.routes import ROUTERS
from mxlims_store.config import Settings, get_settings
from mxlims_store.model.registry import MODEL_VERSION
from mxlims_store.store import Store
from mxlims_store.store.backend import open_store

StoreOpener = Callable[[Settings], AbstractAsyncContextManager[Store]]


class StoreUnavailable(RuntimeError):
    """The store could not be opened at start."""


def package_version() -> str:
    try:
        return metadata.version("mxlims-store")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0+unknown"


def describe_backend(settings: Settings) -> str:
    """Where the store lives, with any password in the URL hidden."""
    if settings.mongodb_url:
        return "MongoDB at " + re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", settings.mongodb_url)
    return f"the embedded store in {settings.data_dir}"


def lifespan_for(
    settings: Settings, opener: StoreOpener
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            try:
                app.state.store = await stack.enter_async_context(opener(settings))
            except Exception as error:
                raise StoreUnavailable(
                    f"cannot open {describe_backend(settings)}: {type(error).__name__}: {error}"
                ) from error
            yield
            del app.state.store

    return lifespan


def create_app(settings: Settings | None = None, *, opener: StoreOpener = open_store) -> FastAPI:
    """The API over the store ``opener(settings)`` yields (default: MongoDB or embedded)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="mxlims-store",
        version=package_version(),
        summary=f"A LIMS for MX whose native format is MXLIMS {MODEL_VERSION}",
        lifespan=lifespan_for(settings, opener),
        responses=errors(*COMMON_ERRORS),
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for router in ROUTERS:
        app.include_router(router)
    return app
