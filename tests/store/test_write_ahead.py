"""A store file in rollback-journal mode (a backup copied into place by hand, the bench's
copies) is written in WAL mode like every store once opened: left so, each commit synced the
database in place (at 200,000 objects ~40 ms more per import) and readers waited for writers.
Where the mode cannot change at that moment, the store works on the file as it is."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from mxlims_store.config import Settings
from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import SqliteBackend, database_file
from mxlims_store.store.existence import WHERE_NONE_WAS
from tests.acting import ADMIN, open_admin_store
from tests.factories import shipment_message


def settings_for(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]


def journal_mode(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        connection.close()


async def _backup_of_a_store(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    first = shipment_message(2)
    async with open_admin_store(settings_for(tmp_path / "a"), creation=WHERE_NONE_WAS) as store:
        await store.import_message(first)
        await store.backup(tmp_path / "copy.sqlite3")
    return tmp_path / "copy.sqlite3", first


async def test_a_backup_copied_into_place_is_written_in_wal_mode(tmp_path: Path) -> None:
    copy, first = await _backup_of_a_store(tmp_path)
    assert journal_mode(copy) == "delete"  # what a backup is: one self-contained file
    (tmp_path / "b").mkdir(mode=0o700)
    placed = database_file(tmp_path / "b", "mxlims")
    shutil.copyfile(copy, placed)
    second = shipment_message(3)
    async with open_admin_store(settings_for(tmp_path / "b")) as store:
        assert journal_mode(placed) == "wal"
        await store.import_message(second)
        for message in (first, second):
            assert await store.get(message["Shipment"]["Shipment1"]["uuid"]) is not None
    assert journal_mode(placed) == "wal"
    assert journal_mode(copy) == "delete"  # the backup itself is left alone


async def test_a_file_whose_mode_cannot_change_now_is_used_as_it_is(tmp_path: Path) -> None:
    """Another process reading the rollback-mode file holds the lock the switch needs: the
    store waits its lock timeout, then reads the file in the mode it has (no error)."""
    copy, first = await _backup_of_a_store(tmp_path)
    other = sqlite3.connect(copy, isolation_level=None)
    try:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a shared lock held
        store = Store(SqliteBackend(copy, lock_timeout=0.05), ADMIN)
        try:
            await store.init()
            assert journal_mode(copy) == "delete"
            assert await store.get(first["Shipment"]["Shipment1"]["uuid"]) is not None
        finally:
            await store.db.close()
        other.execute("COMMIT")
    finally:
        other.close()
    store = Store(SqliteBackend(copy), ADMIN)  # nothing holds it now: switched
    try:
        await store.init()
        assert journal_mode(copy) == "wal"
    finally:
        await store.db.close()
