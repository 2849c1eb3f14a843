"""The FastAPI application: ``create_app(settings)``, served by ``mxlims-store serve``.

The lifespan opens the store once (pinged, indexes in place), keeps it on ``app.state`` for
:data:`mxlims_store.api.deps.StoreDep`, and closes it on shutdown. A store that cannot be
opened (bad MongoDB URL, unreachable server, locked data directory) stops the start with one
clear line.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from importlib import metadata

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi_offline import FastAPIOffline

from mxlims_store.api import front, openapi, pages
from mxlims_store.api.admission import Door, DownloadAdmission
from mxlims_store.api.body import BodyLimit
from mxlims_store.api.downloads import BuildGate
from mxlims_store.api.errors import COMMON_ERRORS, ErrorBody, errors, install_error_handlers
from mxlims_store.api.head import HeadAsGet
from mxlims_store.api.hosts import AllowedHosts
from mxlims_store.api.key_first import KeyFirst
from mxlims_store.api.memory import limit_arenas
from mxlims_store.api.pages.session import load_secrets
from mxlims_store.api.params import utf8_query
from mxlims_store.api.routes import API_PREFIX, ROOT_ROUTERS, ROUTERS, health
from mxlims_store.api.slow_clients import BodyTimeout
from mxlims_store.config import Settings, describe_store, get_settings, split_list
from mxlims_store.model.registry import MODEL_VERSION
from mxlims_store.store import Store
from mxlims_store.store.backend import open_store
from mxlims_store.store.bootstrap import first_admin_key
from mxlims_store.store.importer import settle_long_lived
from mxlims_store.store.read_processes import end_processes, read_in_processes, warm_up

StoreOpener = Callable[[Settings], AbstractAsyncContextManager[Store]]
REQUEST_TIMEOUT: dict[int | str, dict[str, object]] = {
    408: {
        "model": ErrorBody,
        "description": "The request's headers or body came too slowly "
        "(`MXLIMS_HEADER_TIMEOUT`, `MXLIMS_BODY_TIMEOUT`, `MXLIMS_BODY_TOTAL_TIMEOUT`)",
    }
}


class StoreUnavailable(RuntimeError):
    """The store could not be opened at start."""


def package_version() -> str:
    try:
        return metadata.version("mxlims-store")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0+unknown"


def lifespan_for(
    settings: Settings, opener: StoreOpener, *, end_readers: bool = False
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            try:
                app.state.store = await stack.enter_async_context(opener(settings))
            except Exception as error:
                raise StoreUnavailable(
                    f"cannot open {describe_store(settings)}: {type(error).__name__}: {error}"
                ) from error
            read_in_processes()  # messages are read beside the server's process (its GIL)
            await warm_up()
            await load_secrets(app, app.state.store)  # shared by every worker, from the store
            settle_long_lived()  # the app's own objects: out of the collector's full passes
            written = await first_admin_key(app.state.store, settings.data_dir)
            if written is not None:
                print(  # once, plainly: the only way to the first key
                    f"mxlims-store: the store had no API key; the first admin key is in {written}",
                    file=sys.stderr,
                    flush=True,
                )
            try:
                yield
            finally:
                read_in_processes(0)  # started again by the next app; the process is kept,
                if end_readers:  # unless the server itself ends (serving_app)
                    await asyncio.to_thread(end_processes)
            del app.state.store

    return lifespan


def serving_app() -> FastAPI:
    """The app ``mxlims-store serve`` runs: :func:`create_app` with MXLIMS files built in the
    reading processes (api/message_files.py: a build in this process took the interpreter
    lock from the event loop, and ``/health`` waited). Its access log (configured by uvicorn
    before this runs) leaves out ``/health`` answered 200: see api/front.py."""
    front.quiet_health_log()
    return create_app(builds_elsewhere=True)


def create_app(
    settings: Settings | None = None,
    *,
    opener: StoreOpener = open_store,
    builds_elsewhere: bool = False,
) -> FastAPI:
    """The API over the store ``opener(settings)`` yields (default: MongoDB or embedded);
    ``builds_elsewhere``: MXLIMS files of the embedded store built in a reading process."""
    settings = settings or get_settings()
    # The event loop shares the interpreter with the threads that build downloads and read
    # the database: a shorter switch interval lets it answer others (/health) in between.
    sys.setswitchinterval(0.001)
    limit_arenas()  # memory freed after a burst of downloads can go back (api/memory.py)
    # FastAPIOffline: Swagger UI 5 and ReDoc served from the installed package, so /docs works
    # on a beamline network that cannot reach a CDN.
    app = FastAPIOffline(
        title="mxlims-store",
        version=package_version(),
        summary=f"A LIMS for MX whose native format is MXLIMS {MODEL_VERSION}",
        lifespan=lifespan_for(settings, opener, end_readers=builds_elsewhere),
        responses={**errors(*COMMON_ERRORS), **REQUEST_TIMEOUT},
        dependencies=[Depends(utf8_query)],
        openapi_url=f"{API_PREFIX}/openapi.json",  # what the API is; /docs shows it to people
    )
    app.state.settings = settings
    app.state.build_gate = BuildGate(
        settings.build_slots, settings.build_wait, elsewhere=builds_elsewhere
    )
    # downloads answered at once: as many as build, and as many again sending kept copies
    app.state.download_door = Door(2 * settings.build_slots, settings.build_wait)
    app.state.pings = health.Pings()  # /health waits for the store only when it must
    install_error_handlers(app)
    app.add_middleware(KeyFirst, prefix=API_PREFIX)  # innermost: after the host check, limits
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(BodyTimeout, pause=settings.body_timeout, total=settings.body_total_timeout)
    # A results file of 1,600 pins is 4.4 MB of JSON and about a tenth of that compressed.
    # Level 6 (zlib's own default): about the size of 9 at a fraction of its CPU.
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=6)
    app.add_middleware(HeadAsGet)
    app.add_middleware(DownloadAdmission)  # downloads a few at a time (api/admission.py)
    origins = split_list(settings.cors_origins)
    if origins:  # off unless configured: no browser page elsewhere may call the API
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "If-Match"],
            expose_headers=[
                "ETag",
                "Location",
                "X-MXLIMS-Losses",
                "X-MXLIMS-Truncated",
                "X-MXLIMS-Left-Out",
            ],
        )
    hosts = split_list(settings.allowed_hosts)
    if hosts != ["*"]:  # a DNS-rebinding page reaches the API under a foreign host name
        app.add_middleware(AllowedHosts, allowed_hosts=hosts)
    # outside everything, the framework's own layers too: /health at once, others in turns
    front.install(app, hosts)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in ROOT_ROUTERS:
        app.include_router(router)
    # the same health check where an API client looks for it (once in the OpenAPI: at the root)
    app.add_api_route(f"{API_PREFIX}/health", health.get_health, include_in_schema=False)
    pages.install(app, settings)
    app.include_router(pages.router)
    openapi.install(app)
    return app
