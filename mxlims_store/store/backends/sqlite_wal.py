"""Room made in the write-ahead log before a big write's frames go into it.

A commit writes each changed page as a frame appended to the ``-wal`` file (two ``pwrite`` calls
of 24 and 4,096 bytes, at offsets that are not page-aligned). Where the file is new (a store
just opened: SQLite deletes the log when its last connection closes; a log cut to nothing),
every frame extends it, and on this machine's ext4 that costs the commit about twice the CPU of
writing the same frames over blocks the file already has, and its ``fsync`` the file system's
metadata as well (3,835 frames: 17.8 ms of CPU and a 12-13 ms ``fsync`` appended, 8.4 ms and
~5 ms over blocks written beforehand in 64 KiB pieces; docs/write-path.md, round 9).

So a big write first extends a short log with zeros, in 64 KiB pieces, on a thread of its own
while the write still only reads (its probes and checks: ~50 ms at least; the zeros of 6,591
objects: a few ms of CPU), then syncs them there, and waits for the zeros (not the sync)
before its first change (:func:`room_made`). SQLite's log stays valid: it reads frames from its
header on and stops at the first whose salt and checksum do not match its own (zeros never
do), and the bytes added here lie beyond the file's end, which no frame of a valid log
reaches. Only the writer holding the write lock appends frames, and a transaction that has
changed nothing has no frame to write: the caller makes room only then (sqlite_unit), and
waits for the room before its first change and before its transaction ends (a page written
by SQLite meanwhile would be overwritten).
"""

from __future__ import annotations

import contextlib
import os
import struct
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

PIECE = 64 * 1024  # the zeros written at a time (1 MiB pieces made the frames' writes slower)
PAGE = 4096  # the store's page size (a frame: the page and a 24-byte header)
OBJECT_BYTES = 1024  # the log each object of a write needs in a small store (~820 B measured)
# of a store's pages, about one in this many is a leaf of an id index (16-byte keys since
# schema 11, sqlite_ids: 1,327 of 45,065 pages at 200,000 objects; as text 1 in 19)
ID_LEAVES = 33
MOST_BYTES = 48 * 1024 * 1024  # never more than this made at once
_ZEROS = bytes(PIECE)
_MAKER: ThreadPoolExecutor | None = None  # the thread that writes the zeros (one per process)
_MAKER_PID = 0  # the process it was made in (a forked child has no thread behind it: made anew)
_sync = getattr(os, "fdatasync", os.fsync)  # (macOS has no fdatasync)
# never waiting on something else than a file put in a log's place (a FIFO: refused, ENXIO)
_WRITE = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0)
_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)


def room_soon(database: Path, objects: int) -> Future[int]:
    """:func:`make_room` on its own thread, started now; wait for it with :func:`room_made`.
    The zeros are then synced on the same thread, not waited for (a sync never changes what a
    file holds: SQLite's frames written meanwhile are synced by its own COMMIT), so that a busy
    disk's sync never holds the write."""
    global _MAKER, _MAKER_PID
    if _MAKER is None or os.getpid() != _MAKER_PID:
        _MAKER = ThreadPoolExecutor(1, thread_name_prefix="mxlims-wal-room")
        _MAKER_PID = os.getpid()
    made = _MAKER.submit(make_room, database, objects, False)
    _MAKER.submit(_synced, database, made)
    return made


def room_made(pending: Future[int] | None) -> None:
    """Once the room ``pending`` makes is made (at once when there is none). Its failure is
    not the write's: it only left the log as it was."""
    if pending is not None:
        with contextlib.suppress(Exception):
            pending.result()


def wal_file(database: Path) -> Path:
    return database.with_name(database.name + "-wal")


def log_needed(database: Path, objects: int) -> int:
    """About how long the log is once a write of ``objects`` new objects is in it: where the
    log ends now (:func:`log_end`), then the write's rows and history (~1 KiB an object) and a
    frame for each leaf of the random-keyed id indexes it inserts into, which at 200,000
    stored objects is nearly every one of them (6,591 objects: 5.4 MB of log at 6,500
    stored, 15.8 MB at 200,000)."""
    try:
        pages = os.stat(database).st_size // PAGE
    except OSError:
        pages = 0
    leaves = min(objects, pages // ID_LEAVES)
    return min(log_end(database) + objects * OBJECT_BYTES + leaves * (PAGE + 24), MOST_BYTES)


def log_end(database: Path) -> int:
    """Where the next frame goes unless SQLite starts the log afresh (then nearer the start):
    after the last frame that carries the salts of the log's header (SQLite's documented WAL
    format, big-endian: the header's salts at bytes 16-23, each frame's 24-byte header repeats
    them at its bytes 8-15). A log started afresh gets new salts, so the frames that carry the
    header's form its start, and those after them (older logs', zeros) do not: a binary search
    reads a few frame headers. 0 when it cannot tell. Only the room's size depends on it, never
    what is safe to write.

    Never read from SQLite's WAL index (the ``-shm`` file, which holds ``mxFrame``): SQLite's
    WAL locks are POSIX record locks on that file, and closing any descriptor of it drops every
    lock the process holds there, the write lock included (another process then writes in the
    middle of this one's transaction, and one commit overwrites the other). The ``-wal`` file
    holds no lock."""
    try:  # (non-blocking: a FIFO put in its place reads as nothing, never waits)
        with os.fdopen(os.open(wal_file(database), _READ), "rb") as log:
            header = log.read(32)
            if len(header) < 32:
                return 0
            page = struct.unpack_from(">I", header, 8)[0]
            salts = header[16:24]
            if page < 512 or page > 65536 or page & (page - 1):
                return 0
            frame = page + 24
            frames = (os.fstat(log.fileno()).st_size - 32) // frame

            def current(number: int) -> bool:  # (frames numbered from 1)
                log.seek(32 + (number - 1) * frame + 8)
                return log.read(8) == salts

            low, high = 0, frames  # frame ``low`` is current (0: none), ``high + 1`` is not
            while low < high:
                middle = (low + high + 1) // 2
                if current(middle):
                    low = middle
                else:
                    high = middle - 1
            return 32 + low * frame if low else 0
    except OSError:
        return 0


def make_room(database: Path, objects: int, sync: bool = True) -> int:
    """The log of ``database`` at least :func:`log_needed` long (zeros added; synced unless
    not ``sync``); how many bytes were added. Best effort: a log that cannot grow (a full disk)
    is left as it is, and the commit reports what it finds."""
    target = log_needed(database, objects)
    try:
        descriptor = os.open(wal_file(database), _WRITE)  # no log yet: none to extend
    except OSError:
        return 0
    try:
        start = offset = os.fstat(descriptor).st_size
        view = memoryview(_ZEROS)
        while offset < target:
            length = min(PIECE - offset % PIECE, target - offset)  # then whole aligned pieces
            offset += os.pwrite(descriptor, view[:length], offset)
        if offset > start and sync:
            _sync(descriptor)
        return offset - start
    except OSError:
        return 0
    finally:
        os.close(descriptor)


def _synced(database: Path, made: Future[int]) -> None:
    if made.result() > 0:
        with contextlib.suppress(OSError):
            descriptor = os.open(wal_file(database), _WRITE)
            try:
                _sync(descriptor)
            finally:
                os.close(descriptor)
