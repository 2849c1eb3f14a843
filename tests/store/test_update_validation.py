"""Objects an import updates are validated together, a type at a time; where the merge of one
breaks a rule of its model, the import is refused with that object's own problem, as when each
was validated alone, and nothing is stored."""

from __future__ import annotations

import copy
import uuid

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.messages.clean_read import store_valid
from mxlims_store.store import Store
from tests.factories import results_message, shipment_message


async def test_an_update_whose_merge_breaks_a_rule_is_refused_with_its_problem(
    store: Store,
) -> None:
    shipment = shipment_message(2)
    await store.import_message(shipment)
    results = results_message(shipment)
    await store.import_message(results)
    again = copy.deepcopy(results)
    sets = again["ReflectionSet"]
    sets["ReflectionSet2"] = dict(sets["ReflectionSet1"], uuid=str(uuid.uuid4()))  # new, valid
    stored_set = sets["ReflectionSet1"]
    del stored_set["sourceRef"]  # alone: one origin; merged over the stored sourceId: two
    stored_set["derivedFromRef"] = {"$ref": "#/ReflectionSet/ReflectionSet2"}
    again["MxExperiment"]["MxExperiment1"]["jobStatus"] = "Completed"  # a valid update beside
    with pytest.raises(InvalidMessage) as refused:
        await store.import_message(again, policy="update_old")
    problems = [(p.path, p.message) for p in refused.value.problems]
    assert len(problems) == 1
    assert problems[0][0] == "ReflectionSet/ReflectionSet1"
    assert "a sourceId or a derivedFromId, not both" in problems[0][1]
    (experiment,) = await store.db.find(
        "jobs", {"_id": again["MxExperiment"]["MxExperiment1"]["uuid"]}
    )
    assert experiment["_meta"]["revision"] == 1  # nothing of the refused import stored
    assert not await store.db.find("datasets", {"_id": sets["ReflectionSet2"]["uuid"]})
    # each alone, and together, the updates a plan validates at once say the same
    del again["ReflectionSet"]
    report = await store.import_message(again, policy="update_old")
    assert report.updated == {"MxExperiment": 1}


def test_objects_are_valid_together_only_where_each_is() -> None:
    fine = {"mxlimsType": "Crystal", "uuid": "0f2a5c1e-1b2c-4d3e-8f40-5a6b7c8d9e0f", "name": "x"}
    both = {
        "mxlimsType": "ReflectionSet",
        "uuid": "1f2a5c1e-1b2c-4d3e-8f40-5a6b7c8d9e0f",
        "sourceId": "2f2a5c1e-1b2c-4d3e-8f40-5a6b7c8d9e0f",
        "derivedFromId": "3f2a5c1e-1b2c-4d3e-8f40-5a6b7c8d9e0f",
    }
    assert store_valid([fine, dict(fine, uuid="4f2a5c1e-1b2c-4d3e-8f40-5a6b7c8d9e0f")])
    assert not store_valid([fine, both])
    assert not store_valid([fine, dict(fine, name=None)])  # null: refused, as by the model
    assert not store_valid([{"mxlimsType": "NoSuchType", "uuid": fine["uuid"]}])
