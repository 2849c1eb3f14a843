"""Pull ISPyB shippings out as one MXLIMS message, through the declared table.

Objects are keyed ``<Type><N>`` in row-id order and every value comes from a row, so the same
database gives the same bytes every time. Each object's uuid is the one the store recorded for
its row at push (identity map), else the row's own uuid column (``crystalUUID``,
``DIFFRACTIONPLANUUID``) when it holds a uuid, else one derived from the site's domain, the table
and the row id. What ISPyB lacks for the message is listed in ``lacks``, never invented.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from mxlims_store.ispyb import components
from mxlims_store.ispyb.database import Ispyb
from mxlims_store.ispyb.identity import row_name
from mxlims_store.ispyb.push import split_proposal
from mxlims_store.ispyb.table import Table, mapping, set_field, to_mxlims, whole_number

MODEL_VERSION = "0.6.13"
# uuid5 namespace of objects pulled from ISPyB (itself uuid5(NAMESPACE_URL, "mxlims-store:ispyb")).
NAMESPACE = uuidlib.uuid5(uuidlib.NAMESPACE_URL, "mxlims-store:ispyb")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ORDER = ("Shipment", "Dewar", "Puck", "Pin", "Macromolecule", "MacromoleculeSample", "MxExperiment")


@dataclass
class Rows:
    """The ISPyB rows of the shippings, by table, in id order."""

    by_table: dict[str, list[Any]] = field(default_factory=dict)
    proposals: dict[int, Any] = field(default_factory=dict)
    sessions: dict[int, Any] = field(default_factory=dict)
    people: dict[int, Any] = field(default_factory=dict)  # by labContactId: (cardName, Person)
    plans_of: dict[int, list[int]] = field(default_factory=dict)  # blSampleId -> plan ids
    components: dict[int, list[dict[str, str]]] = field(default_factory=dict)  # by crystalId

    def ids(self, table: str) -> list[int]:
        key = mapping().by_ispyb(table).key
        return [r._mapping[key] for r in self.by_table.get(table, [])]


def shipping_ids(
    conn: sa.Connection, ispyb: Ispyb, shipping_id: int | None, proposal: str | None
) -> list[int]:
    shipping = ispyb.t("Shipping")
    if shipping_id is not None:
        found = conn.execute(
            sa.select(shipping.c.shippingId).where(shipping.c.shippingId == shipping_id)
        ).scalar()
        return [int(found)] if found is not None else []
    parts = split_proposal(proposal or "")
    if parts is None:
        return []
    p = ispyb.t("Proposal")
    query = (
        sa.select(shipping.c.shippingId)
        .join(p, p.c.proposalId == shipping.c.proposalId)
        .where(p.c.proposalCode == parts[0], p.c.proposalNumber == parts[1])
        .order_by(shipping.c.shippingId)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def _select(
    conn: sa.Connection, ispyb: Ispyb, table: str, column: str, ids: list[Any]
) -> list[Any]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return []
    t = ispyb.t(table)
    key = t.primary_key.columns[0]
    return list(conn.execute(sa.select(t).where(t.c[column].in_(wanted)).order_by(key)))


def read_rows(conn: sa.Connection, ispyb: Ispyb, shippings: list[int]) -> Rows:
    rows = Rows()
    rows.by_table["Shipping"] = _select(conn, ispyb, "Shipping", "shippingId", shippings)
    rows.by_table["Dewar"] = _select(conn, ispyb, "Dewar", "shippingId", shippings)
    rows.by_table["Container"] = _select(conn, ispyb, "Container", "dewarId", rows.ids("Dewar"))
    samples = _select(conn, ispyb, "BLSample", "containerId", rows.ids("Container"))
    rows.by_table["BLSample"] = samples
    rows.by_table["Crystal"] = _select(
        conn, ispyb, "Crystal", "crystalId", [s.crystalId for s in samples]
    )
    rows.by_table["Protein"] = _select(
        conn, ispyb, "Protein", "proteinId", [c.proteinId for c in rows.by_table["Crystal"]]
    )
    rows.components = components.pulled(conn, ispyb, rows.ids("Crystal"))
    links = _select(
        conn,
        ispyb,
        "BLSample_has_DataCollectionPlan",
        "blSampleId",
        [s.blSampleId for s in samples],
    )
    for sample in samples:
        if sample.diffractionPlanId is not None:
            rows.plans_of.setdefault(sample.blSampleId, []).append(sample.diffractionPlanId)
    for link in sorted(
        links, key=lambda r: (r.blSampleId, r.planOrder or 0, r.dataCollectionPlanId)
    ):
        plans = rows.plans_of.setdefault(link.blSampleId, [])
        if link.dataCollectionPlanId not in plans:
            plans.append(link.dataCollectionPlanId)
    plan_ids = [p for plans in rows.plans_of.values() for p in plans]
    rows.by_table["DiffractionPlan"] = _select(
        conn, ispyb, "DiffractionPlan", "diffractionPlanId", plan_ids
    )
    shipping_rows = rows.by_table["Shipping"]
    rows.proposals = {
        r.proposalId: r
        for r in _select(
            conn, ispyb, "Proposal", "proposalId", [s.proposalId for s in shipping_rows]
        )
    }
    sessions = [c.sessionId for c in rows.by_table["Container"]]
    sessions += [d.firstExperimentId for d in rows.by_table["Dewar"]]
    rows.sessions = {
        r.sessionId: r for r in _select(conn, ispyb, "BLSession", "sessionId", sessions)
    }
    contacts = [s.sendingLabContactId for s in shipping_rows] + [
        s.returnLabContactId for s in shipping_rows
    ]
    lab, person = ispyb.t("LabContact"), ispyb.t("Person")
    wanted = sorted({c for c in contacts if c is not None})
    if wanted:
        query = (
            sa.select(
                lab.c.labContactId,
                lab.c.cardName,
                person.c.givenName,
                person.c.familyName,
                person.c.emailAddress,
                person.c.phoneNumber,
            )
            .join(person, person.c.personId == lab.c.personId)
            .where(lab.c.labContactId.in_(wanted))
        )
        rows.people = {r.labContactId: r for r in conn.execute(query)}
    return rows


class Builder:
    """Objects of the message, their keys and uuids."""

    def __init__(self, ispyb: Ispyb, domain: str, recorded: dict[str, str]) -> None:
        self.ispyb, self.domain, self.recorded = ispyb, domain, recorded
        self.message: dict[str, Any] = {"version": MODEL_VERSION}
        self.keys: dict[tuple[str, int], str] = {}  # (table, id) -> "#/Type/TypeN"
        self.used: set[str] = set()
        self.lacks: list[str] = []

    def uuid_for(self, table: str, row_id: int, own: str | None = None) -> str:
        found = self.recorded.get(row_name(table, row_id))
        if (
            found is None
            and own
            and _UUID.match(own.strip().lower())
            and own.strip().lower() not in self.used
        ):
            found = own.strip().lower()
        if found is None or found in self.used:
            found = str(uuidlib.uuid5(NAMESPACE, f"{self.domain}/{table}/{row_id}"))
        self.used.add(found)
        return found

    def add(self, type_name: str, table: str, row: Any, fields: dict[str, Any]) -> dict[str, Any]:
        spec: Table = mapping().tables[type_name]
        row_id = row._mapping[spec.key]
        own = row._mapping.get(spec.uuid_column) if spec.uuid_column else None
        obj: dict[str, Any] = {"mxlimsType": type_name, "uuid": self.uuid_for(table, row_id, own)}
        self.fill(obj, table, row, spec.own())
        obj.update({k: v for k, v in fields.items() if v is not None})
        obj["identifiers"] = {self.domain: row_name(table, row_id)}
        objects = self.message.setdefault(type_name, {})
        key = f"{type_name}{len(objects) + 1}"
        objects[key] = obj
        self.keys[(table, row_id)] = f"#/{type_name}/{key}"
        return obj

    def fill(self, obj: dict[str, Any], table: str, row: Any, columns: Any) -> None:
        for column in columns:
            raw = row._mapping.get(column.column)
            if isinstance(raw, str) and not raw.strip():
                continue
            value = to_mxlims(
                column, raw, single_precision=(table, column.column) in self.ispyb.float_columns
            )
            if value is not None:
                set_field(obj, column.field, value)

    def ref(self, table: str, row_id: int | None) -> dict[str, str] | None:
        key = self.keys.get((table, row_id)) if row_id is not None else None
        return {"$ref": key} if key else None

    def ordered(self) -> dict[str, Any]:
        return {
            "version": MODEL_VERSION,
            **{t: self.message[t] for t in ORDER if t in self.message},
        }


def _person(contact: Any) -> dict[str, Any]:
    name = " ".join(p for p in (contact.givenName, contact.familyName) if p) or contact.cardName
    person = {
        "name": name,
        "emailAddress": contact.emailAddress,
        "phoneNumber": contact.phoneNumber,
    }
    return {k: v for k, v in person.items() if v}


def _position(text: Any) -> int | None:
    return whole_number(text) if isinstance(text, str) else None


def build_message(ispyb: Ispyb, rows: Rows, domain: str, recorded: dict[str, str]) -> Builder:
    """The MXLIMS message of ``rows``; ``.lacks`` says what ISPyB does not have for it."""
    b = Builder(ispyb, domain, recorded)
    containers_of: dict[int, list[Any]] = {}
    for container in rows.by_table["Container"]:
        containers_of.setdefault(container.dewarId, []).append(container)
    dewars_of: dict[int, list[Any]] = {}
    for dewar in rows.by_table["Dewar"]:
        dewars_of.setdefault(dewar.shippingId, []).append(dewar)
    for shipping in rows.by_table["Shipping"]:
        proposal = rows.proposals[shipping.proposalId]
        fields: dict[str, Any] = {
            "proposalCode": f"{proposal.proposalCode}{proposal.proposalNumber}"
        }
        visits = {
            rows.sessions[s].visit_number
            for s in [
                c.sessionId
                for d in dewars_of.get(shipping.shippingId, [])
                for c in containers_of.get(d.dewarId, [])
            ]
            if s in rows.sessions
        }
        if len(visits) == 1:
            fields["sessionNumber"] = int(next(iter(visits)))
        for role, column, field_name in (
            ("sending", "sendingLabContactId", "labContactOutbound"),
            ("return", "returnLabContactId", "labContactReturn"),
        ):
            contact = rows.people.get(shipping._mapping[column])
            if contact is None:
                b.lacks.append(
                    f"Shipping {shipping.shippingId}: no {role} lab contact "
                    f"(Shipping.{column}): Shipment.{field_name} left out"
                )
            else:
                fields[field_name] = _person(contact)
        b.add("Shipment", "Shipping", shipping, fields)
    for dewar in rows.by_table["Dewar"]:
        b.add("Dewar", "Dewar", dewar, {"containerRef": b.ref("Shipping", dewar.shippingId)})
    for container in rows.by_table["Container"]:
        b.add("Puck", "Container", container, {"containerRef": b.ref("Dewar", container.dewarId)})
    for protein in rows.by_table["Protein"]:
        if not (protein.acronym or "").strip():
            b.lacks.append(
                f"Protein {protein.proteinId}: no acronym (Protein.acronym): "
                "the Macromolecule is left out"
            )
            continue
        b.add("Macromolecule", "Protein", protein, {})
    crystals = {c.crystalId: c for c in rows.by_table["Crystal"]}
    for crystal in rows.by_table["Crystal"]:
        b.add(
            "MacromoleculeSample",
            "Crystal",
            crystal,
            {
                "parentSampleRef": b.ref("Protein", crystal.proteinId),
                "components": rows.components.get(crystal.crystalId),
            },
        )
    for sample in rows.by_table["BLSample"]:
        crystal = crystals.get(sample.crystalId)
        pin = b.add(
            "Pin",
            "BLSample",
            sample,
            {
                "containerRef": b.ref("Container", sample.containerId),
                "sampleRef": b.ref("Crystal", sample.crystalId),
            },
        )
        if crystal is not None and pin.get("name") == crystal.name:
            del pin["name"]  # ISPyB shows the sample's name on BLSample: not the pin's own
        if sample.location is not None and "positionInPuck" not in pin:
            b.lacks.append(
                f"BLSample {sample.blSampleId}: location {sample.location!r} is not a "
                "position number: Pin.positionInPuck left out"
            )
    plans = {p.diffractionPlanId: p for p in rows.by_table["DiffractionPlan"]}
    experiment = mapping().tables["MxExperiment"]
    for sample in rows.by_table["BLSample"]:
        crystal = crystals.get(sample.crystalId)
        for plan_id in rows.plans_of.get(sample.blSampleId, []):
            if ("DiffractionPlan", plan_id) in b.keys or plan_id not in plans:
                continue  # a plan shared by several pins is one experiment, on the first
            obj = b.add(
                "MxExperiment",
                "DiffractionPlan",
                plans[plan_id],
                {
                    "logisticalSampleRef": b.ref("BLSample", sample.blSampleId),
                    "sampleRef": b.ref("Crystal", sample.crystalId),
                },
            )
            if crystal is not None:
                b.fill(obj, "Crystal", crystal, experiment.elsewhere("Crystal"))
            cell = obj.get("expectedUnitCell")
            if isinstance(cell, dict) and len(cell) < 6:
                del obj["expectedUnitCell"]
                b.lacks.append(
                    f"Crystal {sample.crystalId}: an incomplete cell: expectedUnitCell left out"
                )
    _one_per_place(b, "Puck", "positionInDewar", "Container.sampleChangerLocation")
    _one_per_place(b, "Pin", "positionInPuck", "BLSample.location")
    return b


def _one_per_place(b: Builder, type_name: str, field_name: str, column: str) -> None:
    """ISPyB lets two rows claim one place; MXLIMS (and the store) do not: such places are
    left out and said."""
    taken: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for obj in b.message.get(type_name, {}).values():
        if field_name in obj and obj.get("containerRef"):
            taken.setdefault((obj["containerRef"]["$ref"], obj[field_name]), []).append(obj)
    for (_, place), objs in sorted(taken.items(), key=lambda item: str(item[0])):
        if len(objs) > 1:
            for obj in objs:
                del obj[field_name]
            rows = ", ".join(o["identifiers"][b.domain] for o in objs)
            b.lacks.append(f"{rows} share {column} {place}: {type_name}.{field_name} left out")


def pull_rows(
    ispyb: Ispyb, shipping_id: int | None, proposal: str | None
) -> tuple[Rows, list[int]]:
    with ispyb.engine.connect() as conn:
        found = shipping_ids(conn, ispyb, shipping_id, proposal)
        return read_rows(conn, ispyb, found), found
