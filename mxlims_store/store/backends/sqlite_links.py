"""Links kept as the parent's row number (schema 9), so that one import's index entries land
together instead of on random pages.

Every core table numbers its rows: ``n INTEGER PRIMARY KEY`` (declared, so that VACUUM keeps
it), the uuid a unique column beside it. Every scalar link field (``containerId``, ``sampleId``,
...) is a column ``"n_<field>"`` holding the number of the object it points at, indexed; the
unique position index is on (``n_containerId``, ``_meta.slot``). A new shipment's objects get
the highest numbers, so the entries of their children land at the end of each index: at
200,000 objects the link indexes keyed by the parent's random uuid put an import's entries on
random pages of a dozen indexes of ~600 pages each, and the documents' inserts cost twice what
they cost in a small store.

The document stays the truth: the number is written in the same statement as the document
(a lookup of the parent's uuid), parents first; a link to an object written later in the same
write is filled once that object is in (:func:`fill_forward`). A moved object (its link
changed) gets its number recomputed by the same UPDATE that writes it. An object pointed at is
never deleted without its children (store/deletion.py), so a number never dangles;
:func:`link_problems` (``check``) verifies every number against the uuid in the document. A
query by link value reads the parent's number through its uuid (sqlite_query), which finds the
same rows as long as every link's target is stored (what ``check`` verifies as well).

The multikey link lists of jobs (``inputDataIds`` ...) stay in the side table by uuid.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from mxlims_store.model.links import LINK_RULES, LIST_FIELDS
from mxlims_store.store.backends.sqlite_open import extract
from mxlims_store.store.collection_names import CORE_COLLECTIONS
from mxlims_store.store.collections import collection_of

# the order tables are written in: every link points at a table before it or at its own
WRITE_ORDER = ("samples", "logistical_samples", "jobs", "datasets")
assert set(WRITE_ORDER) == set(CORE_COLLECTIONS)


def _targets() -> dict[str, dict[str, str]]:
    """table -> {scalar link field: the one table its targets live in}."""
    found: dict[str, dict[str, set[str]]] = {name: {} for name in CORE_COLLECTIONS}
    for rule in LINK_RULES:
        if rule.field in LIST_FIELDS:
            continue
        tables = {collection_of(target) for target in rule.targets}
        found[collection_of(rule.source)].setdefault(rule.field, set()).update(tables)
    links: dict[str, dict[str, str]] = {}
    for table, fields in found.items():
        links[table] = {}
        for field, tables in fields.items():
            # one table per field: a number is a row of that table (else: one sequence for all)
            assert len(tables) == 1, (table, field, tables)
            links[table][field] = tables.pop()
    return links


LINKS: dict[str, dict[str, str]] = _targets()


def column(field: str) -> str:
    """The quoted column holding the number of ``field``'s target: ``"n_containerId"``."""
    return f'"n_{field}"'


def table_sql(name: str, table: str | None = None) -> str:
    """The CREATE TABLE of core table ``name`` (written as ``table``, a migration's new one)."""
    columns = "".join(f", {column(f)} INTEGER" for f in LINKS[name])
    return (
        f'CREATE TABLE IF NOT EXISTS "{table or name}" (n INTEGER PRIMARY KEY, '
        f"id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL{columns})"
    )


def index_sql(name: str) -> list[str]:
    return [trigger_sql(name)] + [
        f'CREATE INDEX IF NOT EXISTS "{name}__{field}" ON "{name}" ({column(field)})'
        for field in LINKS[name]
    ]


def trigger_sql(name: str) -> str:
    """A row inserted without its numbers (by a tool writing ``(id, doc)`` as before schema 9)
    gets them from its document, so that the unique position index judges it too. The write
    path fills them itself: for its rows the condition is false (a text search, no parsing)."""
    missing = " OR ".join(
        f"(NEW.{column(f)} IS NULL AND instr(NEW.doc, '\"{f}\"'))" for f in LINKS[name]
    )
    sets = ", ".join(
        f"{column(f)} = coalesce({column(f)}, (SELECT t.n FROM \"{t}\" AS t "
        f"WHERE json_valid(NEW.doc) AND t.id = {extract('NEW.doc', (f,))}))"
        for f, t in LINKS[name].items()
    )
    return (
        f'CREATE TRIGGER IF NOT EXISTS "{name}__numbers" AFTER INSERT ON "{name}" '
        f'WHEN {missing} BEGIN UPDATE "{name}" SET {sets} WHERE n = NEW.n; END'
    )


def number_of(target: str) -> str:
    """The number of the row of ``target`` whose uuid is bound (NULL where none is)."""
    return f'(SELECT n FROM "{target}" WHERE id = ?)'


def insert_sql(name: str) -> str:
    """INSERT of (uuid, document, then each link field's uuid): numbers looked up in place."""
    fields = LINKS[name]
    columns = "".join(f", {column(f)}" for f in fields)
    values = "".join(f", {number_of(t)}" for t in fields.values())
    return f'INSERT INTO "{name}" (id, doc{columns}) VALUES (?, ?{values})'


