"""Structured values of MXLIMS 0.6.13 (``datatypes/*.json``) other than geometry and images.

These are embedded in objects, never stored on their own, so they carry no uuid. Geometry (points,
regions) and drop images live in `regions`.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import ConfigDict, Field, model_validator

from mxlims_store.model.basic_types import (
    Correlation,
    HttpUrl,
    Identifiers,
    NonNegativeFloat,
    NonNegativeInt,
    Pair,
    Percentage,
    PositiveFloat,
    PositiveInt,
    StrictModel,
    Triple,
    Urls,
)
from mxlims_store.model.enums import SampleComponentRole, TrackingDeviceType


class UnitCell(StrictModel):
    """Crystallographic unit cell: lengths in Angstrom, angles in degrees."""

    a: PositiveFloat
    b: PositiveFloat
    c: PositiveFloat
    alpha: PositiveFloat
    beta: PositiveFloat
    gamma: PositiveFloat


class Tensor(StrictModel):
    """A symmetric 3x3 tensor given by its eigenvalues and (row) eigenvectors."""

    eigenvalues: Triple
    eigenvectors: Annotated[list[Triple], Field(min_length=3, max_length=3)]


class Scan(StrictModel):
    """One acquired part of a CollectionSweep (scans need not be contiguous or in order)."""

    scanPositionStart: float
    firstImageNumber: int
    numberImages: PositiveInt
    ordinal: int
    """Order of acquisition among the scans of the sweep."""


class _StatisticsCore(StrictModel):
    """Quality indicators shared by ReflectionStatistics and ResolutionCutoffs.

    Defect of 0.6.13: ``CC_one_half`` and ``CC_ano`` have ``maximum: -1.0`` upstream, which refuses
    every real correlation coefficient; we accept the intended range [-1, 1].
    """

    R_merge: NonNegativeFloat | None = None
    R_meas: NonNegativeFloat | None = None
    R_pim: NonNegativeFloat | None = None
    I_over_SigI: float | None = None
    CC_one_half: Correlation | None = None
    CC_ano: Correlation | None = None
    SigAno: float | None = None


class ResolutionCutoffs(_StatisticsCore):
    """Criteria used to choose the isotropic resolution cut-off.

    ``CC_one_half`` and ``CC_ano`` accept [-1, 1] (upstream 0.6.13 has the typo ``maximum: -1``).
    """


class ReflectionStatistics(_StatisticsCore):
    """Statistics of a set of reflections, overall or for one resolution shell.

    ``CC_one_half`` and ``CC_ano`` accept [-1, 1] (upstream 0.6.13 has the typo ``maximum: -1``).
    """

    resolutionLimits: Pair
    """Low and high resolution limits of the shell, in Angstrom."""
    numberObservations: PositiveInt | None = None
    numberObservationsUnique: PositiveInt | None = None
    numberReflectionsRejected: NonNegativeInt | None = None
    chiSquared: NonNegativeFloat | None = None
    Completeness: Percentage | None = None
    CompletenessSpherical: Percentage | None = None
    CompletenessEllipsoidal: Percentage | None = None
    Redundancy: NonNegativeFloat | None = None
    CompletenessAno: Percentage | None = None
    CompletenessAnoSpherical: Percentage | None = None
    CompletenessAnoEllipsoidal: Percentage | None = None
    RedundancyAno: NonNegativeFloat | None = None


class SampleComponent(StrictModel):
    """A constituent of a Sample (ligand, buffer, cryoprotectant, ...)."""

    acronym: str | None = None
    name: str | None = None
    role: SampleComponentRole | None = None
    smiles: str | None = None
    selfies: str | None = None
    sequence: str | None = None
    identifiers: Identifiers | None = None
    urls: Urls | None = None


class PlateType(StrictModel):
    """Geometry of a crystallisation plate type."""

    name: str | None = None
    numberRows: PositiveInt
    numberColumns: PositiveInt
    numberSubPositions: PositiveInt
    dropMapping: str


class TrackingDevice(StrictModel):
    """A tracker travelling with a shipment, dewar or plate."""

    identifier: str
    deviceType: TrackingDeviceType
    humanTrackingUrl: HttpUrl | None = None
    apiTrackingUrl: HttpUrl | None = None


class Person(StrictModel):
    """A contact: a name and at least one of e-mail address and phone number."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["emailAddress"]}, {"required": ["phoneNumber"]}]}
    )

    name: str
    emailAddress: str | None = None
    phoneNumber: str | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.emailAddress is None and self.phoneNumber is None:
            raise ValueError("a Person needs an emailAddress or a phoneNumber")
        return self


class PointCloud(StrictModel):
    """Points of a volume scan (input search volume or result), in microscope coordinates.

    The standard leaves PointCloud open (no ``additionalProperties: false``): extra keys are kept.
    """

    model_config = ConfigDict(extra="allow")

    position: dict[str, float]
    """Motor positions (by axis name) the coordinates are relative to."""
    score: Annotated[float, Field(ge=0, le=1)] | None = None
    coordinates: list[Triple] | None = None
    grouping: list[int] | None = None
    intensities: list[float] | None = None
    resolutions: list[PositiveFloat] | None = None
    reflectionCounts: list[NonNegativeInt] | None = None
    dozorScores: list[float] | None = None


__all__ = [
    "Person",
    "PlateType",
    "PointCloud",
    "ReflectionStatistics",
    "ResolutionCutoffs",
    "SampleComponent",
    "Scan",
    "Tensor",
    "TrackingDevice",
    "UnitCell",
]
