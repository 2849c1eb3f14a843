"""Schema 9 of the embedded store: every core row numbered, links kept as the number of the row
they point at, indexed (sqlite_links); v8 (and v7, v6 through it) stores migrated at open."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import SCHEMA_VERSION, SqliteBackend
from mxlims_store.store.backends.sqlite_ids import key, uuid_sql
from mxlims_store.store.backends.sqlite_links import LINKS, link_problems
from mxlims_store.store.collections import CORE_COLLECTIONS
from tests.acting import admin_store
from tests.factories import minimal, new_uuid, ref, shipment_message, stub
from tests.store.test_schema_v8 import _as_old

# the core tables as schema 8 kept them: the uuid the key, links indexed by their uuid
V8_INDEXES = [
    'CREATE INDEX "logistical_samples__containerId" ON logistical_samples '
    "(json_extract(doc, '$.\"containerId\"'))",
    'CREATE UNIQUE INDEX "logistical_samples__containerId__meta_slot" ON logistical_samples '
    '(json_extract(doc, \'$."containerId"\'), json_extract(doc, \'$."_meta"."slot"\')) '
    'WHERE json_extract(doc, \'$."_meta"."slot"\') IS NOT NULL',
    'CREATE INDEX "jobs__sampleId" ON jobs (json_extract(doc, \'$."sampleId"\'))',
]


def _as_v8(path: Path, version: int = 8) -> dict[str, list[tuple[int, str]]]:
    """Rewrite the core tables as schema 8 held them; (rowid, uuid) of each table's rows."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        rows = {}
        for name in CORE_COLLECTIONS:  # side tables by uuid: doc_id, and k1 a linked uuid
            keys = connection.execute(
                f"SELECT {uuid_sql('o.id')}, k.idx, coalesce({uuid_sql('t.id')}, k.k1), k.k2 "
                f'FROM "{name}_keys" AS k '
                f'JOIN "{name}" AS o ON o.n = k.doc LEFT JOIN datasets AS t ON t.n = k.k1 '
                "AND k.idx LIKE '%DataIds'"
            ).fetchall()
            connection.execute(f'DROP TABLE "{name}_keys"')
            connection.execute(
                f'CREATE TABLE "{name}_keys" (doc_id TEXT NOT NULL, idx TEXT NOT NULL, k1, k2)'
            )
            connection.executemany(f'INSERT INTO "{name}_keys" VALUES (?, ?, ?, ?)', keys)
        for name in CORE_COLLECTIONS:
            kept = connection.execute(  # (ids as text, as schema 8 kept them)
                f'SELECT n, {uuid_sql("id")}, doc FROM "{name}" ORDER BY n'
            ).fetchall()
            connection.execute(f'DROP TABLE "{name}"')
            connection.execute(
                f'CREATE TABLE "{name}" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)'
            )
            # rowids with gaps, as deletions leave them: the numbers must follow them
            connection.executemany(
                f'INSERT INTO "{name}" (rowid, id, doc) VALUES (?, ?, ?)',
                [(3 * n + 7, uuid, doc) for n, uuid, doc in kept],
            )
            rows[name] = [(3 * n + 7, uuid) for n, uuid, _ in kept]
        for statement in V8_INDEXES:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {version}")
        connection.execute("COMMIT")
        return rows
    finally:
        connection.close()


def _numbers(path: Path, name: str, field: str) -> dict[str, tuple[Any, Any]]:
    """uuid -> (the link's uuid in the document, the uuid its kept number names)."""
    connection = sqlite3.connect(path)
    try:
        sql = (
            f"SELECT {uuid_sql('o.id')}, json_extract(o.doc, '$.{field}'), {uuid_sql('t.id')} "
            f'FROM "{name}" AS o '
            f'LEFT JOIN "{LINKS[name][field]}" AS t ON t.n = o."n_{field}"'
        )
        return {uuid: (linked, named) for uuid, linked, named in connection.execute(sql)}
    finally:
        connection.close()


def _plan(path: Path, sql: str, params: list[Any]) -> str:
    connection = sqlite3.connect(path)
    try:
        return " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    finally:
        connection.close()


