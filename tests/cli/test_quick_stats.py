"""`mxlims-store stats`' quick path (mxlims_store/console.py) says what the full command says.

- its reader of the settings (store_location.plain_location) equals ``Settings`` wherever it
  answers, over combinations of environment and ``.env``, and answers in the plain cases;
- its counts and lines equal the full command's, on an empty store and on a stored shipment;
- every case that is not plain (no store, lost commits, another schema, an unnumbered store,
  a damaged file, other settings) is left to the full command: nothing printed, False.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mxlims_store.cli import app
from mxlims_store.config import Settings, get_settings
from mxlims_store.console import counted, main, quick_stats
from mxlims_store.store.access import local_admin, readable
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_commits import counter_file, noted_count
from mxlims_store.store.backends.sqlite_open import count_by_sql, where_sql
from mxlims_store.store.collections import CORE_COLLECTIONS
from mxlims_store.store.type_counts import EVERY_OBJECT, TYPE_FIELD
from mxlims_store.store_location import DEFAULT_LOCK_TIMEOUT, LOCATING, plain_location
from tests.factories import shipment_message

runner = CliRunner()


def _clear_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("MXLIMS_") or name == "XDG_DATA_HOME":
            monkeypatch.delenv(name)


# -- the settings ----------------------------------------------------------------------------

ENV_DATA_DIR: list[dict[str, str]] = [
    {},
    {"MXLIMS_DATA_DIR": "/srv/a"},
    {"mxlims_data_dir": "relative/b"},
    {"MXLIMS_DATA_DIR": ""},
    {"MXLIMS_DATA_DIR": "/srv/a", "mxlims_DATA_dir": "/srv/c"},
]
ENV_DATABASE: list[dict[str, str]] = [
    {},
    {"MXLIMS_DATABASE": "store_1"},
    {"Mxlims_Database": "x-2"},
    {"MXLIMS_DATABASE": "bad name!"},
    {"MXLIMS_DATABASE": "abc\n"},
    {"MXLIMS_DATABASE": "a" * 65},
]
ENV_OTHER: list[dict[str, str]] = [
    {},
    {"XDG_DATA_HOME": "/xdg"},
    {"MXLIMS_MONGODB_URL": "   "},
    {"MXLIMS_MONGODB_URL": "mongodb://db.example.org"},
    {"MXLIMS_LOCK_TIMEOUT": "2.5"},
    {"MXLIMS_PORT": "not a port"},
    {"MXLIMS_UNKNOWN": "1"},
]
DOTENV: list[str | None] = [
    None,
    "OTHER=1\n",
    "MXLIMS_DATA_DIR=/from/dotenv\n",
    "# a comment\nexport MXLIMS_DATABASE='quoted' # and another\n",
    'mxlims_data_dir="${HOME}/interpolated"\nMXLIMS_DATABASE=fromfile\n',
    "MXLIMS_DATA_DIR\n",
    "MXLIMS_LOCK_TIMEOUT=3\n",
    "MXLIMS_MONGODB_URL=mongodb://x.example.org\n",
    "MXLIMS_DATABASE=one\nmxlims_database=two\n",
    "directory",
]


def _full() -> Settings | str:
    try:
        return Settings()
    except Exception as error:  # pydantic's ValidationError: the full path reports it
        return type(error).__name__


def test_the_light_reader_equals_settings_wherever_it_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_settings(monkeypatch)
    folders = []
    for n, content in enumerate(DOTENV):
        folder = tmp_path / f"cwd{n}"
        folder.mkdir()
        if content == "directory":
            (folder / ".env").mkdir()
        elif content is not None:
            (folder / ".env").write_text(content)
        folders.append(folder)
    monkeypatch.chdir(folders[0])
    assert set(LOCATING) <= set(Settings.model_fields)  # the names it reads are Settings' own
    defaults = Settings().model_dump(exclude=set(LOCATING))
    answered: list[tuple[dict[str, str], str | None, tuple[Path, str]]] = []
    for data_dir, database, other, (folder, content) in itertools.product(
        ENV_DATA_DIR, ENV_DATABASE, ENV_OTHER, zip(folders, DOTENV, strict=True)
    ):
        environ = {**data_dir, **database, **other}
        with monkeypatch.context() as scoped:
            scoped.chdir(folder)
            for name, value in environ.items():
                scoped.setenv(name, value)
            light = plain_location(os.environ, folder)
            full = _full()
        if light is None:
            continue
        case = f"env {environ}, .env {content!r}"
        assert isinstance(full, Settings), case
        assert (full.data_dir, full.database) == light, case
        assert full.mongodb_url is None and full.lock_timeout == DEFAULT_LOCK_TIMEOUT, case
        assert full.model_dump(exclude=set(LOCATING)) == defaults, case
        answered.append((environ, content, light))
    # it answers the plain cases (so the equality above is not vacuous) ...
    home = Path.home()
    assert ({}, None, (home / ".local/share/mxlims-store", "mxlims")) in answered
    assert ({"XDG_DATA_HOME": "/xdg"}, None, (Path("/xdg/mxlims-store"), "mxlims")) in answered
    assert ({"MXLIMS_DATA_DIR": "/srv/a", "Mxlims_Database": "x-2"}, "OTHER=1\n",
            (Path("/srv/a"), "x-2")) in answered  # fmt: skip
    assert ({}, DOTENV[3], (home / ".local/share/mxlims-store", "quoted")) in answered
    interpolated = ({"MXLIMS_DATABASE": "store_1"}, DOTENV[4])
    assert (*interpolated, (Path(f"{home}/interpolated"), "store_1")) in answered
    # ... and leaves every other setting, a bad name, a clash of cases, .env oddities alone
    for environ, content, _ in answered:
        assert not {k for k in environ if k.upper() not in ("MXLIMS_DATA_DIR", "MXLIMS_DATABASE")
                    and k != "XDG_DATA_HOME"}  # fmt: skip
        assert content not in (DOTENV[6], DOTENV[7], DOTENV[8], "directory")
        if content == DOTENV[5]:  # a name without a value, answered where the environment's wins
            assert {k.upper() for k in environ} >= {"MXLIMS_DATA_DIR"}
    assert len(answered) >= 30


# -- the store -------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded store holding one shipment; the working directory without a .env."""
    _clear_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MXLIMS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    assert runner.invoke(app, ["init"]).exit_code == 0
    message = tmp_path / "shipment.json"
    message.write_text(json.dumps(shipment_message(3)))
    imported = runner.invoke(app, ["import", str(message)])
    assert imported.exit_code == 0, imported.output
    yield tmp_path / "data" / "mxlims.sqlite3"
    get_settings.cache_clear()


