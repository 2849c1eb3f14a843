"""event, where, status and delete from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import data_dir, run, write  # noqa: F401 - the autouse fixture
from tests.factories import shipment_message


def test_event_where_status_and_delete(tmp_path: Path) -> None:
    message = shipment_message(3)
    assert run("import", str(write(tmp_path, "s.json", message))).exit_code == 0
    scanned = run("event", "DW-1", "received", "--facility", "SLS", "--location", "dock")
    assert scanned.exit_code == 0, scanned.output
    assert json.loads(scanned.stdout)["actor"].endswith("(cli)")
    where = json.loads(run("where", "DW-1").stdout)
    assert where["state"] == "received" and where["location"]["facility"] == "SLS"
    refused = run("event", "DW-1", "shipped")
    assert refused.exit_code == 1 and "cannot go from received to shipped" in refused.stderr
    shipment = message["Shipment"]["Shipment1"]["uuid"]
    status = json.loads(run("status", shipment, "--json").stdout)
    assert status["counts"]["planned"] == 3 and status["state"] is None
    lines = run("status", shipment).stdout.splitlines()  # a headline, then one line per pin
    assert lines[0].endswith(": 3 planned") and len(lines) == 4
    assert all(line.split("\t")[4] == "planned" for line in lines[1:])
    puck = message["Puck"]["Puck1"]["uuid"]
    blocked = run("delete", puck)
    said = blocked.stderr.strip().splitlines()  # what to do first, then one line per pin
    assert blocked.exit_code == 1 and len(said) == 4
    assert said[0] == "3 object(s) point at it; delete them first or ask for a cascade"
    assert all(line.endswith(": Pin points at it (contents)") for line in said[1:])
    deleted = json.loads(run("delete", puck, "--cascade").stdout)["deleted"]
    assert len(deleted) == 4 and deleted[0] == puck


def test_event_finds_a_dewar_by_its_name_and_refuses_an_ambiguous_one(tmp_path: Path) -> None:
    for n in (1, 2):
        message = shipment_message(2)
        del message["Dewar"]["Dewar1"]["barcode"]
        message["Dewar"]["Dewar1"]["name"] = "DW-01" if n == 1 else "DW-02"
        message["Puck"]["Puck1"]["name"] = "PUCK-A"  # both shipments have a puck PUCK-A
        assert run("import", str(write(tmp_path, f"s{n}.json", message))).exit_code == 0
    scanned = run("event", "DW-01", "received", "--facility", "ESRF")
    assert scanned.exit_code == 0, scanned.output
    assert json.loads(run("where", "DW-01").stdout)["state"] == "received"
    refused = run("event", "PUCK-A", "received")
    assert refused.exit_code == 1 and "'PUCK-A' names 2 dewars or containers" in refused.stderr
