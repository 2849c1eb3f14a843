"""The embedded engine takes a commit's read-set keys and the types it creates from what
numbering its links finds (sqlite_write_summary): the same keys as :func:`read_set.touched_keys`
walking every write, and the same counts as walking the writes for their types, for creations,
replacements and deletions, links to old objects and to new ones, lists of links."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite_links import numbers_for, table_sql
from mxlims_store.store.backends.sqlite_type_counts import created_types
from mxlims_store.store.backends.sqlite_write_summary import WriteSummary
from mxlims_store.store.collection_names import CORE_COLLECTIONS
from mxlims_store.store.read_set import touched_keys


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    for name in CORE_COLLECTIONS:
        connection.execute(table_sql(name))
    old = [("samples", "old-sample"), ("logistical_samples", "old-puck")]
    old += [("datasets", "old-data"), ("jobs", "old-job")]
    for number, (name, uuid) in enumerate(old, start=1):
        connection.execute(
            f'INSERT INTO "{name}" (n, id, doc) VALUES (?, ?, ?)', (number, uuid, "{}")
        )
    yield connection
    connection.close()


def _doc(uuid: str, proposal: Any = "mx1", **links: Any) -> dict[str, Any]:
    kind = {"s": "Sample", "p": "Pin", "o": "Puck", "j": "Job", "d": "Dataset"}.get(uuid[0])
    return {"_id": uuid, "mxlimsType": kind, **links, "_meta": {"proposal": proposal}}


def _summary(connection: sqlite3.Connection, writes: list[Write]) -> WriteSummary:
    groups: dict[str, list[Write]] = {}
    for write in writes:
        groups.setdefault(write.collection, []).append(write)
    summary = WriteSummary()
    numbers_for(connection, groups, summary)
    return summary


def _by_numbering(connection: sqlite3.Connection, writes: list[Write]) -> set[str]:
    return _summary(connection, writes).keys()


WRITES: dict[str, list[Write]] = {
    "an import of new objects only: its links out to old ones": [
        Write("samples", "s1", _doc("s1"), None, {}),
        Write(
            "logistical_samples",
            "pin",
            _doc("pin", containerId="old-puck", sampleId="s1"),
            None,
            {},
        ),
        Write(
            "logistical_samples",
            "pin2",
            _doc("pin2", containerId="pin", sampleId="old-sample"),
            None,
            {},
        ),
        Write("jobs", "j1", _doc("j1", sampleId="s1", inputDataIds=["old-data", "d1"]), None, {}),
        Write("datasets", "d1", _doc("d1", sourceId="j1", derivedFromId="old-data"), None, {}),
    ],
    "a results return: old objects replaced, new ones linked to them": [
        Write("jobs", "old-job", _doc("old-job", sampleId="old-sample", startedFromId="j2"), 3, {}),
        Write("jobs", "j2", _doc("j2", referenceDataIds=[], templateDataIds=["d9"]), None, {}),
        Write(
            "datasets",
            "d9",
            _doc("d9", sourceId="old-job", logisticalSampleId="old-puck"),
            None,
            {},
        ),
        Write("datasets", "old-data", _doc("old-data", proposal="mx2"), 1, {}),
    ],
    "deletions, with and without a revision; bookkeeping and odd proposals": [
        Write("datasets", "gone", None, 3, {}),
        Write("logistical_samples", "gone-too", None, None, {}),
        Write("history", "h", {"uuid": "pin", "containerId": "x"}, None, None),
        Write("counters", "c", {"n": 1}, 2, None),
        Write("samples", "s5", _doc("s5", proposal=None), None, {}),
        Write("samples", "s6", _doc("s6", proposal=7, mediumId="s5"), 2, {}),
        Write("samples", "s7", {"_id": "s7"}, 2, {}),
    ],
    "new objects only, with values no model allows where a proposal and a type go": [
        Write("samples", "s20", _doc("s20", proposal=["mx1"]), None, {}),
        Write("samples", "s21", {**_doc("s21"), "mxlimsType": {"not": "text"}}, None, {}),
        Write("samples", "s22", _doc("s22", proposal={"code": "mx1"}), None, {}),
    ],
    "new objects only, one without _meta, one without a type": [
        Write("datasets", "dx", {"_id": "dx", "mxlimsType": "Dataset"}, None, {}),
        Write("datasets", "d3", _doc("d3", sourceId="old-job"), None, {}),
        Write("jobs", "x1", _doc("x1", proposal="mx3", inputDataIds=["d3", "old-data"]), None, {}),
    ],
    "one object created and replaced in one commit; a link to a new object of another table": [
        Write("samples", "twice", _doc("twice"), None, {}),
        Write("samples", "twice", _doc("twice", parentSampleId="old-sample"), 1, {}),
        Write("samples", "s8", _doc("s8", parentSampleId="new-pin"), None, {}),
        Write("logistical_samples", "new-pin", _doc("new-pin", containerId="old-puck"), None, {}),
    ],
}


@pytest.mark.parametrize("case", list(WRITES))
def test_numbering_finds_the_keys_walking_every_write_finds(
    connection: sqlite3.Connection, case: str
) -> None:
    writes = WRITES[case]
    summary = _summary(connection, writes)
    assert summary.keys() == touched_keys(writes)
    assert summary.types == created_types(writes, CORE_COLLECTIONS)


def test_the_keys_found_name_the_old_objects_a_write_links_to_or_changes(
    connection: sqlite3.Connection,
) -> None:
    assert _by_numbering(
        connection, WRITES["an import of new objects only: its links out to old ones"]
    ) == {
        "old-puck",
        "old-sample",
        "old-data",
        "proposal:mx1",
    }
    returned = _by_numbering(
        connection, WRITES["a results return: old objects replaced, new ones linked to them"]
    )
    assert returned == {
        "old-job",
        "old-sample",
        "old-puck",
        "old-data",
        "proposal:mx1",
        "proposal:mx2",
    }


def test_the_types_counted_are_those_of_the_new_objects_of_core_tables(
    connection: sqlite3.Connection,
) -> None:
    writes = [w for case in WRITES.values() for w in case if w.uuid != "twice"]
    assert _summary(connection, writes).types == {
        ("samples", "Sample"): 5,  # s1, s5, s8, s20, s22 (s6, s7 replaced; s21 no text)
        ("logistical_samples", "Pin"): 2,  # pin, pin2 (new-pin: an "n..." uuid, no type)
        ("jobs", "Job"): 2,
        ("datasets", "Dataset"): 4,  # d1, d9, dx, d3
    }
