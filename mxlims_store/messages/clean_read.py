"""The clean path of reading: a message with nothing wrong, read in one walk and validated by
pydantic-core a whole section at a time.

Most messages are right. This reads such a message into exactly the :class:`ReadResult` the
thorough reader (``reader.py``) gives, at a fraction of its cost: one pass over the objects
that checks the storable limits of each value, settles uuids and resolves links through one
dictionary lookup per reference; then each section's store-form documents go through one
pydantic-core ``validate_python`` call that gives their store form at once (``store_form.py``:
the models' own schemas, so their own normalisation: ints read as floats, ``exclude_unset``,
``exclude_none``, the models' validators).

It never reports a problem. Whatever it does not see to be plainly right (a problem of any kind,
a null, an unknown key, a whole-number float where an integer goes, a local key holding "/")
makes it give up (``None``), and the thorough reader reads the message from the start: the
error output is that reader's alone, and a test runs both over every fixture, every official
example, generated shipments and results and random variants of them to show their results
agree wherever this path answers.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from functools import cache
from math import isfinite
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from pydantic_core import SchemaValidator

from mxlims_store.messages.limits import (
    INT64,
    MAX_NAME,
    MAX_TEXT,
    NAME_FIELDS,
    below,
    clean_value,
    encodable,
    plain_name,
)
from mxlims_store.messages.result import STUB_KEYS, ExternalLink, ReadResult, new_uuid
from mxlims_store.messages.store_form import store_form_validator
from mxlims_store.model.base import MxlimsObject
from mxlims_store.model.basic_types import STANDARD_JSON, is_uuid
from mxlims_store.model.links import FOREIGN_KEY_FIELDS, LINK_RULES, LinkRule, field_for_ref_key
from mxlims_store.model.registry import BASE_TYPE, CORE_TYPES, OBJECT_TYPES

# what a message key of an object is: a plain field, a name (tighter limits), one the reader
# sets itself (its type and uuid, checked while indexing) or a link
_PLAIN, _NAME, _OWN = 0, 1, 2
# a link key: its rule, the store-form field it becomes, whether it holds a list (looked up
# once per type rather than per value)
_Link = tuple[LinkRule, str, bool]
_Kind = int | _Link
_REF_KEYS = frozenset({"$ref", "mxlimsType"})
# Set on each document after its loop (the type its section names, the uuid _index settled and
# checked): not checked and copied in the loop too. (The validator's output takes the model's
# order of fields, not the document's: where they are set does not change it.)
_OWN_FIELDS = frozenset({"mxlimsType", "uuid"})


class _GiveUp(Exception):
    """Something here needs the thorough reader (which says what, if anything, is wrong)."""


# An object of the message as a link sees it: (uuid, its type or None for a stub that announces
# none, whether it is a stub). A tuple: there is one per object, made in the hot loop.
_Target = tuple[str, str | None, bool]


@dataclass(frozen=True)
class _Shape:
    """How the objects of one concrete type are read."""

    fields: dict[str, _Kind]  # every message key it may hold -> what it is
    model: type[MxlimsObject]
    # the model over a whole section, straight to the store form (store_form.py); None where
    # the model holds what that rewrite cannot carry (then the model itself, and its dump)
    validator: SchemaValidator | None

    def store_form(self, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What ``model_validate(doc).model_dump(mode="json", exclude_unset=True,
        exclude_none=True)`` gives for each document (ValidationError where it fails)."""
        if self.validator is not None:
            return self.validator.validate_python(documents)  # type: ignore[no-any-return]
        adapter = _adapter(self.model)
        models = adapter.validate_python(documents, context=STANDARD_JSON)
        return adapter.dump_python(  # type: ignore[no-any-return]
            models, mode="json", exclude_unset=True, exclude_none=True
        )


