"""The clean path of reading gives exactly the thorough reader's result, wherever it answers.

``read_clean`` (one quick walk, sections validated by pydantic-core straight to the store form)
must give a ReadResult equal to ``read_thorough`` (the value-by-value reader and its model
dumps), key order included, and must give up (None) on every message the thorough reader
refuses. Checked over the fixtures, every official example, generated bench shipments and
results, a message of every type, and random variants of them (nulls, ints in float fields,
whole floats in int fields, odd date-times, extensions of any JSON, bad names, links and uuids).
"""

from __future__ import annotations

import copy
import gc
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bench.generate import results as bench_results
from bench.generate import shipment as bench_shipment
from mxlims_store.errors import InvalidMessage
from mxlims_store.messages import read_message
from mxlims_store.messages.clean_read import _Shape, _shape, read_clean
from mxlims_store.messages.jsontext import Underflow
from mxlims_store.messages.reader import read_thorough
from mxlims_store.messages.result import ReadResult
from mxlims_store.messages.store_form import store_form_validator
from mxlims_store.messages.versions import UPGRADES
from mxlims_store.model.links import FOREIGN_KEY_FIELDS, ref_key_for
from mxlims_store.model.registry import ALL_TYPES, CORE_TYPES, OBJECT_TYPES
from tests.conftest import FIXTURES, REFERENCE, from_reference, load_json, needs_shared
from tests.factories import minimal, new_uuid, results_message, shipment_message, stub

SEED = "clean-path-test"  # objects without a uuid get the same one on both paths
EXAMPLES = sorted(REFERENCE.glob("*/messages/*/valid/*.json"))


def _both(message: dict[str, Any]) -> tuple[ReadResult | None, ReadResult | InvalidMessage]:
    """(clean path's result or None, thorough reader's result or its refusal)."""
    upgraded = UPGRADES[message["version"]](copy.deepcopy(message), [])
    clean = read_clean(copy.deepcopy(upgraded), str(upgraded["version"]), SEED)
    try:
        thorough: ReadResult | InvalidMessage = read_thorough(upgraded, SEED)
    except InvalidMessage as refusal:
        thorough = refusal
    return clean, thorough


def _assert_same(clean: ReadResult | None, thorough: ReadResult | InvalidMessage) -> None:
    assert clean is not None
    assert isinstance(thorough, ReadResult), thorough
    assert clean == thorough
    # equal dicts may still differ in key order, which the stored JSON would show
    assert json.dumps(clean.objects) == json.dumps(thorough.objects)
    assert list(clean.keys.items()) == list(thorough.keys.items())
    assert list(clean.stubs.items()) == list(thorough.stubs.items())


def _assert_agree(message: dict[str, Any]) -> None:
    """Where the clean path answers, the thorough reader gives the same result."""
    clean, thorough = _both(message)
    if clean is not None:
        _assert_same(clean, thorough)


def _every_type() -> dict[str, Any]:
    """A message with one object of every concrete type and a stub of every core type."""
    message: dict[str, Any] = {"version": "0.6.13"}
    for type_name in OBJECT_TYPES:
        # a deep copy: minimal() shares the factory's nested values, which variants change
        message[type_name] = {f"{type_name}1": copy.deepcopy(minimal(type_name, uuid=new_uuid()))}
    for core in CORE_TYPES:
        message[core] = {f"{core}1": stub(core)}
    return message


def _bench_messages() -> list[dict[str, Any]]:
    sent = bench_shipment(7, 40)
    return [sent.message, bench_results(sent).message]


def _factory_messages() -> list[dict[str, Any]]:
    shipment = shipment_message(6, experiments=True)
    return [shipment, results_message(shipment), _every_type()]


