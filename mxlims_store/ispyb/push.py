"""Push a stored shipment into ISPyB in one ISPyB transaction.

Order of work: look up the prerequisites (Proposal, BLSession: the user office's, never
created); find the rows this shipment already has (the identity map in the store, else, after
an interrupted push, by barcode, ``crystalUUID`` and ``DIFFRACTIONPLANUUID``); build every row
through the declared table and check it (text ISPyB cannot hold, barcodes another row holds);
only then write, parents first. Any problem raises :class:`IspybRefused` before the first write;
any database error rolls the whole transaction back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from mxlims_store.ispyb import components, contacts
from mxlims_store.ispyb.database import Ispyb
from mxlims_store.ispyb.events import now_naive
from mxlims_store.ispyb.found import found_rows, retire_barcodes
from mxlims_store.ispyb.identity import row_name
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.ispyb.report import IspybRefused, PushReport, named
from mxlims_store.ispyb.rows import Rows, put
from mxlims_store.ispyb.shipment import ShipmentObjects
from mxlims_store.ispyb.table import mapping


@dataclass
class Pushed:
    """What a push knows while it writes: row ids by object uuid."""

    proposal_id: int
    session_id: int | None
    ids: dict[str, int] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)  # uuid -> ISPyB table

    def keep(self, obj: dict[str, Any], table: str, row_id: int) -> None:
        self.ids[obj["uuid"]] = row_id
        self.tables[obj["uuid"]] = table

    def names(self) -> dict[str, str]:
        return {u: row_name(self.tables[u], i) for u, i in self.ids.items()}


def split_proposal(code: str) -> tuple[str, str] | None:
    """ "mx40251" -> ("mx", "40251"): ISPyB's proposalCode and proposalNumber."""
    found = re.fullmatch(r"\s*([A-Za-z]+)-?(\d+)\s*", code or "")
    return (found.group(1), found.group(2)) if found else None


def prerequisites(conn: sa.Connection, ispyb: Ispyb, code: str, visit: int | None) -> Pushed:
    parts = split_proposal(code)
    if parts is None:
        raise IspybRefused(
            [f"Shipment proposalCode {code!r} is not an ISPyB proposal (letters then digits)"]
        )
    proposal, session = ispyb.t("Proposal"), ispyb.t("BLSession")
    proposal_id = conn.execute(
        sa.select(proposal.c.proposalId).where(
            proposal.c.proposalCode == parts[0], proposal.c.proposalNumber == parts[1]
        )
    ).scalar()
    missing = []
    if proposal_id is None:
        missing.append(
            f"ISPyB has no Proposal {code} (Proposal.proposalCode={parts[0]!r}, "
            f"proposalNumber={parts[1]!r}): the user office creates it"
        )
    session_id = None
    if visit is not None:
        if proposal_id is not None:
            session_id = conn.execute(
                sa.select(session.c.sessionId).where(
                    session.c.proposalId == proposal_id, session.c.visit_number == visit
                )
            ).scalar()
        if session_id is None:
            missing.append(
                f"ISPyB has no BLSession {code}-{visit} (BLSession.visit_number={visit}): "
                "the user office creates it"
            )
    if missing or proposal_id is None:
        raise IspybRefused(missing)
    return Pushed(proposal_id=int(proposal_id), session_id=session_id)


def _container_type(conn: sa.Connection, ispyb: Ispyb, capacity: int) -> Any:
    t = ispyb.t("ContainerType")
    return conn.execute(
        sa.select(t)
        .where(t.c.proposalType == "mx", t.c.active == 1, t.c.capacity == capacity)
        .where(t.c.name.like("Puck%"))
        .order_by(t.c.containerTypeId)
    ).first()


