"""A walk's finds by link on the embedded engine, by row numbers: what a level finds is read
once, and what the walk already holds is not read again.

A core table keeps every link as the number of the row it points at (sqlite_links), indexed. A
level of a walk down asks for the rows whose links point at its frontier (``Request.links``:
field -> uuids). Compiled from the filter, each such find turned the frontier's uuids back into
numbers (a lookup of the uuid index per uuid and per field), and read and decoded every row it
matched, though the walk then dropped those it already held: a results file read ~16,200
documents to keep 12,991 (a processing job is reached from its sweep and again from its
reflection sets). Here a plan remembers the number of every document it read
(:class:`RowNumbers`), so that a level:

1. reads the numbers of the rows its links match (the link indexes alone, no document), in the
   order the compiled find returns its rows: term after term of its ``$or`` as SQLite's
   MULTI-INDEX OR reads them (a row once, where it first matched), each by (link, number) for a
   link column, by number for a list of links (the side table, as ``n IN (SELECT ...)`` reads it);
2. then reads, scoped to the caller, only the documents of the numbers the walk does not hold
   yet (``Request.known``), and returns them in that order.

So the answer is the compiled find's, less the documents the walk would drop anyway: the same
documents in the same order (tests/store/test_read_plans.py compares the walks byte for byte
with the level-by-level walk over the compiled finds). A find whose fields are not all kept as
numbers is left to the compiled find (None).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Container, Iterable
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import orjson

from mxlims_store.errors import StoreBroken
from mxlims_store.store.backends.sqlite_ids import IN_KEYS, in_keys_params
from mxlims_store.store.backends.sqlite_ids import uuid_of as uuid_of_key
from mxlims_store.store.reads import Document, Request

if TYPE_CHECKING:
    from mxlims_store.store.backends.sqlite_query import Table

DAMAGED = "a stored document is damaged; run `mxlims-store check`, or restore a backup"


_FEW = 32  # rows decoded one by one (more: at C speed)


class RowNumbers:
    """The row number of every document one plan read, per collection: uuid -> number and
    number -> uuid. A plan reads one snapshot, so a number never changes under it."""

    def __init__(self) -> None:
        self.of: dict[str, dict[str, int]] = {}
        self.uuid_of: dict[str, dict[int, str]] = {}

    def decoded(self, collection: str, rows: Iterable[tuple[int, Any, str]]) -> list[Document]:
        """The documents of ``(number, id, text)`` rows (a core table's id: sqlite_ids),
        their numbers noted."""
        of = self.of.setdefault(collection, {})
        uuid_of = self.uuid_of.setdefault(collection, {})
        try:
            if type(rows) is list and len(rows) > _FEW:  # a walk's level: each step at C speed
                numbers, ids, texts = zip(*rows, strict=True)
                documents = list(map(orjson.loads, texts))
                uuids = list(map(_uuid, documents, ids))
                of.update(zip(uuids, numbers, strict=True))
                uuid_of.update(zip(numbers, uuids, strict=True))
                return documents
            documents = []  # a few (a provenance up's lookups): the loop costs less
            for number, stored, text in rows:
                document = orjson.loads(text)
                documents.append(document)
                uuid = _uuid(document, stored)
                of[uuid] = number
                uuid_of[number] = uuid
            return documents
        except orjson.JSONDecodeError:  # damaged bytes: the store's failure, not the request's
            raise StoreBroken(DAMAGED) from None

    def numbers(self, connection: sqlite3.Connection, table: str, uuids: list[str]) -> list[int]:
        """The numbers of ``uuids`` in ``table`` (those it holds): as noted, the others read
        from its uuid index."""
        of = self.of.get(table, {})
        noted = list(map(of.get, uuids))  # at C speed: most are noted (a walk's frontier)
        if None not in noted:
            return noted  # type: ignore[return-value]  # (no None in it)
        found = [n for n in noted if n is not None]
        missing = [u for u, n in zip(uuids, noted, strict=True) if n is None]
        if missing:
            rows = connection.execute(_NUMBERS_OF.format(table=table), in_keys_params(missing))
            found += [number for (number,) in rows]
        return found


def by_uuid(rows: Iterable[tuple[Any, str]]) -> dict[str, Document]:
    """The documents of ``(id, text)`` rows (a core table's id: sqlite_ids) by uuid (a uuid
    found twice: the later row's)."""
    found = {}
    try:
        for stored, text in rows:
            document = orjson.loads(text)
            uuid = document.get("_id") if type(document) is dict else None  # (_uuid, inlined)
            found[uuid if type(uuid) is str else _uuid(document, stored)] = document
    except orjson.JSONDecodeError:  # damaged bytes: the store's failure, not the request's
        raise StoreBroken(DAMAGED) from None
    return found


def _uuid(document: Any, stored: Any) -> Any:
    """The uuid of a row: its document's ``_id``, as the write path stores it beside the key
    (reading it costs a tenth of turning the 16 bytes back into text, a walk's ~12 rows each
    time); the key's own text where a row written by another tool has none."""
    uuid = document.get("_id") if type(document) is dict else None
    return uuid if type(uuid) is str else uuid_of_key(stored)


_NUMBERS_OF = 'SELECT n FROM "{table}" WHERE id IN (' + IN_KEYS + ")"  # (keys: sqlite_ids)


def _listed(values: list[Any]) -> str:
    return orjson.dumps(values).decode()


def find_by_links(
    connection: sqlite3.Connection,
    table: Table,
    request: Request,
    numbers: RowNumbers,
    document_sql: str,
    scope: list[Any],
) -> list[Document] | None:
    """The documents of ``request`` (a find by ``request.links``) the walk does not hold yet,
    in the order of the compiled find; None when a field is not kept as numbers.
    ``document_sql``: ``SELECT n, id, <document> FROM <table> WHERE n IN (<numbers>)`` and the
    caller's scope, whose parameters ``scope`` holds after the numbers."""
    terms = [_term(table, field) for field in request.links or {}]
    if not terms or None in terms:
        return None
    order: dict[int, None] = {}  # the numbers matched, in the compiled find's order (a set)
    for term, uuids in zip(terms, (request.links or {}).values(), strict=True):
        assert term is not None
        sql, target, index = term
        targets = numbers.numbers(connection, target, uuids)
        if not targets:
            continue
        params: tuple[Any, ...] = (
            (_listed(targets),) if index is None else (index, _listed(targets))
        )
        # (rows of one number, flattened at C speed; a number met again keeps its first place)
        order.update(dict.fromkeys(chain.from_iterable(connection.execute(sql, params))))
    known: Container[str] = request.known if request.known is not None else ()
    uuid_of = numbers.uuid_of.get(request.collection, {})
    wanted = [n for n in order if uuid_of.get(n) not in known]  # never read: None is no uuid
    if not wanted:
        return []
    rows = connection.execute(document_sql, [_listed(wanted), *scope]).fetchall()
    by_number = dict(zip(map(itemgetter(0), rows), rows, strict=True))  # in ``wanted``'s order:
    ordered = list(filter(None, map(by_number.get, wanted)))  # (less those out of scope)
    return numbers.decoded(request.collection, ordered)


def _term(table: Table, field: str) -> tuple[str, str, str | None] | None:
    """(the SQL of the numbers a link matches, the table its targets live in, the side table's
    index name for a list of links), or None when ``field`` is not kept as numbers."""
    link = table.links.get((field,))
    if link is not None:
        return _column_sql(table.name, link[0]), link[1], None
    index = table.arrays.get(field)
    listed = (table.list_links or {}).get(index.name) if index is not None else None
    if index is None or listed is None or len(index.fields) != 1:
        return None
    return _keys_sql(table.keys_table), listed, index.name


@functools.cache
def _column_sql(table: str, column: str) -> str:
    # the link's index alone (its entries hold the row number), read in its order: the order
    # the compiled ``column IN (SELECT n ...)`` reads it in
    return (
        f'SELECT n FROM "{table}" WHERE {column} IN (SELECT value FROM json_each(?)) '
        f"ORDER BY {column}, n"
    )


@functools.cache
def _keys_sql(keys: str) -> str:
    # the compiled ``n IN (SELECT doc FROM keys ...)`` reads the rows by number, each once
    return (
        f'SELECT DISTINCT doc FROM "{keys}" WHERE idx = ? AND k1 IN '
        "(SELECT value FROM json_each(?)) ORDER BY doc"
    )
