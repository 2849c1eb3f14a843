"""``validate`` runs every check ``import`` runs short of the store: on a table of messages both
accept or both refuse, with the same problems in the same words and the same exit code.
Older versions (0.6.11, 0.6.12) are read with their own shape; what 0.6.13 cannot hold is said."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import data_dir, run, write  # noqa: F401 - the autouse fixture
from tests.conftest import SHARED, needs_shared
from tests.factories import derived_chain, minimal, new_uuid, ref, shipment_message


def _self_derived() -> dict[str, Any]:
    message = derived_chain(2)
    message["ReflectionSet"]["ReflectionSet1"]["derivedFromRef"] = ref("ReflectionSet", 1)
    return message


def _duplicate_uuid() -> dict[str, Any]:
    message = shipment_message(2)
    message["Puck"]["Puck1"]["uuid"] = message["Dewar"]["Dewar1"]["uuid"]
    return message


def _two_pins_in_one_place() -> dict[str, Any]:
    message = shipment_message(2)
    message["Pin"]["Pin2"]["positionInPuck"] = 1
    return message


def _puck_in_itself() -> dict[str, Any]:
    message = shipment_message(1)
    message["Puck"]["Puck1"]["containerRef"] = ref("Puck", 1)
    return message


def _job_started_from_itself() -> dict[str, Any]:
    job = minimal("MxExperiment", uuid=new_uuid(), startedFromRef=ref("MxExperiment", 1))
    return {"version": "0.6.13", "MxExperiment": {"MxExperiment1": job}}


def _dangling() -> dict[str, Any]:
    message = shipment_message(1)
    message["Pin"]["Pin1"]["containerRef"] = ref("Puck", 9)
    return message


def _barcode_twice() -> dict[str, Any]:
    message = shipment_message(2)
    message["Pin"]["Pin2"]["barcode"] = message["Pin"]["Pin1"]["barcode"]
    return message


def _beyond_capacity() -> dict[str, Any]:
    message = shipment_message(2, positions=4)
    message["Pin"]["Pin2"]["positionInPuck"] = 5
    return message


def _unknown_version() -> dict[str, Any]:
    return {**shipment_message(1), "version": "0.5.0"}


def volume_scan_0612() -> dict[str, Any]:
    """A VolumeScan as 0.6.12 writes it: PointClouds of ScannedPoints, and subVolumes."""
    points = [
        {"coordinates": [0.1, 0.2, 0.3], "intensity": 10.0, "resolution": 2.1, "spotCount": 40},
        {"coordinates": [0.2, 0.2, 0.3], "intensity": 12.5, "resolution": 1.9, "spotCount": 55},
    ]
    scan = {
        "mxlimsType": "VolumeScan",
        "uuid": new_uuid(),
        "experimentType": "Xray.centring",
        "searchVolume": {"points": [{"coordinates": [0.0, 0.0, 0.0]}]},
        "resultVolume": {"points": points},
        "subVolumes": [{"points": points[:1]}, {"points": points[1:]}],
    }
    return {"version": "0.6.12", "VolumeScan": {"VolumeScan1": scan}}


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], dict[str, Any]]
    refused: bool
    says: str = ""


CASES = [
    Case("a shipment", lambda: shipment_message(3, experiments=True), False),
    Case("a dataset derived from itself", _self_derived, True, "points at the object itself"),
    Case("a job started from itself", _job_started_from_itself, True, "the object itself"),
    Case("a puck in itself", _puck_in_itself, True, "may point at Dewar"),
    Case("a duplicate uuid", _duplicate_uuid, True, "duplicate uuid"),
    Case("two pins in one place", _two_pins_in_one_place, True, "position 1"),
    Case("a position beyond the capacity", _beyond_capacity, True, "4"),
    Case("one barcode on two pins", _barcode_twice, True, "used twice"),
    Case("a dangling reference", _dangling, True, "dangling reference"),
    Case("an unknown version", _unknown_version, True, "unsupported MXLIMS version"),
    Case("a 0.6.12 VolumeScan", volume_scan_0612, False),
]


def problems_of(output: str, prefix: str = "") -> list[str]:
    return sorted(line.removeprefix(prefix) for line in output.splitlines() if line.strip())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_and_import_agree(tmp_path: Path, case: Case) -> None:
    file = write(tmp_path, "m.json", case.build())
    checked = run("validate", str(file))
    imported = run("import", str(file))
    assert checked.exit_code == imported.exit_code == (1 if case.refused else 0), (
        checked.output,
        imported.output,
    )
    if case.refused:
        said = problems_of(checked.stderr, f"{file}: ")
        assert said == problems_of(imported.stderr)  # the same problems, in the same words
        assert any(case.says in line for line in said), said
        assert not any("dangling" in line for line in said) or case.says == "dangling reference"


def test_a_0612_volume_scan_is_read_with_its_own_shape(tmp_path: Path) -> None:
    file = write(tmp_path, "scan.json", volume_scan_0612())
    imported = run("import", "--json", str(file))
    assert imported.exit_code == 0, imported.output
    report = json.loads(imported.stdout)
    warnings = " ".join(report["warnings"])
    assert "2 sub-volume(s) not kept" in warnings and "spotCount of 2 point(s)" in warnings
    assert "(read as 0.6.12)" in warnings
    uuid = report["keys"]["VolumeScan/VolumeScan1"]
    stored = json.loads(run("get", uuid).stdout)
    assert stored["resultVolume"] == {
        "position": {},
        "coordinates": [[0.1, 0.2, 0.3], [0.2, 0.2, 0.3]],
        "intensities": [10.0, 12.5],
        "resolutions": [2.1, 1.9],
    }
    assert stored["_meta"]["sourceVersion"] == "0.6.12" and "subVolumes" not in stored
    checked = run("validate", str(file))
    assert checked.exit_code == 0 and "sub-volume(s) not kept" in checked.stderr


@needs_shared
@pytest.mark.parametrize("version", ["0.6.11", "0.6.12"])
def test_the_volume_scan_case_is_valid_under_its_own_official_schema(version: str) -> None:
    sys.path.insert(0, str(SHARED / "tools"))
    import mxlims_conformance  # type: ignore[import-not-found]

    message = copy.deepcopy(volume_scan_0612())
    message["version"] = version
    assert list(mxlims_conformance.errors(message, "MxlimsMessage", version)) == []
    assert list(mxlims_conformance.errors(message, "MxlimsMessage", "0.6.13")) != []
