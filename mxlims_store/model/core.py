"""The four core classes of MXLIMS 0.6.13 and their generic forms.

Each core class comes twice:

- ``LogisticalSampleBase``, ``SampleBase``, ``JobBase``, ``DatasetBase``: abstract bases holding the
  fields of ``data/<Core>Data.json``; every concrete type derives from one (use them for
  ``isinstance``). They declare no foreign key, because concrete types carry only the links their
  own ``objects/<Type>.json`` defines (a Shipment has no container, a Medium no parent).
- ``LogisticalSample``, ``Sample``, ``Job``, ``Dataset``: the standard's generic objects
  (``objects/<Core>.json``, ``mxlimsType`` equal to the core name) with every foreign key of
  ``core/<Core>.json``.
"""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import ConfigDict, model_validator

from mxlims_store.model.base import MxlimsObject
from mxlims_store.model.basic_types import AwareDatetime, Uuid
from mxlims_store.model.datatypes import SampleComponent
from mxlims_store.model.enums import JobStatus


class LogisticalSampleBase(MxlimsObject):
    """A sample container or location: from shipments, dewars and plates to pins and crystals."""

    core_type: ClassVar[Literal["LogisticalSample"]] = "LogisticalSample"

    mxlimsBaseType: Literal["LogisticalSample"] | None = None
    name: str | None = None
    """Human-readable name."""


class SampleBase(MxlimsObject):
    """What a sample is made of (macromolecule, medium, ...), independent of where it is."""

    core_type: ClassVar[Literal["Sample"]] = "Sample"

    mxlimsBaseType: Literal["Sample"] | None = None
    name: str | None = None
    """Human-readable name or acronym."""
    acronym: str | None = None
    """Short synonym for the sample."""
    campaignName: str | None = None
    """Name of the campaign the sample is part of."""
    components: list[SampleComponent] | None = None
    """Other components of the sample."""


class JobBase(MxlimsObject):
    """An experiment or calculation producing Datasets."""

    core_type: ClassVar[Literal["Job"]] = "Job"

    mxlimsBaseType: Literal["Job"] | None = None
    startTime: AwareDatetime | None = None
    endTime: AwareDatetime | None = None
    jobStatus: JobStatus | None = None


class DatasetBase(MxlimsObject):
    """Data produced by a Job (images, reflections, ...) or derived from another Dataset.

    A Dataset may have ``sourceId`` or ``derivedFromId`` but never both.
    """

    core_type: ClassVar[Literal["Dataset"]] = "Dataset"
    model_config = ConfigDict(
        json_schema_extra={"not": {"required": ["sourceId", "derivedFromId"]}}
    )

    mxlimsBaseType: Literal["Dataset"] | None = None
    role: str | None = None
    """Role of the Dataset for its source Job, for filtering (e.g. "Result", "Centring")."""

    @model_validator(mode="after")
    def _one_origin(self) -> Self:
        # Subclasses declare the two keys (or not); the rule holds for every Dataset type.
        if getattr(self, "sourceId", None) is not None and (
            getattr(self, "derivedFromId", None) is not None
        ):
            raise ValueError("a Dataset has a sourceId or a derivedFromId, not both")
        return self


# --- The generic objects of the standard (objects/<Core>.json) ---


class LogisticalSample(LogisticalSampleBase):
    """Generic LogisticalSample, for containers the standard has no specific type for."""

    mxlimsType: Literal["LogisticalSample"] = "LogisticalSample"
    sampleId: Uuid | None = None
    """uuid of the Sample it holds."""
    containerId: Uuid | None = None
    """uuid of the LogisticalSample containing it."""


class Sample(SampleBase):
    """Generic Sample."""

    mxlimsType: Literal["Sample"] = "Sample"
    mediumId: Uuid | None = None
    """uuid of the Sample that is its medium."""
    parentSampleId: Uuid | None = None
    """uuid of the Sample it is derived from (e.g. with ligands added)."""


class Job(JobBase):
    """Generic Job."""

    mxlimsType: Literal["Job"] = "Job"
    sampleId: Uuid | None = None
    """uuid of the Sample the Job works on."""
    startedFromId: Uuid | None = None
    """uuid of the Job that started this one."""
    logisticalSampleId: Uuid | None = None
    """uuid of the LogisticalSample the Job works on."""
    referenceDataIds: list[Uuid] | None = None
    """uuids of reference Datasets."""
    templateDataIds: list[Uuid] | None = None
    """uuids of template Datasets."""
    inputDataIds: list[Uuid] | None = None
    """uuids of input Datasets."""


class Dataset(DatasetBase):
    """Generic Dataset."""

    mxlimsType: Literal["Dataset"] = "Dataset"
    sourceId: Uuid | None = None
    """uuid of the Job that produced it."""
    derivedFromId: Uuid | None = None
    """uuid of the Dataset it was derived from."""
    logisticalSampleId: Uuid | None = None
    """uuid of the LogisticalSample it was measured on."""


__all__ = [
    "Dataset",
    "DatasetBase",
    "Job",
    "JobBase",
    "LogisticalSample",
    "LogisticalSampleBase",
    "Sample",
    "SampleBase",
]
