"""A download's JSON encoded in pieces (api/json_pieces.py) is byte for byte orjson's whole
encoding, compact and indented, whatever the message holds: kept downloads keep their ETags."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mxlims_store.api import json_pieces
from mxlims_store.api.json_pieces import encoded

MESSAGES: list[Any] = [
    {
        "version": "0.6.13",
        "Shipment": {"Shipment1": {"uuid": "a", "name": 'é\n"quoted"\t\u2028', "n": 1.5}},
        "Pin": {f"Pin{n}": {"uuid": str(n), "list": [1, {"x": None}], "e": {}} for n in range(50)},
        "Empty": {},
        "List": [],
        "Nested": {"a": {"b": {"c": {"d": [True, False]}}}},
        "ключ ☃": {"\u0000": "nul"},
    },
    {"only": 1},
    {},
    [1, 2, {"a": {}}],
    "text",
    None,
]


@pytest.mark.parametrize("indent", [False, True])
@pytest.mark.parametrize("message", MESSAGES)
def test_pieces_are_orjsons_bytes(message: Any, indent: bool) -> None:
    option = orjson.OPT_INDENT_2 if indent else 0
    assert encoded(message, indent=indent) == orjson.dumps(message, option=option)


def test_non_string_keys_are_refused_as_orjson_refuses_them() -> None:
    with pytest.raises(TypeError):
        encoded({"Pin": {1: {"uuid": "a"}}})


def test_a_large_message_is_encoded_one_object_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point: no single orjson call encodes the whole message."""
    longest: list[int] = []
    real = orjson.dumps

    def noted(value: Any, **options: Any) -> bytes:
        out = real(value, **options)
        longest.append(len(out))
        return out

    monkeypatch.setattr(json_pieces.orjson, "dumps", noted)
    message = {"Pin": {f"Pin{n}": {"uuid": str(n), "name": "x" * 100} for n in range(1000)}}
    whole = encoded(message)
    assert max(longest) < len(whole) / 500
