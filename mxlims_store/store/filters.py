"""The one query form every backend runs: a strict, documented subset of MongoDB filter syntax.

The store writes its questions as MongoDB filters (the standard's field names work as paths);
:func:`parse` checks each one against the subset below and turns it into a small tree that each
backend compiles into its own language (:meth:`Node.to_mongo` for MongoDB, the SQL compiler of
the embedded engine). Anything outside the subset raises :class:`UnsupportedQuery`, on every
backend alike, so no backend ever silently ignores an operator.

The subset::

    filter     := {clause, ...}                      all clauses must hold
    clause     := "$and": [filter, ...] | "$or": [filter, ...] | path: condition
    path       := name("." name)*                    names: no "$" start, no quotes, no digits only
    condition  := scalar                             same as {"$eq": scalar}
                | {op: operand, ...}                 all operators must hold
    op         := $eq $ne (scalar) | $lt $lte $gt $gte (number or text)
                | $in $nin (list of scalars) | $exists (true/false)
                | $elemMatch (a filter on the elements of an array of objects)
    scalar     := text | number | true | false | null (null only on a one-name path)

Semantics are MongoDB's: a path runs through arrays (``a.b`` looks at ``b`` of every element of
``a``), a condition holds if any value reached satisfies it, ``$ne``/``$nin`` hold if none does
(so a missing field satisfies them), comparisons never cross types (``3`` is not ``"3"``, ``1``
is not ``true``), and ``null`` matches a missing field, a null, or an array holding null. Numeric
path parts (array positions) are outside the subset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeAlias

Scalar: TypeAlias = str | int | float | bool | None
Path: TypeAlias = tuple[str, ...]

EQUALITY = ("$eq", "$ne")
RANGE = ("$lt", "$lte", "$gt", "$gte")
MEMBERSHIP = ("$in", "$nin")
OPERATORS = frozenset({*EQUALITY, *RANGE, *MEMBERSHIP, "$exists", "$elemMatch"})
MAX_PATH_NAMES = 8  # deeper than any MXLIMS field (unitCell.a, extensions' fields ...)
_NAME = re.compile(r"[^$.\"'\\\[\]\x00][^.\"'\\\[\]\x00]*")


class UnsupportedQuery(ValueError):
    """A filter outside the subset: a bug in the caller, refused before any backend runs it."""


@dataclass(frozen=True)
class Compare:
    """``path`` compared by ``op`` (any of :data:`OPERATORS` but ``$elemMatch``) to ``operand``."""

    path: Path
    op: str
    operand: Any  # a scalar, a tuple of scalars ($in/$nin) or a bool ($exists)

    def to_mongo(self) -> dict[str, Any]:
        operand = list(self.operand) if isinstance(self.operand, tuple) else self.operand
        return {".".join(self.path): {self.op: operand}}


@dataclass(frozen=True)
class ElemMatch:
    """Some element of the array at ``path`` satisfies ``where`` (paths relative to the element)."""

    path: Path
    where: Node

    def to_mongo(self) -> dict[str, Any]:
        return {".".join(self.path): {"$elemMatch": self.where.to_mongo()}}


@dataclass(frozen=True)
class All:
    parts: tuple[Node, ...]

    def to_mongo(self) -> dict[str, Any]:
        if not self.parts:
            return {}
        if len(self.parts) == 1:
            return self.parts[0].to_mongo()
        return {"$and": [part.to_mongo() for part in self.parts]}


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Node, ...]

    def to_mongo(self) -> dict[str, Any]:
        return {"$or": [part.to_mongo() for part in self.parts]}


Node: TypeAlias = Compare | ElemMatch | All | AnyOf


def parse(filter: Any) -> Node:
    """The tree of ``filter``; :class:`UnsupportedQuery` names the first part outside the subset."""
    if not isinstance(filter, dict):
        raise UnsupportedQuery(f"a filter is an object, not {type(filter).__name__}")
    parts: list[Node] = []
    for key, value in filter.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise UnsupportedQuery(f"{key} takes a non-empty list of filters")
            children = tuple(parse(item) for item in value)
            parts.append(All(children) if key == "$and" else AnyOf(children))
        else:
            parts.extend(_conditions(parse_path(key), value))
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def parse_path(text: Any) -> Path:
    if not isinstance(text, str):
        raise UnsupportedQuery(f"a field path is text, not {type(text).__name__}")
    names = tuple(text.split("."))
    if len(names) > MAX_PATH_NAMES:
        raise UnsupportedQuery(f"a field path has at most {MAX_PATH_NAMES} names")
    for name in names:
        if not _NAME.fullmatch(name) or name.isdigit():
            raise UnsupportedQuery(f"{text!r} is not a field path of the query subset")
    return names


def _conditions(path: Path, condition: Any) -> list[Node]:
    if not isinstance(condition, dict):
        return [_compare(path, "$eq", condition)]
    if not condition or not all(isinstance(op, str) and op.startswith("$") for op in condition):
        raise UnsupportedQuery(f"{'.'.join(path)}: whole-object equality is outside the subset")
    nodes: list[Node] = []
    for op, operand in condition.items():
        if op not in OPERATORS:
            raise UnsupportedQuery(f"{'.'.join(path)}: operator {op} is outside the subset")
        if op == "$elemMatch":
            nodes.append(ElemMatch(path, parse(operand)))
        else:
            nodes.append(_compare(path, op, operand))
    return nodes


def _compare(path: Path, op: str, operand: Any) -> Compare:
    where = ".".join(path)
    if op == "$exists":
        if not isinstance(operand, bool):
            raise UnsupportedQuery(f"{where}: $exists takes true or false")
        return Compare(path, op, operand)
    if op in MEMBERSHIP:
        if not isinstance(operand, list | tuple):
            raise UnsupportedQuery(f"{where}: {op} takes a list")
        if not all(type(value) is str for value in operand):  # uuid lists: the common case
            for value in operand:
                _check_scalar(path, op, value)
        return Compare(path, op, tuple(operand))
    if op in RANGE and (isinstance(operand, bool) or not isinstance(operand, int | float | str)):
        raise UnsupportedQuery(f"{where}: {op} takes a number or text")
    _check_scalar(path, op, operand)
    return Compare(path, op, operand)


def _check_scalar(path: Path, op: str, value: Any) -> None:
    if not isinstance(value, str | int | float | bool | type(None)):
        raise UnsupportedQuery(f"{'.'.join(path)}: {op} compares with scalars only")
    if value is None and len(path) > 1:
        raise UnsupportedQuery(f"{'.'.join(path)}: null is compared on one-name paths only")
