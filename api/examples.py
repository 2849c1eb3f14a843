"""Examples the OpenAPI shows: a small shipment message that imports as it stands (so /docs'
"Try it out" and a stateful test run start from real objects; the links of the import report
lead on from it)."""

from __future__ import annotations

from typing import Any

SHIPMENT_MESSAGE: dict[str, Any] = {
    "version": "0.6.13",
    "Shipment": {
        "Shipment1": {
            "mxlimsType": "Shipment",
            "uuid": "b6974e6a-4d1c-43a4-ba8b-c4b11281ba28",
            "proposalCode": "mx1234",
            "name": "mx1234 example shipment",
            "labContactOutbound": {"name": "Bob", "emailAddress": "bob@example.org"},
            "labContactReturn": {"name": "Alice", "phoneNumber": "123"},
        }
    },
    "Dewar": {
        "Dewar1": {
            "mxlimsType": "Dewar",
            "uuid": "00390f17-4002-4b6d-bab1-950f1d3b4817",
            "barcode": "EX-DW-1",
            "containerRef": {"$ref": "#/Shipment/Shipment1"},
        }
    },
    "Puck": {
        "Puck1": {
            "mxlimsType": "Puck",
            "uuid": "a9511b11-3b1d-4493-bfca-7d1ab82b3584",
            "barcode": "EX-PK-1",
            "numberPositions": 16,
            "containerRef": {"$ref": "#/Dewar/Dewar1"},
        }
    },
    "Macromolecule": {
        "Macromolecule1": {
            "mxlimsType": "Macromolecule",
            "uuid": "b4761e66-dcb6-4bb1-b2fe-c3c890d7f5bb",
            "acronym": "LYS",
        }
    },
    "MacromoleculeSample": {
        "MacromoleculeSample1": {
            "mxlimsType": "MacromoleculeSample",
            "uuid": "b42bab5f-a6df-4116-ba6f-9bdd5e9197a6",
            "name": "lysozyme-1",
            "parentSampleRef": {"$ref": "#/Macromolecule/Macromolecule1"},
        }
    },
    "Pin": {
        "Pin1": {
            "mxlimsType": "Pin",
            "uuid": "1028ce4a-1f9b-43f5-86c3-a2bf62f411c3",
            "barcode": "EX-PIN-1",
            "positionInPuck": 1,
            "containerRef": {"$ref": "#/Puck/Puck1"},
            "sampleRef": {"$ref": "#/MacromoleculeSample/MacromoleculeSample1"},
        }
    },
}
