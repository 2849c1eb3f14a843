"""Stable integer ids: every object created gets a store-assigned number, never given twice,
kept through updates, and a store from before numbers is numbered once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from mxlims_store.store import Store
from mxlims_store.store.backends import Write
from mxlims_store.store.collections import CORE_COLLECTIONS, COUNTERS
from mxlims_store.store.documents import META
from mxlims_store.store.numbering import COUNTER, backfill
from tests.conftest import FIXTURES, load_json


async def _numbers(store: Store) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for collection in CORE_COLLECTIONS:
        for document in await store.db.find(collection, {}):
            found[document["_id"]] = document[META].get("number")
    return found


async def test_every_created_object_gets_its_own_number_kept_through_a_merge(store: Store) -> None:
    await store.import_message(load_json(FIXTURES / "messages" / "shipment.json"))
    first = await _numbers(store)
    assert all(isinstance(n, int) for n in first.values())
    assert sorted(first.values()) == list(range(1, len(first) + 1))  # type: ignore[type-var]
    await store.import_message(load_json(FIXTURES / "messages" / "results.json"), policy="merge")
    second = await _numbers(store)
    assert {u: second[u] for u in first} == first  # updated objects keep theirs
    new = [n for u, n in second.items() if u not in first]
    assert new and len(set(second.values())) == len(second)
    assert min(new) > max(first.values())  # type: ignore[type-var]
    pin = next(u for u, n in first.items() if n == 5)
    shown = (await store.get(pin)).model_dump(by_alias=True)
    assert shown["_meta"]["number"] == 5


async def test_a_store_from_before_numbers_is_numbered_once_in_creation_order(
    store: Store,
) -> None:
    await store.import_message(load_json(FIXTURES / "messages" / "shipment.json"))
    # make it a store of the old kind: no counter, no numbers (revisions as they were)
    counter = (await store.db.find(COUNTERS, {"_id": COUNTER}))[0]
    writes: list[Write] = [Write(COUNTERS, COUNTER, None, counter[META]["revision"], None)]
    for collection in CORE_COLLECTIONS:
        for document in await store.db.find(collection, {}):
            meta: dict[str, Any] = dict(document[META])
            del meta["number"]
            revision = meta["revision"]
            writes.append(
                Write(collection, document["_id"], {**document, META: meta}, revision, None)
            )
    await store.db.commit(writes)
    assert set((await _numbers(store)).values()) == {None}
    await store.init()
    numbered = await _numbers(store)
    assert sorted(numbered.values()) == list(range(1, len(numbered) + 1))  # type: ignore[type-var]
    assert await backfill(store.db) == 0  # once only
    await store.import_message(load_json(FIXTURES / "messages" / "results.json"), policy="merge")
    after = await _numbers(store)
    assert len(set(after.values())) == len(after) and None not in after.values()


# Without transactions only (the MongoDB double): on SQLite and a replica set the counter is read
# and moved inside one unit of work that holds the write lock, so no rival can move it between.
@pytest.mark.parametrize("backend", ["mongomock"], indirect=True)
async def test_a_writer_that_moved_the_counter_first_costs_a_retry_never_a_duplicate(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.import_message(load_json(FIXTURES / "messages" / "shipment.json"))
    commit = store.db.commit
    interfered: list[int] = []

    async def another_process_first(writes: Sequence[Write]) -> None:
        if not interfered and any(w.collection == COUNTERS for w in writes):
            counter = (await store.db.find(COUNTERS, {"_id": COUNTER}))[0]
            revision = counter[META]["revision"]
            taken = {**counter, "next": counter["next"] + 100, META: {"revision": revision + 1}}
            await commit([Write(COUNTERS, COUNTER, taken, revision, None)])
            interfered.append(counter["next"])
        await commit(writes)

    monkeypatch.setattr(store.db, "commit", another_process_first)
    before = await _numbers(store)
    await store.import_message(load_json(FIXTURES / "messages" / "results.json"), policy="merge")
    after = await _numbers(store)
    new = sorted(n for u, n in after.items() if u not in before)  # type: ignore[type-var]
    assert interfered and new and new[0] == interfered[0] + 100  # the other's block is skipped
    assert len(set(after.values())) == len(after)
