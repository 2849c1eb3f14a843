"""The shipment page (dewars, containers drawn as they are, a filter over every position) and a
container's rows, which the shipment page loads one container at a time when it is opened: a
1,600-pin shipment sends its drawings and counts, not 1,600 table rows."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mxlims_store.api.pages.drawing import container_svg
from mxlims_store.api.pages.routes import PageStore, render, router, shown
from mxlims_store.mappings import list_sites
from mxlims_store.store.logistics import STATES
from mxlims_store.store.status import STATUSES

SHOWN_MATCHES = 2000  # rows a filter shows at once (a whole 1,600-pin shipment fits)


def matches(line: dict[str, Any], status: str, needle: str) -> bool:
    if status and line["status"] != status:
        return False
    if not needle:
        return True
    words = (line.get(k) for k in ("barcode", "sample", "acronym", "containerName"))
    return any(needle in str(w).lower() for w in words if w)


def breadcrumbs(steps: list[Any], uuid: str) -> list[Any]:
    """Shipment -> dewar -> puck -> ... down to the object: its containers only (a walk up
    also reaches samples and experiments), outermost first."""
    by_source = {s.source: s for s in steps if s.link == "containerRef"}
    chain: list[Any] = []
    current = uuid
    while current in by_source and len(chain) < 16:
        chain.append(by_source[current])
        current = by_source[current].uuid
    return list(reversed(chain))


@router.get("/pages/shipments/{uuid}", response_class=HTMLResponse)
async def shipment(
    request: Request, uuid: str, store: PageStore, status: str = "", q: str = ""
) -> Response:
    async def work() -> Response:
        laid = (await store.layout(uuid)).to_dict()  # the page adds drawings and names to it
        where = (await store.where(uuid)).to_dict()
        places = {
            d["uuid"]: (await store.where(d["uuid"])).to_dict() for d in laid["dewars"] if d["uuid"]
        }
        held_by: dict[str, str | None] = {}
        for section in laid["dewars"]:
            for container in section["containers"]:
                container["svg"] = container_svg(container)
                for line in container["lines"]:
                    line["containerName"] = held_by[line["uuid"]] = container["name"]
        for line in laid["lines"]:  # the same positions, listed once for the whole shipment
            line["containerName"] = held_by.get(line["uuid"])
        wanted = status if status in STATUSES else ""
        found = None
        if wanted or q.strip():
            needle = q.strip().lower()
            found = [line for line in laid["lines"] if matches(line, wanted, needle)]
        return render(
            request,
            "shipment.html",
            laid=laid,
            where=where,
            places=places,
            states=STATES,
            statuses=STATUSES,
            sites=list_sites(),
            status=wanted,
            q=q,
            found=found[:SHOWN_MATCHES] if found is not None else None,
            found_total=len(found) if found is not None else 0,
        )

    return await shown(request, work)


@router.get("/pages/containers/{uuid}", response_class=HTMLResponse)
async def container(request: Request, uuid: str, store: PageStore, rows: int = 0) -> Response:
    """A puck or plate: its drawing and one row per position (``rows=1``: only the table, for
    the shipment page to put in place)."""

    async def work() -> Response:
        laid = (await store.layout(uuid)).to_dict()  # the page adds its drawing to it
        if laid["mxlimsType"] not in ("Puck", "Plate"):  # a dewar or shipment has its own page
            return RedirectResponse(f"/pages/objects/{uuid}", status_code=303)
        [section] = laid["dewars"]
        [drawn] = section["containers"]
        for line in drawn["lines"]:
            line["containerName"] = drawn["name"]
        if rows:
            return render(request, "rows.html", lines=drawn["lines"], fragment=True)
        drawn["svg"] = container_svg(drawn)
        crumbs = breadcrumbs(await store.provenance(uuid, direction="up"), uuid)
        return render(request, "container.html", drawn=drawn, crumbs=crumbs, lines=drawn["lines"])

    return await shown(request, work)
