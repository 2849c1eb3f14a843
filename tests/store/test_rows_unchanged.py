"""The write path stores the same bytes and answers the same as before it was made faster:
every row of every table (SQLite) and every document (the MongoDB double) after fixed imports,
a PATCH and a cascading DELETE, digested and compared with the digests the code before round 8
made (``row_digests.py`` says how they are made and remade)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import needs_shared
from tests.store.row_digests import (
    DIGESTS,
    OFFICIAL,
    bench_messages,
    digests,
    official_messages,
    sqlite_rows,
)


def _differences(made: dict[str, Any], kept: dict[str, Any]) -> list[str]:
    tables = sorted(set(made["rows"]) | set(kept["rows"]))
    wrong = [t for t in tables if made["rows"].get(t) != kept["rows"].get(t)]
    return wrong + (["answers"] if made["answers"] != kept["answers"] else [])


@pytest.mark.parametrize("kind", ["sqlite", "mongomock"])
async def test_the_bench_shipment_and_its_results_store_the_same_rows(
    kind: str, tmp_path: Path
) -> None:
    kept = json.loads(DIGESTS.read_text())[f"bench/{kind}"]
    made = await digests(kind, bench_messages(), tmp_path)
    assert _differences(made, kept) == []


@needs_shared
@pytest.mark.parametrize("kind", ["sqlite", "mongomock"])
async def test_the_official_examples_store_the_same_rows(kind: str, tmp_path: Path) -> None:
    messages = official_messages()
    assert len(messages) == len(OFFICIAL)
    kept = json.loads(DIGESTS.read_text())[f"official/{kind}"]
    made = await digests(kind, messages, tmp_path)
    assert _differences(made, kept) == []


async def test_the_digests_see_a_changed_byte(tmp_path: Path) -> None:
    """A stored document one byte longer is a difference the comparison names."""
    kept = json.loads(DIGESTS.read_text())["bench/sqlite"]
    made = await digests("sqlite", bench_messages(), tmp_path)
    assert _differences(made, kept) == []
    connection = sqlite3.connect(tmp_path / "store.sqlite3")
    with connection:
        connection.execute("UPDATE samples SET doc = doc || ' ' WHERE n = 1")
    connection.close()
    made["rows"] = sqlite_rows(tmp_path / "store.sqlite3")
    assert _differences(made, kept) == ["samples"]
