"""The pages that write: upload a sheet or a message (checked first, then stored), and record
what a scanned barcode has been through."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mxlims_store.api.errors import ERROR_HEADERS, status_of
from mxlims_store.api.pages.routes import (
    MAX_UPLOAD,
    PageStore,
    error_page,
    refused_form,
    render,
    router,
)
from mxlims_store.api.pages.session import csrf_ok
from mxlims_store.api.pages.summaries import grouped_problems
from mxlims_store.errors import MxlimsError
from mxlims_store.mappings import list_sites
from mxlims_store.messages.jsontext import loads
from mxlims_store.store import POLICIES, Policy
from mxlims_store.store.logistics import STATES
from mxlims_store.store.server_state import server_state

# -- writing: upload (dry run first), events ---------------------------------------------------


@router.get("/pages/upload", response_class=HTMLResponse)
async def upload_form(request: Request, store: PageStore) -> HTMLResponse:
    return render(request, "upload.html", sites=list_sites(), result=None)


KINDS = ("sheet", "message")
DRAFT_KIND = "upload-draft"
STAGED_FOR = 3600.0  # seconds a checked upload waits for its "Store it"
DRAFTS_PER_CALLER = 5  # checked uploads one key may have waiting
DRAFT_BYTES_PER_CALLER = 4 * MAX_UPLOAD
DRAFT_BYTES_TOTAL = 1024 * 1024 * 1024  # what all waiting uploads may take of the store
# the API's defaults (POST /messages, POST /sheets/{site}): a sheet uploaded again corrects
# its shipment; a message keeps what is stored and says what differs
DEFAULT_POLICY = {"sheet": "update_old", "message": "reject_new"}
LISTED = 500  # objects listed per outcome on the dry run's page


async def _stage(request: Request, data: bytes) -> str | None:
    """Keep a checked upload in the store until the person confirms it (a form field could
    not carry it: browsers and Starlette cap a field at 1 MB), so any worker can store it; None
    when the caller's quota or the total cap is reached. Drafts expire after an hour."""
    state = server_state(request.app.state.store.db)
    owner: str = request.state.key_id
    count, size = await state.usage(DRAFT_KIND, owner)
    if count >= DRAFTS_PER_CALLER or size + len(data) > DRAFT_BYTES_PER_CALLER:
        return None
    if (await state.usage(DRAFT_KIND))[1] + len(data) > DRAFT_BYTES_TOTAL:
        return None
    token = secrets.token_urlsafe(24)
    await state.put(DRAFT_KIND, token, {}, ttl=STAGED_FOR, body=data, owner=owner)
    request.session["staged"] = [*request.session.get("staged", [])[-9:], token]
    return token


async def _staged(request: Request, token: str) -> bytes | None:
    """A staged upload of this session and key, taken (it is stored only once)."""
    if token not in request.session.get("staged", []):
        return None
    state = server_state(request.app.state.store.db)
    draft = await state.take(DRAFT_KIND, token)
    request.session["staged"] = [t for t in request.session["staged"] if t != token]
    if draft is None or draft.owner != request.state.key_id:
        return None
    return draft.body


@router.post("/pages/upload", response_class=HTMLResponse)
async def upload(
    request: Request,
    store: PageStore,
    kind: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    site: Annotated[str, Form()] = "",
    proposal: Annotated[str, Form()] = "",
    policy: Annotated[str, Form()] = "",
    staged: Annotated[str, Form()] = "",
    filename: Annotated[str, Form()] = "",
    file: UploadFile | None = None,
) -> Response:
    """A dry run first (every problem; what would be created, updated, kept as it is, or kept
    although different), then the same file stored when the person confirms."""
    if not csrf_ok(request, csrf):
        return refused_form(request)
    form = {"kind": kind, "site": site, "proposal": proposal, "policy": policy}

    def again(code: int, **more: Any) -> HTMLResponse:
        context: dict[str, Any] = {**form, "sites": list_sites(), "result": None, **more}
        return render(request, "upload.html", code, policies=POLICIES, **context)

    policy = policy or DEFAULT_POLICY.get(kind, "")  # as the API does for that kind
    form["policy"] = policy
    if kind not in KINDS or policy not in POLICIES:
        return again(422, error="choose what the file is, and a policy from the list")
    if staged:
        data = await _staged(request, staged)
        if data is None:
            return again(422, error="that upload is no longer waiting: check the file again")
    elif file is not None and file.filename:
        data = await file.read(MAX_UPLOAD + 1)
        filename = file.filename
    else:
        data = b""
    if not data or len(data) > MAX_UPLOAD:
        return again(
            422, error="choose a file" if not data else f"the file is over {MAX_UPLOAD:,} bytes"
        )
    dry_run = not staged
    chosen: Policy = next(p for p in POLICIES if p == policy)
    try:
        if kind == "sheet":
            report = await store.import_sheet(
                site,
                data,
                filename=filename,
                proposal=proposal or None,
                policy=chosen,
                dry_run=dry_run,
            )
        else:
            try:
                message = loads(data)
            except (ValueError, UnicodeDecodeError, RecursionError) as error:
                reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
                return again(422, error=f"{filename or 'the file'} is not valid JSON: {reason}")
            report = await store.import_message(
                message, policy=chosen, dry_run=dry_run, proposal=proposal or None
            )
    except MxlimsError as error:  # the API's status for it (a full disk: 503, not a 422)
        problems = getattr(error, "problems", [])
        groups = grouped_problems(problems)
        page = again(status_of(error), failure=error, problems=problems, groups=groups)
        page.headers.update(ERROR_HEADERS.get(page.status_code, {}))
        return page
    shipments = [u for k, u in report.keys.items() if k.startswith("Shipment/")]
    by_outcome: dict[str, list[str]] = {}
    for path, outcome in report.outcomes.items():
        by_outcome.setdefault(outcome, []).append(path)
    context: dict[str, Any] = {
        **form,
        "sites": list_sites(),
        "policies": POLICIES,
        "result": report,
        "shipments": shipments,
        "filename": filename,
        "staged": await _stage(request, data) if dry_run else "",
        "by_outcome": by_outcome,
        "names": (
            await store.labels(
                [
                    report.keys[p]
                    for paths in by_outcome.values()
                    for p in paths[:LISTED]
                    if p in report.keys
                ]
            )
        ).to_dict(),
        "listed": LISTED,
    }
    if context["staged"] is None:
        context["staged"] = ""
        context["error"] = (
            f"checked, but it cannot wait to be stored: at most {DRAFTS_PER_CALLER} checked "
            "uploads wait per key (for an hour); store or let go of those first"
        )
    return render(request, "upload.html", **context)


