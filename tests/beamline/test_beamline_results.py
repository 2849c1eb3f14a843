"""Results from the beamline: MXCuBE's GPhL workflow messages (MxExperiment + CollectionSweeps
with several scans, uuid1 identifiers), re-keyed here so that their LogisticalSample is a stub
of a stored pin, merge onto the stored shipment: the pins show ``collected`` and every sweep is
in the shipment's results file, which the official schema accepts (CC(1/2) defect patched)."""

from __future__ import annotations

import json
import uuid as uuidlib
from typing import Any

from mxlims_store.store import Store
from tests.conftest import FIXTURES, REFERENCE, conformance_errors, load_json, needs_shared

GPHL = REFERENCE / "0.6.13" / "messages" / "MxlimsMessageStrict" / "valid"


def rekeyed(example: dict[str, Any], pin: str) -> dict[str, Any]:
    """The example with fresh uuid1s (as MXCuBE makes them) and its Crystal replaced by a stub
    of the stored ``pin``: the beamline's results for that pin."""
    text = json.dumps(example)
    for objects in example.values():
        if isinstance(objects, dict):
            for obj in objects.values():
                text = text.replace(obj["uuid"], str(uuidlib.uuid1()))
    message = json.loads(text.replace("#/Crystal/Crystal1", "#/LogisticalSample/LogisticalSample1"))
    del message["Crystal"]
    message["LogisticalSample"] = {
        "LogisticalSample1": {"mxlimsBaseType": "LogisticalSample", "uuid": pin}
    }
    return message


@needs_shared
async def test_gphl_workflow_results_merge_onto_stored_pins(store: Store) -> None:
    shipment = load_json(FIXTURES / "messages" / "shipment.json")
    report = await store.import_message(shipment)
    assert report.shipment is not None
    pins = [p["uuid"] for p in shipment["Pin"].values()]
    expected_sweeps = {}
    for name, pin in (("interleavedMAD.json", pins[0]), ("simpleWF.json", pins[1])):
        example = load_json(GPHL / name)
        message = rekeyed(example, pin)
        for sweep in message["CollectionSweep"].values():
            assert uuidlib.UUID(sweep["uuid"]).version == 1
        merged = await store.import_message(message, policy="merge")
        assert merged.created["CollectionSweep"] == len(example["CollectionSweep"])
        expected_sweeps[pin] = {s["uuid"] for s in message["CollectionSweep"].values()}
    assert [len(s) for s in expected_sweeps.values()] == [7, 2]

    status = await store.status(report.shipment)
    by_pin = {line["uuid"]: line["status"] for line in status["positions"]}
    assert by_pin[pins[0]] == by_pin[pins[1]] == "collected"
    assert by_pin[pins[2]] == "planned"

    results = dict(await store.shipment_results(report.shipment))
    in_file = {s["uuid"]: s for s in results.get("CollectionSweep", {}).values()}
    for sweeps in expected_sweeps.values():
        assert sweeps <= set(in_file)
        for uuid in sweeps:
            assert in_file[uuid]["scans"]  # the scans came back whole
    mad = load_json(GPHL / "interleavedMAD.json")["CollectionSweep"]
    assert sum(len(s["scans"]) for s in mad.values()) == sum(
        len(in_file[u]["scans"]) for u in expected_sweeps[pins[0]]
    )
    assert conformance_errors(results, "MxlimsMessageStrict", patched=True) == []
