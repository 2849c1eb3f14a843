"""Crash-safe files behind the embedded backend: a snapshot plus an append-only journal.

Layout of a data directory::

    LOCK            flock()ed by the one client that has the directory open
    snapshot.json   {"format": 1, "seq": N, "databases": {db: {coll: {"indexes": [...],
                                                                      "documents": [...]}}}}
    journal.jsonl   one JSON line per acknowledged write call, {"s": seq, "d": db, "op": ...}

A write is acknowledged only after its journal line is flushed and fsynced. Journal lines whose
sequence number is not above the snapshot's ``seq`` are already in the snapshot and are skipped,
so a crash anywhere during compaction is harmless. A torn last line (the process died while
writing it) is ignored and cut off; an unreadable line followed by good ones is corruption.

JSON cannot hold every BSON type; ``datetime`` travels as ``{"$date": iso}`` (offset kept when
aware) and ``ObjectId`` as ``{"$oid": hex}``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from bson import ObjectId

FORMAT = 1
SNAPSHOT = "snapshot.json"
JOURNAL = "journal.jsonl"
LOCK = "LOCK"
# While the store is open, compact once the journal outgrows both the snapshot and this size.
COMPACT_MIN_BYTES = 16 * 1024 * 1024


class DataDirLocked(RuntimeError):
    """Another client (in this or another process) has the data directory open."""


class DataDirCorrupt(RuntimeError):
    """The snapshot or the journal cannot be read back."""


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$date": value.isoformat()}
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, bytes):
        return {"$binary": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"cannot journal a value of type {type(value).__name__}: {value!r}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if isinstance(obj.get("$date"), str):
            return datetime.fromisoformat(obj["$date"])
        if isinstance(obj.get("$oid"), str):
            return ObjectId(obj["$oid"])
        if isinstance(obj.get("$binary"), str):
            return base64.b64decode(obj["$binary"])
    return obj


def dumps(value: Any) -> str:
    """JSON text for journal and snapshot; datetimes, ObjectIds and bytes round-trip."""
    return json.dumps(value, default=_default, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    return json.loads(text, object_hook=_hook)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DataDir:
    """Owns the lock, the snapshot and the journal of one data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        # A file object, not a bare descriptor: a client dropped without close() is collected
        # and its lock released with it.
        self._lock: Any = open(self.path / LOCK, "ab")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise DataDirLocked(
                f"the data directory {self.path} is already open in another client "
                f"(lock file {self.path / LOCK}); close that client or stop its process"
            ) from None
        self.seq = 0
        self.snapshot_bytes = 0
        self.journal_bytes = 0
        self._journal: Any = None

    def load(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Read the snapshot's databases and the journal records still to replay.

        Cuts a torn tail off the journal and opens it for appending.
        """
        databases: dict[str, Any] = {}
        snapshot_path = self.path / SNAPSHOT
        if snapshot_path.exists():
            raw = snapshot_path.read_bytes()
            try:
                snapshot = loads(raw)
            except ValueError as exc:
                raise DataDirCorrupt(f"{snapshot_path} is not readable: {exc}") from exc
            if snapshot.get("format") != FORMAT:
                raise DataDirCorrupt(f"{snapshot_path} has unknown format {snapshot.get('format')}")
            self.seq = int(snapshot["seq"])
            databases = snapshot["databases"]
            self.snapshot_bytes = len(raw)
        journal_path = self.path / JOURNAL
        data = journal_path.read_bytes() if journal_path.exists() else b""
        records, good_end = self._parse_journal(data, journal_path)
        pending = [record for record in records if record["s"] > self.seq]
        if records:
            self.seq = max(self.seq, records[-1]["s"])
        self._journal = open(journal_path, "ab")  # noqa: SIM115 - held open until close()
        if good_end != len(data):
            self._journal.truncate(good_end)
            os.fsync(self._journal.fileno())
        _fsync_dir(self.path)
        self.journal_bytes = good_end
        return databases, pending

    @staticmethod
    def _parse_journal(data: bytes, path: Path) -> tuple[list[dict[str, Any]], int]:
        records: list[dict[str, Any]] = []
        lines = data.split(b"\n")
        position = 0
        for number, line in enumerate(lines[:-1]):  # the last piece has no newline: torn
            try:
                records.append(loads(line))
            except ValueError as exc:
                if any(_parses(later) for later in lines[number + 1 : -1]):
                    raise DataDirCorrupt(f"{path} line {number + 1} is unreadable: {exc}") from exc
                break
            position += len(line) + 1
        return records, position

    def append(self, record: dict[str, Any]) -> None:
        """Make one write durable: one line, one flush, one fsync."""
        self.seq += 1
        line = (dumps({"s": self.seq, **record}) + "\n").encode()
        self._journal.write(line)
        self._journal.flush()
        os.fdatasync(self._journal.fileno())
        self.journal_bytes += len(line)

    def wants_compaction(self) -> bool:
        return self.journal_bytes > max(self.snapshot_bytes, COMPACT_MIN_BYTES)

    def write_snapshot(self, databases: dict[str, Any]) -> None:
        """Atomically replace the snapshot with ``databases``, then empty the journal."""
        raw = dumps({"format": FORMAT, "seq": self.seq, "databases": databases}).encode()
        temporary = self.path / (SNAPSHOT + ".tmp")
        with open(temporary, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path / SNAPSHOT)
        _fsync_dir(self.path)
        self.snapshot_bytes = len(raw)
        self._journal.truncate(0)
        os.fsync(self._journal.fileno())
        self.journal_bytes = 0

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def _parses(line: bytes) -> bool:
    try:
        loads(line)
    except ValueError:
        return False
    return True
