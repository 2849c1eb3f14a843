"""The SQL of a plan's finds on the embedded engine (:mod:`.sqlite_walk`): one cached statement
text per kind of find, so that SQLite's statement cache prepares each once, and a member's
scope written so that it never chooses the index.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import orjson

from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends.sqlite_ids import id_params, ids_shape, ids_where
from mxlims_store.store.backends.sqlite_query import Compiler
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.documents import META
from mxlims_store.store.filters import parse
from mxlims_store.store.reads import Request

if TYPE_CHECKING:
    from mxlims_store.store.backends.sqlite import SqliteBackend


def find_sql(
    db: SqliteBackend, caller: Caller, request: Request, ids: list[str] | None
) -> tuple[str, list[Any]]:
    """The SQL of :meth:`SqliteBackend.find` for ``request`` (``ids``: its :func:`by_id`)
    scoped to ``caller``; a bare request selects the document without ``_meta`` (about half
    of its text, and of the time to decode it).

    Scoped to a member's proposals, the scope is written so that it never chooses the index:
    ``+json_extract(...)``. Compiled as ``readable`` writes it, SQLite preferred the proposal's
    index to the uuids or foreign keys asked for, and read every object of the proposal for
    each level of a walk (0.2-0.6 s per level at 200,000 objects): the whole proposal instead
    of its answer, and rows in another order than the admin's. Now a member's walk reads what
    the admin's reads, in the same order, and keeps what the member may see."""
    if ids is not None and request.collection in CORE_COLLECTIONS:
        # most of a plan's finds (a provenance up makes ~15): one cached text, no compiling;
        # rows (number, uuid, document): sqlite_walk_numbers notes the numbers
        scope = scope_of(caller)
        shape = ids_shape(len(ids))
        sql = by_id_sql(request.collection, request.bare, shape, scope_size(caller), request.limit)
        return sql, [*id_params(ids), *scope]
    tail = f" LIMIT {int(request.limit)}" if request.limit else ""
    bare = request.bare
    scoped = caller.proposals is not None
    if request.collection not in CORE_COLLECTIONS or (ids is None and not scoped and not bare):
        # as SqliteBackend.find (history keeps its key out of the JSON: find_sql selects it)
        return db.find_sql(request.collection, readable(caller, request.filter), (), request.limit)
    compiler = Compiler(db.tables[request.collection])
    where = compiler.where(parse(request.filter))
    sql = f'SELECT {what(bare)} FROM "{request.collection}" WHERE ({where})'
    if scoped:
        sql += f" AND {scope_sql(len(caller.proposals or ()))}"
    return sql + tail, [*compiler.params, *scope_of(caller)]


