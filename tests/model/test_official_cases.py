"""The official MXLIMS 0.6.13 test cases and example messages, through the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import mxlims_store.model as model
from mxlims_store.model import ALL_TYPES, STANDARD_JSON, parse_object
from tests.conftest import from_reference, load_json, needs_shared

from ._reference import case_files, message_files, message_objects, to_store_form

pytestmark = needs_shared


def _model_class(kind: str, type_name: str) -> type[BaseModel]:
    if kind == "objects":
        return ALL_TYPES[type_name]
    cls = getattr(model, type_name)
    assert isinstance(cls, type) and issubclass(cls, BaseModel)
    return cls


def _validate(kind: str, type_name: str, document: dict[str, Any]) -> BaseModel:
    if kind == "objects":
        # Single-object cases use the message form; none has a link today, but convert anyway.
        return parse_object(to_store_form(document, {}))
    return _model_class(kind, type_name).model_validate(document, context=STANDARD_JSON)


def _case_params(validity: str) -> list[Any]:
    return [
        pytest.param(kind, type_name, path, id=f"{type_name}/{validity}/{path.stem}")
        for kind, type_name, case_validity, path in case_files()
        if case_validity == validity
    ]


@pytest.mark.parametrize(("kind", "type_name", "path"), from_reference(_case_params("valid"), 3))
def test_official_valid_case_is_accepted(kind: str, type_name: str, path: Path) -> None:
    document = load_json(path)
    obj = _validate(kind, type_name, document)
    # Store form of a link-free document is the document itself.
    assert obj.model_dump(mode="json", exclude_none=True) == document


@pytest.mark.parametrize(("kind", "type_name", "path"), from_reference(_case_params("invalid"), 3))
def test_official_invalid_case_is_rejected(kind: str, type_name: str, path: Path) -> None:
    with pytest.raises(ValidationError):
        _validate(kind, type_name, load_json(path))


def test_official_cases_are_present() -> None:
    # Guards against a silently empty parametrisation if the folder layout changes.
    assert len(case_files()) >= 13


def _message_params() -> list[Any]:
    return [
        pytest.param(obj, id=f"{path.parent.parent.name}/{path.stem}/{where}")
        for path in message_files()
        for where, obj in message_objects(path)
    ]


@pytest.mark.parametrize("document", from_reference(_message_params()))
def test_example_message_object_validates(document: dict[str, Any]) -> None:
    obj = parse_object(document)
    assert type(obj) is ALL_TYPES[document["mxlimsType"]]
    assert obj.model_dump(mode="json", exclude_none=True) == document


def test_example_messages_are_present() -> None:
    assert len(message_files()) == 5
    assert sum(len(message_objects(p)) for p in message_files()) >= 30
