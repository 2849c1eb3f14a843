"""The reader and the official schema agree on what is an MXLIMS message (the README lists the
deliberate deviations); duplicate keys, readable errors, capped problem lists, source versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mxlims_store.errors import MAX_PROBLEMS, InvalidMessage
from mxlims_store.messages import read_message
from mxlims_store.messages.jsontext import loads
from tests.acting import admin_store
from tests.conftest import REFERENCE, conformance_errors
from tests.factories import new_uuid, shipment_message, stub


def _pin(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    message = shipment_message(1)
    change(message["Pin"]["Pin1"])
    return message


def _with(core: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The valid shipment with one more entry under a core key (``Job`` ...)."""
    return {**shipment_message(1), core: {f"{core}1": entry}}


SHIPMENT = ("ShipmentMessage",)
# The official schemas differ on the core keys: ShipmentMessage has none, MxlimsMessage holds
# only stubs there (MxlimsMessageStrict does not look at them at all): both must agree with us.
CORE_KEYS = ("ShipmentMessage", "MxlimsMessage")
A_FIELD = {  # one field of each core class, with a valid value
    "LogisticalSample": {"name": "box"},
    "Sample": {"name": "lysozyme"},
    "Job": {"startTime": "2024-05-01T12:00:00Z"},
    "Dataset": {"role": "result"},
}

# case -> (message, valid, the official schemas that must say the same)
CASES: dict[str, tuple[dict[str, Any], bool, tuple[str, ...]]] = {
    "valid": (shipment_message(1), True, CORE_KEYS),
    "no-mxlimsType": (_pin(lambda p: p.pop("mxlimsType")), False, SHIPMENT),
    "null-mxlimsType": (_pin(lambda p: p.update(mxlimsType=None)), False, SHIPMENT),
    "null-uuid": (_pin(lambda p: p.update(uuid=None)), False, SHIPMENT),
    "whole-float-integer": (_pin(lambda p: p.update(positionInPuck=3.0)), True, SHIPMENT),
    "exponent-integer": (_pin(lambda p: p.update(positionInPuck=1e1)), True, SHIPMENT),
    "fractional-integer": (_pin(lambda p: p.update(positionInPuck=2.5)), False, SHIPMENT),
    "empty-section": ({**shipment_message(1), "Plate": {}}, False, SHIPMENT),
    **{
        f"generic-{core}": (_with(core, {"mxlimsType": core}), False, CORE_KEYS) for core in A_FIELD
    },
    **{
        f"generic-{core}-with-fields": (
            _with(core, {"mxlimsType": core, "uuid": new_uuid(), **field}),
            False,
            CORE_KEYS,
        )
        for core, field in A_FIELD.items()
    },
    **{
        f"stub-{core}-with-fields": (
            _with(core, {**stub(core), **field}),
            False,
            CORE_KEYS,
        )
        for core, field in A_FIELD.items()
    },
}

# Deliberate deviations (README, "Deviations from the official schemas"): our verdict, theirs.
DEVIATIONS: dict[str, tuple[dict[str, Any], bool, str, bool]] = {
    # the official stub schemas require mxlimsType but allow only mxlimsBaseType and uuid
    # (upstream defect 3), so no link to a stored object could ever be written
    "stub-link-to-a-stored-object": (
        {**shipment_message(1), "Job": {"Job1": stub("Job")}},
        True,
        "MxlimsMessage",
        False,
    ),
}


def _ours(message: dict[str, Any]) -> bool:
    try:
        read_message(message)
    except InvalidMessage:
        return False
    return True


@pytest.mark.parametrize("case", list(CASES))
def test_the_reader_agrees_with_the_official_schema(case: str) -> None:
    message, valid, schemas = CASES[case]
    assert _ours(message) is valid
    if REFERENCE.is_dir():
        for schema in schemas:
            assert (conformance_errors(message, schema) == []) is valid, schema


