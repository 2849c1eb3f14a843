"""History records the change, not a second copy of the object (issue 21: disk and write cost):
a creation entry holds no fields, and `history` shows what it created, undone from the object."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from mxlims_store.store import Store
from mxlims_store.store import history as recorded
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.collections import HISTORY
from tests.acting import admin_store
from tests.factories import shipment_message


def _as_created(document: dict[str, Any]) -> dict[str, Any]:
    """What a creation entry showed when it held the fields (the format before this one)."""
    fields = {k: v for k, v in document.items() if k not in ("_id", "_meta")}
    return recorded.public({"changes": recorded.changes(None, fields)})["changes"]


async def test_a_creation_is_shown_as_created_after_updates_and_deletion(store: Store) -> None:
    message = shipment_message(4)
    message["Pin"]["Pin2"]["identifiers"] = {"icebear.fi": "PIN-2"}
    message["Pin"]["Pin2"]["loopType"] = "nylon"
    await store.import_message(message)
    pin = message["Pin"]["Pin2"]["uuid"]
    (document,) = await store.db.find("logistical_samples", {"_id": pin})
    created = _as_created(document)
    assert created["loopType"] == {"after": "nylon"} and "containerRef" in created

    (stored_entry,) = await store.db.find(HISTORY, {"uuid": pin})
    assert "changes" not in stored_entry  # no copy of the object in its history

    await store.update(pin, {"loopType": "mesh", "barcode": "PIN-2-NEW"}, revision=1)
    await store.update(pin, {"identifiers": {"icebear.fi": "PIN-2b"}}, revision=2)
    shown = await store.history(pin)
    assert [e["operation"] for e in shown] == ["create", "update", "update"]
    assert shown[0]["changes"] == created
    assert shown[1]["changes"]["loopType"] == {"before": "nylon", "after": "mesh"}

    await store.delete(pin)
    shown = await store.history(pin)
    assert [e["operation"] for e in shown] == ["create", "update", "update", "delete"]
    assert shown[0]["changes"] == created  # rebuilt from the deletion's record of the fields
    assert (await store.check()).problems == []  # still one entry per revision


def test_entries_written_with_their_fields_are_read_as_they_are() -> None:
    old_creation = {"_id": "u@1@a", "operation": "create", "changes": {"loopType": {"after": "x"}}}
    update = {"_id": "u@2@b", "operation": "update", "changes": {"loopType": {"before": "x"}}}
    entries = [old_creation, update]
    recorded.creations_filled(entries, {"_id": "u", "mxlimsType": "Pin"})
    assert entries[0]["changes"] == {"loopType": {"after": "x"}}

    new_creation = {"_id": "u@1@a", "operation": "create"}
    entries = [new_creation, update]
    recorded.creations_filled(entries, {"_id": "u", "mxlimsType": "Pin", "_meta": {}})
    assert entries[0]["changes"] == {"mxlimsType": {"after": "Pin"}, "loopType": {"after": "x"}}


async def test_the_embedded_store_keeps_an_entry_key_once(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "store.sqlite3")
    store = admin_store(backend)
    await store.init()
    try:
        message = shipment_message(1)
        await store.import_message(message)
        pin = message["Pin"]["Pin1"]["uuid"]
        with sqlite3.connect(backend.path) as connection:
            key, text = connection.execute(
                "SELECT id, doc FROM history WHERE id LIKE ?", (f"{pin}@%",)
            ).fetchone()
            # an entry written before keeps its key in the JSON too: it reads the same
            connection.execute(
                "INSERT INTO history (id, doc) VALUES (?, ?)",
                (f"{pin}@9@old", json.dumps({"_id": f"{pin}@9@old", "uuid": pin, "revision": 9})),
            )
        assert "_id" not in json.loads(text)
        read = await store.db.find(HISTORY, {"uuid": pin}, sort=[("revision", 1)])
        assert [e["_id"] for e in read] == [key, f"{pin}@9@old"]
    finally:
        await backend.close()
