"""Imports of one process queued for the write lock share a COMMIT (sqlite_group), and a server
reads messages in another process (read_processes): neither changes what is stored or said."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import race_messages as race
from mxlims_store.errors import InvalidMessage
from mxlims_store.store import Store, read_processes
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_commits import stored_count
from mxlims_store.store.history import recorded_change
from tests.acting import admin_store


def _commits(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return stored_count(connection)


async def test_queued_imports_share_commits_and_a_refused_one_leaves_nothing(
    tmp_path: Path,
) -> None:
    store = admin_store(SqliteBackend(tmp_path / "store.sqlite3"))
    await store.init()
    try:
        bases = [race.base_message(trial) for trial in range(1, 9)]
        for message, _, _ in bases:
            await store.import_message(message)
        before = _commits(tmp_path / "store.sqlite3")
        # per puck: one import filling positions 1 and 2, one wanting position 3 (taken)
        winners = [race.contender_message(puck, n, "w") for n, (_, puck, _) in enumerate(bases)]
        losers: list[dict[str, Any]] = []
        for n, (_, puck, _) in enumerate(bases):
            loser = race.contender_message(puck, n, "l")
            loser["Pin"]["Pin1"]["positionInPuck"] = 3
            loser["Pin"]["Pin1"]["barcode"] = f"LOSER-{n}"
            loser["Pin"]["Pin2"]["positionInPuck"] = 4
            losers.append(loser)
        mixed = [m for pair in zip(winners, losers, strict=True) for m in pair]
        outcomes = await asyncio.gather(
            *(store.import_message(m) for m in mixed), return_exceptions=True
        )
        assert all(not isinstance(o, Exception) for o in outcomes[0::2]), outcomes
        assert all(isinstance(o, InvalidMessage) for o in outcomes[1::2]), outcomes
        commits = _commits(tmp_path / "store.sqlite3") - before
        assert 1 <= commits < len(winners)  # the eight stored imports took fewer commits
        for _, puck, _ in bases:
            pins = await store.db.find("logistical_samples", {"containerId": puck})
            assert sorted(p["positionInPuck"] for p in pins) == [1, 2, 3]
            assert not [p for p in pins if str(p.get("barcode", "")).startswith("LOSER")]
        assert (await store.check()).problems == []
    finally:
        await store.db.close()


@pytest.fixture
def in_processes() -> Iterator[None]:
    read_processes.read_in_processes(1, smallest=0)  # even the small messages here
    try:
        yield
    finally:
        read_processes.read_in_processes(0)


async def test_a_message_read_in_another_process_is_stored_or_refused_the_same(
    store: Store, in_processes: None
) -> None:
    message, puck, _ = race.base_message(1)
    report = await store.import_message(message)
    assert report.created
    assert read_processes._pool is not None  # read there
    bad = race.contender_message(puck, 1, "x")
    bad["Pin"]["Pin1"]["positionInPuck"] = "first"
    bad["Pin"]["Pin2"]["uuid"] = "not-a-uuid"
    with pytest.raises(InvalidMessage) as elsewhere:
        await store.import_message(bad)
    read_processes.read_in_processes(0)
    with pytest.raises(InvalidMessage) as here:
        await store.import_message(bad)
    assert elsewhere.value.problems == here.value.problems
    assert elsewhere.value.message == here.value.message
    assert elsewhere.value.total == here.value.total


async def test_a_message_too_deep_to_send_is_read_here(store: Store, in_processes: None) -> None:
    deep: Any = "leaf"
    for _ in range(5000):  # deeper than pickle goes: read (and refused) in this process
        deep = [deep]
    message = {"version": race.VERSION, "Pin": {"Pin1": {"mxlimsType": "Pin", "x": deep}}}
    with pytest.raises(Exception) as elsewhere:  # the web layer refuses such JSON before
        await store.import_message(message)
    read_processes.read_in_processes(0)
    with pytest.raises(Exception) as here:
        await store.import_message(message)
    assert type(elsewhere.value) is type(here.value)


def _dewar(name: str) -> Any:
    obj = {"mxlimsType": "Dewar", "uuid": str(uuid.uuid4()), "name": name}
    return recorded_change(None, obj, revision=1, expected=None, actor="t", time="T")


async def test_a_groups_first_unit_failing_after_writing_leaves_nothing_of_it(
    tmp_path: Path,
) -> None:
    """The first unit of a group runs without a savepoint: failing after its writes, the
    transaction is rolled back and the group ends; a unit queued behind it commits its own."""
    backend = SqliteBackend(tmp_path / "store.sqlite3")
    await admin_store(backend).init()
    try:
        first, queued, after = _dewar("first"), _dewar("queued"), _dewar("after")

        async def failing(tx: Any) -> None:
            await tx.commit([first])
            await asyncio.sleep(0.05)  # the other unit queues meanwhile
            raise RuntimeError("refused after writing")

        async def fine(tx: Any) -> None:
            await tx.commit([queued])

        async def late(tx: Any) -> None:
            await tx.commit([after])
            raise RuntimeError("refused too")

        before = _commits(tmp_path / "store.sqlite3")
        failed, done = await asyncio.gather(
            backend.unit(failing), backend.unit(fine), return_exceptions=True
        )
        assert isinstance(failed, RuntimeError) and done is None
        with pytest.raises(RuntimeError):
            await backend.unit(late)
        stored = {d["_id"] for d in await backend.find("logistical_samples", {})}
        assert stored == {queued.uuid}
        assert _commits(tmp_path / "store.sqlite3") == before + 1
        history = await backend.find("history", {})
        assert {e["uuid"] for e in history} == {queued.uuid}
    finally:
        await backend.close()
