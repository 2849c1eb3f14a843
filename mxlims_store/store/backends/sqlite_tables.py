"""The tables of the embedded engine: their schema, and the rows a write touches beside the
documents (the side table of multikey indexes), in the caller's transaction."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite_history import (
    OBJECT_KEY,
    history_schema,
    object_key,
    row_keys_sql,
)
from mxlims_store.store.backends.sqlite_ids import CORE_TABLES, keys_params, uuid_of
from mxlims_store.store.backends.sqlite_links import (
    LINKS,
    LIST_LINKS,
    Numbers,
    column,
    index_sql,
    table_sql,
)
from mxlims_store.store.backends.sqlite_query import Table, extract, index_rows
from mxlims_store.store.collections import HISTORY, Index

REVISION = extract("doc", ("_meta", "revision"))


def table_for(name: str, indexes: list[Index]) -> Table:
    """History is read through a view whose ids are ``<uuid>@<revision>@<key>``, under a unique
    index: a range of it is the index by uuid (the (uuid, revision) index MongoDB keeps is not
    built here; see sqlite_history)."""
    if name == HISTORY:
        return Table(
            name,
            [],
            id_prefix=("uuid",),
            prefix_key=(OBJECT_KEY, object_key),
            more_keys=row_keys_sql,  # schema 10: entries kept by their object's row
        )
    links: dict[tuple[str, ...], tuple[str, str]] = {
        (field,): (column(field), target) for field, target in LINKS.get(name, {}).items()
    }
    return Table(name, indexes, links=links, list_links=LIST_LINKS.get(name, {}))


def schema(table: Table) -> list[str]:
    name = table.name
    if name == HISTORY:  # appended, and compact (sqlite_history)
        return history_schema(name)
    links = LINKS.get(name, {})  # a core table's links are numbers in columns (sqlite_links)
    if links:
        statements = [table_sql(name), *index_sql(name)]
    else:
        statements = [
            f'CREATE TABLE IF NOT EXISTS "{name}" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)'
        ]
    for index in table.indexes:
        if index.array is None and not (len(index.fields) == 1 and index.fields[0] in links):
            columns = ", ".join(
                column(f) if f in links else extract("doc", f.split(".")) for f in index.fields
            )
            kind, where = "INDEX", ""
            if index.unique:
                kind = "UNIQUE INDEX"
                where = f" WHERE {extract('doc', index.fields[-1].split('.'))} IS NOT NULL"
            statements.append(
                f'CREATE {kind} IF NOT EXISTS "{name}__{index.name}" ON "{name}" ({columns}){where}'
            )
    if table.arrays:
        keys = table.keys_table
        # a core table's rows are named by their number, and a list of links holds the
        # numbers of its targets (sqlite_links): one write's rows land together
        doc, kind = ("doc", "INTEGER") if links else ("doc_id", "TEXT")
        statements += [
            f'CREATE TABLE IF NOT EXISTS "{keys}" '
            f"({doc} {kind} NOT NULL, idx TEXT NOT NULL, k1 ANY, k2 ANY)",
            f'CREATE INDEX IF NOT EXISTS "{keys}__lookup" ON "{keys}" (idx, k1, k2)',
            f'CREATE INDEX IF NOT EXISTS "{keys}__doc" ON "{keys}" ({doc})',
        ]
    return statements


def ids_present(connection: sqlite3.Connection, table: str, ids: list[str]) -> list[str]:
    if not ids:
        return []
    sql = f'SELECT id FROM "{table}" WHERE id IN (SELECT value FROM json_each(?))'
    return [row[0] for row in connection.execute(sql, (json.dumps(ids),))]


def moved_on(connection: sqlite3.Connection, table: str, writes: list[Write]) -> list[str]:
    """The writes whose object is gone or at another revision than expected."""
    sql, params = _ids_in(table, [w.uuid for w in writes])
    sql = f'SELECT id, {REVISION} FROM "{table}" WHERE {sql}'
    current = {uuid_of(k): r for k, r in connection.execute(sql, params).fetchall()}
    return [w.uuid for w in writes if current.get(w.uuid) != w.expected_revision] or [
        w.uuid for w in writes
    ]


def reindex(
    connection: sqlite3.Connection,
    table: Table,
    created: list[Write],
    changed: list[Write],
    numbers: Numbers,
) -> None:
    """The side-table rows of ``created`` and ``changed`` (replaced or deleted) objects, by
    their numbers (``numbers``: sqlite_links.numbers_for, which read those of ``changed``
    before they were deleted); a list of links holds its targets' numbers."""
    name, keys = table.name, table.keys_table
    if changed:
        connection.execute(
            f'DELETE FROM "{keys}" WHERE doc IN (SELECT value FROM json_each(?))',
            (json.dumps([numbers[(name, w.uuid)] for w in changed if (name, w.uuid) in numbers]),),
        )
    targets = LIST_LINKS.get(name, {})
    rows = [
        (numbers[(name, write.uuid)], index.name, _key(numbers, targets, index.name, k1), k2)
        for write in created + changed
        if write.document is not None
        for field, index in table.arrays.items()
        if write.document.get(field)  # most documents hold none of the listed fields
        for _, k1, k2 in index_rows(index, write.document)
    ]
    if rows:
        connection.executemany(f'INSERT INTO "{keys}" (doc, idx, k1, k2) VALUES (?, ?, ?, ?)', rows)


