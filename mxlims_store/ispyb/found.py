"""The rows a shipment already has in ISPyB: those its identity map names (still there), and
after a push interrupted between the ISPyB commit and the map, those found again by barcode
(within a shipping of the same proposal and name), ``crystalUUID``, ``DIFFRACTIONPLANUUID`` and
position; and the checks that need them (barcodes another row holds, two pins at one place)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mxlims_store.ispyb.database import Ispyb
from mxlims_store.ispyb.identity import mapped_rows
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.ispyb.ownership import foreign
from mxlims_store.ispyb.report import PushReport, named
from mxlims_store.ispyb.rows import Rows, existing
from mxlims_store.ispyb.shipment import ShipmentObjects


def found_rows(
    conn: sa.Connection,
    ispyb: Ispyb,
    objs: ShipmentObjects,
    options: PushOptions,
    report: PushReport,
    rows: Rows,
    proposal_id: int,
) -> dict[str, Any]:
    """uuid -> the ISPyB row already holding that object."""
    known = mapped_rows(objs.everything, options.domain)

    def mapped(obj: dict[str, Any], table: str) -> int | None:
        row = known.get(obj["uuid"])
        return row[1] if row and row[0] == table else None

    # -- rows already there: mapped, or found again after an interruption ----------------------
    stored: dict[str, dict[int, Any]] = {}
    for name, group in (
        ("Shipping", [objs.shipment]),
        ("Dewar", objs.dewars),
        ("Container", objs.pucks),
        ("BLSample", objs.pins),
        ("Crystal", objs.samples),
        ("Protein", objs.macromolecules),
        ("DiffractionPlan", objs.experiments),
    ):
        ids = [i for o in group if (i := mapped(o, name))]
        theirs = foreign(conn, ispyb, name, ids, proposal_id)  # never another proposal's row
        stored[name] = existing(conn, ispyb, name, [i for i in ids if i not in theirs])
    row_of: dict[str, Any] = {}
    for name, group in (
        ("Shipping", [objs.shipment]),
        ("Crystal", objs.samples),
        ("Protein", objs.macromolecules),
        ("DiffractionPlan", objs.experiments),
        ("Dewar", objs.dewars),
        ("Container", objs.pucks),
        ("BLSample", objs.pins),
    ):
        for obj in group:
            found = stored[name].get(mapped(obj, name) or -1)
            if found is not None:
                row_of[obj["uuid"]] = found
    # Found by uuid only within the proposal: another proposal's row is never taken over.
    by_crystal_uuid = _by_column(
        conn, ispyb, "Crystal", "crystalUUID", [s["uuid"] for s in objs.samples]
    )
    theirs = foreign(
        conn, ispyb, "Crystal", [r.crystalId for r in by_crystal_uuid.values()], proposal_id
    )
    by_crystal_uuid = {u: r for u, r in by_crystal_uuid.items() if r.crystalId not in theirs}
    by_plan_uuid = _by_column(
        conn, ispyb, "DiffractionPlan", "DIFFRACTIONPLANUUID", [e["uuid"] for e in objs.experiments]
    )
    plans = [r.diffractionPlanId for r in by_plan_uuid.values()]
    theirs = foreign(conn, ispyb, "DiffractionPlan", plans, proposal_id)
    by_plan_uuid = {u: r for u, r in by_plan_uuid.items() if r.diffractionPlanId not in theirs}
    for obj in objs.samples:
        _repair(row_of, report, obj, by_crystal_uuid.get(obj["uuid"]), "Crystal")
    for obj in objs.experiments:
        _repair(row_of, report, obj, by_plan_uuid.get(obj["uuid"]), "DiffractionPlan")
    dewar_barcodes = _by_column(
        conn, ispyb, "Dewar", "barCode", [d["barcode"] for d in objs.dewars if d.get("barcode")]
    )
    puck_barcodes = _by_column(
        conn, ispyb, "Container", "barcode", [p["barcode"] for p in objs.pucks if p.get("barcode")]
    )
    shipping_row = row_of.get(objs.shipment["uuid"])
    shippings = existing(
        conn, ispyb, "Shipping", [r._mapping["shippingId"] for r in dewar_barcodes.values()]
    )
    for dewar in objs.dewars:
        other = dewar_barcodes.get(dewar.get("barcode"))
        if dewar["uuid"] in row_of or other is None:
            continue
        shipping = shippings.get(other._mapping["shippingId"])
        ours = (
            shipping is not None
            and shipping._mapping["proposalId"] == proposal_id
            and shipping._mapping["shippingName"] == objs.shipment.get("name")
            and (shipping_row is None or shipping_row._mapping["shippingId"] == shipping.shippingId)
        )
        if ours:
            _repair(row_of, report, dewar, other, "Dewar")
            if shipping_row is None:
                shipping_row = shipping
                _repair(row_of, report, objs.shipment, shipping, "Shipping")
    our_dewars = {row_of[d["uuid"]].dewarId for d in objs.dewars if d["uuid"] in row_of}
    for puck in objs.pucks:
        other = puck_barcodes.get(puck.get("barcode"))
        if puck["uuid"] not in row_of and other is not None and other.dewarId in our_dewars:
            _repair(row_of, report, puck, other, "Container")
    _check_barcodes(rows, objs, row_of, dewar_barcodes, puck_barcodes, options, report)
    _check_positions(rows, objs)
    _repair_samples(conn, ispyb, objs, row_of, report)
    return row_of


def _by_column(
    conn: sa.Connection, ispyb: Ispyb, table: str, column: str, values: list[Any]
) -> dict[Any, Any]:
    if not values:
        return {}
    t = ispyb.t(table)
    rows = conn.execute(sa.select(t).where(t.c[column].in_(sorted(set(values)))))
    return {row._mapping[column]: row for row in rows}


def _repair(
    row_of: dict[str, Any], report: PushReport, obj: dict[str, Any], row: Any, table: str
) -> None:
    if row is not None and obj["uuid"] not in row_of:
        row_of[obj["uuid"]] = row
        report.repaired[table] += 1


def _repair_samples(
    conn: sa.Connection,
    ispyb: Ispyb,
    objs: ShipmentObjects,
    row_of: dict[str, Any],
    report: PushReport,
) -> None:
    """Pins not yet mapped, in a container found again: their BLSample by position."""
    containers = [row_of[p["uuid"]].containerId for p in objs.pucks if p["uuid"] in row_of]
    if not containers:
        return
    t = ispyb.t("BLSample")
    at = {
        (r.containerId, r.location): r
        for r in conn.execute(sa.select(t).where(t.c.containerId.in_(containers)))
    }
    for pin in objs.pins:
        puck_row = row_of.get(pin["containerRef"])
        if puck_row is not None and pin.get("positionInPuck") is not None:
            _repair(
                row_of,
                report,
                pin,
                at.get((puck_row.containerId, str(pin["positionInPuck"]))),
                "BLSample",
            )


def _check_barcodes(
    rows: Rows,
    objs: ShipmentObjects,
    row_of: dict[str, Any],
    dewar_barcodes: dict[Any, Any],
    puck_barcodes: dict[Any, Any],
    options: PushOptions,
    report: PushReport,
) -> None:
    """Dewar and Container barcodes are unique across ISPyB: another row's is refused, naming
    it, unless it is retired (its barcode cleared in the same transaction)."""
    for group, held, table, column, key in (
        (objs.dewars, dewar_barcodes, "Dewar", "barCode", "dewarId"),
        (objs.pucks, puck_barcodes, "Container", "barcode", "containerId"),
    ):
        for obj in group:
            other = held.get(obj.get("barcode"))
            mine = row_of.get(obj["uuid"])
            if other is None or (mine is not None and getattr(mine, key) == getattr(other, key)):
                continue
            where = f"ISPyB {table} {getattr(other, key)}"
            if options.retire_old_barcode:
                report.retire.append((table, getattr(other, key)))
                report.retired_barcodes.append(f"{obj['barcode']} (was {where})")
            else:
                rows.problems.append(
                    f"{named(obj)}: barcode {obj['barcode']!r} is already {where} "
                    f"({table}.{column} is unique across ISPyB; --retire-old-barcode "
                    "clears it there)"
                )


def retire_barcodes(conn: sa.Connection, ispyb: Ispyb, report: PushReport) -> None:
    for table, row_id in report.retire:
        t = ispyb.t(table)
        column = "barCode" if table == "Dewar" else "barcode"
        key = t.primary_key.columns[0]
        conn.execute(t.update().where(key == row_id).values({column: None}))


def _check_positions(rows: Rows, objs: ShipmentObjects) -> None:
    """ISPyB does not stop two pins at one position while subLocation is NULL: we do."""
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for pin in objs.pins:
        if pin.get("positionInPuck") is None:
            continue
        place = (pin["containerRef"], pin["positionInPuck"])
        if place in seen:
            rows.problems.append(
                f"{named(pin)}: position {place[1]} is also {named(seen[place])}'s "
                "(BLSample.location): one pin per position"
            )
        seen[place] = pin
