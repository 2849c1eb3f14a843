"""The embedded store keeps what it acknowledged: across a restart, and across ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mxlims_store.store import Store
from mxlims_store.store.embedded import EmbeddedClient
from tests.factories import shipment_message

CLI = [sys.executable, "-m", "mxlims_store.cli"]


async def _stats(data_dir: Path) -> dict[str, int]:
    client = EmbeddedClient(data_dir)
    try:
        store = Store(client["mxlims"])
        return await store.stats()
    finally:
        await client.close()


async def test_data_written_by_one_process_is_read_by_the_next(tmp_path: Path) -> None:
    message = shipment_message(30)
    client = EmbeddedClient(tmp_path)
    store = Store(client["mxlims"])
    await store.init()
    await store.import_message(message)
    await store.update(message["Pin"]["Pin1"]["uuid"], {"loopType": "mesh"}, revision=1)
    await client.close()

    client = EmbeddedClient(tmp_path)
    store = Store(client["mxlims"])
    assert (await store.stats())["Pin"] == 30
    pin = await store.get(message["Pin"]["Pin1"]["uuid"])
    assert pin.revision == 2 and pin.data["loopType"] == "mesh"
    assert [e["operation"] for e in await store.history(pin.data["uuid"])] == ["create", "update"]
    await client.close()


def _import(data_dir: Path, file: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MXLIMS_DATA_DIR": str(data_dir)}
    # The report goes nowhere: a full pipe would stall the child.
    return subprocess.Popen(
        [*CLI, "import", str(file)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def test_kill_9_during_import_then_rerun_gives_exactly_the_message(tmp_path: Path) -> None:
    message: dict[str, Any] = shipment_message(800, experiments=True)
    for pin in message["Pin"].values():
        del pin["uuid"]  # the re-run must find the same uuids, not make new ones
    file = tmp_path / "shipment.json"
    file.write_text(json.dumps(message))
    expected = {t: len(objs) for t, objs in message.items() if t != "version"}

    started = time.monotonic()
    assert _import(tmp_path / "timing", file).wait(timeout=120) == 0
    full_run = time.monotonic() - started

    data_dir = tmp_path / "data"
    # First kill: the moment the import's history batch is journalled, i.e. with its object
    # writes still to come, so the store is certainly left half-written.
    process = _import(data_dir, file)
    _wait_for_journal_text(data_dir, '"c":"history","op":"bulk"', process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    partial = await _stats(data_dir)
    assert partial != dict(sorted(expected.items()))
    assert all(partial[t] <= expected[t] for t in partial), partial
    for fraction in (0.6, 0.8, 0.95):  # then kills at other moments, each followed by a restart
        process = _import(data_dir, file)
        time.sleep(full_run * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        partial = await _stats(data_dir)
        assert all(partial[t] <= expected[t] for t in partial), partial
    finished = _import(data_dir, file)
    _, err = finished.communicate(timeout=120)
    assert finished.returncode == 0, err.decode()
    assert await _stats(data_dir) == dict(sorted(expected.items()))


def _wait_for_journal_text(data_dir: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    """Poll the tail of the journal until ``text`` appears (bounded: 60 s)."""
    journal, seen, deadline = data_dir / "journal.jsonl", b"", time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists():
            with journal.open("rb") as handle:
                handle.seek(max(0, len(seen) - len(text)))
                chunk = handle.read()
            if text.encode() in chunk:
                return
            seen = b"x" * (len(seen) + len(chunk) - min(len(seen), len(text)))
        time.sleep(0.001)
    raise AssertionError(f"{text!r} never appeared in the journal")
