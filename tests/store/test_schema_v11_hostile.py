"""Schema 11, as an attacker would ask: ids that are no canonical uuid, in every way the store
is asked for objects, on each backend (a difference between backends is a bug). Each must find
nothing, never another object (sqlite_ids packs canonical uuids for all at once: a list whose
elements are not each 36 characters must never be cut into other objects' keys)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.config import Settings
from mxlims_store.errors import Conflict, InvalidMessage, MxlimsError, NotFound
from mxlims_store.store import Caller, Store
from mxlims_store.store.backend import restore
from mxlims_store.store.backends import sqlite_upgrade
from mxlims_store.store.backends.mongo import MongoBackend
from mxlims_store.store.backends.sqlite import SCHEMA_VERSION, SqliteBackend, database_file
from mxlims_store.store.backends.sqlite_create import create_database
from mxlims_store.store.backends.sqlite_ids import (
    KEY_FUNCTION,
    TEXT_UUID_CHECK,
    in_keys_params,
    key,
    keys,
    keys_params,
)
from mxlims_store.store.backends.sqlite_links import table_sql
from mxlims_store.store.collections import CORE_COLLECTIONS, HISTORY
from mxlims_store.store.existence import make_private_dir
from mxlims_store.store.queries import FindQuery
from tests.acting import admin_store, open_admin_store
from tests.factories import minimal, new_uuid, shipment_message
from tests.store.test_schema_v11 import ODD, _as_v10


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


async def test_odd_v10_ids_survive_the_upgrade_as_texts_each_found_by_itself(
    tmp_path: Path,
) -> None:
    """Ids a v10 file may hold (raw SQL, an old tool): near-uuids, and two whose texts joined
    read as two canonical uuids, each kept as its text and found by exactly itself, alone or
    in a list (never another object's key), beside the canonical ones."""
    path = tmp_path / "s.sqlite3"
    store = admin_store(SqliteBackend(path))
    await store.init()
    message = shipment_message(2)
    await store.import_message(message)
    await store.db.close()
    pin = message["Pin"]["Pin1"]["uuid"]
    puck = message["Puck"]["Puck1"]["uuid"]
    pin = "0" + pin[1:-1] + "f"  # not stored: what the spliced pair would read as
    odd = list(dict.fromkeys([*_hostile(pin), *_spliced(pin, puck)]))
    _as_v10(path, odd=False)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.executemany(
        "INSERT INTO samples (id, doc) VALUES (?, json_object('_id', ?, 'name', ?))",
        [(text, text, f"odd {at}") for at, text in enumerate(odd)],
    )
    raw.close()

    reopened = admin_store(SqliteBackend(path))
    await reopened.init()
    db = reopened.db
    for at, text in enumerate(odd):
        assert [d["name"] for d in await db.find("samples", {"_id": text})] == [f"odd {at}"]
    together = await db.find("samples", {"_id": {"$in": [*odd, puck]}})
    # (an id with a NUL is found alone but not in a list, as on main: a list's texts pass
    # through json_each, which cuts at the NUL; every door refuses a NUL in a uuid)
    assert sorted(d["_id"] for d in together) == sorted(t for t in odd if "\x00" not in t)
    pair = await db.find("samples", {"_id": {"$in": _spliced(pin, puck)}})
    assert sorted(d["_id"] for d in pair) == sorted(_spliced(pin, puck))
    assert await db.find("logistical_samples", {"_id": {"$in": _spliced(pin, puck)}}) == []
    kinds = sqlite3.connect(path).execute("SELECT typeof(id), count(*) FROM samples GROUP BY 1")
    assert dict(kinds.fetchall())["text"] == len(odd)
    declared = sqlite3.connect(path).execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?, ?)",
        CORE_COLLECTIONS,
    )
    for name, sql in declared.fetchall():  # declared as a new store declares them
        assert TEXT_UUID_CHECK in sql and sql.replace("IF NOT EXISTS ", "") in table_sql(
            name
        ).replace("IF NOT EXISTS ", ""), sql
    problems = (await reopened.check()).problems
    assert not [p for p in problems if "kept as text" in p], problems  # none is canonical
    await db.close()


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


