"""A MacromoleculeSample's components (ligands, additives) as ISPyB Component rows, reused within
the proposal by name and composition, linked to the sample's Crystal by CrystalComposition.

MXLIMS's SampleComponent names a component by acronym or name and gives its structure as SMILES;
ISPyB's Component has one ``name`` and a ``composition`` (the SMILES). A component with only a
SMILES takes it as its name too; a pull gives back only what differs from it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mxlims_store.ispyb.database import Ispyb
from mxlims_store.ispyb.report import PushReport, named
from mxlims_store.ispyb.rows import Rows, new_id

_HELD = {"acronym", "name", "smiles"}


def _kind(component: dict[str, Any]) -> str:
    if component.get("smiles") or component.get("selfies"):
        return "Ligand"
    return "Protein" if component.get("sequence") else "Small Molecule"


def plan(rows: Rows, sample: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """(name, composition, ComponentType) per component of ``sample``, checked."""
    planned = []
    for n, component in enumerate(sample.get("components") or []):
        if not isinstance(component, dict):
            continue
        name = component.get("acronym") or component.get("name") or component.get("smiles")
        if not name:
            rows.report.losses.append(
                f"{named(sample)}: components/{n} has no acronym, name or SMILES: left out"
            )
            continue
        for field in sorted(set(component) - _HELD):
            rows.report.losses.append(f"{named(sample)}: components/{n}/{field}: no ISPyB column")
        rows.text(sample, f"components/{n}", "Component", "name", str(name))
        if component.get("smiles"):
            rows.text(
                sample, f"components/{n}/smiles", "Component", "composition", component["smiles"]
            )
        planned.append((str(name), component.get("smiles"), _kind(component)))
    return planned


def write(
    conn: sa.Connection,
    ispyb: Ispyb,
    report: PushReport,
    proposal_id: int,
    crystal_id: int,
    planned: list[tuple[str, str | None, str]],
) -> None:
    component, link, kinds = (
        ispyb.t("Component"),
        ispyb.t("CrystalComposition"),
        ispyb.t("ComponentType"),
    )
    there = set(
        conn.execute(sa.select(link.c.componentId).where(link.c.crystalId == crystal_id)).scalars()
    )
    for name, composition, kind in planned:
        found = conn.execute(
            sa.select(component.c.componentId)
            .where(component.c.proposalId == proposal_id, component.c.name == name)
            .where(
                component.c.composition.is_(None)
                if composition is None
                else component.c.composition == composition
            )
            .order_by(component.c.componentId)
        ).scalar()
        if found is None:
            type_id = conn.execute(
                sa.select(kinds.c.componentTypeId).where(kinds.c.name == kind)
            ).scalar()
            if type_id is None:
                report.losses.append(
                    f"Component {name!r}: ISPyB has no ComponentType {kind!r}: left out"
                )
                continue
            found = new_id(
                conn.execute(
                    component.insert().values(
                        componentTypeId=type_id,
                        proposalId=proposal_id,
                        name=name,
                        composition=composition,
                    )
                )
            )
            report.created["Component"] += 1
        if found not in there:
            conn.execute(link.insert().values(componentId=found, crystalId=crystal_id))
            report.created["CrystalComposition"] += 1
            there.add(found)


def pulled(
    conn: sa.Connection, ispyb: Ispyb, crystals: list[int]
) -> dict[int, list[dict[str, str]]]:
    """Crystal id -> its components as MXLIMS gives them."""
    if not crystals:
        return {}
    component, link = ispyb.t("Component"), ispyb.t("CrystalComposition")
    query = (
        sa.select(link.c.crystalId, component.c.name, component.c.composition)
        .join(component, component.c.componentId == link.c.componentId)
        .where(link.c.crystalId.in_(sorted(set(crystals))))
        .order_by(link.c.crystalId, link.c.crystalCompositionId)
    )
    found: dict[int, list[dict[str, str]]] = {}
    for crystal_id, name, composition in conn.execute(query):
        one = {"name": name} if name != composition else {}
        if composition:
            one["smiles"] = composition
        found.setdefault(crystal_id, []).append(one)
    return found
