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

The document stays the truth: the numbers are written in the same statement as the document,
all known before the first row is written (:func:`numbers_for`: new objects are numbered in
the order they are written, the stored targets of their links read in one statement). A moved
object (its link changed) gets its numbers recomputed by the same UPDATE that writes it. A row
written without its numbers by anything else than the store is not under the unique position
index: ``check`` names it. An object pointed at is never deleted without its children
(store/deletion.py), so a number never dangles;
:func:`link_problems` (``check``) verifies every number against the uuid in the document. A
query by link value reads the parent's number through its uuid (sqlite_query), which finds the
same rows as long as every link's target is stored (what ``check`` verifies as well).

The side tables of list fields (sqlite_tables.reindex) name their rows by the document's number
too, and a job's lists of links (``inputDataIds`` ...) hold the datasets' numbers in ``k1``.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable
from typing import Any

import orjson

from mxlims_store.model.links import LINK_RULES, LIST_FIELDS
from mxlims_store.store.backends.base import Document, Write
from mxlims_store.store.backends.sqlite_ids import (
    KEY_FUNCTION,
    TEXT_UUID_CHECK,
    keys,
    numbers_of,
    register,
    uuid_sql,
)
from mxlims_store.store.backends.sqlite_open import extract
from mxlims_store.store.backends.sqlite_write_summary import WriteSummary
from mxlims_store.store.collection_names import CORE_COLLECTIONS
from mxlims_store.store.collections import collection_of

# the order tables are written in: every link points at a table before it or at its own
WRITE_ORDER = ("samples", "logistical_samples", "jobs", "datasets")
assert set(WRITE_ORDER) == set(CORE_COLLECTIONS)


def _targets(lists: bool) -> dict[str, dict[str, str]]:
    """table -> {link field (scalar, or ``lists``): the one table its targets live in}."""
    found: dict[str, dict[str, set[str]]] = {name: {} for name in CORE_COLLECTIONS}
    for rule in LINK_RULES:
        if (rule.field in LIST_FIELDS) != lists:
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


LINKS: dict[str, dict[str, str]] = _targets(lists=False)
# the lists of links (a job's inputDataIds ...): side-table rows whose k1 is the target's number
LIST_LINKS: dict[str, dict[str, str]] = _targets(lists=True)


def column(field: str) -> str:
    """The quoted column holding the number of ``field``'s target: ``"n_containerId"``."""
    return f'"n_{field}"'


def table_sql(name: str, table: str | None = None, texts: bool = False) -> str:
    """The CREATE TABLE of core table ``name`` (written as ``table``, a migration's new one;
    ``texts``: uuids kept as texts until schema 11's step, sqlite_upgrade.keyed_ids)."""
    columns = "".join(f", {column(f)} INTEGER" for f in LINKS[name])
    check = "" if texts else f", {TEXT_UUID_CHECK}"  # (sqlite_ids)
    return (
        f'CREATE TABLE IF NOT EXISTS "{table or name}" (n INTEGER PRIMARY KEY, '
        f"id BLOB NOT NULL UNIQUE, doc TEXT NOT NULL{columns}{check})"
    )


def index_sql(name: str) -> list[str]:
    return [
        f'CREATE INDEX IF NOT EXISTS "{name}__{field}" ON "{name}" ({column(field)})'
        for field in LINKS[name]
    ]


@functools.cache
def insert_sql(name: str) -> str:
    """INSERT of a row of ``name``: (number, uuid, document, then the number of each link's
    target) in a core table, (uuid, document) in another."""
    if name not in LINKS:
        return f'INSERT INTO "{name}" (id, doc) VALUES (?, ?)'
    columns = "".join(f", {column(f)}" for f in LINKS[name])
    return f'INSERT INTO "{name}" (n, id, doc{columns}) VALUES (?, ?, ?{", ?" * len(LINKS[name])})'


