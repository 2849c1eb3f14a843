"""Get, find, revision-checked update, delete without cascade, history."""

from __future__ import annotations

import asyncio

import pytest

from mxlims_store.errors import Conflict, InvalidMessage, InvalidQuery, NotFound, StaleRevision
from mxlims_store.store import FindQuery, Store
from tests.factories import results_message, shipment_message


@pytest.fixture
async def loaded(store: Store) -> dict:
    message = shipment_message(40)
    message["Pin"]["Pin3"]["identifiers"] = {"icebear.fi": "PIN-ICE-3"}
    message["Pin"]["Pin5"]["extensions"] = {"esrf.fr": {"centringMethod": "xray"}}
    await store.import_message(message)
    return message


async def test_get_returns_standard_form_and_revision(store: Store, loaded: dict) -> None:
    pin = loaded["Pin"]["Pin3"]
    stored = await store.get(pin["uuid"])
    assert stored.data["identifiers"] == {"icebear.fi": "PIN-ICE-3"}
    assert stored.revision == 1 and stored.meta["proposal"] == "mx1234"
    assert "_meta" not in stored.data and "_id" not in stored.data
    with pytest.raises(NotFound):
        await store.get("0196f23a-dce0-2560-baac-f1b23ec9e0aa")


async def test_find_by_type_fields_ranges_and_in(store: Store, loaded: dict) -> None:
    page = await store.find(FindQuery("Pin", {"positionInPuck": {"$lte": 2}}, with_total=True))
    assert page.total == 6 and {p.fields["positionInPuck"] for p in page.items} == {1, 2}
    page = await store.find(FindQuery("Pin", {"barcode": {"$in": ["PIN-1", "PIN-7"]}}))
    assert sorted(p.fields["barcode"] for p in page.items) == ["PIN-1", "PIN-7"]
    found = await store.find(FindQuery(where={"barcode": "DW-1"}))
    assert found.items[0].mxlims_type == "Dewar"


async def test_find_paginates_without_gaps(store: Store, loaded: dict) -> None:
    seen, after = [], None
    while True:
        page = await store.find(FindQuery("Pin", limit=7, after=after))
        seen += [p.uuid for p in page.items]
        if page.next is None:
            break
        after = page.next
    assert len(seen) == len(set(seen)) == 40


async def test_find_by_site_identifier_and_extension(store: Store, loaded: dict) -> None:
    page = await store.find(FindQuery(identifier=("icebear.fi", "PIN-ICE-3")))
    assert [p.uuid for p in page.items] == [loaded["Pin"]["Pin3"]["uuid"]]
    page = await store.find(FindQuery("Pin", extension=("esrf.fr", "centringMethod", "xray")))
    assert [p.uuid for p in page.items] == [loaded["Pin"]["Pin5"]["uuid"]]


@pytest.mark.parametrize(
    "query",
    [
        FindQuery("Gizmo"),
        FindQuery("Pin", {"$where": "1"}),
        FindQuery("Pin", {"_meta.proposal": "x"}),
        FindQuery("Pin", {"barcode": {"$regex": ".*"}}),
        FindQuery("Pin", limit=0),
        FindQuery("Pin", limit=10**6),
    ],
    ids=[
        "unknown-type",
        "dollar-field",
        "bookkeeping",
        "operator-not-allowed",
        "limit-0",
        "limit-huge",
    ],
)
async def test_bad_queries_are_refused(store: Store, query: FindQuery) -> None:
    with pytest.raises(InvalidQuery):
        await store.find(query)


async def test_update_checks_revision_and_one_of_two_wins(store: Store, loaded: dict) -> None:
    uuid = loaded["Pin"]["Pin1"]["uuid"]
    results = await asyncio.gather(
        store.update(uuid, {"loopType": "mesh"}, revision=1),
        store.update(uuid, {"loopType": "nylon"}, revision=1),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, StaleRevision)]
    assert len(winners) == 1 and len(losers) == 1
    stored = await store.get(uuid)
    assert stored.revision == 2 and stored.data["loopType"] == winners[0].data["loopType"]
    assert losers[0].current == 2


@pytest.mark.parametrize("revision", [0, -1, 10**30, 2**63])
async def test_a_revision_no_object_can_have_is_stale_not_a_crash(
    store: Store, loaded: dict, revision: int
) -> None:
    """A page's edit form takes any integer as the revision: one past 64 bits failed as the
    document was encoded (a 500 with a traceback); it is a stale revision like any other."""
    pin = loaded["Pin"]["Pin1"]["uuid"]
    with pytest.raises(StaleRevision):
        await store.update(pin, {"barcode": "NEW"}, revision=revision)
    assert (await store.get(pin)).revision == 1


async def test_update_validates_fields_and_links(store: Store, loaded: dict) -> None:
    uuid = loaded["Pin"]["Pin1"]["uuid"]
    with pytest.raises(InvalidMessage, match="positionInPuck"):
        await store.update(uuid, {"positionInPuck": 0}, revision=1)
    with pytest.raises(InvalidMessage, match="Puck"):
        await store.update(uuid, {"containerId": loaded["Dewar"]["Dewar1"]["uuid"]}, revision=1)
    with pytest.raises(InvalidMessage, match="cannot be changed"):
        await store.update(uuid, {"mxlimsType": "Crystal"}, revision=1)
    puck2 = loaded["Puck"]["Puck2"]["uuid"]
    with pytest.raises(InvalidMessage, match="position 1 of its container is taken twice"):
        await store.update(uuid, {"containerId": puck2}, revision=1)  # Pin17 sits there
    moved = await store.update(
        uuid, {"containerId": puck2, "positionInPuck": None, "barcode": None}, revision=1
    )
    assert (
        moved.data["containerId"] == loaded["Puck"]["Puck2"]["uuid"] and "barcode" not in moved.data
    )


async def test_delete_refuses_dangling_links_and_job_lists_go_with_the_job(
    store: Store, loaded: dict
) -> None:
    results = results_message(loaded)
    await store.import_message(results, policy="update_old")
    puck = loaded["Puck"]["Puck1"]["uuid"]
    with pytest.raises(Conflict, match="point at it"):
        await store.delete(puck)
    assert (await store.get(puck)).revision == 1
    processing = results["MxProcessing"]["MxProcessing1"]["uuid"]
    with pytest.raises(Conflict):  # its ReflectionSet points at it
        await store.delete(processing)
    await store.delete(results["ReflectionSet"]["ReflectionSet1"]["uuid"])
    await store.delete(processing, revision=1)
    sweep = results["CollectionSweep"]["CollectionSweep1"]["uuid"]
    links = await store.links(sweep)
    assert not [r for r in links["reverse"] if r["link"] == "inputFor"]


async def test_history_records_every_change(store: Store, loaded: dict) -> None:
    uuid = loaded["Pin"]["Pin2"]["uuid"]
    await store.update(uuid, {"loopType": "mesh"}, revision=1)
    await store.delete(uuid)
    entries = await store.history(uuid)
    assert [e["operation"] for e in entries] == ["create", "update", "delete"]
    assert [e["revision"] for e in entries] == [1, 2, 3]
    assert entries[1]["changes"] == {"loopType": {"after": "mesh"}}
    assert all(e["actor"] == "test admin" and "time" in e for e in entries)
    with pytest.raises(NotFound):
        await store.history("0196f23a-dce0-2560-baac-f1b23ec9e0aa")
