"""JSON text as MXLIMS input: strict, so that what is read means one thing.

``NaN`` and ``Infinity`` are refused (they could never be sent back as JSON), and so is a key
given twice in one object: a parser would otherwise keep the last one silently (a second
``Shipment1``, or ``version`` written twice as ``"9.9"`` then ``"0.6.13"``). The CLI, the API
and the pages all read messages through :func:`loads`.
"""

from __future__ import annotations

import json
from typing import Any


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} is given twice in one object")
        result[key] = value
    return result


def loads(text: str | bytes) -> Any:
    """Parse strict JSON; ValueError (json.JSONDecodeError where the syntax is wrong) else."""
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique)
