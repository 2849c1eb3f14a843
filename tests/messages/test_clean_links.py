"""The clean read resolves a plain ``{"$ref": ...}`` to an object of the message in its own
loop; every other shape of a link leaves it to the full check (or to the thorough reader), so
both readers still agree on each (``test_clean_path`` runs them over random variants too)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench.generate import results as bench_results
from bench.generate import shipment as bench_shipment
from mxlims_store.messages.clean_read import read_clean
from tests.factories import new_uuid, shipment_message, stub
from tests.messages.test_clean_path import _assert_agree, _assert_same, _both

BASE = shipment_message(2)
STUB_UUID = "0f3c5a52-9c1e-4b0e-8c7e-2a6f1a3d4b51"


def _pin_link(value: Any) -> dict[str, Any]:
    message = copy.deepcopy(BASE)
    message["LogisticalSample"] = {"Stub1": stub("LogisticalSample", STUB_UUID)}
    pin = next(iter(message["Pin"].values()))
    pin["containerRef"] = value
    return message


@pytest.mark.parametrize(
    "value",
    [
        {"$ref": ["#/Puck/Puck1"]},  # not a text
        {"$ref": {"a": 1}},
        {"$ref": 5},
        {"$ref": None},
        {"$ref": "#/Puck/Nope"},  # no such object
        {"$ref": "#/Pin/Pin2"},  # an object of a type the link does not allow
        {"$ref": "#/LogisticalSample/Stub1"},  # a stub: an external link, with its path
        {"$ref": "#/Puck/Puck1", "mxlimsType": "Puck"},  # announced: the full check
        {"$ref": "#/Puck/Puck1", "mxlimsType": "Dewar"},
        {"$ref": "#/Puck/Puck1", "x": 1},
        {"ref": "#/Puck/Puck1"},
        {},
        ["#/Puck/Puck1"],
        "#/Puck/Puck1",
    ],
)
def test_a_link_of_any_shape_reads_as_the_thorough_reader_reads_it(value: Any) -> None:
    _assert_agree(_pin_link(value))


def test_a_plain_link_is_resolved_on_the_clean_path() -> None:
    message = _pin_link({"$ref": "#/Puck/Puck1"})
    read = read_clean(message, message["version"])
    assert read is not None
    puck = read.keys["Puck/Puck1"]
    pin = next(o for o in read.objects if o["mxlimsType"] == "Pin")
    assert pin["containerId"] == puck
    stubbed = read_clean(_pin_link({"$ref": "#/LogisticalSample/Stub1"}), message["version"])
    assert stubbed is not None
    assert [(link.path, link.target_uuid) for link in stubbed.external_links] == [
        ("Pin/Pin1/containerRef", STUB_UUID)
    ]


def test_a_list_of_links_to_stubs_and_to_the_message_reads_the_same_on_both_paths() -> None:
    """A list's links resolved in one call per list: a stub's link keeps its own path (with
    its index), an announced type is checked, and a wrong one sends the message to the
    thorough reader."""
    message = bench_results(bench_shipment(5, 16)).message
    processing = next(iter(message["MxProcessing"].values()))
    sweep_key = next(iter(message["CollectionSweep"]))
    stored_sweep = new_uuid()
    message["Dataset"] = {"stored": {"uuid": stored_sweep, "mxlimsType": "CollectionSweep"}}
    processing["inputDataRefs"] = [
        {"$ref": f"#/CollectionSweep/{sweep_key}"},
        {"$ref": "#/Dataset/stored"},
        {"$ref": f"#/CollectionSweep/{sweep_key}", "mxlimsType": "CollectionSweep"},
    ]
    clean, thorough = _both(message)
    _assert_same(clean, thorough)
    assert clean is not None
    path = next(p for p, u in clean.keys.items() if u == processing["uuid"])
    assert [(link.path, link.target_uuid) for link in clean.external_links] == [
        (f"{path}/inputDataRefs/1", stored_sweep)
    ]
    processing["inputDataRefs"][2]["mxlimsType"] = "ReflectionSet"  # not what it points at
    assert _both(message)[0] is None
