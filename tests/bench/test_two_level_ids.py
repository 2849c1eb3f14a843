"""The two-level uuid index measured in bench/two_level_ids.py is what docs/write-path.md says:
one id per table still refused by the engine (the trigger), lookups through both partial
indexes (no table scan), a settle that empties the recent one, and an import that runs.
No assertion on any duration."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bench import generate
from bench.two_level_ids import CORE, import_once, prepare, settle
from mxlims_store.store.backends.sqlite import SqliteBackend
from tests.acting import admin_store
from tests.factories import new_uuid


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A small store written by today's layout: a shipment and its results (all four core
    tables hold rows)."""
    backend = SqliteBackend(tmp_path / "store.sqlite3")

    async def build() -> None:
        store = admin_store(backend)
        await store.init()
        shipment = generate.shipment(1, 4)
        await store.import_message(shipment.message)
        await store.import_message(generate.results(shipment).message, policy="update_old")
        await backend.close()

    asyncio.run(build())
    return backend.path


def test_the_trigger_keeps_one_id_per_table(built: Path, tmp_path: Path) -> None:
    target = tmp_path / "two-level.sqlite3"
    prepare(built, target, "two-level")
    c = sqlite3.connect(target, isolation_level=None)
    [(stored,)] = c.execute("SELECT id FROM logistical_samples WHERE settled = 1 LIMIT 1")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # already settled
        c.execute("INSERT INTO logistical_samples (id, doc) VALUES (?, '{}')", (stored,))
    fresh = new_uuid()
    c.execute("INSERT INTO logistical_samples (id, doc) VALUES (?, '{}')", (fresh,))
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # twice recent
        c.execute("INSERT INTO logistical_samples (id, doc) VALUES (?, '{}')", (fresh,))
    plan = " ".join(
        row[3]
        for row in c.execute(
            "EXPLAIN QUERY PLAN SELECT t.doc FROM json_each(?1) AS j CROSS JOIN "
            "logistical_samples AS t ON t.id = j.value AND t.settled = 0 UNION ALL "
            "SELECT t.doc FROM json_each(?1) AS j CROSS JOIN logistical_samples AS t "
            "ON t.id = j.value AND t.settled = 1",
            ("[]",),
        )
    )
    assert "logistical_samples__id0" in plan and "logistical_samples__id1" in plan
    assert "SCAN t" not in plan
    c.close()


def test_without_the_trigger_the_engine_no_longer_keeps_it(built: Path, tmp_path: Path) -> None:
    target = tmp_path / "no-trigger.sqlite3"
    prepare(built, target, "two-level, no trigger")
    c = sqlite3.connect(target, isolation_level=None)
    [(stored,)] = c.execute("SELECT id FROM samples WHERE settled = 1 LIMIT 1")
    c.execute("INSERT INTO samples (id, doc) VALUES (?, '{}')", (stored,))
    assert c.execute("SELECT count(*) FROM samples WHERE id = ?", (stored,)).fetchone() == (2,)
    c.close()


def test_an_import_then_a_settle(built: Path, tmp_path: Path) -> None:
    target = tmp_path / "run.sqlite3"
    prepare(built, target, "two-level")
    probes, inserts, commit, frames = import_once(target, "two-level", seed=1)
    assert frames > 0 and min(probes, inserts, commit) >= 0
    *_, settle_frames, rows = settle(target)
    assert rows == sum(CORE.values()) and settle_frames > 0
    c = sqlite3.connect(target)
    assert (
        sum(c.execute(f'SELECT count(*) FROM "{t}" WHERE settled = 0').fetchone()[0] for t in CORE)
        == 0
    )
    c.close()
