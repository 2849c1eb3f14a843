"""A big write makes its room in the write-ahead log before it writes (sqlite_wal): zeros added
beyond the log's end, never over a byte of it, only while its transaction has changed nothing,
and waited for before the first change; a copy of the files taken as a crash leaves them
recovers every commit."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.store.backends import sqlite as sqlite_backend
from mxlims_store.store.backends import sqlite_open, sqlite_unit, sqlite_wal
from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_commits import wal_bytes
from mxlims_store.store.collection_names import CORE_COLLECTIONS
from tests.acting import admin_store
from tests.factories import new_uuid, shipment_message

CORE = CORE_COLLECTIONS


def test_zeros_go_only_beyond_the_end_of_the_log(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite3"
    log = sqlite_wal.wal_file(database)
    assert sqlite_wal.make_room(database, 100) == 0 and not log.exists()  # no log: none made
    kept = os.urandom(100_001)  # (not a whole piece: the first zeros fill up to one)
    log.write_bytes(kept)
    added = sqlite_wal.make_room(database, 300)
    target = sqlite_wal.log_needed(database, 300)
    assert target == 300 * sqlite_wal.OBJECT_BYTES  # no database: no index leaves to count
    assert added == target - len(kept)
    data = log.read_bytes()
    assert data[: len(kept)] == kept and data[len(kept) :] == bytes(added)
    assert sqlite_wal.make_room(database, 10) == 0 and log.read_bytes() == data  # long enough
    huge = sqlite_wal.MOST_BYTES // sqlite_wal.OBJECT_BYTES * 4
    assert sqlite_wal.make_room(database, huge) == sqlite_wal.MOST_BYTES - target
    database.write_bytes(bytes(sqlite_wal.PAGE * sqlite_wal.ID_LEAVES * 50))  # 50 leaves' worth
    frame = sqlite_wal.PAGE + 24
    assert sqlite_wal.log_needed(database, 30) == 30 * (sqlite_wal.OBJECT_BYTES + frame)
    assert sqlite_wal.log_needed(database, 80) == 80 * sqlite_wal.OBJECT_BYTES + 50 * frame


def _table_counts(database: Path) -> dict[str, int]:
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = [row[0] for row in tables]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        connection.close()


async def test_a_big_import_grows_the_log_first_and_a_crash_copy_keeps_every_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The room is made (the log longer than its frames, zeros after them), the import's rows
    are all in the log, and the database and its log copied as a crash would leave them (no
    checkpoint ran: the log holds the commits) read back every row."""
    monkeypatch.setattr(sqlite_open, "BIG_WRITE", 50)
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_DOCUMENTS", 10**9)
    made: list[int] = []
    make = sqlite_wal.make_room
    monkeypatch.setattr(sqlite_wal, "make_room", lambda *a: made.append(make(*a)) or made[-1])
    database = tmp_path / "store.sqlite3"
    backend = SqliteBackend(database)
    store = admin_store(backend)
    await store.init()
    try:
        report = await store.import_message(shipment_message(300))
        objects = sum(report.created.values())
        assert len(made) == 1 and made[0] > 0
        assert wal_bytes(database) >= objects * sqlite_wal.OBJECT_BYTES
        second = await store.import_message(shipment_message(300))  # into the longer log
        objects += sum(second.created.values())
        crashed = tmp_path / "crashed"
        crashed.mkdir()
        for suffix in ("", "-wal"):  # (no -shm: the log is read again from its header)
            shutil.copyfile(f"{database}{suffix}", crashed / f"store.sqlite3{suffix}")
        live = _table_counts(database)
    finally:
        await backend.close()
    recovered = _table_counts(crashed / "store.sqlite3")
    assert recovered == live
    assert sum(recovered[c] for c in CORE) >= objects
    copy = admin_store(SqliteBackend(crashed / "store.sqlite3"))
    await copy.init()
    try:
        assert (await copy.check()).problems == []
    finally:
        await copy.db.close()


async def test_the_room_is_asked_only_before_the_first_change_and_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit that has changed nothing asks for the room when it looks up a big write's
    uuids, and its first change waits for it; a unit that already changed something (its
    pages may be in the log) does not ask."""
    monkeypatch.setattr(sqlite_open, "BIG_WRITE", 50)
    asked: list[Future[int]] = []
    waited: list[bool] = []
    soon, made = sqlite_unit.room_soon, sqlite_unit.room_made

    def room_soon(database: Path, objects: int) -> Future[int]:
        asked.append(soon(database, objects))
        return asked[-1]

    def room_made(pending: Future[int] | None) -> None:
        made(pending)
        waited.append(pending is not None and pending.done())

    monkeypatch.setattr(sqlite_unit, "room_soon", room_soon)
    monkeypatch.setattr(sqlite_unit, "room_made", room_made)
    backend = SqliteBackend(tmp_path / "store.sqlite3")
    await admin_store(backend).init()
    uuids = {CORE[0]: [new_uuid() for _ in range(60)]}
    counter = {"_id": "room-test", "next": 1, "_meta": {"revision": 1}}

    async def look_then_write(tx: Any) -> None:
        await tx.documents_by_uuid(uuids)
        await tx.commit([Write("counters", "room-test", counter, None, None)])

    async def write_then_look(tx: Any) -> None:
        await tx.commit([Write("counters", "room-test-2", dict(counter), None, None)])
        await tx.documents_by_uuid(uuids)

    try:
        await backend.unit(look_then_write)
        assert len(asked) == 1 and waited[0]
        await backend.unit(write_then_look)
        assert len(asked) == 1  # changed first: no room asked
    finally:
        await backend.close()


def test_a_forked_process_gets_a_thread_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child forked after the parent made its room has the parent's executor without its
    thread (nothing would ever run, and the write would wait forever): it makes its own."""
    database = tmp_path / "store.sqlite3"
    sqlite_wal.wal_file(database).write_bytes(b"x")
    first = sqlite_wal.room_soon(database, 10)
    assert first.result(timeout=10) == sqlite_wal.log_needed(database, 10) - 1
    parent = sqlite_wal._MAKER
    monkeypatch.setattr(sqlite_wal, "_MAKER_PID", -1)  # as in a child: another process's
    again = sqlite_wal.room_soon(database, 20)
    assert sqlite_wal._MAKER is not parent
    assert again.result(timeout=10) == 10 * sqlite_wal.OBJECT_BYTES


