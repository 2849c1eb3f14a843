"""Stored documents straight to an MXLIMS message, in one pass: an export's hot loop.

The answer is exactly ``write_message([from_document(d) for d in documents], left_out=...)``
(:mod:`mxlims_store.messages.writer`, :mod:`mxlims_store.store.documents`), byte for byte:
the same ``<Type><N>`` keys, ``$ref`` links, uuid-only stubs and key order. It differs only in
cost: one new dict per object instead of two, and the link table looked up once per type
instead of once per field (a results file holds ~13,000 objects). The documents come as
stored, so they are valid already: nothing is validated again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from mxlims_store.messages.paths import pointer
from mxlims_store.messages.writer import TYPE_ORDER
from mxlims_store.model.links import LINK_RULES, ref_key_for
from mxlims_store.model.registry import BASE_TYPE, MODEL_VERSION
from mxlims_store.store.documents import (
    DOMAIN_LISTS,  # from_document's own table
    META,
)

_RANK = {name: rank for rank, name in enumerate(TYPE_ORDER)}
# type -> foreign key -> (ref key, core type of its targets, a list of uuids?)
_LINKS: dict[str, dict[str, tuple[str, str, bool]]] = {}
for _rule in LINK_RULES:
    _LINKS.setdefault(_rule.source, {})[_rule.field] = (
        ref_key_for(_rule.field),
        BASE_TYPE[_rule.targets[0]],
        _rule.many,
    )
# How a field of a stored document goes into a message, by type: by the same name and value
# (absent here), or as one of these (one lookup per field, the hot loop of an export)
_SKIP, _UUID = "skip", "uuid"
_COMMON: dict[str, Any] = {
    META: _SKIP,
    "_id": _UUID,
    **{field: ("domain", value_key) for field, value_key in DOMAIN_LISTS.items()},
}
_FIELDS: dict[str, dict[str, Any]] = {
    source: {**_COMMON, **{field: ("link", *link) for field, link in links.items()}}
    for source, links in _LINKS.items()
}


def message_of_stored(
    documents: Iterable[dict[str, Any]], *, left_out: Collection[str] = ()
) -> dict[str, Any]:
    """The message holding ``documents`` (as stored), as ``write_message`` writes it."""
    # In the order of TYPE_ORDER, each type in the order given, types it does not know last
    # in the order given (a stable sort by rank); each object named <Type><N> in that order.
    by_type: dict[str, list[dict[str, Any]]] = {}
    strangers: list[dict[str, Any]] = []
    for document in documents:
        type_name = document["mxlimsType"]
        if type_name in _RANK:
            by_type.setdefault(type_name, []).append(document)
        else:
            strangers.append(document)
    # (type, its documents in order, the key of each): a run of one type, its link table and
    # its place in the message looked up once for the run instead of once per object
    runs: list[tuple[str, list[dict[str, Any]], list[str]]] = []
    keys: dict[str, str] = {}  # uuid -> "#/Type/TypeN"
    counters: dict[str, int] = {}
    for type_name in sorted(by_type, key=_RANK.__getitem__):
        group = by_type[type_name]
        named = [f"{type_name}{number}" for number in range(1, len(group) + 1)]
        runs.append((type_name, group, named))
        pointers = [f"#/{type_name}/{name}" for name in named]  # messages.paths.pointer
        keys.update(zip([d["_id"] for d in group], pointers, strict=True))
        counters[type_name] = len(group)
    for document in strangers:
        type_name = document["mxlimsType"]
        counters[type_name] = number = counters.get(type_name, 0) + 1
        name = f"{type_name}{number}"
        keys[document["_id"]] = pointer(type_name, name)
        runs.append((type_name, [document], [name]))
    message: dict[str, Any] = {"version": MODEL_VERSION}
    stubs: dict[str, dict[str, Any]] = {}

    def stub(uuid: str, core: str) -> str:
        """The key of a uuid-only stub for a link to an object not in the message."""
        counters[core] = counters.get(core, 0) + 1  # shared with objects of that core type
        key = f"{core}{counters[core]}"
        stubs.setdefault(core, {})[key] = {"mxlimsBaseType": core, "uuid": uuid}
        keys[uuid] = pointer(core, key)
        return keys[uuid]

    for type_name, group, named in runs:
        fields = _FIELDS.get(type_name, _COMMON)
        objects = message.setdefault(type_name, {})
        for document, name in zip(group, named, strict=True):
            out: dict[str, Any] = {}
            for field, value in document.items():
                how = fields.get(field)
                if how is None:
                    out[field] = value
                elif how is _UUID:
                    out["uuid"] = value
                elif how is _SKIP:
                    continue
                elif how[0] == "domain":
                    if isinstance(value, list):
                        out[field] = {entry["domain"]: entry[how[1]] for entry in value}
                    else:
                        out[field] = value
                elif how[3]:  # a list of uuids
                    out[how[1]] = [
                        {"$ref": keys.get(u) or stub(u, how[2])} for u in value if u not in left_out
                    ]
                elif value not in left_out:
                    out[how[1]] = {"$ref": keys.get(value) or stub(value, how[2])}
            objects[name] = out
    for core, entries in stubs.items():
        message.setdefault(core, {}).update(entries)
    return message
