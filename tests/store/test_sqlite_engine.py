"""The embedded SQLite engine: durable, all-or-nothing, loud and recoverable when things fail."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.config import Settings
from mxlims_store.errors import StoreBroken, Unavailable
from mxlims_store.store.backends.sqlite import SqliteBackend, database_file
from mxlims_store.store.backends.sqlite_ids import uuid_of
from mxlims_store.store.existence import WHERE_NONE_WAS
from tests.acting import admin_store, open_admin_store
from tests.factories import shipment_message


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


async def test_data_written_by_one_process_is_read_by_the_next(tmp_path: Path) -> None:
    message = shipment_message(30)
    async with open_admin_store(settings_for(tmp_path), creation=WHERE_NONE_WAS) as store:
        await store.import_message(message)
        await store.update(message["Pin"]["Pin1"]["uuid"], {"loopType": "mesh"}, revision=1)
    async with open_admin_store(settings_for(tmp_path), creation=WHERE_NONE_WAS) as store:
        assert (await store.stats())["Pin"] == 30
        pin = await store.get(message["Pin"]["Pin1"]["uuid"])
        assert pin.revision == 2 and pin.data["loopType"] == "mesh"
        history = await store.history(pin.data["uuid"])
        assert [e["operation"] for e in history] == ["create", "update"]


# -- kill -9 at random moments: a message is stored wholly or not at all --------------------

CHILD = """
import asyncio, json, sys
from mxlims_store.config import Settings
from mxlims_store.store import local_admin
from mxlims_store.store.backend import open_store

async def main():
    message = json.loads(open(sys.argv[2]).read())
    settings = Settings(_env_file=None, data_dir=sys.argv[1])
    async with open_store(settings, creation="anew") as opened:
        store = opened.acting_as(local_admin())  # an import as the CLI makes it
        print("importing", flush=True)
        await store.import_message(message)
    print("done", flush=True)

