"""Schema 11, as an attacker would ask: ids that are no canonical uuid, in every way the store
is asked for objects, on each backend (a difference between backends is a bug). Each must find
nothing, never another object (sqlite_ids packs canonical uuids for all at once: a list whose
elements are not each 36 characters must never be cut into other objects' keys)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from mxlims_store.errors import Conflict, InvalidMessage, MxlimsError, NotFound
from mxlims_store.store import Caller, Store
from mxlims_store.store.backends.mongo import MongoBackend
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_ids import (
    in_keys_params,
    key,
    keys,
    keys_params,
)
from mxlims_store.store.collections import CORE_COLLECTIONS, HISTORY
from mxlims_store.store.queries import FindQuery
from tests.acting import admin_store
from tests.factories import minimal, new_uuid, shipment_message


def _spliced(first: str, second: str) -> list[str]:
    """Two texts, 35 and 37 characters, neither a uuid, whose concatenation is ``first`` and
    ``second`` concatenated (the dashes where 36-character blocks have them)."""
    return [first[:-1], first[-1] + second]


def _hostile(uuid: str) -> list[str]:
    """Texts near ``uuid`` that are not it."""
    # Arabic-Indic digits, and full-width digits and letters (by code point: no lookalike
    # characters in the source)
    arabic = uuid.translate({ord("0") + n: 0x0660 + n for n in range(10)})
    wide = uuid.translate({c: c + 0xFEE0 for c in map(ord, "0123456789abcdef")})
    return [
        uuid.upper(),
        "{" + uuid + "}",
        uuid.replace("-", ""),
        uuid[:-1],
        uuid + "0",
        uuid + " ",
        uuid + "\n",
        " " + uuid,
        uuid + "\x00",
        arabic,
        wide,
        "",
        "urn:uuid:" + uuid,
    ]


def test_packing_never_cuts_across_elements() -> None:
    one, two = new_uuid(), new_uuid()
    for texts in (_spliced(one, two), _spliced(one, two)[::-1]):
        assert keys(texts) == texts  # kept as the texts they are
        assert key(one) not in keys(texts)
        assert in_keys_params(texts)[0] == b""  # no blob: nothing canonical
        _sql, params = keys_params(texts)
        assert key(one) not in params and key(two) not in params


async def test_non_canonical_ids_find_nothing(store: Store) -> None:
    message = shipment_message(3)
    pin = message["Pin"]["Pin1"]["uuid"]
    puck = message["Puck"]["Puck1"]["uuid"]
    sample = message["MacromoleculeSample"]["MacromoleculeSample1"]["uuid"]
    # pin and puck begin with 0 and end with f: the two texts of _spliced sort in that order,
    # as the backend sorts a list before packing it
    text = json.dumps(message)
    for was in (pin, puck):
        text = text.replace(was, "0" + was[1:-1] + "f")
    message = json.loads(text)
    pin, puck = ("0" + u[1:-1] + "f" for u in (pin, puck))
    await store.import_message(message)
    near = _hostile(pin) + _hostile(puck) + _spliced(pin, puck) + _spliced(puck, sample)
    for text in near:
        for ask in (store.get, store.links, store.history, store.provenance):
            with pytest.raises(MxlimsError) as raised:
                await ask(text)
            assert isinstance(raised.value, NotFound), (ask, text, raised.value)
    many = near + [f"{n:036d}" for n in range(10_000)]
    for field in ("uuid", "containerId", "sampleId"):
        page = await store.find(FindQuery(where={field: {"$in": many}}, limit=1000))
        assert page.items == [], field
    for pair in (_spliced(pin, puck), _spliced(puck, sample)):
        for field in ("uuid", "containerId"):
            page = await store.find(FindQuery(where={field: {"$in": pair}}))
            assert page.items == [], (field, pair)
    # the real ones still found, among the hostile
    page = await store.find(FindQuery(where={"uuid": {"$in": [*many, pin, puck]}}))
    assert sorted(o.uuid for o in page.items) == sorted([pin, puck])


def _second_handle(store: Store) -> Store:
    """Another handle on the same database, sharing no lock with ``store``."""
    if isinstance(store.db, SqliteBackend):
        return admin_store(SqliteBackend(store.db.path))
    assert isinstance(store.db, MongoBackend)
    return admin_store(MongoBackend(store.db.driver))


def _uuids(message: dict[str, Any]) -> list[str]:
    return [o["uuid"] for g in message.values() if isinstance(g, dict) for o in g.values()]


async def _stored(store: Store, uuids: list[str]) -> int:
    return sum([await store.db.count(c, {"_id": {"$in": uuids}}) for c in CORE_COLLECTIONS])


async def test_two_handles_importing_the_same_new_uuids_store_them_once(store: Store) -> None:
    """Two writers of the same new uuids, one pin named otherwise: one wins, the other is
    refused as 'already stored' (its own check or the unique index of keys), nothing of it
    half-stored; the same message twice: one creates, the other finds all unchanged."""
    other = _second_handle(store)
    for trial in range(3):
        message = shipment_message(4 + trial)
        uuids = _uuids(message)
        renamed = json.loads(json.dumps(message))
        renamed["Pin"]["Pin1"]["name"] = "the other"
        outcomes = await asyncio.gather(
            store.import_message(message, policy="error"),
            other.import_message(renamed, policy="error"),
            return_exceptions=True,
        )
        refused = [o for o in outcomes if isinstance(o, Exception)]
        assert len(refused) == 1 and isinstance(refused[0], Conflict), outcomes
        assert "already stored" in str(refused[0])
        assert await _stored(store, uuids) == len(uuids)
        entries = await store.db.find(HISTORY, {"uuid": {"$in": uuids}})
        assert len(entries) == len(uuids)  # one creation each: the loser wrote no history
        [won] = await store.db.find("logistical_samples", {"_id": message["Pin"]["Pin1"]["uuid"]})
        winner = renamed if isinstance(outcomes[0], Exception) else message
        assert won.get("name") == winner["Pin"]["Pin1"].get("name")
    again = shipment_message(3)
    twice = await asyncio.gather(store.import_message(again), other.import_message(again))
    assert sorted(sum(r.created.values()) for r in twice) == [0, len(_uuids(again))]
    assert await _stored(store, _uuids(again)) == len(_uuids(again))
    assert (await store.check()).problems == []


async def test_one_uuid_is_one_object_across_the_four_collections(store: Store) -> None:
    """A uuid stored as a pin cannot come back as a sample, a job or a dataset, one after the
    other or racing from two handles (each collection's unique index cannot see the others)."""
    message = shipment_message(2)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    as_sample = {"version": "0.6.13", "Crystal": {"C": {**minimal("Crystal"), "uuid": pin}}}
    for policy in ("reject_new", "update_old", "merge", "error"):
        with pytest.raises((InvalidMessage, Conflict)):
            await store.import_message(as_sample, policy=policy)  # type: ignore[arg-type]
    assert await store.db.count("samples", {"_id": pin}) == 0
    other = _second_handle(store)
    for _ in range(3):
        fresh = new_uuid()
        pin_message = {"version": "0.6.13", "Pin": {"P": {**minimal("Pin"), "uuid": fresh}}}
        crystal = {"version": "0.6.13", "Crystal": {"C": {**minimal("Crystal"), "uuid": fresh}}}
        outcomes = await asyncio.gather(
            store.import_message(pin_message),
            other.import_message(crystal),
            return_exceptions=True,
        )
        assert sum(not isinstance(o, Exception) for o in outcomes) == 1, outcomes
        assert await _stored(store, [fresh]) == 1
    assert (await store.check()).problems == []


async def test_one_uuid_twice_in_a_message_in_two_cases_is_refused(store: Store) -> None:
    message = shipment_message(2)
    pin = message["Pin"]["Pin1"]["uuid"]
    message["Pin"]["Pin2"]["uuid"] = pin.upper()
    with pytest.raises(InvalidMessage):
        await store.import_message(message)
    assert await _stored(store, [*_uuids(message), pin.upper()]) == 0


async def test_another_proposal_probing_by_uuid_learns_nothing(store: Store) -> None:
    """Bob (mx2222) asking for Alice's pin, in any spelling, gets what a uuid never stored
    gets: the same error, word for word (the asked text aside)."""
    alice = Caller("alice", frozenset({"mx1234"}))
    bob = Caller("bob", frozenset({"mx2222"}))
    message = shipment_message(2, proposal="mx1234")
    await store.import_message(message, caller=alice)
    pin = message["Pin"]["Pin1"]["uuid"]
    nowhere = new_uuid()

    async def said(ask: Any, text: str) -> tuple[str, str]:
        with pytest.raises(MxlimsError) as raised:
            await ask(text, caller=bob)
        shown = str(raised.value)
        return type(raised.value).__name__, shown.replace(text, "<asked>") if text else shown

    for ask in (store.get, store.links, store.history, store.provenance, store.export):
        expected = await said(ask, nowhere)
        assert expected[0] == "NotFound"
        for text in [pin, *_hostile(pin)]:
            assert await said(ask, text) == expected, (ask, text)
    hidden = await store.find(FindQuery(where={"uuid": {"$in": [pin, *_hostile(pin)]}}), caller=bob)
    assert hidden.items == []


async def test_writes_by_a_non_canonical_uuid_touch_nothing(store: Store) -> None:
    """PATCH, DELETE, an event and links in a message by any other spelling of a stored uuid:
    refused (not found, or the message's path), the stored objects as they were; only an event
    takes a uuid in capitals, for the object it names (logistics.resolve: scanners)."""
    message = shipment_message(2)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    puck = message["Puck"]["Puck1"]["uuid"]
    before = await store.db.find("logistical_samples", {}, sort=[("_id", 1)])
    for text in [*_hostile(pin), *_spliced(pin, puck)]:
        with pytest.raises(NotFound):
            await store.update(text, {"name": "x"}, revision=1)
        with pytest.raises(NotFound):
            await store.delete(text, cascade=True)
        if text == pin.upper():  # a scanned uuid in capitals is that object (as on main)
            assert (await store.record_event(text, "shipped")).subject == pin
            continue
        with pytest.raises(MxlimsError):
            await store.record_event(text, "shipped")
    for text in _hostile(puck):
        linked = {
            "version": "0.6.13",
            "Pin": {"P": {**minimal("Pin"), "containerRef": {"$ref": text}}},
        }
        with pytest.raises(InvalidMessage) as raised:
            await store.import_message(linked)
        assert any("containerRef" in p.path or "$ref" in p.path for p in raised.value.problems)
    assert await store.db.find("logistical_samples", {}, sort=[("_id", 1)]) == before
