"""The pages: sign in, shipments, a shipment, an object, provenance, downloads (the pages that
write are in ``writing.py``).

Each handler makes the same library calls as the API, through the store acting as the signed-in
key; a library error becomes an error page with the same words the API would send.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mxlims_store.api.downloads import Built, cached_download
from mxlims_store.api.errors import ERROR_HEADERS, status_of
from mxlims_store.api.message_files import MessageFile
from mxlims_store.api.pages.session import (
    csrf_ok,
    csrf_token,
    page_store,
    sign_in,
    sign_out,
    signed_in,
)
from mxlims_store.api.pages.summaries import EXAMPLES, grouped_problems, losses_by_kind
from mxlims_store.api.rate_limits import note_failure
from mxlims_store.api.routes.navigation import message_download
from mxlims_store.errors import MxlimsError, Unauthenticated
from mxlims_store.mappings import SheetDefaults, list_sites
from mxlims_store.model.registry import MODEL_VERSION
from mxlims_store.store import Store

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
PageStore = Annotated[Store, Depends(page_store)]
DETAILS = 500  # losses of one kind listed on demand
PER_PAGE = 25  # shipments per page of the list
MAX_UPLOAD = 32 * 1024 * 1024  # the pages' own cap; the API's body limit applies before it


def _version() -> str:
    try:
        return metadata.version("mxlims-store")
    except metadata.PackageNotFoundError:  # pragma: no cover - a bare source tree
        return "0+unknown"


def render(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    caller = getattr(request.state, "caller", None)
    context.update(
        caller=caller,
        csrf=csrf_token(request),
        version=_version(),
        model_version=MODEL_VERSION,
    )
    return templates.TemplateResponse(request, name, context, status_code=code)


async def shown(request: Request, work: Callable[[], Awaitable[Response]]) -> Response:
    """Run a page's library calls; an error is a page saying what the API would say, with the
    API's status (its one map: a busy or full store is a 503, a refusal a 403 ...)."""
    try:
        return await work()
    except MxlimsError as error:
        return error_page(request, error)


def error_page(request: Request, error: MxlimsError, status: int | None = None) -> HTMLResponse:
    """The error page of ``error``, with the status and headers the API would answer."""
    problems = getattr(error, "problems", [])
    code = status_of(error) if status is None else status
    page = render(request, "error.html", code, error=error, problems=problems)
    page.headers.update(ERROR_HEADERS.get(code, {}))
    return page


def refused_form(request: Request) -> HTMLResponse:
    return render(
        request,
        "error.html",
        403,
        error=MxlimsError("the form had expired or came from another site: reload and retry"),
        problems=[],
    )


# -- landing, sign in, sign out -----------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request) -> HTMLResponse:
    caller = await signed_in(request)
    return render(request, "landing.html", signed_in=caller is not None)


@router.get("/pages/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", failed=False)


@router.post("/pages/login", response_model=None)
async def login(
    request: Request, key: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> Response:
    if not csrf_ok(request, csrf):
        return refused_form(request)
    store: Store = request.app.state.store
    try:
        await store.authenticate(key.strip())
    except Unauthenticated:
        await note_failure(request)
        return render(request, "login.html", 401, failed=True)
    return RedirectResponse(await sign_in(request, key.strip()), status_code=303)


@router.post("/pages/logout")
async def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(request, csrf):
        return refused_form(request)
    await sign_out(request)
    return RedirectResponse("/pages/login", status_code=303)


# -- shipments, a shipment, an object, provenance -----------------------------------------


@router.get("/pages/shipments", response_class=HTMLResponse)
async def shipments(request: Request, store: PageStore, q: str = "", page: int = 1) -> Response:
    """A page of shipments, newest first: only the shipments shown are counted."""
    page = max(1, min(page, 10_000))

    async def work() -> Response:
        found = await store.shipments(
            search=q or None, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE
        )
        return render(
            request,
            "shipments.html",
            shipments=[s.to_dict() for s in found[:PER_PAGE]],
            q=q,
            page=page,
            more=len(found) > PER_PAGE,
        )

    return await shown(request, work)


@router.get("/pages/objects/{uuid}/provenance", response_class=HTMLResponse)
async def provenance(request: Request, uuid: str, store: PageStore) -> Response:
    async def work() -> Response:
        up = await store.provenance(uuid, direction="up")
        down = await store.provenance(uuid, direction="down", depth=6)
        children: dict[str | None, list[Any]] = {}
        for step in down[1:]:  # each node under the object it was reached from
            children.setdefault(step.source, []).append(step)
        return render(request, "provenance.html", uuid=uuid, up=up, down=down, children=children)

    return await shown(request, work)


# -- downloads -------------------------------------------------------------------------------


@router.get("/pages/shipments/{uuid}/results.json")
async def results_file(request: Request, uuid: str, store: PageStore) -> Response:
    async def work() -> Response:
        made = MessageFile(
            "shipment_results", (uuid,), f"shipment-{uuid}-results.json", indent=True
        )
        return await message_download(request, store, made)

    return await shown(request, work)


@router.get("/pages/objects/{uuid}/export.json")
async def export_file(request: Request, uuid: str, store: PageStore) -> Response:
    async def work() -> Response:
        made = MessageFile("export", (uuid,), f"{uuid}.json", indent=True)
        return await message_download(request, store, made)

    return await shown(request, work)


@router.get("/pages/shipments/{uuid}/sheet", response_class=HTMLResponse)
async def sheet(
    request: Request,
    uuid: str,
    store: PageStore,
    site: str = "esrf",
    fmt: str = "csv",
    proposal: str = "",
    puck_type: str = "",
    loss: int = 0,
) -> Response:
    """The shipment as a facility's sheet: what it cannot hold, what the facility would refuse
    and what was filled in are shown before the download (which is refused while the facility
    would refuse the sheet)."""

    if fmt not in ("csv", "tsv", "xlsx"):
        return render(request, "error.html", 422, error=MxlimsError(
            f"unknown sheet format {fmt!r}: use csv, tsv or xlsx"), problems=[])  # fmt: skip

    defaults = SheetDefaults(proposal=proposal or None, puck_type=puck_type or None)
    download = bool(request.query_params.get("download"))

    async def sheet_file(reading: Store) -> Built:
        exported = await reading.export_sheet(site, uuid, fmt=fmt, defaults=defaults, draft=False)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", f"shipment-{uuid}-{site}")
        name += exported.filename_extension
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Built(exported.content, exported.media_type, headers)

    async def work() -> Response:
        if download:  # built once per change of the store, like the API's downloads
            return await cached_download(request, store, sheet_file)
        exported = await store.export_sheet(site, uuid, fmt=fmt, defaults=defaults, draft=True)
        kinds = losses_by_kind(exported.losses)
        shown_kind = kinds[loss - 1] if 0 < loss <= len(kinds) else None
        named = [x.uuid for k in kinds for x in k.losses[:EXAMPLES] if x.uuid]
        named += [x.uuid for x in (shown_kind.losses[:DETAILS] if shown_kind else []) if x.uuid]
        return render(
            request, "sheet.html", uuid=uuid, site=site, fmt=fmt, exported=exported,
            sites=list_sites(), proposal=proposal, puck_type=puck_type, kinds=kinds,
            shown_kind=shown_kind, loss=loss, names=(await store.labels(named)).to_dict(),
            shipment_name=(await store.labels([uuid])).root.get(uuid, uuid), details=DETAILS,
            warnings=grouped_problems(exported.warnings),
            problems=grouped_problems(exported.problems),
        )  # fmt: skip

    return await shown(request, work)
