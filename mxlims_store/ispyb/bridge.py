"""The bridge's two entry points over a store: push a stored shipment into ISPyB, pull ISPyB
shippings out as an MXLIMS message. ISPyB work runs in a worker thread (SQLAlchemy Core and
PyMySQL are blocking), never on the event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from mxlims_store.ispyb import events as event_rows
from mxlims_store.ispyb import identity
from mxlims_store.ispyb.database import Ispyb, connect
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.ispyb.push import Pushed, push_shipment
from mxlims_store.ispyb.report import IspybRefused, PushReport
from mxlims_store.ispyb.shipment import ShipmentObjects, shipment_objects
from mxlims_store.store import Store


async def push(store: Store, shipment_uuid: str, url: str, options: PushOptions) -> PushReport:
    """Push the stored shipment ``shipment_uuid`` (and with ``options.results`` what came back
    for it) into the ISPyB at ``url``; then keep uuid <-> row in the store."""
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
        shipment_journey = (await store.where(shipment_uuid))["events"]
        for dewar in objs.dewars:
            own = (await store.where(dewar["uuid"]))["events"]
            journeys[dewar["uuid"]] = sorted([*shipment_journey, *own], key=lambda e: e["time"])
    ispyb = await asyncio.to_thread(connect, url)
    try:
        report, pushed = await asyncio.to_thread(_push_rows, ispyb, objs, options, journeys)
    finally:
        await asyncio.to_thread(ispyb.engine.dispose)
    if not options.dry_run:
        await identity.record(store, dict(message), options.domain, pushed.names())
    return report


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