asyncio.run(main())
"""


def _start_import(data_dir: Path, file: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir), str(file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "importing", (
        process.stderr.read() if process.stderr else ""
    )
    return process


def _consistent_state(path: Path, uuids: set[str]) -> int:
    """How many of ``uuids`` are stored, after checking that every stored revision has
    exactly one history entry and no entry speaks of an object that is not there."""
    connection = sqlite3.connect(path)
    try:
        stored: dict[str, int] = {}
        for table in ("samples", "logistical_samples", "jobs", "datasets"):
            for uuid, revision in connection.execute(
                f"SELECT id, json_extract(doc, '$._meta.revision') FROM {table}"
            ):
                stored[uuid_of(uuid)] = revision  # (a core table's id: sqlite_ids)
        entries: dict[str, list[int]] = {}
        for uuid, revision in connection.execute(
            "SELECT json_extract(doc, '$.uuid'), json_extract(doc, '$.revision') FROM history"
        ):
            entries.setdefault(uuid, []).append(revision)
    finally:
        connection.close()
    for uuid, revision in stored.items():
        assert sorted(entries.get(uuid, [])) == list(range(1, revision + 1)), uuid
    assert set(entries) <= set(stored)
    return len(uuids & set(stored))


@pytest.mark.slow
def test_kill_9_at_random_moments_leaves_the_message_wholly_there_or_absent(
    tmp_path: Path,
) -> None:
    message = shipment_message(800, experiments=True)
    uuids = {o["uuid"] for k, objs in message.items() if k != "version" for o in objs.values()}
    file = tmp_path / "shipment.json"
    file.write_text(json.dumps(message))

    started = time.monotonic()
    timing = _start_import(tmp_path / "timing", file)
    assert timing.wait(timeout=120) == 0
    duration = time.monotonic() - started

    data_dir = tmp_path / "data"
    path = database_file(data_dir, "mxlims")
    outcomes = []
    rng = random.Random(8)
    for _ in range(10):
        process = _start_import(data_dir, file)
        time.sleep(rng.uniform(0, duration * 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        stored = _consistent_state(path, uuids)
        assert stored in (0, len(uuids)), f"{stored} of {len(uuids)} objects stored"
        outcomes.append(stored == len(uuids))
        if stored:  # start again from nothing, so that later kills hit an import too
            path.unlink()
            for suffix in ("-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
    print(f"kills that left the message complete: {sum(outcomes)} of {len(outcomes)}")


# -- failures are loud and recoverable -----------------------------------------------------


async def test_a_file_that_is_not_a_database_stops_the_start_with_one_line(tmp_path: Path) -> None:
    database_file(tmp_path, "mxlims").write_bytes(b"this is not SQLite " * 100)
    with pytest.raises(StoreBroken) as caught:
        async with open_admin_store(settings_for(tmp_path), creation=WHERE_NONE_WAS):
            pass
    message = str(caught.value)
    assert "\n" not in message and str(database_file(tmp_path, "mxlims")) in message


async def test_a_full_disk_refuses_writes_keeps_reads_and_recovers(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "full.sqlite3", workers=1)  # one connection to limit
    store = admin_store(backend)
    await store.init()
    first = shipment_message(5)
    await store.import_message(first)

    def limit(pages: int | None) -> None:
        for connection in (backend._connection(), backend.writer_connection()):  # units write
            current = connection.execute("PRAGMA page_count").fetchone()[0]
            connection.execute(f"PRAGMA max_page_count = {pages or current}")

    await backend._run(limit, None)  # SQLite's own SQLITE_FULL from here on
    with pytest.raises(Unavailable, match="cannot write"):
        await store.import_message(shipment_message(200))
    assert (await store.stats())["Pin"] == 5  # reads go on, nothing half-written
    await backend._run(limit, 1_000_000)  # space returns: no restart needed
    await store.import_message(shipment_message(200))
    assert (await store.stats())["Pin"] == 205
    await backend.close()


async def test_a_writer_that_cannot_get_the_lock_gets_one_clear_line(tmp_path: Path) -> None:
    async with open_admin_store(
        settings_for(tmp_path, lock_timeout=0.2), creation=WHERE_NONE_WAS
    ) as store:
        await store.import_message(shipment_message(2))
        other = sqlite3.connect(database_file(tmp_path, "mxlims"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            with pytest.raises(Unavailable) as caught:
                await store.import_message(shipment_message(3))
            assert "locked by another writer" in str(caught.value)
            assert (await store.stats())["Pin"] == 2  # readers do not wait
        finally:
            other.execute("ROLLBACK")
            other.close()
        await store.import_message(shipment_message(3))


async def test_backup_while_open_and_check(tmp_path: Path) -> None:
    async with open_admin_store(settings_for(tmp_path / "live"), creation=WHERE_NONE_WAS) as store:
        await store.import_message(shipment_message(20))
        report = await store.backup(tmp_path / "copy.sqlite3")
        assert report["bytes"] > 0
        assert (await store.check()).problems == []
    async with open_admin_store(settings_for(tmp_path / "restored"), creation=WHERE_NONE_WAS) as _:
        pass
    restored = tmp_path / "restored" / "mxlims.sqlite3"
    restored.unlink()
    (tmp_path / "copy.sqlite3").replace(restored)
    async with open_admin_store(
        settings_for(tmp_path / "restored"), creation=WHERE_NONE_WAS
    ) as store:
        assert (await store.stats())["Pin"] == 20
        assert (await store.check()).problems == []


async def test_reading_commands_leave_the_file_untouched(tmp_path: Path) -> None:
    message = shipment_message(3)
    async with open_admin_store(settings_for(tmp_path), creation=WHERE_NONE_WAS) as store:
        await store.import_message(message)
    files = sorted(tmp_path.iterdir())
    before = {f.name: (f.stat().st_mtime_ns, f.stat().st_size) for f in files}
    async with open_admin_store(settings_for(tmp_path), creation=WHERE_NONE_WAS) as store:
        await store.stats()
        await store.get(message["Pin"]["Pin1"]["uuid"])
    after = {f.name: (f.stat().st_mtime_ns, f.stat().st_size) for f in sorted(tmp_path.iterdir())}
    assert after == before


# -- a data directory of the old journal/snapshot engine is converted once ------------------


def _legacy_dir(data_dir: Path, message: dict[str, Any]) -> dict[str, Any]:
    """What the old engine left: a snapshot with one Pin, a journal that adds and changes one."""
    data_dir.mkdir()
    pin = {
        "_id": "11111111-1111-4111-8111-111111111111",
        "mxlimsType": "Pin",
        "barcode": "OLD-1",
        "extensions": [{"domain": "esrf.fr", "fields": {"when": {"$date": "not a date"}}}],
        "_meta": {
            "revision": 1,
            "createdAt": {"$date": "2025-01-02T03:04:05+00:00"},
            "updatedAt": {"$date": "2025-01-02T03:04:05+00:00"},
            "proposal": "mx1",
        },
    }
    entry = {
        "_id": f"{pin['_id']}@1@x",
        "uuid": pin["_id"],
        "revision": 1,
        "operation": "create",
        "time": {"$date": "2025-01-02T03:04:05+00:00"},
        "changes": {},
        "_meta": {"proposal": "mx1"},
    }
    snapshot = {
        "format": 1,
        "seq": 1,
        "databases": {
            "mxlims": {
                "logistical_samples": {"indexes": [], "documents": [pin]},
                "history": {"indexes": [], "documents": [entry]},
            }
        },
    }
    (data_dir / "snapshot.json").write_text(json.dumps(snapshot))
    second = {**pin, "_id": "22222222-2222-4222-8222-222222222222", "barcode": "OLD-2"}
    changed = {**second, "barcode": "OLD-2b", "_meta": {**pin["_meta"], "revision": 2}}
    lines = [
        {
            "s": 2,
            "d": "mxlims",
            "c": "logistical_samples",
            "op": "bulk",
            "ordered": True,
            "reqs": [{"t": "InsertOne", "doc": second}],
        },
        {
            "s": 3,
            "d": "mxlims",
            "c": "logistical_samples",
            "op": "bulk",
            "ordered": True,
            "reqs": [
                {
                    "t": "ReplaceOne",
                    "filter": {"_id": second["_id"], "_meta.revision": 1},
                    "doc": changed,
                    "upsert": False,
                }
            ],
        },
    ]
    text = "\n".join(json.dumps(line) for line in lines) + '\n{"s": 4, "d": "mxl'  # torn tail
    (data_dir / "journal.jsonl").write_text(text)
    return {"first": pin["_id"], "second": second["_id"]}


async def test_an_old_data_directory_is_converted_once_and_nothing_is_lost(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ids = _legacy_dir(data_dir, {})
    async with open_admin_store(settings_for(data_dir), creation=WHERE_NONE_WAS) as store:
        first = await store.get(ids["first"])
        second = await store.get(ids["second"])
        history = await store.history(ids["first"])
    assert second.data["barcode"] == "OLD-2b" and second.revision == 2
    # user data stays as written (the old codec mistook it for a date), its "$" key kept with a
    # full-width dollar so that the object stays editable; bookkeeping is ISO text
    assert first.data["extensions"]["esrf.fr"] == {"when": {"\uff04date": "not a date"}}
    assert first.meta["createdAt"] == "2025-01-02T03:04:05.000000+00:00"
    assert history[0]["time"] == "2025-01-02T03:04:05.000000+00:00"
    kept = [p.name for p in data_dir.iterdir() if p.name.startswith("legacy-")]
    assert len(kept) == 1 and (data_dir / kept[0] / "journal.jsonl").exists()
    assert not (data_dir / "snapshot.json").exists()


async def test_an_old_directory_with_a_gap_after_its_snapshot_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _legacy_dir(data_dir, {})
    journal = data_dir / "journal.jsonl"
    journal.write_text(
        journal.read_text().replace('"s": 2,', '"s": 5,').replace('"s": 3,', '"s": 6,')
    )
    with pytest.raises(StoreBroken, match="writes 2 to 4 are missing"):
        async with open_admin_store(settings_for(data_dir), creation=WHERE_NONE_WAS):
            pass
    assert not database_file(data_dir, "mxlims").exists()


async def test_an_old_directory_with_a_missing_snapshot_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _legacy_dir(data_dir, {})
    (data_dir / "snapshot.json").unlink()
    with pytest.raises(StoreBroken, match=r"snapshot\.json is missing"):
        async with open_admin_store(settings_for(data_dir), creation=WHERE_NONE_WAS):
            pass
    assert not database_file(data_dir, "mxlims").exists()


def test_the_cli_says_one_line_for_a_broken_store(tmp_path: Path) -> None:
    database_file(tmp_path, "mxlims").write_bytes(b"garbage" * 1000)
    env = {**os.environ, "MXLIMS_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "mxlims_store.cli", "stats"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "mxlims.sqlite3" in result.stderr, result.stderr
