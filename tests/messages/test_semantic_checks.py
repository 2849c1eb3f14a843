"""What JSON schema cannot see: each semantic check of the reader, with its JSON path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.messages import SUPPORTED_VERSIONS, read_message, write_message
from tests.factories import minimal, new_uuid, ref, shipment_message


def problems_of(message: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidMessage) as caught:
        read_message(message)
    return [(p.path, p.message) for p in caught.value.problems]


@pytest.fixture
def shipment() -> dict[str, Any]:
    return shipment_message(4)


def test_a_good_message_reads(shipment: dict[str, Any]) -> None:
    result = read_message(shipment)
    assert len(result.objects) == 1 + 1 + 1 + 4 + 4 + 1
    assert result.keys["Pin/Pin3"] == shipment["Pin"]["Pin3"]["uuid"]
    pin = next(o for o in result.objects if o["uuid"] == shipment["Pin"]["Pin1"]["uuid"])
    assert pin["containerId"] == shipment["Puck"]["Puck1"]["uuid"]
    assert "containerRef" not in pin


def test_dangling_reference(shipment: dict[str, Any]) -> None:
    shipment["Pin"]["Pin3"]["containerRef"] = ref("Puck", 9)
    [(path, message)] = problems_of(shipment)
    assert path == "Pin/Pin3/containerRef"
    assert "dangling" in message and "#/Puck/Puck9" in message


def test_duplicate_uuid(shipment: dict[str, Any]) -> None:
    shipment["Pin"]["Pin2"]["uuid"] = shipment["Pin"]["Pin1"]["uuid"]
    [(path, message)] = problems_of(shipment)
    assert path == "Pin/Pin2/uuid" and "Pin/Pin1" in message


def test_link_to_a_forbidden_type(shipment: dict[str, Any]) -> None:
    shipment["Dewar"]["Dewar1"]["containerRef"] = ref("Puck", 1)  # a Dewar in a Puck
    [(path, message)] = problems_of(shipment)
    assert path == "Dewar/Dewar1/containerRef"
    assert "Shipment" in message and "not Puck" in message


def test_unknown_object_type(shipment: dict[str, Any]) -> None:
    shipment["Cassette"] = {"Cassette1": {}}
    [(path, message)] = problems_of(shipment)
    assert path == "Cassette" and "unknown object type" in message


def test_unsupported_version(shipment: dict[str, Any]) -> None:
    shipment["version"] = "0.5.0"
    [(path, message)] = problems_of(shipment)
    assert path == "version"
    assert all(v in message for v in SUPPORTED_VERSIONS)


def test_missing_version(shipment: dict[str, Any]) -> None:
    del shipment["version"]
    assert problems_of(shipment)[0][0] == "version"


def test_unknown_link_key(shipment: dict[str, Any]) -> None:
    shipment["Puck"]["Puck1"]["sampleRef"] = ref("MacromoleculeSample", 1)
    [(path, message)] = problems_of(shipment)
    assert path == "Puck/Puck1/sampleRef" and "no link" in message


def test_store_form_links_are_refused_in_messages(shipment: dict[str, Any]) -> None:
    shipment["Pin"]["Pin1"]["containerId"] = shipment["Puck"]["Puck1"]["uuid"]
    assert problems_of(shipment)[0][0] == "Pin/Pin1/containerId"


@pytest.mark.parametrize(
    "bad_uuid",
    ["0196F23A-DCE0-2560-BAAC-F1B23EC9E0DD", "0196f23a-dce0-7560-baac-f1b23ec9e0dd", "pin-1", 17],
)
def test_bad_uuids(shipment: dict[str, Any], bad_uuid: Any) -> None:
    shipment["Pin"]["Pin1"]["uuid"] = bad_uuid
    [(path, _)] = problems_of(shipment)
    assert path == "Pin/Pin1/uuid"


def test_model_errors_carry_the_json_path(shipment: dict[str, Any]) -> None:
    shipment["Pin"]["Pin2"]["positionInPuck"] = 0
    shipment["Puck"]["Puck1"]["numberPositions"] = "sixteen"
    paths = {p for p, _ in problems_of(shipment)}
    assert paths == {"Pin/Pin2/positionInPuck", "Puck/Puck1/numberPositions"}


def test_every_problem_is_reported_at_once(shipment: dict[str, Any]) -> None:
    shipment["Pin"]["Pin1"]["containerRef"] = ref("Puck", 7)
    shipment["Pin"]["Pin2"]["uuid"] = shipment["Pin"]["Pin3"]["uuid"]
    shipment["Dewar"]["Dewar1"]["containerRef"] = ref("Dewar", 1)
    shipment["Pin"]["Pin4"]["positionInPuck"] = -2
    shipment["Gadget"] = {}
    assert len(problems_of(shipment)) == 5


def test_mxlims_type_must_match_its_key(shipment: dict[str, Any]) -> None:
    shipment["Pin"]["Pin1"]["mxlimsType"] = "Crystal"
    assert problems_of(shipment)[0][0] == "Pin/Pin1/mxlimsType"


def test_missing_uuids_are_assigned_and_seeded_uuids_repeat(shipment: dict[str, Any]) -> None:
    for pin in shipment["Pin"].values():
        del pin["uuid"]
    first = read_message(shipment).keys
    assert read_message(shipment).keys != first  # fresh uuid4 without a seed
    assert read_message(shipment, uuid_seed="s").keys == read_message(shipment, uuid_seed="s").keys


def test_not_a_message() -> None:
    assert problems_of(["Pin"])[0][0] == ""


def test_lenient_stub_links_are_external() -> None:
    experiment = new_uuid()
    message = {
        "version": "0.6.13",
        "Job": {"Job1": {"mxlimsBaseType": "Job", "uuid": experiment}},
        "CollectionSweep": {
            "CollectionSweep1": minimal("CollectionSweep", sourceRef={"$ref": "#/Job/Job1"})
        },
    }
    result = read_message(message)
    [link] = result.external_links
    assert link.target_uuid == experiment and link.rule.field == "sourceId"
    assert result.stubs == {experiment: "Job"}
    assert [o["mxlimsType"] for o in result.objects] == ["CollectionSweep"]


def test_stub_announcing_a_forbidden_type() -> None:
    message = {
        "version": "0.6.13",
        "Job": {
            "Job1": {"mxlimsBaseType": "Job", "mxlimsType": "MxProcessing", "uuid": new_uuid()}
        },
        "CollectionSweep": {
            "CollectionSweep1": minimal("CollectionSweep", sourceRef={"$ref": "#/Job/Job1"})
        },
    }
    [(path, message_text)] = problems_of(message)
    assert path == "CollectionSweep/CollectionSweep1/sourceRef" and "MxProcessing" in message_text


@pytest.mark.parametrize("announced", [{}, ["Sample"], 3], ids=["object", "list", "number"])
def test_a_stub_announcing_a_type_that_is_no_text_is_refused(announced: Any) -> None:
    """Schemathesis found this one: a stub's mxlimsType that is no string was looked up as a
    type name (a dict: TypeError, a 500)."""
    message = {
        "version": "0.6.13",
        "Sample": {"Sample1": {"mxlimsType": announced, "uuid": new_uuid()}},
    }
    [(path, message_text)] = problems_of(message)
    assert path == "Sample/Sample1/mxlimsType" and "cannot announce" in message_text


def test_a_real_cc_half_of_0_95_is_accepted() -> None:
    stats = {"resolutionLimits": [40.0, 1.8], "CC_one_half": 0.95, "CC_ano": -0.1}
    message = {
        "version": "0.6.13",
        "ReflectionSet": {
            "ReflectionSet1": minimal("ReflectionSet", reflectionStatisticsOverall=stats)
        },
    }
    [obj] = read_message(message).objects
    assert obj["reflectionStatisticsOverall"]["CC_one_half"] == 0.95


def test_writer_emits_stubs_for_missing_targets(shipment: dict[str, Any]) -> None:
    objects = [o for o in read_message(shipment).objects if o["mxlimsType"] == "Pin"]
    lenient = write_message(objects)
    assert set(lenient["LogisticalSample"]) == {"LogisticalSample1"}  # the one puck
    assert lenient["Pin"]["Pin1"]["containerRef"] == {
        "$ref": "#/LogisticalSample/LogisticalSample1"
    }


def test_write_then_read_is_lossless(shipment: dict[str, Any]) -> None:
    first = read_message(shipment).objects
    again = read_message(write_message(copy.deepcopy(first))).objects
    assert sorted(again, key=lambda o: o["uuid"]) == sorted(first, key=lambda o: o["uuid"])


@pytest.mark.parametrize("version", [[], {}, 0.613, None], ids=["list", "dict", "number", "null"])
def test_a_version_of_the_wrong_type_is_refused(version: Any) -> None:
    assert problems_of({"version": version})[0][0] == "version"
