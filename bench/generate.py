"""Synthetic MXLIMS messages: a beamtime's shipment and the facility's results return for it.

Uuids are uuid5 of (shipment index, message part, local key): a run is reproducible, shipment
N never collides with shipment M, and uuid5 spreads keys over the index like uuid4 would.
Barcodes and names carry the index too, so a barcode names one pin in the whole store.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

VERSION = "0.6.13"
PROPOSAL = "mx1234"
_NAMESPACE = uuidlib.UUID("6f1c3f7e-2b8a-4c1e-9a55-0d3e8b7c4a21")  # arbitrary, fixed
_BEAMTIME_START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
# The sweep asked for and the one measured: one rotation of 360 degrees in 0.1-degree images.
SWEEP: dict[str, Any] = {
    "scanAxis": "omega",
    "exposureTime": 0.02,
    "imageWidth": 0.1,
    "numberImages": 3600,
}

Message = dict[str, Any]


@dataclass(frozen=True)
class Layout:
    """How pins are packed: a 16-position puck, ten pucks to a dewar, one protein per 20 pins."""

    pins: int
    pins_per_puck: int = 16
    pucks_per_dewar: int = 10
    pins_per_protein: int = 20


@dataclass
class Shipment:
    index: int
    layout: Layout
    message: Message
    uuid: str  # the Shipment object's
    barcodes: list[str] = field(default_factory=list)  # one per pin
    uuids: list[str] = field(default_factory=list)  # every object of the message


@dataclass
class Results:
    shipment: Shipment
    message: Message
    reflection_sets: list[str] = field(default_factory=list)
    new_uuids: list[str] = field(default_factory=list)  # objects the return creates


def object_uuid(index: int, part: str, key: str) -> str:
    return str(uuidlib.uuid5(_NAMESPACE, f"{index}/{part}/{key}"))


def count_objects(message: Message) -> int:
    return sum(len(v) for k, v in message.items() if k != "version")


def _ref(type_name: str, n: int) -> dict[str, str]:
    return {"$ref": f"#/{type_name}/{type_name}{n}"}


class _Writer:
    """Puts objects into a message under ``<Type><n>`` keys (the form the schemas require)."""

    def __init__(self, index: int, part: str) -> None:
        self.index, self.part = index, part
        self.message: Message = {"version": VERSION}
        self.uuids: list[str] = []

    def put(self, type_name: str, n: int, **fields: Any) -> str:
        key = f"{type_name}{n}"
        uuid = object_uuid(self.index, self.part, key)
        self.message.setdefault(type_name, {})[key] = {
            "mxlimsType": type_name,
            "uuid": uuid,
            **fields,
        }
        self.uuids.append(uuid)
        return uuid

    def resend(self, type_name: str, n: int, uuid: str, **fields: Any) -> None:
        """An already-stored object named by its uuid: a full object in the official schema's
        eyes (uuid-only stubs cannot validate there), merged by uuid on import."""
        self.message.setdefault(type_name, {})[f"{type_name}{n}"] = {
            "mxlimsType": type_name,
            "uuid": uuid,
            **fields,
        }


def shipment(index: int, pins: int) -> Shipment:
    """A frozen-crystal shipment of ``pins`` pins: dewars, pucks, pins, samples and proteins,
    and per pin the requested MxExperiment with its template CollectionSweep."""
    layout = Layout(pins)
    out = _Writer(index, "shipment")
    shipment_uuid = out.put(
        "Shipment",
        1,
        name=f"beamtime-{index}",
        proposalCode=PROPOSAL,
        labContactOutbound={"name": "Bob", "emailAddress": "bob@example.org"},
        labContactReturn={"name": "Alice", "phoneNumber": "+44 1235 000000"},
    )
    n_pucks = -(-pins // layout.pins_per_puck)
    for p in range(1, n_pucks + 1):
        dewar = (p - 1) // layout.pucks_per_dewar + 1
        if (p - 1) % layout.pucks_per_dewar == 0:  # the first puck of a new dewar
            out.put("Dewar", dewar, barcode=f"DW-{index}-{dewar}", containerRef=_ref("Shipment", 1))
        out.put(
            "Puck",
            p,
            barcode=f"PK-{index}-{p}",
            numberPositions=layout.pins_per_puck,
            containerRef=_ref("Dewar", dewar),
        )
    barcodes = []
    for i in range(1, pins + 1):
        protein = (i - 1) // layout.pins_per_protein + 1
        if (i - 1) % layout.pins_per_protein == 0:  # the first pin of a new protein
            out.put(
                "Macromolecule", protein, acronym=f"P{index}-{protein}", name=f"protein {protein}"
            )
        out.put(
            "MacromoleculeSample",
            i,
            name=f"S{index}-{i}",
            parentSampleRef=_ref("Macromolecule", protein),
        )
        barcodes.append(f"PIN-{index}-{i}")
        out.put(
            "Pin",
            i,
            barcode=barcodes[-1],
            positionInPuck=(i - 1) % layout.pins_per_puck + 1,
            containerRef=_ref("Puck", (i - 1) // layout.pins_per_puck + 1),
            sampleRef=_ref("MacromoleculeSample", i),
        )
        out.put("CollectionSweep", i, **SWEEP)
        out.put(
            "MxExperiment",
            i,
            experimentStrategy="OSC",
            expectedResolution=1.8,
            jobStatus="Ready",
            logisticalSampleRef=_ref("Pin", i),
            sampleRef=_ref("MacromoleculeSample", i),
            templateDataRefs=[_ref("CollectionSweep", i)],
        )
    return Shipment(index, layout, out.message, shipment_uuid, barcodes, out.uuids)


def results(sent: Shipment) -> Results:
    """The facility's return for every pin of ``sent``: the MxExperiments re-sent (same uuids,
    now Completed, with start and end times) and per pin a Crystal on the pin, the measured
    CollectionSweep, an MxProcessing of it and the ReflectionSet it produced."""
    shipped = sent.message
    out = _Writer(sent.index, "results")
    reflection_sets = []
    for i in range(1, sent.layout.pins + 1):
        # Re-sent so the Crystal's links resolve inside the message; identical -> unchanged.
        out.resend("Pin", i, shipped["Pin"][f"Pin{i}"]["uuid"])
        out.resend(
            "MacromoleculeSample",
            i,
            shipped["MacromoleculeSample"][f"MacromoleculeSample{i}"]["uuid"],
        )
        start = _BEAMTIME_START + timedelta(seconds=90 * i)
        out.resend(
            "MxExperiment",
            i,
            shipped["MxExperiment"][f"MxExperiment{i}"]["uuid"],
            jobStatus="Completed",
            startTime=start.isoformat(),
            endTime=(start + timedelta(seconds=75)).isoformat(),
        )
        out.put(
            "Crystal",
            i,
            name=f"X{sent.index}-{i}",
            containerRef=_ref("Pin", i),
            sampleRef=_ref("MacromoleculeSample", i),
        )
        out.put(
            "CollectionSweep",
            i,
            **SWEEP,
            prefix=f"X{sent.index}-{i}",
            sourceRef=_ref("MxExperiment", i),
            logisticalSampleRef=_ref("Crystal", i),
        )
        out.put(
            "MxProcessing",
            i,
            programName="XDS",
            jobStatus="Completed",
            inputDataRefs=[_ref("CollectionSweep", i)],
            logisticalSampleRef=_ref("Crystal", i),
            sampleRef=_ref("MacromoleculeSample", i),
        )
        reflection_sets.append(
            out.put(
                "ReflectionSet",
                i,
                operationalResolution=round(1.5 + (i % 10) / 10, 2),
                numberReflections=250_000 + i,
                sourceRef=_ref("MxProcessing", i),
                logisticalSampleRef=_ref("Crystal", i),
            )
        )
    return Results(sent, out.message, reflection_sets, out.uuids)
