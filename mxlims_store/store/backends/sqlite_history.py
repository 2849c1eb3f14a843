"""How the embedded engine keeps the history collection (schema 8): appended, and compact.

Every history entry of one write repeats what is common to the write: who (``actor``), when
(``time``), which import (``importId``), in which model version (``sourceVersion``) and for which
proposal (``_meta.proposal``), about 200 of an entry's 260 bytes. So an entry is split in two:

- ``history_commits``: one row per distinct common part of a write (an import: one row);
- ``history_rows``: one row per entry, appended in the order entries are written (an
  ``INTEGER PRIMARY KEY``: stable across VACUUM), holding the entry's key (``<uuid>@<revision>@
  <key>``), a number made from its uuid (:func:`object_key`), its revision, its operation, its
  changes (none for a creation) and the number of its commit row. The one index, of
  ``(object, revision)``, finds an object's entries; 8-byte keys instead of schema 7's 70-byte
  ids, so an import's new entries touch a fifth of the pages. The same change recorded twice is
  refused inside the writing transaction (:func:`refuse_twins`).

Keyed by a random uuid (schema 7), each new entry landed on a random page of the whole history:
half the pages an import's commit wrote. Appended, an import's entries fill new pages one after
the other; only the small index takes random inserts.

The view ``history`` puts each entry back together as the JSON the collection always held, key
for key in the order it was written (:func:`insert_entries` splits only entries it can put back
exactly; any other, e.g. written by an older version or by hand, is kept whole in ``whole``).
Every read (finds, the provenance walk, ``check``) reads the view; raw SQL may insert into and
delete from it too (its triggers keep such an entry whole).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping
from itertools import islice
from operator import itemgetter, lt
from typing import Any

import orjson

from mxlims_store.store.backends.base import CreationEntry
from mxlims_store.store.backends.sqlite_ids import keys_params, sorted_keys

ROWS = "history_rows"
COMMITS = "history_commits"
OBJECT_KEY = "object_key"  # the view's column of object_key(uuid), under the index
_HEX = "0123456789abcdef"
# the keys of an entry as history.recorded_change writes it, in their order: with or without
# its key (``_id``), changes (none for a creation) and sourceVersion
_HEAD = ("uuid", "revision", "operation", "actor", "time", "importId")
_SHAPES = frozenset(
    (*first, *_HEAD, *changes, "_meta", *version, *last)
    for first, last in (((), ()), (("_id",), ()), ((), ("_id",)))  # as written, or as read
    for changes in ((), ("changes",))
    for version in ((), ("sourceVersion",))
)

_UUID = "substr(r.id, 1, instr(r.id, '@') - 1)"
_JOINED = (
    "'{\"uuid\":' || json_quote(" + _UUID + ") || ',\"revision\":' || r.revision"
    " || ',\"operation\":' || json_quote(r.operation) || ',\"actor\":' || json_quote(c.actor)"
    " || ',\"time\":' || json_quote(c.time) || ',\"importId\":' || json_quote(c.import_id)"
    " || coalesce(',\"changes\":' || r.changes, '')"
    " || ',\"_meta\":{\"proposal\":' || json_quote(c.proposal) || '}'"
    " || CASE WHEN c.source_version IS NULL THEN ''"
    " ELSE ',\"sourceVersion\":' || json_quote(c.source_version) END || '}'"
)


def history_schema(name: str) -> list[str]:
    """The two tables, the key index, the view ``name`` that reads as the collection, and the
    triggers that let raw SQL write to the view (entries then kept whole)."""
    return [
        f'CREATE TABLE IF NOT EXISTS "{COMMITS}" (n INTEGER PRIMARY KEY, actor TEXT, '
        "time TEXT, import_id TEXT, source_version TEXT, proposal TEXT)",
        f'CREATE TABLE IF NOT EXISTS "{ROWS}" (n INTEGER PRIMARY KEY, id TEXT NOT NULL, '
        "object INTEGER NOT NULL, commit_n INTEGER, revision INTEGER, operation TEXT, "
        "changes TEXT, whole TEXT)",
        f'CREATE INDEX IF NOT EXISTS "{ROWS}__object" ON "{ROWS}" (object, revision)',
        f'CREATE VIEW IF NOT EXISTS "{name}" (id, doc, {OBJECT_KEY}) AS SELECT r.id, '
        f"CASE WHEN r.commit_n IS NULL THEN r.whole ELSE {_JOINED} END, r.object "
        f'FROM "{ROWS}" AS r LEFT JOIN "{COMMITS}" AS c ON c.n = r.commit_n',
        f'CREATE TRIGGER IF NOT EXISTS "{name}__insert" INSTEAD OF INSERT ON "{name}" '
        f'BEGIN INSERT INTO "{ROWS}" (id, object, whole) '
        f"VALUES (NEW.id, {_object_sql('NEW.id')}, NEW.doc); END",
        f'CREATE TRIGGER IF NOT EXISTS "{name}__update" INSTEAD OF UPDATE ON "{name}" '
        f'BEGIN UPDATE "{ROWS}" SET id = NEW.id, object = {_object_sql("NEW.id")}, '
        "whole = NEW.doc, commit_n = NULL, revision = NULL, operation = NULL, changes = NULL "
        f"WHERE object = OLD.{OBJECT_KEY} AND id = OLD.id; END",
        f'CREATE TRIGGER IF NOT EXISTS "{name}__delete" INSTEAD OF DELETE ON "{name}" '
        f'BEGIN DELETE FROM "{ROWS}" WHERE object = OLD.{OBJECT_KEY} AND id = OLD.id; END',
    ]


# Schema 10 (sqlite_history_keys): an entry of an object with a row in a core table is kept
# under the row's key.
ROW_KEYED = 1 << 60  # keys at or above are a row's; object_key(uuid) is always below
SPAN = 1 << 40  # rows per table code
# stored in every key: never renumber a table (a new core table takes the next code)
TABLE_CODES = {"logistical_samples": 0, "samples": 1, "jobs": 2, "datasets": 3}


def row_key(table: str, n: int) -> int:
    return ROW_KEYED + TABLE_CODES[table] * SPAN + n


def row_keys_sql(keys: Callable[[], str], also: str = "") -> str:
    """SQL selecting the row keys of some uuids, each call of ``keys`` giving a SELECT of their
    keys in the tables' ids (sqlite_ids.keys_sql, its column ``key``) bound where it is called
    (one probe of each core table's unique index of ids per uuid)."""
    return " UNION ALL ".join(
        f"SELECT {ROW_KEYED + code * SPAN} + t.n{also} FROM ({keys()}) AS j "
        f'CROSS JOIN "{name}" AS t ON t.id = j.key'
        for name, code in TABLE_CODES.items()
    )


def object_key(uuid: str) -> int:
    """The number the history's index keeps for the object ``uuid``: its first 7 and last 8
    characters read as hexadecimal digits (60 bits of a uuid, head and tail: uuids that differ
    only in the middle share it, and are told apart by the exact test beside every lookup).
    :func:`_object_sql` computes the same in SQL, for the view's triggers."""
    n = len(uuid)
    if n >= 8:  # the common case, a uuid: its 15 digits read at once (int() would also read
        digits = uuid[:7] + uuid[-8:]  # a sign, a space, "_" or a "0x": ASCII letters and
        if digits.isascii() and digits.isalnum() and digits[1] not in "xX":  # digits only,
            try:  # no "x"; a regex here was half the cost of splitting an entry)
                return int(digits, 16)
            except ValueError:  # a letter beyond f
                pass
    chars = [uuid[i : i + 1] for i in range(7)]
    chars += [uuid[n - k : n - k + 1] if n >= k else "" for k in range(8, 0, -1)]
    value = 0
    for char in chars:
        value = value * 16 + _HEX.find(char.lower() if char.isascii() else char)
    return value


def _object_sql(key: str) -> str:
    """:func:`object_key` of the uuid that begins the entry key ``key`` (an SQL expression)."""
    at = f"instr({key}, '@')"
    uuid = f"(CASE WHEN {at} > 0 THEN substr({key}, 1, {at} - 1) ELSE {key} END)"
    places = [f"substr({uuid}, {p}, 1)" for p in range(1, 8)]
    places += [f"substr({uuid}, -{k}, 1)" for k in range(8, 0, -1)]
    value = "0"
    for place in places:
        value = f"({value}) * 16 + (instr('{_HEX}', lower({place})) - 1)"
    return value


def _common_fits(common: tuple[Any, ...]) -> bool:
    """Whether the view gives back a common part exactly: texts or null (sourceVersion: a text
    or absent)."""
    *texts, version, proposal = common
    return all(_text(t) for t in (*texts, proposal)) and (version is _NO or type(version) is str)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _text(value: Any) -> bool:
    return value is None or type(value) is str


_NO_CHANGES: dict[str, Any] = {}  # a creation's: none
_NO = object()  # no sourceVersion


def insert_entries(
    connection: sqlite3.Connection,
    entries: Iterable[tuple[str, Any]],
    commits: dict[tuple[Any, ...], int] | None = None,
    unrecorded: Collection[str] = frozenset(),
    row_keys: Mapping[str, int] | None = None,
    by_rows: bool = True,
) -> None:
    """Append ``(key, entry)`` pairs (an ``_id`` in the entry is its key) in the caller's
    transaction: one commit row per distinct common part (``commits``: those already written,
    by common part). A key already stored raises sqlite3.IntegrityError (:func:`refuse_twins`),
    as any entry recorded twice must; not looked for among the entries of ``unrecorded``,
    uuids the writing transaction found without any history entry. ``row_keys``: uuid -> the
    key of its row (sqlite_history_keys), for objects whose entries are kept by row;
    ``by_rows`` False: no twin looked for under a row's key (a store of schema 8 or older,
    whose rows have no numbers yet)."""
    commits = {} if commits is None else commits
    row_keys = row_keys or {}
    rows: list[tuple[Any, ...]] = []
    whole: list[tuple[str, str]] = []
    sought: list[tuple[str, int]] = []  # (key, object) of entries whose twin may be stored
    # Each entry split in the loop (a call per entry was a third of its cost), and a common
    # part equal to the entry before's taken as that one's commit row (no tuple made and
    # hashed per entry); an entry the view could not put back exactly is kept whole
    last: tuple[Any, ...] = (_NO, _NO, _NO, _NO, _NO)  # the entry before's common part
    last_number = 0
    tails: dict[int, str] = {}  # revision -> "@<revision>@"
    shape: tuple[str, ...] = ()  # the entry before's keys, one of _SHAPES (compared: no hash)
    for key, entry in entries:
        if type(entry) is CreationEntry and "@" not in (uuid := entry["uuid"]):
            # an import's creation: its shape is known (backends/base.py), not checked again
            revision, meta, operation, changed = entry["revision"], entry["_meta"], "create", None
        else:
            if not isinstance(entry, dict):
                whole.append((key, _whole(key, entry)))
                continue
            keys = tuple(entry)
            if keys != shape:
                if keys not in _SHAPES:
                    whole.append((key, _whole(key, entry)))
                    continue
                shape = keys
            uuid, revision, meta = entry["uuid"], entry["revision"], entry["_meta"]
            operation, changes = entry["operation"], entry.get("changes", _NO_CHANGES)
            if not (
                type(uuid) is str
                and type(revision) is int
                and type(meta) is dict
                and type(operation) is str
                and type(changes) is dict
                and 0 <= revision < 2**62
                and len(meta) == 1
                and "proposal" in meta
                and "@" not in uuid
                and key.startswith(uuid)  # then "@<revision>@"
                and key.startswith(tails.get(revision) or _tail(tails, revision), len(uuid))
                and entry.get("_id", key) == key
            ):
                whole.append((key, _whole(key, entry)))
                continue
            changed = None if changes is _NO_CHANGES else _json(changes)
        actor, time, import_id = entry["actor"], entry["time"], entry["importId"]
        version, proposal = entry.get("sourceVersion", _NO), meta["proposal"]
        if not (  # (last: texts or None, _NO for no sourceVersion)
            proposal == last[4]
            and time == last[1]
            and actor == last[0]
            and import_id == last[2]
            and version == last[3]
        ):
            common = (actor, time, import_id, version, proposal)
            number = _commit_of(connection, commits, common)
            if number is None:
                whole.append((key, _whole(key, entry)))
                continue
            last, last_number = common, number
        row = row_keys.get(uuid) if row_keys else None
        obj = object_key(uuid) if row is None else row  # kept under its row's key, if any
        rows.append((key, obj, revision, operation, changed, last_number))
        if uuid not in unrecorded:  # (the key's head is the uuid)
            sought.append((key, obj))
    named = set(map(_FIRST, rows))
    named.update(map(_FIRST, whole))
    if len(named) != len(rows) + len(whole):
        raise sqlite3.IntegrityError("history: the same change is recorded twice in one write")
    # an entry kept whole stays under its uuid's key (its key's head may not be its uuid)
    sought += [(k, _object_of(k)) for k, _ in whole if k.split("@", 1)[0] not in unrecorded]
    refuse_twins(connection, sought, (), by_rows)
    objects = list(map(_SECOND, rows))  # an import's and a return's: in order already
    if not all(map(lt, objects, islice(objects, 1, None))):  # (ascending, no object twice)
        rows.sort(key=itemgetter(1, 2))  # in index order: inserts land beside the one before
    connection.executemany(
        f'INSERT INTO "{ROWS}" (id, object, revision, operation, changes, commit_n) '
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    if whole:
        connection.executemany(
            f'INSERT INTO "{ROWS}" (id, object, whole) VALUES (?, ?, ?)',
            [(key, _object_of(key), text) for key, text in whole],
        )


_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _commit_of(
    connection: sqlite3.Connection, commits: dict[tuple[Any, ...], int], common: tuple[Any, ...]
) -> int | None:
    """The number of the commit row of ``common`` (written now if new), or None when the view
    could not give it back exactly (the entry is then kept whole)."""
    try:
        number = commits.get(common)
    except TypeError:  # a value that is no text (a dict): not a common part the view gives
        return None
    if number is None:
        if not _common_fits(common):
            return None
        number = connection.execute(
            f'INSERT INTO "{COMMITS}" (actor, time, import_id, source_version, proposal) '
            "VALUES (?, ?, ?, ?, ?) RETURNING n",
            tuple(None if v is _NO else v for v in common),
        ).fetchone()[0]
        commits[common] = number
    return number


def _tail(tails: dict[int, str], revision: int) -> str:
    tail = tails[revision] = f"@{revision}@"
    return tail


def _object_of(key: str) -> int:
    return object_key(key.split("@", 1)[0])


def refuse_twins(
    connection: sqlite3.Connection,
    keys: list[tuple[str, int]],
    unrecorded: Collection[str] = frozenset(),
    by_rows: bool = True,
) -> None:
    """sqlite3.IntegrityError when one of the entries ``(key, object key)`` is stored
    already or comes twice: the same change recorded twice (a concurrent twin loses). Checked
    inside the writing transaction, which holds SQLite's write lock: nothing can come between.
    (A unique index of the keys did the same, but took each new entry on a random page of the
    whole history.) The entries of ``unrecorded`` uuids, which the transaction found without
    any entry (an import's new objects: documents_by_uuid), are not looked for again: at
    200,000 objects that was a second probe of a random page of the index per new object."""
    if len({key for key, _ in keys}) != len(keys):
        raise sqlite3.IntegrityError("history: the same change is recorded twice in one write")
    if unrecorded:
        keys = [(key, number) for key, number in keys if key.split("@", 1)[0] not in unrecorded]
    # an entry under its row's key may have a twin under its uuid's (written before schema 10,
    # or before the object was deleted and made again): both are looked for
    hashed = [key for key, number in keys if number < ROW_KEYED]
    keys += [(key, _object_of(key)) for key, number in keys if number >= ROW_KEYED]
    keys += _by_rows(connection, hashed) if by_rows else []
    if not keys:
        return
    twin = connection.execute(
        f'SELECT r.id FROM json_each(?) AS j, "{ROWS}" AS r '
        "WHERE r.object = j.value ->> 1 AND r.id = j.value ->> 0 "
        "LIMIT 1",
        (_json(keys),),
    ).fetchone()
    if twin is not None:
        raise sqlite3.IntegrityError(f"history: {twin[0]} is recorded already")


def _by_rows(connection: sqlite3.Connection, keys: list[str]) -> list[tuple[str, int]]:
    """``(key, its object's row key)`` of entry keys whose objects have a row now."""
    if not keys:
        return []
    asked = sorted_keys(key.split("@", 1)[0] for key in keys)  # key -> uuid (sqlite_ids)
    params: list[Any] = []
    for _ in TABLE_CODES:
        part, bound = keys_params(asked)
        params += bound
    sql = row_keys_sql(lambda: part, " AS row_key, t.id")
    rows: dict[str, list[int]] = {}
    for number, stored in connection.execute(sql, params):
        rows.setdefault(asked[stored], []).append(number)
    return [(key, n) for key in keys for n in rows.get(key.split("@", 1)[0], ())]


def _whole(key: str, entry: Any) -> str:
    """The JSON text of an entry kept whole (its key once, in the id column; a text that was
    not JSON, from a damaged store, as it was: ``check`` reports it)."""
    if isinstance(entry, Undecoded):
        return entry.text
    if isinstance(entry, dict) and entry.get("_id") == key:
        entry = {k: v for k, v in entry.items() if k != "_id"}
    return orjson.dumps(entry).decode()


class Undecoded:
    """A stored entry's text that is not JSON (a damaged store), kept as it was."""

    def __init__(self, text: str) -> None:
        self.text = text
