"""Write store-form objects back to an MXLIMS message: ``<Type><N>`` keys and ``$ref`` links."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from mxlims_store.messages.paths import pointer
from mxlims_store.model.links import ref_key_for, rule_for
from mxlims_store.model.registry import BASE_TYPE, MODEL_VERSION

# Containers before contents, samples before the jobs and datasets that use them.
TYPE_ORDER: tuple[str, ...] = (
    "Shipment",
    "Dewar",
    "Plate",
    "Puck",
    "MultiPin",
    "Pin",
    "PinPosition",
    "PlateWell",
    "WellDrop",
    "DropRegion",
    "Crystal",
    "LogisticalSample",
    "Macromolecule",
    "Medium",
    "MacromoleculeSample",
    "Sample",
    "MxExperiment",
    "VolumeScan",
    "MxProcessing",
    "Job",
    "CollectionSweep",
    "ReflectionSet",
    "Dataset",
)


def write_message(
    objects: Iterable[Mapping[str, Any]],
    *,
    version: str = MODEL_VERSION,
    left_out: Collection[str] = (),
) -> dict[str, Any]:
    """A message holding ``objects`` (store form), links to each other written as ``$ref``.

    A foreign key to an object outside the set becomes a uuid-only stub under its core key.
    Links to the uuids in ``left_out`` (objects the caller chose not to include, and says so)
    are left out, so that the message imports anywhere.
    """
    documents = list(objects)
    keys: dict[str, str] = {}  # uuid -> "#/Type/TypeN"
    counters: dict[str, int] = {}
    for document in sorted(documents, key=_type_rank):
        type_name = document["mxlimsType"]
        counters[type_name] = counters.get(type_name, 0) + 1
        keys[document["uuid"]] = pointer(type_name, f"{type_name}{counters[type_name]}")
    message: dict[str, Any] = {"version": version}
    stubs: dict[str, dict[str, Any]] = {}
    for document in sorted(documents, key=_type_rank):
        type_name = document["mxlimsType"]
        out: dict[str, Any] = {}
        for name, value in document.items():
            rule = rule_for(type_name, name)
            if rule is None:
                out[name] = value
                continue
            core = BASE_TYPE[rule.targets[0]]
            if rule.many:
                refs = [_ref(u, core, keys, counters, stubs) for u in value if u not in left_out]
                out[ref_key_for(name)] = refs
            elif value not in left_out:
                out[ref_key_for(name)] = _ref(value, core, keys, counters, stubs)
        message.setdefault(type_name, {})[keys[document["uuid"]].rsplit("/", 1)[1]] = out
    for core, entries in stubs.items():
        message.setdefault(core, {}).update(entries)
    return message


def _type_rank(document: Mapping[str, Any]) -> int:
    type_name = document["mxlimsType"]
    return TYPE_ORDER.index(type_name) if type_name in TYPE_ORDER else len(TYPE_ORDER)


def _ref(
    uuid: str,
    core: str,
    keys: dict[str, str],
    counters: dict[str, int],
    stubs: dict[str, dict[str, Any]],
) -> dict[str, str]:
    if uuid not in keys:
        counters[core] = counters.get(core, 0) + 1  # shared with generic objects of that core type
        key = f"{core}{counters[core]}"
        stubs.setdefault(core, {})[key] = {"mxlimsBaseType": core, "uuid": uuid}
        keys[uuid] = pointer(core, key)
    return {"$ref": keys[uuid]}