async def _filled(path: Path) -> tuple[Store, dict[str, Any]]:
    store = admin_store(SqliteBackend(path))
    await store.init()
    message = shipment_message(20, pucks_per_dewar=2, positions=8, experiments=True)
    await store.import_message(message)
    return store, message


async def test_links_are_the_numbers_of_the_rows_they_point_at(tmp_path: Path) -> None:
    store, message = await _filled(tmp_path / "s.sqlite3")
    backend = store.db
    assert isinstance(backend, SqliteBackend)
    path = backend.path
    pins = _numbers(path, "logistical_samples", "containerId")
    assert len(pins) == len(message["Pin"]) + len(message["Puck"]) + len(message["Dewar"]) + 1
    assert all(linked == named for linked, named in pins.values())  # every container, or none
    assert sum(named is not None for _, named in pins.values()) == len(pins) - 1
    jobs = _numbers(path, "jobs", "logisticalSampleId")
    assert jobs and all(linked == named is not None for linked, named in jobs.values())
    # a query by link value reads the puck's number, then the index on the numbers
    puck = message["Puck"]["Puck1"]["uuid"]
    sql, params = backend.find_sql("logistical_samples", {"containerId": puck})
    assert "logistical_samples__containerId" in _plan(path, sql, params)
    children = await backend.find("logistical_samples", {"containerId": puck})
    in_puck1 = [p for p in message["Pin"].values() if p["containerRef"]["$ref"] == "#/Puck/Puck1"]
    expected = {p["uuid"] for p in in_puck1}
    assert {c["_id"] for c in children} == expected and len(expected) == 8
    several = await backend.find("logistical_samples", {"containerId": {"$in": [puck, "nope"]}})
    assert {c["_id"] for c in several} == expected
    assert await backend.find("logistical_samples", {"containerId": new_uuid()}) == []
    assert await backend.find("logistical_samples", {"containerId": {"$in": []}}) == []
    # narrowed by a link, a member's scope or a type never chooses the index (the planner
    # weighed them as good as the link's number read through a subquery)
    for also in ({"_meta.proposal": {"$in": ["mx1234", "mx9"]}}, {"mxlimsType": "Pin"}):
        sql, params = backend.find_sql(
            "logistical_samples", {"$and": [{"containerId": {"$in": [puck]}}, also]}
        )
        assert "USING INDEX logistical_samples__containerId " in _plan(path, sql, params)
        found = await backend.find("logistical_samples", {"containerId": puck, **also})
        assert {c["_id"] for c in found} == expected
    assert link_problems(backend._connection()) == []
    await backend.close()


async def test_a_moved_object_gets_the_number_of_its_new_parent(tmp_path: Path) -> None:
    store, message = await _filled(tmp_path / "s.sqlite3")
    backend = store.db
    assert isinstance(backend, SqliteBackend)
    pin = message["Pin"]["Pin1"]["uuid"]
    other = message["Puck"]["Puck3"]["uuid"]  # four pins in it
    await store.update(pin, {"containerId": other, "positionInPuck": 8}, revision=1)
    assert _numbers(backend.path, "logistical_samples", "containerId")[pin] == (other, other)
    # into a puck created by the same write, written after the pin that moves into it
    dewar = message["Dewar"]["Dewar1"]["uuid"]
    sample = message["MacromoleculeSample"]["MacromoleculeSample1"]["uuid"]
    new_puck = minimal(
        "Puck", uuid=new_uuid(), containerRef=ref("LogisticalSample"), numberPositions=16
    )
    moved = {
        **message["Pin"]["Pin2"],
        "containerRef": ref("Puck"),
        "sampleRef": ref("Sample"),
        "positionInPuck": 3,
    }
    report = await store.import_message(
        {
            "version": "0.6.13",
            "Pin": {"Pin1": moved},  # the pin before the puck it moves into
            "Puck": {"Puck1": new_puck},
            "LogisticalSample": {"LogisticalSample1": stub("LogisticalSample", dewar)},
            "Sample": {"Sample1": stub("Sample", sample)},
        },
        policy="update_old",
    )
    assert report.created and report.updated
    numbers = _numbers(backend.path, "logistical_samples", "containerId")
    assert numbers[moved["uuid"]] == (new_puck["uuid"], new_puck["uuid"])
    assert numbers[new_puck["uuid"]] == (dewar, dewar)
    children = await backend.find("logistical_samples", {"containerId": new_puck["uuid"]})
    assert [c["_id"] for c in children] == [moved["uuid"]]
    assert (await store.check()).problems == []
    await backend.close()


