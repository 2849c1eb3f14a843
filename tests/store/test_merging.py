"""Results come back whole and every site keeps its slots: import policies, RFC 7396 PATCH."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mxlims_store.store import Store
from mxlims_store.store.merging import merge_patch
from tests.conftest import FIXTURES, load_json
from tests.factories import shipment_message


def _pin_message(pin: dict[str, Any], **fields: Any) -> dict[str, Any]:
    bare = {k: v for k, v in pin.items() if not k.endswith("Ref")}
    return {"version": "0.6.13", "Pin": {"Pin1": {**bare, **fields}}}


async def test_the_facility_return_flow_keeps_every_experiments_final_state(
    store: Store,
) -> None:
    shipment = load_json(FIXTURES / "messages" / "shipment.json")
    results = load_json(FIXTURES / "messages" / "results.json")
    await store.import_message(shipment)
    default = await store.import_message(copy.deepcopy(results))  # reject_new: kept, and said
    assert default.differing["MxExperiment"] == 14 and "MxExperiment" not in default.unchanged
    fields = next(v for k, v in default.differing_fields.items() if k.startswith("MxExperiment/"))
    assert {"jobStatus", "startTime", "endTime"} <= set(fields)
    merged = await store.import_message(copy.deepcopy(results), policy="merge")
    assert merged.updated["MxExperiment"] == 14
    one_file = await store.shipment_results(shipment["Shipment"]["Shipment1"]["uuid"])
    experiments = one_file["MxExperiment"].values()
    assert {e["jobStatus"] for e in experiments} == {"Completed"}
    assert all(e["startTime"] and e["endTime"] for e in experiments)
    assert len(one_file["ReflectionSet"]) == 14


@pytest.mark.parametrize("policy", ["update_old", "merge"])
async def test_two_sites_updates_keep_both_sites_slots(store: Store, policy: str) -> None:
    shipment = shipment_message(1)
    await store.import_message(shipment)
    pin = shipment["Pin"]["Pin1"]
    esrf = _pin_message(
        pin,
        extensions={"esrf.fr": {"loopColour": "red", "priority": 1}},
        identifiers={"esrf.fr": "E-1"},
    )
    maxiv = _pin_message(
        pin, extensions={"maxiv.lu.se": {"puckSlot": 4}}, identifiers={"maxiv.lu.se": "M-9"}
    )
    await store.import_message(esrf, policy=policy)
    await store.import_message(maxiv, policy=policy)
    again = _pin_message(pin, extensions={"esrf.fr": {"priority": 2}})
    await store.import_message(again, policy=policy)
    data = (await store.get(pin["uuid"])).data
    assert data["identifiers"] == {"esrf.fr": "E-1", "maxiv.lu.se": "M-9"}
    assert data["extensions"]["maxiv.lu.se"] == {"puckSlot": 4}
    expected = {"priority": 2} if policy == "update_old" else {"loopColour": "red", "priority": 2}
    assert data["extensions"]["esrf.fr"] == expected  # merge: field by field within a slot


# RFC 7396, appendix A, each example as a JSON merge patch of a (hypothetical) document.
RFC_7396_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC_7396_EXAMPLES)
def test_merge_patch_follows_rfc_7396(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


async def test_patch_merges_extensions_per_site_and_null_removes_a_slot(store: Store) -> None:
    shipment = shipment_message(1)
    shipment["Pin"]["Pin1"]["extensions"] = {
        "esrf.fr": {"loopColour": "red", "priority": 1},
        "maxiv.lu.se": {"puckSlot": 4},
    }
    await store.import_message(shipment)
    uuid = shipment["Pin"]["Pin1"]["uuid"]
    # the RFC's nested example, for an MXLIMS object: change one field, drop another
    patched = await store.update(
        uuid, {"extensions": {"esrf.fr": {"priority": 2, "loopColour": None}}}, revision=1
    )
    assert patched.data["extensions"] == {
        "esrf.fr": {"priority": 2},
        "maxiv.lu.se": {"puckSlot": 4},
    }
    removed = await store.update(uuid, {"extensions": {"esrf.fr": None}}, revision=2)
    assert removed.data["extensions"] == {"maxiv.lu.se": {"puckSlot": 4}}
    cleared = await store.update(uuid, {"barcode": None}, revision=3)
    assert "barcode" not in cleared.data
