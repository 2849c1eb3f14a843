"""OpenAPI links: which response gives the values another operation needs.

An import report names its shipment (``shipment``), an object its container (``containerRef``),
its barcode and its proposal, a proposal's shipment list their uuids: a client (or a stateful
test) follows them from one import to every operation on what it created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    """From the ``statuses`` answers of ``source``, ``target`` with ``parameters`` (name ->
    runtime expression)."""

    source: str
    target: str
    parameters: dict[str, str]
    description: str
    statuses: tuple[str, ...] = ("200",)
    name: str = field(default="")

    @property
    def key(self) -> str:
        return self.name or self.target


def _each(
    sources: tuple[str, ...],
    targets: tuple[str, ...],
    parameters: dict[str, str],
    description: str,
    statuses: tuple[str, ...] = ("200",),
) -> list[Link]:
    return [Link(s, t, parameters, description, statuses) for s in sources for t in targets]


SHIPMENT_ROUTES = (
    "get_shipment_results",
    "get_shipment_status",
    "export_sheet",
    "get_sheet_report",
    "get_sheet_losses",
    "get_events",
    "record_event",
)
OBJECT_ROUTES = (
    "get_object",
    "get_object_links",
    "get_object_provenance",
    "export_object",
    "get_object_history",
)
IMPORTS = ("import_message", "import_sheet")
OBJECT_ANSWERS = ("get_object", "get_by_barcode", "update_object")
BODY_UUID = {"uuid": "$response.body#/uuid"}
AS_READ = {**BODY_UUID, "header.If-Match": "$response.header.ETag"}

LINKS: list[Link] = [
    *_each(
        IMPORTS,
        (*OBJECT_ROUTES, *SHIPMENT_ROUTES, "delete_object"),
        {"uuid": "$response.body#/shipment"},
        "the shipment the import holds",
        ("200", "201"),
    ),
    *_each(
        ("find_objects",),
        (*OBJECT_ROUTES, "delete_object"),
        {"uuid": "$response.body#/items/0/uuid"},
        "the first object found",
    ),
    *_each(
        ("find_objects",),
        ("get_by_barcode", "record_event_by_barcode"),
        {"barcode": "$response.body#/items/0/barcode"},
        "the first object found, by its barcode",
    ),
    *_each(
        ("find_objects",),
        ("list_proposal_shipments", "get_proposal_results", "list_proposal_samples"),
        {"code": "$response.body#/items/0/_meta/proposal"},
        "the proposal of the first object found",
    ),
    *_each(OBJECT_ANSWERS, ("update_object",), AS_READ, "a change of the object as read"),
    *_each(OBJECT_ANSWERS, ("delete_object",), AS_READ, "a delete of the object as read"),
    *_each(OBJECT_ANSWERS, ("get_object_history",), BODY_UUID, "its history"),
    *[
        Link(s, t, {"uuid": "$response.body#/containerRef/$ref"}, "its container", name=n)
        for s in OBJECT_ANSWERS
        for t, n in (("get_object", "get_container"), ("record_event", "record_container_event"))
    ],
    *_each(
        OBJECT_ANSWERS,
        ("get_by_barcode", "record_event_by_barcode"),
        {"barcode": "$response.body#/barcode"},
        "its barcode",
    ),
    *_each(
        OBJECT_ANSWERS,
        ("list_proposal_shipments", "get_proposal_results", "list_proposal_samples"),
        {"code": "$response.body#/_meta/proposal"},
        "its proposal",
    ),
    *_each(
        ("list_proposal_shipments",),
        (*SHIPMENT_ROUTES, "get_object"),
        {"uuid": "$response.body#/0/uuid"},
        "the proposal's first shipment",
    ),
    *_each(
        ("list_proposal_samples",),
        ("get_object", "record_event"),
        {"uuid": "$response.body#/0/uuid"},
        "the first pin listed",
    ),
    Link(
        "list_proposal_shipments",
        "get_proposal_results",
        {"code": "$response.body#/0/proposal"},
        "the proposal's results file",
    ),
    *_each(
        ("get_events",),
        ("get_by_barcode", "record_event_by_barcode"),
        {"barcode": "$response.body#/barcode"},
        "its barcode",
    ),
    *_each(
        ("record_event", "record_event_by_barcode"),
        ("get_events", "get_object"),
        {"uuid": "$response.body#/subject"},
        "what the event is of",
        ("201",),
    ),
    *_each(("get_events",), ("get_object",), BODY_UUID, "the object"),
    *[
        Link("get_object_links", "get_object", {"uuid": f"$response.body#/{way}/0/uuid"}, d, name=n)
        for way, d, n in (
            ("forward", "what it links to", "get_forward"),
            ("reverse", "what links to it", "get_reverse"),
        )
    ],
    *_each(("get_object_provenance",), ("get_object",), {"uuid": "$response.body#/0/uuid"}, "root"),
    *_each(
        ("get_shipment_status",),
        ("get_object",),
        {"uuid": "$response.body#/positions/0/uuid"},
        "its first sample position",
    ),
    Link("create_key", "revoke_key", {"key_id": "$response.body#/id"}, "the key", ("201",)),
    Link("list_schemas", "get_schema", {"name": "$response.body#/0/name"}, "the first schema"),
    Link(
        "ispyb_push",
        "ispyb_shipping",
        {"shipping_id": "$response.body#/shippingId"},
        "the ISPyB Shipping pushed",
    ),
]


def add_links(document: dict[str, Any]) -> None:
    """Write :data:`LINKS` into the responses of an OpenAPI document."""
    operations = {
        op["operationId"]: op
        for path in document["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for link in LINKS:
        for status in link.statuses:
            response = operations[link.source]["responses"][status]
            response.setdefault("links", {})[link.key] = {
                "operationId": link.target,
                "parameters": link.parameters,
                "description": link.description,
            }