@functools.cache
def update_sql(name: str, condition: str) -> str:
    """UPDATE of the document and (core tables) every link's number, then the parameters of
    ``condition``."""
    sets = "".join(f", {column(f)} = ?" for f in LINKS.get(name, {}))
    return f'UPDATE "{name}" SET doc = ?{sets} WHERE {condition}'


Numbers = dict[tuple[str, str], int]  # (table, uuid) -> the row's number


def numbers_for(
    connection: sqlite3.Connection,
    groups: dict[str, list[Write]],
    summary: WriteSummary | None = None,
) -> Numbers:
    """The number of every object ``groups`` (table -> its writes) create, and of every object
    their links point at. New objects are numbered on from the highest number of their table
    in the order they are written (what SQLite would give them), so that their links are
    known before any row is written, whatever order parents and children come in; the
    objects already stored that links point at are read in one statement per table.
    ``summary``: given what the steps after the rows need of the write (sqlite_write_summary)."""
    found: Numbers = {}
    created: dict[str, set[str]] = {}  # table -> the uuids numbered here
    for name, group in groups.items():
        creates = [w.uuid for w in group if w.expected_revision is None and w.document]
        if name in LINKS and creates:
            top = connection.execute(f'SELECT coalesce(max(n), 0) FROM "{name}"').fetchone()[0]
            found.update({(name, uuid): top + at for at, uuid in enumerate(creates, start=1)})
            created[name] = set(creates)
        if summary is not None:
            summary.created(group, created.get(name))
    wanted: dict[str, set[str]] = {}
    for name, group in groups.items():
        if name not in LINKS:
            continue
        new = len(created.get(name, ())) == len(group)  # only creations (an import's tables)
        if not new:  # the rows replaced or deleted: their side-table rows found by numbers
            wanted.setdefault(name, set()).update(
                w.uuid for w in group if w.expected_revision is not None
            )
        documents = [w.document for w in group if w.document]
        # field by field over all documents (a set each, less the uuids numbered here: set
        # operations, not a lookup per value): an import's 6,600 documents times a dozen link
        # fields made this loop, written write by write, 10-40 ms
        for field, target in LINKS[name].items():
            values = {v for d in documents if isinstance(v := d.get(field), str)}
            _add_unknown(wanted, created, target, values, summary)
        for field, target in LIST_LINKS[name].items():
            lists = [v for d in documents if isinstance(v := d.get(field), list)]
            values = {v for listed in lists for v in listed if isinstance(v, str)}
            _add_unknown(wanted, created, target, values, summary)
        if summary is not None:  # (after the links: the documents are in the caches again)
            summary.core(name, group, documents, new)
    for target, uuids in wanted.items():
        if uuids:
            found.update(numbers_of(connection, target, uuids))
    return found


def _add_unknown(
    wanted: dict[str, set[str]],
    created: dict[str, set[str]],
    target: str,
    values: set[str],
    summary: WriteSummary | None,
) -> None:
    """The uuids among ``values`` whose number in ``target`` is not known yet (not numbered
    as created here), to be read (and touched: links to objects the write does not create)."""
    unknown = values - created.get(target, set())
    if unknown:
        wanted.setdefault(target, set()).update(unknown)
        if summary is not None:
            summary.linked(unknown)


@functools.cache
def _links_of(name: str) -> tuple[tuple[str, str], ...]:
    return tuple(LINKS.get(name, {}).items())


def link_columns(name: str, documents: list[Document], numbers: Numbers) -> list[list[Any]]:
    """Per link of table ``name``, each document's number of its target (None: no link, or not
    stored): a comprehension per column, the links looked up once per table."""
    get = numbers.get
    return [
        [get((target, v)) if isinstance(v := d.get(field), str) else None for d in documents]
        for field, target in _links_of(name)
    ]


