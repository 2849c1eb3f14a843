"""The one way to ask the store for objects: the query grammar, checked against the model.

The CLI (``find --where``), the API (``GET /api/v1/objects?where=``) and the pages all hand the
text a person wrote to :func:`parse_query`, which returns one typed :class:`FindQuery` or
raises :class:`InvalidQuery` naming every bad parameter at once.

Grammar (``GRAMMAR``, in store/policies.py, is the text shown in the README, the CLI help
and the OpenAPI):

    where      := field op value | field ":" word "=" value
    field      := name ("." name)*        a field of the MXLIMS model (store form: containerId)
    op         := "=" | "!=" | "<" | "<=" | ">" | ">="
    word       := "in" | "nin" | "exists"

A value is read as the field's type: text for a text field (``name=123`` is the text "123"), a
number for a number field, ``true``/``false`` for a flag, a JSON list for ``:in``/``:nin``.
Conditions repeat for AND. ``identifier`` is ``domain=value``; ``extension`` is ``domain`` or
``domain:field=value``.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from mxlims_store.errors import InvalidQuery, Problem
from mxlims_store.messages.errors import readable
from mxlims_store.messages.limits import INT64
from mxlims_store.model.basic_types import is_uuid
from mxlims_store.model.registry import ALL_TYPES
from mxlims_store.store.policies import GRAMMAR
from mxlims_store.store.queries import MAX_LIMIT, FindQuery

_SIGNS = {"!=": "$ne", "<=": "$lte", ">=": "$gte", "=": "$eq", "<": "$lt", ">": "$gt"}
_WORDS = {"in": "$in", "nin": "$nin", "exists": "$exists"}
_SYMBOL = {**{op: sign for sign, op in _SIGNS.items()}, **{op: f":{w}" for w, op in _WORDS.items()}}
_ORDERED = {"$lt", "$lte", "$gt", "$gte"}
# What an item of an :in / :nin list may be, by the kind of field (a JSON string for text).
_ITEM_TYPES: dict[str, type | tuple[type, ...]] = {
    "text": str,
    "choice": str,
    "number": (int, float),
    "flag": bool,
    "list": str,
    "object": (),
}
_NOT_SEARCHABLE = frozenset({"extensions", "identifiers", "urls", "mxlimsBaseType"})


@dataclass(frozen=True)
class QueryText:
    """A find question as people write it: CLI options and query parameters alike."""

    type: str | None = None
    where: list[str] = field(default_factory=list)
    identifier: str | None = None
    extension: str | None = None
    limit: int = 100
    after: str | None = None
    total: bool = False


@dataclass(frozen=True)
class _Field:
    """What a field takes: its annotation, and how it may be compared."""

    adapter: TypeAdapter[Any]
    kind: str  # "number", "text", "choice", "flag", "list", "object"
    item: TypeAdapter[Any] | None = None  # for lists: what one element takes
    item_kind: str = "text"  # ... and of which kind it is


def parse_query(text: QueryText) -> FindQuery:
    """The typed query of ``text``; :class:`InvalidQuery` with every problem, each naming its
    parameter (``where/0``, ``type``, ``identifier`` ...)."""
    problems: list[Problem] = []
    if text.type is not None and text.type not in ALL_TYPES:
        problems.append(Problem("type", _unknown("MXLIMS type", text.type, sorted(ALL_TYPES))))
    if not 1 <= text.limit <= MAX_LIMIT:
        problems.append(Problem("limit", f"must be between 1 and {MAX_LIMIT}"))
    if text.after is not None and not is_uuid(text.after):
        problems.append(Problem("after", "is not a uuid: give the `next` of the page before"))
    types = [text.type] if text.type in ALL_TYPES else sorted(ALL_TYPES)
    where: dict[str, dict[str, Any]] = {}
    for i, condition in enumerate(text.where):
        parsed = _condition(types, condition, f"where/{i}")
        if isinstance(parsed, Problem):
            problems.append(parsed)
        else:
            name, op, value = parsed
            if op in where.get(name, {}):  # AND of two such conditions: one would be lost
                problems.append(
                    Problem(f"where/{i}", f"{name} has two {_SYMBOL[op]} conditions: give one")
                )
            where.setdefault(name, {})[op] = value
    identifier = None
    if text.identifier is not None:
        domain, sign, value = text.identifier.partition("=")
        if not sign or not domain or not value:
            problems.append(Problem("identifier", "write domain=value, e.g. esrf.fr=SHP-1"))
        else:
            identifier = (domain, value)
    extension = None
    if text.extension is not None:
        domain, colon, rest = text.extension.partition(":")
        name, sign, raw = rest.partition("=")
        if not domain or (colon and (not sign or not name)):
            problems.append(Problem("extension", "write domain or domain:field=value"))
        else:
            extension = (domain, name or None, _json_or_text(raw) if name else None)
    if problems:
        raise InvalidQuery(problems)
    return FindQuery(
        type=text.type,
        where=dict(where),
        identifier=identifier,
        extension=extension,
        limit=text.limit,
        after=text.after,
        with_total=text.total,
    )


def _condition(types: list[str], text: str, path: str) -> tuple[str, str, Any] | Problem:
    name, op, raw = _split(text)
    if name is None or op is None:
        return Problem(path, f"cannot read {text!r}; write e.g. positionInPuck<=8 ({GRAMMAR})")
    fields = [f for f in (field_of(t, name) for t in types) if f is not None]
    if not fields:
        where = types[0] if len(types) == 1 else "any MXLIMS type"
        return Problem(path, f"{name!r} is not a searchable field of {where}")
    why = ""
    for found in fields:  # without a type, one name may take other values in other types
        value, why = _typed(found, name, op, raw)
        if not why:
            return name, op, value
    return Problem(path, why)


_CONDITION = re.compile(
    r"\s*(?P<name>[A-Za-z_][\w.]*)\s*(?::(?P<word>\w+))?\s*(?P<sign>!=|<=|>=|=|<|>)\s*(?P<raw>.*?)\s*"
)


def _split(text: str) -> tuple[str | None, str | None, str]:
    """(field, operator, raw value) of one condition, or Nones when it does not parse. The
    first operator after the field name counts: the value may hold any text (``a<=b``)."""
    match = _CONDITION.fullmatch(text)
    if match is None:
        return None, None, text
    name, word, sign, raw = match["name"], match["word"], match["sign"], match["raw"]
    if not all(part.isidentifier() for part in name.split(".")):
        return None, None, raw
    if word is not None:
        return (name, _WORDS[word], raw) if sign == "=" and word in _WORDS else (None, None, raw)
    return name, _SIGNS[sign], raw


def _typed(found: _Field, name: str, op: str, raw: str) -> tuple[Any, str]:
    """The raw text as what the field takes, or why it cannot be asked ("" when it can)."""
    if op != "$exists" and found.kind == "object":
        return None, f"{name} holds several values: ask about one ({name}.<part>) or :exists"
    if op == "$exists":
        flag = {"true": True, "false": False}.get(raw.strip().lower())
        return flag, "" if flag is not None else ":exists takes true or false"
    if op in _ORDERED and found.kind not in ("number", "text"):
        return None, f"{name} is not ordered: use =, !=, :in or :nin"
    if op in ("$in", "$nin"):
        try:
            items = json.loads(raw)
        except (ValueError, RecursionError):
            items = None
        if not isinstance(items, list):
            return None, f':{op[1:]} takes a JSON list, e.g. [1, 2] or ["a", "b"]'
        values = []
        for item in items:
            if not isinstance(
                item, _ITEM_TYPES[found.kind if found.item is None else found.item_kind]
            ):
                return None, f"{name}: {json.dumps(item)[:40]} cannot be one of its values"
            value, why = _scalar(found, name, item if isinstance(item, str) else json.dumps(item))
            if why:
                return None, why
            values.append(value)
        return values, ""
    if op in _ORDERED and found.kind == "text":
        return raw, ""  # any text bounds a text field: startTime>2026-01 is a fair question
    if op in _ORDERED:  # any number bounds a number field: positionInPuck>0 is fair too
        return _bound(name, raw)
    return _scalar(found, name, raw)


def _bound(name: str, raw: str) -> tuple[Any, str]:
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None, f"{name} takes a number; {raw!r} is not one"
    return value, _beyond_int64(name, value, raw)


def _beyond_int64(name: str, value: float, raw: str) -> str:
    """Why a whole number cannot be asked about ("" when it can): no stored one is that large
    (the store would refuse it later, naming an inner path instead of the condition)."""
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        return f"{name}: {raw[:40]!r} is beyond the 64-bit range of whole numbers"
    return ""


def _scalar(found: _Field, name: str, raw: str) -> tuple[Any, str]:
    """One value as the field (or, for a list field, one of its items) takes it."""
    adapter = found.item or found.adapter
    try:
        value = adapter.validate_strings(raw)
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"].startswith(("int_", "float_")):
            return None, f"{name} takes a number; {raw!r} is not one"
        if first["type"].startswith("bool_"):
            return None, f"{name} takes true or false; {raw!r} is neither"
        return None, f"{name}: {readable(first)}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            return None, f"{name}: {raw!r} is not a finite number"
        return value, _beyond_int64(name, value, raw)
    if isinstance(value, bool):
        return value, ""
    return raw, ""  # text, a choice, a uuid, a time: compared as written, once it is valid


@cache
def field_of(mxlims_type: str, path: str) -> _Field | None:
    """What ``path`` (``positionInPuck``, ``expectedUnitCell.a``) takes in ``mxlims_type``."""
    model: Any = ALL_TYPES[mxlims_type]
    parts = path.split(".")
    if parts[0] in _NOT_SEARCHABLE:
        return None
    annotation: Any = None
    for part in parts:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        annotation = _without_none(info.annotation)
        model = annotation
    return _describe(annotation)


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _describe(annotation: Any) -> _Field:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _Field(adapter, "object")
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        element = _describe(_without_none(item))
        return _Field(adapter, "list", element.adapter, element.kind)
    schema = adapter.json_schema()
    if "enum" in schema or "const" in schema:
        return _Field(adapter, "choice")
    kind = {"integer": "number", "number": "number", "boolean": "flag"}.get(
        str(schema.get("type")), "text"
    )
    return _Field(adapter, kind)


def _json_or_text(raw: str) -> Any:
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, str | int | float | bool) else raw


def _unknown(what: str, given: str, known: list[str]) -> str:
    close = difflib.get_close_matches(given, known, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"unknown {what} {given!r}{hint}"
