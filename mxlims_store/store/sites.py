"""Site extras: view an object as a given site sees it.

An extension field with the same name as one of the object's own fields is that site's
override (``"massif1.esrf.fr": {"experimentStrategy": "MXPressE"}``); viewing as the site
applies it. Other extension fields stay where they are.
"""

from __future__ import annotations

from typing import Any

from mxlims_store.model.registry import CORE_TYPES, OBJECT_TYPES


def field_names(mxlims_type: str) -> frozenset[str]:
    model = OBJECT_TYPES.get(mxlims_type) or CORE_TYPES[mxlims_type]
    return frozenset(model.model_fields)


def view_as(obj: dict[str, Any], domain: str) -> dict[str, Any]:
    extension = (obj.get("extensions") or {}).get(domain)
    if not isinstance(extension, dict):
        return obj
    own = field_names(obj["mxlimsType"]) - {"uuid", "mxlimsType", "extensions"}
    return {**obj, **{k: v for k, v in extension.items() if k in own}}
