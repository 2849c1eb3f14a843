"""The official example messages read, normalise, and come back valid and unchanged in content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mxlims_store.messages import read_message, write_message
from tests.conftest import REFERENCE, conformance_errors, from_reference, load_json, needs_shared

pytestmark = needs_shared

EXAMPLES = sorted((REFERENCE / "0.6.13" / "messages").glob("*/valid/*.json"))
OLDER = sorted((REFERENCE).glob("0.6.1[12]/messages/*/valid/*.json"))


def _id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.stem}"


def _by_uuid(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Objects by uuid with links resolved to the target's uuid, so key renaming doesn't matter."""
    uuid_of = {
        f"#/{t}/{k}": o["uuid"]
        for t, objs in message.items()
        if t != "version"
        for k, o in objs.items()
    }
    result = {}
    for type_name, objects in message.items():
        if type_name == "version":
            continue
        for obj in objects.values():
            resolved = {}
            for name, value in obj.items():
                if isinstance(value, dict) and "$ref" in value:
                    value = uuid_of[value["$ref"]]
                elif (
                    isinstance(value, list)
                    and value
                    and isinstance(value[0], dict)
                    and "$ref" in value[0]
                ):
                    value = [uuid_of[v["$ref"]] for v in value]
                resolved[name] = value
            result[obj["uuid"]] = resolved
    return result


def test_the_reference_examples_are_there() -> None:
    assert len(EXAMPLES) == 5


@pytest.mark.parametrize("path", from_reference(EXAMPLES), ids=_id)
def test_normalised_example_is_official_and_same(path: Path) -> None:
    original = load_json(path)
    normalised = write_message(read_message(original).objects)
    assert conformance_errors(normalised, path.parent.parent.name) == []
    assert _by_uuid(normalised) == _by_uuid(original)


@pytest.mark.parametrize("path", from_reference(OLDER), ids=lambda p: f"{p.parts[-5]}/{_id(p)}")
def test_older_versions_are_read_and_upgraded(path: Path) -> None:
    result = read_message(load_json(path))
    assert result.objects
    assert write_message(result.objects)["version"] == "0.6.13"