def _full_command() -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = runner.invoke(app, ["stats"])
    return result.exit_code, result.stdout, result.stderr


def _quick(capsys: pytest.CaptureFixture[str]) -> tuple[bool, str, str]:
    answered = quick_stats(os.environ, Path.cwd())
    out = capsys.readouterr()
    return answered, out.out, out.err


def test_the_quick_path_prints_what_the_full_command_prints(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    answered, out, err = _quick(capsys)
    assert answered
    code, full_out, full_err = _full_command()
    assert (code, out, err) == (0, full_out, full_err)
    counts = json.loads(out)
    assert counts["Pin"] == 3 and counts["Shipment"] == 1 and list(counts) == sorted(counts)
    assert err == f"mxlims-store: the embedded store in {tmp_path / 'data'}\n"
    # an empty store, named through .env
    (tmp_path / ".env").write_text("MXLIMS_DATABASE=other\n")
    get_settings.cache_clear()
    assert runner.invoke(app, ["init"]).exit_code == 0
    answered, out, err = _quick(capsys)
    assert answered and out == "{}\n"
    assert (0, out, err) == _full_command()


def _user_version(version: int) -> Any:
    def spoil(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        with sqlite3.connect(database) as connection:
            connection.execute(f"PRAGMA user_version = {version}")

    return spoil


def _unnumbered(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("DELETE FROM counters")


def _lost_commits(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter_file(database).write_text(f"{(noted_count(database) or 0) + 3}\n")


def _damaged(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database.write_bytes(b"not an SQLite database at all" * 100)
    for side in ("-wal", "-shm"):
        database.with_name(database.name + side).unlink(missing_ok=True)


def _deleted(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database.unlink()


def _elsewhere(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MXLIMS_DATA_DIR", str(database.parent / "nowhere"))


def _other_setting(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MXLIMS_LOCK_TIMEOUT", "not a number")


def _mongodb(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("MXLIMS_MONGODB_URL=http://not-mongodb\n")


SPOILED = {
    "newer-schema": _user_version(99),  # refused with its line
    "older-schema": _user_version(5),  # opening builds the new one
    "unnumbered": _unnumbered,  # opening numbers the objects
    "lost-commits": _lost_commits,
    "damaged": _damaged,
    "deleted": _deleted,
    "no-data-dir": _elsewhere,
    "bad-setting": _other_setting,
    "mongodb": _mongodb,
}


@pytest.mark.parametrize("case", list(SPOILED))
def test_anything_not_plain_is_left_to_the_full_command(
    store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    SPOILED[case](store, monkeypatch)
    assert _quick(capsys) == (False, "", "")
    # main() then runs the full command, which says what it always says about the case
    code, _, err = _full_command()
    if case != "older-schema" and case != "unnumbered":
        assert code == 1 and err.strip(), case
    else:  # opened (and upgraded or numbered) by the full path: plain again afterwards
        assert code == 0 and _quick(capsys)[0]


def test_a_deleted_working_directory_takes_the_full_path_without_a_traceback(
    store: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # `mxlims-store stats` typed in a folder another shell removed
    monkeypatch.setattr(sys, "argv", ["mxlims-store", "stats"])
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as ended:  # the full command (Typer) exits when done
        main()
    assert ended.value.code in (0, None)
    printed = capsys.readouterr()
    assert json.loads(printed.out)["Pin"] == 3
    assert "the embedded store in" in printed.err and "Traceback" not in printed.err


def test_a_dotenv_that_is_not_utf8_is_said_not_a_traceback(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_bytes(b"MXLIMS_DATABASE=caf\xe9\n")  # saved as latin-1
    assert _quick(capsys) == (False, "", "")
    code, out, err = _full_command()
    assert code == 1 and out == ""
    assert ".env in the working directory cannot be read" in err and "Traceback" not in err


def test_the_counting_sql_is_the_engines(store: Path) -> None:
    # the local admin reads every object: no filter, which needs no compiler
    assert readable(local_admin()) == EVERY_OBJECT
    backend = SqliteBackend(store)
    for collection in CORE_COLLECTIONS:
        table = backend.tables[collection]
        engine = backend.count_by_sql(collection, readable(local_admin()), TYPE_FIELD)
        assert count_by_sql(collection, EVERY_OBJECT, TYPE_FIELD.split(".")) == engine
        # the compiler's own answer to an empty filter is the same `1`
        from mxlims_store.store.backends.sqlite_query import Compiler
        from mxlims_store.store.filters import parse

        compiler = Compiler(table)
        assert (compiler.where(parse({})), compiler.params) == where_sql(table, {})
    assert counted(store.parent, "mxlims") is not None
