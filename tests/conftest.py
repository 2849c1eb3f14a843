"""Shared test fixtures: where the reference material lives, async test marking."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "mxlims-reference"
SITE_FORMATS = SHARED / "site-formats"
FIXTURES = ROOT / "fixtures"

needs_shared = pytest.mark.skipif(
    not REFERENCE.is_dir(),
    reason="../shared/mxlims-reference is absent (a user's own clone); CI always has it",
)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def conformance_errors(document: dict[str, Any], schema: str, patched: bool = False) -> list[str]:
    """Validate with the official schemas through ../shared/tools/mxlims_conformance.py."""
    tools = str(SHARED / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import mxlims_conformance  # type: ignore[import-not-found]

    return list(mxlims_conformance.errors(document, schema, patched=patched))