async def test_a_v10_backup_restored_under_a_live_store_reaches_it_upgraded(
    tmp_path: Path,
) -> None:
    """A running server (a store open in this process) never meets the old layout: the backup
    is upgraded on a private copy before it replaces the database. (Restored as it was, the
    live store found none of its objects, and an import of them then stored twins that made
    the next open fail: UNIQUE constraint failed at the upgrade.)"""
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    make_private_dir(settings.data_dir)  # a store made as `mxlims-store init` makes one
    create_database(database_file(settings.data_dir, settings.database), {})
    message = shipment_message(3)
    pin = message["Pin"]["Pin1"]["uuid"]
    copy = tmp_path / "copy.sqlite3"
    async with open_admin_store(settings) as store:
        await store.import_message(message)
        await store.backup(copy)
        _as_v10(copy)  # with a row whose id is no uuid: kept as text through the restore
        before = copy.read_bytes()
        await store.import_message(shipment_message(2))  # gone again with the restore
        restore(settings, copy)
        assert copy.read_bytes() == before  # the backup itself is left as it was
        database = database_file(settings.data_dir, settings.database)
        version = sqlite3.connect(database).execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION
        assert (await store.get(pin)).uuid == pin  # the live store finds the restored objects
        assert [d["name"] for d in await store.db.find("samples", {"_id": ODD})] == ["odd"]
        again = await store.import_message(message, policy="update_old")
        assert sum(again.created.values()) == 0
        assert (await store.stats())["Pin"] == 3
    leftovers = sorted(p.name for p in settings.data_dir.iterdir() if "restor" in p.name)
    assert leftovers == []
    async with open_admin_store(settings) as store:
        assert (await store.get(pin)).uuid == pin
        assert (await store.check()).problems == []


async def test_the_plain_sqlite3_shell_reads_and_writes_a_backup(tmp_path: Path) -> None:
    """No schema object needs the store's SQL function: a connection without it (the sqlite3
    shell) counts, inserts, updates and deletes in a backup, which the store then opens; a
    canonical uuid written as text (a twin the store never finds) is refused in plain SQL."""
    store = admin_store(SqliteBackend(tmp_path / "s.sqlite3"))
    await store.init()
    message = shipment_message(3)
    await store.import_message(message)
    copy = tmp_path / "copy.sqlite3"
    await store.backup(copy)
    await store.db.close()
    shell = sqlite3.connect(copy, isolation_level=None)
    schema = " ".join(sql for (sql,) in shell.execute("SELECT sql FROM sqlite_master") if sql)
    assert KEY_FUNCTION not in schema
    assert shell.execute("SELECT count(*) FROM logistical_samples").fetchone()[0] == 6
    stray = new_uuid()
    insert = "INSERT INTO samples (id, doc) VALUES (?, json_object('_id', ?, 'name', 'shell'))"
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        shell.execute(insert, (stray, stray))  # a twin the store would never find: refused
    shell.execute(insert, (stray.upper(), stray.upper()))  # no uuid the model admits: a text
    pin = message["Pin"]["Pin2"]["uuid"]
    shell.execute(
        "UPDATE logistical_samples SET doc = json_set(doc, '$.comments', 'by hand') "
        "WHERE hex(id) = upper(?)",
        (pin.replace("-", ""),),
    )
    assert shell.total_changes == 2
    shell.execute("DELETE FROM events")
    shell.close()
    opened = admin_store(SqliteBackend(copy))
    await opened.init()
    [found] = await opened.db.find("logistical_samples", {"_id": pin})
    assert found["comments"] == "by hand"
    assert [d["name"] for d in await opened.db.find("samples", {"_id": stray.upper()})] == ["shell"]
    assert await opened.db.find("samples", {"_id": stray}) == []
    assert not [p for p in (await opened.check()).problems if "kept as text" in p]
    await opened.db.close()


async def test_a_process_that_found_the_file_old_does_not_upgrade_it_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes opening one v10 file at once both found it old before either took the
    write lock; the second then ran every step again over the upgraded file. The version is
    read again under the lock."""
    path = tmp_path / "s.sqlite3"
    store = admin_store(SqliteBackend(path))
    await store.init()
    await store.import_message(shipment_message(2))
    await store.db.close()
    _as_v10(path)
    first = admin_store(SqliteBackend(path))
    await first.init()  # upgraded by the first
    runs: list[int] = []
    real = sqlite_upgrade.upgrade

    def counted(connection: sqlite3.Connection, version: int, tables: Any) -> None:
        runs.append(version)
        real(connection, version, tables)

    monkeypatch.setattr("mxlims_store.store.backends.sqlite.upgrade", counted)
    # the second found it old (read before the first committed)
    monkeypatch.setattr("mxlims_store.store.backends.sqlite.schema_is_current", lambda *a: False)
    second = admin_store(SqliteBackend(path))
    await second.init()
    assert runs == []
    assert [d["name"] for d in await second.db.find("samples", {"_id": ODD})] == ["odd"]
    assert (await second.check()).problems == []
    await first.db.close()
    await second.db.close()


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