FIXTURE_FILES = sorted((FIXTURES / "messages").glob("*.json"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixtures_take_the_clean_path_and_agree(path: Path) -> None:
    _assert_same(*_both(load_json(path)))


@needs_shared
@pytest.mark.parametrize("path", from_reference(EXAMPLES), ids=lambda p: str(p)[-60:])
def test_official_examples_agree(path: Path) -> None:
    message = load_json(path)
    clean, thorough = _both(message)
    if isinstance(thorough, ReadResult):  # every example we read takes the clean path too
        _assert_same(clean, thorough)
    else:
        assert clean is None


@needs_shared
def test_most_official_examples_take_the_clean_path() -> None:
    answered = [p for p in EXAMPLES if _both(load_json(p))[0] is not None]
    assert len(answered) >= len(EXAMPLES) - 3, sorted(set(EXAMPLES) - set(answered))


def test_generated_shipments_and_results_take_the_clean_path_and_agree() -> None:
    for message in _bench_messages() + _factory_messages():
        _assert_same(*_both(message))


def test_read_message_answers_with_the_clean_result() -> None:
    message = _bench_messages()[1]
    assert read_message(message, uuid_seed=SEED) == _both(message)[0]


# --- random variants ---------------------------------------------------------------------

DATETIMES = [
    "2025-03-01T08:00:00Z",
    "2025-03-01T08:00:00+01:00",
    "2025-03-01T08:00:00.123456-05:30",
    "2025-03-01T08:00:00",
    "2025-02-30T08:00:00Z",
    "2025-03-01 08:00:00Z",
    "2025-03-01T24:00:00Z",
]
ODD_TEXT = [
    "x" * 201,
    "x" * 65_537,
    "a\nb",
    "a\x00b",
    "tab\there",
    "esc\x1b",
    "bad\ud800",
    "ü",
    "",
    "Completed",
    "OSC",
    "omega",
    "spine",
    "6f1c3f7e-2b8a-4c1e-9a55-0d3e8b7c4a21",
    "6F1C3F7E-2B8A-4C1E-9A55-0D3E8B7C4A21",
    "6f1c3f7e-2b8a-4c1e-9a55-0d3e8b7c4a21\n",
    "https://example.org/x",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.sampled_from([0, 1, -1, 3600, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**70])
    | st.integers()
    | st.sampled_from([0.0, 1.0, 2.0, 3600.0, -1.0, 0.5, 1e300, float("inf"), Underflow(0.0)])
    | st.floats(allow_nan=False)
    | st.sampled_from(DATETIMES + ODD_TEXT)
    | st.text(max_size=4)
)
KEYS = st.sampled_from(["a", "esrf.fr", "x.y", "$x", "nul\x00", "name", "ü"]) | st.text(max_size=3)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


def _message_fields(type_name: str) -> list[str]:
    fields = [
        ref_key_for(name) if name in FOREIGN_KEY_FIELDS else name
        for name in ALL_TYPES[type_name].model_fields
    ]
    return [*fields, "containerId", "bogus", "$x"]


def _mutate(message: dict[str, Any], data: st.DataObject) -> None:
    """One change somewhere in ``message``: a field set, added or removed, a link re-aimed,
    an extension added, an entry added or re-keyed."""
    sections = [k for k in message if k != "version"]
    type_name = data.draw(st.sampled_from(sections))
    key = data.draw(st.sampled_from(sorted(message[type_name])))
    target = message[type_name][key]
    anywhere = [(t, k) for t in sections for k in message[t]]
    kind = data.draw(
        st.sampled_from(
            ["benign", "benign", "set", "remove", "link", "extension", "entry", "rekey"]
        )
    )
    if kind == "benign":  # a change the model normalises, or none at all
        _benign(target, data)
    elif kind == "set":
        field = data.draw(st.sampled_from(_message_fields(type_name)))
        target[field] = data.draw(VALUES)
    elif kind == "remove" and target:
        del target[data.draw(st.sampled_from(sorted(target)))]
    elif kind == "link":
        field = data.draw(st.sampled_from(_message_fields(type_name)))
        t, k = data.draw(st.sampled_from(anywhere))
        link: dict[str, Any] = {"$ref": data.draw(st.sampled_from([f"#/{t}/{k}", f"#/{t}/nope"]))}
        if data.draw(st.booleans()):
            link["mxlimsType"] = data.draw(st.sampled_from([*ALL_TYPES, t]))
        target[field] = [link] if field.endswith("Refs") else link
    elif kind == "extension":
        domain = data.draw(st.sampled_from(["esrf.fr", "not a domain", "a.b"]))
        target["extensions"] = {domain: data.draw(st.dictionaries(KEYS, VALUES, max_size=3))}
    elif kind == "entry":
        core = data.draw(st.sampled_from(sorted(CORE_TYPES)))
        entry = data.draw(
            st.sampled_from(
                [stub(core), {"uuid": target.get("uuid")}, {"mxlimsType": "Pin", "uuid": "x"}]
            )
        )
        message.setdefault(core, {})[f"{core}X"] = entry
    elif kind == "rekey":
        message[type_name][data.draw(st.sampled_from(["a/b", "", "K2", key]))] = copy.deepcopy(
            target
        )


PLAIN_KEYS = st.sampled_from(["a", "b_c", "Zz", "ü"])
PLAIN_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(PLAIN_KEYS, inner, max_size=3),
    max_leaves=8,
)


def _benign(target: dict[str, Any], data: st.DataObject) -> None:
    floats = [k for k, v in target.items() if type(v) is float]
    change = data.draw(st.sampled_from(["int", "time", "extension", "annotation", "none"]))
    if change == "int" and floats:
        field = data.draw(st.sampled_from(floats))
        target[field] = data.draw(st.integers(0, 10**6) | st.sampled_from([1, 2]))
    elif change == "time" and target.get("mxlimsType") == "MxExperiment":
        target[data.draw(st.sampled_from(["startTime", "endTime"]))] = data.draw(
            st.sampled_from(DATETIMES)
        )
    elif change == "extension":
        target["extensions"] = {"esrf.fr": data.draw(st.dictionaries(PLAIN_KEYS, PLAIN_JSON))}
    elif change == "annotation":
        target["annotation"] = data.draw(st.sampled_from(["line\nbreak", "tab\t", "ü", ""]))


BASES = [*_factory_messages(), *_bench_messages()[:1], load_json(FIXTURE_FILES[0])]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.sampled_from(range(len(BASES))), st.integers(1, 3), st.data())
def test_random_variants_agree(base: int, changes: int, data: st.DataObject) -> None:
    message = copy.deepcopy(BASES[base])
    for _ in range(changes):
        _mutate(message, data)
    _assert_agree(message)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["exposureTime", "imageWidth"]), st.integers(-5, 10**6))
