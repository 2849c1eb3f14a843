"""How many objects of each MXLIMS type the embedded store holds, kept as every write commits.

`mxlims-store stats` (and GET /stats for whoever reads everything) counts the objects by type.
Grouping the documents by ``json_extract(doc, '$.mxlimsType')`` reads every document: SQLite
3.40 does not answer such a GROUP BY from the expression index alone (~20 ms at 200,000
objects), and counting the index's range of each type still steps through every entry (~15 ms).
So the counts are kept in the small table ``type_counts`` (collection, type, n), changed in the
transaction of every write (``keep``): a creation adds one, a deletion takes one off (the type
of what it deletes is read before: deletions are few). A replacement never changes an object's
type (the importer refuses it, PATCH keeps ``mxlimsType`` fixed), so it changes no count.

The counts are trusted only as of the commit they were kept at: the row ``('', '')`` holds the
number of the commit (``store_commits``, which every writer of this store counts, older versions
included) that kept them last. A commit made without keeping them (an older mxlims-store, a
restored file's own history) leaves that number behind: reads then group the documents as
before (``kept`` answers None), and the next write counts them afresh. Opening a store counts
them where it has none (a new store, an older schema, a store from before them); ``check``
compares them with the documents.

Light on purpose (no asyncio, no model): the quick `stats` path reads them.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from mxlims_store.store.backends.sqlite_commits import CREATE as CREATE_COMMITS
from mxlims_store.store.backends.sqlite_commits import TABLE as COMMITS
from mxlims_store.store.backends.sqlite_ids import keys
from mxlims_store.store.collection_names import CORE_COLLECTIONS

if TYPE_CHECKING:
    from mxlims_store.store.backends.base import Write

TABLE = "type_counts"
TYPE = "json_extract(doc, '$.\"mxlimsType\"')"  # the text of the expression index on the type
SCHEMA = [
    f'CREATE TABLE IF NOT EXISTS "{TABLE}" (collection TEXT NOT NULL, type TEXT NOT NULL, '
    "n INTEGER NOT NULL, PRIMARY KEY (collection, type)) WITHOUT ROWID",
    CREATE_COMMITS,  # the commits the counts are kept at: there from the start
]
_TEXT = "json_type(doc, '$.\"mxlimsType\"') = 'text'"  # a type that is a string
_MARK = "collection = '' AND type = ''"  # the row holding the commit the counts were kept at
_COMMITTED = f'coalesce((SELECT n FROM "{COMMITS}" WHERE id = 1), 0)'
# One statement, so one snapshot: the collection's counts, then (type NULL) whether they are
# kept as of the last commit.
_READ = (
    f'SELECT type, n FROM "{TABLE}" WHERE collection = ? AND n <> 0 '
    f'UNION ALL SELECT NULL, (SELECT n FROM "{TABLE}" WHERE {_MARK}) IS {_COMMITTED}'
)
_ADD = (
    f'INSERT INTO "{TABLE}" (collection, type, n) VALUES (?, ?, ?) '
    "ON CONFLICT (collection, type) DO UPDATE SET n = n + excluded.n"
)
_SET_MARK = (
    f"INSERT INTO \"{TABLE}\" (collection, type, n) VALUES ('', '', ?) "
    "ON CONFLICT (collection, type) DO UPDATE SET n = excluded.n"
)


def kept(connection: sqlite3.Connection, collection: str) -> dict[str, int] | None:
    """The number of objects of each type in ``collection``, or None when they are not kept as
    of the last commit (a store written by an older version, or whose counts are not made)."""
    try:
        rows = connection.execute(_READ, (collection,)).fetchall()
    except sqlite3.OperationalError:  # no such table: a store from before the counts
        return None
    counts, trusted = {}, False
    for type_name, n in rows:
        if type_name is None:
            trusted = bool(n)
        else:
            counts[type_name] = int(n)
    return counts if trusted else None


def grouped(connection: sqlite3.Connection, collection: str) -> dict[str, int]:
    """The same numbers from the documents themselves (what ``kept`` spares)."""
    # (every MXLIMS object's type is a string; a document without one is not counted)
    sql = f'SELECT {TYPE}, count(*) FROM "{collection}" WHERE {_TEXT} GROUP BY 1'
    return {row[0]: int(row[1]) for row in connection.execute(sql)}


def committed(connection: sqlite3.Connection) -> int:
    try:
        return int(connection.execute(f"SELECT {_COMMITTED}").fetchone()[0])
    except sqlite3.OperationalError:  # no commit counted yet
        return 0


def count_afresh(connection: sqlite3.Connection, *, committing: bool) -> None:
    """Inside a transaction: every count made from the documents; ``committing``: the
    transaction counts its commit (a write), else it is a schema's or a conversion's."""
    for statement in SCHEMA:
        connection.execute(statement)
    connection.execute(f'DELETE FROM "{TABLE}"')
    try:
        rows = [
            (collection, type_name, n)
            for collection in CORE_COLLECTIONS
            if _exists(connection, collection)
            for type_name, n in grouped(connection, collection).items()
        ]
    except sqlite3.OperationalError:  # a damaged document (`check` names it): none kept
        return
    connection.executemany(_ADD, rows)
    connection.execute(_SET_MARK, (committed(connection) + int(committing),))


def made_where_missing(connection: sqlite3.Connection) -> None:
    """At the opening of a store whose schema is current: one from before the counts gets them
    (once). A file that cannot be written just now (read-only, another writer busy) gets them
    at its next write: until then reads group the documents, as they always did."""
    if _exists(connection, TABLE):
        return
    waited = connection.execute("PRAGMA busy_timeout").fetchone()[0]
    try:
        connection.execute("PRAGMA busy_timeout = 0")  # a reading command never waits for it
        connection.execute("BEGIN IMMEDIATE")
        count_afresh(connection, committing=False)
        connection.execute("COMMIT")
    except sqlite3.Error:
        if connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(waited)}")


def _exists(connection: sqlite3.Connection, table: str) -> bool:
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return connection.execute(sql, (table,)).fetchone() is not None


def deleted_types(
    connection: sqlite3.Connection, writes: Sequence[Write]
) -> Counter[tuple[str, str]]:
    """Before the writes: (collection, type) of every object they delete."""
    gone: Counter[tuple[str, str]] = Counter()
    by_collection: dict[str, list[str]] = {}
    for write in writes:
        if write.document is None and write.collection in CORE_COLLECTIONS:
            by_collection.setdefault(write.collection, []).append(write.uuid)
    for collection, uuids in by_collection.items():
        for start in range(0, len(uuids), 500):
            chunk = uuids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f'SELECT {TYPE} FROM "{collection}" WHERE id IN ({marks}) AND {_TEXT}'
            for (type_name,) in connection.execute(sql, keys(chunk)):  # (sqlite_ids)
                if isinstance(type_name, str):
                    gone[(collection, type_name)] += 1
    return gone


def created_types(writes: Iterable[Write], core: Collection[str]) -> Counter[tuple[str, str]]:
    """(collection, type) of each object ``writes`` create in the ``core`` collections."""
    return Counter(
        (collection, type_name)
        for collection, _, document, revision, _ in writes
        if revision is None
        and document is not None
        and isinstance(type_name := document.get("mxlimsType"), str)
        and collection in core
    )


def keep(
    connection: sqlite3.Connection,
    gone: Counter[tuple[str, str]],
    created: Counter[tuple[str, str]],
) -> None:
    """After the writes, in their transaction (which counts its commit): the counts follow.
    ``gone``: what they delete (:func:`deleted_types`); ``created``: (collection, type) of the
    objects they create, counted as numbering saw them (sqlite_write_summary)."""
    mark = None
    if _exists(connection, TABLE):
        mark = connection.execute(f'SELECT n FROM "{TABLE}" WHERE {_MARK}').fetchone()
    now = committed(connection)
    # kept as of the last commit, or already by an earlier unit sharing this commit
    if mark is None or int(mark[0]) not in (now, now + 1):
        count_afresh(connection, committing=True)  # the documents as written: nothing to add
        return
    changes = Counter({key: -n for key, n in gone.items()})
    changes.update(created)
    connection.executemany(_ADD, [(c, t, n) for (c, t), n in changes.items() if n])
    connection.execute(_SET_MARK, (now + 1,))


def problems(connection: sqlite3.Connection) -> list[str]:
    """For ``check``: every kept count that differs from the documents, one line each (only
    an edit of the file behind the store's back does that). Such counts are then forgotten:
    reads group the documents again, and the next write counts them afresh."""
    lines = []
    for collection in CORE_COLLECTIONS:
        if not _exists(connection, collection):
            continue
        counts = kept(connection, collection)
        if counts is None:
            continue  # not kept as of the last commit: the next write counts them afresh
        try:
            actual = grouped(connection, collection)
        except sqlite3.OperationalError:  # a damaged document, named on a line of its own
            continue
        for type_name in sorted(set(counts) | set(actual)):
            if counts.get(type_name, 0) != actual.get(type_name, 0):
                lines.append(
                    f"{collection}: {actual.get(type_name, 0)} {type_name} stored, but "
                    f"{counts.get(type_name, 0)} counted (forgotten: the next write counts "
                    "them afresh)"
                )
    if lines:
        with contextlib.suppress(sqlite3.Error):  # read-only, busy: reported all the same
            connection.execute(f'DELETE FROM "{TABLE}" WHERE {_MARK}')
    return lines