def document_rows(
    name: str, writes: Iterable[Write], numbers: Numbers, created: bool
) -> list[tuple[Any, ...]]:
    """The rows of ``writes`` in table ``name``: for :func:`insert_sql` (``created``: a core
    table's row number, then the uuid, then the cells) or :func:`update_sql` with the
    condition ``id = ? AND <revision> = ?`` (the cells, then the uuid and the revision
    replaced). The cells are the document's JSON text (orjson: every document is encoded on
    write and decoded on read, which made up most of an import's and an export's time with
    the standard library; it would write NaN as null, but such values are refused at the
    door), then the number of each link's target (None: no link, or not stored; nothing
    outside core tables). Made in one pass per table, the links looked up once per table (a
    call per row and per cell was ~10 ms of a 6,591-object import). Made column by column,
    each a comprehension (the documents' texts, each link's numbers), then zipped into rows:
    a row's cells gathered in a list and unpacked into its tuple were ~2.5 ms more of an
    import, ~5 of a results return."""
    links = _links_of(name)
    listed = list(writes)
    documents = [w.document or {} for w in listed]
    dumps = orjson.dumps
    texts = [dumps(document).decode() for document in documents]
    columns = link_columns(name, documents, numbers)
    uuids = [w.uuid for w in listed]
    ids = keys(uuids) if name in LINKS else uuids  # schema 11: a core table's id (sqlite_ids)
    if not created:
        revisions = [w.expected_revision for w in listed]
        return list(zip(texts, *columns, ids, revisions, strict=True))
    if links:  # a core table: numbers_for gave every new object its number
        row_numbers = [numbers[(name, uuid)] for uuid in uuids]
        return list(zip(row_numbers, ids, texts, *columns, strict=True))
    return list(zip(uuids, texts, strict=True))


