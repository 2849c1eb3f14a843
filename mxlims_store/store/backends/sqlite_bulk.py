"""A write's new rows of one core table inserted (:func:`insert_created`), by ONE statement
instead of one per row where it can (:func:`bulk_rows`).

``executemany`` binds and steps each row from Python: ~1 us of the interpreter per row beside
SQLite's own work, and the interpreter's lock taken back after every row. Here the rows travel
as three values: the uuids' 16-byte keys joined in one blob, the documents' UTF-8 texts joined
in another, and a JSON array of each row's small numbers (its row number, where its text
starts and how long it is, its links' numbers). One ``INSERT ... SELECT`` over ``json_each``
cuts each row out (``substr`` of a blob counts bytes, and is cut in place) and writes it, in
the order of the array, so the rows keep their numbers' order. The whole insert is one call
into SQLite, which runs without the interpreter's lock.

Only where every uuid has its 16-byte key (sqlite_ids: canonical uuids, the rule) and the texts
fit one value (:data:`BULK_BYTES`); any other write goes row by row (sqlite_links.document_rows
then :func:`insert_created`, as before). The statement's outcome is the row-by-row one's: a
uuid stored already stops it with the same IntegrityError of the unique index of ids.
"""

from __future__ import annotations

import functools
import sqlite3
from itertools import accumulate
from typing import Any

import orjson

from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite_ids import numbers_of, packed_keys
from mxlims_store.store.backends.sqlite_links import (
    LINKS,
    Numbers,
    column,
    insert_sql,
    link_columns,
)

Payload = tuple[str, tuple[bytes, bytes, bytes]]
# the documents' texts of one statement at most: SQLite refuses a value of over 1e9 bytes (its
# default SQLITE_MAX_LENGTH); a larger write (thousands of long texts) goes row by row
BULK_BYTES = 64 << 20


@functools.cache
def bulk_insert_sql(name: str) -> str:
    """The INSERT of core table ``name`` reading its rows from the three values of
    :func:`bulk_rows` (?1 the array, ?2 the keys, ?3 the texts)."""
    links = list(LINKS[name])
    cells = [
        "j.value ->> 0",
        "substr(?2, j.key * 16 + 1, 16)",
        "CAST(substr(?3, j.value ->> 1, j.value ->> 2) AS TEXT)",
        *(f"j.value ->> {3 + i}" for i in range(len(links))),
    ]
    columns = "".join(f", {column(f)}" for f in links)
    return (
        f'INSERT INTO "{name}" (n, id, doc{columns}) '
        f"SELECT {', '.join(cells)} FROM json_each(?1) AS j"
    )


def bulk_rows(name: str, creates: list[Write], numbers: Numbers) -> Payload | None:
    """The statement and values inserting ``creates`` into core table ``name`` in one go
    (their row numbers and their links' from ``numbers``, as sqlite_links.document_rows), or
    None when a uuid among them has no 16-byte key or their texts pass :data:`BULK_BYTES`."""
    uuids = [w.uuid for w in creates]
    ids = packed_keys(uuids)
    if ids is None:
        return None
    documents = [w.document or {} for w in creates]
    dumps = orjson.dumps
    texts = [dumps(document) for document in documents]  # (NaN never gets here: refused)
    lengths = list(map(len, texts))
    if sum(lengths) > BULK_BYTES:
        return None
    starts = accumulate(lengths[:-1], initial=1)  # substr counts from 1
    columns = link_columns(name, documents, numbers)
    row_numbers = [numbers[(name, uuid)] for uuid in uuids]
    listed = orjson.dumps(list(zip(row_numbers, starts, lengths, *columns, strict=True)))
    return bulk_insert_sql(name), (listed, ids, b"".join(texts))


def insert_created(
    connection: sqlite3.Connection,
    name: str,
    rows: list[tuple[Any, ...]] | tuple[str, tuple[Any, ...]],
    creates: list[Write],
    numbers: Numbers,
) -> list[str]:
    """Insert the ``rows`` (of :func:`insert_sql`, or a statement and its values: sqlite_bulk)
    of ``creates`` into core table ``name``; the uuids it held already (a lost race: the unit
    is undone whole), found by the unique index of the ids as it inserts (asked first, that
    was a second probe of each new uuid: at 200,000 objects, a page read from disk)."""
    try:
        if isinstance(rows, tuple):
            connection.execute(*rows)
        else:
            connection.executemany(insert_sql(name), rows)
    except sqlite3.IntegrityError:
        taken = stored_before(connection, name, creates, numbers)
        if taken:
            return taken
        raise
    return []


def stored_before(
    connection: sqlite3.Connection, name: str, creates: list[Write], numbers: Numbers
) -> list[str]:
    """The uuids of ``creates`` that core table ``name`` held before this write: stored under
    another number than :func:`numbers_for` gave them (those inserted just now hold theirs)."""
    stored = numbers_of(connection, name, [w.uuid for w in creates])
    return [uuid for (_, uuid), number in stored.items() if numbers.get((name, uuid)) != number]
