"""The enumerations of MXLIMS 0.6.13 (``datatypes/Enumerations.json``), as ``Literal`` types.

Literals rather than Enum classes so that model values are the plain standard strings: they compare
equal to JSON input, serialise unchanged and need no conversion in the store; ``get_args`` lists
the allowed strings in the standard's order.
"""

from __future__ import annotations

from typing import Literal

from mxlims_store.model.space_group_names import (
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

__all__ = [
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
