"""Read an MXLIMS message into validated store-form objects.

Store form is the model's form: links are uuid foreign keys (``containerId``) instead of the
message's JSON references (``containerRef: {"$ref": "#/Puck/Puck1"}``). Reading checks what JSON
schema cannot: dangling references, duplicate uuids, link targets of a forbidden type, unknown
object types and unsupported versions. Every problem of the message is collected, each with its
JSON path, before anything is refused.

A message with nothing wrong is read by the clean path (``clean_read.py``: one quick walk, each
section validated at once by pydantic-core); the thorough reader here reads any other, and is
the reference the clean path's result is tested against.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from mxlims_store.errors import InvalidMessage, Problem
from mxlims_store.messages.clean_read import read_clean
from mxlims_store.messages.errors import validation_problems
from mxlims_store.messages.limits import encodable, storable_problems
from mxlims_store.messages.paths import join, parse_pointer
from mxlims_store.messages.result import STUB_KEYS, ExternalLink, ReadResult, new_uuid
from mxlims_store.messages.versions import SUPPORTED_VERSIONS, UPGRADES
from mxlims_store.model.basic_types import is_uuid
from mxlims_store.model.links import (
    FOREIGN_KEY_FIELDS,
    LinkRule,
    field_for_ref_key,
    ref_key_for,
    rule_for,
)
from mxlims_store.model.registry import BASE_TYPE, CORE_TYPES, OBJECT_TYPES, parse_object

MAX_OBJECTS = 250_000  # some 40 beamtimes of 1,600 pins: more is a mistake, or an attack
PROBLEM_BUDGET = 10_000  # problems found before reading stops (the first 1,000 are reported)


@dataclass
class _Entry:
    type_name: str  # the message key it stands under
    key: str
    uuid: str
    data: dict[str, Any]
    stub: bool
    declared_type: str | None  # for stubs: the mxlimsType they announce, if any

    @cached_property
    def path(self) -> str:
        return join(self.type_name, self.key)


@dataclass
class _Reading:
    """A message being read: its entries, what is read so far and the problems found."""

    entries: dict[tuple[str, str], _Entry]
    result: ReadResult
    problems: list[Problem]


def read_message(message: Any, *, uuid_seed: str | None = None) -> ReadResult:
    """Parse and check a whole message; raise :class:`InvalidMessage` listing every problem."""
    if not isinstance(message, dict):
        raise InvalidMessage([Problem("", "an MXLIMS message must be a JSON object")])
    version = message.get("version")
    if not isinstance(version, str) or version not in UPGRADES:
        supported = ", ".join(SUPPORTED_VERSIONS)
        raise InvalidMessage(
            [Problem("version", f"unsupported MXLIMS version {version!r}; supported: {supported}")]
        )
    refuse_oversized(message)
    notes: list[tuple[str, str]] = []
    message = UPGRADES[version](message, notes)
    # A message with nothing wrong is read in one quick walk; anything else (or anything that
    # walk is unsure of) is read thoroughly, every problem found with its path.
    result = read_clean(message, str(version), uuid_seed) or read_thorough(message, uuid_seed)
    result.version = str(version)
    result.not_carried = [f"{path}: {said} (read as {version})" for path, said in notes]
    return result


def read_thorough(message: dict[str, Any], uuid_seed: str | None = None) -> ReadResult:
    """Read an (upgraded) message value by value; raise :class:`InvalidMessage` listing every
    problem. The reference for :func:`read_clean`, which must give the same result."""
    problems: list[Problem] = []
    result = ReadResult(version=str(message.get("version")))
    entries = _index_entries(message, problems, uuid_seed, result.refused)
    reading = _Reading(entries, result, problems)
    for entry in entries.values():
        result.keys[entry.path] = entry.uuid
        if entry.stub:
            result.stubs[entry.uuid] = entry.type_name
            continue
        document = _to_store_form(entry, reading)
        if document is not None:
            result.objects.append(document)
        if len(problems) >= PROBLEM_BUDGET:  # bounded work for any input, however bad
            # first, so that the summary and the listed problems say the count is not all
            stopped = f"stopped reading after {len(problems):,} problems: there may be more"
            problems.insert(0, Problem("", stopped))
            break
    if problems:
        raise InvalidMessage(problems)
    return result


def refuse_oversized(message: Any) -> None:
    """Refuse a message of more than :data:`MAX_OBJECTS` objects, with one problem. It costs a
    look at each section's size: callers run it before any work that grows with the message."""
    if not isinstance(message, dict):
        return
    sizes = [len(v) for k, v in message.items() if k != "version" and isinstance(v, dict)]
    if sum(sizes) > MAX_OBJECTS:
        problem = f"{sum(sizes):,} objects in one message; at most {MAX_OBJECTS:,}: split it"
        raise InvalidMessage([Problem("", problem)])


