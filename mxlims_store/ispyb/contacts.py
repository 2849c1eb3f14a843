"""The shipment's lab contacts as ISPyB Person + LabContact rows: reused within the proposal (by
e-mail, else by name), created only when absent. MXLIMS's Person has one ``name``; ISPyB splits
it into givenName and familyName (the last word) and shows it as the LabContact's cardName."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mxlims_store.ispyb.database import Ispyb
from mxlims_store.ispyb.report import PushReport
from mxlims_store.ispyb.rows import Rows, new_id

ROLES = (("labContactOutbound", "sending"), ("labContactReturn", "return"))


@dataclass(frozen=True)
class Contact:
    role: str
    name: str
    email: str | None
    phone: str | None

    @property
    def given_family(self) -> tuple[str, str]:
        given, _, family = self.name.strip().rpartition(" ")
        return given, family


def plan(rows: Rows, shipment: dict[str, Any]) -> list[Contact]:
    """The contacts to find or create, each checked against its columns."""
    found = []
    for field, role in ROLES:
        person = shipment.get(field)
        if not isinstance(person, dict) or not person.get("name"):
            continue
        contact = Contact(
            role, person["name"], person.get("emailAddress"), person.get("phoneNumber")
        )
        given, family = contact.given_family
        label = f"{field}.name"
        rows.text(shipment, label, "LabContact", "cardName", contact.name)
        rows.text(shipment, label, "Person", "givenName", given)
        rows.text(shipment, label, "Person", "familyName", family)
        if contact.email:
            rows.text(shipment, f"{field}.emailAddress", "Person", "emailAddress", contact.email)
        if contact.phone:
            rows.text(shipment, f"{field}.phoneNumber", "Person", "phoneNumber", contact.phone)
        found.append(contact)
    return found


def write(
    conn: sa.Connection, ispyb: Ispyb, report: PushReport, contacts: list[Contact], proposal_id: int
) -> tuple[int | None, int | None]:
    """(sendingLabContactId, returnLabContactId)."""
    ids: dict[str, int] = {}
    for contact in contacts:
        ids[contact.role] = _lab_contact(conn, ispyb, report, contact, proposal_id)
    return ids.get("sending"), ids.get("return")


def _lab_contact(
    conn: sa.Connection, ispyb: Ispyb, report: PushReport, contact: Contact, proposal_id: int
) -> int:
    lab, person = ispyb.t("LabContact"), ispyb.t("Person")
    query = sa.select(lab.c.labContactId).join(person, person.c.personId == lab.c.personId)
    query = query.where(lab.c.proposalId == proposal_id)
    by_email = (
        contact.email and conn.execute(query.where(person.c.emailAddress == contact.email)).scalar()
    )
    found = by_email or conn.execute(query.where(lab.c.cardName == contact.name)).scalar()
    if found:
        return int(found)
    given, family = contact.given_family
    person_id = new_id(
        conn.execute(
            person.insert().values(
                givenName=given or None,
                familyName=family,
                emailAddress=contact.email,
                phoneNumber=contact.phone,
            )
        )
    )
    report.created["Person"] += 1
    lab_id = new_id(
        conn.execute(
            lab.insert().values(personId=person_id, cardName=contact.name, proposalId=proposal_id)
        )
    )
    report.created["LabContact"] += 1
    return int(lab_id)
