"""A setting that cannot be used is one line from every command, naming the variable, exit 1,
and nothing is created: `init`, `restore` and `ispyb push/pull` too (they read the settings
outside the store helper and printed a 41-line traceback)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mxlims_store.cli import app
from mxlims_store.config import get_settings
from tests.refused_setting import refused_setting

runner = CliRunner()
UUID = "aaa868d5-89c2-5c0c-a92c-0ee70829d82c"
DB = "mysql+pymysql://u:p@127.0.0.1:1/x"
COMMANDS = [
    ["init"],
    ["restore", "copy.sqlite3"],
    ["ispyb", "push", UUID, "--db", DB],
    ["ispyb", "pull", "--db", DB, "--shipping-id", "1"],
    ["stats"],
    ["keys", "list"],
]
BAD = [("MXLIMS_PORT", "abc"), ("MXLIMS_MONGODB_URL", "mongodb//x"), ("MXLIMS_WORKERS", "0")]


@pytest.mark.parametrize(("name", "value"), BAD)
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_a_bad_setting_is_one_line_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], name: str, value: str
) -> None:
    for key in [k for k in os.environ if k.upper().startswith("MXLIMS_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "copy.sqlite3").write_bytes(b"")
    data = tmp_path / "data"
    monkeypatch.setenv("MXLIMS_DATA_DIR", str(data))
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, command)
    finally:
        get_settings.cache_clear()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code, result.stdout) == (1, "")
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and f"{name}={value!r}: " in lines[0], lines
    assert not data.exists()


@pytest.mark.parametrize(
    "url", ["mysql+pymysql://u:secretpw@h:xx/db", "mysql+pymysql://u:secretpw@h:99999999999x/db"]
)
def test_a_malformed_ispyb_url_is_refused_at_start_without_its_password(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """It used to pass the settings (so `serve` started) and fail only when first used."""
    said = refused_setting(monkeypatch, "MXLIMS_ISPYB_URL", url).message
    assert said.startswith("MXLIMS_ISPYB_URL=") and "secretpw" not in said, said


def test_a_well_formed_ispyb_url_still_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MXLIMS_ISPYB_URL", "mysql+pymysql://u:p%40w@db.example.org:3306/ispyb")
    get_settings.cache_clear()
    try:
        assert get_settings().ispyb_url == "mysql+pymysql://u:p%40w@db.example.org:3306/ispyb"
    finally:
        get_settings.cache_clear()
