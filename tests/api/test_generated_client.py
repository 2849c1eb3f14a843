"""A client generated from the OpenAPI document works: openapi-python-client builds it without
a single warning, and it imports a shipment message and a sheet (as a form) and downloads the
shipments' results files, against the app in process."""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import running
from tests.conftest import FIXTURES, load_json

pytest.importorskip(
    "openapi_python_client", reason="openapi-python-client is not installed (pip install .[dev])"
)
PACKAGE = "mxlims_client"


def generate(document: dict[str, Any], where: Path) -> str:
    """Generate the client package into ``where``; the generator's whole output."""
    spec = where / "openapi.json"
    spec.write_text(json.dumps(document))
    # The generator formats its code with ruff (a dev dependency, beside this Python).
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    command = ["generate", "--path", str(spec), "--meta", "none"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            *command,
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


@pytest.fixture
def client_package(app: FastAPI, tmp_path: Path) -> Iterator[ModuleType]:
    output = generate(app.openapi(), tmp_path)
    said = [line for line in output.splitlines() if line.strip()]
    assert said == [f"Generating {tmp_path / PACKAGE}"], output  # and not one warning
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_the_generated_client_imports_and_downloads_results(
    app: FastAPI, client_package: ModuleType
) -> None:
    message = load_json(FIXTURES / "messages" / "shipment.json")
    sheet = (FIXTURES / "sheets" / "esrf_shipment.csv").read_bytes()
    models, types = module("models"), module("types")
    async with running(app) as plain:
        token = plain.headers["Authorization"].removeprefix("Bearer ")
        client = client_package.AuthenticatedClient(
            base_url="http://testserver",
            token=token,
            httpx_args={"transport": httpx.ASGITransport(app=app)},
        )
        async with client:
            imported = await module("api.messages.import_message").asyncio_detailed(
                client=client, body=models.ImportMessageBody.from_dict(message)
            )
            assert imported.status_code == 201, imported.content
            report = imported.parsed
            assert isinstance(report, models.ImportReport)
            assert report.shipment == message["Shipment"]["Shipment1"]["uuid"]
            assert report.created["Pin"] == len(message["Pin"])

            uploaded = await module("api.sheets.import_sheet").asyncio_detailed(
                "esrf",
                client=client,
                body=models.SheetFile(file=types.File(io.BytesIO(sheet), "esrf_shipment.csv")),
                proposal="mx42",
            )
            assert uploaded.status_code == 201, uploaded.content
            assert uploaded.parsed.created["Pin"] == 14

            results = module("api.shipments.get_shipment_results")
            for shipment in (report.shipment, uploaded.parsed.shipment):
                answer = await results.asyncio_detailed(shipment, client=client)
                assert answer.status_code == 200, answer.content
                assert answer.headers["Content-Disposition"].endswith(
                    f'filename="shipment-{shipment}-results.json"'
                )
                file = answer.parsed
                assert isinstance(file, models.MxlimsMessage) and file.version == "0.6.13"
                [stored] = file.additional_properties["Shipment"].values()
                assert stored["uuid"] == shipment
