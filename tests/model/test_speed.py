"""Validation must keep up with big shipments: 6,000 objects well under a second."""

from __future__ import annotations

import uuid
from typing import Any

from mxlims_store.model import parse_object


def _u() -> str:
    return str(uuid.uuid4())


def shipment_documents() -> list[dict[str, Any]]:
    """A realistic 6,000-object load: 1 shipment, 9 dewars, 100 pucks, 1,600 pins, 1,600
    macromolecule samples, 1,600 crystals, 1,000 sweeps and the rest MxExperiments."""
    docs: list[dict[str, Any]] = [
        {
            "mxlimsType": "Shipment",
            "uuid": _u(),
            "proposalCode": "mx1",
            "labContactOutbound": {"name": "A", "emailAddress": "a@b.c"},
        }
    ]
    dewars = [{"mxlimsType": "Dewar", "uuid": _u(), "containerId": docs[0]["uuid"],
               "barcode": f"DW{i}"} for i in range(9)]  # fmt: skip
    pucks = [{"mxlimsType": "Puck", "uuid": _u(), "containerId": dewars[i % 9]["uuid"],
              "positionInDewar": i % 9 + 1, "numberPositions": 16}
             for i in range(100)]  # fmt: skip
    macromolecule = {"mxlimsType": "Macromolecule", "uuid": _u(), "acronym": "LYS"}
    docs += [*dewars, *pucks, macromolecule]
    for i in range(1600):
        sample = {"mxlimsType": "MacromoleculeSample", "uuid": _u(), "name": f"LYS-{i}",
                  "parentSampleId": macromolecule["uuid"]}  # fmt: skip
        pin = {"mxlimsType": "Pin", "uuid": _u(), "containerId": pucks[i // 16]["uuid"],
               "positionInPuck": i % 16 + 1, "sampleId": sample["uuid"], "barcode": f"P{i}",
               "identifiers": {"esrf.fr": f"PIN{i}"}}  # fmt: skip
        crystal = {"mxlimsType": "Crystal", "uuid": _u(), "containerId": pin["uuid"],
                   "sampleId": sample["uuid"]}  # fmt: skip
        docs += [sample, pin, crystal]
    for i in range(6000 - len(docs)):
        if i % 2:
            docs.append({"mxlimsType": "MxExperiment", "uuid": _u(), "jobStatus": "Ready",
                         "expectedSpaceGroupName": "P 21 21 21", "expectedResolution": 1.8,
                         "expectedUnitCell": {"a": 79.1, "b": 79.1, "c": 38.0, "alpha": 90,
                                              "beta": 90, "gamma": 90}})  # fmt: skip
        else:
            docs.append({"mxlimsType": "CollectionSweep", "uuid": _u(), "scanAxis": "omega",
                         "exposureTime": 0.02, "imageWidth": 0.1, "numberImages": 3600,
                         "beamSize": [0.01, 0.01], "axisPositionsStart": {"omega": 0.0},
                         "scans": [{"scanPositionStart": 0.0, "firstImageNumber": 1,
                                    "numberImages": 3600, "ordinal": 0}]})  # fmt: skip
    return docs


def test_six_thousand_objects_of_a_full_shipment_validate() -> None:
    """Speed is the benchmark's (bench/): here, that a shipment-sized batch validates."""
    docs = shipment_documents()
    assert len(docs) == 6000
    objects = [parse_object(d) for d in docs]
    assert [type(o).__name__ for o in objects[:2]] and len(objects) == 6000
