"""The command line starts without loading what only some commands need (issue 21: process
start). Measured as which modules a bare start imports, not as time, so it cannot flake."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mxlims_store.cli import app
from mxlims_store.cli.sheets import site_codes
from mxlims_store.console import CORE_TABLES, embedded_database, quick_stats
from mxlims_store.mappings import list_sites
from mxlims_store.store.backends.sqlite_commits import counter_file
from mxlims_store.store.collections import CORE_COLLECTIONS
from tests.factories import derived_chain, shipment_message

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


def _loaded_after(code: str) -> set[str]:
    shown = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
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


# -- `stats` through the console script's quick path (mxlims_store/console.py) --------------

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A store holding a shipment and a result chain; the environment that names it."""
    from mxlims_store.config import get_settings

    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.upper().startswith("MXLIMS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MXLIMS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    assert runner.invoke(app, ["init"]).exit_code == 0
    for number, message in enumerate((shipment_message(3), derived_chain(3))):
        path = tmp_path / f"m{number}.json"
        path.write_text(json.dumps(message))
        imported = runner.invoke(app, ["import", str(path)])
        assert imported.exit_code == 0, imported.output
    yield {"MXLIMS_DATA_DIR": str(tmp_path / "data")}
    get_settings.cache_clear()


def _quick(environ: dict[str, str], cwd: Path, capsys: pytest.CaptureFixture[str]) -> tuple:
    taken = quick_stats(["stats"], environ, cwd)
    out = capsys.readouterr()
    return taken, out.out, out.err


def test_quick_stats_says_what_the_full_command_says(
    store: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = runner.invoke(app, ["stats"])
    assert full.exit_code == 0
    taken, out, err = _quick(store, tmp_path, capsys)
    assert taken
    assert json.loads(out) == json.loads(full.stdout) and json.loads(out)["Pin"] == 3
    assert out == full.stdout and err == full.stderr
    assert CORE_TABLES == CORE_COLLECTIONS


def test_quick_stats_leaves_every_other_case_to_the_full_command(
    store: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = Path(store["MXLIMS_DATA_DIR"])
    assert not quick_stats(["stats", "--help"], store, tmp_path)
    assert not quick_stats(["find"], store, tmp_path)
    for other in (
        {"MXLIMS_MONGODB_URL": "mongodb://localhost"},
        {"MXLIMS_LOCK_TIMEOUT": "-1"},  # a bad setting: the full path's one line
        {"mxlims_data_dir": str(data)},  # pydantic reads names in any case
        {"MXLIMS_DATABASE": "../elsewhere"},
        {"MXLIMS_DATABASE": "missing"},
        {"MXLIMS_DATA_DIR": ""},
    ):
        assert not quick_stats(["stats"], {**store, **other}, tmp_path), other
    (tmp_path / ".env").write_text("MXLIMS_MONGODB_URL=mongodb://localhost\n")
    assert embedded_database(store, tmp_path) is None
    (tmp_path / ".env").unlink()
    # lost commits: the full path refuses the store with its one line
    database = data / "mxlims.sqlite3"
    counter_file(database).write_text("999999\n")
    assert not quick_stats(["stats"], store, tmp_path)
    counter_file(database).unlink()
    # another schema version: the full path upgrades or refuses it
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA user_version = 5")
    assert not quick_stats(["stats"], store, tmp_path)
    assert capsys.readouterr().out == ""  # nothing printed by a quick path not taken


def test_the_console_script_answers_stats_without_the_framework(store: dict[str, str]) -> None:
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv = ['mxlims-store', 'stats']\n"
            "from mxlims_store.console import main; main()\n"
            "import json; print(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={
            **{k: v for k, v in os.environ.items() if not k.upper().startswith("MXLIMS_")},
            **store,
        },
    )
    *counts, modules = shown.stdout.splitlines()  # the counts (indented JSON), the modules
    assert json.loads("\n".join(counts))["Pin"] == 3
    loaded = json.loads(modules)
    assert [m for m in ("typer", "click", *HEAVY, "asyncio") if m in loaded] == []