def test_ints_in_float_fields_are_read_as_floats_on_both_paths(field: str, value: int) -> None:
    message = copy.deepcopy(_bench_messages()[0])
    message["CollectionSweep"]["CollectionSweep1"][field] = value
    clean, thorough = _both(message)
    if isinstance(thorough, ReadResult):
        _assert_same(clean, thorough)
        [sweep] = [o for o in thorough.objects if o["mxlimsType"] == "CollectionSweep"][:1]
        assert type(sweep[field]) is float
    else:
        assert clean is None


def test_whole_floats_in_int_fields_take_the_thorough_path_and_read_as_ints() -> None:
    message = copy.deepcopy(_bench_messages()[0])
    message["CollectionSweep"]["CollectionSweep1"]["numberImages"] = 3600.0
    clean, thorough = _both(message)
    assert clean is None
    assert isinstance(thorough, ReadResult)
    assert read_message(message, uuid_seed=SEED) == thorough
    sweeps = [o for o in thorough.objects if o["mxlimsType"] == "CollectionSweep"]
    assert type(sweeps[0]["numberImages"]) is int


def test_every_type_is_validated_straight_to_the_store_form() -> None:
    """The typed-dict rewrite carries every model (else that type reads through the model)."""
    assert [t for t in OBJECT_TYPES if store_form_validator(OBJECT_TYPES[t]) is None] == []


