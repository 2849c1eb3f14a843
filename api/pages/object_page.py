"""An object's page (breadcrumbs, fields in words, links by label, contacts as cards, where it
is, history) and its edit form: the same store call as the API's PATCH, with the revision the
page was shown at as If-Match, so an edit made meanwhile in another tab is refused and shown."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mxlims_store.api.pages.routes import PageStore, refused_form, render, router, shown
from mxlims_store.api.pages.session import csrf_ok
from mxlims_store.api.pages.shipment_pages import breadcrumbs
from mxlims_store.errors import MxlimsError
from mxlims_store.model.registry import model_for
from mxlims_store.store.logistics import STATES, TRACKED

CONTACTS = ("labContactOutbound", "labContactReturn")
CONTACT_PARTS = ("name", "emailAddress", "phoneNumber")
# what a person edits in the browser (MXLIMS fields; courier and tracking are events)
EDITABLE = ("name", "barcode", "acronym", "annotation")


def in_words(field: str) -> str:
    """``positionInPuck`` -> "Position in puck"; a link's field by what it points at."""
    field = re.sub(r"Ids?$", "", field) or field
    words = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", field).lower()
    return words[:1].upper() + words[1:]


def editable(mxlims_type: str) -> list[str]:
    fields = model_for(mxlims_type).model_fields
    return [f for f in (*EDITABLE, *CONTACTS) if f in fields]


async def _page(
    request: Request, store: PageStore, uuid: str, code: int = 200, **more: Any
) -> Response:
    stored = await store.get(uuid)
    links = (await store.links(uuid)).to_dict()  # the templates read the answers' JSON
    history = [entry.to_dict() for entry in await store.history(uuid)]
    data = dict(stored.data)
    extensions = data.pop("extensions", {}) or {}
    identifiers = data.pop("identifiers", {}) or {}
    contacts = {name: data.pop(name) for name in CONTACTS if isinstance(data.get(name), dict)}
    linked = {link["field"]: link for link in links["forward"]}
    kind = stored.data["mxlimsType"]
    crumbs = breadcrumbs(await store.provenance(uuid, direction="up"), uuid)
    return render(
        request,
        "object.html",
        code,
        where=(await store.where(uuid)).to_dict() if kind in TRACKED else None,
        states=STATES,
        obj=stored,
        fields=data,
        linked=linked,
        contacts=contacts,
        in_words=in_words,
        extensions=extensions,
        identifiers=identifiers,
        links=links,
        history=history,
        crumbs=crumbs,
        editable=editable(kind),
        contact_parts=CONTACT_PARTS,
        **more,
    )


@router.get("/pages/objects/{uuid}", response_class=HTMLResponse)
async def object_page(request: Request, uuid: str, store: PageStore) -> Response:
    async def work() -> Response:
        return await _page(request, store, uuid)

    return await shown(request, work)


def changes_from(form: dict[str, Any], stored: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """A merge patch of what the form changed (an emptied field is removed; a field the form
    did not carry is left alone)."""
    changes: dict[str, Any] = {}
    for name in fields:
        if name not in form and not any(f"{name}.{p}" in form for p in CONTACT_PARTS):
            continue  # not on the form that was sent: left as it is
        if name in CONTACTS:
            parts = {p: str(form.get(f"{name}.{p}", "")).strip() for p in CONTACT_PARTS}
            kept = {p: v for p, v in parts.items() if v}
            if kept != (stored.get(name) or {}):  # a merge patch: an emptied part is removed
                changes[name] = {p: v or None for p, v in parts.items()} if kept else None
            continue
        value = str(form.get(name, "")).strip() or None
        if value != stored.get(name):
            changes[name] = value
    return changes


@router.post("/pages/objects/{uuid}/edit", response_model=None)
async def edit(
    request: Request,
    uuid: str,
    store: PageStore,
    revision: Annotated[int, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not csrf_ok(request, csrf):
        return refused_form(request)
    form = dict(await request.form())

    async def work() -> Response:
        stored = await store.get(uuid)
        changes = changes_from(form, dict(stored.data), editable(stored.data["mxlimsType"]))
        try:
            if changes:
                await store.update(uuid, changes, revision=revision)
        except MxlimsError as error:
            status = 422 if type(error).__name__ == "InvalidMessage" else 409
            return await _page(
                request,
                store,
                uuid,
                status,
                failure=error,
                problems=getattr(error, "problems", []),
                attempted=changes,
            )
        return RedirectResponse(f"/pages/objects/{uuid}?saved=1", status_code=303)

    return await shown(request, work)
