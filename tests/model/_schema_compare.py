"""Compare the constraints of the official schemas with those generated from the model.

Both sides are reduced to the keywords that constrain values (type, bounds, pattern, enum, const,
array sizes, required, nested properties/items/branches), following ``$ref`` and merging ``allOf``.
Descriptions, titles, formats and the ``...Ref`` link properties are left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONSTRAINTS = (
    "type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "enum",
    "const", "minItems", "maxItems",
)  # fmt: skip


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if key == "properties":
            into.setdefault("properties", {}).update(value)
        elif key == "required":
            into["required"] = sorted({*into.get("required", []), *value})
        else:
            into[key] = value


def reduce(schema: dict[str, Any], resolve: Any) -> dict[str, Any]:
    """Reduced form of ``schema``; ``resolve(ref) -> (schema, resolve_for_it)`` follows a $ref."""
    out: dict[str, Any] = {}
    if "$ref" in schema:
        target, target_resolve = resolve(schema["$ref"])
        _merge(out, reduce(target, target_resolve))
    for sub in schema.get("allOf", []):
        _merge(out, reduce(sub, resolve))
    for key in CONSTRAINTS:
        if key in schema:
            out[key] = schema[key]
    if isinstance(schema.get("items"), dict):
        out["items"] = reduce(schema["items"], resolve)
    if "properties" in schema:
        out["properties"] = {
            **out.get("properties", {}),
            **{k: reduce(v, resolve) for k, v in schema["properties"].items()},
        }
    if "required" in schema:
        out["required"] = sorted({*out.get("required", []), *schema["required"]})
    if isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = reduce(schema["additionalProperties"], resolve)
    if "propertyNames" in schema:
        out["propertyNames"] = schema["propertyNames"]["pattern"]
    if "patternProperties" in schema:
        ((pattern, values),) = schema["patternProperties"].items()
        out["propertyNames"] = pattern
        out["additionalProperties"] = reduce(values, resolve)
    # Unions of types (not the oneOf/anyOf used for cross-field rules, which hold no $ref).
    branches = schema.get("oneOf") or schema.get("anyOf") or []
    if branches and all("$ref" in b for b in branches):
        out["branches"] = [reduce(b, resolve) for b in branches]
    return out


def official_resolver(base: Path) -> Any:
    """Resolve the official schemas' relative file references (``../datatypes/X.json#/$defs/Y``)."""

    def resolve(ref: str) -> tuple[dict[str, Any], Any]:
        file_part, _, fragment = ref.partition("#")
        path = (base / file_part).resolve() if file_part else base
        document = json.loads(path.read_text())
        for part in [p for p in fragment.split("/") if p]:
            document = document[part]
        return document, official_resolver(path.parent)

    return resolve


def local_resolver(root: dict[str, Any]) -> Any:
    def resolve(ref: str) -> tuple[dict[str, Any], Any]:
        assert ref.startswith("#/$defs/"), ref
        return root["$defs"][ref.removeprefix("#/$defs/")], resolve

    return resolve


def differences(official: dict[str, Any], ours: dict[str, Any], path: str = "") -> list[str]:
    """Every constraint of ``official`` that ``ours`` does not state identically."""
    problems = []
    for key, value in official.items():
        where = f"{path}/{key}"
        if key == "properties":
            for name, sub in value.items():
                if name not in ours.get("properties", {}):
                    problems.append(f"{where}/{name}: missing")
                else:
                    problems += differences(sub, ours["properties"][name], f"{where}/{name}")
        elif key in ("items", "additionalProperties"):
            problems += differences(value, ours.get(key, {}), where)
        elif key == "branches":
            theirs = ours.get("branches", [])
            if len(theirs) != len(value):
                problems.append(f"{where}: {len(value)} branches, ours {len(theirs)}")
            for i, (a, b) in enumerate(zip(value, theirs, strict=False)):
                problems += differences(a, b, f"{where}/{i}")
        elif key == "required":
            if sorted(ours.get("required", [])) != value:
                problems.append(f"{where}: official {value!r}, ours {ours.get(key)!r}")
        elif ours.get(key) != value:
            problems.append(f"{where}: official {value!r}, ours {ours.get(key)!r}")
    return problems
