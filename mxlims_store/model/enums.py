"""The enumerations of MXLIMS 0.6.13 (``datatypes/Enumerations.json``), as ``Literal`` types.

Literals rather than Enum classes so that model values are the plain standard strings: they compare
equal to JSON input, serialise unchanged and need no conversion in the store. Each ``..._VALUES``
tuple lists the allowed strings in the standard's order (for forms, CLIs and tests).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from mxlims_store.model.space_groups import (
    CHIRAL_SPACE_GROUP_NAMES,
    SPACE_GROUP_NAMES,
    SpaceGroupName,
    SpaceGroupNameChiral,
)

ImageLightType = Literal["Visible", "UV", "other"]
ImageMimeType = Literal["image/png", "image/jpeg"]
ImageRegionUnit = Literal["mm", "micron", "pixel"]
JobInputRole = Literal["inputData", "referenceData", "templateData"]
JobStatus = Literal["Template", "Ready", "Running", "Completed", "Failed", "Aborted"]
PlateRegionUnit = Literal["mm", "micron"]
PdbxSignalType = Literal["local <I/sigmaI>", "local wCC_half"]
ReflectionBinningMode = Literal[
    "equalVolume", "equalNumber", "dstarEquidistant", "dstar2Equidistant"
]
# The two XDS spellings are long because the standard embeds a documentation URL in the value.
ReflectionFileType = Literal[
    "scaled and merged MTZ",
    "scaled and unmerged MTZ",
    "unmerged MTZ",
    "XDS INTEGRATE.HKL; unmerged (https://xds.mr.mpg.de/html_doc/xds_files.html#INTEGRATE.HKL)",
    "XDS XDS_ASCII.HKL; scaled and unmerged "
    "(https://xds.mr.mpg.de/html_doc/xds_files.html#XDS_ASCII.HKL)",
]
SampleComponentRole = Literal[
    "target", "ligand", "cofactor", "solvent", "buffer", "cryoprotectant", "other"
]
TrackingDeviceType = Literal["LightBug", "AirTag", "other"]

# The four core classes every object type belongs to (value of ``mxlimsBaseType``).
CoreTypeName = Literal["LogisticalSample", "Sample", "Job", "Dataset"]

IMAGE_LIGHT_TYPE_VALUES: Final[tuple[str, ...]] = get_args(ImageLightType)
IMAGE_MIME_TYPE_VALUES: Final[tuple[str, ...]] = get_args(ImageMimeType)
IMAGE_REGION_UNIT_VALUES: Final[tuple[str, ...]] = get_args(ImageRegionUnit)
JOB_INPUT_ROLE_VALUES: Final[tuple[str, ...]] = get_args(JobInputRole)
JOB_STATUS_VALUES: Final[tuple[str, ...]] = get_args(JobStatus)
PLATE_REGION_UNIT_VALUES: Final[tuple[str, ...]] = get_args(PlateRegionUnit)
PDBX_SIGNAL_TYPE_VALUES: Final[tuple[str, ...]] = get_args(PdbxSignalType)
REFLECTION_BINNING_MODE_VALUES: Final[tuple[str, ...]] = get_args(ReflectionBinningMode)
REFLECTION_FILE_TYPE_VALUES: Final[tuple[str, ...]] = get_args(ReflectionFileType)
SAMPLE_COMPONENT_ROLE_VALUES: Final[tuple[str, ...]] = get_args(SampleComponentRole)
TRACKING_DEVICE_TYPE_VALUES: Final[tuple[str, ...]] = get_args(TrackingDeviceType)
CORE_TYPE_NAMES: Final[tuple[str, ...]] = get_args(CoreTypeName)

__all__ = [
    "CHIRAL_SPACE_GROUP_NAMES",
    "CORE_TYPE_NAMES",
    "IMAGE_LIGHT_TYPE_VALUES",
    "IMAGE_MIME_TYPE_VALUES",
    "IMAGE_REGION_UNIT_VALUES",
    "JOB_INPUT_ROLE_VALUES",
    "JOB_STATUS_VALUES",
    "PDBX_SIGNAL_TYPE_VALUES",
    "PLATE_REGION_UNIT_VALUES",
    "REFLECTION_BINNING_MODE_VALUES",
    "REFLECTION_FILE_TYPE_VALUES",
    "SAMPLE_COMPONENT_ROLE_VALUES",
    "SPACE_GROUP_NAMES",
    "TRACKING_DEVICE_TYPE_VALUES",
    "CoreTypeName",
    "ImageLightType",
    "ImageMimeType",
    "ImageRegionUnit",
    "JobInputRole",
    "JobStatus",
    "PdbxSignalType",
    "PlateRegionUnit",
    "ReflectionBinningMode",
    "ReflectionFileType",
    "SampleComponentRole",
    "SpaceGroupName",
    "SpaceGroupNameChiral",
    "TrackingDeviceType",
]
