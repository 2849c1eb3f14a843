"""Schema 11 of the embedded store: a core table's id is its uuid's 16 bytes where the uuid is
canonical, any other text kept as it is (sqlite_ids); v10 stores converted at open, in the
opening transaction."""

from __future__ import annotations

import sqlite3
import uuid as uuidlib
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.store import Store
from mxlims_store.store.backends import Write, sqlite_upgrade
from mxlims_store.store.backends.sqlite import SCHEMA_VERSION, SqliteBackend
from mxlims_store.store.backends.sqlite_ids import (
    TEXT_UUID_CHECK,
    key,
    keys,
    keys_params,
    sorted_keys,
    uuid_of,
    uuid_sql,
)
from mxlims_store.store.collections import CORE_COLLECTIONS, HISTORY
from mxlims_store.store.queries import FindQuery
from tests.acting import admin_store
from tests.factories import new_uuid, shipment_message

ODD = "not-a-uuid"  # a non-canonical id, as a v10 file could hold (raw SQL, an old tool)


def test_a_canonical_uuid_is_its_16_bytes_and_back() -> None:
    for _ in range(50):
        text = str(uuidlib.uuid4())
        stored = key(text)
        assert stored == uuidlib.UUID(text).bytes and len(stored) == 16
        assert uuid_of(stored) == text
    upper = str(uuidlib.uuid4()).upper()
    for other in (upper, ODD, "", "0" * 32, " " + new_uuid()[1:], new_uuid() + " ", "g" * 36):
        assert key(other) == other  # kept as the text it is
        assert uuid_of(other) == other
    mixed = [new_uuid(), upper, new_uuid(), ODD]
    assert keys(mixed) == [key(u) for u in mixed]  # the bulk path agrees, one by one
    many = [new_uuid() for _ in range(100)]
    assert keys(many) == [key(u) for u in many]


def test_sql_reads_keys_as_python_does() -> None:
    connection = sqlite3.connect(":memory:")
    texts = [new_uuid() for _ in range(20)]
    odd = ["Z", ODD, texts[0].upper()]
    asked = texts + odd
    sql, params = keys_params(asked)
    got = [row[0] for row in connection.execute(sql, params)]
    # each once, texts first, then the blobs in byte order = the uuids' text order
    assert got == sorted(odd) + [key(u) for u in sorted(texts)]
    assert list(sorted_keys(asked)) == got
    rendered = f"SELECT {uuid_sql('x')} FROM (SELECT ? AS x)"
    assert connection.execute(rendered, (key(texts[1]),)).fetchone()[0] == texts[1]
    assert connection.execute(rendered, (ODD,)).fetchone()[0] == ODD
    sql, params = keys_params([])
    assert connection.execute(sql, params).fetchall() == []


