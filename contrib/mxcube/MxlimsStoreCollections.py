"""MXCuBE's data-collection dictionary as an MXLIMS message: an MxExperiment on the pin and,
when the collection ends, its CollectionSweep (part of contrib/mxcube's MxlimsStoreLims).

Pure functions of the dictionary MXCuBE passes to ``store_data_collection`` and its kin; only
the standard library, so it runs in any MXCuBE environment.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

MXLIMS_VERSION = "0.6.13"
FAILED = ("failed", "aborted", "stopped")  # words of MXCuBE's status that end a collection badly


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _moment(text: Any) -> str | None:
    """MXCuBE's "%Y-%m-%d %H:%M:%S" (local time) as an aware ISO time."""
    if not text:
        return None
    try:
        moment = datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").astimezone()
    except ValueError:
        return None
    return moment.isoformat()


def collection_message(
    dc: dict[str, Any], known: dict[str, Any], job_status: str, with_sweep: bool
) -> dict[str, Any]:
    """The message that stores collection ``dc`` (imported with ``policy=merge``): its
    MxExperiment in ``job_status`` on a stub of the pin, and its CollectionSweep when
    ``with_sweep``; ``known`` holds the uuids of the pin, the experiment and the sweep."""
    pin = {"LogisticalSample1": {"mxlimsBaseType": "LogisticalSample", "uuid": known["pin"]}}
    experiment: dict[str, Any] = {
        "mxlimsType": "MxExperiment",
        "uuid": known["experiment"],
        "jobStatus": job_status,
        "experimentStrategy": dc.get("experiment_type") or None,
        "startTime": _moment(dc.get("collection_start_time")),
        "logisticalSampleRef": {"$ref": "#/LogisticalSample/LogisticalSample1"},
    }
    if job_status in ("Completed", "Failed"):
        ended = datetime.now(timezone.utc)  # noqa: UP017 - MXCuBE also runs on Python 3.10
        experiment["endTime"] = ended.isoformat()
    message: dict[str, Any] = {
        "version": MXLIMS_VERSION,
        "LogisticalSample": pin,
        "MxExperiment": {"MxExperiment1": _without_none(experiment)},
    }
    if with_sweep:
        message["CollectionSweep"] = {"CollectionSweep1": _sweep(dc, known["sweep"])}
    return message


def _sweep(dc: dict[str, Any], sweep_uuid: str) -> dict[str, Any]:
    sequence = (dc.get("oscillation_sequence") or [{}])[0]
    files = dc.get("fileinfo") or {}
    start = float(sequence.get("start") or 0.0)
    width = _positive(sequence.get("range"))
    images = as_int(sequence.get("number_of_images")) or 1
    first = as_int(sequence.get("start_image_number")) or 1
    resolution = dc.get("resolution")
    if isinstance(resolution, dict):
        resolution = resolution.get("upper")
    wavelength = _positive(dc.get("wavelength"))
    size = [_positive(dc.get("beamSizeAtSampleX")), _positive(dc.get("beamSizeAtSampleY"))]
    sweep: dict[str, Any] = {
        "mxlimsType": "CollectionSweep",
        "uuid": sweep_uuid,
        "role": "Result",
        "sweepType": "simple",
        "scanAxis": "omega",
        "exposureTime": _positive(sequence.get("exposure_time")),
        "imageWidth": width,
        "overlap": sequence.get("overlap") if isinstance(sequence.get("overlap"), float) else None,
        "numberImages": images,
        "energy": 12.398419843320026 / wavelength if wavelength else None,
        "transmission": _positive(dc.get("transmission")),
        "resolution": _positive(resolution),
        "beamSize": size if None not in size else None,
        "beamShape": dc.get("beamShape") or None,
        "axisPositionsStart": {"omega": start},
        "axisPositionsEnd": {"omega": start + (width or 0.0) * images},
        "scans": [
            {
                "scanPositionStart": start,
                "firstImageNumber": first,
                "numberImages": images,
                "ordinal": 0,
            }
        ],
        "prefix": files.get("prefix") or None,
        "filenameTemplate": files.get("template") or None,
        "path": files.get("directory") or None,
        "logisticalSampleRef": {"$ref": "#/LogisticalSample/LogisticalSample1"},
        "sourceRef": {"$ref": "#/MxExperiment/MxExperiment1"},
    }
    if sweep["transmission"] is not None and sweep["transmission"] > 100:
        sweep["transmission"] = None
    return _without_none(sweep)


def _without_none(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}
