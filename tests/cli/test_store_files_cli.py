"""The store knows it exists, from the command line: one line naming the path, never a new
empty store (only `init` and `serve` create one)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mxlims_store.config import get_settings
from mxlims_store.store.backends.sqlite import SCHEMA_VERSION
from tests.cli.test_cli import data_dir, run, write  # noqa: F401 - the autouse fixture
from tests.factories import shipment_message


@pytest.mark.parametrize("command", [["stats"], ["check"], ["keys", "list"], ["backup", "x"]])
def test_a_missing_data_directory_is_refused_by_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    missing = tmp_path / "typo"
    monkeypatch.setenv("MXLIMS_DATA_DIR", str(missing))
    get_settings.cache_clear()
    result = run(*command)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "init" in lines[0]
    assert not missing.exists()


def test_import_into_a_deleted_database_is_refused(tmp_path: Path, data_dir: Path) -> None:  # noqa: F811
    (data_dir / "mxlims.sqlite3").unlink()
    result = run("import", str(write(tmp_path, "s.json", shipment_message(2))))
    assert result.exit_code == 1 and "mxlims.sqlite3 does not exist" in result.stderr
    assert not (data_dir / "mxlims.sqlite3").exists()


def test_init_refuses_an_existing_store() -> None:
    again = run("init")
    assert again.exit_code == 1 and "exists already" in again.stderr


def test_backup_refuses_an_existing_file_and_restore_brings_the_store_back(
    tmp_path: Path,
    data_dir: Path,  # noqa: F811
) -> None:
    assert run("import", str(write(tmp_path, "s.json", shipment_message(4)))).exit_code == 0
    precious = write(tmp_path, "precious.txt", "keep me")
    refused = run("backup", str(precious))
    assert refused.exit_code == 1 and "exists" in refused.stderr
    assert precious.read_text() == "keep me"
    copy = tmp_path / "copy.sqlite3"
    assert run("backup", str(copy)).exit_code == 0
    for name in ("mxlims.sqlite3", "mxlims.sqlite3-wal", "mxlims.sqlite3-shm"):
        (data_dir / name).unlink(missing_ok=True)
    assert run("stats").exit_code == 1
    restored = run("restore", str(copy))
    assert restored.exit_code == 0, restored.output
    assert json.loads(run("stats").stdout)["Pin"] == 4


def test_check_names_a_damaged_file_in_one_line(data_dir: Path) -> None:  # noqa: F811
    (data_dir / "mxlims.sqlite3").write_bytes(b"garbage" * 1000)
    for name in ("mxlims.sqlite3-wal", "mxlims.sqlite3-shm"):
        (data_dir / name).unlink(missing_ok=True)
    result = run("check")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "mxlims.sqlite3" in lines[0] and "Traceback" not in result.output


def test_a_backup_of_an_older_schema_is_migrated_by_restore(
    tmp_path: Path,
    data_dir: Path,  # noqa: F811
) -> None:
    """A running server's next request meets the restored store in this version's layout: the
    restore command migrates it, not the next process that happens to open it."""
    from tests.store.test_schema_v9 import _as_v8

    assert run("import", str(write(tmp_path, "s.json", shipment_message(4)))).exit_code == 0
    copy = tmp_path / "copy.sqlite3"
    assert run("backup", str(copy)).exit_code == 0
    _as_v8(copy)
    with sqlite3.connect(copy) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 8
    assert run("restore", str(copy)).exit_code == 0
    live = sqlite3.connect(data_dir / "mxlims.sqlite3")
    try:
        assert live.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = {row[1] for row in live.execute("PRAGMA table_info(logistical_samples)")}
        assert "n_containerId" in columns
    finally:
        live.close()
    assert json.loads(run("stats").stdout)["Pin"] == 4
    assert run("check").exit_code == 0
