"""Digests of every row an import writes, to show a faster write path stores the same bytes.

Fixed messages (the official example messages, a generated bench shipment and its results) are
imported into a fresh store with the clock and ``uuid4`` made deterministic, then a PATCH and a
cascading DELETE run; what is digested is every row of every SQLite table (and every document
of every collection on the MongoDB double) plus every answer, as JSON.

``row_digests.json`` beside this file holds the digests made by the code before the write path
was reworked (round 8); remake it only for a change that means to store other bytes:

    PYTHONPATH=. python -m tests.store.row_digests   # writes tests/store/row_digests.json
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import sqlite3
import sys
import tempfile
import uuid as uuidlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from bench import generate
from mxlims_store.store import Store
from mxlims_store.store.backends import Backend
from mxlims_store.store.backends.mongo import MongoBackend
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_ids import CORE_TABLES, uuid_of
from mxlims_store.store.queries import FindQuery
from tests.acting import admin_store
from tests.conftest import REFERENCE
from tests.doubles.mongomock_driver import MongomockDriver

DIGESTS = Path(__file__).with_name("row_digests.json")
SHARED = REFERENCE / "0.6.13"
OFFICIAL = [
    "messages/ShipmentMessage/valid/singlePositionPins.json",
    "messages/ShipmentMessage/valid/multiPositionPins.json",
    "messages/ShipmentMessage/valid/plates.json",
    "messages/MxlimsMessageStrict/valid/simpleWF.json",
    "messages/MxlimsMessageStrict/valid/interleavedMAD.json",
]
BENCH_PINS = 96  # every type and link of the 1,600-pin bench shipment, at a test's cost


@contextmanager
def deterministic() -> Iterator[None]:
    """Times and random uuids that are the same on every run (the modules that stamp a time
    read it through their own name ``now``)."""
    ticks = itertools.count()
    counter = itertools.count(1)

    def now() -> str:
        return f"2026-01-01T00:00:{next(ticks) % 60:02d}.{next(ticks):06d}+00:00"

    def uuid4() -> uuidlib.UUID:
        return uuidlib.UUID(int=next(counter))

    with ExitStack() as stack:
        for module in ("importer", "objects", "deletion", "logistics"):
            stack.enter_context(mock.patch(f"mxlims_store.store.{module}.now", now))
        stack.enter_context(mock.patch("uuid.uuid4", uuid4))
        yield


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _answer(answer: Any) -> Any:
    dump = getattr(answer, "model_dump", None)
    return dump(mode="json") if dump is not None else answer


def sqlite_rows(path: Path) -> dict[str, str]:
    """table -> digest of its rows (sorted: a table without rowid has no insertion order)."""
    connection = sqlite3.connect(path)
    try:
        names = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {name: _digest(sorted(map(repr, _rows(connection, name)))) for name in names}
    finally:
        connection.close()


def _rows(connection: sqlite3.Connection, name: str) -> list[tuple[Any, ...]]:
    """The rows of table ``name``, a core table's id (a key since schema 11, sqlite_ids)
    shown as its uuid's text, as the digests made before were."""
    cursor = connection.execute(f'SELECT * FROM "{name}"')
    rows = cursor.fetchall()
    if name not in CORE_TABLES:
        return rows
    at = [column[0] for column in cursor.description].index("id")
    return [(*row[:at], uuid_of(row[at]), *row[at + 1 :]) for row in rows]


def mongo_rows(backend: MongoBackend) -> dict[str, str]:
    database = backend.driver.db  # type: ignore[attr-defined]  (the double's mongomock database)
    found: dict[str, str] = {}
    for name in sorted(database.list_collection_names()):
        # (a log of touched keys expires by the clock: its time is left out)
        documents = [
            {k: v for k, v in d.items() if k != "expires"} for d in database[name].find({})
        ]
        found[name] = _digest(sorted(map(repr, documents)))
    return found


async def _scenario(store: Store, messages: list[tuple[str, Any, str]]) -> list[Any]:
    """Each message imported with its policy, then a PATCH of the first pin found and the
    cascading DELETE of the last (what it holds and the results about it go too); every
    answer, in order."""
    answers = []
    for name, message, policy in messages:
        report = await store.import_message(message, policy=policy)  # type: ignore[arg-type]
        answers.append([name, _answer(report)])
    pins = await store.find(FindQuery("Pin"))
    if pins.items:
        pin = pins.items[0]
        changed = await store.update(pin.uuid, {"name": "renamed"}, revision=pin.revision)
        answers.append(["patch", _answer(changed)])
        answers.append(["history", [_answer(e) for e in await store.history(pin.uuid)]])
        deleted = await store.delete(pins.items[-1].uuid, cascade=True)
        answers.append(["delete", _answer(deleted)])
    return answers


def official_messages() -> list[tuple[str, Any, str]]:
    return [
        (name, json.loads((SHARED / name).read_text()), "update_old")
        for name in OFFICIAL
        if (SHARED / name).is_file()
    ]


def bench_messages() -> list[tuple[str, Any, str]]:
    sent = generate.shipment(7, BENCH_PINS)
    back = generate.results(sent)
    return [
        ("shipment", sent.message, "reject_new"),
        ("results", back.message, "update_old"),
        ("shipment again", sent.message, "update_old"),
    ]


async def digests(kind: str, messages: list[tuple[str, Any, str]], where: Path) -> dict[str, Any]:
    """What a fresh store of ``kind`` holds and answers after the scenario."""
    backend: Backend = (
        SqliteBackend(where / "store.sqlite3")
        if kind == "sqlite"
        else MongoBackend(MongomockDriver())
    )
    try:
        store = admin_store(backend)
        with deterministic():
            await store.init()
            answers = await _scenario(store, messages)
        if isinstance(backend, MongoBackend):
            rows = mongo_rows(backend)
    finally:
        await backend.close()
    if kind == "sqlite":
        rows = sqlite_rows(where / "store.sqlite3")
    return {"answers": _digest(answers), "rows": rows}


async def all_digests() -> dict[str, Any]:
    made: dict[str, Any] = {}
    for group, messages in (("official", official_messages()), ("bench", bench_messages())):
        for kind in ("sqlite", "mongomock"):
            with tempfile.TemporaryDirectory() as where:
                made[f"{group}/{kind}"] = await digests(kind, messages, Path(where))
    return made


if __name__ == "__main__":
    if len(official_messages()) != len(OFFICIAL):
        sys.exit(f"the official examples are not all at {SHARED}")
    DIGESTS.write_text(json.dumps(asyncio.run(all_digests()), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DIGESTS}")
