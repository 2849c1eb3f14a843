"""Many processes, one store: the CLI reads and writes the data directory ``serve`` is using."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from mxlims_store.store.bootstrap import FIRST_KEY_FILE
from tests.api.test_serve import serving
from tests.conftest import ROOT
from tests.factories import shipment_message


def test_stats_get_and_import_from_the_cli_while_serve_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXLIMS_")}
    env.update(MXLIMS_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mxlims_store.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    with serving(tmp_path) as base:
        key = (tmp_path / "data" / FIRST_KEY_FILE).read_text().strip()
        auth = {"Authorization": f"Bearer {key}"}
        over_http = shipment_message(4)
        posted = httpx.post(f"{base}/api/v1/messages", json=over_http, headers=auth, timeout=30)
        assert posted.status_code == 201

        stats = cli("stats")
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["Pin"] == 4
        pin = over_http["Pin"]["Pin2"]["uuid"]
        got = cli("get", pin)
        assert got.returncode == 0, got.stderr
        assert pin in got.stdout

        from_cli = shipment_message(3, proposal="mx9")
        file = tmp_path / "more.json"
        file.write_text(json.dumps(from_cli))
        imported = cli("import", str(file))
        assert imported.returncode == 0, imported.stderr
        # the running server sees what the CLI wrote, at once
        pin = from_cli["Pin"]["Pin1"]["uuid"]
        seen = httpx.get(f"{base}/api/v1/objects/{pin}", headers=auth, timeout=10)
        assert seen.status_code == 200, seen.text
        assert httpx.get(f"{base}/api/v1/stats", headers=auth, timeout=10).json()["Pin"] == 7