@pytest.mark.parametrize("case", list(DEVIATIONS))
def test_the_listed_deviations_are_what_the_readme_says(case: str) -> None:
    message, ours, schema, theirs = DEVIATIONS[case]
    assert _ours(message) is ours
    if REFERENCE.is_dir():
        assert (conformance_errors(message, schema) == []) is theirs


def test_a_generic_object_is_refused_naming_its_path_and_the_concrete_types() -> None:
    with pytest.raises(InvalidMessage) as caught:
        read_message(_with("Job", {"mxlimsType": "Job", "uuid": new_uuid(), "jobStatus": "Failed"}))
    [problem] = caught.value.problems
    assert problem.path == "Job/Job1"
    assert "MxExperiment, MxProcessing, VolumeScan" in problem.message
    assert "'jobStatus'" in problem.message  # why it is not taken for a stub


def test_a_whole_float_is_stored_as_an_integer() -> None:
    read = read_message(_pin(lambda p: p.update(positionInPuck=3.0)))
    [pin] = [o for o in read.objects if o["mxlimsType"] == "Pin"]
    assert pin["positionInPuck"] == 3 and isinstance(pin["positionInPuck"], int)


@pytest.mark.parametrize(
    "text",
    [
        '{"version": "9.9", "version": "0.6.13"}',
        '{"version": "0.6.13", "Pin": {"Pin1": {"mxlimsType": "Pin"}, "Pin1": {}}}',
    ],
)
def test_a_key_given_twice_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="given twice"):
        loads(text)


def test_errors_name_the_value_and_a_few_close_matches() -> None:
    message = shipment_message(1, experiments=True)
    message["MxExperiment"]["MxExperiment1"]["expectedSpaceGroupName"] = "P 21 21 2l"
    message["Pin"]["Pin1"]["uuid"] = "NOT-A-UUID"
    with pytest.raises(InvalidMessage) as caught:
        read_message(message)
    said = {p.path: p.message for p in caught.value.problems}
    group = said["MxExperiment/MxExperiment1/expectedSpaceGroupName"]
    assert "did you mean" in group and "'P 21 21 21'" in group and len(group) < 200
    assert "RFC 4122" in said["Pin/Pin1/uuid"] and "^" not in said["Pin/Pin1/uuid"]
    # the bad uuid is reported once, not again for every link to the pin
    assert not [p for p in said if "logisticalSampleRef" in p]


def test_problem_lists_are_capped_and_counted() -> None:
    message = shipment_message(1)
    message["Pin"] = {f"Pin{n}": {"mxlimsType": "Pin", "positionInPuck": -1} for n in range(3000)}
    with pytest.raises(InvalidMessage) as caught:
        read_message(message)
    assert len(caught.value.problems) == MAX_PROBLEMS and caught.value.total >= 3000
    assert caught.value.message.startswith(f"{caught.value.total} problem(s)")
    assert len(json.dumps(caught.value.to_dict())) < 1_000_000


async def test_the_message_version_is_kept_with_each_object(tmp_path: Any) -> None:
    from mxlims_store.store.backends.sqlite import SqliteBackend

    backend = SqliteBackend(tmp_path / "v.sqlite3")
    store = admin_store(backend)
    await store.init()
    message = {**shipment_message(1), "version": "0.6.12"}
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    assert (await store.get(pin)).meta["sourceVersion"] == "0.6.12"
    assert (await store.history(pin))[0]["sourceVersion"] == "0.6.12"
    await backend.close()


def test_a_message_of_too_many_objects_is_refused_before_it_is_read() -> None:
    from mxlims_store.messages.reader import MAX_OBJECTS

    pins = {f"P{n}": {} for n in range(MAX_OBJECTS + 1)}
    with pytest.raises(InvalidMessage, match="split it") as caught:
        read_message({"version": "0.6.13", "Pin": pins})
    assert caught.value.total == 1