def _index_entries(
    message: dict[str, Any],
    problems: list[Problem],
    uuid_seed: str | None,
    refused: set[tuple[str, str]],
) -> dict[tuple[str, str], _Entry]:
    """Every object of the message by (type key, local key), with its uuid settled."""
    entries: dict[tuple[str, str], _Entry] = {}
    seen_uuids: dict[str, str] = {}
    for type_name, objects in message.items():
        if type_name == "version":
            continue
        if type_name not in OBJECT_TYPES and type_name not in CORE_TYPES:
            known = ", ".join(sorted({*OBJECT_TYPES, *CORE_TYPES}))
            problems.append(
                Problem(type_name, f"unknown object type {type_name!r}; known: {known}")
            )
            continue
        if not isinstance(objects, dict):
            problems.append(Problem(type_name, "must be an object of local key -> object"))
            continue
        if not objects:  # the official schema refuses an empty section too
            problems.append(Problem(type_name, "an empty section: leave it out"))
            continue
        for key, data in objects.items():
            path = join(type_name, key)
            if not encodable(key):
                problems.append(Problem(path, f"local key {key!r} is not valid UTF-8 text"))
                continue
            if not isinstance(data, dict):
                problems.append(Problem(path, "an MXLIMS object must be a JSON object"))
                continue
            entry = _entry(type_name, key, data, path, problems, uuid_seed)
            if entry is None:
                refused.add((type_name, key))
                continue
            if entry.uuid in seen_uuids:
                problems.append(
                    Problem(
                        join(path, "uuid"),
                        f"duplicate uuid {entry.uuid}, also at {seen_uuids[entry.uuid]}",
                    )
                )
                refused.add((type_name, key))  # it exists: links to it are not dangling
                continue
            seen_uuids[entry.uuid] = path
            entries[(type_name, key)] = entry
    return entries


def _entry(
    type_name: str,
    key: str,
    data: dict[str, Any],
    path: str,
    problems: list[Problem],
    uuid_seed: str | None,
) -> _Entry | None:
    declared = data.get("mxlimsType")
    stub = type_name in CORE_TYPES and "uuid" in data and set(data) <= STUB_KEYS
    if type_name in CORE_TYPES and not stub:
        problems.append(Problem(path, _not_a_stub(type_name, data)))
        return None
    clash = _type_clash(type_name, data, stub)
    if clash is not None:
        problems.append(Problem(join(path, clash[0]), clash[1]))
        return None
    uuid = data.get("uuid")
    if "uuid" in data and uuid is None:
        problems.append(Problem(join(path, "uuid"), "null is not a uuid; leave it out to get one"))
        return None
    if uuid is None:
        uuid = new_uuid(uuid_seed, path)
    elif not is_uuid(uuid):
        problems.append(
            Problem(join(path, "uuid"), f"{uuid!r} is not a lower-case RFC 4122 version 1-5 uuid")
        )
        return None
    return _Entry(type_name, key, uuid, data, stub, declared if stub else None)


def _not_a_stub(core: str, data: dict[str, Any]) -> str:
    """Why a full object under a core key ("Job", "Dataset" ...) is refused, and what to write.

    The official message schemas hold only uuid stubs under these keys (MxlimsMessage; the
    ShipmentMessage refuses the keys altogether): an object of the standard has a concrete type.
    """
    concrete = ", ".join(sorted(t for t, base in BASE_TYPE.items() if base == core and t != core))
    extra = sorted(set(data) - STUB_KEYS)
    also = f" (a stub holds nothing else, not {', '.join(map(repr, extra[:5]))})"
    return (
        f"a full generic {core} cannot stand in an MXLIMS message: write it as one of the "
        f"concrete types {concrete}; under the {core} key only a stub "
        f'{{"mxlimsBaseType": "{core}", "uuid": "..."}} may stand, linking to a stored object'
        + (also if "uuid" in data and extra else "")
    )


def _type_clash(type_name: str, data: dict[str, Any], stub: bool) -> tuple[str, str] | None:
    """(field, message) when the entry's type names disagree with the key it stands under."""
    declared, base = data.get("mxlimsType"), data.get("mxlimsBaseType")
    if not stub:
        if declared is None:  # required by the official schema (also when written as null)
            return "mxlimsType", f'is required: write "mxlimsType": "{type_name}"'
        if declared != type_name:
            return "mxlimsType", f"is {declared!r} but the object stands under {type_name!r}"
        return None
    # a type name is text: anything else (a list, an object) announces no type at all
    if declared is not None and (
        not isinstance(declared, str) or BASE_TYPE.get(declared) != type_name
    ):
        return "mxlimsType", f"a {type_name} stub cannot announce type {declared!r}"
    if base is not None and base != type_name:
        return "mxlimsBaseType", f"must be {type_name!r} under the {type_name} key"
    return None


