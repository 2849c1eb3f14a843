"""A core table's new rows inserted in one statement (sqlite_bulk): the same rows, byte for
byte, as one INSERT per row wrote; a uuid kept as text still takes the row-by-row way; a
uuid stored already is refused as before, nothing of the write kept."""

from __future__ import annotations

import sqlite3
import uuid as uuidlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from mxlims_store.errors import WriteConflict
from mxlims_store.store.backends import sqlite as sqlite_backend
from mxlims_store.store.backends import sqlite_bulk
from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite import SqliteBackend

HARD_TEXTS = [
    "plain",
    'quote " backslash \\ slash / tab \t newline \n',
    "é ü ß 漢字 😀 \u2028 \u2029",
    "\u0000 a NUL and \u001f a control",
    '{"looks": "like JSON"}',
    "",
]


def _documents(count: int) -> list[dict[str, Any]]:
    return [
        {
            "_id": str(uuidlib.uuid4()),
            "mxlimsType": "Pin",
            "name": HARD_TEXTS[i % len(HARD_TEXTS)] + str(i),
            "barcode": f"BC{i}",
            "numbers": [0, -1, 2**53 + 1, 1.5, 1e-300, None, True],
            "nested": {"deep": [{"x": HARD_TEXTS[(i + 1) % len(HARD_TEXTS)]}]},
            "_meta": {"revision": 1, "proposal": "mx1"},
        }
        for i in range(count)
    ]


def _rows(path: Path) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            'SELECT n, id, doc, "n_containerId", "n_sampleId" FROM logistical_samples ORDER BY n'
        ).fetchall()
    finally:
        connection.close()


async def _store(path: Path, documents: list[dict[str, Any]]) -> None:
    backend = SqliteBackend(path)
    await backend.prepare()
    try:
        writes = [Write("logistical_samples", d["_id"], d, None, {}) for d in documents]
        await backend.commit(writes)
    finally:
        await backend.close()


async def test_one_statement_stores_what_one_insert_per_row_stored(tmp_path: Path) -> None:
    documents = _documents(50)
    await _store(tmp_path / "bulk.sqlite3", documents)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite_backend, "bulk_rows", lambda *args: None)
        await _store(tmp_path / "rows.sqlite3", documents)
    bulk, rows = _rows(tmp_path / "bulk.sqlite3"), _rows(tmp_path / "rows.sqlite3")
    assert len(bulk) == 50 and bulk == rows
    # the text is the document's own JSON, byte for byte, and a 16-byte key
    assert all(type(row[1]) is bytes and len(row[1]) == 16 for row in bulk)
    assert [row[2] for row in bulk] == [orjson.dumps(d).decode() for d in documents]


async def test_a_uuid_kept_as_text_is_stored_row_by_row(tmp_path: Path) -> None:
    documents = _documents(3)
    documents[1]["_id"] = documents[1]["_id"].upper()  # no 16-byte key: kept as text
    await _store(tmp_path / "mixed.sqlite3", documents)
    stored = _rows(tmp_path / "mixed.sqlite3")
    assert [row[1] for row in stored][1] == documents[1]["_id"]
    assert [row[2] for row in stored] == [orjson.dumps(d).decode() for d in documents]


async def test_a_uuid_stored_already_refuses_the_whole_write(tmp_path: Path) -> None:
    path = tmp_path / "taken.sqlite3"
    first = _documents(5)
    await _store(path, first)
    again = _documents(5)
    again[3]["_id"] = first[2]["_id"]
    with pytest.raises(WriteConflict) as refused:
        await _store(path, again)
    assert refused.value.uuids == [first[2]["_id"]]
    assert [row[2] for row in _rows(path)] == [orjson.dumps(d).decode() for d in first]


async def test_a_write_past_the_statement_size_goes_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_bulk, "BULK_BYTES", 100)  # (64 MiB: SQLite's limit is 1e9)
    documents = _documents(4)
    creates = [Write("logistical_samples", d["_id"], d, None, {}) for d in documents]
    numbers = {("logistical_samples", d["_id"]): n for n, d in enumerate(documents, 1)}
    assert sqlite_bulk.bulk_rows("logistical_samples", creates, numbers) is None
    await _store(tmp_path / "long.sqlite3", documents)
    assert [row[2] for row in _rows(tmp_path / "long.sqlite3")] == [
        orjson.dumps(d).decode() for d in documents
    ]