async def test_a_stored_object_is_found_by_its_uuid_only(tmp_path: Path) -> None:
    """The row holds 16 bytes; the same uuid in capitals, or any other text, finds nothing."""
    store = admin_store(SqliteBackend(tmp_path / "s.sqlite3"))
    await store.init()
    message = shipment_message(3)
    await store.import_message(message)
    pin = message["Pin"]["Pin1"]["uuid"]
    db = store.db
    assert isinstance(db, SqliteBackend)
    total = await db.count("logistical_samples", {})
    kinds = db._connection().execute(
        "SELECT typeof(id), length(id), count(*) FROM logistical_samples GROUP BY 1, 2"
    )
    assert kinds.fetchall() == [("blob", 16, total)]
    assert [d["_id"] for d in await db.find("logistical_samples", {"_id": pin})] == [pin]
    assert await db.find("logistical_samples", {"_id": pin.upper()}) == []
    assert await db.find("logistical_samples", {"_id": pin.replace("-", "")}) == []
    found = await db.find("logistical_samples", {"_id": {"$in": [pin.upper(), pin, ODD]}})
    assert [d["_id"] for d in found] == [pin]
    assert await db.count("logistical_samples", {"_id": {"$nin": [pin]}}) == total - 1
    # ranges and order keep the uuids' text order (paging by `after`)
    every = sorted(d["_id"] for d in await db.find("logistical_samples", {}))
    by_id = await db.find("logistical_samples", {}, sort=[("_id", 1)])
    assert [d["_id"] for d in by_id] == every
    middle = every[len(every) // 2]
    after = await db.find("logistical_samples", {"_id": {"$gt": middle}}, sort=[("_id", 1)])
    assert [d["_id"] for d in after] == every[len(every) // 2 + 1 :]
    below = await db.find("logistical_samples", {"_id": {"$lte": middle}})
    assert sorted(d["_id"] for d in below) == every[: len(every) // 2 + 1]
    # a bound that is no canonical uuid (a made-up cursor) compares as text, as before
    for bound in ("zzz", "", "F" * 8, "8", middle.upper(), middle + "x", middle[:-1]):
        for op, holds in (("$gt", str.__gt__), ("$lte", str.__le__)):
            got = await db.find("logistical_samples", {"_id": {op: bound}})
            expected = [u for u in every if holds(u, bound)]
            assert sorted(d["_id"] for d in got) == expected, (op, bound)
    page = await store.find(FindQuery("Pin", limit=2))
    rest = await store.find(FindQuery("Pin", after=page.items[-1].uuid, limit=100))
    pins = sorted(p["uuid"] for p in message["Pin"].values())
    assert [p.uuid for p in page.items + rest.items] == pins
    # links, history and the walks go through the keys too
    puck = message["Puck"]["Puck1"]["uuid"]
    children = await db.find("logistical_samples", {"containerId": {"$in": [puck, ODD]}})
    assert {c["containerId"] for c in children} == {puck}
    assert [e["revision"] for e in await db.find(HISTORY, {"uuid": pin})] == [1]
    assert (await store.check()).problems == []
    await db.close()


async def test_uuids_differing_only_in_case_stay_apart(tmp_path: Path) -> None:
    """The model admits only lower-case uuids; below it, the engine keeps a capitalised twin
    as a text beside the 16 bytes of the lower-case one, each found by exactly its own id."""
    store = admin_store(SqliteBackend(tmp_path / "s.sqlite3"))
    await store.init()
    upper = new_uuid().upper()
    message = shipment_message(1)
    message["Pin"]["Pin1"]["uuid"] = upper
    with pytest.raises(InvalidMessage):
        await store.import_message(message)
    db = store.db
    lower = upper.lower()
    await db.commit(
        [
            Write(
                "samples",
                lower,
                {"_id": lower, "name": "lower", "_meta": {"revision": 1}},
                None,
                None,
            ),
            Write(
                "samples",
                upper,
                {"_id": upper, "name": "upper", "_meta": {"revision": 1}},
                None,
                None,
            ),
        ]
    )
    assert [d["name"] for d in await db.find("samples", {"_id": lower})] == ["lower"]
    assert [d["name"] for d in await db.find("samples", {"_id": upper})] == ["upper"]
    both = await db.find("samples", {"_id": {"$in": [upper, lower]}}, sort=[("_id", 1)])
    assert [d["name"] for d in both] == ["upper", "lower"]  # a text sorts before a key
    await db.close()


async def test_check_names_a_uuid_kept_as_text(tmp_path: Path) -> None:
    """A canonical uuid written as text by another tool is never found by the store: named."""
    store = admin_store(SqliteBackend(tmp_path / "s.sqlite3"))
    await store.init()
    await store.import_message(shipment_message(1))
    db = store.db
    assert isinstance(db, SqliteBackend)
    stray = new_uuid()
    raw = sqlite3.connect(db.path, isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        raw.execute(
            "INSERT INTO datasets (id, doc) VALUES (?, json_object('_id', ?))", (stray, stray)
        )
    raw.execute("PRAGMA ignore_check_constraints = ON")  # a tool that goes round the check
    raw.execute("INSERT INTO datasets (id, doc) VALUES (?, json_object('_id', ?))", (stray, stray))
    raw.close()
    problems = (await store.check()).problems
    assert any(p.startswith(f"datasets {stray}: its id is kept as text") for p in problems)
    await db.close()


def _as_v10(path: Path, odd: bool = True) -> None:
    """Rewrite the core tables as schema 10 kept them: ``id TEXT``, every id its uuid's text
    (and, with ``odd``, one row whose id is no uuid at all)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        for name in CORE_COLLECTIONS:
            [table] = connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
            indexes = connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (name,),
            ).fetchall()
            assert "id BLOB NOT NULL UNIQUE" in table
            old = table.replace("id BLOB NOT NULL UNIQUE", "id TEXT NOT NULL UNIQUE")
            old = old.replace(f", {TEXT_UUID_CHECK}", "")  # (v10 kept uuids as texts)
            assert TEXT_UUID_CHECK not in old
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')]
            named = ", ".join(f'"{c}"' for c in columns)
            picked = ", ".join(uuid_sql("id") if c == "id" else f'"{c}"' for c in columns)
            connection.execute(f'ALTER TABLE "{name}" RENAME TO "{name}__old"')
            connection.execute(old)
            connection.execute(f'INSERT INTO "{name}" ({named}) SELECT {picked} FROM "{name}__old"')
            connection.execute(f'DROP TABLE "{name}__old"')
            for (sql,) in indexes:
                connection.execute(sql)
        if odd:
            connection.execute(
                "INSERT INTO samples (id, doc) VALUES (?, json_object('_id', ?, 'name', 'odd'))",
                (ODD, ODD),
            )
        connection.execute("PRAGMA user_version = 10")
        connection.execute("COMMIT")
    finally:
        connection.close()


def _id_kinds(path: Path) -> dict[str, list[tuple[str, int]]]:
    connection = sqlite3.connect(path)
    try:
        return {
            name: connection.execute(
                f'SELECT DISTINCT typeof(id), length(id) FROM "{name}" ORDER BY 1, 2'
            ).fetchall()
            for name in CORE_COLLECTIONS
        }
    finally:
        connection.close()


async def _filled(path: Path) -> tuple[Store, dict[str, Any], list[str]]:
    store = admin_store(SqliteBackend(path))
    await store.init()
    message = shipment_message(6, experiments=True)
    await store.import_message(message)
    await store.update(message["Pin"]["Pin1"]["uuid"], {"name": "moved"}, revision=1)
    await store.delete(message["Pin"]["Pin6"]["uuid"], cascade=True)
    uuids = [o["uuid"] for g in message.values() if isinstance(g, dict) for o in g.values()]
    return store, message, uuids


async def _everything(store: Store, message: dict[str, Any], uuids: list[str]) -> Any:
    db = store.db
    puck = message["Puck"]["Puck1"]["uuid"]
    sweep = message["CollectionSweep"]["CollectionSweep1"]["uuid"]
    return {
        "documents": {c: await db.find(c, {}, sort=[("_id", 1)]) for c in CORE_COLLECTIONS},
        "history": {u: await db.find(HISTORY, {"uuid": u}) for u in uuids},
        "by id": await db.find("logistical_samples", {"_id": {"$in": uuids}}),
        "links": await db.find("logistical_samples", {"containerId": puck}),
        "lists": await db.find("jobs", {"templateDataIds": sweep}),
        "pins": [p.uuid for p in (await store.find(FindQuery("Pin"))).items],
    }


async def test_a_v10_store_is_converted_at_open_and_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store, message, uuids = await _filled(path)
    before = await _everything(store, message, uuids)
    await store.db.close()
    _as_v10(path)
    assert all(("text", 36) in k and ("blob", 16) not in k for k in _id_kinds(path).values())

    reopened = admin_store(SqliteBackend(path))
    await reopened.init()
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 11
    [table] = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'jobs'").fetchone()
    assert "id BLOB NOT NULL UNIQUE" in table
    connection.close()
    kinds = _id_kinds(path)
    assert kinds["samples"] == [("blob", 16), ("text", len(ODD))]  # the odd one kept as text
    assert all(k == [("blob", 16)] for name, k in kinds.items() if name != "samples")
    after = await _everything(reopened, message, uuids)
    odd_first = after["documents"]["samples"].pop(0)  # a text sorts before every key
    assert odd_first == {"_id": ODD, "name": "odd"}
    assert after == before
    odd = await reopened.db.find("samples", {"_id": ODD})
    assert [d["name"] for d in odd] == ["odd"]
    problems = (await reopened.check()).problems
    assert not [p for p in problems if "link index" in p or "kept as text" in p], problems
    # the next writes find the old rows through their keys
    pin = message["Pin"]["Pin1"]["uuid"]
    await reopened.update(pin, {"name": "again"}, revision=2)
    assert [e["revision"] for e in await reopened.db.find(HISTORY, {"uuid": pin})] == [1, 2, 3]
    await reopened.import_message(message, policy="update_old")
    await reopened.import_message(shipment_message(2))
    assert await reopened.db.count("samples", {"_id": ODD}) == 1
    await reopened.db.close()


async def test_a_failed_conversion_leaves_the_v10_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.sqlite3"
    store, message, _ = await _filled(path)
    await store.db.close()
    _as_v10(path, odd=False)
    kinds = _id_kinds(path)

    def fails(connection: sqlite3.Connection, version: int, tables: Any) -> None:
        real(connection, version, tables)  # every step done, then a failure before COMMIT
        raise RuntimeError("disk gone")

    real = sqlite_upgrade.upgrade
    monkeypatch.setattr("mxlims_store.store.backends.sqlite.upgrade", fails)
    backend = SqliteBackend(path)
    with pytest.raises(RuntimeError, match="disk gone"):
        await admin_store(backend).init()
    await backend.close()
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == 10
    connection.close()
    assert _id_kinds(path) == kinds
    monkeypatch.undo()
    reopened = admin_store(SqliteBackend(path))
    await reopened.init()
    assert _id_kinds(path)["jobs"] == [("blob", 16)]
    pin = message["Pin"]["Pin2"]["uuid"]
    assert [d["_id"] for d in await reopened.db.find("logistical_samples", {"_id": pin})] == [pin]
    await reopened.db.close()