def _to_store_form(entry: _Entry, reading: _Reading) -> dict[str, Any] | None:
    """Turn one entry's ``...Ref(s)`` into uuid foreign keys and validate it with the model."""
    problems = reading.problems
    document: dict[str, Any] = {}
    before = len(problems)
    problems.extend(storable_problems(entry.data, entry.path))
    if len(problems) > before:
        return None
    for name, value in entry.data.items():
        if name in FOREIGN_KEY_FIELDS:
            problems.append(
                Problem(
                    join(entry.path, name),
                    f"links in a message are written as {name[:-2]}Ref(s) with $ref",
                )
            )
            continue
        link_field = field_for_ref_key(name)
        if link_field is None:
            document[name] = value
            continue
        path = join(entry.path, name)  # built for links only: most fields never need it
        rule = rule_for(entry.type_name, link_field)
        if rule is None:
            problems.append(Problem(path, f"a {entry.type_name} has no link {name!r}"))
            continue
        target = _resolve_link(entry, rule, path, value, reading)
        if target is not None:  # a link to a refused object is left out: no knock-on problem
            document[link_field] = target
    document["mxlimsType"] = entry.type_name
    document["uuid"] = entry.uuid
    if len(problems) > before:
        return None
    try:
        model = _parsed(document)
    except ValidationError as error:
        problems.extend(validation_problems(error, entry.path, _message_loc))
        return None
    except ValueError as error:
        problems.append(Problem(entry.path, str(error)))
        return None
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    dumped["mxlimsType"] = entry.type_name
    return dumped


def _parsed(document: dict[str, Any]) -> Any:
    """The model of ``document``. Whole numbers written as floats (``3.0``, ``1e3``) are read as
    integers where the model wants one (JSON Schema counts them as integers, and PHP or
    JavaScript encoders write them so): the one retry costs nothing when there are none."""
    try:
        return parse_object(document)
    except ValidationError as error:
        fixes = [
            e["loc"]
            for e in error.errors()
            if e["type"] == "int_type"
            and isinstance(e.get("input"), float)
            and e["input"].is_integer()
        ]
        if not fixes:
            raise
    document = copy.deepcopy(document)
    for loc in fixes:
        holder: Any = document
        for part in loc[:-1]:
            holder = holder[part]
        holder[loc[-1]] = int(holder[loc[-1]])
    return parse_object(document)


def _message_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Name link fields as the message does (``containerId`` -> ``containerRef``)."""
    if loc and isinstance(loc[0], str) and loc[0] in FOREIGN_KEY_FIELDS:
        return (ref_key_for(loc[0]), *loc[1:])
    return loc


def _resolve_link(
    entry: _Entry, rule: LinkRule, path: str, value: Any, reading: _Reading
) -> str | list[str] | None:
    if rule.many:
        if not isinstance(value, list):
            reading.problems.append(Problem(path, 'must be a list of {"$ref": ...} references'))
            return None
        targets = [
            _resolve_one(entry, rule, join(path, i), v, reading) for i, v in enumerate(value)
        ]
        return [t for t in targets if t is not None]
    return _resolve_one(entry, rule, path, value, reading)


def _resolve_one(
    entry: _Entry, rule: LinkRule, path: str, value: Any, reading: _Reading
) -> str | None:
    problems = reading.problems
    ref = value.get("$ref") if isinstance(value, dict) else None
    if not isinstance(ref, str) or set(value) - {"$ref", "mxlimsType"}:
        problems.append(Problem(path, 'must be a reference {"$ref": "#/<Type>/<Key>"}'))
        return None
    parsed = parse_pointer(ref)
    if parsed is None:
        problems.append(Problem(path, f"{ref!r} is not a reference of the form #/<Type>/<Key>"))
        return None
    target = reading.entries.get(parsed)
    if target is None and parsed in reading.result.refused:
        return None  # its own problem is reported already
    if target is None:
        problems.append(Problem(path, f"dangling reference {ref!r}: no such object in the message"))
        return None
    target_type = target.declared_type if target.stub else target.type_name
    announced = value.get("mxlimsType")
    if announced is not None and target_type is not None and announced != target_type:
        problems.append(Problem(path, f"announces {announced!r} but {ref!r} is a {target_type}"))
        return None
    if target_type is not None and not rule.allows(target_type):
        allowed = ", ".join(rule.targets)
        problems.append(
            Problem(
                path,
                f"a {entry.type_name}'s {rule.ref_key} may point at {allowed}, not {target_type}",
            )
        )
        return None
    if target.stub:
        reading.result.external_links.append(ExternalLink(path, rule, target.uuid))
    return target.uuid


__all__ = [
    "MAX_OBJECTS",
    "PROBLEM_BUDGET",
    "ExternalLink",
    "ReadResult",
    "new_uuid",
    "read_message",
    "read_thorough",
    "refuse_oversized",
]