def update_sql(name: str, condition: str) -> str:
    """UPDATE of the document and every link number (document, link uuids, then the
    parameters of ``condition``)."""
    sets = "".join(f", {column(f)} = {number_of(t)}" for f, t in LINKS[name].items())
    return f'UPDATE "{name}" SET doc = ?{sets} WHERE {condition}'


def link_values(name: str, document: dict[str, Any]) -> list[Any]:
    """The uuid of each link field of ``name`` in ``document`` (None where it is not text)."""
    return [_text(document.get(field)) for field in LINKS[name]]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def fill_forward(
    connection: sqlite3.Connection, ordered: list[tuple[str, str, dict[str, Any]]], created: set[str]
) -> None:
    """Fill the numbers of links to objects created after the linking one in the same write
    (``ordered``: (table, uuid, document) in the order they were written; ``created``: the
    uuids that write created). A child written before its new parent found no number yet."""
    position = {uuid: at for at, (_, uuid, _) in enumerate(ordered) if uuid in created}
    for at, (name, uuid, document) in enumerate(ordered):
        for field, target in LINKS[name].items():
            value = document.get(field)
            if isinstance(value, str) and position.get(value, -1) > at:
                connection.execute(
                    f'UPDATE "{name}" SET {column(field)} = {number_of(target)} WHERE id = ?',
                    (value, uuid),
                )


def fill_all(connection: sqlite3.Connection, names: Iterable[str] = CORE_COLLECTIONS) -> None:
    """Every missing number of ``names`` looked up (a store written whole, without the write
    path: conversions)."""
    for name in names:
        for field, target in LINKS[name].items():
            value = extract(f'"{name}".doc', (field,))
            connection.execute(
                f'UPDATE "{name}" SET {column(field)} = (SELECT t.n FROM "{target}" AS t '
                f"WHERE t.id = {value}) WHERE {column(field)} IS NULL AND {value} IS NOT NULL"
            )


def numbered(connection: sqlite3.Connection, name: str) -> bool:
    """Whether table ``name`` is already in this layout (or absent: built afresh)."""
    rows = connection.execute(f'PRAGMA table_info("{name}")').fetchall()
    return not rows or any(row[1] == "n" for row in rows)


def migrate(connection: sqlite3.Connection) -> None:
    """Schema 9, in the caller's transaction: each core table rebuilt with its numbers. A row's
    number is its old rowid (the order it was written in), so a link's number is its target's
    rowid, read in the same statement that copies the row; then the old tables (with their
    indexes keyed by uuid) are dropped and the new ones take their names."""
    old = [name for name in WRITE_ORDER if not numbered(connection, name)]
    for name in old:
        new = f"{name}__v9"
        connection.execute(f'DROP TABLE IF EXISTS "{new}"')
        connection.execute(table_sql(name, new))
        fields = LINKS[name]
        columns = "".join(f", {column(f)}" for f in fields)
        numbers = "".join(  # (a damaged document is copied as it is, for `check` to name)
            f', (SELECT t.rowid FROM "{target}" AS t WHERE json_valid(o.doc) '
            f'AND t.id = {extract("o.doc", (f,))})'
            for f, target in fields.items()
        )
        connection.execute(
            f'INSERT INTO "{new}" (n, id, doc{columns}) '
            f'SELECT o.rowid, o.id, o.doc{numbers} FROM "{name}" AS o ORDER BY o.rowid'
        )
    for name in old:
        connection.execute(f'DROP TABLE "{name}"')
        connection.execute(f'ALTER TABLE "{name}__v9" RENAME TO "{name}"')


def link_problems(connection: sqlite3.Connection) -> list[str]:
    """One line per link whose kept number does not name the uuid its document holds (a link
    to an object not stored at all is the rules' to report, with its number empty). One pass
    over each table, every link field of a row compared at once."""
    problems = []
    for name in WRITE_ORDER:
        fields = list(LINKS[name].items())
        if not fields:
            continue
        picks, joins, wrong = [], [], []
        for number, (field, target) in enumerate(fields):
            value, kept = extract("o.doc", (field,)), f"o.{column(field)}"
            picks += [value, f"t{number}.id"]
            joins.append(f'LEFT JOIN "{target}" AS t{number} ON t{number}.n = {kept}')
            wrong.append(
                f"(t{number}.id IS NOT {value} AND NOT ({kept} IS NULL AND NOT EXISTS "
                f'(SELECT 1 FROM "{target}" AS s WHERE s.id = {value})))'
            )
        rows = connection.execute(  # (a damaged document is named by damaged_documents)
            f'SELECT o.id, {", ".join(picks)} FROM "{name}" AS o {" ".join(joins)} '
            f"WHERE json_valid(o.doc) AND ({' OR '.join(wrong)}) ORDER BY o.id"
        ).fetchall()
        for uuid, *pairs in rows:
            for number, (field, _) in enumerate(fields):
                linked, named = pairs[2 * number], pairs[2 * number + 1]
                if linked != named:
                    problems.append(
                        f"{name} {uuid}: its {field} is {linked} but the number kept for it "
                        f"names {named or 'nothing'} (the link index disagrees with the document)"
                    )
    return problems
