"""What a server process knows, kept in the store alike on every backend: entries with expiry,
bodies (chunked on MongoDB), take-once, quotas by owner, rate windows, and the generation that
every change of MXLIMS objects bumps (and nothing else does)."""

from __future__ import annotations

import asyncio

from mxlims_store.store import Store
from mxlims_store.store.backends.mongo_state import CHUNK
from mxlims_store.store.server_state import server_state
from tests.factories import results_message, shipment_message


async def test_entries_bodies_and_expiry(store: Store) -> None:
    state = server_state(store.db)
    body = bytes(range(256)) * (CHUNK // 128 + 3)  # over two chunks on MongoDB
    await state.put("draft", "t1", {"name": "a.csv"}, ttl=60, body=body, owner="key1")
    await state.put("draft", "t2", {}, ttl=60, body=b"xy", owner="key2")
    found = await state.get("draft", "t1")
    assert found is not None and found.body == body and found.value == {"name": "a.csv"}
    assert await state.usage("draft", "key1") == (1, len(body))
    assert await state.usage("draft") == (2, len(body) + 2)
    await state.put("draft", "gone", {}, ttl=-1, owner="key1")  # already expired
    assert await state.get("draft", "gone") is None
    assert await state.usage("draft", "key1") == (1, len(body))


async def test_take_gives_an_entry_once(store: Store) -> None:
    state = server_state(store.db)
    await state.put("draft", "t", {}, ttl=60, body=b"data", owner="k")
    taken = await asyncio.gather(*(state.take("draft", "t") for _ in range(4)))
    assert [t.body for t in taken if t is not None] == [b"data"]
    assert await state.get("draft", "t") is None


async def test_add_keeps_the_first_value_and_owned_entries_go_together(store: Store) -> None:
    state = server_state(store.db)
    first = await state.add("secret", "s", {"value": "one"}, ttl=60)
    second = await state.add("secret", "s", {"value": "two"}, ttl=60)
    assert first.value == second.value == {"value": "one"}
    for key in ("a", "b", "c"):
        await state.put("download", key, {}, ttl=60, body=b"z", owner="slot")
    await state.delete_owned("download", "slot", keep="b")
    assert [await state.get("download", k) is not None for k in "abc"] == [False, True, False]


async def test_hits_count_within_a_window(store: Store) -> None:
    state = server_state(store.db)
    assert [await state.hit("rate", "10.0.0.1", window=60) for _ in range(3)] == [1, 2, 3]
    assert await state.hit("rate", "10.0.0.2", window=60) == 1
    assert await state.hit("rate", "10.0.0.3", window=-1) == 1
    assert await state.hit("rate", "10.0.0.3", window=60) == 1  # the old window was over


async def test_the_generation_moves_with_every_change_of_objects(store: Store) -> None:
    state = server_state(store.db)
    start = await state.generation()
    message = shipment_message(2)
    await store.import_message(message)
    imported = await state.generation()
    assert imported > start
    await store.create_key(name="k", role="staff")  # no MXLIMS object: downloads stay valid
    await store.record_event(message["Dewar"]["Dewar1"]["uuid"], "shipped")
    assert await state.generation() == imported
    pin = message["Pin"]["Pin1"]["uuid"]
    await store.update(pin, {"barcode": "NEW-1"}, revision=1)
    assert await state.generation() > imported


async def test_a_read_set_changes_only_with_a_commit_touching_one_of_its_keys(
    store: Store,
) -> None:
    """What a kept download read stays valid through commits elsewhere; a commit that touches
    one of its keys (a result linking to one of its samples) makes it stale, on every backend."""
    state = server_state(store.db)
    mine, theirs = shipment_message(2, proposal="mx1"), shipment_message(2, proposal="mx2")
    await store.import_message(mine)
    sample = mine["MacromoleculeSample"]["MacromoleculeSample1"]["uuid"]
    assert await state.read_set_changed("download-reads", "slot", 0)  # none kept: changed
    built_at = await state.generation()
    body = state.read_set_body([sample])
    await state.put("download-reads", "slot", {}, ttl=60, body=body)
    await store.import_message(theirs)
    assert not await state.read_set_changed("download-reads", "slot", built_at)
    await store.import_message(results_message(mine), policy="merge")
    assert await state.read_set_changed("download-reads", "slot", built_at)
    assert not await state.read_set_changed("download-reads", "slot", await state.generation())
