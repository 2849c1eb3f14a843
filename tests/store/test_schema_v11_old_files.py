"""Schema 11 and files from before it, or written round the store: a v10 store with odd ids,
a v10 backup restored under a running store, the plain sqlite3 shell, two processes opening
one old file (tests/store/test_schema_v11_hostile.py asks as an attacker)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.config import Settings
from mxlims_store.store.backend import restore
from mxlims_store.store.backends import sqlite_upgrade
from mxlims_store.store.backends.sqlite import SCHEMA_VERSION, SqliteBackend, database_file
from mxlims_store.store.backends.sqlite_create import create_database
from mxlims_store.store.backends.sqlite_ids import (
    KEY_FUNCTION,
    TEXT_UUID_CHECK,
)
from mxlims_store.store.backends.sqlite_links import table_sql
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.existence import make_private_dir
from tests.acting import admin_store, open_admin_store
from tests.factories import new_uuid, shipment_message
from tests.store.test_schema_v11 import ODD, _as_v10
from tests.store.test_schema_v11_hostile import _hostile, _spliced


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
