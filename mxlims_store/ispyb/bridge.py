"""The bridge's two entry points over a store: push a stored shipment into ISPyB, pull ISPyB
shippings out as an MXLIMS message. ISPyB work runs in a worker thread (SQLAlchemy Core and
PyMySQL are blocking), never on the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from mxlims_store.errors import NotFound, PermissionDenied
from mxlims_store.ispyb import events as event_rows
from mxlims_store.ispyb import identity
from mxlims_store.ispyb.database import Ispyb, connect, database_errors
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.ispyb.pull import build_message, pull_rows
from mxlims_store.ispyb.push import Pushed, push_shipment
from mxlims_store.ispyb.report import IspybRefused, PushReport
from mxlims_store.ispyb.shipment import ShipmentObjects, shipment_objects
from mxlims_store.ispyb.table import mapping
from mxlims_store.store import Store


async def push(store: Store, shipment_uuid: str, url: str, options: PushOptions) -> PushReport:
    """Push the stored shipment ``shipment_uuid`` (and with ``options.results`` what came back
    for it) into the ISPyB at ``url``; then keep uuid <-> row in the store."""
    _staff_only(store, "push to ISPyB")
    message = await store.export(shipment_uuid, direction="both")
    objs = shipment_objects(dict(message), shipment_uuid)
    if options.session is None:
        options.session = objs.shipment.get("sessionNumber")
    if options.results and options.session is None:
        raise IspybRefused(
            [
                "--results needs a session (DataCollectionGroup.sessionId): give --session N "
                "or the Shipment's sessionNumber"
            ]
        )
    journeys: dict[str, list[dict[str, Any]]] = {}
    if options.events:
        shipment_journey = (await store.where(shipment_uuid)).to_dict()["events"]
        for dewar in objs.dewars:
            own = (await store.where(dewar["uuid"])).to_dict()["events"]
            journeys[dewar["uuid"]] = sorted([*shipment_journey, *own], key=lambda e: e["time"])
    ispyb = await asyncio.to_thread(connect, url)
    try:
        report, pushed = await asyncio.to_thread(
            database_errors(_push_rows, ispyb), ispyb, objs, options, journeys
        )
    finally:
        await asyncio.to_thread(ispyb.engine.dispose)
    if not options.dry_run:
        await identity.record(store, dict(message), options.domain, pushed.names())
    return report


def _staff_only(store: Store, action: str) -> None:
    """The facility's own database is for its staff: members never reach it."""
    if store.caller.effective_role not in ("staff", "admin"):
        raise PermissionDenied(f"only facility staff may {action}")


def _push_rows(
    ispyb: Ispyb,
    objs: ShipmentObjects,
    options: PushOptions,
    journeys: dict[str, list[dict[str, Any]]],
) -> tuple[PushReport, Pushed]:
    report = PushReport(
        shipment=objs.shipment["uuid"],
        database=ispyb.url,
        proposal=objs.shipment["proposalCode"],
        session=options.session,
        dry_run=options.dry_run,
    )
    with ispyb.engine.connect() as conn:
        transaction = conn.begin()
        try:
            pushed = push_shipment(conn, ispyb, objs, options, report)
            if options.results:
                from mxlims_store.ispyb.results import push_results

                push_results(conn, ispyb, objs, options, report, pushed)
            if journeys:
                containers: dict[int, list[int]] = {}
                for puck in objs.pucks:
                    dewar_id = pushed.ids[puck["containerRef"]]
                    containers.setdefault(dewar_id, []).append(pushed.ids[puck["uuid"]])
                per_dewar = {pushed.ids[u]: journey for u, journey in journeys.items()}
                event_rows.write(conn, ispyb, report, per_dewar, containers, options.timezone)
        except BaseException:
            transaction.rollback()
            raise
        if options.dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    report.shipping_id = pushed.ids.get(objs.shipment["uuid"])
    return report, pushed


@dataclass
class Pulled:
    """An MXLIMS message of ISPyB shippings and what ISPyB lacks for it."""

    message: dict[str, Any]
    lacks: list[str]
    shippings: list[int]


async def pull(
    store: Store,
    url: str,
    *,
    shipping_id: int | None = None,
    proposal: str | None = None,
    domain: str = identity.DEFAULT_DOMAIN,
    timezone: str = "UTC",
) -> Pulled:
    """ISPyB's Shipping ``shipping_id`` (or every Shipping of ``proposal``) as one message;
    uuids are those the store recorded at push, else derived from ``domain`` and the row."""
    _staff_only(store, "pull from ISPyB")
    del timezone  # no times are pulled yet: the shipment part of ISPyB has none MXLIMS holds
    ispyb = await asyncio.to_thread(connect, url)
    try:
        rows, found = await asyncio.to_thread(
            database_errors(pull_rows, ispyb), ispyb, shipping_id, proposal
        )
    finally:
        await asyncio.to_thread(ispyb.engine.dispose)
    if not found:
        what = f"Shipping {shipping_id}" if shipping_id is not None else f"Shipping of {proposal}"
        raise NotFound(f"ISPyB at {ispyb.url} has no {what}")
    names = [
        identity.row_name(table, row._mapping[mapping().by_ispyb(table).key])
        for table, table_rows in rows.by_table.items()
        for row in table_rows
    ]
    proposals = {f"{p.proposalCode}{p.proposalNumber}" for p in rows.proposals.values()}
    recorded = await identity.uuids_of_rows(store, domain, names, proposals)
    built = await asyncio.to_thread(build_message, ispyb, rows, domain, recorded)
    return Pulled(built.ordered(), built.lacks, found)
