"""The messages of a race (bench/race.py): the shipment a trial races over, and the contenders'
pins, all wanting the same positions of its puck and one shared barcode."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

POSITIONS = 4
CONTENDED = (1, 2)
VERSION = "0.6.13"


def _new() -> str:
    return str(uuidlib.uuid4())


def base_message(trial: int) -> tuple[dict[str, Any], str, str]:
    """The shipment a trial races over; its puck's and stored pin's uuids."""
    puck, pin = _new(), _new()
    message = {
        "version": VERSION,
        "Shipment": {
            "Shipment1": {"mxlimsType": "Shipment", "uuid": _new(), "proposalCode": "mx1"}
        },
        "Dewar": {
            "Dewar1": {
                "mxlimsType": "Dewar",
                "uuid": _new(),
                "barcode": f"DW-{trial}",
                "containerRef": {"$ref": "#/Shipment/Shipment1"},
            }
        },
        "Puck": {
            "Puck1": {
                "mxlimsType": "Puck",
                "uuid": puck,
                "barcode": f"PK-{trial}",
                "numberPositions": POSITIONS,
                "containerRef": {"$ref": "#/Dewar/Dewar1"},
            }
        },
        "Pin": {
            "Pin1": {
                "mxlimsType": "Pin",
                "uuid": pin,
                "barcode": f"STORED-{trial}",
                "positionInPuck": 3,
                "containerRef": {"$ref": "#/Puck/Puck1"},
            }
        },
    }
    return message, puck, pin


def contender_message(puck: str, trial: int, who: str) -> dict[str, Any]:
    """New pins at the contended positions of the stored puck; one reuses the race's barcode."""
    pins = {
        f"Pin{p}": {
            "mxlimsType": "Pin",
            "uuid": _new(),
            "barcode": f"RACE-{trial}" if p == CONTENDED[0] else f"{who}-{trial}-{p}",
            "positionInPuck": p,
            "containerRef": {"$ref": "#/LogisticalSample/Puck"},
        }
        for p in CONTENDED
    }
    return {
        "version": VERSION,
        "LogisticalSample": {"Puck": {"mxlimsBaseType": "LogisticalSample", "uuid": puck}},
        "Pin": pins,
    }
