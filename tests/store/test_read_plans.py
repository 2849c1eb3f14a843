"""Reads as plans: on SQLite a locate and a walk run in one trip to a worker thread, with the
very answers of the walk find by find, byte for byte, and the same scoping: a member never
sees, nor learns of, another proposal's object in a chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench import generate
from mxlims_store.errors import NotFound
from mxlims_store.messages import write_message
from mxlims_store.store import Caller, Store, navigation
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.collections import CORE_COLLECTIONS, collection_of
from mxlims_store.store.documents import META, from_document
from mxlims_store.store.reads import ByUuid, Locate, Plan, Request, run_plan
from mxlims_store.store.stored_message import message_of_stored
from tests.acting import admin_store
from tests.conftest import FIXTURES
from tests.factories import results_message, shipment_message

ALICE = Caller("alice", frozenset({"mx1111"}))
BOB = Caller("bob", frozenset({"mx2222"}))
ADMIN = Caller("admin", None, "admin")


class LevelByLevel:
    """The backend seen only through ``find``: plans run find by find, as every backend but
    the embedded one runs them (the walk as it was before plans ran in one trip)."""

    name = "level-by-level"

    def __init__(self, db: Backend) -> None:
        self.db = db
        self.round_trips = 0

    async def find(self, collection: str, filter: dict[str, Any], **options: Any) -> list[Any]:
        self.round_trips += 1
        return await self.db.find(collection, filter, **options)


async def _answers(db: Any, caller: Caller, uuids: dict[str, str]) -> bytes:
    """Every read of navigation from these objects, as JSON bytes (NotFound as its text)."""
    out: dict[str, Any] = {}
    for name, uuid in uuids.items():
        for key, read in (
            ("up", lambda u: navigation.provenance(db, caller, u, "up")),
            ("up2", lambda u: navigation.provenance(db, caller, u, "up", 2)),
            ("down", lambda u: navigation.provenance(db, caller, u, "down")),
            ("links", lambda u: navigation.links(db, caller, u)),
            ("export", lambda u: navigation.export(db, caller, u)),
            ("export-up", lambda u: navigation.export(db, caller, u, direction="up")),
            ("results", lambda u: navigation.shipment_results(db, caller, u)),
        ):
            try:
                answer = await read(uuid)
            except (NotFound, Exception) as error:  # the same refusal either way
                out[f"{name} {key}"] = f"{type(error).__name__}: {error}"
                continue
            if isinstance(answer, list):
                answer = [[s.model_dump(by_alias=True) for s in answer], answer.cut]  # type: ignore[attr-defined]
            elif isinstance(answer, dict):
                answer = [dict(answer), answer.cut]  # type: ignore[attr-defined]
            else:
                answer = answer.model_dump(by_alias=True)
            out[f"{name} {key}"] = answer
    return orjson.dumps(out, default=repr)


def _generated(pins: int) -> tuple[dict[str, Any], dict[str, Any]]:
    shipment = generate.shipment(1, pins)
    return shipment.message, generate.results(shipment).message


def _uuids(*messages: dict[str, Any]) -> dict[str, str]:
    """One object of each type of the messages (the first), by type."""
    found: dict[str, str] = {}
    for message in messages:
        for kind, group in message.items():
            if isinstance(group, dict) and kind not in found:
                first = next(iter(group.values()))
                if isinstance(first, dict) and "uuid" in first:
                    found[kind] = first["uuid"]
    return found


@pytest.mark.parametrize("source", ["generated", "fixtures"])
async def test_one_trip_answers_as_the_level_by_level_walk(source: str, tmp_path: Path) -> None:
    store = admin_store(SqliteBackend(tmp_path / "store.sqlite3"))
    await store.init()
    try:
        if source == "generated":
            shipment, results = _generated(12)
        else:
            shipment = json.loads((FIXTURES / "messages" / "shipment.json").read_text())
            results = json.loads((FIXTURES / "messages" / "results.json").read_text())
        await store.import_message(shipment)
        await store.import_message(results, policy="update_old")
        uuids = _uuids(shipment, results)
        assert {"Shipment", "Pin", "ReflectionSet"} <= set(uuids)
        uuids["nothing"] = "00000000-0000-4000-8000-000000000000"
        one_trip = await _answers(store.db, ADMIN, uuids)
        plain = LevelByLevel(store.db)
        assert one_trip == await _answers(plain, ADMIN, uuids)
        # A member who may see all of it gets the admin's answers, byte for byte: its scope
        # never chooses the index, so its walk reads the same rows in the same order (found
        # by find, SQLite read the whole proposal through its index, in another order).
        assert await _answers(store.db, Caller("m", frozenset({"mx1234"})), uuids) == one_trip
        answers = orjson.loads(one_trip)
        assert len(answers["ReflectionSet up"][0]) > 5  # a real chain, up to the shipment
        assert answers["Shipment up"][0][0]["mxlimsType"] == "Shipment"
        assert answers["nothing up"] == "NotFound: no object with this uuid that you may see"
        assert answers["Pin results"].startswith("InvalidMessage")
        # One trip per read on SQLite; the level-by-level walk takes one per find.
        before = store.db.round_trips
        await navigation.shipment_results(store.db, ADMIN, uuids["Shipment"])
        assert store.db.round_trips - before == 1
        assert plain.round_trips > 10 * len(uuids)
    finally:
        await store.db.close()


async def _move_to(db: Backend, collection: str, uuid: str, proposal: str) -> None:
    [document] = await db.find(collection, {"_id": uuid})
    revision = document[META]["revision"]
    document[META] = {**document[META], "proposal": proposal}
    await db.commit([Write(collection, uuid, document, revision, None)])


async def test_a_chain_through_another_proposal_stops_before_it(store: Store) -> None:
    shipment = shipment_message(3, proposal="mx1111")
    results = results_message(shipment)
    await store.import_message(shipment, caller=ALICE)
    await store.import_message(results, policy="update_old", caller=ALICE)
    puck = shipment["Puck"]["Puck1"]["uuid"]
    dewar = shipment["Dewar"]["Dewar1"]["uuid"]
    pin = shipment["Pin"]["Pin1"]["uuid"]
    [reflections] = results["ReflectionSet"].values()
    start = reflections["uuid"]
    whole = await store.provenance(start, caller=ADMIN)
    assert {puck, dewar, pin} <= {s.uuid for s in whole}
    # The puck in the middle of the chain belongs to another proposal now.
    await _move_to(store.db, "logistical_samples", puck, "mx2222")
    for db in (store.db, LevelByLevel(store.db)):
        chain = await navigation.provenance(db, ALICE, start, "up")
        reached = {s.uuid for s in chain}
        assert pin in reached and puck not in reached
        assert dewar not in reached  # Alice's, but only reachable through Bob's puck
        assert "Shipment" not in {s.mxlims_type for s in chain}
        text = orjson.dumps([s.model_dump(by_alias=True) for s in chain]).decode()
        assert puck not in text and "mx2222" not in text  # not even named
        exported = await navigation.export(db, ALICE, start, direction="up")
        assert "Puck" not in exported and "Dewar" not in exported  # only the pin's own key
        assert "mx2222" not in orjson.dumps(dict(exported)).decode()
        # Bob sees his puck and nothing of Alice's around it.
        assert [s.uuid for s in await navigation.provenance(db, BOB, puck, "up")] == [puck]
        with pytest.raises(NotFound):
            await navigation.provenance(db, BOB, start, "up")
    # Up, the same answers both ways of running the walk (the order of what a level finds
    # does not matter up; down, see the test below).
    for who, uuid in ((ALICE, start), (ALICE, pin), (BOB, puck)):
        one_trip = await navigation.provenance(store.db, who, uuid)
        plain = await navigation.provenance(LevelByLevel(store.db), who, uuid)
        assert one_trip == plain and one_trip.cut == plain.cut == []


async def test_provenance_up_is_the_same_on_every_backend(tmp_path: Path) -> None:
    from tests.store.conftest import BACKENDS, make_backend

    shipment, results = _generated(4)
    uuids = _uuids(shipment, results)
    answers = []
    for n, kind in enumerate(BACKENDS):
        store = admin_store(make_backend(kind, tmp_path / str(n)) if kind != "sqlite" else
                            SqliteBackend(tmp_path / f"{n}.sqlite3"))  # fmt: skip
        await store.init()
        try:
            await store.import_message(shipment)
            await store.import_message(results, policy="update_old")
            answers.append(
                [
                    [s.model_dump(by_alias=True) for s in await store.provenance(u, caller=ADMIN)]
                    for u in uuids.values()
                ]
            )
        finally:
            await store.db.close()
    assert all(a == answers[0] for a in answers[1:])


@pytest.mark.parametrize("source", ["generated", "fixtures"])
async def test_stored_documents_make_the_message_write_message_makes(
    source: str, tmp_path: Path
) -> None:
    """The export's one-pass writer against the message writer itself, byte for byte: every
    object, some left out (their links dropped) and some missing (their links as stubs)."""
    store = admin_store(SqliteBackend(tmp_path / "store.sqlite3"))
    await store.init()
    try:
        if source == "generated":
            shipment, results = _generated(6)
        else:
            shipment = json.loads((FIXTURES / "messages" / "shipment.json").read_text())
            results = json.loads((FIXTURES / "messages" / "results.json").read_text())
        await store.import_message(shipment)
        await store.import_message(results, policy="update_old")
        documents = [d for c in CORE_COLLECTIONS for d in await store.db.find(c, {})]
        assert len(documents) > 20
        for kept, left_out in (
            (documents, set()),
            (documents[::2], {d["_id"] for d in documents[1::6]}),  # stubs, and links left out
            (documents[1::3], {d["_id"] for d in documents[::5]}),
        ):
            ours = message_of_stored(kept, left_out=left_out)
            theirs = write_message([from_document(d) for d in kept], left_out=left_out)
            assert orjson.dumps(ours) == orjson.dumps(theirs)
            assert ours.keys() >= {"version"} and len(ours) > 2
    finally:
        await store.db.close()


async def test_documents_by_uuid_as_one_step_on_every_runner(store: Store) -> None:
    """A plan step by uuid (reads.ByUuid) answers the same on the embedded engine and find by
    find: every uuid found, whichever table holds it, none for a table that does not, none
    for no uuid at all, scoped to the caller."""
    shipment, results = _generated(2)
    await store.import_message(shipment)
    await store.import_message(results, policy="update_old")
    pin = shipment["Pin"]["Pin1"]["uuid"]
    reflection = next(iter(results["ReflectionSet"].values()))["uuid"]
    absent = "00000000-0000-4000-8000-000000000000"

    def plan() -> Plan[list[dict[str, Any]]]:
        wanted = {"logistical_samples": [pin, absent], "datasets": [reflection, pin]}
        asked = yield ByUuid({table: sorted(uuids) for table, uuids in wanted.items()})
        nothing = yield ByUuid({})
        return [asked, nothing]  # type: ignore[list-item]

    for caller in (ADMIN, Caller("m", frozenset({"mx1234"})), BOB):
        embedded = await run_plan(store.db, caller, plan())
        plain = await run_plan(LevelByLevel(store.db), caller, plan())
        assert orjson.dumps(embedded) == orjson.dumps(plain)
        asked, nothing = embedded
        assert nothing == {}
        if caller is BOB:  # another proposal: nothing of it
            assert asked == {}
        else:
            assert sorted(asked) == sorted([pin, reflection])
            assert asked[pin]["mxlimsType"] == "Pin" and asked[reflection]["_id"] == reflection


async def test_finds_by_few_and_many_uuids_bind_them_alike(store: Store) -> None:
    """A step by uuid binds up to sqlite_ids.LISTED_KEYS keys one by one and more through
    ``json_each``: either way the same documents as find by find, and a uuid spelled otherwise
    than canonically (upper case, no dashes) finds nothing, whatever the count beside it."""
    shipment, _ = _generated(12)
    await store.import_message(shipment)
    pins = sorted(p["uuid"] for p in shipment["Pin"].values())
    odd = [pins[0].upper(), pins[1].replace("-", ""), "x" * 36]

    def plan() -> Plan[list[dict[str, Any]]]:
        answers = []
        for count in (1, 2, 7, 8, 9, 12):  # LISTED_KEYS is 8
            answers.append((yield ByUuid({"logistical_samples": pins[:count]})))
            answers.append((yield ByUuid({"logistical_samples": sorted([*pins[:count], *odd])})))
        return answers  # type: ignore[return-value]

    embedded = await run_plan(store.db, ADMIN, plan())
    plain = await run_plan(LevelByLevel(store.db), ADMIN, plan())
    assert orjson.dumps(embedded) == orjson.dumps(plain)
    counts = [len(found) for found in embedded]
    assert counts == [1, 1, 2, 2, 7, 7, 8, 8, 9, 9, 12, 12]


async def test_a_locate_answers_alike_on_every_runner(store: Store) -> None:
    """A Locate step finds a uuid in whichever core table holds it, and answers nothing for a
    uuid no table holds, one spelled otherwise, or an object of another proposal: on the
    embedded engine (one statement) as find by find, and a plan that locates again sees the
    same."""
    shipment, results = _generated(2)
    await store.import_message(shipment)
    await store.import_message(results, policy="update_old")
    wanted = list(_uuids(shipment, results).values())
    odd = [wanted[0].upper(), "00000000-0000-4000-8000-000000000000", "", "x" * 36]

    def plan() -> Plan[list[Any]]:
        answers = []
        for uuid in [*wanted, *odd]:
            answers.append((yield Locate(uuid)))
        return answers

    for caller in (ADMIN, Caller("m", frozenset({"mx1234"})), BOB):
        embedded = await run_plan(store.db, caller, plan())
        plain = await run_plan(LevelByLevel(store.db), caller, plan())
        assert orjson.dumps(embedded) == orjson.dumps(plain)
        found = embedded[: len(wanted)]
        assert embedded[len(wanted) :] == [None] * len(odd)
        if caller is BOB:
            assert found == [None] * len(wanted)
            continue
        tables = {collection for collection, _ in found}
        assert tables == set(CORE_COLLECTIONS)  # one of every table's objects, each found there
        for uuid, (collection, document) in zip(wanted, found, strict=True):
            assert document["_id"] == uuid
            assert collection == collection_of(document["mxlimsType"])


async def test_several_finds_by_uuid_in_one_step_answer_as_each_alone(store: Store) -> None:
    """A plan step of several finds by uuid (filters, as any plan may write them) is one
    statement on the embedded engine, each find answered with its own documents, scoped."""
    shipment, results = _generated(2)
    await store.import_message(shipment)
    await store.import_message(results, policy="update_old")
    pin = shipment["Pin"]["Pin1"]["uuid"]
    reflection = next(iter(results["ReflectionSet"].values()))["uuid"]

    def plan() -> Plan[Any]:
        return (
            yield [
                Request("logistical_samples", {"_id": {"$in": [pin, reflection]}}),
                Request("datasets", {"_id": reflection}),
                Request("samples", {"_id": {"$in": []}}),
            ]
        )

    for caller in (ADMIN, Caller("m", frozenset({"mx1234"})), BOB):
        embedded = await run_plan(store.db, caller, plan())
        assert orjson.dumps(embedded) == orjson.dumps(
            await run_plan(LevelByLevel(store.db), caller, plan())
        )
        expected = [[], [], []] if caller is BOB else [[pin], [reflection], []]
        assert [[d["_id"] for d in found] for found in embedded] == expected