def test_the_model_fallback_gives_what_the_rewrite_gives() -> None:
    """Where the rewrite cannot carry a model, the section goes through the model and its
    dump: the same documents come out either way."""
    messages = [*_bench_messages(), *_factory_messages(), *map(load_json, FIXTURE_FILES)]
    messages += [m for m in map(load_json, EXAMPLES) if m["version"] == "0.6.13"]
    for message in messages:
        result = read_clean(message, "0.6.13", SEED)
        if result is None:  # an example we refuse
            continue
        for type_name in {o["mxlimsType"] for o in result.objects}:
            documents = [
                _store_form_input(o) for o in result.objects if o["mxlimsType"] == type_name
            ]
            shape = _shape(type_name)
            fallback = _Shape(shape.fields, shape.model, None)
            assert json.dumps(fallback.store_form(documents)) == json.dumps(
                shape.store_form(documents)
            )


def _store_form_input(document: dict[str, Any]) -> dict[str, Any]:
    """A store-form document with its whole floats written as ints (read back as floats)."""
    return {k: int(v) if type(v) is float and v.is_integer() else v for k, v in document.items()}


def _containers(value: Any) -> set[int]:
    if isinstance(value, dict):
        return {id(value)}.union(*map(_containers, value.values()))
    if isinstance(value, list):
        return {id(value)}.union(*map(_containers, value))
    return set()


def test_the_result_shares_no_container_with_the_message() -> None:
    """As the model's dump did: changing the result never changes the message, or back."""
    message = _every_type()
    message["Pin"]["Pin1"]["extensions"] = {"esrf.fr": {"a": [1, {"b": [2.5]}], "c": None}}
    message["Pin"]["Pin1"]["identifiers"] = {"esrf.fr": "P-1"}
    result = read_clean(message, "0.6.13", SEED)
    assert result is not None
    assert _containers(result.objects) & _containers(message) == set()
    [pin] = [o for o in result.objects if o["mxlimsType"] == "Pin"]
    assert pin["extensions"] == message["Pin"]["Pin1"]["extensions"]


def _broken_by_an_after_rule(case: str) -> dict[str, Any]:
    message = _every_type()
    if case == "dataset with two origins":
        sweep = message["CollectionSweep"]["CollectionSweep1"]
        sweep["sourceRef"] = {"$ref": "#/MxExperiment/MxExperiment1"}
        message["CollectionSweep"]["CollectionSweep2"] = minimal("CollectionSweep")
        sweep["derivedFromRef"] = {"$ref": "#/CollectionSweep/CollectionSweep2"}
    elif case == "unreachable contact":
        message["Shipment"]["Shipment1"]["labContactOutbound"] = {"name": "Bob"}
    else:  # an image both inline and by url
        image = message["DropRegion"]["DropRegion1"]["region"]["image"]
        image["data"] = "iVBORw0KGgo="
    return message


@pytest.mark.parametrize(
    "case", ["dataset with two origins", "unreachable contact", "image inline and by url"]
)
def test_rules_of_the_models_validators_hold_on_the_clean_path(case: str) -> None:
    clean, thorough = _both(_broken_by_an_after_rule(case))
    assert clean is None
    assert isinstance(thorough, InvalidMessage)


def test_an_after_validator_sees_the_dict_as_its_model() -> None:
    validator = store_form_validator(OBJECT_TYPES["CollectionSweep"])
    assert validator is not None
    sweep = {"mxlimsType": "CollectionSweep", "scanAxis": "omega", "sourceId": new_uuid()}
    assert validator.validate_python([sweep]) == [sweep]
    with pytest.raises(ValidationError, match="sourceId or a derivedFromId"):
        validator.validate_python([{**sweep, "derivedFromId": new_uuid()}])


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(enabled: bool) -> None:
    """The clean path pauses the cyclic collector while it reads, never longer."""
    good, bad = _every_type(), {"version": "0.6.13", "Pin": {"Pin1": {"mxlimsType": "Crystal"}}}
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        for message in (good, bad):
            read_clean(message, "0.6.13", SEED)
            assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