def test_the_room_counts_from_where_the_log_ends(tmp_path: Path) -> None:
    """A log not started afresh gets the next write's frames after its own: the room is
    measured from there (the frames carrying the log header's salts say where), and reading
    the log never fails, whatever it holds."""
    database = tmp_path / "store.sqlite3"
    assert sqlite_wal.log_end(database) == 0  # no log
    connection = _logged_rows(database, 5)
    try:
        end = sqlite_wal.log_end(database)
        assert end == wal_bytes(database) > 0
        added = sqlite_wal.make_room(database, 100)
        assert sqlite_wal.log_needed(database, 100) - end >= 100 * sqlite_wal.OBJECT_BYTES
        assert wal_bytes(database) == end + added
        connection.execute("INSERT INTO t VALUES (1)")  # the next frames over the zeros
        assert connection.execute("SELECT count(*) FROM t").fetchone()[0] == 6
    finally:
        connection.close()
    damaged = tmp_path / "other.sqlite3"
    for garbage in (b"\xff" * 20, os.urandom(100_000), bytes(100_000)):
        sqlite_wal.wal_file(damaged).write_bytes(garbage)
        assert 0 <= sqlite_wal.log_end(damaged) <= len(garbage)  # a number, whatever it says


def test_a_log_started_afresh_ends_after_its_own_frames(tmp_path: Path) -> None:
    """After a checkpoint lets SQLite start the log afresh, the frames of the older log left
    after the new ones are not the log's: it ends after the new ones."""
    database = tmp_path / "store.sqlite3"
    connection = _logged_rows(database, 20)
    try:
        longer = sqlite_wal.log_end(database)
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        connection.execute("INSERT INTO t VALUES (1)")  # the log started afresh
        end = sqlite_wal.log_end(database)
        assert 0 < end < longer <= wal_bytes(database)
        frames = (end - 32) // (sqlite_wal.PAGE + 24)
        assert frames == connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    finally:
        connection.close()


_OTHER_WRITER = """
import sqlite3, sys
other = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
try:
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (2)")
    other.execute("COMMIT")
    print("committed")
except sqlite3.OperationalError as error:
    print(error)
"""


def _other_process_writes(database: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_WRITER, str(database)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_making_room_keeps_the_writers_lock(tmp_path: Path) -> None:
    """SQLite's WAL locks are POSIX record locks on the ``-shm`` file, which the kernel drops
    for the whole process when any descriptor of that file is closed: making (or sizing) the
    room must never open it, or another process takes the write lock in the middle of a big
    write, commits, and the big write's commit then writes over that commit (found in a
    two-process race: 32-43 of 60 small imports reported ok were not stored)."""
    database = tmp_path / "store.sqlite3"
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("CREATE TABLE t (x)")
        writer.execute("INSERT INTO t VALUES (1)")
        writer.execute("BEGIN IMMEDIATE")
        assert _other_process_writes(database) == "database is locked"
        sqlite_wal.room_made(sqlite_wal.room_soon(database, 600))  # as a big write does
        sqlite_wal.make_room(database, 700)
        assert _other_process_writes(database) == "database is locked"
        writer.execute("INSERT INTO t VALUES (3)")
        writer.execute("COMMIT")
        assert _other_process_writes(database) == "committed"  # (the lock was the writer's)
        rows = writer.execute("SELECT x FROM t ORDER BY x").fetchall()
        assert rows == [(1,), (2,), (3,)]
    finally:
        writer.close()


def test_a_fifo_in_the_logs_place_is_never_waited_on(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite3"
    os.mkfifo(sqlite_wal.wal_file(database))
    assert sqlite_wal.log_end(database) == 0
    assert sqlite_wal.make_room(database, 100) == 0


def _logged_rows(database: Path, rows: int) -> sqlite3.Connection:
    """A connection to a new WAL database whose ``rows`` rows (3 kB each) are all still in
    its log (no automatic checkpoint)."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA wal_autocheckpoint = 0")
    connection.execute("CREATE TABLE t (x)")
    for _ in range(rows):
        connection.execute("INSERT INTO t VALUES (randomblob(3000))")
    return connection
