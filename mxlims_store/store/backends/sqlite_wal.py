"""Room made in the write-ahead log before a big write's frames go into it.

A commit writes each changed page as a frame appended to the ``-wal`` file (two ``pwrite`` calls
of 24 and 4,096 bytes, at offsets that are not page-aligned). Where the file is new (a store
just opened: SQLite deletes the log when its last connection closes; a log cut to nothing),
every frame extends it, and on this machine's ext4 that costs the commit about twice the CPU of
writing the same frames over blocks the file already has, and its ``fsync`` the file system's
metadata as well (3,835 frames: 17.8 ms of CPU and a 12-13 ms ``fsync`` appended, 8.4 ms and
~5 ms over blocks written beforehand in 64 KiB pieces; docs/write-path.md, round 9).

So a big write first extends a short log with zeros, in 64 KiB pieces, synced, on a thread of
its own while the write still only reads (its probes and checks: ~50 ms at least; the zeros
of 6,591 objects: ~4 ms of CPU and a sync), and waits for that before its first change
(:func:`room_made`). SQLite's log stays valid: it reads frames from its header on and stops at the
first whose salt and checksum do not match its own (zeros never do), and the bytes added here
lie beyond the file's end, which no frame of a valid log reaches. Only the writer holding the
write lock appends frames, and a transaction that has changed nothing has no frame to write:
the caller makes room only then (sqlite_unit), and waits for the room before its first change
and before its transaction ends (a page written by SQLite meanwhile would be overwritten).
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

PIECE = 64 * 1024  # the zeros written at a time (1 MiB pieces made the frames' writes slower)
BYTES_PER_OBJECT = 2560  # the log a write of one object needs, about (800-2,400 B measured)
MOST_BYTES = 48 * 1024 * 1024  # never more than this made at once
_ZEROS = bytes(PIECE)
_MAKER: ThreadPoolExecutor | None = None  # the thread that writes the zeros (one per process)


def room_soon(database: Path, objects: int) -> Future[int]:
    """:func:`make_room` on its own thread, started now; wait for it with :func:`room_made`."""
    global _MAKER
    if _MAKER is None:
        _MAKER = ThreadPoolExecutor(1, thread_name_prefix="mxlims-wal-room")
    return _MAKER.submit(make_room, database, objects)


def room_made(pending: Future[int] | None) -> None:
    """Once the room ``pending`` makes is made (at once when there is none). Its failure is
    not the write's: it only left the log as it was."""
    if pending is not None:
        with contextlib.suppress(Exception):
            pending.result()


def wal_file(database: Path) -> Path:
    return database.with_name(database.name + "-wal")


def make_room(database: Path, objects: int) -> int:
    """The log of ``database`` at least ``objects`` objects' worth long (zeros added, synced);
    how many bytes were added. Best effort: a log that cannot grow (a full disk) is left as
    it is, and the commit reports what it finds."""
    target = min(objects * BYTES_PER_OBJECT, MOST_BYTES)
    try:
        descriptor = os.open(wal_file(database), os.O_WRONLY)  # no log yet: none to extend
    except OSError:
        return 0
    try:
        start = offset = os.fstat(descriptor).st_size
        view = memoryview(_ZEROS)
        while offset < target:
            length = min(PIECE - offset % PIECE, target - offset)  # then whole aligned pieces
            offset += os.pwrite(descriptor, view[:length], offset)
        if offset > start:
            os.fdatasync(descriptor)
        return offset - start
    except OSError:
        return 0
    finally:
        os.close(descriptor)
