"""Which objects of a message make each row of a facility sheet, and in which order.

One row per Pin (or PinPosition of a multi-position pin), with the puck, dewar and shipment it
sits in, its sample and protein, and the experiment, template sweep and processing on it;
``$ref`` links are followed inside the message. Rows are ordered by dewar, puck and position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Ident = tuple[str, str]  # (type, key) of an object in the message


class MessageIndex:
    def __init__(self, message: dict[str, Any]) -> None:
        self.objects: dict[Ident, dict[str, Any]] = {}
        self.order: dict[Ident, int] = {}
        for type_, bucket in message.items():
            if type_ == "version" or not isinstance(bucket, dict):
                continue
            for key, obj in bucket.items():
                if isinstance(obj, dict):
                    self.order[(type_, key)] = len(self.order)
                    self.objects[(type_, key)] = obj

    def target(self, obj: dict[str, Any] | None, name: str) -> Ident | None:
        if obj is None:
            return None
        link = obj.get(name)
        if isinstance(link, dict) and isinstance(link.get("$ref"), str):
            m = re.fullmatch(r"#/([^/]+)/([^/]+)", link["$ref"])
            if m and (m.group(1), m.group(2)) in self.objects:
                return (m.group(1), m.group(2))
        return None

    def targets(self, obj: dict[str, Any], name: str) -> list[Ident]:
        out = []
        for link in obj.get(name) or []:
            t = self.target({"x": link}, "x")
            if t:
                out.append(t)
        return out

    def of_type(self, *types: str) -> list[Ident]:
        return [i for i in self.objects if i[0] in types]


@dataclass
class SheetRow:
    objs: dict[str, Ident]  # role (MXLIMS type name as used by the columns) -> object

    def get(self, role: str) -> Ident | None:
        return self.objs.get(role)


def _jobs_by_target(
    ix: MessageIndex, job_type: str
) -> tuple[dict[Ident, Ident], dict[Ident, Ident]]:
    """The first job of ``job_type`` per holder (pin ...); for jobs without holder, per sample."""
    by_holder: dict[Ident, Ident] = {}
    by_sample: dict[Ident, Ident] = {}
    jobs = ix.of_type(job_type)
    jobs.sort(key=lambda job: ix.objects[job].get("jobStatus") != "Template")  # the plan first
    for job in jobs:
        obj = ix.objects[job]
        holder = _row_holder(ix, ix.target(obj, "logisticalSampleRef"))
        if holder:
            by_holder.setdefault(holder, job)
        elif (sample := ix.target(obj, "sampleRef")) is not None:
            by_sample.setdefault(sample, job)
    return by_holder, by_sample


def _row_holder(ix: MessageIndex, ident: Ident | None) -> Ident | None:
    """The pin (or sub-position) a job is about: after a facility's results a job points at
    the Crystal mounted on the pin, not at the pin itself."""
    for _ in range(4):
        if ident is None or ident[0] != "Crystal":
            return ident
        ident = ix.target(ix.objects[ident], "containerRef")
    return ident


def sheet_rows(ix: MessageIndex) -> list[SheetRow]:
    experiments, by_sample = _jobs_by_target(ix, "MxExperiment")
    processings, proc_by_sample = _jobs_by_target(ix, "MxProcessing")

    rows: list[SheetRow] = []
    for ls in ix.of_type("Pin", "PinPosition"):
        objs: dict[str, Ident] = {ls[0]: ls}
        pin_like = ls
        if ls[0] == "PinPosition":
            mp = ix.target(ix.objects[ls], "containerRef")
            if mp:
                objs["MultiPin"] = mp
                pin_like = mp
        puck = ix.target(ix.objects[pin_like], "containerRef")
        dewar = ix.target(ix.objects[puck], "containerRef") if puck else None
        shipment = ix.target(ix.objects[dewar], "containerRef") if dewar else None
        sample = ix.target(ix.objects[ls], "sampleRef")
        macro = ix.target(ix.objects[sample], "parentSampleRef") if sample else None
        exp = experiments.get(ls) or (by_sample.get(sample) if sample else None)
        sweep = None
        if exp:
            sweeps = [t for t in ix.targets(ix.objects[exp], "templateDataRefs")]
            sweep = next((t for t in sweeps if t[0] == "CollectionSweep"), None)
        proc = processings.get(ls) or (proc_by_sample.get(sample) if sample else None)
        for role, ident in (
            ("Puck", puck),
            ("Dewar", dewar),
            ("Shipment", shipment),
            ("MacromoleculeSample", sample),
            ("Macromolecule", macro),
            ("MxExperiment", exp),
            ("CollectionSweep", sweep),
            ("MxProcessing", proc),
        ):
            if ident is not None and ident[0] == role:
                objs[role] = ident
        rows.append(SheetRow(objs))

    def sort_key(r: SheetRow) -> tuple[int, ...]:
        pin = r.get("MultiPin") or r.get("Pin")
        pos = ix.objects[pin].get("positionInPuck") if pin else None
        sub = (
            ix.objects[r.objs["PinPosition"]].get("positionInPin") if "PinPosition" in r.objs else 0
        )
        return (
            ix.order.get(r.get("Shipment") or ("", ""), -1),
            ix.order.get(r.get("Dewar") or ("", ""), -1),
            ix.order.get(r.get("Puck") or ("", ""), -1),
            pos if isinstance(pos, int) else 10**9,
            sub if isinstance(sub, int) else 10**9,
            ix.order[r.objs.get("PinPosition") or r.objs["Pin"]],
        )

    rows.sort(key=sort_key)
    return rows


def puck_slots_in_order(rows: list[SheetRow]) -> dict[Ident, int]:
    """Each puck's rank in its dewar, in row order: the position a sheet that requires one gets
    when the stored pucks have none."""
    slots: dict[Ident, int] = {}
    per_dewar: dict[Ident | None, int] = {}
    for row in rows:
        puck = row.get("Puck")
        if puck is None or puck in slots:
            continue
        dewar = row.get("Dewar")
        per_dewar[dewar] = per_dewar.get(dewar, 0) + 1
        slots[puck] = per_dewar[dewar]
    return slots