SCAN_FIELDS = ("state", "location", "facility", "beamline", "tracking_number", "note")
BATCH_SHOWN = 50  # scans of this batch listed under the form


@router.get("/pages/scan", response_class=HTMLResponse)
async def scan_form(request: Request, store: PageStore) -> HTMLResponse:
    return render(request, "scan.html", states=STATES, recorded=None, form={}, done=[])


async def _in_shipment(store: PageStore, uuid: str) -> str | None:
    """The name of the shipment an object travels in."""
    steps = await store.provenance(uuid, direction="up")
    return next((s.label for s in steps if s.mxlims_type == "Shipment"), None)


@router.post("/pages/scan", response_class=HTMLResponse)
async def scan(
    request: Request,
    store: PageStore,
    ref: Annotated[str, Form()],
    state: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    location: Annotated[str, Form()] = "",
    facility: Annotated[str, Form()] = "",
    beamline: Annotated[str, Form()] = "",
    tracking_number: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    sample_changer_position: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
    done: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Record an event for what a barcode (or uuid) names: typed, or from a scanner. In batch
    use the form comes back with the state and place as they were (scan the next one), the
    item just recorded named with its shipment, and any error said above the form."""
    if not csrf_ok(request, csrf):
        return refused_form(request)
    form = {
        "ref": ref,
        "state": state,
        "location": location,
        "facility": facility,
        "beamline": beamline,
        "tracking_number": tracking_number,
        "note": note,
        "sample_changer_position": sample_changer_position,
    }
    done = [line[:300] for line in (done or [])][-BATCH_SHOWN:]
    try:
        recorded = await store.record_event(
            ref.strip(),
            state,
            location=location or None,
            facility=facility or None,
            beamline=beamline or None,
            trackingNumber=tracking_number or None,
            note=note or None,
            sampleChangerPosition=_whole(sample_changer_position),
        )
        if back.startswith("/pages/"):
            return RedirectResponse(back, status_code=303)
        where = await store.where(recorded.subject)
        shipment = await _in_shipment(store, recorded.subject)
    except MxlimsError as error:  # the API's status for it, the form kept for the next scan
        status = status_of(error)
        if back.startswith("/pages/"):
            return error_page(request, error)
        page = render(
            request, "scan.html", status, states=STATES, recorded=None, form=form, done=done,
            failure=error, problems=getattr(error, "problems", []),
        )  # fmt: skip
        page.headers.update(ERROR_HEADERS.get(status, {}))
        return page
    item = f"{where.mxlims_type} {where.barcode or where.name or where.uuid}"
    done = [*done, f"{item} ({shipment or 'no shipment'}): {state}"][-BATCH_SHOWN:]
    form["ref"] = ""  # the next scan
    return render(
        request, "scan.html", states=STATES, recorded=recorded, item=item, shipment=shipment,
        form=form, done=done,
    )  # fmt: skip


def _whole(text: str) -> int | str | None:
    """A typed whole number as a number; anything else as typed, for the store to refuse
    with its field's name."""
    text = text.strip()
    return int(text) if text.isdecimal() and len(text) < 6 else (text or None)
