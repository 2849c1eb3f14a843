"""Where things are (logistics events, whereabouts, status, shipment lists) and API keys."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from mxlims_store.answers.base import Answer

# -- logistics -----------------------------------------------------------------------------------

# Every state of a journey, declared once (the store checks the moves between them).
EventState = Literal[
    "prepared",
    "shipped",
    "received",
    "stored",
    "at_beamline",
    "returned",
    "closed",
    "mounted",
    "unmounted",
]


class Event(Answer):
    """A logistics event: what happened to a shipment, dewar or container, when, by whom, where."""

    model_config = ConfigDict(extra="allow")

    id: str
    subject: str = Field(description="uuid of the object it happened to")
    subject_type: str
    state: EventState
    time: str
    actor: str
    location: str | None = None
    facility: str | None = None
    beamline: str | None = None
    storage_position: str | None = None
    tracking_number: str | None = None
    note: str | None = None
    sample_changer_position: int | None = Field(
        default=None, description="the puck's position in the beamline's sample changer"
    )


class Whereabouts(Answer):
    """Where an object is now, and how it got there."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uuid": "0196f23d-0f3c-2c96-b3d1-b908984ec709",
                    "mxlimsType": "Dewar",
                    "barcode": "DW-1",
                    "state": "at_beamline",
                    "since": "2026-11-20T09:01:00.000000+00:00",
                    "location": {"facility": "ESRF", "beamline": "ID23-1"},
                    "trackingNumber": "1Z999AA10123456784",
                    "events": [],
                }
            ]
        }
    )

    uuid: str
    mxlims_type: str
    barcode: str | None = None
    name: str | None = None
    state: str | None = None
    since: str | None = None
    location: dict[str, str | int] = {}
    tracking_number: str | None = None
    tracking_device: dict[str, Any] | None = None
    events: list[Event] = []
    inherited_from: dict[str, Any] | None = Field(
        default=None,
        description="for an object with no event of its own: the container whose state and "
        "place it shows (derived, not recorded; its first event starts from that state)",
    )


class Status(Answer):
    """Sample status of a shipment or container: counts, and one line per sample position with
    its headline result."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uuid": "0196f23d-0f3c-2c96-b3d1-b908984ec709",
                    "mxlimsType": "Dewar",
                    "name": "DW-1",
                    "state": "at_beamline",
                    "counts": {"planned": 14, "collected": 1, "processed": 1, "failed": 0},
                    "positions": [
                        {
                            "uuid": "0196f23d-0f3c-2c96-b3d1-b908984ec701",
                            "mxlimsType": "Pin",
                            "barcode": "PIN-1",
                            "position": 1,
                            "container": "PK-1",
                            "sample": "S1",
                            "status": "processed",
                            "resolution": 1.62,
                            "spaceGroup": "P 21 21 21",
                            "completeness": 99.1,
                        }
                    ],
                }
            ]
        }
    )

    uuid: str
    mxlims_type: str
    name: str | None = None
    state: str | None = None
    counts: dict[str, int]
    positions: list[dict[str, Any]]


class ShipmentSummary(Answer):
    """A shipment in a list: its state and what its sample positions have come to."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uuid": "0196f23d-0f3c-2c96-b3d1-b908984ec709",
                    "name": "mx1234 lysozyme and friends",
                    "proposal": "mx1234",
                    "state": "received",
                    "createdAt": "2026-11-18T14:02:11.000000+00:00",
                    "dewars": 2,
                    "positions": 14,
                    "counts": {"planned": 10, "processed": 4},
                }
            ]
        }
    )

    uuid: str
    name: str | None = None
    proposal: str | None = Field(description="null: a shipment stored without a proposal")
    state: str | None = None
    created_at: str | None = None
    dewars: int
    positions: int
    counts: dict[str, int]


# -- keys ----------------------------------------------------------------------------------------


class ApiKey(Answer):
    """An API key as listed: never its secret."""

    id: str
    name: str
    role: str
    proposals: list[str]
    beamline: str | None = Field(default=None, description="a staff key's beamline (default)")
    expires: str | None = None
    created_at: str
    created_by: str
    revoked_at: str | None = None
    last_used: str | None = None


class Identity(Answer):
    """Who the presented key stands for: what a client (MXCuBE) shows as the user."""

    name: str = Field(description="the key's name, the actor in history")
    role: str
    proposals: list[str] | None = Field(description="a member's proposals; null: every proposal")
    beamline: str | None = Field(default=None, description="a staff key's beamline")


class CreatedKey(ApiKey):
    key: str = Field(description="the secret: shown this once, stored only as a hash")
