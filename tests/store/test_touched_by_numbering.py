"""The embedded engine takes a commit's read-set keys from what numbering its links finds
(sqlite_touched): the same keys as :func:`read_set.touched_keys` walking every write, for
creations, replacements and deletions, links to old objects and to new ones, lists of links."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite_links import numbers_for, table_sql
from mxlims_store.store.backends.sqlite_touched import TouchedKeys
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
    return {"_id": uuid, **links, "_meta": {"proposal": proposal}}


def _by_numbering(connection: sqlite3.Connection, writes: list[Write]) -> set[str]:
    groups: dict[str, list[Write]] = {}
    for write in writes:
        groups.setdefault(write.collection, []).append(write)
    touched = TouchedKeys()
    numbers_for(connection, groups, touched)
    return touched.keys()


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
    assert _by_numbering(connection, writes) == touched_keys(writes)


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
