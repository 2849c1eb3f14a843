"""Concrete Dataset types of MXLIMS 0.6.13: diffraction images and processed reflections.

Each has a ``sourceId`` (the Job that produced it) or a ``derivedFromId`` (a Dataset it was
derived from), never both (enforced by `DatasetBase`).
"""

from __future__ import annotations

from typing import Literal

from mxlims_store.model.basic_types import (
    Fraction,
    IntPair,
    NonNegativeInt,
    Pair,
    PositiveFloat,
    PositiveInt,
    PositivePair,
    PositivePercentage,
    Uuid,
)
from mxlims_store.model.core import DatasetBase
from mxlims_store.model.datatypes import (
    ReflectionStatistics,
    ResolutionCutoffs,
    Scan,
    Tensor,
    UnitCell,
)
from mxlims_store.model.enums import (
    PdbxSignalType,
    ReflectionBinningMode,
    ReflectionFileType,
    SpaceGroupName,
)


class CollectionSweep(DatasetBase):
    """A sweep of diffraction images. Rotations are in degrees, translations in mm."""

    mxlimsType: Literal["CollectionSweep"] = "CollectionSweep"
    sweepType: str | None = None
    """e.g. "simple" (the standard's default), "mesh", "line", "helical", "xray_centring"."""
    exposureTime: PositiveFloat | None = None
    """Seconds per image."""
    imageWidth: PositiveFloat | None = None
    """Width of one image along scanAxis."""
    numberImages: PositiveInt | None = None
    overlap: float | None = None
    """Overlap of successive images in units of imageWidth (negative: gaps)."""
    numberTriggers: NonNegativeInt | None = None
    numberImagesPerTrigger: NonNegativeInt | None = None
    numberLines: NonNegativeInt | None = None
    meshRange: PositivePair | None = None
    """Mesh scan range (horizontal, vertical) in mm."""
    energy: PositiveFloat | None = None
    """Beam energy in eV."""
    transmission: PositivePercentage | None = None
    resolution: PositiveFloat | None = None
    detectorRoiMode: str | None = None
    beamPosition: Pair | None = None
    """x, y of the beam on the detector, in pixels."""
    beamSize: PositivePair | None = None
    """x, y size of the beam, in mm."""
    beamShape: str | None = None
    detectorType: str | None = None
    detectorBinningMode: str | None = None
    axisPositionsStart: dict[str, float] | None = None
    """Start position of every axis (and detector distance) by name."""
    axisPositionsEnd: dict[str, float] | None = None
    """End position of the scanned axes by name."""
    # Required by the standard even though it documents a default ("omega").
    scanAxis: str
    """Name of the main scanned axis (fastest axis of a mesh)."""
    scans: list[Scan] | None = None
    fileType: str | None = None
    prefix: str | None = None
    filenameTemplate: str | None = None
    path: str | None = None
    sourceId: Uuid | None = None
    """uuid of the MxExperiment that produced it."""
    derivedFromId: Uuid | None = None
    """uuid of the CollectionSweep it derives from."""
    logisticalSampleId: Uuid | None = None
    """uuid of the holder measured (Pin, Crystal, DropRegion, ...)."""


# A resolution ring: (low, high) limits in Angstrom.
_Ring = PositivePair


class ReflectionSet(DatasetBase):
    """Processed reflections, possibly scaled and merged (an MTZ or mmCIF reflection file)."""

    mxlimsType: Literal["ReflectionSet"] = "ReflectionSet"
    anisotropicDiffraction: bool | None = None
    spaceGroupName: SpaceGroupName | None = None
    refinedUnitCell: UnitCell | None = None
    operationalResolution: float | None = None
    diffractionLimitsEstimated: Tensor | None = None
    wavelengths: list[PositiveFloat] | None = None
    isoBWilsonEstimate: float | None = None
    anisoBtensor: Tensor | None = None
    numberReflections: NonNegativeInt | None = None
    numberReflectionsUnique: NonNegativeInt | None = None
    hIndexRange: IntPair | None = None
    kIndexRange: IntPair | None = None
    lIndexRange: IntPair | None = None
    possibleTwinning: bool | None = None
    twinFraction: Fraction | None = None
    reflectionStatisticsOverall: ReflectionStatistics | None = None
    reflectionStatisticsShells: list[ReflectionStatistics] | None = None
    signalType: PdbxSignalType | None = None
    signalCutoff: float | None = None
    resolutionCutoffs: ResolutionCutoffs | None = None
    binningMode: ReflectionBinningMode | None = None
    numberBins: PositiveInt | None = None
    reflectionsPerBin: PositiveInt | None = None
    reflectionsPerBinPerSweep: PositiveInt | None = None
    resolutionRingsDetected: list[_Ring] | None = None
    resolutionRingsExcluded: list[_Ring] | None = None
    fileType: ReflectionFileType | None = None
    filename: str | None = None
    path: str | None = None
    sourceId: Uuid | None = None
    """uuid of the MxProcessing that produced it."""
    derivedFromId: Uuid | None = None
    """uuid of the ReflectionSet it derives from."""
    logisticalSampleId: Uuid | None = None
    """uuid of the holder the data come from."""


__all__ = ["CollectionSweep", "ReflectionSet"]