async def test_the_position_index_is_on_the_numbers(tmp_path: Path) -> None:
    store, message = await _filled(tmp_path / "s.sqlite3")
    backend = store.db
    assert isinstance(backend, SqliteBackend)
    connection = sqlite3.connect(backend.path)
    [sql] = connection.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'logistical_samples__containerId__meta_slot'"
    ).fetchone()
    assert '("n_containerId", json_extract(doc' in sql and "UNIQUE" in sql
    pin = message["Pin"]["Pin1"]["uuid"]
    (container, doc) = connection.execute(
        'SELECT "n_containerId", doc FROM logistical_samples WHERE id = ?', (key(pin),)
    ).fetchone()
    with pytest.raises(sqlite3.IntegrityError, match="meta_slot"):  # a twin at its position
        connection.execute(
            'INSERT INTO logistical_samples (id, doc, "n_containerId") VALUES (?, ?, ?)',
            (key(new_uuid()), doc, container),
        )
    connection.close()
    await backend.close()


async def test_check_names_every_number_that_disagrees_with_its_document(tmp_path: Path) -> None:
    store, message = await _filled(tmp_path / "s.sqlite3")
    backend = store.db
    assert isinstance(backend, SqliteBackend)
    pin = message["Pin"]["Pin8"]["uuid"]  # at position 8 of Puck1
    job = message["MxExperiment"]["MxExperiment1"]["uuid"]
    connection = sqlite3.connect(backend.path, isolation_level=None)
    # a number that names another puck, one lost, and a row written without its numbers
    connection.execute(
        'UPDATE logistical_samples SET "n_containerId" = (SELECT n FROM logistical_samples '
        "WHERE id = ?) WHERE id = ?",
        (key(message["Puck"]["Puck3"]["uuid"]), key(pin)),
    )
    connection.execute('UPDATE jobs SET "n_logisticalSampleId" = NULL WHERE id = ?', (key(job),))
    (doc,) = connection.execute(
        "SELECT doc FROM samples WHERE json_extract(doc, '$.mediumId') IS NULL "
        "AND json_extract(doc, '$.parentSampleId') IS NOT NULL LIMIT 1"
    ).fetchone()
    bare = new_uuid()
    connection.execute("INSERT INTO samples (id, doc) VALUES (?, ?)", (key(bare), doc))
    connection.close()
    problems = (await store.check()).problems
    puck3 = message["Puck"]["Puck3"]["uuid"]  # four pins: no 8th
    puck1 = message["Puck"]["Puck1"]["uuid"]
    assert (
        f"logistical_samples {pin}: its containerId is {puck1} but the number kept for it "
        f"names {puck3} (the link index disagrees with the document)" in problems
    )
    assert any(p.startswith(f"jobs {job}: its logisticalSampleId is") and "names nothing" in p
               for p in problems)  # fmt: skip
    assert any(p.startswith(f"samples {bare}: its parentSampleId") for p in problems)
    assert all("\n" not in p for p in problems)
    await backend.close()


