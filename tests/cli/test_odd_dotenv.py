"""A `.env` in the working directory that is no regular file (a named pipe, which reading waits
on forever; a directory, a device or a dangling link, which would be passed over silently) is
refused by every command in one line naming it, before anything is read or created."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mxlims_store.cli import app
from mxlims_store.config import SettingsError, get_settings
from mxlims_store.console import quick_stats
from mxlims_store.store_location import dotenv_problem

runner = CliRunner()
COMMANDS = [
    ["stats"],
    ["init"],
    ["check"],
    ["import", "shipment.json"],
    ["keys", "list"],
    ["backup", "copy.sqlite3"],
    ["serve", "--port", "8765"],
    ["sheet", "convert", "--from", "dls", "--to", "mxlims", "sheet.csv"],
]


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return "a named pipe (FIFO)"


def _directory(path: Path) -> str:
    path.mkdir()
    return "a directory"


def _device(path: Path) -> str:
    path.symlink_to(os.devnull)
    return "a device"


def _dangling(path: Path) -> str:
    path.symlink_to(path.with_name("gone"))
    return "a link to nothing"


KINDS: dict[str, Callable[[Path], str]] = {
    "fifo": _fifo,
    "directory": _directory,
    "device": _device,
    "dangling link": _dangling,
}


def _environment(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MXLIMS_")}
    return {**env, "MXLIMS_DATA_DIR": str(data)}


def _one_line(stderr: str, dotenv: Path, kind: str) -> None:
    assert stderr.splitlines() == [
        f"{dotenv} is {kind}, not a file of settings: remove or rename it (mxlims-store reads "
        "MXLIMS_* settings from a .env file in the working directory)"
    ]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_every_command_refuses_it_before_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, command: list[str]
) -> None:
    if kind == "fifo":  # in a process of its own: a regression would wait on the pipe
        said = KINDS[kind](tmp_path / ".env")
        (tmp_path / "shipment.json").write_text("{}")
        ran = subprocess.run(
            [sys.executable, "-m", "mxlims_store.cli", *command],
            cwd=tmp_path,
            env=_environment(tmp_path / "data"),
            capture_output=True,
            text=True,
            timeout=120,  # a guard against a hang, not a measure of speed
        )
        code, stdout, stderr = ran.returncode, ran.stdout, ran.stderr
    else:
        said = KINDS[kind](tmp_path / ".env")
        (tmp_path / "shipment.json").write_text("{}")
        monkeypatch.chdir(tmp_path)
        for name, value in _environment(tmp_path / "data").items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        result = runner.invoke(app, command)
        code, stdout, stderr = result.exit_code, result.stdout, result.stderr
    assert (code, stdout) == (1, ""), stderr
    _one_line(stderr, tmp_path / ".env", said)
    assert not (tmp_path / "data").exists() and not (tmp_path / "copy.sqlite3").exists()


def test_the_settings_refuse_it_for_the_server_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    with pytest.raises(SettingsError) as refused:
        get_settings()  # what create_app reads when given no settings
    assert str(tmp_path / ".env") in refused.value.message
    get_settings.cache_clear()
    # the quick `stats` leaves it to the full command, which says the line above
    assert quick_stats({"MXLIMS_DATA_DIR": str(tmp_path)}, tmp_path) is False


def test_an_ordinary_dotenv_or_none_is_fine(tmp_path: Path) -> None:
    assert dotenv_problem(tmp_path) is None
    (tmp_path / ".env").write_text("MXLIMS_DATABASE=x\n")
    assert dotenv_problem(tmp_path) is None
    (tmp_path / "real.env").write_text("MXLIMS_DATABASE=x\n")
    (tmp_path / ".env").unlink()
    (tmp_path / ".env").symlink_to(tmp_path / "real.env")  # a link to a file is a file
    assert dotenv_problem(tmp_path) is None
