"""What a database can hold, checked before a value reaches the model or the store.

JSON parsers hand over values that BSON cannot carry (integers beyond 64 bits, ``inf`` from
``1e400``, lone UTF-16 surrogates) and free-form extension values can nest arbitrarily deep.
Each of these would otherwise fail late, inside a write or an export.
"""

from __future__ import annotations

import math
from typing import Any

from mxlims_store.errors import Problem
from mxlims_store.messages.paths import join

MAX_DEPTH = 32
INT64 = (-(2**63), 2**63 - 1)


def storable_problems(value: Any, path: str, depth: int = 0) -> list[Problem]:
    """Problems of ``value`` (a JSON value) that no store could keep, each with its path."""
    if depth > MAX_DEPTH:
        return [Problem(path, f"nested deeper than {MAX_DEPTH} levels")]
    if isinstance(value, dict):
        found = [
            p for k, v in value.items() for p in storable_problems(v, join(path, k), depth + 1)
        ]
        bad_keys = [k for k in value if not _encodable(k)]
        return found + [Problem(path, f"key {k!r} is not valid UTF-8 text") for k in bad_keys]
    if isinstance(value, list):
        return [
            p for i, v in enumerate(value) for p in storable_problems(v, join(path, i), depth + 1)
        ]
    if isinstance(value, bool):
        return []
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        return [Problem(path, "integer out of the 64-bit range")]
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(path, "must be a finite number")]
    if isinstance(value, str) and not _encodable(value):
        return [Problem(path, "is not valid UTF-8 text (lone surrogate)")]
    return []


def _encodable(text: object) -> bool:
    try:
        str(text).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
