"""insert_entries splits each plain entry in its loop and takes a common part equal to the entry
before's as that one's commit row: every entry still reads back through the view key for key,
anything the view could not put back exactly is kept whole, and one commit row is written per
distinct common part, however the entries interleave."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from mxlims_store.store.backends.base import ChangedEntry, CreationEntry
from mxlims_store.store.backends.sqlite_history import (
    COMMITS,
    ROWS,
    history_schema,
    insert_entries,
)
from mxlims_store.store.history import ImportWrites, recorded_change

UUIDS = [f"{n:08x}-1111-4111-8111-{n:012x}" for n in range(1, 40)]


def _connection() -> sqlite3.Connection:  # the history alone (by_rows=False: no core tables)
    connection = sqlite3.connect(":memory:")
    for statement in history_schema("history"):
        connection.execute(statement)
    return connection


def _pin(uuid: str) -> dict[str, Any]:
    return {"mxlimsType": "Pin", "uuid": uuid, "barcode": f"b-{uuid[:8]}"}


def _plain(uuid: str, proposal: str, *, actor: str = "ann", version: bool = True) -> dict:
    """An entry as ImportWrites.create writes it (a fresh string per value: equal, not same)."""
    writes = ImportWrites(
        actor="".join(actor), time="2026-12-07T11:00:00Z", import_id="imp-1",
        source_version="1.0" if version else None,
    )  # fmt: skip
    history = writes.create(_pin(uuid), "".join(proposal), 1).history
    assert history is not None
    return history


def _stored(connection: sqlite3.Connection) -> dict[str, tuple[str, bool]]:
    """key -> (the view's JSON text, kept whole)."""
    whole = dict(connection.execute(f'SELECT id, whole IS NOT NULL FROM "{ROWS}"').fetchall())
    return {
        key: (doc, bool(whole[key]))
        for key, doc in connection.execute("SELECT id, doc FROM history")
    }


def _as_written(entry: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in entry.items() if k != "_id"]


def test_plain_entries_split_with_one_commit_row_per_common_part() -> None:
    connection = _connection()
    entries = [_plain(u, "mx1" if i % 3 else "mx2") for i, u in enumerate(UUIDS[:12])]
    entries.append(_plain(UUIDS[12], "mx1", version=False))  # no sourceVersion: another part
    entries.append(_plain(UUIDS[13], "mx1", actor="bob"))
    stored_doc = {"_id": UUIDS[20], "mxlimsType": "Pin", "barcode": "old",
                  "_meta": {"revision": 1, "proposal": "mx1"}}  # fmt: skip
    update = recorded_change(
        stored_doc, {**_pin(UUIDS[20]), "barcode": "new"}, revision=2, expected=1,
        actor="ann", time="2026-12-07T11:00:00Z", import_id="imp-1", source_version="1.0",
    ).history  # fmt: skip
    assert update is not None and "changes" in update
    entries.append(update)
    insert_entries(connection, [(e["_id"], e) for e in entries], by_rows=False)
    stored = _stored(connection)
    for entry in entries:
        doc, whole = stored[entry["_id"]]
        assert not whole, entry
        assert list(orjson.loads(doc).items()) == _as_written(entry)  # key for key, in order
    # (ann, mx1), (ann, mx2), (ann, mx1, no version), (bob, mx1): the update shares (ann, mx1)
    [(commits,)] = connection.execute(f'SELECT count(*) FROM "{COMMITS}"').fetchall()
    assert commits == 4


def test_entries_the_view_cannot_give_back_are_kept_whole_between_plain_ones() -> None:
    connection = _connection()
    odd: list[dict[str, Any]] = []
    base = _plain(UUIDS[0], "mx1")
    for n, change in enumerate(
        [
            {"revision": True},  # a bool is no revision
            {"revision": "1"},
            {"revision": -1},
            {"_meta": {"proposal": "mx1", "extra": 1}},
            {"_meta": ["mx1"]},
            {"changes": None},  # present but not a dict
            {"actor": 5},  # no text: the common part the view gives back is texts
            {"actor": {"name": "ann"}},  # not even hashable
            {"sourceVersion": 1.0},
            {"operation": None},
        ]
    ):
        entry = dict(base)
        entry.update(change)
        if "changes" in change:  # keys in a shape the view knows (changes before _meta)
            entry = {k: entry[k] for k in ("_id", "uuid", "revision", "operation", "actor",
                                             "time", "importId", "changes", "_meta")}  # fmt: skip
        uuid = UUIDS[n + 1]
        entry["uuid"] = uuid
        entry["_id"] = f"{uuid}@{entry['revision']}@imp-1"
        odd.append(entry)
    reordered = _plain(UUIDS[15], "mx1")
    reordered = {"uuid": reordered.pop("uuid"), **reordered}  # keys in another order
    misnamed = _plain(UUIDS[16], "mx1")
    misnamed["_id"] = f"{UUIDS[16]}@11@imp-1"  # the key says revision 11, the entry 1
    at = _plain(UUIDS[17], "mx1")
    at["uuid"] = at["_id"] = "a@b@1@imp-1"
    odd += [reordered, misnamed, at]
    plain = [_plain(u, "mx1") for u in UUIDS[20:26]]
    # plain ones before, between and after: an odd entry never takes the plain ones' row
    mixed = plain[:2] + odd[:6] + plain[2:4] + odd[6:] + plain[4:]
    insert_entries(connection, [(e["_id"], e) for e in mixed], by_rows=False)
    stored = _stored(connection)
    assert len(stored) == len(mixed)
    for entry in mixed:
        doc, whole = stored[entry["_id"]]
        assert whole == (entry in odd), entry
        shown = orjson.loads(doc)
        assert list(shown.items()) == _as_written(entry), entry
    [(commits,)] = connection.execute(f'SELECT count(*) FROM "{COMMITS}"').fetchall()
    assert commits == 1  # only the plain entries' one


def test_a_bool_revision_alone_is_kept_whole() -> None:
    """(With no entry before it to have cached the tail "@1@", the key's text alone would
    let True through: only the revision's type keeps it whole.)"""
    connection = _connection()
    entry = _plain(UUIDS[0], "mx1")
    entry["revision"] = True
    entry["_id"] = f"{UUIDS[0]}@True@imp-1"
    insert_entries(connection, [(entry["_id"], entry)], by_rows=False)
    [(doc, whole)] = _stored(connection).values()
    assert whole and list(orjson.loads(doc).items()) == _as_written(entry)


def test_rows_are_appended_in_index_order_whatever_order_the_entries_come_in() -> None:
    for order in (UUIDS[:8], UUIDS[7::-1], UUIDS[:8:2] + UUIDS[1:8:2]):
        connection = _connection()
        entries = [_plain(u, "mx1") for u in order]
        insert_entries(connection, [(e["_id"], e) for e in entries], by_rows=False)
        stored = connection.execute(f'SELECT object FROM "{ROWS}" ORDER BY n').fetchall()
        assert [o for (o,) in stored] == sorted(o for (o,) in stored)
        assert len(stored) == 8


def test_an_imports_creations_are_split_as_the_same_plain_entries_are() -> None:
    """ImportWrites' creation entries skip the shape checks (backends/base.CreationEntry): the
    rows they give are those the same entries give as plain dicts; one changed after it was
    made (here: its key's revision) is checked again, and kept whole."""
    made = [_plain(u, "mx1" if i % 4 else "mx2") for i, u in enumerate(UUIDS[:20])]
    assert all(type(e) is CreationEntry for e in made)
    changed = _plain(UUIDS[30], "mx1")
    changed["_id"] = f"{UUIDS[30]}@7@imp-1"  # the entry says revision 1
    assert type(changed) is ChangedEntry
    rows = []
    for entries in (made, [dict(e) for e in made]):
        connection = _connection()
        insert_entries(connection, [(e["_id"], e) for e in entries], by_rows=False)
        rows.append(connection.execute(f'SELECT * FROM "{ROWS}" ORDER BY n').fetchall())
    assert rows[0] == rows[1] and len(rows[0]) == 20
    assert all(row[-1] is None for row in rows[0])  # none kept whole
    connection = _connection()
    insert_entries(connection, [(changed["_id"], changed)], by_rows=False)
    assert _stored(connection)[changed["_id"]][1]  # kept whole
