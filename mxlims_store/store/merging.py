"""How a stored object and what arrives combine: import policies and JSON merge patches.

``extensions``, ``identifiers`` and ``urls`` are keyed by site domain: one site's update never
removes another site's slot.

- ``update_old`` sets every field the message carries; in the domain-keyed fields it replaces
  the slots of the domains the message names and keeps the others.
- ``merge`` is the same, but inside an extension slot it merges field by field (a site sending
  one extension field keeps its others).
- A PATCH is a JSON merge patch (RFC 7396) applied to the object: objects merge recursively,
  ``null`` removes, anything else replaces.
"""

from __future__ import annotations

from typing import Any

DOMAIN_KEYED = ("extensions", "identifiers", "urls")


def overlay(stored: dict[str, Any], incoming: dict[str, Any], *, deep: bool) -> dict[str, Any]:
    """``stored`` with ``incoming``'s fields set; domain-keyed fields merged per domain (and
    with ``deep``, each extension slot merged field by field)."""
    result = {**stored, **incoming}
    for name in DOMAIN_KEYED:
        old, new = stored.get(name), incoming.get(name)
        if isinstance(old, dict) and isinstance(new, dict):
            slots = dict(old)
            for domain, value in new.items():
                mergeable = deep and name == "extensions"
                if mergeable and isinstance(slots.get(domain), dict) and isinstance(value, dict):
                    slots[domain] = {**slots[domain], **value}
                else:
                    slots[domain] = value
            result[name] = slots
    return result


def without(stored: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """``stored`` less ``fields``; ``extensions/<domain>`` removes that domain's slot."""
    if not fields:
        return stored
    result = {k: v for k, v in stored.items() if k not in fields}
    slots = {f.split("/", 1)[1] for f in fields if f.startswith("extensions/")}
    if slots and isinstance(result.get("extensions"), dict):
        result["extensions"] = {d: v for d, v in result["extensions"].items() if d not in slots}
        if not result["extensions"]:
            del result["extensions"]
    return result


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: the result of applying ``patch`` to ``target``."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def differences(stored: dict[str, Any], incoming: dict[str, Any]) -> list[str]:
    """The fields ``incoming`` carries with a value other than the stored one (uuid and type
    aside): what a ``reject_new`` import keeps as stored."""
    return sorted(
        name
        for name, value in incoming.items()
        if name not in ("uuid", "mxlimsType") and stored.get(name) != value
    )
