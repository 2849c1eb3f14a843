"""The embedded backend's crash-safe persistence: snapshot, journal, lock, kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from bson import Decimal128, ObjectId
from pymongo import (
    InsertOne,
    ReplaceOne,
    UpdateOne,
)
from pymongo.errors import BulkWriteError, DuplicateKeyError

from mxlims_store.store.embedded import (
    DataDirCorrupt,
    DataDirLocked,
    EmbeddedClient,
)
from mxlims_store.store.embedded_journal import JOURNAL, SNAPSHOT, dumps, loads

ROOT = Path(__file__).resolve().parents[2]

# -- persistence --------------------------------------------------------------------------


def _journal_lines(data_dir: Path) -> list[dict[str, Any]]:
    return [loads(line) for line in (data_dir / JOURNAL).read_bytes().splitlines()]


async def test_close_and_reopen_keeps_data_and_indexes(tmp_path: Path) -> None:
    async with EmbeddedClient(tmp_path / "data") as client:
        coll = client["lims"]["samples"]
        await coll.create_index("code", unique=True, sparse=True)
        await coll.insert_many([{"_id": "a", "code": "A"}, {"_id": "b"}])
        await client["lims"].create_collection("empty")
    assert (tmp_path / "data" / SNAPSHOT).exists()
    assert (tmp_path / "data" / JOURNAL).stat().st_size == 0  # compacted on close

    async with EmbeddedClient(tmp_path / "data") as client:
        coll = client["lims"]["samples"]
        assert await coll.find({}, sort=[("_id", 1)]).to_list() == [
            {"_id": "a", "code": "A"},
            {"_id": "b"},
        ]
        assert (await coll.index_information())["code_1"]["unique"] is True
        assert "empty" in await client["lims"].list_collection_names()
        with pytest.raises(DuplicateKeyError):
            await coll.insert_one({"_id": "c", "code": "A"})


async def _crash(client: EmbeddedClient) -> None:
    """What the kernel does when the process dies: close the files, no compaction, no close()."""
    data_dir = client._data_dir
    assert data_dir is not None
    data_dir.close()
    client._data_dir = None
    client._closed = True


async def test_crash_without_close_replays_journal(tmp_path: Path) -> None:
    client = EmbeddedClient(tmp_path)
    coll = client["lims"]["samples"]
    await coll.create_index("code", unique=True)
    await coll.insert_one({"_id": "a", "n": 1, "code": "A"})
    result = await coll.update_one({"name": "gen"}, {"$set": {"n": 5}}, upsert=True)
    await coll.update_one({"_id": "a"}, {"$inc": {"n": 1}})
    with pytest.raises(BulkWriteError):  # ordered: the first two land, then a duplicate stops it
        await coll.bulk_write(
            [
                InsertOne({"_id": "b", "code": "B"}),
                UpdateOne({"_id": "a"}, {"$inc": {"n": 10}}),
                InsertOne({"_id": "c", "code": "A"}),
                InsertOne({"_id": "d", "code": "D"}),
            ]
        )
    with pytest.raises(DuplicateKeyError):
        await coll.insert_one({"_id": "a"})
    await coll.find_one_and_update({"name": "fo"}, {"$set": {"code": "F"}}, upsert=True)
    expected = await coll.find({}, sort=[("_id", 1)]).to_list()
    assert len(_journal_lines(tmp_path)) == 7  # one record per call, failed calls included
    await _crash(client)

    reopened = EmbeddedClient(tmp_path)
    coll = reopened["lims"]["samples"]
    assert await coll.find({}, sort=[("_id", 1)]).to_list() == expected
    assert (await coll.find_one({"name": "gen"}) or {})["_id"] == result.upserted_id
    assert (await coll.find_one({"_id": "a"}) or {})["n"] == 12
    assert "code_1" in await coll.index_information()
    await reopened.close()


async def test_journal_already_in_snapshot_is_not_replayed_twice(tmp_path: Path) -> None:
    client = EmbeddedClient(tmp_path)
    await client["lims"]["samples"].insert_one({"_id": "a", "n": 0})
    await client["lims"]["samples"].update_one({"_id": "a"}, {"$inc": {"n": 1}})
    journal = (tmp_path / JOURNAL).read_bytes()
    await client.close()
    # A crash between replacing the snapshot and emptying the journal leaves both behind.
    (tmp_path / JOURNAL).write_bytes(journal)
    client = EmbeddedClient(tmp_path)
    assert await client["lims"]["samples"].find_one({"_id": "a"}) == {"_id": "a", "n": 1}
    await client["lims"]["samples"].update_one({"_id": "a"}, {"$inc": {"n": 1}})
    await _crash(client)
    client = EmbeddedClient(tmp_path)
    assert await client["lims"]["samples"].find_one({"_id": "a"}) == {"_id": "a", "n": 2}
    await client.close()


async def test_torn_last_line_is_ignored_and_cut(tmp_path: Path) -> None:
    client = EmbeddedClient(tmp_path)
    await client["lims"]["samples"].insert_one({"_id": "a"})
    await _crash(client)
    with open(tmp_path / JOURNAL, "ab") as journal:
        journal.write(b'{"s":2,"d":"lims","c":"samples","op":"bulk","ordered":true,"reqs":[{"t"')
    client = EmbeddedClient(tmp_path)
    await client["lims"]["samples"].insert_one({"_id": "b"})
    await _crash(client)
    # Opening compacted record 1 into the snapshot and cut the torn tail; "b" follows cleanly.
    assert [r["s"] for r in _journal_lines(tmp_path)] == [2]
    client = EmbeddedClient(tmp_path)
    assert [d["_id"] for d in await client["lims"]["samples"].find().to_list()] == ["a", "b"]
    await client.close()


async def test_unreadable_line_before_good_ones_is_corruption(tmp_path: Path) -> None:
    client = EmbeddedClient(tmp_path)
    await client["lims"]["samples"].insert_one({"_id": "a"})
    await client["lims"]["samples"].insert_one({"_id": "b"})
    await _crash(client)
    lines = (tmp_path / JOURNAL).read_bytes().splitlines(keepends=True)
    (tmp_path / JOURNAL).write_bytes(b"{garbage\n" + lines[1])
    with pytest.raises(DataDirCorrupt, match="line 1"):
        EmbeddedClient(tmp_path)
    (tmp_path / JOURNAL).write_bytes(lines[0] + lines[1])
    await EmbeddedClient(tmp_path).close()  # the failed open released its lock


async def test_datetimes_round_trip(tmp_path: Path) -> None:
    aware = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert loads(dumps({"t": aware, "n": datetime(2024, 1, 1), "o": ObjectId(b"x" * 12)})) == {
        "t": aware,
        "n": datetime(2024, 1, 1),
        "o": ObjectId(b"x" * 12),
    }
    assert loads(dumps(aware)).utcoffset() == timedelta(hours=2)

    stamp = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)  # BSON keeps milliseconds
    client = EmbeddedClient(tmp_path, tz_aware=True)
    await client["lims"]["samples"].insert_one({"_id": "a", "at": stamp, "l": [{"at": stamp}]})
    later = aware.replace(microsecond=456000)
    await client["lims"]["samples"].update_one({"at": stamp}, {"$set": {"later": later}})
    await _crash(client)  # journal replay
    client = EmbeddedClient(tmp_path, tz_aware=True)
    found = await client["lims"]["samples"].find_one({"at": {"$lte": stamp}})
    assert found == {"_id": "a", "at": stamp, "l": [{"at": stamp}], "later": later}
    await client.close()  # snapshot
    client = EmbeddedClient(tmp_path, tz_aware=True)
    assert await client["lims"]["samples"].find_one({"_id": "a"}) == found
    await client.close()
    client = EmbeddedClient(tmp_path)  # pymongo's default: naive UTC
    assert (await client["lims"]["samples"].find_one({"_id": "a"}) or {})["at"] == stamp.replace(
        tzinfo=None
    )
    await client.close()


async def test_a_value_json_cannot_carry_is_refused_before_it_is_applied(tmp_path: Path) -> None:
    client = EmbeddedClient(tmp_path)
    coll = client["lims"]["samples"]
    with pytest.raises(TypeError, match="Decimal128"):
        await coll.insert_one({"_id": "a", "price": Decimal128("1.5")})
    assert await coll.count_documents({}) == 0
    await coll.insert_one({"_id": "b"})  # still usable
    await client.close()


async def test_lock_refuses_a_second_opener(tmp_path: Path) -> None:
    client = EmbeddedClient(tmp_path / "data")
    with pytest.raises(DataDirLocked, match=str(tmp_path / "data")) as refused:
        EmbeddedClient(tmp_path / "data")
    assert isinstance(refused.value, RuntimeError)
    await client.close()
    second = EmbeddedClient(tmp_path / "data")
    await second.close()


CHILD = """
import asyncio, sys
from mxlims_store.store.embedded import EmbeddedClient

