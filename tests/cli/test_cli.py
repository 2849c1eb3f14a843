"""The mxlims-store command: exit codes, one line per problem, JSON on stdout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mxlims_store.cli import app
from tests.conftest import REFERENCE, conformance_errors, needs_shared
from tests.factories import derived_chain, results_message, shipment_message

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from mxlims_store.config import get_settings

    monkeypatch.setenv("MXLIMS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MXLIMS_MONGODB_URL", raising=False)
    get_settings.cache_clear()
    created = runner.invoke(app, ["init"])  # no command but init and serve makes a store
    assert created.exit_code == 0, created.output
    yield tmp_path / "data"
    get_settings.cache_clear()


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


@needs_shared
def test_validate_the_official_examples() -> None:
    files = [str(p) for p in (REFERENCE / "0.6.13/messages").glob("*/valid/*.json")]
    result = run("validate", *files)
    assert result.exit_code == 0, result.output


def test_validate_reports_one_line_per_problem_with_file_and_path(tmp_path: Path) -> None:
    good = write(tmp_path, "good.json", shipment_message(2))
    bad_message = shipment_message(2)
    bad_message["Pin"]["Pin1"]["containerRef"] = {"$ref": "#/Puck/Puck9"}
    bad_message["Pin"]["Pin2"]["positionInPuck"] = 0
    bad = write(tmp_path, "bad.json", bad_message)
    broken = write(tmp_path, "broken.json", '{"version": "0.6.13",')
    result = run("validate", str(good), str(bad), str(broken))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert (
        f"{bad}: Pin/Pin1/containerRef: dangling reference '#/Puck/Puck9': "
        "no such object in the message" in lines
    )
    assert any(line.startswith(f"{bad}: Pin/Pin2/positionInPuck: ") for line in lines)
    assert any(line.startswith(f"{broken}: not valid JSON") for line in lines)
    assert len(lines) == 3
    assert "Traceback" not in result.output


def test_normalize_assigns_uuids_and_writes_refs(tmp_path: Path) -> None:
    message = shipment_message(2)
    for pin in message["Pin"].values():
        del pin["uuid"]
    result = run("normalize", str(write(tmp_path, "m.json", message)))
    assert result.exit_code == 0
    normalised = json.loads(result.stdout)
    assert all("uuid" in pin for pin in normalised["Pin"].values())
    assert normalised["Pin"]["Pin1"]["containerRef"] == {"$ref": "#/Puck/Puck1"}
    assert conformance_errors(normalised, "ShipmentMessage") == [] if REFERENCE.is_dir() else True


def test_store_commands_end_to_end(tmp_path: Path) -> None:
    shipment = shipment_message(3)
    results = results_message(shipment)
    imported = run("import", str(write(tmp_path, "s.json", shipment)), "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["created"]["Pin"] == 3
    again = run(
        "import", str(write(tmp_path, "r.json", results)), "--policy", "update_old", "--json"
    )
    assert json.loads(again.stdout)["created"]["ReflectionSet"] == 1

    pin = shipment["Pin"]["Pin2"]["uuid"]
    got = json.loads(run("get", pin).stdout)
    assert got["uuid"] == pin and got["_meta"]["revision"] == 1
    found = json.loads(
        run("find", "--type", "Pin", "--where", "positionInPuck>=2", "--total").stdout
    )
    assert found["total"] == 2
    reflection_set = results["ReflectionSet"]["ReflectionSet1"]["uuid"]
    steps = json.loads(run("provenance", reflection_set).stdout)
    assert "Shipment" in {s["mxlimsType"] for s in steps}
    down = json.loads(
        run(
            "provenance", shipment["Shipment"]["Shipment1"]["uuid"], "--down", "--depth", "1"
        ).stdout
    )
    assert {s["mxlimsType"] for s in down} == {"Shipment", "Dewar"}
    out = tmp_path / "export.json"
    assert (
        run("export", shipment["Shipment"]["Shipment1"]["uuid"], "--out", str(out)).exit_code == 0
    )
    assert reflection_set in {
        o["uuid"] for o in json.loads(out.read_text())["ReflectionSet"].values()
    }
    history = json.loads(run("history", pin).stdout)
    assert [h["operation"] for h in history] == ["create"]
    stats = json.loads(run("stats").stdout)
    assert stats["Pin"] == 3 and stats["ReflectionSet"] == 1


def test_import_of_a_bad_file_exits_1_with_paths_and_stores_nothing(tmp_path: Path) -> None:
    bad = shipment_message(3)
    bad["Dewar"]["Dewar1"]["containerRef"] = {"$ref": "#/Puck/Puck1"}
    result = run("import", str(write(tmp_path, "bad.json", bad)))
    assert result.exit_code == 1
    assert "Dewar/Dewar1/containerRef" in result.stderr
    assert json.loads(run("stats").stdout) == {}


def test_unknown_uuid_and_bad_options(tmp_path: Path) -> None:
    missing = run("get", "0196f23a-dce0-2560-baac-f1b23ec9e0dd")
    assert missing.exit_code == 1 and "no object" in missing.stderr
    assert run("import", "nope.json").exit_code == 1
    assert run("import", str(write(tmp_path, "s.json", {})), "--policy", "whatever").exit_code == 2
    assert run("find", "--where", "no operator").exit_code == 2


def test_find_by_extension_field(tmp_path: Path) -> None:
    shipment = shipment_message(3)
    shipment["Pin"]["Pin2"]["extensions"] = {"esrf.fr": {"centringMethod": "xray"}}
    run("import", str(write(tmp_path, "s.json", shipment)))
    found = json.loads(run("find", "--extension", "esrf.fr:centringMethod=xray").stdout)
    assert [p["uuid"] for p in found["items"]] == [shipment["Pin"]["Pin2"]["uuid"]]
    assert len(json.loads(run("find", "--extension", "esrf.fr").stdout)["items"]) == 1


def test_import_prints_a_summary_a_person_reads(tmp_path: Path) -> None:
    shipment = shipment_message(3)
    result = run("import", str(write(tmp_path, "s.json", shipment)))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "imported s.json:"
    assert "created   " in lines[1] and "Pin 3" in lines[1]
    assert lines[-1].split() == ["shipment", shipment["Shipment"]["Shipment1"]["uuid"]]
    again = run("import", str(write(tmp_path, "s.json", shipment)), "--dry-run")
    assert again.stdout.startswith("would import") and "unchanged " in again.stdout


def test_version_help_and_debug() -> None:
    assert run("--version").stdout.startswith("mxlims-store ")
    assert "Usage" in run("-h").stdout and "Usage" in run("import", "-h").stdout


def test_provenance_and_export_cut_at_the_depth_limit_say_so_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mxlims_store.config import get_settings
    from mxlims_store.store.walk import MAX_DEPTH

    chain = derived_chain(MAX_DEPTH + 6)
    assert run("import", str(write(tmp_path, "chain.json", chain))).exit_code == 0
    last = chain["ReflectionSet"][f"ReflectionSet{MAX_DEPTH + 6}"]["uuid"]
    left_out = chain["ReflectionSet"]["ReflectionSet5"]["uuid"]

    provenance = run("provenance", last)
    assert provenance.exit_code == 0
    assert len(json.loads(provenance.stdout)) == MAX_DEPTH + 1
    assert provenance.stderr.startswith("truncated: stopped at the depth limit of 64 levels")
    assert left_out in provenance.stderr

    out = tmp_path / "export.json"
    exported = run("export", last, "--out", str(out))
    assert exported.exit_code == 0 and "truncated: " in exported.stderr
    assert left_out in exported.stderr
    # the file imports into a fresh data directory
    monkeypatch.setenv("MXLIMS_DATA_DIR", str(tmp_path / "fresh"))
    get_settings.cache_clear()
    assert run("init").exit_code == 0
    again = run("import", str(out), "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["created"] == {"ReflectionSet": MAX_DEPTH + 1}
