"""Shared test fixtures: where the reference material lives, async test marking."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
if os.environ.get("MXLIMS_TEST_WITHOUT_SHARED"):  # CI's second run: a user's clone, alone
    SHARED = ROOT / "no-shared-here"
REFERENCE = SHARED / "mxlims-reference"
SITE_FORMATS = SHARED / "site-formats"
FIXTURES = ROOT / "fixtures"

WHY_SKIPPED = (
    "needs the official MXLIMS schemas and examples in ../shared/mxlims-reference, which a "
    "user's own clone does not have; CI runs these tests with them"
)
needs_shared = pytest.mark.skipif(not REFERENCE.is_dir(), reason=WHY_SKIPPED)


def from_reference(params: list[Any], width: int = 1) -> list[Any]:
    """Parameters read from the official material, or one skipped case (of ``width`` values)
    saying why there are none (instead of pytest's "got empty parameter set")."""
    if params:
        return params
    skipped = pytest.mark.skip(reason=WHY_SKIPPED)
    return [pytest.param(*[None] * width, marks=skipped, id="no-reference")]


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def conformance_errors(document: dict[str, Any], schema: str, patched: bool = False) -> list[str]:
    """Validate with the official schemas through ../shared/tools/mxlims_conformance.py."""
    tools = str(SHARED / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import mxlims_conformance  # type: ignore[import-not-found]

    return list(mxlims_conformance.errors(document, schema, patched=patched))


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """The store runs on asyncio (its database work goes to worker threads through the loop's
    executor); trio is installed only as a dependency of selenium."""
    return "asyncio"
