"""Server state on the embedded engine: one table beside the collections, the generation
counter that every commit changing MXLIMS objects bumps in its own transaction, and in the same
transaction the generation at which each key (:mod:`mxlims_store.store.read_set`) was last
touched: what a built download's read set is checked against."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import time
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any

import orjson

from mxlims_store.store.backends.base import Write
from mxlims_store.store.collection_names import CORE_COLLECTIONS
from mxlims_store.store.server_state import Entry, expiry

GENERATION_TABLE = (
    "CREATE TABLE IF NOT EXISTS store_generation "
    "(id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)"
)
# Created by the first commit that needs it as well (a store made before it has none). Each
# key is kept as a number (:func:`key_number`): 8-byte keys instead of 36-byte text, so the
# table a commit rewrites here is a third of the pages (a results return touches some 5,000
# keys spread over all of them). Two keys sharing a number only make a download rebuilt that
# need not be: a changed tree never keeps its ETag.
TOUCHES_TABLE = (
    "CREATE TABLE IF NOT EXISTS touched_numbers "
    "(n INTEGER PRIMARY KEY, generation INTEGER NOT NULL)"
)
# The row saying since which generation touches are kept in that table: a download built
# before it is checked as changed (what touched it may be noted only in the table of text keys
# an older version kept, dropped then).
SINCE = -1
_OLD_TOUCHES = "touched_keys"
STATE_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS server_state (kind TEXT NOT NULL, key TEXT NOT NULL, "
    "value TEXT NOT NULL, body BLOB, owner TEXT, size INTEGER NOT NULL, expires REAL NOT NULL, "
    "PRIMARY KEY (kind, key))",
    "CREATE INDEX IF NOT EXISTS server_state__owner ON server_state (kind, owner)",
    "CREATE INDEX IF NOT EXISTS server_state__expires ON server_state (expires)",
    GENERATION_TABLE,
    TOUCHES_TABLE,
]
_COLUMNS = "value, body, owner, size"


def key_number(key: str) -> int:
    """The number a read-set key is kept under: a uuid's first 7 and last 8 hex digits (60
    bits), any other key's hash (62 bits); never negative (:data:`SINCE` is)."""
    if len(key) == 36:
        digits = key[:7] + key[-8:]
        if digits.isalnum():  # no sign, space or "_" that int() would read: never negative
            try:
                return int(digits, 16)  # below 2**60 (other digits than 0-9a-f: still a number)
            except ValueError:
                pass
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


def read_set_body(keys: Iterable[str]) -> bytes:
    """A read set as the embedded engine keeps it: :data:`SINCE`, then its keys' numbers in
    order (made at the build, in the process that builds: asking whether one was touched is
    then one statement, with no Python per key). A body that does not start with
    :data:`SINCE` (an older version's list of text keys) is checked as changed: rebuilt once."""
    return orjson.dumps([SINCE, *sorted({key_number(k) for k in keys})])


# Whether a kept read set was touched after a generation, in one statement: each number of the
# body (SINCE among them: touches kept since after the build also count) looked up in
# touched_numbers by its row id. No row: none kept (changed); a body of another shape: changed.
_KEPT = "FROM server_state WHERE kind = ?1 AND key = ?2 AND expires > ?3"
_IN_NUMBERS = "CAST(substr(body, 1, 3) AS TEXT) = '[-1'"  # starts with SINCE
_CHANGED = (
    f"SELECT CASE WHEN {_IN_NUMBERS} THEN EXISTS (SELECT 1 FROM json_each(CAST(body AS TEXT)) "
    "AS j JOIN touched_numbers AS t ON t.n = j.value WHERE t.generation > ?4) ELSE 1 END " + _KEPT
)
# No touches table yet (a store no commit has noted touches in): kept as numbers is fresh.
_KEPT_AS_NUMBERS = f"SELECT 1 {_KEPT} AND {_IN_NUMBERS} AND json_valid(CAST(body AS TEXT))"


def bump_generation(
    connection: sqlite3.Connection, writes: Sequence[Write], touched: set[str]
) -> None:
    """Inside a commit's transaction: one more change of MXLIMS objects (the write lock is
    held already, so this costs one row), and ``touched``, the keys it touches (what
    ``read_set.touched_keys`` finds, gathered by numbering: sqlite_write_summary), noted at
    that generation (in key order: each page of the table is written once)."""
    if not any(w.collection in CORE_COLLECTIONS for w in writes):
        return
    (generation,) = connection.execute(
        "INSERT INTO store_generation (id, value) VALUES (1, 1) "
        "ON CONFLICT (id) DO UPDATE SET value = value + 1 RETURNING value"
    ).fetchone()
    numbers = sorted({key_number(key) for key in touched})
    connection.execute(TOUCHES_TABLE)
    since = connection.execute(
        "INSERT OR IGNORE INTO touched_numbers (n, generation) VALUES (?, ?)", (SINCE, generation)
    )
    if since.rowcount == 1:  # the first commit keeping numbers: the text keys are done with
        connection.execute(f"DROP TABLE IF EXISTS {_OLD_TOUCHES}")
    connection.executemany(
        "INSERT INTO touched_numbers (n, generation) VALUES (?, ?) "
        "ON CONFLICT (n) DO UPDATE SET generation = excluded.generation",
        zip(numbers, repeat(generation)),
    )


def _entry(row: tuple[Any, ...] | None) -> Entry | None:
    if row is None:
        return None
    return Entry(orjson.loads(row[0]), row[1], row[2], int(row[3]))


