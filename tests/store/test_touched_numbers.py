"""The embedded engine keeps what each commit touched under 8-byte numbers of the keys: two keys
sharing a number only make a download rebuilt that need not be, and a store that kept text keys
(before this) has every download built then checked as changed once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mxlims_store.store.backends.sqlite_state import SINCE, key_number, read_set_body
from tests.factories import shipment_message
from tests.store.stored_sample import a_stored_sample


def test_key_numbers_are_never_negative_and_follow_a_uuid_s_digits() -> None:
    uuid = "0123abc4-5678-4def-8abc-0123456789ab"
    assert key_number(uuid) == int("0123abc" + "456789ab", 16)
    hostile = ["-000000-0000-0000-0000-000000000001", "+fffffff" + "-" * 20 + "ffffffff"]
    for key in [*hostile, "proposal:mx1", "", "é" * 36, "\ud800" * 3]:
        assert 0 <= key_number(key) < 2**62 and key_number(key) != SINCE
    assert key_number("proposal:mx1") != key_number("proposal:mx2")


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}


async def test_downloads_built_while_text_keys_were_kept_count_as_changed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite3"
    async with a_stored_sample(path) as (store, state, sample):
        # the store as an older version left it: touches kept under text keys only
        with sqlite3.connect(path) as connection:
            connection.execute("DROP TABLE touched_numbers")
            connection.execute(
                "CREATE TABLE touched_keys (key TEXT PRIMARY KEY, generation INTEGER NOT NULL) "
                "WITHOUT ROWID"
            )
        built_at = await state.generation()
        await state.put("download-reads", "old", {}, ttl=60, body=read_set_body([sample]))
        # a commit elsewhere: what the old table would have said is not known any more
        await store.import_message(shipment_message(2, proposal="mx2"))
        assert await state.read_set_changed("download-reads", "old", built_at)
        assert "touched_keys" not in _tables(path) and "touched_numbers" in _tables(path)
        # built since: a commit elsewhere leaves it as it is, one touching its key does not
        built_at = await state.generation()
        await state.put("download-reads", "new", {}, ttl=60, body=read_set_body([sample]))
        await store.import_message(shipment_message(3, proposal="mx3"))
        assert not await state.read_set_changed("download-reads", "new", built_at)
        await store.update(sample, {"name": "renamed"}, revision=1)
        assert await state.read_set_changed("download-reads", "new", built_at)
        await state.put("download-reads", "bad", {}, ttl=60, body=b"not json")
        assert await state.read_set_changed("download-reads", "bad", built_at)
