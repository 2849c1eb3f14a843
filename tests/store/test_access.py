"""Every read is scoped by the caller's proposal grants (one function builds the filter)."""

from __future__ import annotations

import pytest

from mxlims_store.errors import InvalidMessage, NotFound
from mxlims_store.store import Caller, FindQuery, Store
from tests.factories import shipment_message

ALICE = Caller("alice", frozenset({"mx1111"}))
BOB = Caller("bob", frozenset({"mx2222"}))


@pytest.fixture
async def two_groups(store: Store) -> tuple[dict, dict]:
    alices = shipment_message(3, proposal="mx1111")
    bobs = shipment_message(2, proposal="mx2222")
    await store.import_message(alices, caller=ALICE)
    await store.import_message(bobs, caller=BOB)
    return alices, bobs


async def test_each_group_sees_only_its_own_samples(
    store: Store, two_groups: tuple[dict, dict]
) -> None:
    alices, bobs = two_groups
    assert (await store.stats(caller=ALICE))["Pin"] == 3
    assert (await store.stats(caller=BOB))["Pin"] == 2
    assert (await store.stats())["Pin"] == 5  # local, unrestricted
    page = await store.find(FindQuery("Pin", with_total=True), caller=BOB)
    assert page.total == 2 and {p.uuid for p in page.items} == {
        p["uuid"] for p in bobs["Pin"].values()
    }
    alice_pin = alices["Pin"]["Pin1"]["uuid"]
    for read in (store.get, store.links, store.provenance, store.export, store.history):
        with pytest.raises(NotFound):
            await read(alice_pin, caller=BOB)
    assert (await store.get(alice_pin, caller=ALICE)).meta["proposal"] == "mx1111"


async def test_no_writes_into_another_group(store: Store, two_groups: tuple[dict, dict]) -> None:
    alices, _ = two_groups
    with pytest.raises(NotFound):  # not even visible
        await store.update(alices["Pin"]["Pin1"]["uuid"], {"loopType": "x"}, revision=1, caller=BOB)
    with pytest.raises(InvalidMessage, match="proposal"):
        await store.import_message(shipment_message(1, proposal="mx1111"), caller=BOB)
    # Alice's very message: answered as any message for her proposal, never "taken"
    with pytest.raises(InvalidMessage, match="you may not create objects for proposal 'mx1111'"):
        await store.import_message(alices, policy="update_old", caller=BOB)