@cache
def _adapter(model: type[MxlimsObject]) -> TypeAdapter[list[MxlimsObject]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


@cache
def _shape(type_name: str) -> _Shape:
    """Built on first use: the validators are deferred (a CLI command reading no message
    never builds them)."""
    model = OBJECT_TYPES[type_name]
    fields: dict[str, _Kind] = {
        name: _NAME if name in NAME_FIELDS else _OWN if name in _OWN_FIELDS else _PLAIN
        for name in model.model_fields
        if name not in FOREIGN_KEY_FIELDS and field_for_ref_key(name) is None
    }
    for rule in LINK_RULES:  # the thorough reader looks rules up by the type's own name too
        if rule.source == type_name:
            fields[rule.ref_key] = (rule, rule.field, rule.many)
    return _Shape(fields, model, store_form_validator(model))


def read_clean(
    message: dict[str, Any], version: str, uuid_seed: str | None = None
) -> ReadResult | None:
    """The ReadResult of an (upgraded) message with nothing wrong; None when the thorough
    reader must read it."""
    result = ReadResult(version=version)
    # The walk makes a few objects per object read and frees none: the cyclic collector would
    # only sweep the whole heap again and again for nothing (a quarter of the time on a
    # 11,000-object file). It is paused, and resumed if it ran (a caller's choice is kept).
    collecting = gc.isenabled()
    gc.disable()
    try:
        _Reading(result, uuid_seed).read(message)
    except (_GiveUp, ValidationError):
        return None
    except Exception:  # a surprise (a model's validator on odd input ...): the thorough reader
        return None  # judges the message; the tests show every clean message answered here
    finally:
        if collecting:
            gc.enable()
    return result


def store_valid(objects: list[dict[str, Any]]) -> bool:
    """Whether every store-form object is valid by its model (what ``object_problems`` finds
    nothing wrong with), validated a type at a time: one call per type instead of one model
    per object. False also where it cannot tell (the caller then asks each object)."""
    by_type: dict[Any, list[dict[str, Any]]] = {}
    for obj in objects:
        by_type.setdefault(obj.get("mxlimsType"), []).append(obj)
    try:
        for type_name, documents in by_type.items():
            _shape(type_name).store_form(documents)
    except Exception:  # not valid, or a type no shape reads: the thorough way says
        return False
    return True


class _Reading:
    def __init__(self, result: ReadResult, uuid_seed: str | None) -> None:
        self.result = result
        self.uuid_seed = uuid_seed
        self.targets: dict[str, _Target] = {}  # "#/Pin/Pin1" -> the object it points at

    def read(self, message: dict[str, Any]) -> None:
        sections = [
            self._index(type_name, objects)
            for type_name, objects in message.items()
            if type_name != "version"
        ]
        keys = self.result.keys  # one per object (paths are distinct): a uuid used twice?
        if len(set(keys.values())) != len(keys):  # (one set at the end, not one look per object)
            raise _GiveUp
        objects = self.result.objects
        for type_name, entries in sections:
            if type_name in CORE_TYPES:
                continue
            shape = _shape(type_name)
            objects += shape.store_form(self._documents(type_name, shape.fields, entries))

    def _index(self, type_name: Any, objects: Any) -> tuple[str, list[tuple[str, str, Any]]]:
        """(path, uuid, data) of each object of a section, its uuid settled and recorded.

        An object's own uuid is left to its model to check (the same pattern as ``is_uuid``);
        a stub's, which no model sees, is checked here."""
        core = type_name in CORE_TYPES
        if not (core or type_name in OBJECT_TYPES) or type(objects) is not dict or not objects:
            raise _GiveUp
        entries = []
        keys, stubs, targets = self.result.keys, self.result.stubs, self.targets
        declared: str | None = type_name
        for key, data in objects.items():
            if type(key) is not str or not key or not (key.isascii() or encodable(key)):
                raise _GiveUp
            if type(data) is not dict:
                raise _GiveUp
            path = f"{type_name}/{key}"
            if core:
                declared = _stub_type(type_name, data)
                uuid = data["uuid"]
                if not is_uuid(uuid):
                    raise _GiveUp
                stubs[uuid] = type_name
            else:
                if data.get("mxlimsType") != type_name:
                    raise _GiveUp
                uuid = data["uuid"] if "uuid" in data else new_uuid(self.uuid_seed, path)
                if type(uuid) is not str:
                    raise _GiveUp
                entries.append((path, uuid, data))
            keys[path] = uuid
            if "/" not in key:  # the only keys a reference can name
                targets["#/" + path] = (uuid, declared, core)
        return type_name, entries

    def _documents(
        self, type_name: str, fields: dict[str, _Kind], entries: list[tuple[str, str, Any]]
    ) -> list[dict[str, Any]]:
        """The store-form document of each object of a section, every value of it checked
        storable. (The hot loop of reading: one loop over the section, the common cases
        written out rather than called.)"""
        documents = []
        targets = self.targets
        for path, uuid, data in entries:
            document: dict[str, Any] = {}
            for name, value in data.items():
                kind = fields.get(name)
                if kind is _PLAIN:
                    value_type = type(value)
                    if value_type is str:
                        if len(value) > MAX_TEXT or not (value.isascii() or encodable(value)):
                            raise _GiveUp
                    elif value_type is float:
                        if not isfinite(value):
                            raise _GiveUp
                    elif value_type is int:
                        if not INT64[0] <= value <= INT64[1]:
                            raise _GiveUp
                    elif value_type is not bool:
                        value = _own_copy(value, name)
                    document[name] = value
                elif kind is _NAME:
                    if type(value) is not str or len(value) > MAX_NAME or not plain_name(value):
                        raise _GiveUp
                    if not (value.isascii() or encodable(value)):
                        raise _GiveUp
                    document[name] = value
                elif kind is _OWN:
                    continue
                elif kind is not None:
                    rule, field, many = kind  # type: ignore[misc]
                    if not many:
                        # the common case written out: {"$ref": ...} to an object of the
                        # message of a type the link allows (else _link, which says the rest)
                        if type(value) is dict and len(value) == 1:
                            ref = value.get("$ref")
                            target = targets.get(ref) if type(ref) is str else None
                            if target is not None and not target[2] and target[1] in rule.targets:
                                document[field] = target[0]
                                continue
                        document[field] = self._link(rule, value, path, name)
                    elif type(value) is list:
                        document[field] = self._links(rule, value, path, name)
                    else:
                        raise _GiveUp
                else:  # unknown here (a foreign key, an extra field ...): the thorough reader's
                    raise _GiveUp
            document["mxlimsType"] = type_name
            document["uuid"] = uuid
            documents.append(document)
        return documents

    def _links(self, rule: LinkRule, values: list[Any], path: str, name: str) -> list[str]:
        """The uuids a list of ``{"$ref": ...}`` points at (the common case as in _documents)."""
        uuids = []
        targets, allowed = self.targets, rule.targets
        for index, value in enumerate(values):
            if type(value) is dict and len(value) == 1:
                ref = value.get("$ref")
                target = targets.get(ref) if type(ref) is str else None
                if target is not None and not target[2] and target[1] in allowed:
                    uuids.append(target[0])
                    continue
            uuids.append(self._link(rule, value, path, name, index))
        return uuids

    def _link(
        self, rule: LinkRule, value: Any, path: str, name: str, index: int | None = None
    ) -> str:
        """The uuid a ``{"$ref": ...}`` points at, when all is right with it. (The link's own
        path, ``path/name[/index]``, is made only for a link to a stub, which keeps it.)"""
        if type(value) is not dict:
            raise _GiveUp
        ref = value.get("$ref")
        if type(ref) is not str or (len(value) > 1 and value.keys() - _REF_KEYS):
            raise _GiveUp
        target = self.targets.get(ref)  # an existing object's key: text of a storable length
        if target is None:
            raise _GiveUp
        uuid, target_type, stub = target
        if "mxlimsType" in value:
            announced = value["mxlimsType"]
            if type(announced) is not str or len(announced) > MAX_TEXT:
                raise _GiveUp
            if not (announced.isascii() or encodable(announced)):
                raise _GiveUp
            if target_type is not None and announced != target_type:
                raise _GiveUp
        if target_type is not None and target_type not in rule.targets:
            raise _GiveUp
        if stub:
            where = f"{path}/{name}" if index is None else f"{path}/{name}/{index}"
            self.result.external_links.append(ExternalLink(where, rule, uuid))
        return uuid


def _stub_type(core: str, data: dict[str, Any]) -> str | None:
    """The type a stub announces (None: none); gives up on anything but a well-formed stub."""
    if "uuid" not in data or not data.keys() <= STUB_KEYS:
        raise _GiveUp
    declared, base = data.get("mxlimsType"), data.get("mxlimsBaseType")
    if declared is not None and (type(declared) is not str or BASE_TYPE.get(declared) != core):
        raise _GiveUp
    if base is not None and base != core:
        raise _GiveUp
    return declared


def _own_copy(value: Any, name: str) -> Any:
    """A plain field's list or object value, checked within the storable limits (exact JSON
    types) and copied: the model's dump gives the result containers of its own, never the
    message's (a copy through orjson keeps every value as it is; it is rare and quick)."""
    kind = type(value)
    if (kind is dict or kind is list) and clean_value(value, 1, below("object", name, 0)):
        return orjson.loads(orjson.dumps(value))
    raise _GiveUp
