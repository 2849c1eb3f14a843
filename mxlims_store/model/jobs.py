"""Concrete Job types of MXLIMS 0.6.13: experiments and calculations.

Jobs hold the uuid lists of the Datasets they use (``templateDataIds`` ...); each type has only the
lists its ``objects/<Type>.json`` defines (an MxExperiment has no input data).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from mxlims_store.model.basic_types import (
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    PositivePercentage,
    Triple,
    Uuid,
)
from mxlims_store.model.core import JobBase
from mxlims_store.model.datatypes import PointCloud, UnitCell
from mxlims_store.model.enums import SpaceGroupName


class MxExperiment(JobBase):
    """A crystallography experiment producing data (CollectionSweeps)."""

    mxlimsType: Literal["MxExperiment"] = "MxExperiment"
    experimentStrategy: str | None = None
    """Strategy indicator, e.g. "OSC", "MXPressE", "GPhL.SAD.advanced"."""
    experimentLocation: str | None = None
    """Where the experiment runs, e.g. "ESRF MASSIF-1"."""
    expectedResolution: PositiveFloat | None = None
    requiredResolution: PositiveFloat | None = None
    targetCompleteness: PositivePercentage | None = None
    targetMultiplicity: PositiveFloat | None = None
    aimedTotalRange: PositiveFloat | None = None
    """Total rotation wanted, in degrees."""
    priority: PositiveInt | None = None
    """Smaller number, higher priority."""
    sampleGroup: str | None = None
    """Experiments of one group stop once one of them reaches the requirements."""
    doseBudget: PositiveFloat | None = None
    """Dose to use, in MGy."""
    radiationSensitivity: Annotated[float, Field(gt=0, le=1)] | None = None
    snapshotCount: NonNegativeInt | None = None
    """Snapshots after each (re)centring; the standard's default is 0."""
    wedgeWidth: PositiveFloat | None = None
    measuredFlux: PositiveFloat | None = None
    """Photons per second."""
    radiationDose: PositiveFloat | None = None
    expectedSpaceGroupName: SpaceGroupName | None = None
    expectedUnitCell: UnitCell | None = None
    selectedSpaceGroupName: SpaceGroupName | None = None
    selectedUnitCell: UnitCell | None = None
    sampleId: Uuid | None = None
    """uuid of the MacromoleculeSample (or generic Sample)."""
    startedFromId: Uuid | None = None
    """uuid of the Job that started this one."""
    logisticalSampleId: Uuid | None = None
    """uuid of the holder measured (Pin, Crystal, DropRegion, ...)."""
    referenceDataIds: list[Uuid] | None = None
    """uuids of reference ReflectionSets (or generic Datasets)."""
    templateDataIds: list[Uuid] | None = None
    """uuids of template CollectionSweeps (or generic Datasets)."""


class MxProcessing(JobBase):
    """Processing of diffraction images into reflections."""

    mxlimsType: Literal["MxProcessing"] = "MxProcessing"
    programName: str | None = None
    programVersion: str | None = None
    spaceGroupName: SpaceGroupName | None = None
    unitCell: UnitCell | None = None
    sampleId: Uuid | None = None
    """uuid of the MacromoleculeSample."""
    startedFromId: Uuid | None = None
    """uuid of the MxProcessing that started this one."""
    logisticalSampleId: Uuid | None = None
    """uuid of the holder the data come from."""
    referenceDataIds: list[Uuid] | None = None
    """uuids of reference ReflectionSets."""
    templateDataIds: list[Uuid] | None = None
    """uuids of template ReflectionSets."""
    inputDataIds: list[Uuid] | None = None
    """uuids of the CollectionSweeps processed."""


class VolumeScan(JobBase):
    """A scan of the sample volume for centring or crystal detection."""

    mxlimsType: Literal["VolumeScan"] = "VolumeScan"
    experimentType: str | None = None
    """e.g. "Xray.centring", "Xray.exploration"."""
    rotationAngles: list[float] | None = None
    """Omega offsets from the start position, in degrees."""
    searchVolume: PointCloud | None = None
    boundingBoxSize: Triple | None = None
    """Horizontal, vertical, beam sizes of the box, centred on the omega axis and beam."""
    boundingBoxShape: str | None = None
    """e.g. "Box" (the standard's default), "Ellipsoid"."""
    resultVolume: PointCloud | None = None
    sampleId: Uuid | None = None
    """uuid of the MacromoleculeSample (or generic Sample)."""
    startedFromId: Uuid | None = None
    """uuid of the Job that started this one."""
    logisticalSampleId: Uuid | None = None
    """uuid of the holder scanned."""
    templateDataIds: list[Uuid] | None = None
    """uuids of template CollectionSweeps (or generic Datasets)."""


__all__ = ["MxExperiment", "MxProcessing", "VolumeScan"]
