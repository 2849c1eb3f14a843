"""The generated JSON schemas (``schemas/*.json``) served by ``GET /schemas``.

Names are looked up in a listing of the folder, never joined onto a path, so no request can
reach a file outside it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from mxlims_store.errors import NotFound
from mxlims_store.model.json_schemas import DEFAULT_OUTDIR

SCHEMA_DIR: Path = DEFAULT_OUTDIR


@cache
def schema_files() -> dict[str, Path]:
    """Schema name (``Pin``) -> file, for every ``*.json`` in the folder."""
    return {path.stem: path for path in sorted(SCHEMA_DIR.glob("*.json")) if path.is_file()}


def schema_names() -> list[str]:
    return list(schema_files())


def read_schema(name: str) -> dict[str, Any]:
    stem = name.removesuffix(".json")
    path = schema_files().get(stem)
    if path is None:
        raise NotFound(f"no schema {name!r}; known: {', '.join(schema_files()) or 'none'}")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema
