"""A unit of work on the embedded engine: read, check and write in ONE SQLite transaction.

``BEGIN IMMEDIATE`` takes SQLite's write lock before the first read, on one connection held until
the ``COMMIT``: whatever the unit reads to check its rules (the pins of a puck, the barcodes of a
shipment) cannot change under it, in this process or any other, until it has written. Writers in
other processes wait for the lock (``lock_timeout``), readers never wait (WAL).

Within one process, units first take turns on an asyncio lock, so that waiting writers do not
hold every worker thread while they wait for SQLite's lock; the lock is no guard of the rules
(the transaction is).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from mxlims_store.errors import InvalidMessage, Problem, StoreBroken
from mxlims_store.store.backends import sqlite_open
from mxlims_store.store.backends.base import Document, Sort, Write
from mxlims_store.store.backends.sqlite_group import run_grouped
from mxlims_store.store.backends.sqlite_history import OBJECT_KEY, object_key
from mxlims_store.store.backends.sqlite_history_keys import keys_of
from mxlims_store.store.backends.sqlite_ids import key, keys_params
from mxlims_store.store.backends.sqlite_open import room_for
from mxlims_store.store.backends.sqlite_wal import room_made, room_soon
from mxlims_store.store.collection_names import CORE_COLLECTIONS, HISTORY

if TYPE_CHECKING:
    from mxlims_store.store.backends.sqlite import SqliteBackend

T = TypeVar("T")
SLOT_FIELD = {"puck": "positionInPuck", "multipin": "positionInPin", "dewar": "positionInDewar"}


def read_documents(connection: sqlite3.Connection, sql: str, params: list[Any]) -> list[Document]:
    """The documents a query selects (``doc``, or ``doc, id`` where the JSON leaves out the
    ``_id`` its row's key holds: history entries)."""
    try:
        return [_document(*row) for row in connection.execute(sql, params).fetchall()]
    except orjson.JSONDecodeError:  # damaged bytes: the store's failure, not the request's
        raise StoreBroken(
            "a stored document is damaged; run `mxlims-store check`, or restore a backup"
        ) from None


def documents_by_uuid(
    connection: sqlite3.Connection, tables: dict[str, str], wanted: dict[str, list[str]]
) -> tuple[dict[str, Document], set[str], dict[str, list[Document]]]:
    """The stored document of each uuid of ``wanted`` (collection -> uuids its type puts there)
    by uuid; the uuids not found, whose history was read; and their history entries (uuid ->
    its entries, for those that have any).

    Each uuid is looked for in its own collection first; one not there in the three others
    (``tables``: collection -> table, in order; a uuid names one object across all four), each
    table once, by its unique index of ids. A uuid stored nowhere has no row, so its history
    is all under its uuid's key (sqlite_history_keys: only an object with a row has entries
    under the row's key): one probe of the history index each, none of the ids again. (Asking
    history first, then the other tables only for the uuids it knew, took five probes of the
    ids per new uuid since schema 10: the row keys of all four tables, then the documents.)
    The sorted keys (sqlite_ids.keys_sql: one blob cut by ``json_each``) drive each join: the
    key probed in key order, leaf page after leaf page (``id IN (SELECT ...)`` builds a
    temporary index of the list first)."""
    found: dict[str, Document] = {}
    for collection, uuids in wanted.items():
        if uuids:
            for document in _by_id(connection, tables[collection], sorted(set(uuids))):
                found.setdefault(document["_id"], document)
    missing = sorted({u for uuids in wanted.values() for u in uuids} - found.keys())
    for collection, table in tables.items():
        ours = set(wanted.get(collection, ()))
        asked = [uuid for uuid in missing if uuid not in ours and uuid not in found]
        for document in _by_id(connection, table, asked) if asked else ():
            found.setdefault(document["_id"], document)
    nowhere = {uuid for uuid in missing if uuid not in found}
    history: dict[str, list[Document]] = {}
    for entry in _history_under_uuid_keys(connection, nowhere):
        history.setdefault(entry["uuid"], []).append(entry)
    return found, nowhere, history


def _by_id(connection: sqlite3.Connection, table: str, uuids: list[str]) -> list[Document]:
    keys, params = keys_params(uuids, ordered=True)  # (sorted, each once: sqlite_ids)
    sql = f'SELECT t.doc FROM ({keys}) AS j CROSS JOIN "{table}" AS t ON t.id = j.key'
    return read_documents(connection, sql, params)


def history_of(connection: sqlite3.Connection, uuids: Collection[str]) -> list[Document]:
    """Every history entry of ``uuids``: the history index probed by both keys of each, its
    uuid's and its row's (sqlite_history_keys.keys_of)."""
    return _entries(connection, uuids, keys_of(connection, uuids, _object_keys(uuids)))


def _history_under_uuid_keys(
    connection: sqlite3.Connection, uuids: Collection[str]
) -> list[Document]:
    """The history entries of ``uuids`` that have no row in any core table: all under their
    uuids' keys."""
    return _entries(connection, uuids, sorted(_object_keys(uuids))) if uuids else []


def _entries(
    connection: sqlite3.Connection, uuids: Collection[str], keys: list[int]
) -> list[Document]:
    """The entries of ``uuids`` under ``keys`` (sorted): the history index probed in its order,
    then the exact test (uuids sharing a number are told apart here)."""
    sql = (
        f'SELECT h.doc, h.id FROM json_each(?) AS j CROSS JOIN "{HISTORY}" AS h '
        f"ON h.{OBJECT_KEY} = j.value"
    )
    wanted = set(uuids)
    return [
        entry
        for entry in read_documents(connection, sql, [orjson.dumps(keys).decode()])
        if type(entry.get("uuid")) is str and entry["uuid"] in wanted
    ]


def _object_keys(uuids: Iterable[str]) -> set[int]:
    """``{object_key(uuid) ...}``, the common case read at once: 15 hex digits (``int`` would
    also read a sign, a space, "_" or a "0x": only ASCII letters and digits, no "x", go this
    way)."""
    keys = set()
    for uuid in uuids:
        digits = uuid[:7] + uuid[-8:]
        if len(uuid) >= 8 and digits.isascii() and digits.isalnum() and digits[1] not in "xX":
            try:
                keys.add(int(digits, 16))
                continue
            except ValueError:  # a letter beyond f
                pass
        keys.add(object_key(uuid))
    return keys


def _document(text: str, key: str | None = None) -> Document:
    document: Document = orjson.loads(text)
    if key is not None:
        document.setdefault("_id", key)
    return document


class SqliteUnit:
    """The backend's reads and ``commit`` on the unit's connection, inside its transaction."""

    name = "sqlite"
    transactional = True

    def __init__(
        self, backend: SqliteBackend, connection: sqlite3.Connection, first: bool = False
    ) -> None:
        self.backend = backend
        self.connection = connection
        # the group's first unit: its transaction has written nothing while this is unchanged
        self._clean_at = connection.total_changes if first else None
        self.room: Future[int] | None = None  # the log made longer, before the first change
        self.written = 0  # documents, for the checkpoint
        self._probed: set[str] = set()  # uuids whose history documents_by_uuid read
        self._history: dict[str, list[Document]] = {}  # and their entries
        # the uuids of those without any entry, until this unit's first commit (which may
        # record some): their new entries need not be looked for as twins (sqlite_history)
        self._unrecorded: set[str] = set()

    @property
    def round_trips(self) -> int:
        return self.backend.round_trips

    async def ping(self) -> None:
        await self.backend.ping()

    async def prepare(self) -> None:  # the store is prepared before any unit runs
        return None

    async def close(self) -> None:  # the backend's owner closes it
        return None

    async def unit(self, work: Callable[[Any], Awaitable[T]]) -> T:
        return await work(self)  # already inside one: the same transaction

    async def find(
        self, collection: str, filter: Document, *, sort: Sort = (), limit: int | None = None
    ) -> list[Document]:
        sql, params = self.backend.find_sql(collection, filter, sort, limit)
        return await self.backend._run(read_documents, self.connection, sql, params, writer=True)

    async def documents_by_uuid(self, wanted: dict[str, list[str]]) -> dict[str, Document]:
        """What ``find(c, {"_id": {"$in": [...]}})`` over the four collections in turn gives,
        by uuid, for uuids whose collection their type says (an import's one question of what
        is stored of it; see :func:`documents_by_uuid`): one call, the keys in order. The
        history of the uuids not found is kept for :meth:`history_of` (nothing is written in
        between: a unit reads, checks, then writes)."""
        tables = {collection: table.name for collection, table in self.backend.tables.items()}
        core = {collection: tables[collection] for collection in CORE_COLLECTIONS}
        found, self._probed, self._history = await self.backend._run(
            self._documents_by_uuid, core, wanted, writer=True
        )
        self._unrecorded = self._probed - self._history.keys()
        return found

    def _documents_by_uuid(
        self, tables: dict[str, str], wanted: dict[str, list[str]]
    ) -> tuple[dict[str, Document], set[str], dict[str, list[Document]]]:
        objects = sum(map(len, wanted.values()))
        room_for(self.connection, objects)  # a big write ahead
        clean = self.connection.total_changes == self._clean_at
        if objects >= sqlite_open.BIG_WRITE and clean and self.room is None:
            # nothing written yet, so no frame to write: the log made longer meanwhile
            self.room = room_soon(self.backend.path, objects)  # (sqlite_wal)
        return documents_by_uuid(self.connection, tables, wanted)

    async def history_of(self, uuids: Collection[str]) -> list[Document]:
        """What ``find("history", {"uuid": {"$in": [...]}})`` gives, in one call (none where
        :meth:`documents_by_uuid` read them already)."""
        if self._probed.issuperset(uuids):
            kept = self._history
            return [entry for uuid in uuids if uuid in kept for entry in kept[uuid]]
        return await self.backend._run(history_of, self.connection, uuids, writer=True)

    async def count(self, collection: str, filter: Document) -> int:
        sql, params = self.backend.count_sql(collection, filter)
        row = await self.backend._run(
            lambda: self.connection.execute(sql, params).fetchone(), writer=True
        )
        return int(row[0])

    async def count_by(self, collection: str, filter: Document, field: str) -> dict[Any, int]:
        sql, params = self.backend.count_by_sql(collection, filter, field)
        rows = await self.backend._run(
            lambda: self.connection.execute(sql, params).fetchall(), writer=True
        )
        return {row[0]: int(row[1]) for row in rows}

    async def commit(self, writes: Sequence[Write]) -> None:
        if writes:
            unrecorded, self._unrecorded = self._unrecorded, set()
            await self.backend._run(self._apply, list(writes), unrecorded, writer=True)
            self.written += len(writes)

    def _apply(self, writes: list[Write], unrecorded: set[str]) -> None:
        room_made(self.room)  # (no page of the log written before its room is made)
        room_for(self.connection, len(writes))  # (the group's end gives the room back)
        self.backend.apply_or_refuse(self.connection, writes, unrecorded)


async def run_unit(backend: SqliteBackend, work: Callable[[Any], Awaitable[T]]) -> T:
    """``work(unit)`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT``, in a savepoint of its own: units
    queued meanwhile share the commit (see sqlite_group); any exception undoes the unit's writes.

    Every call of the unit runs on the backend's one writer thread, and its start and end are
    one call each: under load the event loop is busy, and each hop from the loop to a thread
    and back is time the whole queue of writers waits."""
    return await run_grouped(
        backend, work, lambda connection, first: SqliteUnit(backend, connection, first)
    )


def position_taken(
    connection: sqlite3.Connection, writes: list[Write], error: sqlite3.IntegrityError
) -> Exception:
    """The database's unique index on (containerId, slot) refused a write: the same problem the
    integrity rules give, at the written object (its uuid; the caller names its path)."""
    if "_meta" not in str(error) and "slot" not in str(error):
        return error
    sql = (
        'SELECT id FROM logistical_samples WHERE "n_containerId" IN '
        "(SELECT n FROM logistical_samples WHERE id = ?) "
        'AND json_extract(doc, \'$."_meta"."slot"\') = ? AND id != ?'
    )
    problems = []
    for write in writes:
        document = write.document or {}
        slot = (document.get("_meta") or {}).get("slot")
        if not slot or not document.get("containerId"):
            continue
        ids = (key(document["containerId"]), slot, key(write.uuid))  # (sqlite_ids)
        holder = connection.execute(sql, ids).fetchone()
        if holder is not None:
            problems.append(slot_problem(write.uuid, slot))
    return InvalidMessage(problems) if problems else error


def slot_problem(uuid: str, slot: str) -> Problem:
    """``<uuid>/positionInPuck: position 5 of its container is taken twice``."""
    space, position, sub = slot.split(":", 2)
    field = SLOT_FIELD.get(space, "rowNumber" if space == "plate" else "dropNumber")
    shown = position if sub == "-1" else f"{position}/{sub}"
    return Problem(f"{uuid}/{field}", f"position {shown} of its container is taken twice")
