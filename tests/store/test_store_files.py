"""The embedded store's files: it knows it exists, backs up to new files only, restores, and
names damage in one line each (issue 23)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.config import Settings
from mxlims_store.errors import Conflict, StoreBroken, Unauthenticated
from mxlims_store.store.backend import restore, verify
from mxlims_store.store.backends.sqlite import database_file
from mxlims_store.store.existence import ANEW, EXISTING, WHERE_NONE_WAS
from mxlims_store.store.server_state import server_state
from tests.acting import open_admin_store
from tests.factories import shipment_message


def settings_for(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]


async def _stored(data_dir: Path, pins: int = 3) -> dict[str, Any]:
    message = shipment_message(pins)
    async with open_admin_store(settings_for(data_dir), creation=WHERE_NONE_WAS) as store:
        await store.import_message(message)
    return message


# -- the store knows it exists -------------------------------------------------------------


async def test_a_missing_data_directory_is_named_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(StoreBroken) as caught:
        async with open_admin_store(settings_for(missing)):
            pass
    assert str(missing) in caught.value.message and "init" in caught.value.message
    assert not missing.exists()


async def test_a_deleted_database_is_never_a_new_empty_store(tmp_path: Path) -> None:
    await _stored(tmp_path / "data")
    database = database_file(tmp_path / "data", "mxlims")
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    (tmp_path / "data" / "first-admin-key.txt").write_text("kept\n")  # the directory was used
    for creation in (EXISTING, WHERE_NONE_WAS):  # every command; and serve
        with pytest.raises(StoreBroken) as caught:
            async with open_admin_store(settings_for(tmp_path / "data"), creation=creation):
                pass
        assert str(database.name) in caught.value.message and "restore" in caught.value.message
        assert not database.exists()
    async with open_admin_store(settings_for(tmp_path / "data"), creation=ANEW) as store:  # init
        assert sum((await store.stats()).values()) == 0


async def test_a_database_cut_to_nothing_is_refused(tmp_path: Path) -> None:
    await _stored(tmp_path)
    database = database_file(tmp_path, "mxlims")
    database.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    with pytest.raises(StoreBroken, match="empty"):
        async with open_admin_store(settings_for(tmp_path), creation=WHERE_NONE_WAS):
            pass


async def test_what_the_store_creates_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "new"
    await _stored(data_dir)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in data_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    kept = tmp_path / "theirs"
    kept.mkdir(mode=0o755)
    os.chmod(kept, 0o755)
    await _stored(kept)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o755  # as its owner made it


# -- backup writes new files only; restore is the way back -----------------------------------


async def test_backup_refuses_every_existing_path_and_changes_none(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await _stored(data_dir)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    existing = tmp_path / "existing.txt"
    existing.write_text("precious")
    database = database_file(data_dir, "mxlims")
    link_to_live = tmp_path / "link.sqlite3"
    link_to_live.symlink_to(database)
    async with open_admin_store(settings_for(data_dir)) as store:
        before = database.read_bytes()
        for target in (
            existing,
            fifo,
            tmp_path,
            database,
            database.with_name(database.name + "-wal"),
            link_to_live,
            tmp_path / "no-such-dir" / "copy.sqlite3",
        ):
            with pytest.raises(Conflict) as caught:
                await store.backup(target)
            assert "\n" not in caught.value.message
        assert existing.read_text() == "precious"
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        assert database.read_bytes() == before and (await store.stats())["Pin"] == 3
        report = await store.backup(tmp_path / "copy.sqlite3")
    assert report["bytes"] > 0
    assert stat.S_IMODE((tmp_path / "copy.sqlite3").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


async def test_restore_brings_back_a_deleted_store_and_refuses_garbage(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    message = await _stored(data_dir, pins=7)
    async with open_admin_store(settings_for(data_dir)) as store:
        await store.backup(tmp_path / "copy.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    with pytest.raises(StoreBroken, match="cannot be restored"):
        restore(settings_for(data_dir), garbage)
    database = database_file(data_dir, "mxlims")
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    report = restore(settings_for(data_dir), tmp_path / "copy.sqlite3")
    assert report["into"] == str(database)
    async with open_admin_store(settings_for(data_dir)) as store:
        assert (await store.stats())["Pin"] == 7
        assert (await store.get(message["Pin"]["Pin1"]["uuid"])).revision == 1
        assert (await store.check()).problems == []


async def test_restore_into_a_store_in_use_is_seen_at_the_next_read(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await _stored(data_dir, pins=2)
    async with open_admin_store(settings_for(data_dir)) as store:
        await store.backup(tmp_path / "copy.sqlite3")
        await store.import_message(shipment_message(5))
        assert (await store.stats())["Pin"] == 7
        restore(settings_for(data_dir), tmp_path / "copy.sqlite3")
        assert (await store.stats())["Pin"] == 2
    async with open_admin_store(
        settings_for(data_dir)
    ) as store:  # the restored store is the whole one
        assert (await store.stats())["Pin"] == 2 and (await store.check()).problems == []


async def test_a_restored_store_never_counts_a_generation_again(tmp_path: Path) -> None:
    """A download's ETag names the store's generation: after a restore, the next write must
    not bring back a generation the live store had reached, or an ETag given out before the
    restore would match other contents (304 for a stale file)."""
    data_dir = tmp_path / "data"
    await _stored(data_dir, pins=2)
    async with open_admin_store(settings_for(data_dir)) as store:
        await store.backup(tmp_path / "copy.sqlite3")
        await store.import_message(shipment_message(3))
        reached = await server_state(store.db).generation()
        restore(settings_for(data_dir), tmp_path / "copy.sqlite3")
        assert await server_state(store.db).generation() > reached
        await store.import_message(shipment_message(1))
        assert await server_state(store.db).generation() > reached + 1


async def test_a_restore_keeps_revocations_and_ends_page_sessions(tmp_path: Path) -> None:
    """A key revoked after the backup was taken worked again once the backup was restored, and
    a page session signed out since came back: the restore keeps the revocation and ends every
    session (the store's secrets stay)."""
    data_dir = tmp_path / "data"
    await _stored(data_dir, pins=1)
    async with open_admin_store(settings_for(data_dir)) as store:
        made = await store.create_key(name="leaver", role="member", proposals=["mx1"])
        state = server_state(store.db)
        await state.put("page-session", "sid", {"keyId": made["id"]}, ttl=3600)
        await state.put("secret", "session", {"value": "s"}, ttl=3600)
        await store.backup(tmp_path / "copy.sqlite3")
        await store.revoke_key(made["id"])
        restore(settings_for(data_dir), tmp_path / "copy.sqlite3")
        with pytest.raises(Unauthenticated):
            await store.authenticate(made["key"])
        assert await state.get("page-session", "sid") is None
        assert await state.get("secret", "session") is not None


# -- damage: one line each, never a traceback ----------------------------------------------


async def test_damaged_document_bytes_are_named_one_line_each(tmp_path: Path) -> None:
    message = await _stored(tmp_path)
    database = database_file(tmp_path, "mxlims")
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    data = database.read_bytes()
    marker = b'"mxlimsType":"Puck"'  # the one puck's document, damaged on disk
    assert data.count(marker) == 1
    database.write_bytes(data.replace(marker, b'"mxlimsType"\x00"Puck"'))
    puck = message["Puck"]["Puck1"]["uuid"]
    async with open_admin_store(settings_for(tmp_path)) as store:
        problems = (await store.check()).problems
        assert problems == [
            "sqlite integrity_check: stopped at a stored document that is not JSON",
            f"logistical_samples {puck}: the stored document is damaged (not JSON)",
            "the rules were not checked: a stored document is damaged; run `mxlims-store "
            "check`, or restore a backup",
        ]
        with pytest.raises(StoreBroken, match="damaged"):
            await store.get(puck)


def _damage_a_page(database: Path) -> None:
    """Overwrite the middle of the file (a table's pages) with noise, as a failing disk would."""
    data = bytearray(database.read_bytes())
    page = 4096
    offset = (len(data) // page - 2) * page  # one page of a table, not the schema's page
    data[offset : offset + 64] = b"\xff" * 64
    database.write_bytes(bytes(data))


async def test_a_damaged_page_is_refused_at_a_servers_start(tmp_path: Path) -> None:
    await _stored(tmp_path, pins=40)
    async with open_admin_store(settings_for(tmp_path)) as store:  # everything into the main file
        assert store.db is not None
    database = database_file(tmp_path, "mxlims")
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    _damage_a_page(database)
    with pytest.raises(StoreBroken) as caught:
        async with open_admin_store(settings_for(tmp_path)) as store:
            await verify(store)
    assert "\n" not in caught.value.message and str(database) in caught.value.message
    async with open_admin_store(settings_for(tmp_path)) as store:
        problems = (await store.check()).problems
    assert problems and all("\n" not in line for line in problems)


async def test_the_api_start_refuses_a_missing_store_naming_it(tmp_path: Path) -> None:
    from mxlims_store.api.main import StoreUnavailable, create_app
    from tests.api.conftest import make_settings

    settings = make_settings(tmp_path, new_store=False, data_dir=tmp_path / "typo")
    app = create_app(settings)
    with pytest.raises(StoreUnavailable) as caught:
        async with app.router.lifespan_context(app):
            pass
    assert str(tmp_path / "typo") in str(caught.value)
    assert not (tmp_path / "typo").exists()


async def test_commits_lost_with_a_deleted_wal_are_detected(tmp_path: Path) -> None:
    live, copy = tmp_path / "live", tmp_path / "copy"
    await _stored(live, pins=2)
    database = database_file(live, "mxlims")
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM logistical_samples").fetchone()  # holds checkpoints
    async with open_admin_store(settings_for(live)) as store:
        await store.import_message(shipment_message(5))  # acknowledged: in the -wal only
        copy.mkdir()
        for name in ("mxlims.sqlite3", "mxlims.sqlite3.commits"):  # everything but the -wal
            (copy / name).write_bytes((live / name).read_bytes())
    reader.execute("ROLLBACK")
    reader.close()
    with pytest.raises(StoreBroken) as caught:
        async with open_admin_store(settings_for(copy)):
            pass
    message = caught.value.message
    assert "acknowledged commit(s) are missing" in message and "\n" not in message
    assert "restore" in message and str(copy / "mxlims.sqlite3.commits") in message
    async with open_admin_store(settings_for(live)) as store:  # the whole store opens as always
        assert (await store.stats())["Pin"] == 7
        assert (await store.check()).problems == []
