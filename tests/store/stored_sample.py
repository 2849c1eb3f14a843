"""A SQLite store holding one small shipment of proposal mx1, with its server state and the uuid
of its first sample: the set-up of the read-set tests (test_read_set_keys, test_touched_numbers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.server_state import ServerState, server_state
from tests.acting import admin_store
from tests.factories import shipment_message


@asynccontextmanager
async def a_stored_sample(path: Path) -> AsyncIterator[tuple[Store, ServerState, str]]:
    store = admin_store(SqliteBackend(path))
    await store.init()
    try:
        mine = shipment_message(2, proposal="mx1")
        await store.import_message(mine)
        yield (
            store,
            server_state(store.db),
            mine["MacromoleculeSample"]["MacromoleculeSample1"]["uuid"],
        )
    finally:
        await store.db.close()
