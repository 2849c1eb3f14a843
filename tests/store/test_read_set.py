"""What anchors a query (the keys a commit must touch to change its answer), and what a commit
touches."""

from __future__ import annotations

from mxlims_store.store.backends.base import Write
from mxlims_store.store.read_set import anchors, touched_keys


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
        Write("logistical_samples", "pin", pin, None, None),
        Write("datasets", "gone", None, 3, None),  # a deletion touches the object itself
        Write("history", "h", {"uuid": "pin"}, None, None),  # no MXLIMS object
    ]
    assert touched_keys(writes) == {"pin", "puck", "s", "proposal:mx1", "gone"}
