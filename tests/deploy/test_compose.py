"""docker-compose.yml is well-formed and says what the docs promise (no Docker engine here)."""

from __future__ import annotations

import shutil
import subprocess

import yaml

from tests.conftest import ROOT


def test_compose_file_has_a_healthchecked_replica_set_and_the_api() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mongo, api = compose["services"]["mongo"], compose["services"]["api"]
    assert "--replSet" in mongo["command"]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])
    assert api["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert api["environment"]["MXLIMS_MONGODB_URL"].startswith("mongodb://mongo:27017")
    assert "mxlims-store serve" in api["command"]


def test_docker_compose_config_accepts_it_where_docker_compose_exists() -> None:
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], capture_output=True).returncode
    ):
        return  # no compose plugin on this machine: the structural test above stands in
    result = subprocess.run(
        [docker, "compose", "config", "--quiet"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
