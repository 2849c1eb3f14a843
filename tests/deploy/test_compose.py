"""docker-compose.yml and the Dockerfile say what the docs promise (no Docker engine here)."""

from __future__ import annotations

import shutil
import subprocess

import yaml

from tests.conftest import ROOT


def test_compose_file_has_a_healthchecked_primary_and_the_built_api() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mongo, api = compose["services"]["mongo"], compose["services"]["api"]
    assert "--replSet" in mongo["command"]
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in check and "isWritablePrimary" in check
    assert api["build"] == "."  # the image of the Dockerfile: nothing installed at start
    assert "command" not in api and "pip" not in str(api)
    assert api["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert api["environment"]["MXLIMS_MONGODB_URL"].startswith("mongodb://mongo:27017")


def test_dockerfile_builds_the_wheel_and_runs_unprivileged_with_a_healthcheck() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    stages = [line for line in instructions if line.startswith("FROM ")]
    assert len(stages) == 2 and stages[0].endswith(" AS build")
    assert any(line.startswith("RUN pip wheel") for line in instructions)
    assert any("--no-index" in line for line in instructions)  # the run stage downloads nothing
    user = [line for line in instructions if line.startswith("USER ")]
    assert user and user[-1] != "USER root"
    assert any(line.startswith("HEALTHCHECK") for line in instructions)
    assert any("/health" in line for line in lines)
    assert instructions[-1].startswith("CMD") and "serve" in instructions[-1]


def test_docker_compose_config_accepts_it_where_docker_compose_exists() -> None:
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], capture_output=True).returncode
    ):
        return  # no compose plugin on this machine: the structural tests above stand in
    result = subprocess.run(
        [docker, "compose", "config", "--quiet"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
