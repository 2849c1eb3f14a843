"""The staff button on a shipment's page: push it into the facility's ISPyB (the database URL
from the server's settings, never from the form) and show the report."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from mxlims_store.api.pages.routes import PageStore, refused_form, render, router, shown
from mxlims_store.api.pages.session import csrf_ok
from mxlims_store.errors import NotFound, PermissionDenied
from mxlims_store.ispyb.bridge import push
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.ispyb.table import whole_number


@router.post("/pages/shipments/{uuid}/ispyb", response_class=HTMLResponse)
async def push_to_ispyb(
    request: Request,
    uuid: str,
    store: PageStore,
    csrf: Annotated[str, Form()] = "",
    session: Annotated[str, Form()] = "",
    results: Annotated[str, Form()] = "",
    events: Annotated[str, Form()] = "",
    dry_run: Annotated[str, Form()] = "",
) -> Response:
    if not csrf_ok(request, csrf):
        return refused_form(request)
    settings = request.app.state.settings

    async def work() -> Response:
        if store.caller.effective_role not in ("staff", "admin"):
            raise PermissionDenied("only facility staff may push to ISPyB")
        if not settings.ispyb_url:
            raise NotFound("this server has no ISPyB database (MXLIMS_ISPYB_URL is not set)")
        options = PushOptions(
            domain=settings.ispyb_domain,
            session=whole_number(session),  # "²" or 5,000 digits: none, never a crash
            results=bool(results),
            events=bool(events),
            dry_run=bool(dry_run),
            timezone=settings.ispyb_timezone,
        )
        report = await push(store, uuid, settings.ispyb_url, options)
        return render(request, "ispyb.html", report=report.to_dict())

    return await shown(request, work)