def fill_all(connection: sqlite3.Connection, names: Iterable[str] = CORE_COLLECTIONS) -> None:
    """Every missing number of ``names`` looked up (a store written whole, without the write
    path: conversions, tests writing as another tool would)."""
    register(connection)  # (a connection of the caller's own may not have it yet)
    for name in names:
        for field, target in LINKS[name].items():
            value = extract(f'"{name}".doc', (field,))
            connection.execute(
                f'UPDATE "{name}" SET {column(field)} = (SELECT t.n FROM "{target}" AS t '
                f"WHERE t.id = {KEY_FUNCTION}({value})) "
                f"WHERE {column(field)} IS NULL AND {value} IS NOT NULL"
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
        connection.execute(table_sql(name, new, texts=True))  # (keyed at schema 11)
        fields = LINKS[name]
        columns = "".join(f", {column(f)}" for f in fields)
        numbers = "".join(  # (a damaged document is copied as it is, for `check` to name)
            f', (SELECT t.rowid FROM "{target}" AS t WHERE json_valid(o.doc) '
            f"AND t.id = {extract('o.doc', (f,))})"
            for f, target in fields.items()
        )
        connection.execute(
            f'INSERT INTO "{new}" (n, id, doc{columns}) '
            f'SELECT o.rowid, o.id, o.doc{numbers} FROM "{name}" AS o ORDER BY o.rowid'
        )
    for name in old:
        connection.execute(f'DROP TABLE "{name}"')
        connection.execute(f'ALTER TABLE "{name}__v9" RENAME TO "{name}"')
    for name in old:
        _migrate_keys(connection, name)


def _migrate_keys(connection: sqlite3.Connection, name: str) -> None:
    """The side table of ``name`` rebuilt: each row named by its document's number instead of
    its uuid, a list of links holding its targets' numbers (a row of a document no longer
    stored, which nothing could find, is left behind)."""
    keys = f"{name}_keys"
    columns = {row[1] for row in connection.execute(f'PRAGMA table_info("{keys}")')}
    if "doc_id" not in columns:  # absent, or numbered already
        return
    key = "k.k1"
    for index, target in LIST_LINKS[name].items():
        # (+k1: the column's NUMERIC affinity would be applied to the uuid, without its index)
        number = f'(SELECT t.n FROM "{target}" AS t WHERE t.id = +k.k1)'
        key = f"CASE WHEN k.idx = '{index}' THEN {number} ELSE {key} END"
    connection.execute(f'DROP TABLE IF EXISTS "{keys}__v9"')
    connection.execute(
        f'CREATE TABLE "{keys}__v9" (doc INTEGER NOT NULL, idx TEXT NOT NULL, k1 ANY, k2 ANY)'
    )
    connection.execute(
        f'INSERT INTO "{keys}__v9" (doc, idx, k1, k2) SELECT o.n, k.idx, {key}, k.k2 '
        f'FROM "{keys}" AS k JOIN "{name}" AS o ON o.id = k.doc_id ORDER BY o.n'
    )
    connection.execute(f'DROP TABLE "{keys}"')
    connection.execute(f'ALTER TABLE "{keys}__v9" RENAME TO "{keys}"')


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
            named = uuid_sql(f"t{number}.id")  # (schema 11: the uuid of a key, sqlite_ids)
            picks += [value, named]
            joins.append(f'LEFT JOIN "{target}" AS t{number} ON t{number}.n = {kept}')
            wrong.append(
                f"({named} IS NOT {value} AND NOT ({kept} IS NULL AND NOT EXISTS "
                f'(SELECT 1 FROM "{target}" AS s WHERE s.id = {KEY_FUNCTION}({value}))))'
            )
        rows = connection.execute(  # (a damaged document is named by damaged_documents)
            f'SELECT {uuid_sql("o.id")}, {", ".join(picks)} FROM "{name}" AS o '
            f"{' '.join(joins)} WHERE json_valid(o.doc) AND ({' OR '.join(wrong)})"
        ).fetchall()  # (ORDER BY id: 4x slower)
        rows.sort()
        for uuid, *pairs in rows:
            for number, (field, _) in enumerate(fields):
                linked, named = pairs[2 * number], pairs[2 * number + 1]
                if linked != named:
                    problems.append(
                        f"{name} {uuid}: its {field} is {linked} but the number kept for it "
                        f"names {named or 'nothing'} (the link index disagrees with the document)"
                    )
    return problems + _list_problems(connection)


def _list_problems(connection: sqlite3.Connection) -> list[str]:
    """One line per list of links whose side-table rows disagree with the document: a row
    whose number names no uuid of the list, or a stored uuid of the list without its row."""
    problems = []
    for name, fields in LIST_LINKS.items():
        keys = f"{name}_keys"
        for field, target in fields.items():
            listed = f"json_each(CASE WHEN json_valid(o.doc) THEN o.doc END, '$.{field}')"
            named, owner = uuid_sql("t.id"), uuid_sql("o.id")  # (schema 11: sqlite_ids)
            extra = connection.execute(
                f'SELECT {owner}, {named} FROM "{keys}" AS k JOIN "{name}" AS o ON o.n = k.doc '
                f'LEFT JOIN "{target}" AS t ON t.n = k.k1 WHERE k.idx = ? AND (t.id IS NULL '
                f"OR NOT EXISTS (SELECT 1 FROM {listed} AS e WHERE e.value = {named}))",
                (field,),
            ).fetchall()
            missing = connection.execute(
                f'SELECT {owner}, e.value FROM "{name}" AS o, {listed} AS e '
                f'JOIN "{target}" AS t ON t.id = {KEY_FUNCTION}(e.value) WHERE NOT EXISTS '
                f'(SELECT 1 FROM "{keys}" AS k WHERE k.idx = ? AND k.k1 = t.n AND k.doc = o.n)',
                (field,),
            ).fetchall()
            problems += [
                f"{name} {uuid}: a number kept for its {field} names {named or 'nothing'}, "
                "which the list does not hold (the link index disagrees with the document)"
                for uuid, named in sorted(extra, key=str)
            ]
            problems += [
                f"{name} {uuid}: its {field} holds {linked} but no number is kept for it "
                "(the link index disagrees with the document)"
                for uuid, linked in sorted(missing)
            ]
    return problems
