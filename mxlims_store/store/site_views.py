"""Site extras: view an object as a given site sees it.

An extension field with the same name as one of the object's own fields is that site's
override (``"massif1.esrf.fr": {"experimentStrategy": "MXPressE"}``); viewing as the site
applies it. Links, uuid and type are never overridden, and an override the standard would
refuse (a string where a number belongs) is left out, so the view is always a valid object.
Other extension fields stay where they are.
"""

from __future__ import annotations

from typing import Any

from mxlims_store.messages.errors import object_problems
from mxlims_store.model.links import FOREIGN_KEY_FIELDS
from mxlims_store.model.registry import CORE_TYPES, OBJECT_TYPES

NOT_OVERRIDABLE = frozenset(
    {"uuid", "mxlimsType", "mxlimsBaseType", "extensions", *FOREIGN_KEY_FIELDS}
)


def field_names(mxlims_type: str) -> frozenset[str]:
    model = OBJECT_TYPES.get(mxlims_type) or CORE_TYPES[mxlims_type]
    return frozenset(model.model_fields)


def inherited_domains(domain: str) -> list[str]:
    """The domains whose overrides apply at ``domain``, widest first: at ``massif1.esrf.fr``
    those of ``esrf.fr`` and then its own (a beamline inherits its facility's overrides)."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 2, -1, -1)]


def view_as(obj: dict[str, Any], domain: str) -> dict[str, Any]:
    """``obj`` as the site ``domain`` sees it: the overrides of the domain and of every domain
    it belongs to applied, the narrower winning."""
    # domain names are case-insensitive: an ESRF.FR slot is esrf.fr's
    extensions = {d.lower(): e for d, e in (obj.get("extensions") or {}).items()}
    viewed = obj
    own = field_names(obj["mxlimsType"]) - NOT_OVERRIDABLE
    for applied in inherited_domains(domain.lower()):
        extension = extensions.get(applied)
        if not isinstance(extension, dict):
            continue
        viewed = dict(viewed)
        for name, value in extension.items():
            if name in own and not object_problems({**viewed, name: value}):
                viewed[name] = value
    return viewed
