"""Checkpoints of the embedded store: on a thread and connection of their own (never one the
readers wait for), and a write-ahead log that a steady stream of commits cannot grow without
bound, every commit kept."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from mxlims_store.store.backends import sqlite as sqlite_backend
from mxlims_store.store.backends import sqlite_commits
from mxlims_store.store.backends.sqlite import CHECKPOINT_DOCUMENTS, SqliteBackend
from mxlims_store.store.backends.sqlite_commits import stored_count, wal_bytes
from tests.acting import admin_store
from tests.factories import shipment_message


async def test_a_checkpoint_runs_while_every_reader_thread_is_busy(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite3"
    backend = SqliteBackend(database)
    store = admin_store(backend)
    await store.init()
    ran: list[str] = []
    done = threading.Event()
    copy = backend._checkpoint

    def recorded() -> None:
        copy()
        ran.append(threading.current_thread().name)
        done.set()

    backend._checkpoint = recorded  # type: ignore[method-assign]
    release = threading.Event()
    try:
        await store.import_message(shipment_message(4))  # fewer documents: no checkpoint yet
        assert not done.is_set() and wal_bytes(database) > 0
        in_file = database.stat().st_size
        # every thread of the readers' pool held: a checkpoint queued there would wait
        held = [backend._pool.submit(release.wait) for _ in range(backend._pool._max_workers)]
        backend.checkpoint_soon(CHECKPOINT_DOCUMENTS)
        assert await asyncio.to_thread(done.wait, 30)
        assert ran and ran[0].startswith("mxlims-checkpoint")
        assert database.stat().st_size > in_file  # the log's pages copied into the file
    finally:
        release.set()
        await backend.close()
    assert all(future.done() for future in held)


async def test_a_log_grown_past_its_bound_is_cut_and_no_commit_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader on an old snapshot keeps a passive checkpoint from ever finishing (as a
    stream of commits does): the log grows past its bound, then is cut once it may be."""
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_DOCUMENTS", 1)
    monkeypatch.setattr(sqlite_commits, "WAL_MOST_BYTES", 64 * 1024)
    database = tmp_path / "store.sqlite3"
    backend = SqliteBackend(database)
    store = admin_store(backend)
    await store.init()
    reader = sqlite3.connect(database, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM logistical_samples").fetchone()  # its snapshot
        for _ in range(3):
            await store.import_message(shipment_message(8))
            await _checkpoints_done(backend)
        grown = wal_bytes(database)
        assert grown > 64 * 1024  # the reader's snapshot held it: nothing could be cut
        reader.execute("ROLLBACK")
        await store.import_message(shipment_message(8))
        await _checkpoints_done(backend)
        assert wal_bytes(database) == 0  # restarted and cut to nothing
        pins = await backend.count("logistical_samples", {"mxlimsType": "Pin"})
    finally:
        reader.close()
        await backend.close()
    assert pins == 4 * 8
    with sqlite3.connect(database) as check:  # every commit is in the database file itself
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert stored_count(check) >= 4
    async with _reopened(database) as again:
        assert await again.count("logistical_samples", {"mxlimsType": "Pin"}) == 32


async def _checkpoints_done(backend: SqliteBackend) -> None:
    """Wait for the checkpoint queued by the last commit (its thread runs one at a time)."""
    assert backend._checkpointer is not None
    await asyncio.wrap_future(backend._checkpointer.submit(lambda: None))


class _reopened:
    def __init__(self, database: Path) -> None:
        self.backend = SqliteBackend(database)

    async def __aenter__(self) -> SqliteBackend:
        await self.backend.prepare()  # refuses a store whose acknowledged commits are gone
        return self.backend

    async def __aexit__(self, *exc: object) -> None:
        await self.backend.close()


def test_a_count_that_cannot_be_noted_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (here: the rename refused) keeps the last count and leaves nothing beside
    the database (a 0-byte ``.commits.<pid>`` was left behind)."""
    database = tmp_path / "store.sqlite3"
    sqlite_commits.note_count(database, 3)

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sqlite_commits.os, "replace", full)
    sqlite_commits.note_count(database, 4)
    assert sqlite_commits.noted_count(database) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        sqlite_commits.counter_file(database).name
    ]
