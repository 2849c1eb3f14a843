"""A kept read set is stale exactly when a commit touched one of its keys: each key of it alone
(whichever it is, among thousands of others) makes it stale when touched, and a commit touching
only objects it does not name leaves it fresh, on every backend. On the embedded engine the
read set is kept as the keys' numbers and asked about in one statement; a body an older
version kept (text keys), or one of no known shape, is answered as changed: rebuilt once."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite_state import SINCE, key_number
from mxlims_store.store.read_set import proposal_key
from mxlims_store.store.server_state import ServerState, server_state
from tests.factories import new_uuid, shipment_message
from tests.store.stored_sample import a_stored_sample

READS = "download-reads"
# One field each kind of object the factory's shipment holds can be given anew.
_FIELD = {"Dewar": "barcode", "Puck": "barcode", "Pin": "barcode", "MacromoleculeSample": "name"}


def _objects(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, uuid) of every object of ``message`` that :data:`_FIELD` can change."""
    return [
        (kind, found["uuid"])
        for kind, objects in message.items()
        if kind in _FIELD
        for found in objects.values()
    ]


async def _touch(store: Store, kind: str, uuid: str) -> None:
    revision = (await store.get(uuid)).revision
    await store.update(uuid, {_FIELD[kind]: f"changed-{new_uuid()[:8]}"}, revision=revision)


async def _changed(
    store: Store, state: ServerState, keys: list[str], touched: tuple[str, str]
) -> bool:
    """Whether a read set of ``keys``, kept now, is stale once the object ``touched`` (kind,
    uuid) has been changed by a commit."""
    built_at = await state.generation()
    await state.put(READS, "slot", {}, ttl=60, body=state.read_set_body(keys))
    await _touch(store, *touched)
    return await state.read_set_changed(READS, "slot", built_at)


async def test_a_touch_of_any_one_key_makes_a_read_set_stale_and_others_do_not(
    store: Store,
) -> None:
    state = server_state(store.db)
    mine, theirs = shipment_message(3, proposal="mx1"), shipment_message(3, proposal="mx2")
    await store.import_message(mine)
    await store.import_message(theirs)
    filler = [new_uuid() for _ in range(3000)] + ["proposal:nobody"]  # never written
    for touched in _objects(mine):
        # that key among thousands: stale once it (and nothing else the set names) is touched
        assert await _changed(store, state, [*filler, touched[1]], touched)
        # the same commit leaves a set without it (and without what it touched) fresh
        assert not await _changed(store, state, filler, touched)
    every_key = [*filler, *(u for _, u in _objects(mine)), proposal_key("mx1")]
    for touched in _objects(theirs):  # another proposal's objects: nothing of mine
        assert not await _changed(store, state, every_key, touched)
    some = _objects(mine)[0]
    assert await _changed(store, state, [*filler, proposal_key("mx1")], some)
    assert await state.read_set_changed(READS, "not kept", 0)


async def test_a_read_set_kept_as_text_keys_or_of_no_known_shape_counts_as_changed(
    tmp_path: Path,
) -> None:
    async with a_stored_sample(tmp_path / "store.sqlite3") as (_, state, sample):
        now = await state.generation()
        kept = state.read_set_body([sample, sample, "proposal:mx1"])
        numbers = sorted({key_number(sample), key_number("proposal:mx1")})
        assert orjson.loads(kept) == [SINCE, *numbers]  # each key once, in order
        bodies = {
            "numbers": kept,
            "text keys": orjson.dumps([sample]),  # what the version before kept
            "empty text": b"[]",
            "broken numbers": b"[-1, 12, oops",
            "not json": b"\xff\xfe",
            "no body": None,
        }
        for name, body in bodies.items():
            await state.put(READS, name, {}, ttl=60, body=body)
        answers = {name: await state.read_set_changed(READS, name, now) for name in bodies}
        assert answers == {name: name != "numbers" for name in bodies}
        # a store no commit has noted touches in yet (made before them): nothing moved since
        with sqlite3.connect(tmp_path / "store.sqlite3") as connection:
            connection.execute("DROP TABLE touched_numbers")
        answers = {name: await state.read_set_changed(READS, name, 0) for name in bodies}
        assert answers == {name: name != "numbers" for name in bodies}
        assert await state.read_set_changed(READS, "not kept", 0)
