"""Small, valid MXLIMS objects and messages built in code, for tests that need many shapes."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

# The fields each type requires, with plausible values.
REQUIRED: dict[str, dict[str, Any]] = {
    "Shipment": {
        "proposalCode": "mx1234",
        "labContactOutbound": {"name": "Bob", "emailAddress": "bob@example.org"},
        "labContactReturn": {"name": "Alice", "phoneNumber": "123"},
    },
    "MultiPin": {"numberPositions": 4, "positionInPuck": 1},
    "PinPosition": {"positionInPin": 1},
    "PlateWell": {"rowNumber": 1, "columnNumber": 1},
    "WellDrop": {"dropNumber": 1},
    "DropRegion": {
        "region": {
            "image": {"url": "https://example.org/i.jpg", "mimeType": "image/jpeg"},
            "region": {"regionType": "point", "x": 1, "y": 2},
            "units": "pixel",
        }
    },
    "Macromolecule": {"acronym": "LYS"},
    "CollectionSweep": {"scanAxis": "omega"},
}


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def minimal(type_name: str, **fields: Any) -> dict[str, Any]:
    """A message-form object of ``type_name`` (no uuid unless given)."""
    return {"mxlimsType": type_name, **REQUIRED.get(type_name, {}), **fields}


def stub(core: str, uuid: str | None = None) -> dict[str, str]:
    """A uuid-only stub under a core key: a message's link to an object outside it."""
    return {"mxlimsBaseType": core, "uuid": uuid or new_uuid()}


def ref(type_name: str, n: int = 1) -> dict[str, str]:
    return {"$ref": f"#/{type_name}/{type_name}{n}"}


def derived_chain(length: int) -> dict[str, Any]:
    """ReflectionSet1 <- ReflectionSet2 <- ... each derived from the one before (with uuids):
    a chain as deep as one likes, of concrete types."""
    chain: dict[str, Any] = {}
    for n in range(1, length + 1):
        data = minimal("ReflectionSet", uuid=new_uuid())
        if n > 1:
            data["derivedFromRef"] = ref("ReflectionSet", n - 1)
        chain[f"ReflectionSet{n}"] = data
    return {"version": "0.6.13", "ReflectionSet": chain}


def shipment_message(
    pins: int,
    *,
    pucks_per_dewar: int = 10,
    positions: int = 16,
    proposal: str = "mx1234",
    experiments: bool = False,
) -> dict[str, Any]:
    """A realistic shipment: dewars of pucks of pins, one sample and protein per 20 pins;
    with ``experiments``, per pin the requested MxExperiment and its template CollectionSweep
    (1,600 pins then make the ~6,500-object shipment of a full beamtime)."""
    message: dict[str, Any] = {
        "version": "0.6.13",
        "Shipment": {"Shipment1": minimal("Shipment", proposalCode=proposal, uuid=new_uuid())},
    }
    n_pucks = -(-pins // positions)
    for p in range(1, n_pucks + 1):
        dewar = (p - 1) // pucks_per_dewar + 1
        message.setdefault("Dewar", {}).setdefault(
            f"Dewar{dewar}",
            minimal("Dewar", uuid=new_uuid(), barcode=f"DW-{dewar}", containerRef=ref("Shipment")),
        )
        message.setdefault("Puck", {})[f"Puck{p}"] = minimal(
            "Puck",
            uuid=new_uuid(),
            barcode=f"PK-{p}",
            numberPositions=positions,
            containerRef=ref("Dewar", dewar),
        )
    for i in range(1, pins + 1):
        protein = (i - 1) // 20 + 1
        message.setdefault("Macromolecule", {}).setdefault(
            f"Macromolecule{protein}",
            minimal("Macromolecule", uuid=new_uuid(), acronym=f"P{protein}"),
        )
        message.setdefault("MacromoleculeSample", {})[f"MacromoleculeSample{i}"] = minimal(
            "MacromoleculeSample",
            uuid=new_uuid(),
            name=f"S{i}",
            parentSampleRef=ref("Macromolecule", protein),
        )
        message.setdefault("Pin", {})[f"Pin{i}"] = minimal(
            "Pin",
            uuid=new_uuid(),
            barcode=f"PIN-{i}",
            positionInPuck=(i - 1) % positions + 1,
            containerRef=ref("Puck", (i - 1) // positions + 1),
            sampleRef=ref("MacromoleculeSample", i),
        )
        if experiments:
            message.setdefault("CollectionSweep", {})[f"CollectionSweep{i}"] = minimal(
                "CollectionSweep",
                uuid=new_uuid(),
                exposureTime=0.02,
                imageWidth=0.1,
                numberImages=3600,
            )
            message.setdefault("MxExperiment", {})[f"MxExperiment{i}"] = minimal(
                "MxExperiment",
                uuid=new_uuid(),
                experimentStrategy="OSC",
                expectedResolution=1.8,
                logisticalSampleRef=ref("Pin", i),
                sampleRef=ref("MacromoleculeSample", i),
                templateDataRefs=[ref("CollectionSweep", i)],
            )
    return message


def results_message(shipment: dict[str, Any], pin_key: str = "Pin1") -> dict[str, Any]:
    """What a facility sends back for one pin: the pin re-sent with its uuid, an MxExperiment,
    a Crystal, a CollectionSweep, an MxProcessing and its ReflectionSet (all linked)."""
    pin = shipment["Pin"][pin_key]
    sample_key = pin["sampleRef"]["$ref"].rsplit("/", 1)[1]
    sample = shipment["MacromoleculeSample"][sample_key]
    return {
        "version": "0.6.13",
        "Pin": {"Pin1": {k: v for k, v in pin.items() if not k.endswith("Ref")}},
        "MacromoleculeSample": {
            "MacromoleculeSample1": {k: v for k, v in sample.items() if not k.endswith("Ref")}
        },
        "Crystal": {
            "Crystal1": minimal(
                "Crystal",
                uuid=new_uuid(),
                name="xtal-1",
                containerRef=ref("Pin"),
                sampleRef=ref("MacromoleculeSample"),
            )
        },
        "MxExperiment": {
            "MxExperiment1": minimal(
                "MxExperiment",
                uuid=new_uuid(),
                experimentStrategy="OSC",
                logisticalSampleRef=ref("Crystal"),
                sampleRef=ref("MacromoleculeSample"),
            )
        },
        "CollectionSweep": {
            "CollectionSweep1": minimal(
                "CollectionSweep",
                uuid=new_uuid(),
                sourceRef=ref("MxExperiment"),
                logisticalSampleRef=ref("Crystal"),
                exposureTime=0.02,
            )
        },
        "MxProcessing": {
            "MxProcessing1": minimal(
                "MxProcessing",
                uuid=new_uuid(),
                inputDataRefs=[ref("CollectionSweep")],
                logisticalSampleRef=ref("Crystal"),
                sampleRef=ref("MacromoleculeSample"),
            )
        },
        "ReflectionSet": {
            "ReflectionSet1": minimal(
                "ReflectionSet",
                uuid=new_uuid(),
                sourceRef=ref("MxProcessing"),
                logisticalSampleRef=ref("Crystal"),
            )
        },
    }
