"""keys, backup and check from the command line (the CLI is the local admin)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.test_cli import data_dir, run, write  # noqa: F401 - the autouse fixture
from tests.factories import shipment_message


def test_create_list_and_revoke_a_key() -> None:
    created = run("keys", "create", "--name", "Ada", "--role", "member", "--proposal", "mx1")
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["key"].startswith("mxk.") and key["proposals"] == ["mx1"]
    assert key["createdBy"].endswith("(cli)")
    listed = run("keys", "list")
    assert "hash" not in listed.stdout and key["key"] not in listed.stdout
    listed_keys = {k["name"]: k["id"] for k in json.loads(listed.stdout)}
    assert listed_keys == {"first admin": listed_keys["first admin"], "Ada": key["id"]}  # init's
    revoked = run("keys", "revoke", key["id"])
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["revokedAt"]


def test_a_bad_key_request_is_one_line_per_problem() -> None:
    result = run("keys", "create", "--name", "x", "--role", "member", "--expires", "yesterday")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith("proposals:") for line in lines)
    assert any(line.startswith("expires:") for line in lines)
    assert run("keys", "revoke", "nope").exit_code == 1


def test_backup_and_check(tmp_path: Path, data_dir: Path) -> None:  # noqa: F811
    assert run("import", str(write(tmp_path, "s.json", shipment_message(4)))).exit_code == 0
    copy = tmp_path / "copy.sqlite3"
    backup = run("backup", str(copy))
    assert backup.exit_code == 0, backup.output
    connection = sqlite3.connect(copy)
    count = connection.execute("SELECT count(*) FROM logistical_samples").fetchone()[0]
    connection.close()
    assert count > 4
    checked = run("check")
    assert checked.exit_code == 0 and json.loads(checked.stdout) == {"ok": True}
