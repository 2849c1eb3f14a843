"""A server reads a large message in another process, a small one in its own (read_processes):
sending a 16-pin shipment there and back cost more CPU than reading it."""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from bench import generate
from mxlims_store.store import Store, read_processes
from mxlims_store.store.read_processes import SMALL, small


async def test_a_small_message_is_read_here_and_a_large_one_is_sent(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def no_pool() -> ProcessPoolExecutor | None:
        asked.append("pool")
        return None  # as when no process may start: read in a thread, the same answer

    monkeypatch.setattr(read_processes, "_the_pool", no_pool)
    read_processes.read_in_processes(1)
    try:
        report = await store.import_message(generate.shipment(1, 16).message)
        assert report.created["Pin"] == 16
        assert asked == []  # read here: no process asked for
        report = await store.import_message(generate.shipment(2, 100).message)
        assert report.created["Pin"] == 100
        assert asked == ["pool"]
    finally:
        read_processes.read_in_processes(0)
    report = await store.import_message(generate.shipment(3, 100).message)  # a command: here
    assert report.created["Pin"] == 100 and asked == ["pool"]


async def test_a_server_reads_a_small_message_in_place_and_a_command_in_a_thread(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In place: the trip to a thread and back cost more than the read, and under load the
    way back waited behind the server's other work."""
    hops: list[str] = []
    real = asyncio.to_thread

    async def counted(function: Any, /, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(function, "__name__", "") or type(function).__name__)
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(read_processes.asyncio, "to_thread", counted)
    read_processes.read_in_processes(1)
    try:
        report = await store.import_message(generate.shipment(1, 16).message)
        assert report.created["Pin"] == 16 and hops == []
    finally:
        read_processes.read_in_processes(0)
    report = await store.import_message(generate.shipment(2, 16).message)  # a command
    assert report.created["Pin"] == 16 and len(hops) == 1


def test_a_message_is_weighed_by_its_values_and_their_length() -> None:
    assert small(generate.shipment(1, 16).message, SMALL)
    assert not small(generate.shipment(1, 100).message, SMALL)
    # a few objects holding much text are no small message
    assert small({"Pin": {"Pin1": {"mxlimsType": "Pin", "comments": "x" * 1000}}}, SMALL)
    assert not small({"Pin": {"Pin1": {"mxlimsType": "Pin", "comments": "x" * 100_000}}}, SMALL)
    deep: Any = "leaf"
    for _ in range(100_000):  # any depth: weighed without recursion, and stopped at the limit
        deep = [deep]
    assert not small(deep, SMALL)
    assert small([[[["leaf"]]]], SMALL)


def test_long_keys_weigh_like_long_values() -> None:
    """A key is text a read walks too (its path, its error): megabytes in a few keys, read on
    the server's event loop as "small", held it ~100 ms per 20 MB (a review's probe)."""
    assert not small({"Pin": {"x" * 100_000: {"mxlimsType": "Pin"}}}, SMALL)
    assert not small({"Pin": {"Pin1": {"mxlimsType": "Pin", "z" * 100_000: 1}}}, SMALL)
    assert small({"Pin": {"Pin1": {"mxlimsType": "Pin", "z" * 1000: 1}}}, SMALL)


async def test_a_started_reading_process_has_the_reader_loaded() -> None:
    kept = read_processes._pool
    if kept is not None:  # a fresh process: one kept from an earlier test read messages
        read_processes._pool = None
        kept.shutdown()
    read_processes.read_in_processes(1, smallest=0)
    try:
        await read_processes.warm_up()
        pool = read_processes._the_pool()
        assert pool is not None
        assert await asyncio.wrap_future(pool.submit(read_processes.reader_loaded))
    finally:
        read_processes.read_in_processes(0)
