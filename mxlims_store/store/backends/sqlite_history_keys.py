"""Schema 10: the history index keyed by the object's row, appended as the rows are.

The one index of ``history_rows`` is ``(object, revision)``. Schema 8 made ``object`` 60 bits of
the object's uuid (:func:`sqlite_history.object_key`): random, so at 200,000 objects an import's
6,591 new entries landed on ~1,130 pages of that index (62 at 6,591 objects). Now an entry of an
object whose row is in a core table is keyed by that row: ``ROW_KEYED + table code * SPAN +
n``; new objects get the highest ``n`` of their table, so their entries land at the ends of four
ranges of the index (an import's: ~15 pages at any size).

- The uuid still finds them: a lookup by uuid reads the row's number through the table's unique
  index of ids (warm: the write path reads it anyway) and asks the index for both keys, the row's
  and the uuid's (:func:`keys_of`, :func:`row_keys_sql`), so what was keyed by the uuid (entries
  written by schema 8 or 9, by raw SQL through the view, of objects outside the core tables) is
  found as before: no entry is rewritten by the upgrade.
- A deleted object has no row, and its number may be given to the next new object of its table:
  its entries go back under its uuid's key in the deleting transaction (:func:`rekey_deleted`),
  and the deletion's own entry is written there.
- Rows keep their numbers across VACUUM and upgrades (``n INTEGER PRIMARY KEY``, schema 9), and
  a replaced document keeps its row (an UPDATE).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable
from typing import Any

from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite_history import (
    ROW_KEYED,
    ROWS,
    SPAN,
    TABLE_CODES,
    insert_entries,
    object_key,
    row_keys_sql,
)
from mxlims_store.store.backends.sqlite_ids import keys_sql, sorted_keys
from mxlims_store.store.backends.sqlite_links import Numbers


def append_history(
    connection: sqlite3.Connection,
    writes: list[Write],
    numbers: Numbers,
    unrecorded: Collection[str] = (),
) -> None:
    """The history entries of ``writes`` appended (sqlite_history.insert_entries), those of
    objects keeping a row under its key; the entries of objects deleted back under their
    uuids' keys first (:func:`rekey_deleted`). One pass over the writes gives the entries,
    their rows' keys and the deletions (three passes were ~5 ms of a 6,591-object import)."""
    entries: list[tuple[str, Any]] = []
    keys: dict[str, int] = {}  # uuid -> the key of its new entry, for objects keeping a row
    deleted: list[tuple[Write, int]] = []
    for write in writes:
        collection, uuid, document, _, history = write  # (unpacked: no attribute reads)
        code = TABLE_CODES.get(collection)
        if code is not None:
            number = numbers.get((collection, uuid))
            if number is not None:
                key = ROW_KEYED + code * SPAN + number  # row_key
                if document is None:
                    deleted.append((write, key))
                elif history:
                    keys[uuid] = key
        if history:
            entries.append((history["_id"], history))
    if deleted:
        rekey_deleted(connection, deleted)
    insert_entries(connection, entries, unrecorded=unrecorded, row_keys=keys)


def rekey_deleted(connection: sqlite3.Connection, deleted: Iterable[tuple[Write, int]]) -> None:
    """The entries of the objects deleted (with the keys of the rows they had) back under
    their uuids' keys (their rows' numbers may be given again), in the deleting transaction."""
    rows = [
        (object_key(write.uuid), key, f"{write.uuid}@", f"{write.uuid}A") for write, key in deleted
    ]
    connection.executemany(
        f'UPDATE "{ROWS}" SET object = ? WHERE object = ? AND id >= ? AND id < ?', rows
    )


def keys_of(connection: sqlite3.Connection, uuids: Iterable[str], hashed: set[int]) -> list[int]:
    """Every key the history index may hold entries of ``uuids`` under: ``hashed`` (their
    object_key numbers) and their rows' keys, sorted (probed in index order)."""
    asked = sorted_keys(uuids)  # (converted once, bound once per table: sqlite_ids)
    params: list[Any] = []

    def bind(value: Any) -> str:
        params.append(value)
        return "?"

    rows = connection.execute(row_keys_sql(lambda: keys_sql(asked, bind)), params).fetchall()
    return sorted(hashed | {key for (key,) in rows})
