"""Writers that do not share a process (nor a lock) racing for the same positions and barcodes.

In one process: two store handles on one database (two SQLite connections, two MongoDB
clients) import at once. Across OS processes: ``bench.race`` (CLI imports beside ``serve``
HTTP writes), 20 trials here, 50 in ``python -m bench.race``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bench import race
from mxlims_store.errors import Conflict, InvalidMessage
from mxlims_store.store import Store
from mxlims_store.store.backends.mongo import MongoBackend
from mxlims_store.store.backends.sqlite import SqliteBackend
from tests.acting import admin_store


def _second_handle(store: Store) -> Store:
    if isinstance(store.db, SqliteBackend):
        return admin_store(SqliteBackend(store.db.path))
    assert isinstance(store.db, MongoBackend)
    return admin_store(MongoBackend(store.db.driver))  # no lock shared with the first


async def test_two_handles_filling_one_puck_at_once_leave_one_pin_per_position(
    store: Store,
) -> None:
    other = _second_handle(store)
    for trial in range(1, 6):
        base, puck, _ = race.base_message(trial)
        await store.import_message(base)
        contenders = [race.contender_message(puck, trial, f"w{w}") for w in range(4)]
        handles = [store, other, store, other]
        outcomes = await asyncio.gather(
            *(h.import_message(m) for h, m in zip(handles, contenders, strict=True)),
            return_exceptions=True,
        )
        refused: list[Any] = [o for o in outcomes if isinstance(o, Exception)]
        assert all(isinstance(o, (InvalidMessage, Conflict)) for o in refused), refused
        assert len(refused) == 3  # one writer wins both positions, the others are refused
        pins = await store.db.find("logistical_samples", {"containerId": puck})
        at = sorted(p["positionInPuck"] for p in pins)
        assert at == [1, 2, 3]
        barcodes = [p.get("barcode") for p in pins]
        assert barcodes.count(f"RACE-{trial}") == 1
    assert (await store.check()).problems == []


def test_processes_racing_cli_and_http_break_no_rule(tmp_path: Path) -> None:
    summary = race.run(tmp_path, 20, cli_writers=1, http_writers=2, at_once=4)
    assert summary.trials == 20
    assert summary.broken == [] and summary.unclean == [] and summary.check == []
    # every writer answered: a CLI exit 0/1, HTTP 2xx/409/422 (a PATCH 412 when it lost)
    assert sum(summary.outcomes.values()) == 20 * 4
    # the CLI process wins the trials where the HTTP writes wait for it (the even ones): its
    # commits, too, are raced by the other process's writes
    assert summary.outcomes["cli 0"] >= 10, summary.outcomes


def test_writes_through_two_serve_workers_break_no_rule(tmp_path: Path) -> None:
    """``serve --workers 2``: POSTs filling the same positions with one barcode, and a PATCH
    moving the stored pin onto them, answered by both processes (each holding its own
    in-process lock: only the store's transaction keeps them apart)."""
    summary = race.run(tmp_path, 10, cli_writers=0, http_writers=3, at_once=4, workers=2)
    assert summary.trials == 10
    assert summary.broken == [] and summary.unclean == [] and summary.check == []
    writes = 10 * 4
    assert sum(summary.outcomes.values()) == writes
    assert set(summary.outcomes) <= {"http 200", "http 201", "http 409", "http 412", "http 422"}
    # every write was taken by one of the two workers, and each took some
    assert sum(summary.by_worker.values()) == writes
    assert len(summary.by_worker) == 2 and min(summary.by_worker.values()) > 0, summary.by_worker