def _key(numbers: Numbers, targets: dict[str, str], index: str, value: Any) -> Any:
    """A side-table key: the target's number for a list of links (None: not stored)."""
    target = targets.get(index)
    return value if target is None else numbers.get((target, value))


def free_slots(connection: sqlite3.Connection, table: str, writes: list[Write]) -> None:
    """Take the position off the objects this write moves or deletes, in its transaction, so
    that the unique index judges only where they end (two pins swapping places never collide
    half-way). A write that then loses its race rolls this back with everything else."""
    if writes:
        sql, params = _ids_in(table, [w.uuid for w in writes])
        connection.execute(
            f"UPDATE \"{table}\" SET doc = json_remove(doc, '$._meta.slot') "
            f"WHERE {sql} AND json_extract(doc, '$._meta.slot') IS NOT NULL",
            params,
        )


def _ids_in(table: str, uuids: list[str]) -> tuple[str, list[Any]]:
    """``id IN (...)`` of ``uuids`` in ``table`` (a core table's ids are keys: sqlite_ids)."""
    if table in CORE_TABLES:
        sql, params = keys_params(uuids)
        return f"id IN ({sql})", params
    return "id IN (SELECT value FROM json_each(?))", [json.dumps(uuids)]


def add_slots(connection: sqlite3.Connection) -> int:
    """Schema 4: every placed object gets its ``_meta.slot``. Where a store written before
    holds two objects at one position, the first (by uuid) keeps it and the others are left
    without one, so that the unique index can be built; ``check`` reports them."""
    from mxlims_store.store.integrity import SLOTS, slot_of

    if not connection.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'logistical_samples'"
    ).fetchone():
        return 0
    types = json.dumps(sorted(SLOTS))
    rows = connection.execute(
        "SELECT id, doc FROM logistical_samples WHERE json_extract(doc, '$.mxlimsType') IN "
        "(SELECT value FROM json_each(?)) ORDER BY id",
        (types,),
    ).fetchall()
    taken: set[tuple[str, str]] = set()
    updates = []
    for uuid, text in rows:  # (``uuid``: the id as stored, a key in a core table: sqlite_ids)
        document = json.loads(text)
        slot = slot_of({**document, "uuid": uuid_of(uuid)})
        if slot is None or (document["containerId"], slot) in taken:
            continue
        taken.add((document["containerId"], slot))
        updates.append((slot, uuid))
    connection.executemany(
        "UPDATE logistical_samples SET doc = json_set(doc, '$._meta.slot', ?) WHERE id = ?",
        updates,
    )
    return len(updates)