class SqliteState:
    touches_with_generation = True  # noted in the commit's own transaction

    def __init__(self, backend: Any) -> None:
        self.backend = backend  # a SqliteBackend: its worker threads and connections

    async def _do(self, work: Any, *args: Any) -> Any:
        def run() -> Any:
            connection = self.backend._connection()
            return work(connection, *args)

        return await self.backend._run(run)

    async def get(self, kind: str, key: str) -> Entry | None:
        def read(c: sqlite3.Connection) -> Entry | None:
            row = c.execute(
                f"SELECT {_COLUMNS} FROM server_state WHERE kind = ? AND key = ? AND expires > ?",
                (kind, key, time.time()),
            ).fetchone()
            return _entry(row)

        result: Entry | None = await self._do(read)
        return result

    async def put(
        self,
        kind: str,
        key: str,
        value: dict[str, Any],
        *,
        ttl: float,
        body: bytes | None = None,
        owner: str | None = None,
    ) -> None:
        size = len(body or b"")

        def write(c: sqlite3.Connection) -> None:
            with _transaction(c):
                c.execute("DELETE FROM server_state WHERE expires <= ?", (time.time(),))
                c.execute(
                    "INSERT OR REPLACE INTO server_state (kind, key, value, body, owner, size, "
                    "expires) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (kind, key, orjson.dumps(value).decode(), body, owner, size, expiry(ttl)),
                )

        await self._do(write)

    async def add(self, kind: str, key: str, value: dict[str, Any], *, ttl: float) -> Entry:
        def write(c: sqlite3.Connection) -> Entry:
            with _transaction(c):
                c.execute(
                    "DELETE FROM server_state WHERE kind = ? AND key = ? AND expires <= ?",
                    (kind, key, time.time()),
                )
                c.execute(
                    "INSERT OR IGNORE INTO server_state (kind, key, value, size, expires) "
                    "VALUES (?, ?, ?, 0, ?)",
                    (kind, key, orjson.dumps(value).decode(), expiry(ttl)),
                )
                row = c.execute(
                    f"SELECT {_COLUMNS} FROM server_state WHERE kind = ? AND key = ?", (kind, key)
                ).fetchone()
            entry = _entry(row)
            assert entry is not None
            return entry

        result: Entry = await self._do(write)
        return result

    async def take(self, kind: str, key: str) -> Entry | None:
        def take(c: sqlite3.Connection) -> Entry | None:
            with _transaction(c):
                row = c.execute(
                    f"SELECT {_COLUMNS} FROM server_state "
                    "WHERE kind = ? AND key = ? AND expires > ?",
                    (kind, key, time.time()),
                ).fetchone()
                c.execute("DELETE FROM server_state WHERE kind = ? AND key = ?", (kind, key))
            return _entry(row)

        result: Entry | None = await self._do(take)
        return result

    async def delete(self, kind: str, key: str) -> None:
        def delete(c: sqlite3.Connection) -> None:
            with _transaction(c):
                c.execute("DELETE FROM server_state WHERE kind = ? AND key = ?", (kind, key))

        await self._do(delete)

    async def delete_owned(self, kind: str, owner: str, *, keep: str | None = None) -> None:
        def delete(c: sqlite3.Connection) -> None:
            with _transaction(c):
                c.execute(
                    "DELETE FROM server_state WHERE kind = ? AND owner = ? AND key IS NOT ?",
                    (kind, owner, keep),
                )

        await self._do(delete)

    async def usage(self, kind: str, owner: str | None = None) -> tuple[int, int]:
        def read(c: sqlite3.Connection) -> tuple[int, int]:
            sql = "SELECT count(*), coalesce(sum(size), 0) FROM server_state "
            sql += "WHERE kind = ? AND expires > ?"
            params: list[Any] = [kind, time.time()]
            if owner is not None:
                sql += " AND owner = ?"
                params.append(owner)
            count, size = c.execute(sql, params).fetchone()
            return int(count), int(size)

        result: tuple[int, int] = await self._do(read)
        return result

    async def hit(self, kind: str, key: str, *, window: float) -> int:
        def count(c: sqlite3.Connection) -> int:
            now = time.time()
            with _transaction(c):
                c.execute(
                    "DELETE FROM server_state WHERE kind = ? AND key = ? AND expires <= ?",
                    (kind, key, now),
                )
                c.execute(
                    "INSERT INTO server_state (kind, key, value, size, expires) "
                    "VALUES (?, ?, '{}', 1, ?) "
                    "ON CONFLICT (kind, key) DO UPDATE SET size = size + 1",
                    (kind, key, now + window),
                )
                row = c.execute(
                    "SELECT size FROM server_state WHERE kind = ? AND key = ?", (kind, key)
                ).fetchone()
            return int(row[0])

        result: int = await self._do(count)
        return result

    def read_set_body(self, keys: Iterable[str]) -> bytes:
        return read_set_body(keys)

    async def read_set_changed(self, kind: str, key: str, generation: int) -> bool:
        def read(c: sqlite3.Connection) -> bool:
            at = (kind, key, time.time())
            try:
                row = c.execute(_CHANGED, (*at, generation)).fetchone()
            except sqlite3.OperationalError as error:
                if "no such table" in str(error):  # no touches yet: nothing moved since
                    return c.execute(_KEPT_AS_NUMBERS, at).fetchone() is None
                if "malformed JSON" in str(error):  # not a read set this version wrote
                    return True
                raise
            return row is None or bool(row[0])

        result: bool = await self._do(read)
        return result

    async def release_memory(self) -> None:
        def shrink() -> None:
            self.backend._connection().execute("PRAGMA shrink_memory")

        # One call per reading thread, most likely one each (which thread takes which call is
        # the pool's business: a thread that takes two leaves another's cache for next time).
        workers = getattr(self.backend._pool, "_max_workers", 1)
        await asyncio.gather(*(self.backend._run(shrink) for _ in range(workers)))

    async def generation(self) -> int:
        def read(c: sqlite3.Connection) -> int:
            row = c.execute("SELECT value FROM store_generation WHERE id = 1").fetchone()
            return int(row[0]) if row else 0

        result: int = await self._do(read)
        return result


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on any failure)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None:
            self.connection.execute("COMMIT")
        elif self.connection.in_transaction:
            self.connection.execute("ROLLBACK")
