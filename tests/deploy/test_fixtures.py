"""``python fixtures/make_messages.py`` writes the committed fixtures byte for byte (the README
names the shipment's uuid, and the tests import these files)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_make_messages_reproduces_the_committed_fixtures(tmp_path: Path) -> None:
    copy = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", copy, ignore=shutil.ignore_patterns("messages"))
    subprocess.run(
        [sys.executable, str(copy / "make_messages.py")],
        check=True,
        capture_output=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    for name in ("shipment.json", "results.json"):
        written = (copy / "messages" / name).read_bytes()
        assert written == (ROOT / "fixtures" / "messages" / name).read_bytes(), name