@pytest.mark.parametrize("version", [8, 7])
async def test_an_older_store_is_numbered_at_open_and_answers_the_same(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.sqlite3"
    store, message = await _filled(path)
    puck = message["Puck"]["Puck1"]["uuid"]
    sample = message["MacromoleculeSample"]["MacromoleculeSample1"]["uuid"]
    sweep = message["CollectionSweep"]["CollectionSweep1"]["uuid"]
    queries = [
        ("jobs", {"templateDataIds": sweep}),
        ("jobs", {"templateDataIds": {"$in": [sweep, new_uuid()]}}),
        ("logistical_samples", {"containerId": puck}),
        ("jobs", {"sampleId": sample}),
        ("logistical_samples", {"mxlimsType": "Pin"}),
        ("datasets", {}),
    ]
    before = [await store.db.find(c, f, sort=[("_id", 1)]) for c, f in queries]
    await store.db.close()
    if version == 7:
        _as_old(path, 7, [])  # history as schema 7 kept it too
    rows = _as_v8(path, version)

    reopened = admin_store(SqliteBackend(path))
    await reopened.init()
    connection = sqlite3.connect(path)
    # opened by this version: at its schema (11 since sqlite_ids)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    for name in CORE_COLLECTIONS:  # each row's number is the rowid it had: their order kept
        kept = connection.execute(f'SELECT n, {uuid_sql("id")} FROM "{name}" ORDER BY n')
        assert kept.fetchall() == rows[name]
    connection.close()
    for name, fields in LINKS.items():
        for field in fields:
            assert all(a == b for a, b in _numbers(path, name, field).values()), (name, field)
    assert [await reopened.db.find(c, f, sort=[("_id", 1)]) for c, f in queries] == before
    assert len(before[0]) == 1  # the side table found the job by its sweep's number
    assert (await reopened.check()).problems == []
    # the numbers go on from the highest: a new shipment's links land after the old ones
    await reopened.import_message(shipment_message(2))
    assert (await reopened.check()).problems == []
    await reopened.db.close()


async def test_vacuum_keeps_the_numbers(tmp_path: Path) -> None:
    store, message = await _filled(tmp_path / "s.sqlite3")
    backend = store.db
    assert isinstance(backend, SqliteBackend)
    pin = message["Pin"]["Pin3"]["uuid"]
    await store.delete(message["Pin"]["Pin2"]["uuid"], revision=1, cascade=True)  # a gap
    connection = sqlite3.connect(backend.path, isolation_level=None)
    before = connection.execute('SELECT n, id, "n_containerId" FROM logistical_samples').fetchall()
    connection.execute("VACUUM")
    after = connection.execute('SELECT n, id, "n_containerId" FROM logistical_samples').fetchall()
    connection.close()
    assert after == before and key(pin) in {stored for _, stored, _ in after}
    assert link_problems(backend._connection()) == []
    await backend.close()


async def test_a_list_of_links_keeps_its_targets_numbers(tmp_path: Path) -> None:
    store, message = await _filled(tmp_path / "s.sqlite3")
    backend = store.db
    assert isinstance(backend, SqliteBackend)
    job = message["MxExperiment"]["MxExperiment2"]["uuid"]
    sweep = message["CollectionSweep"]["CollectionSweep2"]["uuid"]
    connection = sqlite3.connect(backend.path, isolation_level=None)
    rows = connection.execute(
        f"SELECT k.idx, {uuid_sql('d.id')} FROM jobs_keys AS k JOIN jobs AS j ON j.n = k.doc "
        "JOIN datasets AS d ON d.n = k.k1 WHERE j.id = ?",
        (key(job),),
    ).fetchall()
    assert rows == [("templateDataIds", sweep)]
    sql, params = backend.find_sql("jobs", {"templateDataIds": sweep})
    assert "jobs_keys__lookup" in _plan(backend.path, sql, params)
    assert [d["_id"] for d in await backend.find("jobs", {"templateDataIds": sweep})] == [job]
    # a row that names another sweep, and a sweep of the list left without its row
    other = message["CollectionSweep"]["CollectionSweep3"]["uuid"]
    connection.execute(
        "UPDATE jobs_keys SET k1 = (SELECT n FROM datasets WHERE id = ?) "
        "WHERE doc = (SELECT n FROM jobs WHERE id = ?)",
        (key(other), key(job)),
    )
    connection.close()
    problems = (await store.check()).problems
    assert (
        f"jobs {job}: a number kept for its templateDataIds names {other}, which the "
        "list does not hold (the link index disagrees with the document)" in problems
    )
    assert (
        f"jobs {job}: its templateDataIds holds {sweep} but no number is kept for it "
        "(the link index disagrees with the document)" in problems
    )
    await backend.close()
