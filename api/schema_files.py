"""The generated JSON schemas (``mxlims_store/schemas/*.json``) served by ``GET /schemas``.

They are package data, read through ``importlib.resources``, so an installed wheel serves them
as a source checkout does. Names are looked up in a listing of the folder, never joined onto a
path, so no request can reach a file outside it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from mxlims_store.errors import NotFound


@cache
def schema_files() -> dict[str, Traversable]:
    """Schema name (``Pin``) -> file, for every ``*.json`` in the package's schema folder."""
    folder = files("mxlims_store").joinpath("schemas")
    found = [entry for entry in folder.iterdir() if entry.name.endswith(".json")]
    return {entry.name.removesuffix(".json"): entry for entry in sorted(found, key=str)}


def schema_names() -> list[str]:
    return list(schema_files())


def read_schema(name: str) -> dict[str, Any]:
    stem = name.removesuffix(".json")
    path = schema_files().get(stem) if stem and not stem.startswith(".") else None
    if path is None:
        raise NotFound(f"no schema {name!r}; known: {', '.join(schema_files()) or 'none'}")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema
