"""The command line starts without loading what only some commands need (issue 21: process
start). Measured as which modules a bare start imports, not as time, so it cannot flake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from mxlims_store.cli import app
from mxlims_store.cli.sheets import site_codes
from mxlims_store.mappings import list_sites

# Each of these costs tens of milliseconds at every start; only a command that uses it loads it.
HEAVY = (
    "pydantic",
    "pydantic_settings",
    "rich.progress",
    "mxlims_store.model",
    "mxlims_store.mappings",
    "mxlims_store.answers",
    "mxlims_store.store.store",
    "mxlims_store.messages.reader",
    "uvicorn",
    "fastapi",
    "sqlalchemy",
    "pymysql",
    "openpyxl",
    "jinja2",
)

# `mxlims-store stats` on a plain embedded store (console.py's quick path) loads none of the
# above, nor the framework, the event loop, or dataclasses (issue 21: ≤ 2x a bare Python).
NOT_FOR_STATS = (*HEAVY, "typer", "click", "asyncio", "dataclasses", "mxlims_store.config")


def _loaded_after(code: str, *args: str, env: dict[str, str] | None = None) -> set[str]:
    script = f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"
    shown = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return set(json.loads(shown.stdout.splitlines()[-1]))


def test_the_command_line_starts_without_the_heavy_modules() -> None:
    loaded = _loaded_after("from mxlims_store.cli import app")
    assert [name for name in HEAVY if name in loaded] == []


def test_a_command_still_loads_what_it_needs() -> None:
    # the names above are the real ones: loading the store brings them in (so the first test
    # cannot pass vacuously)
    loaded = _loaded_after("import mxlims_store.cli; from mxlims_store.store import Store")
    assert "mxlims_store.store.store" in loaded and "pydantic" in loaded


def test_the_help_names_the_facilities_the_sheet_engine_knows() -> None:
    assert site_codes() == [site.code for site in list_sites()]


def test_stats_starts_without_the_framework(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MXLIMS_")}
    env["MXLIMS_DATA_DIR"] = str(tmp_path / "data")
    assert CliRunner().invoke(app, ["init"], env=env).exit_code == 0
    # the modules are printed only if main() returned: the full command ends in SystemExit
    loaded = _loaded_after("from mxlims_store.console import main; main()", "stats", env=env)
    assert [name for name in NOT_FOR_STATS if name in loaded] == []
    assert "mxlims_store.store.backends.sqlite_open" in loaded  # it did count, quickly
