"""Random write batches, as the write path can make them, numbered on a real SQLite store's
connection: what :func:`sqlite_links.numbers_for` gathers (sqlite_write_summary) must be the
keys :func:`read_set.touched_keys` finds walking every write, and the per-type counts of the
objects created that ``sqlite_type_counts.keep`` counted walking them before (round 10).

A wrong key leaves a cached download (its ETag) valid after a change it depended on; a wrong
count makes ``stats`` lie. The batches mix creations, replacements over a revision, deletions
with and without one, one uuid created and replaced in one batch, bookkeeping tables, links to
objects created in the batch (in their table or another), stored before, or nowhere, lists of
links, documents without ``_meta`` or proposal, and proposals and types of odd kinds. Link
fields hold what the models allow (a scalar link a string or null, a list of links a list).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_links import LINKS, LIST_LINKS, numbers_for
from mxlims_store.store.backends.sqlite_type_counts import created_types
from mxlims_store.store.backends.sqlite_write_summary import WriteSummary
from mxlims_store.store.collection_names import CORE_COLLECTIONS
from mxlims_store.store.read_set import touched_keys

# Stored before every batch: one object per core table (what replacements, deletions and links
# to old objects name), beside uuids the batches create or that name nothing stored.
OLD = {
    "samples": "old-sample",
    "logistical_samples": "old-pin",
    "jobs": "old-job",
    "datasets": "old-data",
}
UUIDS = [*OLD.values(), "u1", "u2", "u3", "u4", "u5", "nowhere"]
TYPES = {"samples": "Sample", "logistical_samples": "Pin", "jobs": "Job", "datasets": "Dataset"}
NOT_CORE = ["history", "counters", "events"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteBackend]:
    backend = SqliteBackend(Path(tmp_path_factory.mktemp("props")) / "store.sqlite3")

    async def build() -> None:
        await backend.prepare()
        await backend.commit(
            [
                Write(name, uuid, {"_id": uuid, "mxlimsType": TYPES[name]}, None, None)
                for name, uuid in OLD.items()
            ]
        )

    asyncio.run(build())
    yield backend
    asyncio.run(backend.close())


uuids = st.sampled_from(UUIDS)
odd = st.one_of(st.none(), st.integers(-2, 2), st.booleans(), st.lists(st.text(max_size=2)))
proposals = st.one_of(st.sampled_from(["mx1", "mx2", ""]), odd, st.dictionaries(st.text(), odd))
meta: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({}),
    st.fixed_dictionaries({"proposal": proposals}),
    st.fixed_dictionaries({"proposal": proposals, "slot": st.integers(1, 16)}),
)


@st.composite
def core_document(draw: st.DrawFn, name: str, uuid: str) -> dict[str, Any]:
    document: dict[str, Any] = {"_id": uuid}
    kind = draw(st.sampled_from(["text", "other", "odd", "absent"]))
    if kind == "text":
        document["mxlimsType"] = TYPES[name]
    elif kind == "other":
        document["mxlimsType"] = draw(st.sampled_from(["Plate", "Puck", "MXExperiment"]))
    elif kind == "odd":
        document["mxlimsType"] = draw(st.one_of(odd, st.dictionaries(st.text(max_size=2), odd)))
    for field in LINKS[name]:
        if draw(st.booleans()):
            document[field] = draw(st.one_of(uuids, st.none()))
    for field in LIST_LINKS[name]:
        if draw(st.booleans()):
            document[field] = draw(st.lists(uuids, max_size=4))
    if draw(st.integers(0, 4)):  # mostly with _meta, some without
        document["_meta"] = draw(meta)
    return document


@st.composite
def write(draw: st.DrawFn) -> Write:
    name = draw(st.sampled_from([*CORE_COLLECTIONS, *NOT_CORE]))
    uuid = draw(uuids)
    how = draw(st.sampled_from(["create", "replace", "delete", "delete-unrevised"]))
    revision = None if how in ("create", "delete-unrevised") else draw(st.integers(1, 5))
    if how.startswith("delete"):
        document = None
    elif name in CORE_COLLECTIONS:
        document = draw(core_document(name, uuid))
    else:  # bookkeeping: never an MXLIMS object, though it may hold link-like fields
        document = draw(
            st.fixed_dictionaries(
                {"uuid": uuids}, optional={"containerId": uuids, "sampleId": uuids}
            )
        )
    return Write(name, uuid, document, revision, {} if name in CORE_COLLECTIONS else None)


def _a_core_creation(each: Write) -> bool:
    created = each.expected_revision is None and each.document is not None
    return created and each.collection in CORE_COLLECTIONS


@st.composite
def batch(draw: st.DrawFn) -> list[Write]:
    writes = draw(st.lists(write(), min_size=1, max_size=12))
    if draw(st.booleans()):  # an object created and then replaced in the same batch
        creation = draw(write().filter(_a_core_creation))
        replaced = {**(creation.document or {}), "_meta": {"proposal": draw(proposals)}}
        writes += [creation, Write(creation.collection, creation.uuid, replaced, 1, {})]
    return draw(st.permutations(writes))


def counted_by_the_old_walk(writes: list[Write]) -> Counter[tuple[str, str]]:
    """What ``sqlite_type_counts.keep`` added up before round 10 (commit 804f6cd), verbatim."""
    changes: Counter[tuple[str, str]] = Counter()
    for each in writes:
        type_name = (each.document or {}).get("mxlimsType")
        created = each.document is not None and each.expected_revision is None
        if created and isinstance(type_name, str) and each.collection in CORE_COLLECTIONS:
            changes[(each.collection, type_name)] += 1
    return changes


def summary_of(store: SqliteBackend, writes: list[Write]) -> WriteSummary:
    groups: dict[str, list[Write]] = {}
    for each in writes:  # grouped as the engine groups them (SqliteBackend._apply)
        groups.setdefault(each.collection, []).append(each)
    summary = WriteSummary()
    numbers_for(store.writer_connection(), groups, summary)
    return summary


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=batch())
def test_numbering_summarises_any_batch_as_walking_it_did(
    store: SqliteBackend, writes: list[Write]
) -> None:
    summary = summary_of(store, writes)
    assert summary.keys() == touched_keys(writes)
    assert summary.types == counted_by_the_old_walk(writes)
    assert summary.types == created_types(writes, CORE_COLLECTIONS)  # keep's walk now


def test_the_old_objects_are_stored_under_the_numbers_links_read(store: SqliteBackend) -> None:
    """(What makes the batches' links to old objects links to stored ones.)"""
    writes = [Write("jobs", "u1", {"_id": "u1", "sampleId": "old-sample"}, None, {})]
    numbers = numbers_for(store.writer_connection(), {"jobs": writes}, WriteSummary())
    assert ("samples", "old-sample") in numbers and ("jobs", "u1") in numbers
