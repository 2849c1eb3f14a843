"""Acknowledged commits are counted twice: inside the database and in a small file beside it.

SQLite keeps the newest commits in the ``-wal`` file until a checkpoint copies them into the
database. Deleting or cutting that file (while nothing has the store open, or by hand) loses
them without a trace SQLite could see. So each commit also adds one to a counter in the
database, in the same transaction, and then writes the count to ``<database>.commits``. Opening a
database whose own count is below the file's means acknowledged commits are gone: the store
refuses it with one line rather than serve an older store as if it were the whole one.

The file is written after the commit, without waiting for the disk: after a power cut it may be
behind the database (which is never taken for a loss), never ahead of it. Two processes that
commit at once may write their counts in either order: the file is then behind, never ahead.
A restore writes the restored count; ``init`` of a new database removes the file.

The ``-wal`` file itself is kept from growing without bound by :func:`cut_long_log`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

TABLE = "store_commits"
WAL_MOST_BYTES = 64 * 1024 * 1024  # a longer log is cut after the next checkpoint
CUT_WAIT_MS = 20  # what that cut waits for the writer and readers before it gives up
CUT_TRIES, CUT_PAUSE = 10, 0.05  # then tries again on the checkpoint's thread (a second in all)
CREATE = f'CREATE TABLE IF NOT EXISTS "{TABLE}" (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER)'
COUNT = (
    f'INSERT INTO "{TABLE}" (id, n) VALUES (1, 1) '
    "ON CONFLICT (id) DO UPDATE SET n = n + 1 RETURNING n"
)


def counter_file(database: Path) -> Path:
    return database.with_name(database.name + ".commits")


def count_commit(connection: sqlite3.Connection) -> int:
    """Inside the commit's transaction: one more commit; the new count."""
    connection.execute(CREATE)
    return int(connection.execute(COUNT).fetchone()[0])


def wal_bytes(database: Path) -> int:
    """How large ``database``'s write-ahead log is now (0 when there is none)."""
    try:
        return database.with_name(database.name + "-wal").stat().st_size
    except OSError:
        return 0


def cut_long_log(connection: sqlite3.Connection, database: Path, lock_timeout: float) -> None:
    """After a passive checkpoint (on the checkpoint's own connection): a log longer than
    :data:`WAL_MOST_BYTES` restarted and cut to nothing (TRUNCATE). A passive checkpoint
    never waits, so the log starts afresh only when a commit begins after all of it was
    copied, which a steady stream of commits never allows: 128 imports at once took it from
    20 to 98 MB. TRUNCATE takes the write lock between two commits, copies what the passive
    pass left (little), syncs, and waits for readers still on the old log; it waits
    :data:`CUT_WAIT_MS` at most for either (never a long hold on the writers), then gives up
    (busy, no error) and tries again a little later, on the checkpoint's own thread. Every
    commit stays in the database or its log throughout (``synchronous = FULL``)."""
    if wal_bytes(database) <= WAL_MOST_BYTES:
        return
    connection.execute(f"PRAGMA busy_timeout = {CUT_WAIT_MS}")
    try:
        for _ in range(CUT_TRIES):  # between two groups of commits, which follow closely
            busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            time.sleep(CUT_PAUSE)
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(lock_timeout * 1000)}")


def stored_count(connection: sqlite3.Connection) -> int:
    try:
        row = connection.execute(f'SELECT n FROM "{TABLE}" WHERE id = 1').fetchone()
    except sqlite3.OperationalError:  # no commit counted yet (a store made before counting)
        return 0
    return int(row[0]) if row else 0


def note_count(database: Path, count: int) -> None:
    """After the commit: the count in the file beside the database (best effort: a full disk
    leaves the count behind, which only weakens the check, and no partial file)."""
    target = counter_file(database)
    partial = target.with_name(f"{target.name}.{os.getpid()}")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(f"{count}\n")
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()


def noted_count(database: Path) -> int | None:
    try:
        return int(counter_file(database).read_text().strip())
    except (OSError, ValueError):
        return None


def missing_commits(connection: sqlite3.Connection, database: Path) -> str | None:
    """One line when the database holds fewer commits than were acknowledged, else None."""
    noted = noted_count(database)
    if noted is None:
        return None
    stored = stored_count(connection)
    if stored >= noted:
        return None
    return (
        f"{noted - stored} acknowledged commit(s) are missing from {database}: its -wal file "
        "was deleted or cut short, or an older copy was put in its place. Restore a backup "
        f"(`mxlims-store restore FILE`), or to accept the database as it is, delete "
        f"{counter_file(database)}"
    )


def refuse_missing_commits(connection: sqlite3.Connection, database: Path) -> None:
    problem = missing_commits(connection, database)
    if problem is not None:
        from mxlims_store.errors import StoreBroken  # here: this module stays cheap to import

        raise StoreBroken(problem)
