"""Which MXLIMS versions a message may declare, and how older ones are brought up to date.

Each version is read with its own shape where they differ (``../shared/mxlims-reference``):
0.6.11 and 0.6.12 differ from 0.6.13 in ``VolumeScan`` only. Their ``PointCloud`` is a list of
``points`` (``ScannedPoint``: coordinates, intensity, resolution, spotCount) where 0.6.13 has a
``position`` (required) and one list per quantity, and their ``VolumeScan.subVolumes`` is gone.
The upgrade carries what 0.6.13 can hold and says what it cannot (``notes``: JSON path and
what was not carried over); the message is stored as 0.6.13, the source version kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mxlims_store.messages.paths import join
from mxlims_store.model.registry import MODEL_VERSION

Notes = list[tuple[str, str]]  # (JSON path, what could not be carried over)
Upgrade = Callable[[dict[str, Any], Notes], dict[str, Any]]

# ScannedPoint field -> the 0.6.13 PointCloud list holding it, one value per point
_PER_POINT = {"intensity": "intensities", "resolution": "resolutions"}


def _current(message: dict[str, Any], notes: Notes) -> dict[str, Any]:
    return message


def _point_cloud(cloud: Any, path: str, notes: Notes) -> Any:
    """A 0.6.12 PointCloud (``points``) in 0.6.13's shape; anything else as it is (the model
    then says what is wrong with it, at its path)."""
    if not isinstance(cloud, dict) or "points" not in cloud or "position" in cloud:
        return cloud
    points = cloud["points"]
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        return cloud
    out = {k: v for k, v in cloud.items() if k != "points"}
    # 0.6.12 coordinates are absolute (goniostat at omega = kappa = phi = 0); 0.6.13 gives them
    # relative to a motor position: the zero position, i.e. no axis moved.
    out["position"] = {}
    out["coordinates"] = [p.get("coordinates") for p in points]
    for old, new in _PER_POINT.items():
        values = [p.get(old) for p in points]
        if all(v is not None for v in values):
            out[new] = values
        elif any(v is not None for v in values):
            notes.append(
                (
                    join(path, "points"),
                    f"{old} is given for some points only; 0.6.13 lists one "
                    f"per point ({new}), so it is not kept",
                )
            )
    counted = sum(1 for p in points if p.get("spotCount") is not None)
    if counted:
        notes.append(
            (
                join(path, "points"),
                f"spotCount of {counted} point(s) is not kept: 0.6.13 has no "
                "spot count (its reflectionCounts count reflections)",
            )
        )
    extra = sorted({k for p in points for k in p} - {"coordinates", "spotCount", *_PER_POINT})
    if extra:
        notes.append((join(path, "points"), f"{', '.join(extra)} of the points are not kept"))
    return out


def _volume_scans_0612(message: dict[str, Any], notes: Notes) -> dict[str, Any]:
    """0.6.11 and 0.6.12 (same VolumeScan shape) -> 0.6.13."""
    message = {**message, "version": MODEL_VERSION}
    section = message.get("VolumeScan")
    if not isinstance(section, dict):
        return message
    upgraded: dict[str, Any] = {}
    for key, scan in section.items():
        if not isinstance(scan, dict):
            upgraded[key] = scan
            continue
        path = join("VolumeScan", key)
        scan = dict(scan)
        for field in ("searchVolume", "resultVolume"):
            if field in scan:
                scan[field] = _point_cloud(scan[field], join(path, field), notes)
        if "subVolumes" in scan:
            sub = scan.pop("subVolumes")
            count = len(sub) if isinstance(sub, list) else 1
            notes.append(
                (
                    join(path, "subVolumes"),
                    f"{count} sub-volume(s) not kept: 0.6.13 has no "
                    "subVolumes (the resultVolume's grouping classifies its points instead)",
                )
            )
        upgraded[key] = scan
    message["VolumeScan"] = upgraded
    return message


# version -> function returning the message in MODEL_VERSION form, noting what it drops.
UPGRADES: dict[str, Upgrade] = {
    MODEL_VERSION: _current,
    "0.6.12": _volume_scans_0612,
    "0.6.11": _volume_scans_0612,  # 0.6.11 differs from 0.6.12 in schema layout only
}

SUPPORTED_VERSIONS: tuple[str, ...] = tuple(UPGRADES)
