"""A sheet's headers and the extension field names that keep unmapped columns."""

from __future__ import annotations

import re

from mxlims_store.model.registry import OBJECT_TYPES

# A document database cannot hold a dot in an extension field name, nor a key starting with "$":
# a header such as "min osc. angle" is kept under "min osc<U+2024> angle" (ONE DOT LEADER), which
# reads the same and maps back to its column on export.
KEY_DOT, KEY_DOLLAR = "\u2024", "\uff04"


KEY_NOT_A_FIELD = " (column)"


def extension_key(header: str, type_: str | None = None) -> str:
    """The extension field name that keeps an unmapped column's values on a ``type_`` object.

    A header that is also a field name of that type (DLS ``requiredResolution`` on an
    MxExperiment) gets `` (column)`` appended: an extension field named like an object field is
    a site override, which a sheet column never is. Export finds its column all the same
    (header comparison ignores what is in brackets).
    """
    key = header.replace(".", KEY_DOT)
    key = KEY_DOLLAR + key[1:] if key.startswith("$") else key
    if type_ is not None and key in _field_names(type_):
        key += KEY_NOT_A_FIELD
    return key


def _field_names(type_: str) -> frozenset[str]:
    model = OBJECT_TYPES.get(type_)
    return frozenset(model.model_fields) if model is not None else frozenset()


def normalise_header(text: str) -> str:
    """Compare key of a header: case, blanks, ``_``, a leading ``#``, ``*`` and ``[unit]`` ignored.

    ``"#parcel name"``, ``"Parcel Name"`` and ``"parcel_name*"`` all give ``"parcelname"``;
    ``"Space Group Number [1x int]"`` gives ``"spacegroupnumber"``.
    """
    text = text.strip().lstrip("#").replace(KEY_DOT, ".").replace(KEY_DOLLAR, "$")
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)", "", text)
    return re.sub(r"[\s_*]+", "", text).lower()