def push_shipment(
    conn: sa.Connection,
    ispyb: Ispyb,
    objs: ShipmentObjects,
    options: PushOptions,
    report: PushReport,
) -> Pushed:
    """Every row of the shipment written (or found unchanged) inside ``conn``'s transaction."""
    table_of = mapping().tables
    pushed = prerequisites(conn, ispyb, objs.shipment["proposalCode"], options.session)
    rows = Rows(ispyb, report)
    row_of = found_rows(conn, ispyb, objs, options, report, rows, pushed.proposal_id)

    # -- every row built and checked before the first write --------------------------------
    shipment = objs.shipment
    shipping_values = rows.values(shipment, "Shipping", table_of["Shipment"].own())
    shipping_values["proposalId"] = pushed.proposal_id
    rows.losses_of(
        shipment, ["proposalCode", "sessionNumber", "labContactOutbound", "labContactReturn"]
    )
    people = contacts.plan(rows, shipment)
    values: dict[str, dict[str, Any]] = {}
    for obj in [*objs.dewars, *objs.pucks, *objs.pins, *objs.samples, *objs.macromolecules]:
        spec = table_of[obj["mxlimsType"]]
        values[obj["uuid"]] = rows.values(obj, spec.ispyb, spec.own())
        rows.losses_of(obj, ["components"])
    composed = {s["uuid"]: components.plan(rows, s) for s in objs.samples if s.get("components")}
    for obj in objs.experiments:
        spec = table_of["MxExperiment"]
        values[obj["uuid"]] = rows.values(obj, spec.ispyb, spec.own())
        values[obj["uuid"]]["DIFFRACTIONPLANUUID"] = obj["uuid"]
        templates = [
            objs.everything[u] for u in obj.get("templateDataRefs") or [] if u in objs.everything
        ]
        if templates:
            rows.values(
                templates[0], "DiffractionPlan", mapping().templates, into=values[obj["uuid"]]
            )
            held = {c.field.split(".")[0] for c in mapping().templates}
            rows.losses_of(templates[0], held | {"scanAxis"}, declared=False)
        for extra in templates[1:]:
            report.losses.append(
                f"{named(extra)}: a second template sweep of {named(obj)}: "
                "a DiffractionPlan holds one"
            )
        rows.losses_of(obj, ["jobStatus", "templateDataRefs"])
        sample = obj.get("sampleRef") or (objs.pin_of(obj.get("logisticalSampleRef")) or {}).get(
            "sampleRef"
        )
        if sample in values:
            crystal = rows.values(obj, "Crystal", spec.elsewhere("Crystal"))
            for column, value in crystal.items():
                kept = values[sample].setdefault(column, value)
                if kept != value:
                    report.losses.append(
                        f"{named(obj)}: Crystal.{column} {value!r} differs from another "
                        f"experiment's {kept!r} on the same sample: the first is kept"
                    )
    for obj in objs.unsupported:
        report.losses.append(
            f"{named(obj)}: a {obj['mxlimsType']} has no ISPyB table here: left out"
        )
    if rows.problems:
        raise IspybRefused(rows.problems)

    # -- write, parents first --------------------------------------------------------------
    retire_barcodes(conn, ispyb, report)
    sending, returning = contacts.write(conn, ispyb, report, people, pushed.proposal_id)
    if sending is not None:
        shipping_values["sendingLabContactId"] = sending
    if returning is not None:
        shipping_values["returnLabContactId"] = returning
    stamp = {"bltimeStamp": now_naive(options.timezone)}
    pushed.keep(
        shipment,
        "Shipping",
        put(
            conn,
            ispyb,
            report,
            "Shipping",
            shipping_values,
            row_of.get(shipment["uuid"]),
            created={**stamp, "creationDate": stamp["bltimeStamp"]},
        ),
    )
    proteins = _by_acronym(conn, ispyb, pushed.proposal_id)
    for obj in objs.macromolecules:
        row = row_of.get(obj["uuid"])
        if row is None and obj.get("acronym") in proteins:
            pushed.keep(obj, "Protein", proteins[obj["acronym"]])  # reused, left as it is
            continue
        values[obj["uuid"]]["proposalId"] = pushed.proposal_id
        pushed.keep(obj, "Protein", put(conn, ispyb, report, "Protein", values[obj["uuid"]], row))
    for obj in objs.experiments:
        pushed.keep(
            obj,
            "DiffractionPlan",
            put(
                conn, ispyb, report, "DiffractionPlan", values[obj["uuid"]], row_of.get(obj["uuid"])
            ),
        )
    for obj in objs.samples:
        row_values = values[obj["uuid"]]
        row_values["crystalUUID"] = obj["uuid"]
        row_values["proteinId"] = pushed.ids.get(obj.get("parentSampleRef") or "", 0) or None
        if row_values["proteinId"] is None:
            rows.problems.append(
                f"{named(obj)}: no Macromolecule: Crystal.proteinId needs a Protein"
            )
            raise IspybRefused(rows.problems)
        pushed.keep(
            obj, "Crystal", put(conn, ispyb, report, "Crystal", row_values, row_of.get(obj["uuid"]))
        )
        if obj["uuid"] in composed:
            crystal_id = pushed.ids[obj["uuid"]]
            planned = composed[obj["uuid"]]
            components.write(conn, ispyb, report, pushed.proposal_id, crystal_id, planned)
    for obj in objs.dewars:
        row_values = values[obj["uuid"]]
        row_values["shippingId"] = pushed.ids[shipment["uuid"]]
        if pushed.session_id is not None:
            row_values["firstExperimentId"] = pushed.session_id
        pushed.keep(
            obj,
            "Dewar",
            put(conn, ispyb, report, "Dewar", row_values, row_of.get(obj["uuid"]), created=stamp),
        )
    for obj in objs.pucks:
        row_values = values[obj["uuid"]]
        row_values["dewarId"] = pushed.ids[obj["containerRef"]]
        capacity = obj.get("numberPositions") or 16
        kind = _container_type(conn, ispyb, capacity)
        if kind is None:
            report.losses.append(
                f"{named(obj)}: ISPyB has no ContainerType for a {capacity}-position "
                f"{obj.get('puckType') or 'puck'}: Container.containerTypeId left empty"
            )
        else:
            row_values["containerTypeId"] = kind.containerTypeId
        row_values.setdefault("capacity", capacity)
        if pushed.session_id is not None:
            row_values["sessionId"] = pushed.session_id
        pushed.keep(
            obj,
            "Container",
            put(
                conn, ispyb, report, "Container", row_values, row_of.get(obj["uuid"]), created=stamp
            ),
        )
    plans_of: dict[str, list[int]] = {}
    for obj in objs.experiments:
        pin = objs.pin_of(obj.get("logisticalSampleRef"))
        if pin is not None:
            plans_of.setdefault(pin["uuid"], []).append(pushed.ids[obj["uuid"]])
    for obj in objs.pins:
        row_values = values[obj["uuid"]]
        row_values["containerId"] = pushed.ids[obj["containerRef"]]
        sample = objs.everything.get(obj.get("sampleRef") or "")
        if sample is not None:
            row_values["crystalId"] = pushed.ids.get(sample["uuid"])
            if "name" not in row_values and sample.get("name"):
                row_values["name"] = sample["name"]
        plans = plans_of.get(obj["uuid"], [])
        if plans:
            row_values["diffractionPlanId"] = plans[0]
        pushed.keep(
            obj,
            "BLSample",
            put(conn, ispyb, report, "BLSample", row_values, row_of.get(obj["uuid"])),
        )
    _link_plans(conn, ispyb, report, pushed, plans_of)
    return pushed


