"""What an import asks of SQLite about its uuids, in one call (sqlite_unit.documents_by_uuid):
the history's object numbers read the quick way are the numbers the history keeps, a uuid
stored in another collection than its type says is found (with or without history), and a new
uuid is asked of each table's index of ids once, of history only under its uuid's key."""

from __future__ import annotations

import random
import sqlite3
import string
import uuid
from pathlib import Path

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_history import ROWS, object_key
from mxlims_store.store.backends.sqlite_unit import _object_keys
from mxlims_store.store.collections import CORE_COLLECTIONS
from tests.acting import admin_store
from tests.factories import shipment_message


def test_quick_object_numbers_are_the_history_s_own() -> None:
    rng = random.Random(21)
    alphabet = string.hexdigits + "-+_ xXgé\u0663\t"
    texts = [str(uuid.uuid4()) for _ in range(500)]
    texts += ["0x" + "f" * 13, "0X1234567-0000-0000-0000-0000000000ab", "+abcdef0" * 5, "a_b"]
    texts += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(20000)
    ]
    for text in texts:
        assert _object_keys([text]) == {object_key(text)}, text


async def test_a_uuid_stored_under_another_type_is_found_and_refused(store: Store) -> None:
    message = shipment_message(1)
    await store.import_message(message)
    dewar = message["Dewar"]["Dewar1"]["uuid"]
    other = {
        "version": "0.6.13",
        "MacromoleculeSample": {"S1": {"mxlimsType": "MacromoleculeSample", "uuid": dewar}},
    }
    with pytest.raises(InvalidMessage, match="is a stored Dewar"):
        await store.import_message(other)


def _claiming(uuid: str) -> dict[str, object]:
    return {
        "version": "0.6.13",
        "MacromoleculeSample": {"S1": {"mxlimsType": "MacromoleculeSample", "uuid": uuid}},
    }


async def test_a_uuid_stored_elsewhere_without_history_is_found_too(tmp_path: Path) -> None:
    """A row whose history is gone (raw SQL, a damaged store) still names its uuid: the other
    tables are asked whatever history says, and nothing is stored twice."""
    store = admin_store(SqliteBackend(tmp_path / "s.sqlite3"))
    await store.init()
    message = shipment_message(1)
    await store.import_message(message)
    dewar = message["Dewar"]["Dewar1"]["uuid"]
    connection = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    try:
        connection.execute(f'DELETE FROM "{ROWS}" WHERE id >= ? AND id < ?', (dewar, dewar + "A"))
    finally:
        connection.close()
    with pytest.raises(InvalidMessage, match="is a stored Dewar"):
        await store.import_message(_claiming(dewar))
    assert await store.db.find("samples", {"_id": dewar}) == []
    await store.db.close()


async def test_new_uuids_are_asked_of_each_index_of_ids_once(tmp_path: Path) -> None:
    """A new shipment's lookups: each core table's index of ids probed by at most two
    statements (its own uuids, then the others' not found), history by uuid keys alone (no
    row keys read through the ids again: `UNION ALL` of the four tables)."""
    backend = SqliteBackend(tmp_path / "s.sqlite3")
    store = admin_store(backend)
    await store.init()
    await store.import_message(shipment_message(1))
    said: list[str] = []
    backend.writer_connection().set_trace_callback(said.append)
    await store.import_message(shipment_message(2))
    backend.writer_connection().set_trace_callback(None)
    probes = [sql for sql in said if "CROSS JOIN" in sql and "t.id = j.key" in sql]
    for name in CORE_COLLECTIONS:
        assert 1 <= sum(f'"{name}" AS t' in sql for sql in probes) <= 2, name
    assert not [sql for sql in said if "UNION ALL" in sql]
    await backend.close()
