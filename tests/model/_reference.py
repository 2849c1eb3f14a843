"""Reading the official MXLIMS 0.6.13 material for the model tests (test data, never shipped)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.conftest import REFERENCE, load_json

V0613 = REFERENCE / "0.6.13"
SCHEMAS = V0613 / "schemas"
CASES = V0613 / "objects-and-datatypes"
MESSAGES = V0613 / "messages"


def case_files() -> list[tuple[str, str, str, Path]]:
    """(kind, type, "valid"|"invalid", path) of every official single-object case."""
    if not CASES.is_dir():
        return []
    return [
        (path.parts[-4], path.parts[-3], path.parts[-2], path)
        for path in sorted(CASES.glob("*/*/*/*.json"))
    ]


def message_files() -> list[Path]:
    return sorted(MESSAGES.glob("*/valid/*.json")) if MESSAGES.is_dir() else []


def link_field(key: str) -> str | None:
    """``containerRef`` -> ``containerId``, ``inputDataRefs`` -> ``inputDataIds``, else None."""
    if key.endswith("Refs"):
        return key[:-4] + "Ids"
    if key.endswith("Ref"):
        return key[:-3] + "Id"
    return None


def _uuid_for(ref: Any, uuids: dict[str, str]) -> str:
    pointer = ref.get("$ref", "") if isinstance(ref, dict) else ""
    # A target outside the document gets a stable stand-in uuid (version 5).
    return uuids.get(pointer) or str(uuid.uuid5(uuid.NAMESPACE_URL, f"mxlims:{pointer}"))


def to_store_form(obj: dict[str, Any], uuids: dict[str, str]) -> dict[str, Any]:
    """The message form of one object turned into store form: ``xxxRef`` -> ``xxxId`` (a uuid).

    ``uuids`` maps "#/Type/Key" pointers of the message to the uuids of their targets.
    """
    out: dict[str, Any] = {}
    for key, value in obj.items():
        field = link_field(key)
        if field is None:
            out[key] = value
        elif isinstance(value, list):
            out[field] = [_uuid_for(v, uuids) for v in value]
        else:
            out[field] = _uuid_for(value, uuids)
    return out


def message_objects(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """("Type/Key", store-form object) for every object of an official example message."""
    message = load_json(path)
    groups = {k: v for k, v in message.items() if isinstance(v, dict)}
    uuids = {
        f"#/{type_name}/{key}": obj["uuid"]
        for type_name, objects in groups.items()
        for key, obj in objects.items()
        if "uuid" in obj
    }
    return [
        (f"{type_name}/{key}", to_store_form(obj, uuids))
        for type_name, objects in groups.items()
        for key, obj in objects.items()
    ]


def load_schema(relative: str) -> dict[str, Any]:
    schema: dict[str, Any] = load_json(SCHEMAS / relative)
    return schema
