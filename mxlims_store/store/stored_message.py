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


def message_of_stored(
    documents: Iterable[dict[str, Any]], *, left_out: Collection[str] = ()
) -> dict[str, Any]:
    """The message holding ``documents`` (as stored), as ``write_message`` writes it."""
    ordered = sorted(documents, key=lambda d: _RANK.get(d["mxlimsType"], len(TYPE_ORDER)))
    keys: dict[str, str] = {}  # uuid -> "#/Type/TypeN"
    names: list[str] = []  # the key of each ordered document
    counters: dict[str, int] = {}
    for document in ordered:
        type_name = document["mxlimsType"]
        counters[type_name] = counters.get(type_name, 0) + 1
        name = f"{type_name}{counters[type_name]}"
        names.append(name)
        keys[document["_id"]] = pointer(type_name, name)
    message: dict[str, Any] = {"version": MODEL_VERSION}
    stubs: dict[str, dict[str, Any]] = {}

    def ref(uuid: str, core: str) -> dict[str, str]:
        if uuid not in keys:
            counters[core] = counters.get(core, 0) + 1  # shared with objects of that core type
            key = f"{core}{counters[core]}"
            stubs.setdefault(core, {})[key] = {"mxlimsBaseType": core, "uuid": uuid}
            keys[uuid] = pointer(core, key)
        return {"$ref": keys[uuid]}

    for document, name in zip(ordered, names, strict=True):
        type_name = document["mxlimsType"]
        links = _LINKS.get(type_name, {})
        out: dict[str, Any] = {}
        for field, value in document.items():
            if field == META:
                continue
            if field == "_id":
                out["uuid"] = value
            elif field in DOMAIN_LISTS and isinstance(value, list):
                value_key = DOMAIN_LISTS[field]
                out[field] = {entry["domain"]: entry[value_key] for entry in value}
            elif (link := links.get(field)) is None:
                out[field] = value
            elif link[2]:
                out[link[0]] = [ref(u, link[1]) for u in value if u not in left_out]
            elif value not in left_out:
                out[link[0]] = ref(value, link[1])
        message.setdefault(type_name, {})[name] = out
    for core, entries in stubs.items():
        message.setdefault(core, {}).update(entries)
    return message