def by_id(request: Request) -> list[str] | None:
    """The uuids of a find by uuid (``{"_id": uuid}`` or ``{"_id": {"$in": [...]}}``; other
    values never match an ``id``, a text or its key: sqlite_ids); None for any other find."""
    if request.ids is not None:  # said by the plan that built the filter (reads.Request)
        return request.ids
    if len(request.filter) != 1 or "_id" not in request.filter:
        return None
    value = request.filter["_id"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and list(value) == ["$in"] and isinstance(value["$in"], list):
        return [v for v in value["$in"] if isinstance(v, str)]
    return None


def what(bare: bool) -> str:
    return f"json_remove(doc, '$.\"{META}\"')" if bare else "doc"


_LISTED = 16  # proposals of a member's scope bound one by one (more: as one JSON list)


def scope_of(caller: Caller) -> tuple[str, ...]:
    """The parameters of ``caller``'s scope (none when not scoped)."""
    proposals = caller.proposals
    if proposals is not None and type(proposals) is not frozenset:  # a set, say: hashable
        proposals = frozenset(proposals)
    return _scope_params(proposals)


def scope_size(caller: Caller) -> int | None:
    """How many proposals ``caller``'s scope holds (None: not scoped)."""
    return None if caller.proposals is None else len(caller.proposals)


@functools.lru_cache(maxsize=256)
def _scope_params(proposals: frozenset[str] | None) -> tuple[str, ...]:
    """The parameters of a scope over ``proposals`` (:func:`scope_sql`), made once per scope."""
    if proposals is None:
        return ()
    listed = sorted(proposals)
    return (orjson.dumps(listed).decode(),) if len(listed) > _LISTED else tuple(listed)


@functools.cache
def scope_sql(proposals: int) -> str:
    """A member's scope over ``proposals`` proposals: ``IN (?, ...)``, cheaper than reading a
    JSON list with ``json_each`` (12 vs 8 us a lookup by uuid); one text per count."""
    listed = "SELECT value FROM json_each(?)" if proposals > _LISTED else ", ".join("?" * proposals)
    return f'+json_extract(doc, \'$."{META}"."proposal"\') IN ({listed})'


@functools.lru_cache(maxsize=1024)
def by_id_sql(
    collection: str, bare: bool, shape: int, scoped: int | None = None, limit: int | None = None
) -> str:
    """A find by the uuids in its parameters, bound as ``shape`` says (sqlite_ids.ids_shape):
    what the compiler makes of ``{"_id": uuid}`` or ``{"_id": {"$in": uuids}}`` (the same
    index, the same rows), without compiling it on every call (one statement text per
    collection and shape, prepared once by SQLite's statement cache); ``scoped``: over that
    many proposals."""
    sql = f'SELECT n, id, {what(bare)} FROM "{collection}" WHERE {ids_where(shape)}'
    if scoped is not None:
        sql += f" AND {scope_sql(scoped)}"
    return sql + (f" LIMIT {int(limit)}" if limit else "")


@functools.lru_cache(maxsize=1024)
def together_sql(parts: tuple[tuple[str, bool, int, int | None], ...], scoped: int | None) -> str:
    """Finds by uuid (collection, bare, shape, limit) as one statement, each part tagged."""
    return " UNION ALL ".join(
        f"SELECT {number}, * FROM ({by_id_sql(collection, bare, shape, scoped, limit)})"
        for number, (collection, bare, shape, limit) in enumerate(parts)
    )


@functools.lru_cache(maxsize=1024)
def documents_sql(parts: tuple[tuple[str, int], ...], bare: bool, scoped: int | None) -> str:
    """Documents by uuid (reads.ByUuid), of several core tables (collection, shape) in one
    statement: rows (id, document), each part's in the order of its find by uuid."""
    where = f" AND {scope_sql(scoped)}" if scoped is not None else ""
    return " UNION ALL ".join(
        f'SELECT id, {what(bare)} FROM "{collection}" WHERE {ids_where(shape)}{where}'
        for collection, shape in parts
    )


@functools.lru_cache(maxsize=64)
def locate_sql(scoped: int | None) -> str:
    """Where one uuid is (reads.Locate): each core table asked in turn, in one statement that
    stops at the first row; rows (table's place in CORE_COLLECTIONS, number, id, document)."""
    where = f" AND {scope_sql(scoped)}" if scoped is not None else ""
    return (
        " UNION ALL ".join(
            f'SELECT {place}, n, id, doc FROM "{collection}" WHERE id = ?{where}'
            for place, collection in enumerate(CORE_COLLECTIONS)
        )
        + " LIMIT 1"
    )


@functools.lru_cache(maxsize=256)
def by_number_sql(collection: str, bare: bool, scoped: int | None) -> str:
    """The documents of the row numbers in its parameter (a JSON list), with their numbers;
    ``scoped``: over that many proposals."""
    sql = f'SELECT n, id, {what(bare)} FROM "{collection}" WHERE n IN '
    sql += "(SELECT value FROM json_each(?))"
    return sql + (f" AND {scope_sql(scoped)}" if scoped is not None else "")
