"""The query subset (:mod:`mxlims_store.store.filters`) compiled into SQLite SQL.

Documents are JSON text in a ``doc`` column. A path is walked with ``json_each`` level by level,
each level unwinding arrays, so that MongoDB's semantics hold: a condition is true when any value
reached satisfies it, types never compare across (JSON ``true`` is not the number 1), and
``$ne``/``$nin`` are the negations. Conditions on declared indexes take forms the SQLite planner
matches to the expression indexes (scalar fields) or to the side table of multikey ones (list
fields, identifiers, extensions); the generic form stays beside a side-table lookup so the
answer is exact either way. Paths are validated names, quoted into the SQL; values are always
bound parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from mxlims_store.store.backends.sqlite_ids import (
    CORE_TABLES,
    id_between,
    key,
    keys_sql,
    sorted_keys,
)
from mxlims_store.store.backends.sqlite_open import extract as extract
from mxlims_store.store.backends.sqlite_open import json_path as json_path
from mxlims_store.store.filters import All, AnyOf, Compare, ElemMatch, Node, Path, Scalar

if TYPE_CHECKING:
    from mxlims_store.store.collections import Index

_NEGATED = {"$ne": "$eq", "$nin": "$in"}
_RANGE_SQL = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}


@dataclass
class Table:
    """What the compiler knows of one table: its name and its declared indexes."""

    name: str
    indexes: list[Index]
    # the field whose value begins every row's id, followed by "@" (history entries: the id is
    # ``<uuid>@<revision>@<key>``): an equality on it is a range of the primary key, whose
    # order then serves as its index (see sqlite_tables.schema)
    id_prefix: Path | None = None
    # where the rows are found by a number computed from that field's value instead (history:
    # ``(column, function)``, see sqlite_history.object_key), the range of ids is not used
    prefix_key: tuple[str, Callable[[str], int]] | None = None
    # and more such numbers, read by SQL from the keys of the values (sqlite_ids.keys_sql,
    # bound where each call of its argument says)
    # (history: the keys of the objects' rows, sqlite_history_keys.row_keys_sql)
    more_keys: Callable[[Callable[[], str]], str] | None = None
    # link fields kept as the number of the row they point at: path -> (column, target table)
    # (sqlite_links); an equality on one is a lookup of the target's number by its uuid
    links: dict[Path, tuple[str, str]] = field(default_factory=dict)
    # lists of links: side-table index name -> target table (the rows hold the targets'
    # numbers, and every row is named by the number of its document, not its uuid)
    list_links: dict[str, str] | None = None
    scalar_paths: frozenset[Path] = field(init=False)
    arrays: dict[str, Index] = field(init=False)
    unique: bool = field(init=False)

    def __post_init__(self) -> None:
        self.scalar_paths = frozenset(
            tuple(f.split(".")) for i in self.indexes if i.array is None for f in i.fields
        )
        self.arrays = {i.array: i for i in self.indexes if i.array is not None}
        self.unique = any(i.unique for i in self.indexes)

    @property
    def keys_table(self) -> str:
        return f"{self.name}_keys"


class Compiler:
    """One WHERE clause: ``sql(node)`` returns text, ``params`` collects its bound values."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.params: list[Any] = []
        self._aliases = 0
        self._by_link = False

    def where(self, node: Node) -> str:
        self._by_link = self._narrowed_by_link(node)
        return self._node(node, "doc", top=True)

    def _narrowed_by_link(self, node: Node) -> bool:
        """Whether every answer is found by an equality on a link (a conjunct of the whole).
        Then the other indexed fields are tested beside it and never choose the index: the
        planner weighs the link's number, read through a subquery, no better than a type or a
        proposal (thousands of rows), where the link's value was weighed like them and won."""
        if isinstance(node, All):
            return any(self._narrowed_by_link(part) for part in node.parts)
        if not isinstance(node, Compare) or node.path not in self.table.links:
            return False
        values = node.operand if node.op == "$in" else (node.operand,)
        # (as _indexed: texts only, and at least one; an empty $in keeps the other indexes)
        return (
            node.op in ("$eq", "$in") and bool(values) and all(isinstance(v, str) for v in values)
        )

    # -- structure ---------------------------------------------------------------------------

    def _node(self, node: Node, doc: str, top: bool) -> str:
        if isinstance(node, All):
            if not node.parts:
                return "1"
            return "(" + " AND ".join(self._node(p, doc, top) for p in node.parts) + ")"
        if isinstance(node, AnyOf):
            return "(" + " OR ".join(self._node(p, doc, top) for p in node.parts) + ")"
        if isinstance(node, ElemMatch):
            return self._elem_match(node, doc, top)
        return self._compare(node, doc, top)

    def _alias(self) -> str:
        self._aliases += 1
        return f"j{self._aliases}"

    def _bind(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    def _reach(self, doc: str, path: Path) -> tuple[list[str], str]:
        """FROM items unwinding every level but the last, and the expression holding the last."""
        froms: list[str] = []
        holder = doc
        for name in path[:-1]:
            alias = self._alias()
            froms.append(f"json_each({_as_list(holder, name)}) AS {alias}")
            holder = f"(CASE WHEN {alias}.type = 'object' THEN {alias}.value END)"
        return froms, holder

    # -- conditions --------------------------------------------------------------------------

    def _compare(self, node: Compare, doc: str, top: bool) -> str:
        if node.op in _NEGATED:
            positive = Compare(node.path, _NEGATED[node.op], node.operand)
            return f"NOT COALESCE({self._compare(positive, doc, top)}, 0)"
        if top and node.path == ("_id",):
            return self._on_id(node)
        if node.op == "$exists":
            exists = self._exists(node.path, doc)
            return exists if node.operand else f"NOT {exists}"
        values = node.operand if node.op == "$in" else (node.operand,)
        if top:
            fast = self._indexed(node, values)
            if fast is not None:
                return fast
            narrowed = self._id_range(node, values)
            if narrowed is not None:  # the key range first, the exact test beside it
                return f"({narrowed} AND {self._compare(node, doc, top=False)})"
        froms, holder = self._reach(doc, node.path)
        alias = self._alias()
        froms.append(f"json_each({_as_list(holder, node.path[-1])}) AS {alias}")
        if node.op in _RANGE_SQL:
            test = self._range(alias, node.op, node.operand)
        else:
            test = self._members(alias, values)
        found = f"EXISTS (SELECT 1 FROM {', '.join(froms)} WHERE {test})"
        if None in values:  # null also matches a missing field (one-name paths only)
            return f"({found} OR json_type({doc}, '{json_path(node.path)}') IS NULL)"
        return found

    def _members(self, alias: str, values: tuple[Scalar, ...]) -> str:
        """Equal to one of ``values``: texts and numbers as one bound list each (any length),
        booleans and null by their JSON type."""
        tests = []
        for kind, wanted in (
            ("'text'", [v for v in values if isinstance(v, str)]),
            ("'integer', 'real'", [v for v in values if _is_number(v)]),
        ):
            if len(wanted) == 1:
                tests.append(
                    f"({alias}.type IN ({kind}) AND {alias}.atom = {self._bind(wanted[0])})"
                )
            elif wanted:
                listed = self._bind(_dumps(wanted))
                tests.append(
                    f"({alias}.type IN ({kind}) AND "
                    f"{alias}.atom IN (SELECT value FROM json_each({listed})))"
                )
        tests += [
            self._equals(alias, v)
            for v in dict.fromkeys(values)
            if v is None or isinstance(v, bool)
        ]
        return " OR ".join(tests) or "0"

    def _equals(self, alias: str, value: Scalar) -> str:
        if value is None:
            return f"{alias}.type = 'null'"
        if isinstance(value, bool):
            return f"{alias}.type = '{'true' if value else 'false'}'"
        kind = "'text'" if isinstance(value, str) else "'integer', 'real'"
        return f"({alias}.type IN ({kind}) AND {alias}.atom = {self._bind(value)})"

    def _range(self, alias: str, op: str, value: Scalar) -> str:
        kind = "'text'" if isinstance(value, str) else "'integer', 'real'"
        return f"({alias}.type IN ({kind}) AND {alias}.atom {_RANGE_SQL[op]} {self._bind(value)})"

    def _exists(self, path: Path, doc: str) -> str:
        froms, holder = self._reach(doc, path)
        test = f"json_type({holder}, '{json_path(path[-1:])}') IS NOT NULL"
        return f"EXISTS (SELECT 1 FROM {', '.join(froms)} WHERE {test})" if froms else test

    def _elem_match(self, node: ElemMatch, doc: str, top: bool) -> str:
        narrowed = self._side_table_for_elements(node) if top else None  # binds first: SQL order
        froms, holder = self._reach(doc, node.path)
        alias = self._alias()
        last = json_path(node.path[-1:])
        froms.append(f"json_each({holder}, '{last}') AS {alias}")
        inner = self._node(node.where, f"{alias}.value", top=False)
        test = f"json_type({holder}, '{last}') = 'array' AND {alias}.type = 'object' AND {inner}"
        generic = f"EXISTS (SELECT 1 FROM {', '.join(froms)} WHERE {test})"
        return f"({narrowed} AND {generic})" if narrowed else generic

    # -- index-friendly forms ------------------------------------------------------------------

    def _on_id(self, node: Compare) -> str:
        """``_id`` is the ``id`` column: a text, or in a core table a key (sqlite_ids: a
        canonical uuid's 16 bytes, which sort as its text does; other texts sort before them,
        in SQLite's order of values, the order ``ORDER BY id`` gives too)."""
        if node.op == "$exists":
            return "1" if node.operand else "0"
        values = node.operand if node.op == "$in" else (node.operand,)
        texts = [v for v in values if isinstance(v, str)]
        keyed = self.table.name in CORE_TABLES
        if node.op in _RANGE_SQL:
            if not texts:
                return "0"
            op = _RANGE_SQL[node.op]
            if keyed:
                return id_between(op, texts[0], self._bind)
            return f"id {op} {self._bind(texts[0])}"
        if not texts:
            return "0"
        if len(texts) == 1:
            return f"id = {self._bind(key(texts[0]) if keyed else texts[0])}"
        if keyed:
            return f"id IN ({keys_sql(texts, self._bind)})"
        return f"id IN (SELECT value FROM json_each({self._bind(_dumps(texts))}))"

    def _indexed(self, node: Compare, values: tuple[Scalar, ...]) -> str | None:
        """A form that uses an index, or None where only the generic form is exact."""
        if not values or not all(isinstance(v, str) for v in values):
            return None
        link = self.table.links.get(node.path)
        if link is not None:  # exact where every link's target is stored (`check` says so)
            return self._link(link, node.op, values)
        if node.path in self.table.scalar_paths:  # never an array: the model says so
            column = ("+" if self._by_link else "") + extract("doc", node.path)
            if node.op in _RANGE_SQL:
                kind = f"json_type(doc, '{json_path(node.path)}') = 'text'"
                return f"({column} {_RANGE_SQL[node.op]} {self._bind(values[0])} AND {kind})"
            if len(values) == 1:
                return f"{column} = {self._bind(values[0])}"
            return f"{column} IN (SELECT value FROM json_each({self._bind(_dumps(values))}))"
        index = self.table.arrays.get(".".join(node.path))
        if index is not None and node.op in ("$eq", "$in"):
            return self._keys_lookup(index, [list(values)])
        return None

    def _link(self, link: tuple[str, str], op: str, values: tuple[Scalar, ...]) -> str | None:
        """The rows whose link column holds the number of a target named by ``values``."""
        if op not in ("$eq", "$in"):
            return None  # a range of uuids: the generic form
        column, target = link
        if len(values) == 1:
            # an equality, as on the uuid before: the planner weighs it as it did then
            return f'{column} = (SELECT n FROM "{target}" WHERE id = {self._key(values[0])})'
        return f'{column} IN (SELECT n FROM "{target}" WHERE id IN ({self._keys(values)}))'

    def _key(self, value: Scalar) -> str:
        """The bound key of ``value`` in a core table's ``id`` (sqlite_ids)."""
        return self._bind(key(value) if isinstance(value, str) else value)

    def _keys(self, values: Sequence[Scalar]) -> str:
        """A SELECT of the keys of ``values`` in a core table's ``id`` (texts only: no other
        value is an id)."""
        return keys_sql([v for v in values if isinstance(v, str)], self._bind)

    def _id_range(self, node: Compare, values: tuple[Scalar, ...]) -> str | None:
        """The rows whose id begins with ``<value>@``, for an equality on the table's
        ``id_prefix`` field: a range of the primary key per value."""
        if node.path != self.table.id_prefix or node.op not in ("$eq", "$in"):
            return None
        if not values or not all(isinstance(v, str) for v in values):
            return None
        if self.table.prefix_key is not None:
            column, key_of = self.table.prefix_key
            keys = sorted({key_of(str(v)) for v in values})  # in index order
            listed = f"SELECT value FROM json_each({self._bind(_dumps(keys))})"
            if self.table.more_keys is not None:
                uuids = sorted_keys(str(v) for v in values)  # (converted once: sqlite_ids)
                listed += " UNION ALL " + self.table.more_keys(lambda: keys_sql(uuids, self._bind))
            elif len(keys) == 1:
                return f"{column} = {self._bind(keys[0])}"
            return f"{column} IN ({listed})"
        if len(values) == 1:
            value = str(values[0])
            return f"(id >= {self._bind(value + '@')} AND id < {self._bind(value + 'A')})"
        alias, other = self._alias(), self._alias()
        listed = self._bind(_dumps(sorted(map(str, values))))  # in key order: probes walk the tree
        return (
            f'id IN (SELECT {other}.id FROM json_each({listed}) AS {alias}, "{self.table.name}" '
            f"AS {other} WHERE {other}.id >= {alias}.value || '@' "
            f"AND {other}.id < {alias}.value || 'A')"
        )

    def _side_table_for_elements(self, node: ElemMatch) -> str | None:
        """Narrow an ``$elemMatch`` on an indexed array by its equality conditions on the
        indexed element fields (a prefix of them), through the side table."""
        index = self.table.arrays.get(".".join(node.path))
        if index is None:
            return None
        equal: dict[str, str] = {}
        parts = node.where.parts if isinstance(node.where, All) else (node.where,)
        for part in parts:
            if isinstance(part, Compare) and part.op == "$eq" and isinstance(part.operand, str):
                equal[".".join(node.path + part.path)] = part.operand
        prefix: list[list[str]] = []
        for name in index.fields:
            if name not in equal:
                break
            prefix.append([equal[name]])
        return self._keys_lookup(index, prefix) if prefix else None

    def _keys_lookup(self, index: Index, columns: Sequence[Sequence[Scalar]]) -> str:
        tests = [f"idx = {self._bind(index.name)}"]
        target = (self.table.list_links or {}).get(index.name)
        for number, values in enumerate(columns, start=1):
            if number == 1 and target is not None:  # the targets' numbers, by their uuids
                tests.append(self._numbers_of(target, values))
            elif len(values) == 1:
                tests.append(f"k{number} = {self._bind(values[0])}")
            else:
                bound = self._bind(_dumps(values))
                tests.append(f"k{number} IN (SELECT value FROM json_each({bound}))")
        keys = self.table.keys_table
        if self.table.list_links is None:  # rows named by uuid
            return f"id IN (SELECT doc_id FROM {keys} WHERE {' AND '.join(tests)})"
        return f"n IN (SELECT doc FROM {keys} WHERE {' AND '.join(tests)})"

    def _numbers_of(self, target: str, values: Sequence[Scalar]) -> str:
        if len(values) == 1:
            return f'k1 = (SELECT n FROM "{target}" WHERE id = {self._key(values[0])})'
        return f'k1 IN (SELECT n FROM "{target}" WHERE id IN ({self._keys(values)}))'


def _dumps(values: Any) -> str:
    """A bound list as JSON text (orjson: an import binds lists of thousands of uuids; the
    standard library for what orjson refuses, such as integers beyond 64 bits)."""
    try:
        return orjson.dumps(values).decode()
    except orjson.JSONEncodeError:
        return json.dumps(values)


def _is_number(value: Scalar) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_list(holder: str, name: str) -> str:
    """The value at ``holder.name`` as a JSON array to unwind: itself if it is an array, a
    one-element array otherwise, an empty one if it is missing."""
    path = json_path([name])
    kind = f"json_type({holder}, '{path}')"
    return (
        f"(CASE WHEN {kind} IS NULL THEN '[]' WHEN {kind} = 'array' "
        f"THEN json_extract({holder}, '{path}') ELSE json_array({holder} -> '{path}') END)"
    )


def index_rows(index: Index, document: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Side-table rows ``(index name, k1, k2)`` of one document for a multikey index: one per
    element of the array whose indexed fields are text (other values are found by the generic
    form, which is always evaluated beside a side-table lookup of text)."""
    assert index.array is not None
    elements = document.get(index.array)
    if not isinstance(elements, list):
        return []
    rows: list[tuple[str, Any, Any]] = []
    subfields = [f[len(index.array) + 1 :] for f in index.fields if f != index.array]
    for element in elements:
        if not subfields:
            if isinstance(element, str):
                rows.append((index.name, element, None))
            continue
        if not isinstance(element, dict):
            continue
        keys = [element.get(name) for name in subfields] + [None]
        if isinstance(keys[0], str):
            rows.append((index.name, keys[0], keys[1] if isinstance(keys[1], str) else None))
    return rows
