"""The import id is the standard library's canonical JSON hashed: written faster (orjson), it
must stay the same bytes, since it seeds the uuids of objects sent without one and tells a
re-import of a message stored before an upgrade."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import orjson
import pytest

from bench import generate
from mxlims_store.store.import_id import _ORJSON_CANONICAL, _may_differ
from mxlims_store.store.importer import content_hash


def _as_before(message: Any) -> str:
    canonical = json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]


TRICKY = [
    {"exposureTime": 1e-05, "x": [2.5e-07, -3e-9, 0.0001, 1e16, -0.0, 5e-324]},
    {"note": "0.00001 and 1e-7 in text", "uuid": "0a1b2c3d-1234-56e-9a00-000000000000"},
    {"big": 2**70, "small": -(2**63), "top": 2**64 - 1},
    {"lone": "\ud800 surrogate", "emoji": "\U0001f600", "ctl": "\x00\x1f\x7f\u2028"},
    {"\uffff": 1, "\U00010000": 2, "\ue000": 3, "": {"nested": [[[]]]}},
    1e-06,
    [1.5e-7],
    {"a": 2e-7},
    {"z": [1, 3e-300], "y": {"w": -4e-5}},
    {"uuid": "0a1b2c3e-1234-5e67-9a0e-000000000000", "t": 1.25e-8},
]


@pytest.mark.parametrize("message", TRICKY)
def test_the_import_id_is_the_standard_librarys_hash(message: Any) -> None:
    assert content_hash(message) == _as_before(message)


def test_the_import_id_of_random_json_values_is_unchanged() -> None:
    chooser = random.Random(21)

    def value(depth: int = 0) -> Any:
        kind = chooser.random()
        if depth > 4 or kind < 0.4:
            return chooser.choice(
                [
                    chooser.random() * 10 ** chooser.randint(-12, 20),
                    -chooser.random() * 10 ** chooser.randint(-12, 20),
                    chooser.randint(-(2**63), 2**64 - 1),
                    "".join(chr(chooser.randint(0, 0x10FFFF)) for _ in range(3)),
                    True,
                    None,
                ]
            )
        if kind < 0.7:
            return [value(depth + 1) for _ in range(chooser.randint(0, 4))]
        return {f"k{chooser.randint(0, 40)}": value(depth + 1) for _ in range(4)}

    for _ in range(3000):
        message = value()
        assert content_hash(message) == _as_before(message), message


def test_the_import_id_of_a_generated_shipment_and_its_results_is_unchanged() -> None:
    shipment = generate.shipment(21, 40)
    for message in (shipment.message, generate.results(shipment).message):
        assert content_hash(message) == _as_before(message)


def test_values_that_are_not_json_data_fail_as_before() -> None:
    with pytest.raises(TypeError):
        content_hash({1: "a", "b": 2})  # keys of two kinds: the standard library cannot sort them
    assert content_hash({1: "a"}) == _as_before({1: "a"})  # an int key is written as text


def test_a_generated_shipment_is_written_by_orjson_alone() -> None:
    """Its thousands of uuids hold ``e-`` often: none is taken for a number's exponent (the
    slower writer would be used for nothing)."""
    shipment = generate.shipment(7, 200)
    for message in (shipment.message, generate.results(shipment).message):
        text = orjson.dumps(message, option=_ORJSON_CANONICAL)
        assert text.count(b"e-") > 20
        assert not _may_differ(text)
        assert _may_differ(text.replace(b"}", b',"x":1e-7}', 1))
