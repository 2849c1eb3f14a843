"""Concrete LogisticalSample types of MXLIMS 0.6.13: where samples are and what holds them.

Containment (``containerId``) runs Shipment > Dewar > Puck > Pin | MultiPin > PinPosition, and
Shipment > Plate > PlateWell > WellDrop > DropRegion; a Crystal sits in a Pin, PinPosition or
DropRegion. Which container types are allowed is checked by the link table (`links`), not here.
"""

from __future__ import annotations

from typing import Literal

from mxlims_store.model.basic_types import PositiveInt, Uuid
from mxlims_store.model.core import LogisticalSampleBase
from mxlims_store.model.datatypes import Person, PlateType, TrackingDevice
from mxlims_store.model.regions import ImageRegion, PlateRegion


class Shipment(LogisticalSampleBase):
    """A shipment to a facility (top of the containment tree)."""

    mxlimsType: Literal["Shipment"] = "Shipment"
    proposalCode: str
    """The proposal at the receiving facility (e.g. "mx1234")."""
    sessionNumber: PositiveInt | None = None
    """Session within the proposal; absent for unattended collection."""
    labContactOutbound: Person | None = None
    labContactReturn: Person | None = None
    trackingDevice: TrackingDevice | None = None


class Dewar(LogisticalSampleBase):
    """A dewar of pucks."""

    mxlimsType: Literal["Dewar"] = "Dewar"
    barcode: str | None = None
    trackingDevice: TrackingDevice | None = None
    containerId: Uuid | None = None
    """uuid of the Shipment."""


class Puck(LogisticalSampleBase):
    """A puck of pins."""

    mxlimsType: Literal["Puck"] = "Puck"
    barcode: str | None = None
    positionInDewar: PositiveInt | None = None
    numberPositions: PositiveInt | None = None
    """Number of pin positions."""
    puckType: str | None = None
    containerId: Uuid | None = None
    """uuid of the Dewar."""


class Pin(LogisticalSampleBase):
    """A single-sample pin in a puck."""

    mxlimsType: Literal["Pin"] = "Pin"
    barcode: str | None = None
    positionInPuck: PositiveInt | None = None
    loopType: str | None = None
    holderLength: float | None = None
    sampleId: Uuid | None = None
    """uuid of the MacromoleculeSample on the pin."""
    containerId: Uuid | None = None
    """uuid of the Puck."""


class MultiPin(LogisticalSampleBase):
    """A pin with several sample positions (PinPositions)."""

    mxlimsType: Literal["MultiPin"] = "MultiPin"
    barcode: str | None = None
    numberPositions: PositiveInt
    positionInPuck: PositiveInt
    containerId: Uuid | None = None
    """uuid of the Puck."""


class PinPosition(LogisticalSampleBase):
    """One sample position of a MultiPin."""

    mxlimsType: Literal["PinPosition"] = "PinPosition"
    positionInPin: PositiveInt
    sampleId: Uuid | None = None
    """uuid of the MacromoleculeSample at the position."""
    containerId: Uuid | None = None
    """uuid of the MultiPin."""


class Plate(LogisticalSampleBase):
    """A crystallisation plate."""

    mxlimsType: Literal["Plate"] = "Plate"
    barcode: str | None = None
    plateType: PlateType | None = None
    trackingDevice: TrackingDevice | None = None
    containerId: Uuid | None = None
    """uuid of the Shipment."""


class PlateWell(LogisticalSampleBase):
    """A well of a plate (1-based row and column)."""

    mxlimsType: Literal["PlateWell"] = "PlateWell"
    rowNumber: PositiveInt
    columnNumber: PositiveInt
    # `name` (inherited) is the human-friendly well label, e.g. "H1".
    sampleId: Uuid | None = None
    """uuid of the MacromoleculeSample in the well."""
    containerId: Uuid | None = None
    """uuid of the Plate."""


class WellDrop(LogisticalSampleBase):
    """A drop in a plate well."""

    mxlimsType: Literal["WellDrop"] = "WellDrop"
    dropNumber: PositiveInt
    sampleId: Uuid | None = None
    """uuid of the MacromoleculeSample in the drop."""
    containerId: Uuid | None = None
    """uuid of the PlateWell."""


class DropRegion(LogisticalSampleBase):
    """A region of a drop where crystals may be found."""

    mxlimsType: Literal["DropRegion"] = "DropRegion"
    # The two region forms are disjoint (only ImageRegion has `image`), as the standard's oneOf.
    region: ImageRegion | PlateRegion
    sampleId: Uuid | None = None
    """uuid of the MacromoleculeSample in the region."""
    containerId: Uuid | None = None
    """uuid of the WellDrop."""


class Crystal(LogisticalSampleBase):
    """A crystal (or measuring location), used where one holder turns out to have several."""

    mxlimsType: Literal["Crystal"] = "Crystal"
    sampleId: Uuid | None = None
    """uuid of the MacromoleculeSample the crystal is made of."""
    containerId: Uuid | None = None
    """uuid of the Pin, PinPosition or DropRegion holding it."""


__all__ = [
    "Crystal",
    "Dewar",
    "DropRegion",
    "MultiPin",
    "Pin",
    "PinPosition",
    "Plate",
    "PlateWell",
    "Puck",
    "Shipment",
    "WellDrop",
]