async def main():
    client = EmbeddedClient(sys.argv[1])
    coll = client["lims"]["samples"]
    await coll.create_index("n", unique=True)
    for i in range(1_000_000):
        doc = {"n": i, "pad": "x" * 200}
        await coll.bulk_write([ReplaceOne({"_id": f"s{i}"}, doc, upsert=True)])
        print(i, flush=True)

from pymongo import ReplaceOne
asyncio.run(main())
"""


def test_sigkill_loses_no_acknowledged_write(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    acknowledged = -1
    while acknowledged < 150:
        line = child.stdout.readline()
        assert line, "the writer died on its own"
        acknowledged = int(line)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    acknowledged = max([acknowledged, *(int(line) for line in child.stdout.read().split())])

    async def check() -> None:
        client = EmbeddedClient(tmp_path)
        coll = client["lims"]["samples"]
        stored = set(await coll.distinct("n"))
        assert set(range(acknowledged + 1)) <= stored
        assert len(stored) <= acknowledged + 2  # at most the one in flight on top
        assert "n_1" in await coll.index_information()
        await client.close()

    import anyio

    anyio.run(check)


async def test_bulk_upsert_of_6500_documents_is_fast_and_one_record(tmp_path: Path) -> None:
    client = EmbeddedClient(tmp_path)
    coll = client["lims"]["samples"]
    await coll.create_index("containerId")
    documents = [
        {"_id": f"{i:08d}-uuid", **{f"field{k}": f"value {k}" for k in range(18)}, "n": i}
        for i in range(6500)
    ]
    start = time.perf_counter()
    result = await coll.bulk_write(
        [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents]
    )
    elapsed = time.perf_counter() - start
    assert result.upserted_count == 6500
    assert elapsed < 4, elapsed  # ~0.6 s on the build machine
    assert len(_journal_lines(tmp_path)) == 2
    await _crash(client)
    start = time.perf_counter()
    client = EmbeddedClient(tmp_path)
    assert time.perf_counter() - start < 4
    assert await client["lims"]["samples"].count_documents({}) == 6500
    assert json.loads((tmp_path / SNAPSHOT).read_text())["seq"] == 2  # compacted on open
    await client.close()
