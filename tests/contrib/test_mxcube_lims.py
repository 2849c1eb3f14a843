"""contrib/mxcube under the real mxcubecore, in a venv of its own, against a served store.

mxcubecore (2.149) pins pydantic < 2.9 and numpy < 2, so it can never share the project's
environment: the test builds a venv once (in a cache folder outside the checkout, reused while
its marker matches), installs mxcubecore with ``--no-deps`` and then its declared requirements
less python-ldap and PyTango (an LDAP client library and the Tango control system: neither is
importable without system libraries, and AbstractLims needs neither), about a minute. It is
skipped, saying why, only where PyPI cannot be reached.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mxlims_store.answers import MXCUBE_SAMPLE_KEYS
from tests.api.test_serve import serving
from tests.conftest import FIXTURES, ROOT

MXCUBECORE = "mxcubecore==2.149.0"
LEFT_OUT = {"python-ldap", "pytango"}
CONTRIB = ROOT / "contrib" / "mxcube"
DRIVER = Path(__file__).with_name("mxcube_driver.py")
DOCUMENTED = set(MXCUBE_SAMPLE_KEYS)  # as the project reads mxcubecore's docstring


def _interpreter() -> tuple[str, str]:
    """A Python mxcubecore 2.149 installs on (3.10 or 3.11: it declares < 3.12), and its tag."""
    if sys.version_info < (3, 12):
        return sys.executable, f"py{sys.version_info.major}{sys.version_info.minor}"
    for tag in ("3.11", "3.10"):
        found = shutil.which(f"python{tag}")
        if found:
            return found, f"py{tag.replace('.', '')}"
    pytest.skip(f"{MXCUBECORE} needs Python 3.10 or 3.11 (it declares < 3.12); none is here")


def _cache(tag: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mxlims-store-tests" / f"{MXCUBECORE.replace('==', '-')}-{tag}"


def _run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **options)


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement)
    return (match.group(1) if match else requirement).lower().replace("_", "-")


@pytest.fixture(scope="module")
def mxcube_python() -> Path:
    """The python of a venv holding the real mxcubecore (built once, then reused)."""
    interpreter, tag = _interpreter()
    venv = _cache(tag)
    python = venv / "bin" / "python"
    marker = venv / "complete"
    if marker.exists() and python.exists():
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    made = _run([interpreter, "-m", "venv", "--clear", str(venv)])
    assert made.returncode == 0, made.stderr
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    core = _run([*pip, "--no-deps", MXCUBECORE])
    if core.returncode != 0:
        reachable = _run(
            [
                str(python),
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "-d",
                str(venv / "probe"),
                "colorama==0.4.6",
            ]
        )
        if reachable.returncode != 0:
            pytest.skip(f"PyPI cannot be reached to install {MXCUBECORE}: {core.stderr[-300:]}")
        raise AssertionError(f"installing {MXCUBECORE} failed:\n{core.stderr}")
    declared = _run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; print(chr(10).join(m.requires('mxcubecore')))",
        ]
    )
    assert declared.returncode == 0, declared.stderr
    wanted = [
        r
        for r in declared.stdout.splitlines()
        if r.strip() and "extra ==" not in r and _requirement_name(r) not in LEFT_OUT
    ]
    deps = _run([*pip, *wanted])
    assert deps.returncode == 0, f"mxcubecore's requirements failed:\n{deps.stderr}"
    marker.write_text("\n".join(wanted) + "\n")
    return python


def drive(python: Path, url: str, key: str, phase: str, argument: Any = None) -> dict[str, Any]:
    command = [str(python), str(DRIVER), str(CONTRIB), url, key, phase]
    if argument is not None:
        command.append(json.dumps(argument))
    done = _run(command, timeout=120)
    assert done.returncode == 0, f"{phase}: {done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mxcube")


@pytest.fixture(scope="module")
def prepared(home: Path) -> Iterator[dict[str, Any]]:
    """A store holding shipment.json, with a staff key of beamline ID23-1 and the pucks in its
    sample changer."""
    with serving(home) as base:
        admin = (home / "data" / "first-admin-key.txt").read_text().strip()
        with httpx.Client(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {admin}"}
        ) as api:
            body = (FIXTURES / "messages" / "shipment.json").read_bytes()
            report = api.post(
                "/messages", content=body, headers={"Content-Type": "application/json"}
            )
            assert report.status_code == 201, report.text
            staff = api.post(
                "/keys", json={"name": "MXCuBE ID23-1", "role": "staff", "beamline": "ID23-1"}
            )
            key = staff.json()["key"]
            pucks = sorted(
                {s["containerUuid"] for s in api.get("/proposals/mx1234/samples").json()}
            )
            for position, puck in enumerate(pucks, start=1):
                moved = api.post(
                    f"/objects/{puck}/events",
                    json={"state": "at_beamline", "sampleChangerPosition": position},
                    headers={"Authorization": f"Bearer {key}"},
                )
                assert moved.status_code == 201, moved.text
        yield {"admin": admin, "key": key, "shipment": report.json()["shipment"]}


def test_the_lims_lists_samples_with_stable_ids_records_collections_and_mounts(
    mxcube_python: Path, home: Path, prepared: dict[str, Any]
) -> None:
    key, admin = prepared["key"], prepared["admin"]
    with serving(home) as base:  # the store of `prepared`, served afresh
        first = drive(mxcube_python, base, key, "samples")
    assert first["abstract_left"] == [] and len(first["abstract_methods"]) == 18
    assert first["echo"] is True and first["user"] == "MXCuBE ID23-1"
    assert first["lims_name"] == "mxlims-store" and first["beamline"] == "ID23-1"
    assert first["sessions"] == ["mx1234"] and first["proposals"] == ["mx1234"]
    samples = first["samples"]
    assert len(samples) == 14  # one per pin of shipment.json
    # the keys mxcubecore documents (read from its docstring) = the project's = contrib's
    assert set(first["documented_keys"]) == DOCUMENTED == set(first["contrib_keys"])
    assert all(set(s) == DOCUMENTED for s in samples)
    assert all(isinstance(s["sampleId"], int) and isinstance(s["crystalId"], int) for s in samples)
    assert {s["containerSampleChangerLocation"] for s in samples} == {"1", "2", "3", "4"}
    assert all(isinstance(s["diffractionPlan"]["diffractionPlanId"], int) for s in samples)
    assert first["not_stored"] == {
        "energy": {"energyScanId": -1},
        "xfe": {"xfeFluorescenceSpectrumId": -1},
        "image": None,
        "workflow": [None, None, None],
        "setup": -1,
        "robot_dispose": None,
        "unknown_sample": [None, None],
        "garbage": [None, None],
    }
    assert first["down"] == {
        "echo": False,
        "samples": [],
        "collection": [None, None],
        "robot": None,
    }

    with serving(home) as base:  # restarted: the same ids
        again = drive(mxcube_python, base, key, "samples")
        assert [s["sampleId"] for s in again["samples"]] == [s["sampleId"] for s in samples]
        assert again["samples"] == samples
        pin = samples[0]["sampleId"]
        collected = drive(mxcube_python, base, key, "collect", pin)
        robot = drive(mxcube_python, base, key, "robot", pin)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"}) as http:
            listed = http.get("/api/v1/proposals/mx1234/samples").json()
            pin_uuid = next(s["uuid"] for s in listed if s["sampleId"] == pin)
            status = http.get(f"/api/v1/shipments/{prepared['shipment']}/status").json()
            by_pin = {line["uuid"]: line["status"] for line in status["positions"]}
            sweeps = http.get(
                "/api/v1/objects",
                params={"type": "CollectionSweep", "where": f"logisticalSampleId={pin_uuid}"},
            ).json()["items"]
            events = http.get(f"/api/v1/objects/{pin_uuid}/events").json()["events"]
            page = _pin_page(http, admin, pin_uuid)
    number = collected["stored"][0]
    assert (
        isinstance(number, int) and collected["updated"][0] == collected["finalized"][0] == number
    )
    assert by_pin[pin_uuid] == "collected"
    assert sum(1 for v in by_pin.values() if v == "collected") == 1
    made = [s for s in sweeps if s.get("path") == "/data/id23/mx1234/RAW"]
    assert len(made) == 1
    sweep = made[0]
    assert sweep["scans"] == [
        {"scanPositionStart": 10.0, "firstImageNumber": 1, "numberImages": 1800, "ordinal": 0}
    ]
    assert sweep["resolution"] == 1.55 and abs(sweep["energy"] - 12.699) < 0.01
    assert robot["robot"] is None
    assert [e["state"] for e in events] == ["mounted"]
    assert events[0]["beamline"] == "ID23-1" and events[0]["actor"] == "MXCuBE ID23-1"
    assert re.search(r"<td>mounted</td>\s*<td>ID23-1", page)


def _pin_page(http: httpx.Client, key: str, uuid: str) -> str:
    """The pin's page as a person sees it, signed in with ``key``."""
    form = http.get("/pages/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    signed = http.post("/pages/login", data={"key": key, "csrf": csrf.group(1)})
    assert signed.status_code in (200, 303), signed.text
    page = http.get(f"/pages/objects/{uuid}")
    assert page.status_code == 200
    return page.text
