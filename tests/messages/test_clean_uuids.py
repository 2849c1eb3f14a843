"""The clean read's uuids: checked once, while indexing and by the model, never in its
document loop; a uuid used twice (two objects, an object and a stub) sends the message to the
thorough reader, which says where."""

from __future__ import annotations

from typing import Any

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.messages import read_message
from mxlims_store.messages.clean_read import read_clean

UUID = "abcdef00-0000-4000-8000-000000000000"
OTHER = "abcdef00-0000-4000-8000-000000000001"


def _protein(uuid: Any, acronym: str = "A") -> dict[str, Any]:
    return {"mxlimsType": "Macromolecule", "uuid": uuid, "acronym": acronym, "name": "n"}


def test_a_clean_message_keeps_its_uuids_and_types() -> None:
    message = {"version": "0.6.13", "Macromolecule": {"M1": _protein(UUID)}}
    read = read_clean(message, "0.6.13")
    assert read is not None
    assert read.objects == [
        {"mxlimsType": "Macromolecule", "uuid": UUID, "acronym": "A", "name": "n"}
    ]
    assert list(read.objects[0]) == list(read_message(message).objects[0])  # the model's order


@pytest.mark.parametrize(
    "sections",
    [
        {"Macromolecule": {"M1": _protein(UUID), "M2": _protein(UUID, "B")}},
        {
            "Macromolecule": {"M1": _protein(UUID)},
            "Sample": {"S1": {"mxlimsBaseType": "Sample", "uuid": UUID}},
        },
    ],
    ids=["two objects", "an object and a stub"],
)
def test_a_uuid_used_twice_is_the_thorough_reader_s(sections: dict[str, Any]) -> None:
    message = {"version": "0.6.13", **sections}
    assert read_clean(message, "0.6.13") is None
    with pytest.raises(InvalidMessage) as refused:
        read_message(message)
    assert any(UUID in p.message for p in refused.value.problems)


@pytest.mark.parametrize(
    "uuid",
    ["\ud800", "x" * 5000, UUID.upper(), "not-a-uuid"],
    ids=["surrogate", "long", "upper", "text"],
)
def test_a_bad_uuid_is_the_thorough_reader_s(uuid: str) -> None:
    message = {"version": "0.6.13", "Macromolecule": {"M1": _protein(uuid), "M2": _protein(OTHER)}}
    assert read_clean(message, "0.6.13") is None
    with pytest.raises(InvalidMessage) as refused:
        read_message(message)
    assert [p.path for p in refused.value.problems] == ["Macromolecule/M1/uuid"]
