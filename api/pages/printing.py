"""Printable PDFs: labels for a shipment (its own and one per dewar), a dewar or a container,
and a shipment's contents manifest."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from mxlims_store.api.pages.routes import PageStore, router, shown
from mxlims_store.labels import LabelItem, labels_pdf, manifest_pdf
from mxlims_store.store import Store


def _pdf(content: bytes, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    headers = {"Content-Disposition": f'inline; filename="{safe}.pdf"'}
    return Response(content, media_type="application/pdf", headers=headers)


async def _shipment_of(store: Store, uuid: str) -> dict[str, Any]:
    """The shipment an object travels in (itself for a shipment), as stored; {} if none."""
    current: str | None = uuid
    for _ in range(8):
        if current is None:
            break
        data = (await store.get(current)).data
        if data["mxlimsType"] == "Shipment":
            return dict(data)
        current = data.get("containerId")
    return {}


def _contents(section: dict[str, Any]) -> list[str]:
    lines = []
    for c in section["containers"]:
        counts = ", ".join(f"{n} {s}" for s, n in c["counts"].items() if n)
        lines.append(f"{c['mxlimsType']} {c['name']} ({c['kind']}): {c['filled']}/{c['capacity']}")
        lines[-1] += f" - {counts}" if counts else ""
    return lines


def _page_url(request: Request, kind: str, uuid: str) -> str:
    path = "shipments" if kind == "Shipment" else "objects"
    return f"{str(request.base_url).rstrip('/')}/pages/{path}/{uuid}"


@router.get("/pages/labels/{uuid}.pdf")
async def labels(request: Request, uuid: str, store: PageStore) -> Response:
    """Labels: a shipment's and its dewars', or one dewar's or container's."""

    async def work() -> Response:
        laid = (await store.layout(uuid)).to_dict()
        shipment = await _shipment_of(store, uuid)
        common = {
            "proposal": shipment.get("proposalCode"),
            "return_to": shipment.get("labContactReturn"),
        }
        items = []
        stored = (await store.get(uuid)).data
        if laid["mxlimsType"] == "Shipment":
            dewars = [d for d in laid["dewars"] if d["uuid"]]
            items.append(
                LabelItem(
                    title=f"Shipment {laid['name'] or ''}".strip(),
                    url=_page_url(request, "Shipment", uuid),
                    name=laid["name"] or uuid[:8],
                    contents=[f"{len(dewars)} dewar(s), {laid['positions']} sample position(s)"]
                    + [f"Dewar {d['name']}: {len(d['containers'])} container(s)" for d in dewars],
                    **common,
                )
            )
        sections = laid["dewars"] if laid["mxlimsType"] in ("Shipment", "Dewar") else []
        for section in sections:
            if not section["uuid"]:
                continue
            dewar = (await store.get(section["uuid"])).data
            items.append(
                LabelItem(
                    title=f"Dewar {section['name']}",
                    url=_page_url(request, "Dewar", section["uuid"]),
                    barcode=dewar.get("barcode"),
                    name=dewar.get("name"),
                    contents=_contents(section),
                    **common,
                )
            )
        if not sections:  # a puck or plate
            [container] = laid["dewars"][0]["containers"]
            items.append(
                LabelItem(
                    title=f"{container['mxlimsType']} {container['name']}",
                    url=_page_url(request, container["mxlimsType"], uuid),
                    barcode=stored.get("barcode"),
                    name=stored.get("name"),
                    contents=[
                        f"{container['kind']}: {container['filled']}/{container['capacity']}"
                    ],
                    **common,
                )
            )
        content = await asyncio.to_thread(labels_pdf, items, f"labels {laid['name'] or uuid}")
        return _pdf(content, f"labels-{laid['name'] or uuid}")

    return await shown(request, work)


@router.get("/pages/manifests/{uuid}.pdf")
async def manifest(request: Request, uuid: str, store: PageStore) -> Response:
    """Every position of a shipment (or dewar), dewar by dewar."""

    async def work() -> Response:
        laid = (await store.layout(uuid)).to_dict()
        shipment = await _shipment_of(store, uuid)
        contact = shipment.get("labContactReturn") or {}
        header = [
            f"Proposal: {shipment.get('proposalCode') or '-'}",
            f"Return to: {contact.get('name', '-')} "
            + " ".join(str(contact[k]) for k in ("emailAddress", "phoneNumber") if contact.get(k)),
            f"{laid['positions']} sample position(s) in {len(laid['dewars'])} dewar(s)",
        ]
        sections = [
            {
                "title": f"Dewar {d['name']}" if d["uuid"] else "Not in a dewar",
                "rows": [
                    [
                        c["name"],
                        line["position"] or "",
                        line["barcode"] or "",
                        line["acronym"] or "",
                        line["sample"] or "",
                        " ".join(
                            str(v) for v in (line["strategy"], line["requestedResolution"]) if v
                        ),
                    ]
                    for c in d["containers"]
                    for line in c["lines"]
                ],
            }
            for d in laid["dewars"]
        ]
        title = f"Contents of {laid['mxlimsType']} {laid['name'] or uuid}"
        content = await asyncio.to_thread(manifest_pdf, title, header, sections)
        return _pdf(content, f"manifest-{laid['name'] or uuid}")

    return await shown(request, work)
