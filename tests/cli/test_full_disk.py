"""A full disk, as a command sees it: reads and `check` work, a write says the disk is full in
one line and stores nothing, and writes work again once there is room (nothing lost).

The disk is made "full" for one command by its file-size limit (RLIMIT_FSIZE of 1 byte): every
write that would grow a file fails as on a full disk (EFBIG), including the creation of the
SQLite ``-wal`` and ``-shm`` files a store needs when nothing has it open. The machine's own
disks are never filled."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from mxlims_store.config import Settings
from mxlims_store.store.existence import WHERE_NONE_WAS
from tests.acting import open_admin_store
from tests.factories import shipment_message

ROOT = Path(__file__).resolve().parents[2]


def _cli(data_dir: Path, *args: str, full: bool = False) -> subprocess.CompletedProcess[str]:
    def no_room() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))

    env = {**os.environ, "MXLIMS_DATA_DIR": str(data_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("MXLIMS_MONGODB_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "mxlims_store.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=no_room if full else None,
    )


async def _stats(data_dir: Path) -> dict[str, int]:
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    async with open_admin_store(settings) as store:
        assert (await store.check()).problems == []
        return await store.stats()


async def test_reads_and_check_work_on_a_full_disk_and_writes_wait_for_room(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    first, second = shipment_message(4), shipment_message(6)
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    async with open_admin_store(settings, creation=WHERE_NONE_WAS) as store:
        await store.import_message(first)
    (tmp_path / "second.json").write_text(json.dumps(second))

    stats = _cli(data_dir, "stats", full=True)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["Pin"] == 4
    checked = _cli(data_dir, "check", full=True)
    assert checked.returncode == 0 and json.loads(checked.stdout) == {"ok": True}

    refused = _cli(data_dir, "import", str(tmp_path / "second.json"), full=True)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write the store" in lines[0], refused.stderr
    assert (await _stats(data_dir))["Pin"] == 4  # nothing half-stored

    again = _cli(data_dir, "import", str(tmp_path / "second.json"))  # room again
    assert again.returncode == 0, again.stderr
    assert (await _stats(data_dir))["Pin"] == 10
