"""Find objects by type and by standard fields, site identifiers and extension fields.

Conditions are written against the standard's field names (``expectedResolution``, ``unitCell.a``)
with a small whitelist of operators; anything else is refused with the path of the problem, so a
query can never smuggle in ``$where`` or reach the bookkeeping. Pages are keyset-paginated by
uuid (``after``), which stays cheap however deep the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mxlims_store.answers import MxlimsObject, Page
from mxlims_store.errors import InvalidQuery, Problem
from mxlims_store.messages.limits import storable_problems
from mxlims_store.model.registry import BASE_TYPE, CORE_TYPES, OBJECT_TYPES
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import CORE_COLLECTIONS, collection_of
from mxlims_store.store.documents import extension_filter, identifier_filter
from mxlims_store.store.filters import UnsupportedQuery, parse
from mxlims_store.store.site_views import field_names
from mxlims_store.store.type_counts import stats as stats  # in a light module (console.py)

OPERATORS = frozenset({"$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$exists"})
MAX_LIMIT = 1000
_ALL_FIELDS = frozenset().union(*(field_names(t) for t in BASE_TYPE))


@dataclass
class FindQuery:
    type: str | None = None
    where: dict[str, Any] = field(default_factory=dict)
    identifier: tuple[str, str] | None = None  # (domain, value)
    extension: tuple[str, str | None, Any] | None = None  # (domain, field or None, value)
    limit: int = 100
    after: str | None = None
    with_total: bool = False


def build_filter(query: FindQuery) -> dict[str, Any]:
    """The MongoDB filter for ``query``, unscoped and unpaged; InvalidQuery if bad."""
    problems: list[Problem] = []
    if query.type is not None and query.type not in OBJECT_TYPES and query.type not in CORE_TYPES:
        problems.append(Problem("type", f"unknown MXLIMS type {query.type!r}"))
    if not 1 <= query.limit <= MAX_LIMIT:
        problems.append(Problem("limit", f"must be between 1 and {MAX_LIMIT}"))
    known = field_names(query.type) if query.type in BASE_TYPE else _ALL_FIELDS
    clauses: list[dict[str, Any]] = []
    if query.type is not None and query.type in OBJECT_TYPES:
        clauses.append({"mxlimsType": query.type})  # a core type (Sample) is its whole collection
    for name, condition in query.where.items():
        path = f"where/{name}"
        top = name.split(".", 1)[0]
        if top not in known or top in ("extensions", "identifiers", "urls"):
            problems.append(
                Problem(path, f"not a searchable field of {query.type or 'any MXLIMS type'}")
            )
            continue
        found = _path_problems(path, name) or _condition_problems(path, condition)
        if found:
            problems += found
            continue
        clauses.append({"_id" if name == "uuid" else name: condition})
    if query.identifier is not None:
        clauses.append(identifier_filter(*query.identifier))
    if query.extension is not None:
        field = query.extension[1]
        found = _path_problems("extension", field) if field is not None else []
        problems += found or _condition_problems("extension", query.extension[2])
        clauses.append(extension_filter(*query.extension))
    if problems:
        raise InvalidQuery(problems)
    built = {"$and": clauses} if len(clauses) > 1 else (clauses[0] if clauses else {})
    try:  # the backends' own check, so that a user's question never fails later, inside one
        parse(built)
    except UnsupportedQuery as error:
        raise InvalidQuery([Problem("where", str(error))]) from None
    return built


_SCALARS = (str, int, float, bool, type(None))


def _path_problems(path: str, name: str) -> list[Problem]:
    """A field path is dot-separated names, none empty and none an operator."""
    if all(part and not part.startswith("$") for part in name.split(".")):
        return []
    return [Problem(path, f"{name!r} is not a field path")]


def _condition_problems(path: str, condition: Any) -> list[Problem]:
    """Operators from the whitelist, each with an operand of the kind it takes."""
    if not isinstance(condition, dict):
        values = condition if isinstance(condition, list) else [condition]
        if not all(isinstance(v, _SCALARS) for v in values):
            return [Problem(path, "compare with a number, text, true/false or null")]
        return storable_problems(condition, path, keys="any")
    problems: list[Problem] = []
    for op, operand in condition.items():
        if op not in OPERATORS:
            problems.append(Problem(path, f"operator {op!r} not allowed; use {sorted(OPERATORS)}"))
        elif op in ("$in", "$nin"):
            if not isinstance(operand, list) or not all(isinstance(v, _SCALARS) for v in operand):
                problems.append(Problem(path, f"{op} takes a list of values"))
        elif op == "$exists":
            if not isinstance(operand, bool):
                problems.append(Problem(path, "$exists takes true or false"))
        elif not isinstance(operand, _SCALARS):
            problems.append(Problem(path, f"{op} takes a number, text, true/false or null"))
    return problems + storable_problems(condition, path, keys="any")


async def find(db: Backend, caller: Caller, query: FindQuery) -> Page:
    base = build_filter(query)
    collections = [collection_of(query.type)] if query.type in BASE_TYPE else list(CORE_COLLECTIONS)
    paged = {"$and": [base, {"_id": {"$gt": query.after}}]} if query.after else base
    documents: list[dict[str, Any]] = []
    for collection in collections:
        scoped = readable(caller, paged)
        documents += await db.find(collection, scoped, sort=[("_id", 1)], limit=query.limit + 1)
    documents.sort(key=lambda d: d["_id"])
    page = documents[: query.limit]
    more = len(documents) > query.limit
    total = None
    if query.with_total:
        total = 0
        for collection in collections:
            total += await db.count(collection, readable(caller, base))
    return Page(
        items=[MxlimsObject.of(d) for d in page],
        next=page[-1]["_id"] if more else None,
        total=total,
    )
