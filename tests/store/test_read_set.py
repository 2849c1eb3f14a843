"""What anchors a query (the keys a commit must touch to change its answer), and what a commit
touches."""

from __future__ import annotations

from typing import Any

from mxlims_store.store.backends.base import Write
from mxlims_store.store.read_set import ReadRecorder, anchors, touched_keys


def test_a_query_by_uuid_or_link_is_anchored_by_those_uuids() -> None:
    assert anchors({"_id": "a"}) == ({"a"}, set())
    assert anchors({"containerId": {"$in": ["p1", "p2"]}, "name": "x"}) == ({"p1", "p2"}, set())
    scoped = {"$and": [{"sampleId": "s"}, {"_meta.proposal": {"$in": ["mx1"]}}]}
    assert anchors(scoped) == ({"s"}, set())  # the narrowest part: the uuids


def test_a_query_by_proposal_only_is_anchored_by_the_proposal() -> None:
    query = {"mxlimsType": "Shipment", "_meta.proposal": "mx1"}
    assert anchors(query) == (set(), {"proposal:mx1"})


def test_a_query_anchored_by_nothing_says_so() -> None:
    assert anchors({}) is None
    assert anchors({"barcode": "PIN-1"}) is None
    assert anchors({"_id": {"$nin": ["a"]}}) is None
    assert anchors({"$or": [{"_id": "a"}, {"barcode": "b"}]}) is None
    assert anchors({"$or": [{"_id": "a"}, {"containerId": "b"}]}) == ({"a", "b"}, set())


def test_a_commit_touches_each_object_its_links_and_its_proposal() -> None:
    pin = {"_id": "pin", "containerId": "puck", "sampleId": "s", "_meta": {"proposal": "mx1"}}
    writes = [
        Write("logistical_samples", "pin", pin, 1, None),  # replaced
        Write("datasets", "gone", None, 3, None),  # a deletion touches the object itself
        Write("history", "h", {"uuid": "pin"}, None, None),  # no MXLIMS object
    ]
    assert touched_keys(writes) == {"pin", "puck", "s", "proposal:mx1", "gone"}


def test_what_a_commit_creates_touches_nothing_but_what_it_links_to() -> None:
    """A new result touches the pin it belongs to; the new objects themselves, and links
    between them, touch nothing (no build read them)."""
    dataset = {"_id": "d1", "logisticalSampleId": "pin", "_meta": {"proposal": "mx1"}}
    derived = {"_id": "d2", "derivedFromId": "d1", "_meta": {"proposal": "mx1"}}
    writes = [
        Write("datasets", "d1", dataset, None, None),
        Write("datasets", "d2", derived, None, None),
    ]
    assert touched_keys(writes) == {"pin", "proposal:mx1"}


async def test_a_build_that_asked_for_a_uuid_in_vain_follows_the_whole_store() -> None:
    class Db:
        async def find(self, collection: str, query: Any, **options: Any) -> list[Any]:
            return [{"_id": "here", "containerId": "box"}] if query == {"_id": "here"} else []

    recorder = ReadRecorder(Db())
    await recorder.find("logistical_samples", {"_id": "here"})
    assert not recorder.whole_store and recorder.keys == {"here"}  # not what it links to
    await recorder.find("samples", {"_id": {"$in": ["here", "missing"]}})
    assert recorder.whole_store  # "missing" may be created: only the generation says so


async def test_a_member_read_set_names_only_what_it_may_see() -> None:
    """A member's pin links to another proposal's sample: the member's build asks for it and
    does not get it. Its read set names neither the sample nor its proposal, and does not follow
    the whole store: its own proposal stands for whatever could newly appear to it."""
    pin = {"_id": "pin", "sampleId": "theirs", "_meta": {"proposal": "mx1"}}

    class Db:  # as the store scopes a member's query: the other proposal's sample is not found
        async def find(self, collection: str, query: Any, **options: Any) -> list[Any]:
            return [pin] if "pin" in str(query) else []

    scope = {"_meta.proposal": {"$in": ["mx1"]}}
    recorder = ReadRecorder(Db(), ["mx1"])
    await recorder.find("logistical_samples", {"$and": [{"_id": "pin"}, scope]})
    assert recorder.keys == {"pin"} and not recorder.whole_store  # not the link it holds
    await recorder.find("samples", {"$and": [{"_id": "theirs"}, scope]})
    assert recorder.keys == {"pin", "proposal:mx1"} and not recorder.whole_store
    await recorder.find("samples", {"$and": [{"sampleId": "theirs"}, scope]})
    assert "theirs" not in recorder.keys

    staff = ReadRecorder(Db())  # who sees everything follows links and uuids as before
    await staff.find("logistical_samples", {"_id": "pin"})
    await staff.find("samples", {"_id": "theirs"})
    assert staff.keys == {"pin", "theirs"} and staff.whole_store
