"""How the embedded engine keeps the history collection (schema 8): appended, and compact.

Every history entry of one write repeats what is common to the write: who (``actor``), when
(``time``), which import (``importId``), in which model version (``sourceVersion``) and for which
proposal (``_meta.proposal``), about 200 of an entry's 260 bytes. So an entry is split in two:

- ``history_commits``: one row per distinct common part of a write (an import: one row);
- ``history_rows``: one row per entry, appended in the order entries are written (an
  ``INTEGER PRIMARY KEY``: stable across VACUUM), holding the entry's key (``<uuid>@<revision>@
  <key>``, under a unique index: a concurrent twin of a change is refused, and an equality on
  the uuid is a range of it), its revision, its operation and its changes (none for a
  creation), and the number of its commit row.

Keyed by a random uuid (schema 7), each new entry landed on a random page of the whole history:
half the pages an import's commit wrote. Appended, an import's entries fill new pages one after
the other; only the small key index takes random inserts.

The view ``history`` puts each entry back together as the JSON the collection always held, key
for key in the order it was written (:func:`split` keeps only entries it can put back exactly;
any other, e.g. written by an older version or by hand, is kept whole in ``whole``). Every read
(finds, the provenance walk, ``check``) reads the view; raw SQL may insert into and delete from
it too (its triggers keep such an entry whole).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import orjson

ROWS = "history_rows"
COMMITS = "history_commits"
# the keys of an entry as history.recorded_change writes it, in their order: with or without
# its key (``_id``), changes (none for a creation) and sourceVersion
_HEAD = ("uuid", "revision", "operation", "actor", "time", "importId")
_SHAPES = frozenset(
    (*key, *_HEAD, *changes, "_meta", *version)
    for key in ((), ("_id",))
    for changes in ((), ("changes",))
    for version in ((), ("sourceVersion",))
)
COMMON = ("actor", "time", "importId", "sourceVersion", "proposal")

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
        "commit_n INTEGER, revision INTEGER, operation TEXT, changes TEXT, whole TEXT)",
        f'CREATE UNIQUE INDEX IF NOT EXISTS "{ROWS}__id" ON "{ROWS}" (id)',
        f'CREATE VIEW IF NOT EXISTS "{name}" (id, doc) AS SELECT r.id, '
        f"CASE WHEN r.commit_n IS NULL THEN r.whole ELSE {_JOINED} END "
        f'FROM "{ROWS}" AS r LEFT JOIN "{COMMITS}" AS c ON c.n = r.commit_n',
        f'CREATE TRIGGER IF NOT EXISTS "{name}__insert" INSTEAD OF INSERT ON "{name}" '
        f'BEGIN INSERT INTO "{ROWS}" (id, whole) VALUES (NEW.id, NEW.doc); END',
        f'CREATE TRIGGER IF NOT EXISTS "{name}__update" INSTEAD OF UPDATE ON "{name}" '
        f'BEGIN UPDATE "{ROWS}" SET id = NEW.id, whole = NEW.doc, commit_n = NULL, '
        "revision = NULL, operation = NULL, changes = NULL WHERE id = OLD.id; END",
        f'CREATE TRIGGER IF NOT EXISTS "{name}__delete" INSTEAD OF DELETE ON "{name}" '
        f'BEGIN DELETE FROM "{ROWS}" WHERE id = OLD.id; END',
    ]


def split(key: str, entry: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    """``(common part, own part)`` of the entry ``key`` (an ``_id`` in it is the key, kept
    once), or None when the view could not put its own part back exactly: it is then kept
    whole. (The common part is checked once per write: :func:`_common_fits`.)"""
    if tuple(entry) not in _SHAPES:
        return None
    uuid, revision, meta = entry["uuid"], entry["revision"], entry["_meta"]
    if type(uuid) is not str or type(revision) is not int or type(meta) is not dict:
        return None
    changes = entry.get("changes", _NO_CHANGES)
    if not (
        0 <= revision < 2**62
        and key.startswith(f"{uuid}@{revision}@")
        and "@" not in uuid
        and entry.get("_id", key) == key
        and type(entry["operation"]) is str
        and type(changes) is dict
        and len(meta) == 1
        and "proposal" in meta
    ):
        return None
    common = (entry["actor"], entry["time"], entry["importId"], entry.get("sourceVersion", _NO))
    own = (key, revision, entry["operation"], None if changes is _NO_CHANGES else _json(changes))
    return (*common, meta["proposal"]), own


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
) -> None:
    """Append ``(key, entry)`` pairs (an ``_id`` in the entry is its key) in the caller's
    transaction: one commit row per distinct common part (``commits``: those already written,
    by common part). A key already stored raises sqlite3.IntegrityError (the unique index), as
    any entry recorded twice must."""
    commits = {} if commits is None else commits
    rows: list[tuple[Any, ...]] = []
    whole: list[tuple[str, str]] = []
    for key, entry in entries:
        parts = split(key, entry) if isinstance(entry, dict) else None
        if parts is None:
            whole.append((key, _whole(key, entry)))
            continue
        common, own = parts
        try:
            number = commits.get(common)
        except TypeError:  # a value that is no text (a dict): not a common part the view gives
            number = None
            parts = None
        if number is None:
            if parts is None or not _common_fits(common):
                whole.append((key, _whole(key, entry)))
                continue
            values = tuple(None if v is _NO else v for v in common)
            number = connection.execute(
                f'INSERT INTO "{COMMITS}" (actor, time, import_id, source_version, proposal) '
                "VALUES (?, ?, ?, ?, ?) RETURNING n",
                values,
            ).fetchone()[0]
            commits[common] = number
        rows.append((*own, number))
    rows.sort()  # in key order: each insert into the key index lands beside the one before
    connection.executemany(
        f'INSERT INTO "{ROWS}" (id, revision, operation, changes, commit_n) VALUES (?, ?, ?, ?, ?)',
        rows,
    )
    if whole:
        connection.executemany(f'INSERT INTO "{ROWS}" (id, whole) VALUES (?, ?)', whole)


def _whole(key: str, entry: Any) -> str:
    """The JSON text of an entry kept whole (its key once, in the id column; a text that was
    not JSON, from a damaged store, as it was: ``check`` reports it)."""
    if isinstance(entry, _Undecoded):
        return entry.text
    if isinstance(entry, dict) and entry.get("_id") == key:
        entry = {k: v for k, v in entry.items() if k != "_id"}
    return orjson.dumps(entry).decode()


class _Undecoded:
    def __init__(self, text: str) -> None:
        self.text = text


def _decoded(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _Undecoded(text)


def compacted(connection: sqlite3.Connection, name: str) -> int:
    """Schema 8: the history table ``name`` of an older store (schema 6 or 7: ``(id, doc)``
    with the whole entry) rebuilt as the two tables and the view, in the caller's transaction;
    the number of entries moved (0: already done or nothing to do)."""
    row = connection.execute(
        "SELECT type FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')", (name,)
    ).fetchone()
    if row is None or row[0] != "table":
        return 0
    old = f"{name}__v7"
    connection.execute(f'DROP TABLE IF EXISTS "{old}"')
    connection.execute(f'ALTER TABLE "{name}" RENAME TO "{old}"')
    for statement in history_schema(name):
        connection.execute(statement)
    moved, commits = 0, dict[tuple[Any, ...], int]()
    # in key order: the entries of one object lie together
    cursor = connection.execute(f'SELECT id, doc FROM "{old}" ORDER BY id')
    while batch := cursor.fetchmany(10_000):
        insert_entries(connection, [(key, _decoded(text)) for key, text in batch], commits)
        moved += len(batch)
    connection.execute(f'DROP TABLE "{old}"')  # with its indexes
    return moved