def _by_acronym(conn: sa.Connection, ispyb: Ispyb, proposal_id: int) -> dict[str, int]:
    t = ispyb.t("Protein")
    found: dict[str, int] = {}
    for row in conn.execute(
        sa.select(t.c.proteinId, t.c.acronym)
        .where(t.c.proposalId == proposal_id)
        .order_by(t.c.proteinId)
    ):
        found.setdefault(row.acronym, row.proteinId)
    return found


def _link_plans(
    conn: sa.Connection,
    ispyb: Ispyb,
    report: PushReport,
    pushed: Pushed,
    plans_of: dict[str, list[int]],
) -> None:
    t = ispyb.t("BLSample_has_DataCollectionPlan")
    samples = [pushed.ids[p] for p in plans_of]
    if not samples:
        return
    there = {
        (r.blSampleId, r.dataCollectionPlanId)
        for r in conn.execute(sa.select(t).where(t.c.blSampleId.in_(samples)))
    }
    new = [
        {"blSampleId": pushed.ids[pin], "dataCollectionPlanId": plan, "planOrder": order}
        for pin, plans in plans_of.items()
        for order, plan in enumerate(plans)
        if (pushed.ids[pin], plan) not in there
    ]
    if new:
        conn.execute(t.insert(), new)
        report.created["BLSample_has_DataCollectionPlan"] += len(new)


__all__ = ["PushOptions", "Pushed", "push_shipment", "split_proposal"]
